#include "wallet/registry/contacts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cJSON.h>

#include "wallet/base/array.h"
#include "wallet/base/fileio.h"
#include "wallet/base/hex.h"
#include "wallet/base/paths.h"
#include "wallet/keys/eth.h"

/* ---- names ------------------------------------------------------------------ */

/* The code point of the UTF-8 sequence at s (its length in *len), or -1
 * for a sequence that is not valid (overlong, surrogate, above U+10FFFF,
 * cut short). */
static long utf8_next(const unsigned char *s, size_t *len)
{
	static const long min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t n, i;
	long cp;

	if (s[0] < 0x80)
		return *len = 1, s[0];
	n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc0 ? 2 : 0;
	if (!n || s[0] > 0xf4)
		return -1;
	cp = s[0] & (0x7f >> n);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*len = n;
	return cp;
}

/* Control characters and the invisible marks that reorder or hide text. */
static int unshowable(long cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x61c || (cp >= 0x200b && cp <= 0x200f) ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x206f) || cp == 0xfeff;
}

int contact_name_check(const char *name, ehr_err *e)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t n = strlen(name), i, len = 0;
	long cp;

	if (!n || n > CONTACT_NAME_MAX)
		return ehr_fail(e, EHR_EUSAGE, "a contact's name is 1 to %d bytes", CONTACT_NAME_MAX);
	if (name[0] == ' ' || name[n - 1] == ' ')
		return ehr_fail(e, EHR_EUSAGE, "a contact's name does not start or end with a space");
	if ((name[0] == '0') && (name[1] == 'x' || name[1] == 'X'))
		return ehr_fail(e, EHR_EUSAGE, "a contact's name does not start with 0x (it would read as "
				"an address)");
	for (i = 0; i < n; i += len)
		if ((cp = utf8_next(s + i, &len)) < 0 || unshowable(cp))
			return ehr_fail(e, EHR_EUSAGE, "a contact's name is text without control "
					"characters or invisible marks (byte %zu is not)", i + 1);
	return 0;
}

/* ---- the book in memory ---------------------------------------------------- */

contact *contacts_by_name(const contacts *b, const char *name)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (!strcasecmp(b->v[i].name, name))
			return &b->v[i];
	return NULL;
}

contact *contacts_by_address(const contacts *b, const uint8_t addr[20])
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (!memcmp(b->v[i].address, addr, 20))
			return &b->v[i];
	return NULL;
}

int contacts_add(contacts *b, const contact *c, ehr_err *e)
{
	const contact *old;
	char addr[43];
	int rc;

	if ((rc = contact_name_check(c->name, e)))
		return rc;
	if ((old = contacts_by_name(b, c->name)))
		return ehr_fail(e, EHR_EUSAGE, "there is a contact named '%s' already", old->name);
	if ((old = contacts_by_address(b, c->address))) {
		eip55_format(c->address, addr);
		return ehr_fail(e, EHR_EUSAGE, "%s is a contact already, named '%s'", addr, old->name);
	}
	if (b->n >= CONTACTS_MAX)
		return ehr_fail(e, EHR_EUSAGE, "the address book is full (%d contacts)", CONTACTS_MAX);
	if (array_grow((void **)&b->v, &b->cap, b->n + 1, sizeof(*b->v)))
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	b->v[b->n++] = *c;
	return 0;
}

int contacts_remove(contacts *b, const char *name, ehr_err *e)
{
	contact *c = contacts_by_name(b, name);
	size_t i;

	if (!c)
		return ehr_fail(e, EHR_EFAIL, "no contact named '%s' (see 'ehr contacts list')", name);
	i = (size_t)(c - b->v);
	memmove(c, c + 1, (b->n - i - 1) * sizeof(*c));
	b->n--;
	return 0;
}

void contacts_clear(contacts *b)
{
	free(b->v);
	b->v = NULL;
	b->n = b->cap = 0;
}

void contacts_free(contacts *b)
{
	if (!b)
		return;
	contacts_clear(b);
	free(b->path);
	free(b);
}

/* ---- the file ---------------------------------------------------------------- */

/* Whether every member of o is one of the names in keys (NULL-ended), each
 * at most once. */
