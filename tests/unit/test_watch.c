/* wallet/registry/watch.h without a node: the state file (round trip,
 * 0600, refusals of another account's or a damaged file) and the grants
 * about to expire (once each, not revoked ones, not expired ones). The
 * scans are tested against anvil in tests/e2e/watch.sh. */
#include "tap.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wallet/base/fileio.h"
#include "wallet/registry/watch.h"

static const uint8_t reg[20] = { 0x5f, 0xbd };
static const uint8_t me[20] = { 0x3c, 0x44 };
static const uint8_t other[20] = { 0x70, 0x99 };

static void test_state(const char *dir)
{
	char path[4096];
	watch_state st = { 12, 3, NULL, 0 }, back;
	uint64_t warned[2] = { 4, 9 };
	struct stat sb;
	bool found;
	ehr_err e = { 0 };

	snprintf(path, sizeof(path), "%s/watch.json", dir);
	CHECK(!watch_state_load(path, 31337, reg, me, &back, &found, &e) && !found, "no file: not found");
	st.warned = warned;
	st.n_warned = 2;
	CHECK(!watch_state_save(path, 31337, reg, me, &st, NULL, NULL, &e), "%s", e.msg);
	CHECK(!stat(path, &sb) && (sb.st_mode & 0777) == 0600, "the state file is 0600");
	CHECK(!watch_state_load(path, 31337, reg, me, &back, &found, &e) && found, "%s", e.msg);
	CHECK(back.block == 12 && back.log_index == 3 && back.n_warned == 2 && back.warned[1] == 9,
	      "the state comes back as written");
	watch_state_free(&back);
	CHECK(watch_state_load(path, 1, reg, me, &back, &found, &e) == EHR_EINTEGRITY && !found,
	      "another chain's state is refused");
	CHECK(watch_state_load(path, 31337, reg, other, &back, &found, &e) == EHR_EINTEGRITY,
	      "another account's state is refused");
	CHECK(!file_write_atomic(path, "{\"chain\":", 9, 0600, true, &e), "%s", e.msg);
	CHECK(watch_state_load(path, 31337, reg, me, &back, &found, &e) == EHR_EINTEGRITY && !back.warned,
	      "a damaged state is refused");
	unlink(path);
}

static void test_expiring(void)
{
	watch_grants gs = { 0 };
	watch_state st = { 0 };
	watch_event ev = { 0 }, *evs = NULL;
	size_t n = 0;
	ehr_err e = { 0 };
	uint64_t now = 1000000;

	ev.kind = WATCH_GRANT_ISSUED;
	ev.grant = 7;
	ev.expiry = now + 3600;                       /* within a day */
	memcpy(ev.patient, me, 20);
	memcpy(ev.party, other, 20);
	CHECK(!watch_grants_note(&gs, &ev, &e), "%s", e.msg);
	ev.grant = 3;
	ev.expiry = now + 2 * WATCH_EXPIRY_NOTICE_S;  /* not yet */
	CHECK(!watch_grants_note(&gs, &ev, &e), "%s", e.msg);
	ev.grant = 5;
	ev.expiry = now + 60;                         /* soon, but revoked */
	CHECK(!watch_grants_note(&gs, &ev, &e), "%s", e.msg);
	ev.kind = WATCH_GRANT_REVOKED;
	CHECK(!watch_grants_note(&gs, &ev, &e), "%s", e.msg);
	CHECK(gs.n == 3 && gs.v[0].id == 3 && gs.v[2].id == 7, "grants kept sorted by id");

	CHECK(!watch_expiring(&gs, &st, now, 40, &evs, &n, &e) && n == 1, "one grant expires within a day");
	CHECK(n == 1 && evs[0].kind == WATCH_GRANT_EXPIRING && evs[0].grant == 7 && evs[0].block == 40 &&
	      evs[0].log_index == WATCH_NO_LOG && !memcmp(evs[0].party, other, 20), "grant 7, at the head");
	watch_events_free(evs, n);
	CHECK(!watch_expiring(&gs, &st, now + 10, 41, &evs, &n, &e) && n == 0, "said once");
	CHECK(!watch_expiring(&gs, &st, now + WATCH_EXPIRY_NOTICE_S + 10, 50, &evs, &n, &e) && n == 1 &&
	      evs[0].grant == 3 && st.n_warned == 1, "grant 3 in its turn; grant 7, run out, is forgotten");
	watch_events_free(evs, n);
	CHECK(!strcmp(watch_kind_name(WATCH_GRANT_EXPIRING), "grant_expiring") &&
	      !strcmp(watch_kind_name(WATCH_ACCESS_REQUESTED), "access_requested"), "kind names");
	watch_state_free(&st);
	watch_grants_free(&gs);
}

int main(void)
{
	char dir[] = "/tmp/ehr-test-watch.XXXXXX";

	if (!mkdtemp(dir))
		return 1;
	test_state(dir);
	test_expiring();
	rmdir(dir);
	return tap_done();
}
