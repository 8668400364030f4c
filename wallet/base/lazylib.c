/* libcurl and libzbar loaded on first use; see lazylib.h for why. */
#include <curl/curl.h>
#include <zbar.h>

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* The functions found in each library, typed as its header declares them
 * (before curl_lazy.h and zbar_lazy.h rename those names). */
static struct curl_api {
	__typeof__(curl_global_init) *global_init;
	__typeof__(curl_global_cleanup) *global_cleanup;
	__typeof__(curl_easy_init) *easy_init;
	__typeof__(curl_easy_cleanup) *easy_cleanup;
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	__typeof__(curl_easy_perform) *easy_perform;
	__typeof__(curl_easy_strerror) *easy_strerror;
	__typeof__(curl_free) *free;
	__typeof__(curl_slist_append) *slist_append;
	__typeof__(curl_slist_free_all) *slist_free_all;
	__typeof__(curl_url) *url;
	__typeof__(curl_url_cleanup) *url_cleanup;
	__typeof__(curl_url_get) *url_get;
	__typeof__(curl_url_set) *url_set;
} curl_api;

static struct zbar_api {
	__typeof__(zbar_image_scanner_create) *scanner_create;
	__typeof__(zbar_image_scanner_destroy) *scanner_destroy;
	__typeof__(zbar_image_scanner_set_config) *scanner_set_config;
	__typeof__(zbar_image_create) *image_create;
	__typeof__(zbar_image_destroy) *image_destroy;
	__typeof__(zbar_image_set_format) *image_set_format;
	__typeof__(zbar_image_set_size) *image_set_size;
	__typeof__(zbar_image_set_data) *image_set_data;
	__typeof__(zbar_scan_image) *scan_image;
	__typeof__(zbar_image_first_symbol) *image_first_symbol;
	__typeof__(zbar_symbol_next) *symbol_next;
	__typeof__(zbar_symbol_get_type) *symbol_get_type;
	__typeof__(zbar_symbol_get_data) *symbol_get_data;
	__typeof__(zbar_symbol_get_data_length) *symbol_get_data_length;
} zbar_api;

#include "wallet/base/curl_lazy.h"
#include "wallet/base/zbar_lazy.h"

struct symbol {
	const char *name;
	size_t offset;		/* of its pointer in the api struct */
};

struct lib {
	const char *soname, *package, *purpose;
	const struct symbol *symbols;
	size_t count;
	void *api;
	pthread_once_t once;
	bool ok;
	char why[256];
};

#define CURL_SYM(member, name) { name, offsetof(struct curl_api, member) }
static const struct symbol curl_symbols[] = {
	CURL_SYM(global_init, "curl_global_init"), CURL_SYM(global_cleanup, "curl_global_cleanup"),
	CURL_SYM(easy_init, "curl_easy_init"), CURL_SYM(easy_cleanup, "curl_easy_cleanup"),
	CURL_SYM(easy_setopt, "curl_easy_setopt"), CURL_SYM(easy_getinfo, "curl_easy_getinfo"),
	CURL_SYM(easy_perform, "curl_easy_perform"), CURL_SYM(easy_strerror, "curl_easy_strerror"),
	CURL_SYM(free, "curl_free"), CURL_SYM(slist_append, "curl_slist_append"),
	CURL_SYM(slist_free_all, "curl_slist_free_all"), CURL_SYM(url, "curl_url"),
	CURL_SYM(url_cleanup, "curl_url_cleanup"), CURL_SYM(url_get, "curl_url_get"),
	CURL_SYM(url_set, "curl_url_set"),
};

#define ZBAR_SYM(member, name) { name, offsetof(struct zbar_api, member) }
static const struct symbol zbar_symbols[] = {
	ZBAR_SYM(scanner_create, "zbar_image_scanner_create"),
	ZBAR_SYM(scanner_destroy, "zbar_image_scanner_destroy"),
	ZBAR_SYM(scanner_set_config, "zbar_image_scanner_set_config"),
	ZBAR_SYM(image_create, "zbar_image_create"), ZBAR_SYM(image_destroy, "zbar_image_destroy"),
	ZBAR_SYM(image_set_format, "zbar_image_set_format"),
	ZBAR_SYM(image_set_size, "zbar_image_set_size"),
	ZBAR_SYM(image_set_data, "zbar_image_set_data"), ZBAR_SYM(scan_image, "zbar_scan_image"),
	ZBAR_SYM(image_first_symbol, "zbar_image_first_symbol"),
	ZBAR_SYM(symbol_next, "zbar_symbol_next"), ZBAR_SYM(symbol_get_type, "zbar_symbol_get_type"),
	ZBAR_SYM(symbol_get_data, "zbar_symbol_get_data"),
	ZBAR_SYM(symbol_get_data_length, "zbar_symbol_get_data_length"),
};

