/* One error convention for everything below cli/: a function that can fail
 * returns an ehr status (0 on success) and, on failure, fills an ehr_err with
 * a lowercase sentence fit to follow "ehr: error: ". The status values are the
 * exit statuses of DESIGN.md section 10, so cli/ can pass them through. */
#ifndef EHR_ERR_H
#define EHR_ERR_H

#include <stddef.h>

enum ehr_status {
	EHR_OK = 0,
	EHR_EFAIL = 1,      /* failure or negative result (not found, verify failed) */
	EHR_EUSAGE = 2,     /* bad input from the user */
	EHR_EAUTH = 3,      /* wrong passphrase, no such wallet, locked */
	EHR_ENODE = 4,      /* node unreachable, timed out, or answering nonsense */
	EHR_ECHAIN = 5,     /* refused by the chain: revert, funds, grant, chain id */
	EHR_EINTEGRITY = 6  /* tampered ciphertext, hash mismatch, corrupt file */
};

typedef struct ehr_err {
	int status;
	char msg[512];
} ehr_err;

/* Records status and a printf-style message in e (which may be NULL) and
 * returns status, so callers can write `return ehr_fail(e, EHR_EUSAGE, ...)`.
 * Never pass secret material as an argument. */
int ehr_fail(ehr_err *e, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prepends "what: " to an existing message, keeping its status; returns it. */
int ehr_wrap(ehr_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void ehr_err_clear(ehr_err *e);

#endif
