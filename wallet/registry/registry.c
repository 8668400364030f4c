#include "wallet/registry/registry.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "wallet/base/text.h"
#include "wallet/chain/abi.h"
#include "wallet/keys/eth.h"

const revert_error registry_errors[] = {
	{ "EmptyKey()", "the encryption key is empty" },
	{ "BadRole()", "the role must not be 0" },
	{ "NameTooLong()", "the name is longer than 64 bytes" },
	{ "ZeroAddress()", "the address is zero" },
	{ "EmptyBatch()", "the batch is empty" },
	{ "LengthMismatch()", "the record ids and the sealed keys do not pair up" },
	{ "NoSuchRecord(uint256)", "there is no record %1" },
	{ "NotPatientsRecord(uint256)", "record %1 is not this patient's" },
	{ "RecordIsErased(uint256)", "record %1 is erased" },
	{ "NotPatient()", "only the patient may do this" },
	{ "NoWriteGrant()", "no active write grant from this patient" },
	{ "BadFlags()", "invalid grant flags" },
	{ "BadExpiry()", "the expiry is not in the future" },
	{ "NoSuchGrant()", "there is no such grant" },
	{ "NotGrantee()", "this account is not the grant's grantee" },
	{ "GrantExpired()", "the grant has expired" },
	{ "GrantIsRevoked()", "the grant was revoked" },
	{ "NotCovered(uint256)", "the grant does not cover record %1" },
	{ "NotBearer()", "the grant is not a bearer grant" },
	{ "BadSignature()", "the signature is not valid (a bearer signature for another grant, or an intent not signed by its signer)" },
	{ "AlreadyRedeemed()", "the bearer grant was already redeemed by another account" },
	{ "BadPurpose()", "the purpose of use must be treatment, emergency, research or payment" },
	{ "NotPatientsGrant()", "the grant is not this patient's" },
	{ "NoEncryptionKey()", "this account has no registered encryption key (run 'ehr register')" },
	{ "NoSuchRequest()", "there is no such request" },
	{ "RequestClosed()", "the request was already answered" },
	{ "NotRequested(uint256)", "record %1 was not requested, or its key was already released" },
	{ "RecordsMismatch()", "the records are not the ones requested" },
	{ "NoteTooLong()", "the sealed purpose is longer than 1024 bytes" },
	{ "ResearchGetsDerivedOnly()", "a research grant gets de-identified copies only, never a record's own key" },
	{ "NotResearch()", "de-identified copies answer a research grant's request only" },
	{ "NotDerived(uint256)", "record %1 is not a copy made for this request (anchored before it)" },
	{ "MemoTooLong()", "the sealed memo is longer than 1072 bytes (1024 of text)" },
	{ "NoSuchInvoice()", "there is no such invoice" },
	{ "ZeroAmount()", "the amount is zero" },
	{ "AmountTooLarge()", "the amount is too large" },
	{ "NotAToken()", "the token address has no contract" },
	{ "NotInvoicePatient()", "the invoice is addressed to another account" },
	{ "NotIssuer()", "only the invoice's issuer may do this" },
	{ "AlreadyPaid()", "the invoice is already paid" },
	{ "InvoiceIsCancelled()", "the invoice was cancelled" },
	{ "WrongAmount(uint256,uint256)", "wrong amount: the invoice wants %1, %2 was sent" },
	{ "TransferFailed()", "the token transfer failed" },
	{ "IntentExpired()", "the signed intent is past its deadline" },
	{ "IntentUsed()", "the signed intent was already used (its nonce has landed)" },
	{ "IntentNotAllowed()", "an intent cannot carry an intent" },
};

const size_t registry_n_errors = sizeof(registry_errors) / sizeof(registry_errors[0]);

/* Calls a view of the registry and decodes its answer as types. An empty
 * answer means no contract there: the usual cause is a registry address
 * from another chain. */
