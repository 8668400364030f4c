#include "wallet/registry/upload_list.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cJSON.h>

#include "wallet/base/fileio.h"
#include "wallet/base/sha256.h"
#include "wallet/base/hex.h"
#include "wallet/keys/eth.h"
#include "wallet/registry/ingest.h"
#include "wallet/registry/records.h"

static int add_patient(struct upload_list *l, const uint8_t addr[20], size_t *idx, ehr_err *e)
{
	struct upload_patient *grown;
	size_t i;

	for (i = 0; i < l->np; i++)
		if (!memcmp(l->patients[i].addr, addr, 20)) {
			*idx = i;
			return 0;
		}
	if (!(grown = realloc(l->patients, (l->np + 1) * sizeof(*grown))))
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	l->patients = grown;
	memset(&l->patients[l->np], 0, sizeof(*grown));
	memcpy(l->patients[l->np].addr, addr, 20);
	*idx = l->np++;
	return 0;
}

/* The item's key: a hash of the patient, the file's absolute name and
 * contents, the title and the type, so a re-run knows it again. */
static int item_key(struct upload_item *it, const uint8_t patient[20], ehr_err *e)
{
	const char *title = it->title ? it->title : "", *type = it->type ? it->type : "";
	sha256_ctx *md;
	uint8_t key[32];
	char real[PATH_MAX];
	int fd, rc;

	if ((fd = open(it->file, O_RDONLY | O_CLOEXEC)) < 0 || !realpath(it->file, real)) {
		if (fd >= 0)
			close(fd);
		return ehr_fail(e, EHR_EUSAGE, "cannot read %s: %s", it->file, strerror(errno));
	}
	rc = records_sha256_fd(fd, it->content, &it->size, e);
	close(fd);
	if (rc)
		return rc;
	if (!(md = sha256_new()))
		return ehr_fail(e, EHR_EFAIL, "sha-256 is not available");
	sha256_update(md, patient, 20);
	sha256_update(md, real, strlen(real) + 1);
	sha256_update(md, it->content, 32);
	sha256_update(md, title, strlen(title) + 1);
	sha256_update(md, type, strlen(type) + 1);
	sha256_final(md, key);
	sha256_free(md);
	hex_encode(key, 32, it->key);
	return 0;
}

/* A new item at the end of l (its patient not set yet), or NULL when out
 * of memory (then e says so). */
static struct upload_item *new_item(struct upload_list *l, const char *file, const char *title,
				    const char *type, ehr_err *e)
{
	struct upload_item *it, *grown;

	if (l->n == l->cap) {
		if (!(grown = realloc(l->items, (l->cap * 2 + 64) * sizeof(*grown)))) {
			ehr_fail(e, EHR_EFAIL, "out of memory");
			return NULL;
		}
		l->items = grown;
		l->cap = l->cap * 2 + 64;
	}
	it = &l->items[l->n];
	memset(it, 0, sizeof(*it));
	it->patient = UPLOAD_NO_PATIENT;
	l->n++;
	if (!(it->file = strdup(file)) || (title && !(it->title = strdup(title))) ||
	    (type && !(it->type = strdup(type)))) {
		ehr_fail(e, EHR_EFAIL, "out of memory");
		return NULL;
	}
	return it;
}

/* The item could not be read: with keep_going it stays, failed, saying
 * why (returns 0); else the job stops (returns rc). */
static int item_failed(const struct upload_list *l, struct upload_item *it, int rc, const ehr_err *why)
{
	if (rc != EHR_EUSAGE || !l->keep_going)
		return rc;
	it->state = UPLOAD_FAILED;
	memset(it->key, 0, sizeof(it->key));
	snprintf(it->why, sizeof(it->why), "%s", why->msg);
	return 0;
}

/* With keep_going, a failed item for what (a DIR or a manifest's line)
 * that cannot be read, why in e; patient NULL when there is none. */
static int add_failed(struct upload_list *l, const uint8_t *patient, const char *what, int rc, ehr_err *e)
{
	struct upload_item *it;
	ehr_err oom = { 0 };

	if (rc != EHR_EUSAGE || !l->keep_going)
		return rc;
	if (!(it = new_item(l, what, NULL, NULL, &oom)) ||
	    (patient && (rc = add_patient(l, patient, &it->patient, &oom)))) {
		*e = oom;
		return EHR_EFAIL;
	}
	return item_failed(l, it, EHR_EUSAGE, e);
}

