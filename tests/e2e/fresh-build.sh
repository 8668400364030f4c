#!/bin/sh
# A fresh machine: make reads the pkg-config flags when it reads the
# Makefile, so a make that first installs the -dev packages must build in a
# second make. Proven without a fresh machine: a fake pkg-config that knows
# no package until a stub `make deps` has run, and a fake compiler that
# fails, as a missing cJSON.h would, when those flags are not on its line.
. "$(dirname "$0")/lib.sh"
unset MAKEFLAGS MFLAGS MAKELEVEL
F=$E2E_TMP/fresh
mkdir -p "$F/bin"
cat > "$F/bin/pkg-config" <<STUB
#!/bin/sh
[ -e "$F/installed" ] || exit 1
case "\$1" in
--cflags) echo "-I$F/include" ;;
--libs) echo "-lfakedeps" ;;
esac
exit 0
STUB
cat > "$F/bin/cc" <<STUB
#!/bin/sh
out=
while [ \$# -gt 0 ]; do
	case "\$1" in -o) out=\$2; shift ;; -I$F/include) seen=1 ;; esac
	shift
done
[ -n "\${seen:-}" ] || { echo "cli/submit.h:10: fatal error: cJSON.h: No such file or directory" >&2; exit 1; }
: > "\$out"
STUB
cat > "$F/bin/ar" <<STUB
#!/bin/sh
: > "\$2"
STUB
printf '#!/bin/sh\necho deps-stub; : > "%s/installed"\n' "$F" > "$F/deps.sh"
printf '#!/bin/sh\n[ -e "%s/build/ehr" ] && echo demo-stub-ran\n' "$F" > "$F/demo.sh"
chmod +x "$F/bin/"* "$F"/*.sh
fmake() {
	make -C "$E2E_ROOT" --no-print-directory BUILD="$F/build" PKG_CONFIG="$F/bin/pkg-config" \
		CC="$F/bin/cc" AR="$F/bin/ar" EHR_DEPS="$F/deps.sh" EHR_DEMO="$F/demo.sh" "$@"
}

# Before deps: a plain build stops at once and says what to do.
check_exit "make before deps fails" 2 fmake all
grep -q "run 'make deps' first" "$E2E_ERR" && ok "it says to run make deps" ||
	fail "no hint to run make deps: $(cat "$E2E_ERR")"
grep -q "cJSON.h" "$E2E_ERR" && fail "it reached the compiler" || ok "not at the first missing header"
[ -z "$(find "$F/build" -name '*.o' 2> /dev/null)" ] && [ ! -e "$F/build/ehr" ] &&
	ok "nothing compiled" || fail "objects were written before deps"

# make demo on the same "fresh machine": deps first, then a build that sees them.
check_exit "make demo on a fresh machine" 0 fmake demo
grep -q deps-stub "$E2E_OUT" && ok "deps ran" || fail "deps did not run"
grep -q demo-stub-ran "$E2E_OUT" && ok "the demo ran after the build" ||
	fail "demo did not run: $(cat "$E2E_OUT" "$E2E_ERR")"
[ -e "$F/build/ehr" ] && ok "ehr built with the flags of the installed packages" || fail "no ehr"
finish
