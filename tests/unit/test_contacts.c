/* The address book (wallet/registry/contacts.h) and key fingerprints
 * (wallet/keys/enckey.h): a known fingerprint (Python's hashlib.blake2b,
 * a second implementation), what parses formats back to the same bytes,
 * every rule of ehr-formats(5) refused as damage (exit status 6) with the
 * book left empty, names, and the file written 0600 and read back. */
#include "tests/unit/tap.h"

#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "wallet/keys/enckey.h"
#include "wallet/registry/contacts.h"

#define ADDR_A "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
#define ADDR_B "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
#define FP_A "581109b659c56297dec7ff65a0b786f3"

static void test_fingerprint(void)
{
	uint8_t pk[32], fp[ENCKEY_FP_BYTES], back[ENCKEY_FP_BYTES];
	char text[ENCKEY_FP_TEXT];
	size_t i;

	for (i = 0; i < 32; i++)
		pk[i] = (uint8_t)i;
	/* hashlib.blake2b(bytes(range(32)), digest_size=16, salt=bytes(16),
	 * person=b"ehr-keyfp-v1").hexdigest() */
	enckey_fingerprint(pk, fp);
	enckey_fingerprint_format(fp, text);
	CHECK_STR(text, "5811 09b6 59c5 6297 dec7 ff65 a0b7 86f3");
	CHECK(enckey_fingerprint_parse(text, back) == 0 && !memcmp(back, fp, sizeof(fp)), "reads back");
	CHECK(enckey_fingerprint_parse("5811-09B6-59C5-6297-DEC7-FF65-A0B7-86F3", back) == 0 &&
	      !memcmp(back, fp, sizeof(fp)), "dashes and capitals");
	CHECK(enckey_fingerprint_parse(FP_A, back) == 0 && !memcmp(back, fp, sizeof(fp)), "no separators");
	CHECK(enckey_fingerprint_parse("5811 09b6 59c5 6297 dec7 ff65 a0b7 86f", back) == -1, "31 digits");
	CHECK(enckey_fingerprint_parse("5811 09b6 59c5 6297 dec7 ff65 a0b7 86f30", back) == -1, "33 digits");
	CHECK(enckey_fingerprint_parse("5811 09b6 59c5 6297 dec7 ff65 a0b7 86fg", back) == -1, "not hex");
	CHECK(enckey_fingerprint_parse("", back) == -1, "empty");
	pk[0] ^= 1;
	enckey_fingerprint(pk, back);
	CHECK(memcmp(back, fp, sizeof(fp)), "another key, another fingerprint");
}

static void test_names(void)
{
	static const char *const good[] = { "Dr Doc", "St. Mary's ER", "Dr. M\xc3\xbcller", "a",
		"0 Lab", "\xe6\x9d\x8e\xe5\x8c\xbb\xe7\x94\x9f" };
	static const char *const bad[] = { "", " Doc", "Doc ", "0xDoc", "0XAB", "Dr\tDoc", "Dr\x7f",
		"Dr \xc2\x9b" "31m", "scan\xe2\x80\xae" "fdp", "a\xe2\x80\x8b" "b", "\xef\xbb\xbf" "Doc",
		"bad \xc3", "over \xc0\xaf", "surrogate \xed\xa0\x80",
		"12345678901234567890123456789012345678901234567890123456789012345" };
	ehr_err e;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK(contact_name_check(good[i], &e) == 0, "good name %zu: %s", i, e.msg);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(contact_name_check(bad[i], &e) == EHR_EUSAGE, "bad name %zu accepted", i);
}

static const char good_file[] =
	"{\"version\":1,\"contacts\":[{\"name\":\"Dr Doc\",\"address\":\"" ADDR_A "\",\"fingerprint\":\"" FP_A
	"\"},{\"name\":\"Lab\",\"address\":\"" ADDR_B "\"}]}";

static void test_parse_format(void)
{
	contacts b = { 0 }, again = { 0 };
	char *text = NULL, *text2 = NULL;
	size_t len = 0, len2 = 0;
	ehr_err e;

	CHECK(contacts_parse(good_file, strlen(good_file), &b, &e) == 0, "the example parses: %s", e.msg);
	CHECK(b.n == 2 && b.v[0].pinned && !b.v[1].pinned, "two contacts, the first pinned");
	CHECK(contacts_by_name(&b, "dr doc") == &b.v[0], "names match without letter case");
	CHECK(contacts_by_address(&b, b.v[1].address) == &b.v[1], "by address");
	CHECK(contacts_format(&b, &text, &len, &e) == 0 && text[len - 1] == '\n', "formats");
	CHECK(contacts_parse(text, len, &again, &e) == 0 && again.n == 2 &&
	      !memcmp(again.v, b.v, 2 * sizeof(*b.v)), "reads back the same");
	CHECK(contacts_format(&again, &text2, &len2, &e) == 0 && len2 == len && !memcmp(text, text2, len),
	      "and formats to the same bytes");
	{
		contact c = b.v[1];

		CHECK(contacts_add(&b, &c, &e) == EHR_EUSAGE, "the same name again is refused");
		snprintf(c.name, sizeof(c.name), "Other");
		CHECK(contacts_add(&b, &c, &e) == EHR_EUSAGE && strstr(e.msg, "'Lab'"), "the same address "
		      "again is refused, naming the contact: %s", e.msg);
		CHECK(contacts_remove(&b, "LAB", &e) == 0 && b.n == 1, "removed");
		CHECK(contacts_remove(&b, "Lab", &e) == EHR_EFAIL, "gone");
	}
	free(text);
	free(text2);
	contacts_clear(&b);
	contacts_clear(&again);
}