static int only_keys(const cJSON *o, const char *const *keys)
{
	const cJSON *m, *n;
	size_t k;

	cJSON_ArrayForEach(m, o) {
		for (k = 0; keys[k] && (!m->string || strcmp(m->string, keys[k])); k++)
			;
		if (!keys[k])
			return 0;
		for (n = m->next; n; n = n->next)
			if (n->string && !strcmp(n->string, m->string))
				return 0;
	}
	return 1;
}

static int parse_fingerprint(const char *s, uint8_t fp[ENCKEY_FP_BYTES])
{
	size_t i;

	for (i = 0; i < 2 * ENCKEY_FP_BYTES; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return -1;
	return s[i] ? -1 : hex_decode_exact(s, fp, ENCKEY_FP_BYTES);
}

/* One entry of "contacts" (the index-th) into c. */
static int parse_entry(const cJSON *o, size_t index, contact *c, ehr_err *e)
{
	static const char *const keys[] = { "name", "address", "fingerprint", NULL };
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "name");
	const cJSON *addr = cJSON_GetObjectItemCaseSensitive(o, "address");
	const cJSON *fp = cJSON_GetObjectItemCaseSensitive(o, "fingerprint");

	memset(c, 0, sizeof(*c));
	if (!cJSON_IsObject(o) || !only_keys(o, keys))
		return ehr_fail(e, EHR_EINTEGRITY, "contact %zu is not an object of name, address and "
				"fingerprint", index + 1);
	if (!cJSON_IsString(name) || contact_name_check(name->valuestring, NULL))
		return ehr_fail(e, EHR_EINTEGRITY, "contact %zu has a bad name", index + 1);
	strcpy(c->name, name->valuestring);
	if (!cJSON_IsString(addr) || eip55_parse(addr->valuestring, c->address, NULL))
		return ehr_fail(e, EHR_EINTEGRITY, "contact %zu has a bad address", index + 1);
	if (fp) {
		if (!cJSON_IsString(fp) || parse_fingerprint(fp->valuestring, c->fp))
			return ehr_fail(e, EHR_EINTEGRITY, "contact %zu has a bad fingerprint", index + 1);
		c->pinned = true;
	}
	return 0;
}

int contacts_parse(const char *text, size_t len, contacts *out, ehr_err *e)
{
	static const char *const keys[] = { "version", "contacts", NULL };
	cJSON *root = cJSON_ParseWithLength(text, len);
	const cJSON *version, *list, *item;
	size_t i = 0;
	int rc = 0;

	out->v = NULL;
	out->n = out->cap = 0;
	if (!root || !cJSON_IsObject(root) || !only_keys(root, keys)) {
		rc = ehr_fail(e, EHR_EINTEGRITY, "not a JSON object of version and contacts");
		goto out;
	}
	version = cJSON_GetObjectItemCaseSensitive(root, "version");
	list = cJSON_GetObjectItemCaseSensitive(root, "contacts");
	if (!cJSON_IsNumber(version) || version->valuedouble != 1) {
		rc = ehr_fail(e, EHR_EINTEGRITY, "not version 1");
		goto out;
	}
	if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) > CONTACTS_MAX) {
		rc = ehr_fail(e, EHR_EINTEGRITY, "\"contacts\" is not an array of at most %d", CONTACTS_MAX);
		goto out;
	}
	cJSON_ArrayForEach(item, list) {
		contact c;

		if ((rc = parse_entry(item, i++, &c, e)))
			goto out;
		if (contacts_by_name(out, c.name) || contacts_by_address(out, c.address)) {
			rc = ehr_fail(e, EHR_EINTEGRITY, "contact %zu repeats a name or an address", i);
			goto out;
		}
		if ((rc = contacts_add(out, &c, e)))
			goto out;
	}
out:
	cJSON_Delete(root);
	if (rc)
		contacts_clear(out);
	return rc;
}