int registry_view(chain *c, const uint8_t registry[20], const char *sig, abi_value *args,
		  const char *types, abi_value **res, ehr_err *e)
{
	uint8_t *data = NULL, *ret = NULL;
	size_t len, ret_len = 0;
	int rc;

	if (!args)
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	rc = abi_encode_call(sig, args, &data, &len, e);
	abi_free(args);
	if (!rc)
		rc = chain_call(c, registry, data, len, "latest", &ret, &ret_len, e);
	if (!rc && ret_len == 0) {
		char addr[43];

		eip55_format(registry, addr);
		rc = ehr_fail(e, EHR_EUSAGE, "there is no registry at %s on this chain "
			      "(deploy one with 'ehr deploy', or check --network and --registry)", addr);
	}
	if (!rc && abi_decode(types, ret, ret_len, res, NULL))
		rc = ehr_fail(e, EHR_EINTEGRITY, "the registry's answer to %s does not parse", sig);
	free(data);
	free(ret);
	return rc;
}

/* One answer of type `type` (len bytes, as in a types string) into the
 * place ap points at next; -1 when it does not fit. */
static int read_answer(const abi_value *v, const char *type, size_t len, va_list *ap)
{
	const uint8_t *p;
	uint64_t x;

#define IS(lit) (len == sizeof(lit) - 1 && !memcmp(type, lit, len))
	if (IS("address") || IS("bytes32")) {
		uint8_t *dst = va_arg(*ap, uint8_t *);
		size_t n = IS("address") ? 20 : 32;

		if (!(p = n == 20 ? abi_get_address(v) : abi_get_bytes(v, NULL)))
			return -1;
		memcpy(dst, p, n);
		return 0;
	}
	if (IS("uint8")) {
		uint8_t *dst = va_arg(*ap, uint8_t *);

		if (abi_get_u64(v, &x) || x > 255)
			return -1;
		*dst = (uint8_t)x;
		return 0;
	}
	if (IS("uint64") || IS("uint256"))
		return abi_get_u64(v, va_arg(*ap, uint64_t *));
	if (IS("bool"))
		return abi_get_bool(v, va_arg(*ap, int *));
#undef IS
	return -1;
}

int registry_view_read(chain *c, const uint8_t registry[20], const char *sig, abi_value *args,
		       const char *types, ehr_err *e, ...)
{
	abi_value *res = NULL;
	const char *type = types + 1;
	va_list ap;
	size_t i, len;
	int rc;

	if ((rc = registry_view(c, registry, sig, args, types, &res, e)))
		return rc;
	va_start(ap, e);
	for (i = 0; *type && *type != ')'; i++, type += len + (type[len] == ',')) {
		len = strcspn(type, ",)");
		if (read_answer(abi_item(res, i), type, len, &ap)) {
			rc = ehr_fail(e, EHR_EINTEGRITY, "the registry answered %.*s with nonsense",
				      (int)strcspn(sig, "("), sig);
			break;
		}
	}
	va_end(ap);
	abi_free(res);
	return rc;
}

int registry_call_register(const uint8_t enc_key[32], const char *name, uint8_t role,
			   uint8_t **data, size_t *len, ehr_err *e)
{
	abi_value *args;
	int rc;

	if (strlen(name) > REG_NAME_MAX)
		return ehr_fail(e, EHR_EUSAGE, "the name is longer than %d bytes", REG_NAME_MAX);
	if (!(args = abi_tuple(3, abi_fixed_bytes(enc_key, 32), abi_string(name), abi_uint64(role))))
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	rc = abi_encode_call("register(bytes32,string,uint8)", args, data, len, e);
	abi_free(args);
	return rc;
}

/* accountOf's answer (ret_len bytes) into *out. */
static int account_decode(const uint8_t *ret, size_t ret_len, registry_account *out, ehr_err *e)
{
	abi_value *res = NULL;
	const uint8_t *key, *name;
	size_t name_len = 0;
	uint64_t role;

	memset(out, 0, sizeof(*out));
	if (abi_decode("(bytes32,string,uint8)", ret, ret_len, &res, NULL) ||
	    !(key = abi_get_bytes(abi_item(res, 0), NULL)) || !(name = abi_get_bytes(abi_item(res, 1), &name_len)) ||
	    abi_get_u64(abi_item(res, 2), &role) || role > 255) {
		abi_free(res);
		return ehr_fail(e, EHR_EINTEGRITY, "the registry answered accountOf with nonsense");
	}
	memcpy(out->enc_key, key, 32);
	out->role = (uint8_t)role;
	text_clean(out->name, sizeof(out->name), name, name_len, TEXT_ASCII);
	out->registered = role != 0;
	abi_free(res);
	return 0;
}