/* Each a file that breaks one rule. */
static void test_damage(void)
{
	static const char *const damaged[] = {
		"",
		"[]",
		"{\"version\":1}",
		"{\"contacts\":[]}",
		"{\"version\":2,\"contacts\":[]}",
		"{\"version\":\"1\",\"contacts\":[]}",
		"{\"version\":1,\"contacts\":{}}",
		"{\"version\":1,\"contacts\":[],\"extra\":0}",
		"{\"version\":1,\"version\":1,\"contacts\":[]}",
		"{\"version\":1,\"contacts\":[1]}",
		"{\"version\":1,\"contacts\":[{\"name\":\"A\"}]}",
		"{\"version\":1,\"contacts\":[{\"address\":\"" ADDR_A "\"}]}",
		"{\"version\":1,\"contacts\":[{\"name\":\"\",\"address\":\"" ADDR_A "\"}]}",
		"{\"version\":1,\"contacts\":[{\"name\":\"a\\u202eb\",\"address\":\"" ADDR_A "\"}]}",
		"{\"version\":1,\"contacts\":[{\"name\":\"A\",\"address\":\"0x70997970c51812dc3a010c7d01b50e0d17dc79C8\"}]}",
		"{\"version\":1,\"contacts\":[{\"name\":\"A\",\"address\":\"0x7099\"}]}",
		"{\"version\":1,\"contacts\":[{\"name\":\"A\",\"address\":\"" ADDR_A "\",\"fingerprint\":\"581109B659C56297DEC7FF65A0B786F3\"}]}",
		"{\"version\":1,\"contacts\":[{\"name\":\"A\",\"address\":\"" ADDR_A "\",\"fingerprint\":\"5811 09b6 59c5 6297 dec7 ff65 a0b7 86f3\"}]}",
		"{\"version\":1,\"contacts\":[{\"name\":\"A\",\"address\":\"" ADDR_A "\",\"fingerprint\":\"" FP_A "00\"}]}",
		"{\"version\":1,\"contacts\":[{\"name\":\"A\",\"address\":\"" ADDR_A "\",\"fingerprint\":null}]}",
		"{\"version\":1,\"contacts\":[{\"name\":\"A\",\"address\":\"" ADDR_A "\",\"note\":\"x\"}]}",
		"{\"version\":1,\"contacts\":[{\"name\":\"A\",\"name\":\"B\",\"address\":\"" ADDR_A "\"}]}",
		"{\"version\":1,\"contacts\":[{\"name\":\"A\",\"address\":\"" ADDR_A "\"},{\"name\":\"a\",\"address\":\"" ADDR_B "\"}]}",
		"{\"version\":1,\"contacts\":[{\"name\":\"A\",\"address\":\"" ADDR_A "\"},{\"name\":\"B\",\"address\":\"" ADDR_A "\"}]}",
		"{\"version\":1,\"contacts\":[{\"name\":\"A\",\"address\":\"" ADDR_A "\"}]",
	};
	size_t i;

	for (i = 0; i < sizeof(damaged) / sizeof(damaged[0]); i++) {
		contacts b = { 0 };
		ehr_err e = { 0 };

		CHECK(contacts_parse(damaged[i], strlen(damaged[i]), &b, &e) == EHR_EINTEGRITY && e.msg[0],
		      "damaged file %zu is refused as damage", i);
		CHECK(b.n == 0 && !b.v, "damaged file %zu leaves the book empty", i);
	}
}

static void test_file(void)
{
	char home[] = "/tmp/ehr-contacts-XXXXXX", path[300];
	contacts *b = NULL;
	contact c;
	struct stat st;
	ehr_err e;
	FILE *f;

	if (!mkdtemp(home)) {
		CHECK(0, "mkdtemp");
		return;
	}
	setenv("EHR_HOME", home, 1);
	snprintf(path, sizeof(path), "%s/contacts.json", home);
	CHECK(contacts_load(&b, &e) == 0 && b->n == 0, "no file: an empty book");
	memset(&c, 0, sizeof(c));
	strcpy(c.name, "Dr Doc");
	c.address[19] = 1;
	CHECK(contacts_add(b, &c, &e) == 0 && contacts_save(b, &e) == 0, "saved");
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "mode 0600");
	contacts_free(b);
	b = NULL;
	CHECK(contacts_load(&b, &e) == 0 && b->n == 1 && !strcmp(b->v[0].name, "Dr Doc"), "loaded back");
	contacts_free(b);
	b = NULL;
	if ((f = fopen(path, "w"))) {
		fputs("{\"version\":1,\"contacts\":[", f);
		fclose(f);
	}
	CHECK(contacts_load(&b, &e) == EHR_EINTEGRITY && strstr(e.msg, path) && strstr(e.msg, "damaged"),
	      "a cut file is damaged, naming it: %s", e.msg);
	CHECK(b == NULL, "and no book");
	unlink(path);
	rmdir(home);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_fingerprint();
	test_names();
	test_parse_format();
	test_damage();
	test_file();
	return tap_done();
}
