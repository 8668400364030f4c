/* Invoices in the registry (contracts/README.md, "Invoices"): call data
 * for issueInvoice, pay and cancelInvoice and for the ERC-20 calls a token
 * payment needs; the invoiceOf and allowance views; the memo, sealed to
 * the patient; an account's invoices from the registry's events; and the
 * gas of a token payment whose approve is not mined yet. Nothing prints. */
#ifndef EHR_INVOICES_H
#define EHR_INVOICES_H

#include <stddef.h>
#include <stdint.h>

#include "wallet/chain/chain.h"
#include "wallet/base/err.h"
#include "wallet/base/u256.h"

#define INVOICE_MEMO_MAX 1024         /* bytes of memo text */
#define INVOICE_MEMO_SEAL_BYTES 48    /* what sealing adds (crypto_box_SEALBYTES) */
/* The registry's MAX_MEMO_BYTES: it refuses a longer sealed memo
 * (MemoTooLong), so nobody can fill a patient's history with huge ones. */
#define INVOICE_MEMO_SEALED_MAX (INVOICE_MEMO_MAX + INVOICE_MEMO_SEAL_BYTES)

/* ---- call data (malloc'd into *data, the caller frees it) ---------------- */

/* issueInvoice(patient, token, amount, due, memo); token NULL or zero is the
 * native coin, due 0 none. EHR_EUSAGE: a zero patient, an amount of 0 or
 * above 2^96 - 1 (the registry keeps amounts in 96 bits). memo is the
 * sealed memo (invoice_memo_seal), or NULL/0 for none. */
int invoice_call_issue(const uint8_t patient[20], const uint8_t *token, const u256 *amount,
		       uint64_t due, const uint8_t *memo, size_t memo_len,
		       uint8_t **data, size_t *len, ehr_err *e);

/* pay(id), cancelInvoice(id). */
int invoice_call_pay(uint64_t id, uint8_t **data, size_t *len, ehr_err *e);
int invoice_call_cancel(uint64_t id, uint8_t **data, size_t *len, ehr_err *e);
/* payWithPermit(id, deadline, v, r, s): pay with the patient's EIP-2612
 * permit sig (r || s || v, v 27 or 28) in place of an earlier approve. */
int invoice_call_pay_with_permit(uint64_t id, uint64_t deadline, const uint8_t sig[65],
				 uint8_t **data, size_t *len, ehr_err *e);

/* The ERC-20 approve(spender, amount) and transfer(to, amount). */
int erc20_call_approve(const uint8_t spender[20], const u256 *amount,
		       uint8_t **data, size_t *len, ehr_err *e);
int erc20_call_transfer(const uint8_t to[20], const u256 *amount,
			uint8_t **data, size_t *len, ehr_err *e);

/* ---- views ----------------------------------------------------------------- */

/* What invoiceOf says; exists is 0 for an id never issued (the rest zero). */
typedef struct invoice_state {
	int exists;
	uint8_t issuer[20];
	uint8_t patient[20];
	uint8_t token[20];            /* zero: the native coin */
	u256 amount;                  /* base units */
	uint64_t due;                 /* 0: none */
	uint8_t status;               /* REG_INVOICE_OPEN, _PAID, _CANCELLED */
	uint64_t issued_block;
} invoice_state;

int invoice_of(chain *c, const uint8_t registry[20], uint64_t id, invoice_state *out, ehr_err *e);

/* invoiceOf for n ids in one batch request; out has n entries. */
int invoice_states(chain *c, const uint8_t registry[20], const uint64_t *ids, size_t n,
		   invoice_state *out, ehr_err *e);

/* 1 when st is in the native coin. */
int invoice_is_native(const invoice_state *st);

/* allowance(owner, spender) of an ERC-20. A contract that does not answer
 * it is EHR_EUSAGE "... is not an ERC-20 token". */
int erc20_allowance(chain *c, const uint8_t token[20], const uint8_t owner[20],
		    const uint8_t spender[20], u256 *out, ehr_err *e);

/* ---- the memo ------------------------------------------------------------------ */

