/* The contacts file (wallet/registry/contacts.h contacts_parse), as it is
 * read from the disk: anything else than a book that follows every rule
 * of ehr-formats(5) is refused as damage with the book left empty; a book
 * that parses formats to text that parses to the same book, and formats
 * again to the same bytes. */
#include "fuzz.h"

#include "wallet/registry/contacts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = (char *)fuzz_copy(data, size), *out = NULL, *out2 = NULL;
	contacts b = { 0 }, again = { 0 };
	size_t len = 0, len2 = 0, i;
	ehr_err e;
	int st;

	st = contacts_parse(text, size, &b, &e);
	if (st) {
		fuzz_check_err(st, &e);
		FUZZ_ASSERT(st == EHR_EINTEGRITY);
		FUZZ_ASSERT(b.n == 0 && b.v == NULL);
		goto out;
	}
	FUZZ_ASSERT(b.n <= CONTACTS_MAX);
	for (i = 0; i < b.n; i++)
		FUZZ_ASSERT(contact_name_check(b.v[i].name, NULL) == 0);
	FUZZ_ASSERT(contacts_format(&b, &out, &len, &e) == 0);
	FUZZ_ASSERT(contacts_parse(out, len, &again, &e) == 0);
	FUZZ_ASSERT(again.n == b.n && (!b.n || !memcmp(again.v, b.v, b.n * sizeof(*b.v))));
	FUZZ_ASSERT(contacts_format(&again, &out2, &len2, &e) == 0);
	FUZZ_ASSERT(len2 == len && !memcmp(out, out2, len));
out:
	free(out);
	free(out2);
	contacts_clear(&b);
	contacts_clear(&again);
	free(text);
	return 0;
}

FUZZ_INIT_SODIUM()