int contacts_format(const contacts *b, char **text, size_t *len, ehr_err *e)
{
	cJSON *root = cJSON_CreateObject(), *list;
	char addr[43], fp[2 * ENCKEY_FP_BYTES + 1], *printed = NULL;
	size_t i;

	*text = NULL;
	*len = 0;
	if (!root || !cJSON_AddNumberToObject(root, "version", 1) ||
	    !(list = cJSON_AddArrayToObject(root, "contacts")))
		goto oom;
	for (i = 0; i < b->n; i++) {
		cJSON *o = cJSON_CreateObject();

		if (!o || !cJSON_AddItemToArray(list, o))
			goto oom;
		eip55_format(b->v[i].address, addr);
		if (!cJSON_AddStringToObject(o, "name", b->v[i].name) || !cJSON_AddStringToObject(o, "address", addr))
			goto oom;
		if (b->v[i].pinned) {
			hex_encode(b->v[i].fp, ENCKEY_FP_BYTES, fp);
			if (!cJSON_AddStringToObject(o, "fingerprint", fp))
				goto oom;
		}
	}
	if (!(printed = cJSON_Print(root)) || !(*text = malloc(strlen(printed) + 2)))
		goto oom;
	*len = (size_t)sprintf(*text, "%s\n", printed);
	cJSON_free(printed);
	cJSON_Delete(root);
	return 0;
oom:
	cJSON_free(printed);
	cJSON_Delete(root);
	return ehr_fail(e, EHR_EFAIL, "out of memory");
}

int contacts_load(contacts **out, ehr_err *e)
{
	contacts *b = calloc(1, sizeof(*b));
	char path[4096], *text = NULL;
	size_t len;
	int rc;

	*out = NULL;
	if (!b)
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	if ((rc = paths_get(PLACE_CONTACTS, path, sizeof(path), e)))
		goto fail;
	if (!(b->path = strdup(path))) {
		rc = ehr_fail(e, EHR_EFAIL, "out of memory");
		goto fail;
	}
	if (!file_exists(path)) {
		*out = b;
		return 0;
	}
	if ((rc = file_read_all(path, CONTACTS_FILE_MAX, &text, &len, e))) {
		if (rc == EHR_EUSAGE)   /* larger than any book: not one */
			rc = ehr_fail(e, EHR_EINTEGRITY, "%s is damaged: larger than %u bytes", path,
				      CONTACTS_FILE_MAX);
		goto fail;
	}
	if ((rc = contacts_parse(text, len, b, e))) {
		ehr_wrap(e, "%s is damaged", path);
		goto fail;
	}
	free(text);
	*out = b;
	return 0;
fail:
	free(text);
	contacts_free(b);
	return rc;
}

int contacts_save(const contacts *b, ehr_err *e)
{
	char dir[4096], *text;
	const char *slash = strrchr(b->path, '/');
	size_t len;
	int rc;

	if ((rc = contacts_format(b, &text, &len, e)))
		return rc;
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - b->path) : 1, slash ? b->path : ".");
	if (!(rc = dir_ensure(dir, 0700, e)))
		rc = file_write_atomic(b->path, text, len, 0600, true, e);
	free(text);
	return rc;
}

/* ---- the key keys are sealed to ------------------------------------------------ */

int contacts_sealing_key(chain *c, const uint8_t registry[20], const uint8_t account[20],
			 sealing_key *out, ehr_err *e)
{
	char now[ENCKEY_FP_TEXT], pinned[ENCKEY_FP_TEXT], addr[43];
	contacts *book = NULL;
	const contact *ct;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = contacts_load(&book, e)) || (rc = registry_account_of(c, registry, account, &out->acct, e)))
		goto out;
	if (out->acct.registered)
		enckey_fingerprint(out->acct.enc_key, out->fp);
	if (!(ct = contacts_by_address(book, account)))
		goto out;
	out->is_contact = true;
	strcpy(out->contact_name, ct->name);
	if (!ct->pinned)
		goto out;
	enckey_fingerprint_format(ct->fp, pinned);
	eip55_format(account, addr);
	if (!out->acct.registered)
		rc = ehr_fail(e, EHR_EINTEGRITY, "contact '%s' (%s) has the pinned key %s, but the registry "
			      "says it has no key: nothing was sealed or sent", ct->name, addr, pinned);
	else if (memcmp(out->fp, ct->fp, ENCKEY_FP_BYTES)) {
		enckey_fingerprint_format(out->fp, now);
		rc = ehr_fail(e, EHR_EINTEGRITY, "the registry gives contact '%s' (%s) the key %s, but its "
			      "pinned key is %s: refusing to seal to it, nothing was sent (a node or proxy "
			      "may be rewriting answers; if they made a new key, check it with them and "
			      "'ehr contacts pin %s' again)", ct->name, addr, now, pinned, ct->name);
	} else
		out->pinned = true;
out:
	contacts_free(book);
	return rc;
}