/* Seals text (1 .. INVOICE_MEMO_MAX bytes) to the patient's X25519 key with
 * crypto_box_seal: only the patient can read it, not even the issuer once
 * sent. *sealed (strlen(text) + INVOICE_MEMO_SEAL_BYTES bytes) is malloc'd,
 * the caller frees it. EHR_EUSAGE: empty or too long, or an unusable key. */
int invoice_memo_seal(const char *text, const uint8_t patient_pk[32], uint8_t **sealed,
		      size_t *len, ehr_err *e);

/* Opens a sealed memo with the patient's key pair (sk in sodium_malloc
 * memory). *text is malloc'd and NUL-terminated, the caller frees it;
 * it goes through text_clean (base/text.h): each byte of a control
 * character, a direction mark, override or isolate, or of invalid UTF-8
 * becomes '?', as the memo is the issuer's words and goes to a terminal.
 * EHR_EAUTH when it is not sealed to this key or was altered. */
int invoice_memo_open(const uint8_t *sealed, size_t len, const uint8_t pk[32], const uint8_t sk[32],
		      char **text, ehr_err *e);

/* ---- invoices from the events ---------------------------------------------- */

typedef struct invoice_view {
	uint64_t id;
	invoice_state st;             /* invoiceOf, now */
	uint8_t *memo;                /* sealed, from InvoiceIssued; NULL when none */
	size_t memo_len;
	uint64_t issued_time;         /* block time of InvoiceIssued */
	uint8_t issued_tx[32];
	uint64_t settled_block;       /* InvoicePaid or InvoiceCancelled; 0 when open */
	uint8_t settled_tx[32];
} invoice_view;

#define INVOICES_TO 1                 /* addressed to the account (its patient) */
#define INVOICES_BY 2                 /* issued by the account */

/* The invoices addressed to account and/or issued by it (which: a mix of
 * INVOICES_TO and INVOICES_BY), by id: one log scan of InvoiceIssued,
 * InvoicePaid and InvoiceCancelled per side (topic 1 or topic 3 = account),
 * then invoiceOf and the issue blocks' times in batches. An invoice an
 * account sent itself is listed once. *out (NULL when *n is 0) is freed
 * with invoices_free. */
int invoices_of(chain *c, const uint8_t registry[20], const uint8_t account[20], unsigned which,
		invoice_view **out, size_t *n, ehr_err *e);

/* One invoice: invoiceOf, then its InvoiceIssued event (in the block
 * invoiceOf names) for the memo. No such invoice: EHR_EFAIL "there is no
 * invoice N". Free with invoices_free(out, 1). */
int invoice_get(chain *c, const uint8_t registry[20], uint64_t id, invoice_view *out, ehr_err *e);

void invoices_free(invoice_view *v, size_t n);

/* Which of n addresses patient has dealt with, for telling an invoice
 * from a stranger (anyone may bill anyone) from one of a provider the
 * patient knows: a grant the patient gave the address (GrantIssued), a
 * record it anchored in the patient's chart (RecordAnchored) or an invoice
 * of its the patient paid (InvoicePaid), at any time. One log scan (the
 * patient in topic 1, the addresses in topic 3). known[i] is set to 1 or
 * 0. Returns 0 or the scan's failure. */
int invoice_issuers_known(chain *c, const uint8_t registry[20], const uint8_t patient[20],
			  const uint8_t (*addrs)[20], size_t n, int *known, ehr_err *e);

/* ---- paying in a token ------------------------------------------------------ */

/* Gas limits for approve(registry, amount) and pay(id) sent together by
 * payer, before the approve is mined (so pay cannot be estimated: its
 * transferFrom would fail). approve is estimated; pay is bounded from an
 * estimate of the token's transfer(issuer, amount) by payer, plus what the
 * registry does around transferFrom, and never below INVOICE_PAY_GAS_MIN.
 * Both estimates in one batch request. EHR_ECHAIN when the approve would
 * fail or the token refuses the transfer (the reason decoded), else as
 * chain_call. */
#define INVOICE_PAY_GAS_MIN 120000
int invoice_token_pay_gas(chain *c, const uint8_t registry[20], const invoice_state *st,
			  const uint8_t payer[20], uint64_t *approve_gas, uint64_t *pay_gas,
			  ehr_err *e);

#endif