static int add_item(struct upload_list *l, const uint8_t patient[20], const char *file, const char *title,
		    const char *type, ehr_err *e)
{
	struct upload_item *it;
	struct stat st;
	int rc;

	if (!(it = new_item(l, file, title, type, e)))
		return EHR_EFAIL;
	if ((rc = add_patient(l, patient, &it->patient, e)))
		return rc;
	if (stat(file, &st) || !S_ISREG(st.st_mode))
		rc = ehr_fail(e, EHR_EUSAGE, "%s is not a readable file", file);
	else
		rc = item_key(it, patient, e);
	if (rc)
		return item_failed(l, it, rc, e);
	l->bytes_total += it->size;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int upload_add_path(struct upload_list *l, const uint8_t patient[20], const char *path,
		    const char *title, const char *type, ehr_err *e)
{
	struct stat st;
	struct dirent *d;
	char **names = NULL, full[PATH_MAX];
	size_t n = 0, i;
	DIR *dh;
	int rc = 0;

	if (stat(path, &st) || !S_ISDIR(st.st_mode))
		return add_item(l, patient, path, title, type, e);
	if (!(dh = opendir(path)))
		return add_failed(l, patient, path, ehr_fail(e, EHR_EUSAGE, "cannot read the directory %s: %s",
							     path, strerror(errno)), e);
	while ((d = readdir(dh))) {
		char **grown;

		if (d->d_name[0] == '.')
			continue;
		snprintf(full, sizeof(full), "%s/%s", path, d->d_name);
		if (stat(full, &st) || !S_ISREG(st.st_mode))
			continue;
		if (!(grown = realloc(names, (n + 1) * sizeof(*names))) || !(grown[n] = strdup(full))) {
			names = grown ? grown : names;
			rc = ehr_fail(e, EHR_EFAIL, "out of memory");
			break;
		}
		names = grown;
		n++;
	}
	closedir(dh);
	qsort(names, n, sizeof(*names), by_name);
	for (i = 0; i < n; i++) {
		if (!rc)
			rc = add_item(l, patient, names[i], title, type, e);
		free(names[i]);
	}
	free(names);
	if (!rc && !n)
		rc = add_failed(l, patient, path, ehr_fail(e, EHR_EUSAGE, "%s holds no files", path), e);
	return rc;
}

int upload_read_manifest(struct upload_list *l, const char *path, const char *title, const char *type,
			 ehr_err *e)
{
	char *text = NULL, *line, *nl, dir[PATH_MAX], full[PATH_MAX * 2];
	const char *slash = strrchr(path, '/');
	size_t len, lineno = 0;
	int rc;

	if ((rc = file_read_all(path, 256u << 20, &text, &len, e)))
		return rc;
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
	for (line = text; line && *line && !rc; line = nl ? nl + 1 : NULL) {
		cJSON *o;
		const cJSON *p, *f, *t, *ty;
		uint8_t addr[20];

		lineno++;
		if ((nl = strchr(line, '\n')))
			*nl = '\0';
		if (!line[strspn(line, " \t\r")])
			continue;
		o = cJSON_Parse(line);
		p = cJSON_GetObjectItemCaseSensitive(o, "patient");
		f = cJSON_GetObjectItemCaseSensitive(o, "file");
		t = cJSON_GetObjectItemCaseSensitive(o, "title");
		ty = cJSON_GetObjectItemCaseSensitive(o, "type");
		if (cJSON_IsString(f) && f->valuestring[0] == '/')
			snprintf(full, sizeof(full), "%s", f->valuestring);
		else if (cJSON_IsString(f))
			snprintf(full, sizeof(full), "%s/%s", dir, f->valuestring);
		else
			snprintf(full, sizeof(full), "%s line %zu", path, lineno);
		if (!cJSON_IsObject(o) || !cJSON_IsString(p) || !cJSON_IsString(f) ||
		    (t && !cJSON_IsString(t)) || (ty && !cJSON_IsString(ty))) {
			rc = add_failed(l, NULL, full, ehr_fail(e, EHR_EUSAGE, "%s line %zu: want {\"patient\": "
				      "ADDR, \"file\": PATH, \"title\": TEXT, \"type\": TEXT}", path, lineno), e);
		} else if ((rc = eip55_parse(p->valuestring, addr, e))) {
			rc = add_failed(l, NULL, full, ehr_wrap(e, "%s line %zu", path, lineno), e);
		} else if ((rc = add_item(l, addr, full, t ? t->valuestring : title,
					  ty ? ty->valuestring : type, e))) {
			ehr_wrap(e, "%s line %zu", path, lineno);
		}
		cJSON_Delete(o);
	}
	free(text);
	if (!rc && !l->n)
		rc = ehr_fail(e, EHR_EUSAGE, "%s lists no files", path);
	return rc;
}

int upload_check_item(const struct upload_item *it, bool on_chain, ehr_err *e)
{
	struct incoming *ins = NULL;
	size_t n = 0, cap = 0, i;
	uint64_t sealed;
	int rc = ingest_collect(it->file, it->title, false, &ins, &n, &cap, e);

	for (i = 0; i < n; i++)
		ingest_free(&ins[i]);
	free(ins);
	if (rc || !on_chain)
		return rc;
	/* the envelope with the least metadata: the least it can be */
	sealed = envelope_sealed_size(0, it->size);
	if (sealed > CHAINSTORE_MAX_RECORD)
		return ehr_fail(e, EHR_EUSAGE, "%s is %llu bytes: sealed, it is more than the chain store "
				"takes (%llu MiB; use --store dir:PATH)", it->file,
				(unsigned long long)it->size, CHAINSTORE_MAX_RECORD >> 20);
	return 0;
}

void upload_list_free(struct upload_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->items[i].file);
		free(l->items[i].title);
		free(l->items[i].type);
	}
	free(l->items);
	free(l->patients);
}
