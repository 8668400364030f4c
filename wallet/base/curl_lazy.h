/* <curl/curl.h> for code that loads libcurl on first use (lazylib.h): the
 * libcurl functions ehr calls become the wrappers of lazylib.c. Include it
 * in place of <curl/curl.h>. Call lazylib_curl first where a clear message
 * is wanted when libcurl is missing. */
#ifndef EHR_CURL_LAZY_H
#define EHR_CURL_LAZY_H

#include <curl/curl.h>

#include "wallet/base/lazylib.h"

/* curl's compile-time type checks are macros of these two names */
#undef curl_easy_setopt
#undef curl_easy_getinfo

CURLcode lazy_curl_global_init(long flags);
void lazy_curl_global_cleanup(void);
CURL *lazy_curl_easy_init(void);
void lazy_curl_easy_cleanup(CURL *curl);
CURLcode lazy_curl_easy_setopt(CURL *curl, CURLoption option, ...);
CURLcode lazy_curl_easy_getinfo(CURL *curl, CURLINFO info, ...);
CURLcode lazy_curl_easy_perform(CURL *curl);
const char *lazy_curl_easy_strerror(CURLcode code);
void lazy_curl_free(void *p);
struct curl_slist *lazy_curl_slist_append(struct curl_slist *list, const char *data);
void lazy_curl_slist_free_all(struct curl_slist *list);
CURLU *lazy_curl_url(void);
void lazy_curl_url_cleanup(CURLU *handle);
CURLUcode lazy_curl_url_get(CURLU *handle, CURLUPart what, char **part, unsigned int flags);
CURLUcode lazy_curl_url_set(CURLU *handle, CURLUPart what, const char *part, unsigned int flags);

#define curl_global_init lazy_curl_global_init
#define curl_global_cleanup lazy_curl_global_cleanup
#define curl_easy_init lazy_curl_easy_init
#define curl_easy_cleanup lazy_curl_easy_cleanup
#define curl_easy_setopt lazy_curl_easy_setopt
#define curl_easy_getinfo lazy_curl_easy_getinfo
#define curl_easy_perform lazy_curl_easy_perform
#define curl_easy_strerror lazy_curl_easy_strerror
#define curl_free lazy_curl_free
#define curl_slist_append lazy_curl_slist_append
#define curl_slist_free_all lazy_curl_slist_free_all
#define curl_url lazy_curl_url
#define curl_url_cleanup lazy_curl_url_cleanup
#define curl_url_get lazy_curl_url_get
#define curl_url_set lazy_curl_url_set

#endif