int registry_account_of(chain *c, const uint8_t registry[20], const uint8_t account[20],
			registry_account *out, ehr_err *e)
{
	abi_value *args = abi_tuple(1, abi_address(account));
	uint8_t *data = NULL, *ret = NULL;
	size_t len, ret_len = 0;
	char addr[43];
	int rc;

	memset(out, 0, sizeof(*out));
	rc = args ? abi_encode_call("accountOf(address)", args, &data, &len, e)
		  : ehr_fail(e, EHR_EFAIL, "out of memory");
	abi_free(args);
	if (!rc)
		rc = chain_call(c, registry, data, len, "latest", &ret, &ret_len, e);
	if (!rc && !ret_len) {
		eip55_format(registry, addr);
		rc = ehr_fail(e, EHR_EUSAGE, "there is no registry at %s on this chain "
			      "(deploy one with 'ehr deploy', or check --network and --registry)", addr);
	}
	if (!rc)
		rc = account_decode(ret, ret_len, out, e);
	free(data);
	free(ret);
	return rc;
}

int registry_accounts_of(chain *c, const uint8_t registry[20], const uint8_t (*accounts)[20], size_t n,
			 registry_account *out, int *ok, ehr_err *e)
{
	chain_call_req *calls = calloc(n ? n : 1, sizeof(*calls));
	uint8_t **data = calloc(n ? n : 1, sizeof(*data));
	size_t i, len;
	int rc = 0;

	if (!calls || !data)
		rc = ehr_fail(e, EHR_EFAIL, "out of memory");
	for (i = 0; i < n && !rc; i++) {
		abi_value *args = abi_tuple(1, abi_address(accounts[i]));

		rc = args ? abi_encode_call("accountOf(address)", args, &data[i], &len, e)
			  : ehr_fail(e, EHR_EFAIL, "out of memory");
		abi_free(args);
		calls[i].to = registry;
		calls[i].data = data[i];
		calls[i].len = len;
	}
	if (!rc && n)
		rc = chain_call_many(c, calls, n, "latest", e);
	for (i = 0; !rc && i < n; i++)
		ok[i] = !calls[i].status && !account_decode(calls[i].ret, calls[i].ret_len, &out[i], NULL);
	for (i = 0; calls && data && i < n; i++) {
		free(calls[i].ret);
		free(data[i]);
	}
	free(calls);
	free(data);
	return rc;
}

#define NEW_RECORD "(bytes32,uint64,string,bytes,bytes,bytes)"
#define CHUNK "(bytes32,uint32,uint32,bytes)"

static abi_value *record_value(const registry_record_in *r)
{
	return abi_tuple(6, abi_fixed_bytes(r->content_hash, 32), abi_uint64(r->size),
			 abi_string(r->locator), abi_bytes(r->patient_key, r->patient_key_len),
			 abi_bytes(r->author_key, r->author_key ? r->author_key_len : 0),
			 abi_bytes(r->meta, r->meta_len));
}

static abi_value *chunk_value(const registry_chunk *c)
{
	return abi_tuple(4, abi_fixed_bytes(c->content_hash, 32), abi_uint64(c->index),
			 abi_uint64(c->count), abi_bytes(c->data, c->len));
}

int registry_call_anchor(const uint8_t patient[20], uint64_t grant_id,
			 const registry_chunk *chunks, size_t nchunks,
			 const registry_record_in *rs, size_t nrecords,
			 uint8_t **data, size_t *len, ehr_err *e)
{
	abi_value *recs = abi_array_new(), *chs = abi_array_new(), *args = NULL;
	const char *sig;
	size_t i;
	int rc;

	for (i = 0; i < nrecords; i++)
		abi_push(recs, record_value(&rs[i]));
	for (i = 0; i < nchunks; i++)
		abi_push(chs, chunk_value(&chunks[i]));
	if (!nrecords) {
		sig = "storeChunks(" CHUNK "[])";
		args = abi_tuple(1, chs);
		abi_free(recs);
	} else if (!nchunks) {
		sig = "anchorRecords(address,uint256," NEW_RECORD "[])";
		args = abi_tuple(3, abi_address(patient), abi_uint64(grant_id), recs);
		abi_free(chs);
	} else {
		sig = "storeAndAnchor(address,uint256," CHUNK "[]," NEW_RECORD "[])";
		args = abi_tuple(4, abi_address(patient), abi_uint64(grant_id), chs, recs);
	}
	if (!args)
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	rc = abi_encode_call(sig, args, data, len, e);
	abi_free(args);
	return rc;
}

