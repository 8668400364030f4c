# shellcheck shell=sh disable=SC2016 # commands are expanded by eval, at run time
# Sealing and opening 1 GiB of random bytes (read from the page cache,
# written to /dev/null) with peak RSS; the sealed copies to open are each
# checked once against the input before timing.
# - ehr: the envelope (wallet/vault/envelope.c) through tests/tools/seal_bench:
#   secretstream in 64 KiB chunks, the metadata message, SHA-256 of the
#   whole envelope (the content hash); opening checks every tag and the hash.
# - a plain libsodium secretstream loop, the same cipher and chunk size and
#   nothing else (no hash, no metadata): `seal_bench bare` seals; opening is a
#   pull loop compiled here, the mirror of that push loop.
# - age (the Debian package), to an X25519 recipient from age-keygen.
# Each operation runs once per side untimed, then 3 times alternating
# ehr, libsodium, age, ehr, ...
seal_bin=${EHR_SEAL_BENCH:-$BENCH_ROOT/build/tests/tools/seal_bench}
seal_runs=3
seal_mib=1024

seal_skip() {
	note "seal: skipped: $*"
	echo "bench: seal: skipped: $*" >&2
}

# seal_round FILE COMMAND...: one timed run of each COMMAND, appended to
# FILE.1, FILE.2... (measure_once, so a failing run stops the bench)
seal_round() {
	_f=$1
	shift
	_k=1
	for _cmd in "$@"; do
		measure_once "$BENCH_TMP/$_f.$_k" "$_cmd"
		_k=$((_k + 1))
	done
}

# seal_alternate OPERATION EHR LIBSODIUM AGE: warm-up, then alternating runs;
# the ehr runs are the ehr side of both rows OPERATION_bare and OPERATION_age
seal_alternate() {
	_op=$1
	shift
	: > "$BENCH_TMP/$_op.1"
	: > "$BENCH_TMP/$_op.2"
	: > "$BENCH_TMP/$_op.3"
	for _cmd in "$@"; do
		measure_once "$BENCH_TMP/warm" "$_cmd"
	done
	_r=0
	while [ $_r -lt $seal_runs ]; do
		seal_round "$_op" "$@"
		_r=$((_r + 1))
	done
	cp "$BENCH_TMP/$_op.1" "$BENCH_TMP/${_op}_bare.ehr"
	cp "$BENCH_TMP/$_op.2" "$BENCH_TMP/${_op}_bare.peer"
	cp "$BENCH_TMP/$_op.1" "$BENCH_TMP/${_op}_age.ehr"
	cp "$BENCH_TMP/$_op.3" "$BENCH_TMP/${_op}_age.peer"
}

# seal_rate FILE: MiB/s of the median run
seal_rate() {
	awk -v s="$(stat_of "$1" median)" -v m=$seal_mib 'BEGIN { printf "%.0f", m / s }'
}

seal_avail=$(df -Pk "$BENCH_TMP" | awk 'NR == 2 { print $4 }')
if [ ! -x "$seal_bin" ]; then
	seal_skip "$seal_bin is not built (make build/tests/tools/seal_bench)"
elif ! command -v age > /dev/null || ! command -v age-keygen > /dev/null; then
	seal_skip "age is not installed (Debian package age)"
elif [ "${seal_avail:-0}" -lt $((5 * 1024 * 1024)) ]; then
	seal_skip "less than 5 GiB free in $BENCH_TMP (the input and three sealed copies)"
else
	cat > "$BENCH_TMP/seal-pull.c" << 'EOF'
/* The plain libsodium loop, both ways, 64 KiB chunks, as seal_bench's bare
 * mode seals: push KEYFILE IN OUT writes a fresh key to KEYFILE; pull
 * KEYFILE IN OUT opens, refusing a bad tag, a missing final tag or trailing
 * bytes. */
#include <stdio.h>
#include <string.h>
#include <sodium.h>

#define CHUNK 65536
#define ABYTES crypto_secretstream_xchacha20poly1305_ABYTES

static unsigned char pt[CHUNK], ct[CHUNK + ABYTES];

