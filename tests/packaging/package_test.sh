#!/bin/sh
# The Debian packages of `./dev deb` (docs/PACKAGING.md), end to end, without
# installing anything on this machine: each .deb is unpacked with `dpkg -x`
# into a throwaway root, an outside program is built with nothing but
# `pkg-config eddy` from that root, and run against it.
#   1. libeddy1 + libeddy-dev only: the program builds and runs on the
#      built-in epoll; uv, event and io_uring are reported unavailable, with
#      a reason ("not installed").
#   2. + eddy-backend-uv: uv loads from the root's plugin directory, which is
#      also the directory the packaged libeddy looks in once installed.
#   3. + the other backends and eddy-tools: each is listed, runs if it is
#      available here, eddy-info and eddy-bench run; eddy-conformance runs
#      part of the suite on the uv plugin.
# Also: what each package depends on, and libeddy.so.1's exported symbols.
# Exits 77 (skipped) when the packages are not built.
#   package_test.sh SOURCE_DIR [DEB_DIR]
set -eu
src=$1
debdir=${2:-${EDDY_DEB_DIR:-$src/build-deb}}
step() { echo "package_test: $*"; }
fail() { echo "package_test: FAIL: $*" >&2; exit 1; }

deb() {  # deb PACKAGE: the newest PACKAGE_*.deb in $debdir
  ls -t "$debdir"/"$1"_*.deb 2>/dev/null | head -n 1
}
if [ -z "$(deb libeddy1)" ]; then
  echo "package_test: SKIP: no Debian packages in $debdir (build them with ./dev deb)"
  exit 77
fi
for p in libeddy1 libeddy-dev eddy-backend-uv eddy-backend-event eddy-backend-io-uring eddy-tools; do
  [ -n "$(deb $p)" ] || fail "$debdir has libeddy1 but no ${p}_*.deb"
  step "$(basename "$(deb $p)")"
done

arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
host_plugins=/usr/lib/$arch/eddy/backends
if [ -e "$host_plugins/eddy-backend-uv.so" ]; then
  echo "package_test: SKIP: this machine has eddy-backend-uv installed ($host_plugins);"
  echo "package_test: the packaged libeddy would find it, so 'only libeddy1' cannot be tested here"
  exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
unpack() { dpkg -x "$(deb "$1")" "$root" || fail "dpkg -x $(deb "$1") failed"; }

# What each package depends on: a backend on its own library only.
depends() { dpkg-deb -f "$(deb "$1")" Depends; }
check_depends() {  # check_depends PACKAGE WANTED NOT...
  pkg=$1; want=$2; shift 2
  d=$(depends "$pkg")
  echo "$d" | grep -q "$want" || fail "$pkg does not depend on $want: $d"
  for no in "$@"; do
    if echo "$d" | grep -q "$no"; then fail "$pkg depends on $no: $d"; fi
  done
  step "$pkg depends on: $d"
}
check_depends eddy-backend-uv libuv1 libevent liburing libeddy
check_depends eddy-backend-event libevent libuv liburing libeddy
check_depends eddy-backend-io-uring liburing libuv libevent libeddy
check_depends libeddy1 libabsl libuv libevent liburing
check_depends libeddy-dev "libeddy1 (= "

# 1. libeddy1 + libeddy-dev.
unpack libeddy1
unpack libeddy-dev
libdir=$root/usr/lib/$arch
[ -e "$libdir/libeddy.so.1" ] || fail "libeddy1 has no usr/lib/$arch/libeddy.so.1"
sh "$src/tests/packaging/exported_symbols_test.sh" "$libdir/libeddy.so.1"

export PKG_CONFIG_PATH=$libdir/pkgconfig
flags=$(pkg-config --cflags --libs eddy) || fail "pkg-config --cflags --libs eddy fails in the unpacked root"
step "pkg-config eddy: $flags"
case $flags in *"$root"*) ;; *) fail "pkg-config's flags do not point into the unpacked root: $flags" ;; esac
app=$tmp/outside_app
${CXX:-g++} -std=c++20 "$src/tests/install/outside_app.cc" -o "$app" $flags \
  || fail "the outside program does not build with: $flags"
readelf -d "$app" | grep -q 'NEEDED.*\[libeddy\.so\.1\]' || fail "the outside program does not link libeddy.so.1"