int registry_call_erase(uint64_t record_id, uint8_t **data, size_t *len, ehr_err *e)
{
	abi_value *args = abi_tuple(1, abi_uint64(record_id));
	int rc;

	if (!args)
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	rc = abi_encode_call("eraseRecord(uint256)", args, data, len, e);
	abi_free(args);
	return rc;
}

int registry_record_of(chain *c, const uint8_t registry[20], uint64_t record_id,
		       registry_record_state *out, ehr_err *e)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = registry_view_read(c, registry, "recordOf(uint256)", abi_tuple(1, abi_uint64(record_id)),
				     "(address,uint64,bool)", e, out->patient, &out->anchored_block,
				     &out->erased)))
		return rc;
	out->exists = memcmp(out->patient, (const uint8_t[20]){ 0 }, 20) != 0;
	return 0;
}

static const char *const event_sigs[REG_EV_COUNT] = {
	"KeyRegistered(address,bytes32,uint8,string)",
	"RecordAnchored(address,uint256,address,uint256,bytes32,uint64,string,bytes,bytes,bytes)",
	"RecordErased(address,uint256)",
	"ChunkStored(bytes32,address,uint32,uint32)",
	"GrantIssued(address,uint256,address,uint64,uint8,uint8,uint256[],bytes[])",
	"GrantKeysAdded(address,uint256,address,uint256[],bytes[])",
	"GrantRevoked(address,uint256,address)",
	"BearerRedeemed(address,uint256,address)",
	"AccessLogged(address,uint256,address,uint256[])",
	"InvoiceIssued(address,uint256,address,address,uint256,uint64,bytes)",
	"InvoicePaid(address,uint256,address,address,uint256)",
	"InvoiceCancelled(address,uint256,address)",
};

static uint8_t event_topics[REG_EV_COUNT][32];
static registry_events events = { event_sigs, REG_EV_COUNT, event_topics, 0 };

const char *registry_events_signature(const registry_events *t, size_t i)
{
	return i < t->count ? t->sigs[i] : NULL;
}

const uint8_t *registry_events_topic(registry_events *t, size_t i)
{
	size_t k;

	if (!t->ready) {
		for (k = 0; k < t->count; k++)
			abi_event_topic(t->sigs[k], t->topics[k], NULL);
		t->ready = 1;
	}
	return i < t->count ? t->topics[i] : NULL;
}

int registry_events_malformed(const registry_events *t, int kind, const chain_log *log, ehr_err *e)
{
	return ehr_fail(e, EHR_EINTEGRITY, "a %.40s event in block %llu does not parse",
			registry_events_signature(t, (size_t)kind), (unsigned long long)log->block_number);
}

int registry_events_match(registry_events *t, const chain_log *log, const uint8_t registry[20])
{
	size_t i;

	if (log->n_topics == 0 || memcmp(log->address, registry, 20))
		return -1;
	for (i = 0; i < t->count; i++)
		if (!memcmp(log->topics[0], registry_events_topic(t, i), 32))
			return (int)i;
	return -1;
}

const char *registry_event_signature(enum registry_event ev)
{
	return registry_events_signature(&events, (size_t)ev);
}

const uint8_t *registry_event_topic(enum registry_event ev)
{
	return registry_events_topic(&events, (size_t)ev);
}

int registry_event_of(const chain_log *log, const uint8_t registry[20])
{
	return registry_events_match(&events, log, registry);
}

int registry_topic_address(const uint8_t topic[32], uint8_t out[20])
{
	if (memcmp(topic, (const uint8_t[12]){ 0 }, 12))
		return -1;
	memcpy(out, topic + 12, 20);
	return 0;
}

int registry_topic_u64(const uint8_t topic[32], uint64_t *out)
{
	int i;

	if (memcmp(topic, (const uint8_t[24]){ 0 }, 24))
		return -1;
	for (*out = 0, i = 24; i < 32; i++)
		*out = *out << 8 | topic[i];
	return 0;
}

