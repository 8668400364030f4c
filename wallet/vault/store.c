#include "wallet/vault/store.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_BACKENDS 16

static const struct store_ops *registered[MAX_BACKENDS];
static size_t n_registered;

/* Length of the scheme at the start of s: up to ':' or the end. */
static size_t scheme_len(const char *s)
{
	const char *colon = strchr(s, ':');

	return colon ? (size_t)(colon - s) : strlen(s);
}

static bool scheme_is(const struct store_ops *ops, const char *s, size_t n)
{
	return strlen(ops->scheme) == n && memcmp(ops->scheme, s, n) == 0;
}

const struct store_ops *store_find(const char *spec_or_locator)
{
	size_t n = scheme_len(spec_or_locator), i;

	if (scheme_is(&store_dir_ops, spec_or_locator, n))
		return &store_dir_ops;
	for (i = 0; i < n_registered; i++)
		if (scheme_is(registered[i], spec_or_locator, n))
			return registered[i];
	return NULL;
}

int store_register(const struct store_ops *ops, ehr_err *e)
{
	if (!ops || !ops->scheme || !*ops->scheme || strchr(ops->scheme, ':'))
		return ehr_fail(e, EHR_EUSAGE, "a store back end needs a scheme");
	if (store_find(ops->scheme))
		return ehr_fail(e, EHR_EUSAGE, "store back end '%s' is already registered", ops->scheme);
	if (n_registered == MAX_BACKENDS)
		return ehr_fail(e, EHR_EUSAGE, "too many store back ends");
	registered[n_registered++] = ops;
	return 0;
}

static void known_schemes(char *out, size_t cap)
{
	size_t i, used;

	snprintf(out, cap, "%s", store_dir_ops.scheme);
	for (i = 0; i < n_registered; i++) {
		used = strlen(out);
		snprintf(out + used, cap - used, ", %s", registered[i]->scheme);
	}
}

int store_open_ctx(const char *spec, void *ctx, store **out, ehr_err *e)
{
	const struct store_ops *ops;
	char known[256];
	size_t n;
	int rc;

	*out = NULL;
	if (!spec || !*spec)
		return ehr_fail(e, EHR_EUSAGE, "no store given");
	if (!(ops = store_find(spec))) {
		n = scheme_len(spec);
		known_schemes(known, sizeof(known));
		return ehr_fail(e, EHR_EUSAGE, "unknown store '%.*s' (known: %s)",
				(int)(n > 64 ? 64 : n), spec, known);
	}
	n = scheme_len(spec);
	if ((rc = ops->open(spec[n] == ':' ? spec + n + 1 : "", ctx, out, e)))
		return rc;
	(*out)->ops = ops;
	return 0;
}

int store_open(const char *spec, store **out, ehr_err *e)
{
	return store_open_ctx(spec, NULL, out, e);
}

int store_open_for_locator(const char *locator, void *ctx, store **out, ehr_err *e)
{
	char spec[STORE_LOCATOR_MAX];
	const char *slash;

	*out = NULL;
	if (!locator || strlen(locator) >= sizeof(spec))
		return ehr_fail(e, EHR_EUSAGE, "malformed record locator");
	if (store_find(locator) != &store_dir_ops)
		return store_open_ctx(locator, ctx, out, e);
	if (store_dir_locator_bare(locator)) {
		int rc = store_dir_resolve(locator, spec, sizeof(spec), e);

		return rc ? rc : store_open_ctx(spec, ctx, out, e);
	}
	/* "dir:/a/b/<hex>": the store is the directory part. */
	if (!(slash = strrchr(locator, '/')) || slash < locator + 4)
		return ehr_fail(e, EHR_EUSAGE, "malformed dir locator '%s'", locator);
	snprintf(spec, sizeof(spec), "%.*s", slash == locator + 4 ? 5 : (int)(slash - locator),
		 locator);
	/* Locators come from the chain, where anyone writes: opening one to
	 * read or delete must not create the directories it names (opening a
	 * dir: store creates them), nor reach them through "." or "..". */
	{
		struct stat st;
		int rc;

		if ((rc = store_dir_check_locator(locator, e)))
			return rc;
		if (stat(spec + 4, &st) < 0 || !S_ISDIR(st.st_mode))
			return ehr_fail(e, EHR_EFAIL, "%s does not exist", spec);
	}
	return store_open_ctx(spec, ctx, out, e);
}

int store_put(store *s, int fd, const uint8_t hash[32], uint64_t size,
	      char *locator, size_t cap, ehr_err *e)
{
	return s->ops->put(s, fd, hash, size, locator, cap, e);
}

int store_get(store *s, const char *locator, int out_fd, ehr_err *e)
{
	return s->ops->get(s, locator, out_fd, e);
}

int store_del(store *s, const char *locator, ehr_err *e)
{
	return s->ops->del(s, locator, e);
}

void store_describe(store *s, char *out, size_t cap)
{
	s->ops->describe(s, out, cap);
}

bool store_can_erase(const store *s)
{
	return s->ops->can_erase;
}

void store_close(store *s)
{
	if (s)
		s->ops->close(s);
}