static struct lib curl_lib = {
	LAZYLIB_CURL, "libcurl4", "to reach a node or a link", curl_symbols,
	sizeof(curl_symbols) / sizeof(curl_symbols[0]), &curl_api, PTHREAD_ONCE_INIT, false, "",
};
static struct lib zbar_lib = {
	LAZYLIB_ZBAR, "libzbar0", "to read QR images", zbar_symbols,
	sizeof(zbar_symbols) / sizeof(zbar_symbols[0]), &zbar_api, PTHREAD_ONCE_INIT, false, "",
};

/* Opens l once and for good (never closed: its functions stay in use). */
static void load(struct lib *l)
{
	void *handle = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);
	size_t i;

	if (!handle) {
		snprintf(l->why, sizeof(l->why), "%s", dlerror());
		return;
	}
	for (i = 0; i < l->count; i++) {
		void *fn = dlsym(handle, l->symbols[i].name);

		if (!fn) {
			snprintf(l->why, sizeof(l->why), "%s has no %s", l->soname,
				 l->symbols[i].name);
			return;
		}
		/* POSIX: a function's address from dlsym fits in a function pointer */
		memcpy((char *)l->api + l->symbols[i].offset, &fn, sizeof(fn));
	}
	l->ok = true;
}

static void load_curl(void)
{
	load(&curl_lib);
}

static void load_zbar(void)
{
	load(&zbar_lib);
}

static bool curl_ready(void)
{
	return pthread_once(&curl_lib.once, load_curl) == 0 && curl_lib.ok;
}

static bool zbar_ready(void)
{
	return pthread_once(&zbar_lib.once, load_zbar) == 0 && zbar_lib.ok;
}

static int refuse(const struct lib *l, ehr_err *e)
{
	return ehr_fail(e, EHR_EFAIL, "cannot load %s, which ehr needs %s: %s (Debian package %s)",
			l->soname, l->purpose, l->why[0] ? l->why : "unknown error", l->package);
}

int lazylib_curl(ehr_err *e)
{
	return curl_ready() ? 0 : refuse(&curl_lib, e);
}

int lazylib_zbar(ehr_err *e)
{
	return zbar_ready() ? 0 : refuse(&zbar_lib, e);
}

/* ---- libcurl ---- */

CURLcode lazy_curl_global_init(long flags)
{
	return curl_ready() ? curl_api.global_init(flags) : CURLE_FAILED_INIT;
}

void lazy_curl_global_cleanup(void)
{
	if (curl_ready())
		curl_api.global_cleanup();
}

CURL *lazy_curl_easy_init(void)
{
	return curl_ready() ? curl_api.easy_init() : NULL;
}

void lazy_curl_easy_cleanup(CURL *curl)
{
	if (curl_ready())
		curl_api.easy_cleanup(curl);
}

/* The one argument after the option, read as its kind of option says
 * (libcurl numbers options by the type they take). */