int registry_decode_record(const chain_log *log, registry_record *out, ehr_err *e)
{
	abi_value *v = NULL;
	const uint8_t *hash;
	const char *loc;
	size_t loc_len = 0, i;

	memset(out, 0, sizeof(*out));
	if (log->n_topics != 4 || registry_topic_address(log->topics[1], out->patient) ||
	    registry_topic_u64(log->topics[2], &out->id) || registry_topic_address(log->topics[3], out->author))
		goto bad;
	if (abi_decode("(uint256,bytes32,uint64,string,bytes,bytes,bytes)", log->data, log->data_len,
		       &v, NULL))
		goto bad;
	hash = abi_get_bytes(abi_item(v, 1), NULL);
	loc = (const char *)abi_get_bytes(abi_item(v, 3), &loc_len);
	out->patient_key = abi_get_bytes(abi_item(v, 4), &out->patient_key_len);
	out->author_key = abi_get_bytes(abi_item(v, 5), &out->author_key_len);
	out->meta = abi_get_bytes(abi_item(v, 6), &out->meta_len);
	if (abi_get_u64(abi_item(v, 0), &out->grant_id) || !hash ||
	    abi_get_u64(abi_item(v, 2), &out->size) || !loc || loc_len >= sizeof(out->locator) ||
	    !out->patient_key || !out->author_key || !out->meta)
		goto bad;
	for (i = 0; i < loc_len; i++)
		if (loc[i] < 32 || loc[i] > 126)
			goto bad;
	memcpy(out->locator, loc, loc_len);
	memcpy(out->content_hash, hash, 32);
	out->block = log->block_number;
	memcpy(out->tx_hash, log->tx_hash, 32);
	out->owner = v;
	return 0;
bad:
	abi_free(v);
	return ehr_fail(e, EHR_EINTEGRITY, "a RecordAnchored event in block %llu does not parse",
			(unsigned long long)log->block_number);
}

/* ---- every event ----------------------------------------------------------- */

int registry_ids_of(const abi_value *arr, uint64_t **ids, size_t *n)
{
	size_t i, count = abi_count(arr);

	*ids = NULL;
	*n = 0;
	if (!arr || abi_kind_of(arr) != ABI_ARRAY)
		return -1;
	if (count && !(*ids = calloc(count, sizeof(**ids))))
		return -1;
	for (i = 0; i < count; i++)
		if (abi_get_u64(abi_item(arr, i), &(*ids)[i]))
			return -1;
	*n = count;
	return 0;
}

static int ids_of(const abi_value *arr, registry_event_data *out)
{
	return registry_ids_of(arr, &out->record_ids, &out->n_ids);
}

void registry_event_free(registry_event_data *ev)
{
	free(ev->record_ids);
	ev->record_ids = NULL;
	abi_free(ev->owner);
	ev->owner = NULL;
	abi_free(ev->record.owner);
	ev->record.owner = NULL;
}

