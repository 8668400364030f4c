#include "cli/parties.h"
#include "cli/ehr.h"
#include "cli/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>

#include "wallet/base/array.h"
#include "wallet/keys/eth.h"

struct party_entry {
	uint8_t addr[20];
	char name[REG_NAME_MAX + 1];   /* the registered name, cleaned; "" none */
};

struct parties {
	chain *c;
	const uint8_t *registry;
	contacts *book;
	struct party_entry *v;
	size_t n, cap;
};

int parties_open(struct parties **out, chain *c, const uint8_t registry[20], ehr_err *e)
{
	struct parties *p = calloc(1, sizeof(*p));
	int rc;

	*out = NULL;
	if (!p)
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	if ((rc = contacts_load(&p->book, e))) {
		free(p);
		return rc;
	}
	p->c = c;
	p->registry = registry;
	*out = p;
	return 0;
}

void parties_close(struct parties *p)
{
	if (!p)
		return;
	contacts_free(p->book);
	free(p->v);
	free(p);
}

static struct party_entry *find(const struct parties *p, const uint8_t addr[20])
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (!memcmp(p->v[i].addr, addr, 20))
			return &p->v[i];
	return NULL;
}

/* A new entry for addr, or NULL when out of memory. */
static struct party_entry *add(struct parties *p, const uint8_t addr[20])
{
	struct party_entry *n;

	if (array_grow((void **)&p->v, &p->cap, p->n + 1, sizeof(*p->v)))
		return NULL;
	n = &p->v[p->n++];
	memset(n, 0, sizeof(*n));
	memcpy(n->addr, addr, 20);
	return n;
}

/* The registered name, already cleaned where it is read
 * (registry_account_of, text_clean): a name is its owner's bytes. */
static void take_name(struct party_entry *n, const registry_account *a)
{
	snprintf(n->name, sizeof(n->name), "%s", a->registered ? a->name : "");
}

void parties_prefetch(struct parties *p, const uint8_t (*addrs)[20], size_t n)
{
	uint8_t (*todo)[20] = malloc((n ? n : 1) * sizeof(*todo));
	registry_account *accts = NULL;
	int *ok = NULL;
	size_t i, k = 0;

	if (!todo || !p->c)
		goto out;
	for (i = 0; i < n; i++) {
		size_t j;

		if (find(p, addrs[i]) || contacts_by_address(p->book, addrs[i]))
			continue;
		for (j = 0; j < k && memcmp(todo[j], addrs[i], 20); j++)
			;
		if (j == k)
			memcpy(todo[k++], addrs[i], 20);
	}
	if (!k || !(accts = calloc(k, sizeof(*accts))) || !(ok = calloc(k, sizeof(*ok))) ||
	    registry_accounts_of(p->c, p->registry, (const uint8_t (*)[20])todo, k, accts, ok, NULL))
		goto out;
	for (i = 0; i < k; i++) {
		struct party_entry *e;

		if (!(e = add(p, todo[i])))
			break;
		if (ok[i])  /* else an answer that does not parse: no name */
			take_name(e, &accts[i]);
	}
out:
	free(ok);
	free(accts);
	free(todo);
}

const char *parties_name(struct parties *p, const uint8_t addr[20], bool *is_contact)
{
	const struct contact *ct = contacts_by_address(p->book, addr);
	struct party_entry *n;
	registry_account a;

	*is_contact = ct != NULL;
	if (ct)
		return ct->name;
	if ((n = find(p, addr)))
		return n->name;
	/* asked again next time when the node does not answer now */
	if (!p->c || registry_account_of(p->c, p->registry, addr, &a, NULL) || !(n = add(p, addr)))
		return "";
	take_name(n, &a);
	return n->name;
}