int main(int argc, char **argv)
{
	crypto_secretstream_xchacha20poly1305_state st;
	unsigned char key[crypto_secretstream_xchacha20poly1305_KEYBYTES];
	unsigned char hdr[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
	unsigned char tag = 0;
	unsigned long long n;
	FILE *k, *in, *out;
	size_t got;

	if (argc != 5 || sodium_init() < 0 || !(in = fopen(argv[3], "rb")) || !(out = fopen(argv[4], "wb")))
		return 2;
	if (!strcmp(argv[1], "push")) {
		crypto_secretstream_xchacha20poly1305_keygen(key);
		if (!(k = fopen(argv[2], "wb")) || fwrite(key, sizeof(key), 1, k) != 1 || fclose(k))
			return 1;
		crypto_secretstream_xchacha20poly1305_init_push(&st, hdr, key);
		fwrite(hdr, sizeof(hdr), 1, out);
		do {
			got = fread(pt, 1, CHUNK, in);
			tag = got < CHUNK ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0;
			crypto_secretstream_xchacha20poly1305_push(&st, ct, &n, pt, got, NULL, 0, tag);
			if (fwrite(ct, 1, n, out) != n)
				return 1;
		} while (got == CHUNK);
	} else {
		if (!(k = fopen(argv[2], "rb")) || fread(key, sizeof(key), 1, k) != 1 ||
		    fread(hdr, sizeof(hdr), 1, in) != 1 ||
		    crypto_secretstream_xchacha20poly1305_init_pull(&st, hdr, key))
			return 1;
		while (tag != crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
			got = fread(ct, 1, sizeof(ct), in);
			if (got < ABYTES ||
			    crypto_secretstream_xchacha20poly1305_pull(&st, pt, &n, &tag, ct, got, NULL, 0) ||
			    fwrite(pt, 1, n, out) != n)
				return 1;
			if (got < sizeof(ct) && tag != crypto_secretstream_xchacha20poly1305_TAG_FINAL)
				return 1;
		}
		if (fgetc(in) != EOF)
			return 1;
	}
	return fclose(out) ? 1 : 0;
}
EOF
	# shellcheck disable=SC2046 # pkg-config's words
	${CC:-cc} -O2 -o "$BENCH_TMP/seal-pull" "$BENCH_TMP/seal-pull.c" $(pkg-config --cflags --libs libsodium) ||
		die "cannot build the libsodium loop"
	age-keygen -o "$BENCH_TMP/age-key" 2> /dev/null || die "age-keygen failed"
	seal_recipient=$(age-keygen -y "$BENCH_TMP/age-key")

	seal_t0=$(date +%s.%N)
	# AES-CTR over zeros under a random key: random enough for a cipher, and
	# faster to make than from /dev/urandom
	seal_k=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
	if command -v openssl > /dev/null; then
		openssl enc -aes-128-ctr -nosalt -K "$seal_k" -iv 00000000000000000000000000000000 \
			< /dev/zero 2> /dev/null | head -c $((seal_mib << 20)) > "$BENCH_TMP/seal-in"
	else
		head -c $((seal_mib << 20)) /dev/urandom > "$BENCH_TMP/seal-in"
	fi
	[ "$(wc -c < "$BENCH_TMP/seal-in")" -eq $((seal_mib << 20)) ] || die "cannot write 1 GiB"
	seal_t1=$(date +%s.%N)
	# the sealed copies to open, each checked once against the input
	EHR_BENCH_KEY=$("$seal_bin" seal "$BENCH_TMP/seal-in" "$BENCH_TMP/seal-in.ehr" | sed -n 's/^key //p')
	[ -n "$EHR_BENCH_KEY" ] || die "seal_bench seal failed"
	export EHR_BENCH_KEY
	"$BENCH_TMP/seal-pull" push "$BENCH_TMP/seal-key" "$BENCH_TMP/seal-in" "$BENCH_TMP/seal-in.bare" ||
		die "the libsodium push loop failed"
	age -r "$seal_recipient" -o "$BENCH_TMP/seal-in.age" "$BENCH_TMP/seal-in" || die "age failed"
	# seal_same COMMAND...: COMMAND's output file (the fifo) equals the input
	seal_same() {
		cmp -s "$BENCH_TMP/seal-fifo" "$BENCH_TMP/seal-in" &
		_cmp=$!
		"$@" "$BENCH_TMP/seal-fifo" > /dev/null
		_rc=$?
		wait $_cmp && [ $_rc = 0 ]
	}
	mkfifo "$BENCH_TMP/seal-fifo" || die "mkfifo failed"
	seal_same "$seal_bin" open "$BENCH_TMP/seal-in.ehr" ||
		die "the ehr envelope does not open to its input"
	seal_same "$BENCH_TMP/seal-pull" pull "$BENCH_TMP/seal-key" "$BENCH_TMP/seal-in.bare" ||
		die "the libsodium loop does not open to its input"
	seal_sizes="envelope $(wc -c < "$BENCH_TMP/seal-in.ehr"), bare $(wc -c < "$BENCH_TMP/seal-in.bare"), age $(wc -c < "$BENCH_TMP/seal-in.age") bytes"

	seal_alternate seal \
		'"$seal_bin" seal "$BENCH_TMP/seal-in"' \
		'"$seal_bin" bare "$BENCH_TMP/seal-in"' \
		'age -r "$seal_recipient" -o /dev/null "$BENCH_TMP/seal-in"'
	seal_alternate open \
		'"$seal_bin" open "$BENCH_TMP/seal-in.ehr"' \
		'"$BENCH_TMP/seal-pull" pull "$BENCH_TMP/seal-key" "$BENCH_TMP/seal-in.bare" /dev/null' \
		'age -d -i "$BENCH_TMP/age-key" -o /dev/null "$BENCH_TMP/seal-in.age"'
	row "seal 1 GiB: ehr envelope (with SHA-256) | libsodium secretstream loop" seal_bare
	row "seal 1 GiB: ehr envelope (with SHA-256) | age -r (X25519)" seal_age
	row "open 1 GiB: ehr envelope (tags + SHA-256) | libsodium secretstream loop" open_bare
	row "open 1 GiB: ehr envelope (tags + SHA-256) | age -d" open_age
	note "seal/open MiB/s (medians): seal: ehr $(seal_rate "$BENCH_TMP/seal.1"), libsodium loop" \
		"$(seal_rate "$BENCH_TMP/seal.2"), age $(seal_rate "$BENCH_TMP/seal.3"); open: ehr" \
		"$(seal_rate "$BENCH_TMP/open.1"), libsodium loop $(seal_rate "$BENCH_TMP/open.2")," \
		"age $(seal_rate "$BENCH_TMP/open.3")."
	note "seal: input 1 GiB of AES-CTR keystream ($(awk -v a="$seal_t0" -v b="$seal_t1" 'BEGIN { printf "%.1f s", b - a }')" \
		"to make), read from the page cache, output /dev/null; sealed sizes: $seal_sizes;" \
		"$(age --version 2> /dev/null | sed 's/^/age /'), libsodium $(pkg-config --modversion libsodium)."
	rm -f "$BENCH_TMP/seal-in" "$BENCH_TMP/seal-in.ehr" "$BENCH_TMP/seal-in.bare" "$BENCH_TMP/seal-in.age"
fi
