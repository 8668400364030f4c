#include "wallet/vault/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>

#include "wallet/base/fileio.h"
#include "wallet/base/hex.h"

#define JOURNAL_MAX (1u << 30)

static void tx_free(journal_tx *t)
{
	free(t->raw);
	free(t->items);
	free(t->envelopes);
}

static int hex_field(const cJSON *o, const char *name, uint8_t *out, size_t n)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(f) && !hex_decode_exact(f->valuestring, out, n) ? 0 : -1;
}

static int load_line(journal *j, const cJSON *o)
{
	const cJSON *items = cJSON_GetObjectItemCaseSensitive(o, "items");
	const cJSON *envs = cJSON_GetObjectItemCaseSensitive(o, "envelopes");
	const cJSON *raw = cJSON_GetObjectItemCaseSensitive(o, "raw");
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(o, "item");
	const cJSON *rec = cJSON_GetObjectItemCaseSensitive(o, "record");
	const cJSON *it;

	if (cJSON_IsString(item) && strlen(item->valuestring) == JOURNAL_KEY_HEX - 1 &&
	    cJSON_IsNumber(rec) && rec->valuedouble >= 1) {
		journal_item *grown = realloc(j->items, (j->nitems + 1) * sizeof(*grown)), *ji;

		if (!grown)
			return -1;
		j->items = grown;
		ji = &j->items[j->nitems];
		memcpy(ji->key, item->valuestring, JOURNAL_KEY_HEX);
		ji->record = (uint64_t)rec->valuedouble;
		if (hex_field(o, "envelope", ji->envelope, 32))
			return 0;
		j->nitems++;
		return 0;
	}
	if (cJSON_IsArray(items) && cJSON_IsArray(envs) && cJSON_IsString(raw) &&
	    cJSON_GetArraySize(items) == cJSON_GetArraySize(envs)) {
		journal_tx t, *grown;
		size_t k = 0;
		long len;

		memset(&t, 0, sizeof(t));
		t.n = (size_t)cJSON_GetArraySize(items);
		t.raw_len = strlen(raw->valuestring) / 2;
		t.raw = malloc(t.raw_len + 1);
		t.items = calloc(t.n + 1, sizeof(*t.items));
		t.envelopes = calloc(t.n + 1, sizeof(*t.envelopes));
		if (!t.raw || !t.items || !t.envelopes || hex_field(o, "tx", t.hash, 32) ||
		    (len = hex_decode(raw->valuestring, t.raw, t.raw_len)) != (long)t.raw_len)
			goto bad;
		cJSON_ArrayForEach(it, items) {
			if (!cJSON_IsString(it) || strlen(it->valuestring) != JOURNAL_KEY_HEX - 1)
				goto bad;
			memcpy(t.items[k++], it->valuestring, JOURNAL_KEY_HEX);
		}
		k = 0;
		cJSON_ArrayForEach(it, envs)
			if (!cJSON_IsString(it) || hex_decode_exact(it->valuestring, t.envelopes[k++], 32))
				goto bad;
		if (!(grown = realloc(j->txs, (j->ntxs + 1) * sizeof(*grown))))
			goto bad;
		j->txs = grown;
		j->txs[j->ntxs++] = t;
		return 0;
bad:
		tx_free(&t);
		return 0;
	}
	return 0;
}

/* Reads the journal's lines into a journal whose file is not open; the
 * text, for journal_open to look at its last byte. */
static int journal_load(const char *path, journal **out, char **text, size_t *len, ehr_err *e)
{
	journal *j = calloc(1, sizeof(*j));
	char *line, *nl;
	int rc = 0;

	*text = NULL;
	*len = 0;
	if (!j || !(j->path = strdup(path))) {
		free(j);
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	}
	j->fd = -1;
	if (file_exists(path) && (rc = file_read_all(path, JOURNAL_MAX, text, len, e)))
		goto fail;
	for (line = *text; line && *line; line = nl ? nl + 1 : NULL) {
		cJSON *o;

		/* a line without its newline was torn by a kill: ignore it */
		if (!(nl = strchr(line, '\n')))
			break;
		*nl = '\0';
		if ((o = cJSON_Parse(line))) {
			rc = load_line(j, o) ? ehr_fail(e, EHR_EFAIL, "out of memory") : 0;
			cJSON_Delete(o);
			if (rc)
				goto fail;
		}
		*nl = '\n';
	}
	*out = j;
	return 0;
fail:
	free(*text);
	*text = NULL;
	journal_close(j);
	return rc;
}