export LD_LIBRARY_PATH=$libdir
unset EDDY_BACKEND EDDY_BACKEND_PATH || true
ldd "$app" | grep "libeddy.so.1 => $libdir/" >/dev/null || fail "the program does not load the root's libeddy: $(ldd "$app" | grep eddy)"
"$app" >"$tmp/run" || fail "the outside program fails with only libeddy1: $(cat "$tmp/run")"
step "only libeddy1: $(cat "$tmp/run")"
"$app" --status >"$tmp/status" || fail "outside_app --status failed"
sed 's/^/package_test:   /' "$tmp/status"
for b in uv event io_uring; do
  grep -q "^$b unavailable: not installed" "$tmp/status" \
    || fail "with only libeddy1, $b is not reported unavailable with a reason"
done
if EDDY_BACKEND=uv "$app" uv >"$tmp/uv" 2>&1; then fail "EDDY_BACKEND=uv ran with only libeddy1"; fi
grep -q "unavailable: not installed" "$tmp/uv" || fail "EDDY_BACKEND=uv without the plugin does not say why: $(cat "$tmp/uv")"
step "EDDY_BACKEND=uv, only libeddy1: $(grep -o "unavailable: not installed.*" "$tmp/uv" | head -n 1)"

# 2. + eddy-backend-uv: found without EDDY_BACKEND_PATH, beside the root's libeddy.
unpack eddy-backend-uv
"$app" --status >"$tmp/status" || fail "outside_app --status failed"
grep -q "^uv available $libdir/eddy/backends/eddy-backend-uv.so$" "$tmp/status" \
  || fail "with eddy-backend-uv, uv is not available from $libdir/eddy/backends: $(grep '^uv' "$tmp/status")"
EDDY_BACKEND=uv "$app" uv >"$tmp/run" || fail "the outside program fails on uv: $(cat "$tmp/run")"
step "with eddy-backend-uv: $(cat "$tmp/run")"
# Installed for real, libeddy looks in the directory it was configured with:
# the package must put its plugin there.
strings "$libdir/libeddy.so.1" | grep -qx "/usr/lib/$arch/eddy/backends" \
  || fail "the packaged libeddy does not look in /usr/lib/$arch/eddy/backends, where the plugins are"
step "the packaged libeddy looks in /usr/lib/$arch/eddy/backends, where eddy-backend-uv puts its plugin"

# 3. + the others and the tools.
unpack eddy-backend-event
unpack eddy-backend-io-uring
unpack eddy-tools
"$app" --status >"$tmp/status" || fail "outside_app --status failed"
sed 's/^/package_test:   /' "$tmp/status"
n=0
for b in uv event io_uring; do
  line=$(grep "^$b " "$tmp/status") || fail "$b is not listed once its package is unpacked"
  case $line in
    "$b available $libdir/eddy/backends/"*)
      EDDY_BACKEND=$b "$app" "$b" >/dev/null || fail "the outside program fails on $b"
      n=$((n + 1)) ;;
    *"not installed"*) fail "$b is 'not installed' although its package is unpacked: $line" ;;
    *) step "$b is unavailable here, with a reason: $line" ;;
  esac
done
step "the outside program ran on epoll and $n packaged plugins"
"$root/usr/bin/eddy-info" >"$tmp/info" || fail "eddy-info failed"
grep -q "^uv .*available" "$tmp/info" || fail "eddy-info does not list uv: $(cat "$tmp/info")"
"$root/usr/bin/eddy-bench" --list | grep -q "^backends: .*epoll" || fail "eddy-bench --list does not list epoll"
[ -x "$root/usr/libexec/eddy/eddy-echo-load" ] || fail "eddy-tools lacks usr/libexec/eddy/eddy-echo-load"
step "eddy-info, eddy-bench --list run"
"$root/usr/bin/eddy-conformance" "$libdir/eddy/backends/eddy-backend-uv.so" \
  --gtest_filter='*SmokeTest*:*OrderingTest*' >"$tmp/conf" 2>&1 \
  || { tail -n 30 "$tmp/conf" >&2; fail "eddy-conformance on the packaged uv plugin failed"; }
grep -Eq '^\[  PASSED  \] [1-9][0-9]* test' "$tmp/conf" || fail "eddy-conformance ran no test: $(tail -n 5 "$tmp/conf")"
step "eddy-conformance (libeddy-dev) on the packaged uv plugin: $(grep -E '^\[  PASSED  \]' "$tmp/conf")"
step "OK"
