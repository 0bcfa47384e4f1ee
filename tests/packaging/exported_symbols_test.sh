#!/bin/sh
# libeddy's ABI surface: the SONAME is libeddy.so.1 and every exported
# (defined, dynamic) symbol is in namespace eddy, versioned EDDY_1 -- no
# Abseil, libstdc++ template instantiations, liburing or private helpers
# (sdk/libeddy.map says why). Lists what it checked.
#   exported_symbols_test.sh PATH/TO/libeddy.so.1
set -eu
lib=$1
fail() { echo "exported_symbols: FAIL: $*" >&2; exit 1; }
[ -f "$lib" ] || fail "no library at $lib"
command -v nm >/dev/null || fail "nm (binutils) is not installed"

soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "libeddy.so.1" ] || fail "SONAME of $lib is '$soname', not libeddy.so.1"
echo "exported_symbols: $lib: SONAME $soname"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# "NAME@@VERSION" for every defined dynamic symbol.
nm -D --defined-only --with-symbol-versions "$lib" | awk '{print $NF}' >"$tmp/all"
total=$(wc -l <"$tmp/all")
[ "$total" -gt 0 ] || fail "$lib exports nothing"

# The version node itself (EDDY_1, an absolute symbol) is the one exception.
grep -Ev '^EDDY_1(@@EDDY_1)?$' "$tmp/all" >"$tmp/syms" || true
unversioned=$(grep -v '@@EDDY_1$' "$tmp/syms" || true)
[ -z "$unversioned" ] || fail "symbols not versioned EDDY_1:
$(echo "$unversioned" | head -n 20)"

# The allowed forms, as mangled names: nested names in eddy (functions,
# variables, const/ref-qualified members), and vtable, typeinfo, typeinfo
# name, VTT, thunks, guard variables, TLS wrappers and local statics of eddy
# entities.
allowed='^_Z(N[KVOR]*4eddy|T[VIST]N4eddy|Th[n0-9]*_N[KVOR]*4eddy|Tv[n0-9_]*N[KVOR]*4eddy|GVZ?N[KVOR]*4eddy|ZN[KVOR]*4eddy|T[HW]N4eddy)'
sed 's/@@EDDY_1$//' "$tmp/syms" >"$tmp/names"
grep -Ev "$allowed" "$tmp/names" >"$tmp/bad" || true
if [ -s "$tmp/bad" ]; then
  echo "exported_symbols: symbols outside namespace eddy:" >&2
  head -n 40 "$tmp/bad" | c++filt | sed 's/^/  /' >&2
  fail "$(wc -l <"$tmp/bad") of $total exported symbols are not eddy's"
fi
# Say it in plain words too: nothing of Abseil, liburing or libstdc++ itself.
c++filt <"$tmp/names" >"$tmp/demangled"
if grep -E '^(absl::|std::|io_uring|__io_uring|uv_|event_)' "$tmp/demangled" >"$tmp/leak"; then
  fail "leaked: $(head -n 5 "$tmp/leak")"
fi
# And the API is really there.
for want in 'eddy::available_backends()' 'eddy::EventLoop::EventLoop('; do
  grep -qF "$want" "$tmp/demangled" || fail "$want is not exported"
done
echo "exported_symbols: $total symbols, all in namespace eddy and versioned EDDY_1:"
sed -E 's/^(typeinfo name for|typeinfo for|vtable for|VTT for|guard variable for|non-virtual thunk to|virtual thunk to|TLS init function for|TLS wrapper function for) //' \
  "$tmp/demangled" | sed -E 's/^(eddy::[A-Za-z_]+).*/\1/' | sort | uniq -c | sort -rn | head -n 15 \
  | sed 's/^/  /'
echo "exported_symbols: OK"