int journal_read(const char *path, journal **out, ehr_err *e)
{
	char *text;
	size_t len;
	int rc = journal_load(path, out, &text, &len, e);

	free(text);
	return rc;
}

int journal_open(const char *path, journal **out, ehr_err *e)
{
	journal *j;
	char *text;
	size_t len;
	int rc;

	if ((rc = journal_load(path, &j, &text, &len, e)))
		return rc;
	if ((j->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) < 0) {
		rc = ehr_fail(e, EHR_EFAIL, "cannot open the journal %s: %s", path, strerror(errno));
		goto fail;
	}
	/* a torn line from a killed run: end it so the next line stands alone */
	if (text && len && text[len - 1] != '\n') {
		if (write(j->fd, "\n", 1) != 1) {
			rc = ehr_fail(e, EHR_EFAIL, "cannot write the journal %s: %s", path, strerror(errno));
			goto fail;
		}
	}
	free(text);
	*out = j;
	return 0;
fail:
	free(text);
	journal_close(j);
	return rc;
}

void journal_close(journal *j)
{
	size_t i;

	if (!j)
		return;
	if (j->fd >= 0)
		close(j->fd);
	for (i = 0; i < j->ntxs; i++)
		tx_free(&j->txs[i]);
	free(j->txs);
	free(j->items);
	free(j->path);
	free(j);
}

const journal_item *journal_anchored(const journal *j, const char *key)
{
	size_t i;

	for (i = j->nitems; i-- > 0;)
		if (!strcmp(j->items[i].key, key))
			return &j->items[i];
	return NULL;
}

static int append(journal *j, cJSON *o, ehr_err *e)
{
	char *s = cJSON_PrintUnformatted(o);
	size_t len;
	int rc = 0;

	cJSON_Delete(o);
	if (!s)
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	len = strlen(s);
	s[len] = '\n';  /* cJSON leaves the NUL's byte: write the line whole */
	if (write(j->fd, s, len + 1) != (ssize_t)(len + 1) || fdatasync(j->fd))
		rc = ehr_fail(e, EHR_EFAIL, "cannot write the journal %s: %s", j->path, strerror(errno));
	cJSON_free(s);
	return rc;
}

int journal_add_tx(journal *j, const journal_tx *tx, ehr_err *e)
{
	cJSON *o = cJSON_CreateObject(), *items = cJSON_CreateArray(), *envs = cJSON_CreateArray();
	char h[65], *raw = malloc(2 * tx->raw_len + 1);
	size_t i;

	if (!raw) {
		cJSON_Delete(o);
		cJSON_Delete(items);
		cJSON_Delete(envs);
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	}
	hex_encode(tx->hash, 32, h);
	cJSON_AddStringToObject(o, "tx", h);
	hex_encode(tx->raw, tx->raw_len, raw);
	cJSON_AddStringToObject(o, "raw", raw);
	free(raw);
	for (i = 0; i < tx->n; i++) {
		cJSON_AddItemToArray(items, cJSON_CreateString(tx->items[i]));
		hex_encode(tx->envelopes[i], 32, h);
		cJSON_AddItemToArray(envs, cJSON_CreateString(h));
	}
	cJSON_AddItemToObject(o, "items", items);
	cJSON_AddItemToObject(o, "envelopes", envs);
	return append(j, o, e);
}

int journal_add_items(journal *j, const journal_item *items, size_t n, ehr_err *e)
{
	/* one write and one sync for the whole batch */
	size_t line = JOURNAL_KEY_HEX + 64 + 64, i, len = 0;
	char *buf = malloc(n * line + 1), h[65];
	journal_item *grown;
	int rc = 0;

	if (!buf)
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	for (i = 0; i < n; i++) {
		hex_encode(items[i].envelope, 32, h);
		len += (size_t)snprintf(buf + len, line + 1, "{\"item\":\"%s\",\"record\":%llu,\"envelope\":\"%s\"}\n",
					items[i].key, (unsigned long long)items[i].record, h);
	}
	if (write(j->fd, buf, len) != (ssize_t)len || fdatasync(j->fd))
		rc = ehr_fail(e, EHR_EFAIL, "cannot write the journal %s: %s", j->path, strerror(errno));
	free(buf);
	if (!rc && (grown = realloc(j->items, (j->nitems + n) * sizeof(*grown)))) {
		j->items = grown;
		memcpy(j->items + j->nitems, items, n * sizeof(*items));
		j->nitems += n;
	}
	return rc;
}
