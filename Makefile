# ehr: a patient-controlled health-record wallet.
#   make            build build/ehr
#   make check      install what is missing, build, run every test
#   make demo       install, build, start a local node, walk through the product
#   make DEVELOPER=1   warnings are errors

PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
MANDIR      ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
DESTDIR     ?=

BUILD ?= build
CC    ?= cc
PKGS   = libsodium libsecp256k1 libcurl libcjson libqrencode libcrypto libpng zlib zbar
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

CFLAGS ?= -O2 -g
ifeq ($(DEVELOPER),1)
CFLAGS += -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wformat-security \
          -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith -Wvla \
          -Wimplicit-fallthrough -Wundef -Wcast-align -Wwrite-strings
endif
# Read when make reads this file: a make that installs the packages (make
# deps) cannot use them, so demo, check, devnet, bench and valgrind run deps
# first and build in a second make that reads the flags afresh.
PKG_CONFIG ?= pkg-config
PKG_CFLAGS  := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
# libcurl and libzbar are not linked: wallet/base/lazylib.c loads them on
# first use (with their 55 dependencies, they were most of the start-up).
LAZY_PKGS   = libcurl zbar
PKG_LIBS    := $(shell $(PKG_CONFIG) --libs $(filter-out $(LAZY_PKGS),$(PKGS)) 2>/dev/null)
PKG_MISSING := $(shell $(PKG_CONFIG) --exists $(PKGS) 2>/dev/null || echo yes)
ALL_CFLAGS  = -std=c11 -D_GNU_SOURCE -DEHR_VERSION='"$(VERSION)"' -I. -I$(BUILD)/gen \
              $(PKG_CFLAGS) $(CFLAGS) -MMD -MP
ALL_LDFLAGS = $(LDFLAGS)
LIBS        = $(PKG_LIBS) -ldl -lpthread -lm