int registry_decode_event(const chain_log *log, const uint8_t registry[20],
			  registry_event_data *out, ehr_err *e)
{
	abi_value *v = NULL;
	const uint8_t *p;
	size_t len;
	int kind = registry_event_of(log, registry);

	memset(out, 0, sizeof(*out));
	if (kind < 0)
		return ehr_fail(e, EHR_EINTEGRITY, "not a registry event");
	out->kind = (enum registry_event)kind;
	out->block = log->block_number;
	out->log_index = log->log_index;
	memcpy(out->tx_hash, log->tx_hash, 32);
	if (kind == REG_EV_RECORD_ANCHORED) {
		if (registry_decode_record(log, &out->record, e))
			return e ? e->status : EHR_EINTEGRITY;
		memcpy(out->patient, out->record.patient, 20);
		memcpy(out->party, out->record.author, 20);
		out->id = out->record.id;
		return 0;
	}
	/* topics: [1] an address (the hash for ChunkStored), [2] an id (the
	 * sender for ChunkStored), [3] an address */
	if (kind == REG_EV_CHUNK_STORED) {
		if (log->n_topics != 3 || registry_topic_address(log->topics[2], out->patient))
			goto bad;
	} else {
		if (log->n_topics < 2 || registry_topic_address(log->topics[1], out->patient) ||
		    (log->n_topics > 2 && registry_topic_u64(log->topics[2], &out->id)) ||
		    (log->n_topics > 3 && registry_topic_address(log->topics[3], out->party)))
			goto bad;
	}
	switch (kind) {
	case REG_EV_KEY_REGISTERED:
		if (log->n_topics != 2 || abi_decode("(bytes32,uint8,string)", log->data, log->data_len, &v, NULL) ||
		    !(p = abi_get_bytes(abi_item(v, 0), NULL)))
			goto bad;
		memcpy(out->enc_key, p, 32);
		{
			uint64_t role;
			const uint8_t *name = abi_get_bytes(abi_item(v, 2), &len);

			if (abi_get_u64(abi_item(v, 1), &role) || !name)
				goto bad;
			out->role = (uint8_t)role;
			text_clean(out->name, sizeof(out->name), name, len, TEXT_ASCII);
		}
		break;
	case REG_EV_GRANT_ISSUED: {
		uint64_t flags, purpose;

		/* no keys at all: a grant that authorises only */
		if (log->n_topics != 4 ||
		    abi_decode("(uint64,uint8,uint8,uint256[],bytes[])", log->data, log->data_len, &v, NULL) ||
		    abi_get_u64(abi_item(v, 0), &out->expiry) || abi_get_u64(abi_item(v, 1), &flags) ||
		    abi_get_u64(abi_item(v, 2), &purpose) || ids_of(abi_item(v, 3), out) ||
		    (abi_count(abi_item(v, 4)) != out->n_ids && abi_count(abi_item(v, 4)) != 0))
			goto bad;
		out->flags = (uint8_t)flags;
		out->purpose = (uint8_t)purpose;
		break;
	}
	case REG_EV_GRANT_KEYS_ADDED:
		if (log->n_topics != 4 || abi_decode("(uint256[],bytes[])", log->data, log->data_len, &v, NULL) ||
		    ids_of(abi_item(v, 0), out) ||
		    (abi_count(abi_item(v, 1)) != out->n_ids && abi_count(abi_item(v, 1)) != 0))
			goto bad;
		break;
	case REG_EV_ACCESS_LOGGED:
		if (log->n_topics != 4 || abi_decode("(uint256[])", log->data, log->data_len, &v, NULL) ||
		    ids_of(abi_item(v, 0), out))
			goto bad;
		break;
	case REG_EV_INVOICE_ISSUED:
		if (log->n_topics != 4 ||
		    abi_decode("(address,uint256,uint64,bytes)", log->data, log->data_len, &v, NULL) ||
		    !(p = abi_get_address(abi_item(v, 0))) || abi_get_uint(abi_item(v, 1), &out->amount) ||
		    abi_get_u64(abi_item(v, 2), &out->due) ||
		    !(out->memo = abi_get_bytes(abi_item(v, 3), &out->memo_len)))
			goto bad;
		memcpy(out->token, p, 20);
		break;
	case REG_EV_INVOICE_PAID:
		if (log->n_topics != 4 || abi_decode("(address,uint256)", log->data, log->data_len, &v, NULL) ||
		    !(p = abi_get_address(abi_item(v, 0))) || abi_get_uint(abi_item(v, 1), &out->amount))
			goto bad;
		memcpy(out->token, p, 20);
		break;
	case REG_EV_RECORD_ERASED:
		if (log->n_topics != 3)
			goto bad;
		break;
	default:  /* GrantRevoked, BearerRedeemed, InvoiceCancelled, ChunkStored */
		break;
	}
	out->owner = v;
	return 0;
bad:
	abi_free(v);
	registry_event_free(out);
	return registry_events_malformed(&events, kind, log, e);
}

const uint8_t *registry_event_sealed_key(const registry_event_data *ev, size_t i, size_t *len)
{
	size_t col = ev->kind == REG_EV_GRANT_ISSUED ? 4 : 1;

	if (ev->kind != REG_EV_GRANT_ISSUED && ev->kind != REG_EV_GRANT_KEYS_ADDED)
		return NULL;
	return abi_get_bytes(abi_item(abi_item(ev->owner, col), i), len);
}

/* ---- grants ---------------------------------------------------------------- */

abi_value *registry_id_array(const uint64_t *ids, size_t n)
{
	abi_value *a = abi_array_new();
	size_t i;

	for (i = 0; a && i < n; i++)
		abi_push(a, abi_uint64(ids[i]));
	return a;
}