CURLcode lazy_curl_easy_setopt(CURL *curl, CURLoption option, ...)
{
	CURLcode rc = CURLE_FAILED_INIT;
	va_list ap;

	va_start(ap, option);
	if (!curl_ready())
		;
	else if (option < CURLOPTTYPE_OBJECTPOINT)
		rc = curl_api.easy_setopt(curl, option, va_arg(ap, long));
	else if (option < CURLOPTTYPE_FUNCTIONPOINT)
		rc = curl_api.easy_setopt(curl, option, va_arg(ap, void *));
	else if (option < CURLOPTTYPE_OFF_T)
		rc = curl_api.easy_setopt(curl, option, va_arg(ap, void (*)(void)));
	else if (option < CURLOPTTYPE_BLOB)
		rc = curl_api.easy_setopt(curl, option, va_arg(ap, curl_off_t));
	else
		rc = curl_api.easy_setopt(curl, option, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

/* Every CURLINFO takes a pointer to where the answer goes. */
CURLcode lazy_curl_easy_getinfo(CURL *curl, CURLINFO info, ...)
{
	CURLcode rc = CURLE_FAILED_INIT;
	va_list ap;

	va_start(ap, info);
	if (curl_ready())
		rc = curl_api.easy_getinfo(curl, info, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

CURLcode lazy_curl_easy_perform(CURL *curl)
{
	return curl_ready() ? curl_api.easy_perform(curl) : CURLE_FAILED_INIT;
}

const char *lazy_curl_easy_strerror(CURLcode code)
{
	return curl_ready() ? curl_api.easy_strerror(code) : "libcurl is not loaded";
}

void lazy_curl_free(void *p)
{
	if (p && curl_ready())
		curl_api.free(p);
}

struct curl_slist *lazy_curl_slist_append(struct curl_slist *list, const char *data)
{
	return curl_ready() ? curl_api.slist_append(list, data) : NULL;
}

void lazy_curl_slist_free_all(struct curl_slist *list)
{
	if (list && curl_ready())
		curl_api.slist_free_all(list);
}

CURLU *lazy_curl_url(void)
{
	return curl_ready() ? curl_api.url() : NULL;
}

void lazy_curl_url_cleanup(CURLU *handle)
{
	if (handle && curl_ready())
		curl_api.url_cleanup(handle);
}

CURLUcode lazy_curl_url_get(CURLU *handle, CURLUPart what, char **part, unsigned int flags)
{
	if (!curl_ready()) {
		*part = NULL;
		return CURLUE_OUT_OF_MEMORY;
	}
	return curl_api.url_get(handle, what, part, flags);
}

CURLUcode lazy_curl_url_set(CURLU *handle, CURLUPart what, const char *part, unsigned int flags)
{
	return curl_ready() ? curl_api.url_set(handle, what, part, flags) : CURLUE_OUT_OF_MEMORY;
}

/* ---- libzbar ---- */

zbar_image_scanner_t *lazy_zbar_image_scanner_create(void)
{
	return zbar_ready() ? zbar_api.scanner_create() : NULL;
}

void lazy_zbar_image_scanner_destroy(zbar_image_scanner_t *scanner)
{
	if (zbar_ready())
		zbar_api.scanner_destroy(scanner);
}

int lazy_zbar_image_scanner_set_config(zbar_image_scanner_t *scanner, zbar_symbol_type_t symbology,
				       zbar_config_t config, int value)
{
	return zbar_ready() ? zbar_api.scanner_set_config(scanner, symbology, config, value) : -1;
}

zbar_image_t *lazy_zbar_image_create(void)
{
	return zbar_ready() ? zbar_api.image_create() : NULL;
}

void lazy_zbar_image_destroy(zbar_image_t *image)
{
	if (zbar_ready())
		zbar_api.image_destroy(image);
}

void lazy_zbar_image_set_format(zbar_image_t *image, unsigned long format)
{
	if (zbar_ready())
		zbar_api.image_set_format(image, format);
}

void lazy_zbar_image_set_size(zbar_image_t *image, unsigned width, unsigned height)
{
	if (zbar_ready())
		zbar_api.image_set_size(image, width, height);
}

void lazy_zbar_image_set_data(zbar_image_t *image, const void *data, unsigned long length,
			      zbar_image_cleanup_handler_t *cleanup)
{
	if (zbar_ready())
		zbar_api.image_set_data(image, data, length, cleanup);
}

int lazy_zbar_scan_image(zbar_image_scanner_t *scanner, zbar_image_t *image)
{
	return zbar_ready() ? zbar_api.scan_image(scanner, image) : -1;
}

const zbar_symbol_t *lazy_zbar_image_first_symbol(const zbar_image_t *image)
{
	return zbar_ready() ? zbar_api.image_first_symbol(image) : NULL;
}

const zbar_symbol_t *lazy_zbar_symbol_next(const zbar_symbol_t *symbol)
{
	return zbar_ready() ? zbar_api.symbol_next(symbol) : NULL;
}

zbar_symbol_type_t lazy_zbar_symbol_get_type(const zbar_symbol_t *symbol)
{
	return zbar_ready() ? zbar_api.symbol_get_type(symbol) : ZBAR_NONE;
}

const char *lazy_zbar_symbol_get_data(const zbar_symbol_t *symbol)
{
	return zbar_ready() ? zbar_api.symbol_get_data(symbol) : NULL;
}

unsigned int lazy_zbar_symbol_get_data_length(const zbar_symbol_t *symbol)
{
	return zbar_ready() ? zbar_api.symbol_get_data_length(symbol) : 0;
}