LIB_SRC  := $(sort $(wildcard wallet/*/*.c keystore/*.c))
GEN_SRC  := $(BUILD)/gen/bip39_english.c
GEN_SRC  += $(BUILD)/gen/contracts.c
CLI_SRC  := $(sort $(wildcard cli/*.c commands/*.c))
TEST_SRC := $(sort $(wildcard tests/unit/test_*.c))

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o) $(GEN_SRC:.c=.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)

export EHR_VECTORS ?= $(abspath ../shared/vectors)
export EHR_BIN      = $(abspath $(BUILD)/ehr)
export EHR_TOOLS    = $(abspath tests/node_modules/.bin)

.PHONY: all deps check check-asan test unit e2e demo devnet clean install uninstall contracts bench fuzz \
	pkgcheck demo-run devnet-run bench-run valgrind-run
all: $(BUILD)/ehr

# Compiling without the libraries stops here with what to do, not at the
# first missing header.
pkgcheck:
	@if [ -n "$(PKG_MISSING)" ]; then \
		echo "ehr: the libraries are not installed (pkg-config cannot find: $(PKGS))." >&2; \
		echo "ehr: run 'make deps' first, or 'make demo' / 'make check', which run it." >&2; \
		exit 1; fi

$(BUILD)/ehr: $(CLI_OBJ) $(BUILD)/libehr.a
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libehr.a $(LIBS)

$(BUILD)/libehr.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/%.o: %.c | pkgcheck
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c | pkgcheck
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The BIP39 English wordlist, generated from Debian's python3-mnemonic and
# checked against the SHA-256 published with BIP39.
BIP39_WORDLIST ?= /usr/lib/python3/dist-packages/mnemonic/wordlist/english.txt
$(BUILD)/gen/bip39_english.c: wallet/keys/gen-wordlist.sh
	@mkdir -p $(dir $@)
	sh wallet/keys/gen-wordlist.sh $(BIP39_WORDLIST) > $@.tmp && mv $@.tmp $@

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libehr.a tests/unit/tap.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/libehr.a $(LIBS)

# EHR_DEPS: the installer (tests/e2e/fresh-build.sh puts a stub there).
EHR_DEPS ?= tests/deps.sh
deps:
	@sh $(EHR_DEPS)

test: all $(TEST_BIN)
	@sh tests/run $(TEST_BIN)

check: deps
	@$(MAKE) --no-print-directory test

check-asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan \
		CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
		LDFLAGS="-fsanitize=address,undefined" test

# EHR_DEMO: the walk-through (a stub in tests/e2e/fresh-build.sh).
EHR_DEMO ?= tests/demo.sh
demo: deps
	@$(MAKE) --no-print-directory demo-run
demo-run: all
	@sh $(EHR_DEMO)

devnet: deps
	@$(MAKE) --no-print-directory devnet-run
devnet-run: all
	@sh tests/devnet.sh

clean:
	rm -rf build build-asan build-fuzz

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	install -m 0755 $(BUILD)/ehr $(DESTDIR)$(BINDIR)/ehr
	install -m 0644 man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 man/*.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 completions/ehr.bash $(DESTDIR)$(BASHCOMPDIR)/ehr
	install -m 0644 completions/_ehr $(DESTDIR)$(ZSHCOMPDIR)/_ehr
	install -m 0644 completions/ehr.fish $(DESTDIR)$(FISHCOMPDIR)/ehr.fish

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/ehr $(DESTDIR)$(BASHCOMPDIR)/ehr \
		$(DESTDIR)$(ZSHCOMPDIR)/_ehr $(DESTDIR)$(FISHCOMPDIR)/ehr.fish
	for f in man/*.1; do rm -f $(DESTDIR)$(MANDIR)/man1/$${f#man/}; done
	for f in man/*.5; do rm -f $(DESTDIR)$(MANDIR)/man5/$${f#man/}; done

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)

# Small helper programs the tests use (a misbehaving node, say): one .c each.
TOOL_SRC := $(sort $(wildcard tests/tools/*.c))
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tests/tools/%)
test: $(TOOL_BIN)
$(BUILD)/tests/tools/%: tests/tools/%.c $(BUILD)/libehr.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/libehr.a $(LIBS)
$(BUILD)/tests/test_rpc: | $(BUILD)/tests/tools/badnode

# test_qr, test_table and the qrpng tool use cli/ objects, which are not in libehr.a: they link them too.
$(BUILD)/tests/test_qr: tests/unit/test_qr.c $(BUILD)/cli/qr.o $(BUILD)/libehr.a tests/unit/tap.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/cli/qr.o $(BUILD)/libehr.a $(LIBS)
$(BUILD)/tests/tools/qrpng: tests/tools/qrpng.c $(BUILD)/cli/qr.o $(BUILD)/libehr.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/cli/qr.o $(BUILD)/libehr.a $(LIBS)
$(BUILD)/tests/test_table: tests/unit/test_table.c $(BUILD)/cli/table.o $(BUILD)/libehr.a tests/unit/tap.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/cli/table.o $(BUILD)/libehr.a $(LIBS)

# The contracts: `make contracts` recompiles them with the pinned solc-js into
# contracts/artifacts/ (committed); the binary embeds the committed bytecode
# through a generated C file, so building ehr needs no node.
CONTRACT_ARTIFACTS := contracts/artifacts/Registry.json contracts/artifacts/TestToken.json
contracts:
	node contracts/compile.js
$(BUILD)/gen/contracts.c: contracts/gen-c.sh $(CONTRACT_ARTIFACTS)
	@mkdir -p $(dir $@)
	sh contracts/gen-c.sh contracts/artifacts > $@.tmp && mv $@.tmp $@
$(BUILD)/gen/contracts.o: contracts/contracts.h

# Benchmarks against peers (cast, ...), alternating runs; see bench/run.sh.
# Timings are printed, never asserted.
$(BUILD)/bench/measure: bench/measure.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ bench/measure.c
bench: deps
	@$(MAKE) --no-print-directory bench-run
bench-run: all $(BUILD)/bench/measure $(BUILD)/tests/tools/seal_bench
	@EHR_MEASURE=$(abspath $(BUILD)/bench/measure) \
		EHR_SEAL_BENCH=$(abspath $(BUILD)/tests/tools/seal_bench) sh bench/run.sh

# libFuzzer targets, one per parser (fuzz/fuzz_*.c; see fuzz/fuzz.h): built
# by clang with ASan and UBSan against a libehr of their own in build-fuzz/.
# `make fuzz FUZZ_SECONDS=N` runs each target N seconds from its committed
# seed corpus (fuzz/corpus/NAME/); `make fuzz-smoke` is the short pass for CI.
.PHONY: fuzz-build fuzz-targets fuzz-smoke
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_CFLAGS  ?= -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_SRC     := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_BIN     := $(FUZZ_SRC:fuzz/%.c=$(BUILD)/fuzz/%)
$(BUILD)/fuzz/%: fuzz/%.c fuzz/fuzz.h $(BUILD)/libehr.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $< $(BUILD)/libehr.a $(LIBS)
fuzz-targets: $(FUZZ_BIN)
-include $(FUZZ_BIN:=.d)
fuzz-build:
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=$(FUZZ_CC) \
		CFLAGS="$(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link" \
		LDFLAGS="-fsanitize=address,undefined" fuzz-targets
fuzz: fuzz-build
	@sh fuzz/run.sh build-fuzz/fuzz $(FUZZ_SECONDS)
fuzz-smoke:
	@sh fuzz/smoke.sh

# valgrind memcheck over the unit tests and a short end-to-end run of the
# binary against anvil (tests/valgrind.sh): no error, no definite leak.
.PHONY: valgrind
valgrind: deps
	@$(MAKE) --no-print-directory valgrind-run
valgrind-run: all $(TEST_BIN) $(TOOL_BIN)
	@sh tests/valgrind.sh $(TEST_BIN)