abi_value *registry_key_array(const uint8_t *const *keys, size_t len, size_t n)
{
	abi_value *a = abi_array_new();
	size_t i;

	for (i = 0; a && i < n; i++)
		abi_push(a, abi_bytes(keys[i], len));
	return a;
}

int registry_encode(const char *sig, abi_value *args, uint8_t **data, size_t *len, ehr_err *e)
{
	int rc;

	if (!args)
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	rc = abi_encode_call(sig, args, data, len, e);
	abi_free(args);
	return rc;
}

int registry_encode_keyed(const char *sig, uint64_t id, const uint64_t *record_ids,
			  const uint8_t *const *sealed, size_t sealed_len, size_t n,
			  uint8_t **data, size_t *len, ehr_err *e)
{
	return registry_encode(sig, abi_tuple(3, abi_uint64(id), registry_id_array(record_ids, n),
					      registry_key_array(sealed, sealed_len, sealed ? n : 0)),
			       data, len, e);
}

int registry_call_grant(const uint8_t grantee[20], uint64_t expiry, uint8_t flags,
			const uint64_t *record_ids, const uint8_t *const *sealed_keys,
			size_t sealed_len, size_t n, uint8_t **data, size_t *len, ehr_err *e)
{
	return registry_encode("grant(address,uint64,uint8,uint256[],bytes[])",
		      abi_tuple(5, abi_address(grantee), abi_uint64(expiry), abi_uint64(flags),
				registry_id_array(record_ids, n), registry_key_array(sealed_keys, sealed_len, n)),
		      data, len, e);
}

int registry_call_add_grant_keys(uint64_t grant_id, const uint64_t *record_ids,
				 const uint8_t *const *sealed_keys, size_t sealed_len, size_t n,
				 uint8_t **data, size_t *len, ehr_err *e)
{
	return registry_encode_keyed("addGrantKeys(uint256,uint256[],bytes[])", grant_id, record_ids,
				     sealed_keys, sealed_len, n, data, len, e);
}

int registry_call_revoke(uint64_t grant_id, uint8_t **data, size_t *len, ehr_err *e)
{
	return registry_encode("revoke(uint256)", abi_tuple(1, abi_uint64(grant_id)), data, len, e);
}

int registry_call_redeem(uint64_t grant_id, const uint8_t sig[65], uint8_t **data, size_t *len,
			 ehr_err *e)
{
	return registry_encode("redeemBearer(uint256,bytes)", abi_tuple(2, abi_uint64(grant_id), abi_bytes(sig, 65)),
		      data, len, e);
}

int registry_call_log_access(uint64_t grant_id, const uint64_t *record_ids, size_t n,
			     uint8_t **data, size_t *len, ehr_err *e)
{
	return registry_encode("logAccess(uint256,uint256[])",
		      abi_tuple(2, abi_uint64(grant_id), registry_id_array(record_ids, n)), data, len, e);
}

int registry_grant_of(chain *c, const uint8_t registry[20], uint64_t grant_id,
		      registry_grant *out, ehr_err *e)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = registry_view_read(c, registry, "grantOf(uint256)", abi_tuple(1, abi_uint64(grant_id)),
				     "(address,address,uint64,uint8,uint64,address)", e, out->patient,
				     out->grantee, &out->expiry, &out->flags, &out->issued_block, out->redeemer)) ||
	    (rc = registry_view_read(c, registry, "isActive(uint256)", abi_tuple(1, abi_uint64(grant_id)),
				     "(bool)", e, &out->active)))
		return rc;
	out->exists = memcmp(out->patient, (const uint8_t[20]){ 0 }, 20) != 0;
	return 0;
}

int registry_can_access(chain *c, const uint8_t registry[20], uint64_t grant_id,
			const uint8_t account[20], int *yes, ehr_err *e)
{
	return registry_view_read(c, registry, "canAccess(uint256,address)",
				  abi_tuple(2, abi_uint64(grant_id), abi_address(account)), "(bool)", e, yes);
}

int registry_redeem_digest(chain *c, const uint8_t registry[20], uint64_t grant_id,
			   const uint8_t redeemer[20], uint8_t digest[32], ehr_err *e)
{
	return registry_view_read(c, registry, "redeemDigest(uint256,address)",
				  abi_tuple(2, abi_uint64(grant_id), abi_address(redeemer)), "(bytes32)", e, digest);
}