void parties_label(struct parties *p, const uint8_t addr[20], char *out, size_t cap)
{
	char hex[43];
	bool is_contact;
	const char *name = parties_name(p, addr, &is_contact);

	eip55_format(addr, hex);
	if (is_contact)
		snprintf(out, cap, "%s (%s)", name, hex);
	else if (*name)
		snprintf(out, cap, "%s (unverified, %s)", name, hex);
	else
		snprintf(out, cap, "%s", hex);
}

void parties_name_text(struct parties *p, const uint8_t addr[20], char *out, size_t cap)
{
	bool is_contact;
	const char *name = parties_name(p, addr, &is_contact);

	snprintf(out, cap, "%s%s", name, !is_contact && *name ? " (unverified)" : "");
}

void parties_json(struct parties *p, const uint8_t addr[20], cJSON *o, const char *key)
{
	bool is_contact;
	const char *name = parties_name(p, addr, &is_contact);
	char verified[64];

	snprintf(verified, sizeof(verified), "%s_verified", key);
	cJSON_AddStringToObject(o, key, name);
	cJSON_AddBoolToObject(o, verified, is_contact);
}

void party_label(chain *c, const uint8_t registry[20], const uint8_t addr[20], char *out, size_t cap)
{
	struct parties *p;

	if (!parties_open(&p, c, registry, NULL)) {
		parties_label(p, addr, out, cap);
		parties_close(p);
	} else {
		eip55_format(addr, out);  /* a damaged book: the address alone */
	}
}

void party_key_words(const sealing_key *k, char *out, size_t cap)
{
	char fp[ENCKEY_FP_TEXT];

	enckey_fingerprint_format(k->fp, fp);
	snprintf(out, cap, "key %s%s", fp, k->pinned ? " pinned" : ", unverified");
}

/* Pins k's key in the book: for the contact, or as a new contact named
 * name. */
static int pin(const uint8_t addr[20], sealing_key *k, const char *name, ehr_err *e)
{
	contacts *book;
	contact *ct, fresh;
	int rc;

	if ((rc = contacts_load(&book, e)))
		return rc;
	if (!(ct = contacts_by_address(book, addr))) {
		memset(&fresh, 0, sizeof(fresh));
		snprintf(fresh.name, sizeof(fresh.name), "%s", name);
		memcpy(fresh.address, addr, 20);
		if ((rc = contacts_add(book, &fresh, e)))
			goto out;
		ct = contacts_by_address(book, addr);
	}
	ct->pinned = true;
	memcpy(ct->fp, k->fp, ENCKEY_FP_BYTES);
	if (!(rc = contacts_save(book, e))) {
		k->pinned = true;
		note("pinned the key of '%s': a later change of it is refused", ct->name);
	}
out:
	contacts_free(book);
	return rc;
}

int party_offer_pin(const uint8_t addr[20], sealing_key *k, ehr_err *e)
{
	char fp[ENCKEY_FP_TEXT], hex[43], name[CONTACT_NAME_MAX + 8], question[300];
	ehr_err why;

	if (k->pinned || !k->acct.registered)
		return 0;
	enckey_fingerprint_format(k->fp, fp);
	eip55_format(addr, hex);
	warn("the encryption key of %s%s%s%s is %s, unverified: compare it with the one they read "
	     "from 'ehr register --show'", k->is_contact ? "'" : "", k->is_contact ? k->contact_name : "",
	     k->is_contact ? "' " : "", hex, fp);
	if (g.yes || !isatty(STDIN_FILENO))
		return 0;
	if (k->is_contact) {
		snprintf(question, sizeof(question), "Pin this key for '%s'?", k->contact_name);
		return confirm(question, &why) ? 0 : pin(addr, k, k->contact_name, e);
	}
	for (;;) {
		int rc;

		if (prompt_line("Pin it as a contact? A name for it (empty: do not pin):", name, sizeof(name), &why) ||
		    !name[0])
			return 0;
		if ((rc = pin(addr, k, name, e)) != EHR_EUSAGE)
			return rc;
		fprintf(stderr, "ehr: %s\n", e->msg);  /* a bad or taken name: ask again */
	}
}
