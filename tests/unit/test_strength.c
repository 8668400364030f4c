/* keystore/strength: the passphrase estimate and its refusals. */
#include "tests/unit/tap.h"

#include "keystore/strength.h"

static int check(const char *pass, ehr_err *e)
{
	ehr_err_clear(e);
	return strength_check(pass, strlen(pass), e);
}

static void test_refused(void)
{
	static const char *const weak[] = {
		"a", "short pass", "aaaaaaaaaaaaaaaaaaaa", "abcdefghijklmnop", "123456789012",
		"password1234", "Password1234!", "qwertyuiop12", "acacacacacacacac",
		"passwordpassword", "12341234123412341234",
	};
	ehr_err e;
	size_t i;

	for (i = 0; i < sizeof(weak) / sizeof(weak[0]); i++) {
		int rc = check(weak[i], &e);

		CHECK(rc == EHR_EUSAGE, "'%s' accepted (%.1f bits)", weak[i],
		      strength_bits(weak[i], strlen(weak[i])));
		CHECK(rc != EHR_EUSAGE || strstr(e.msg, "would do"), "no advice: %s", e.msg);
	}
	CHECK(check("a", &e) == EHR_EUSAGE && strstr(e.msg, "too short") && strstr(e.msg, "12"),
	      "%s", e.msg);
	CHECK(check("password1234", &e) == EHR_EUSAGE && strstr(e.msg, "bits") &&
	      strstr(e.msg, "50") && !strstr(e.msg, "password1234"), "%s", e.msg);
}

static void test_accepted(void)
{
	static const char *const strong[] = {
		"correct horse battery staple", "patient demo passphrase", "k7#Qm2!vR9@x",
		"Tr0ub4dor&3 is long now", "l'hôpital à minuit, lundi",
	};
	ehr_err e;
	size_t i;

	for (i = 0; i < sizeof(strong) / sizeof(strong[0]); i++)
		CHECK(check(strong[i], &e) == 0, "'%s' refused: %s", strong[i], e.msg);
}

static void test_estimate(void)
{
	double repeat = strength_bits("aaaaaaaaaaaa", 12), random = strength_bits("k7#Qm2!vR9@x", 12);

	CHECK(repeat < 20, "%.1f", repeat);
	CHECK(random > 70, "%.1f", random);
	CHECK(strength_bits("", 0) == 0, "empty");
	CHECK(strength_bits("PASSWORD", 8) <= 4.0 + 1e-9, "a common word in capitals is still weak");
	/* Longer is never weaker. */
	CHECK(strength_bits("correct horse battery staple x", 30) >
	      strength_bits("correct horse battery staple", 28), "longer");
}

int main(void)
{
	test_refused();
	test_accepted();
	test_estimate();
	return tap_done();
}
