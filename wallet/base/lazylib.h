/* libcurl and libzbar, loaded on first use rather than at start-up.
 *
 * Why: linked the usual way, libcurl brings about 35 shared libraries
 * (nghttp2, ldap, kerberos, ssh...) and libzbar about 20 (X11, dbus, v4l),
 * and loading them was most of `ehr --version`'s time. Most commands never
 * touch the network or a QR image: now only those that do pay for them.
 * The code that uses either library includes curl_lazy.h or zbar_lazy.h in
 * place of <curl/curl.h> or <zbar.h> and calls the usual names, which those
 * headers turn into wrappers here; a wrapper loads its library (once, by its
 * soname, thread-safe) and calls through the function found there. */
#ifndef EHR_LAZYLIB_H
#define EHR_LAZYLIB_H

#include "wallet/base/err.h"

#define LAZYLIB_CURL "libcurl.so.4"
#define LAZYLIB_ZBAR "libzbar.so.0"

/* Loads libcurl (if not yet loaded) and finds every function ehr uses.
 * Returns 0, or EHR_EFAIL with a message naming the library and what is
 * missing (Debian: the package libcurl4). Until it succeeds, the wrappers
 * fail as libcurl itself does when out of memory (NULL, CURLE_FAILED_INIT). */
int lazylib_curl(ehr_err *e);

/* The same for libzbar (Debian: libzbar0); the wrappers then return NULL
 * or -1. */
int lazylib_zbar(ehr_err *e);

#endif
