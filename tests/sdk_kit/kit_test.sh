#!/bin/sh
# The backend author's path, end to end: install eddy into a scratch DESTDIR,
# build the poll(2) toy backend from examples/backend-poll with nothing but
# the installed kit (pkg-config eddy-backend-sdk), run the installed
# eddy-conformance on it (must pass), then on two deliberately broken variants,
# one that loses wakeups and one whose timers fire early (each must fail,
# naming the failing test and saying what went wrong).
#   kit_test.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() { echo "kit_test: FAIL: $*" >&2; exit 1; }

DESTDIR="$tmp/root" meson install -C "$build" --no-rebuild --quiet >/dev/null \
  || fail "meson install into a DESTDIR failed"
pc=$(find "$tmp/root" -name eddy-backend-sdk.pc | head -n 1)
[ -n "$pc" ] || fail "eddy-backend-sdk.pc was not installed"
runner=$(find "$tmp/root" -type f -name eddy-conformance | head -n 1)
[ -n "$runner" ] || fail "eddy-conformance was not installed"
libdir=$(dirname "$(find "$tmp/root" -name 'libeddy.so*' | head -n 1)")

# The .pc files name the real prefix; the sysroot maps it into the DESTDIR.
export PKG_CONFIG_PATH=$(dirname "$pc")
export PKG_CONFIG_SYSROOT_DIR="$tmp/root"
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

"$src/examples/backend-poll/build.sh" "$tmp/eddy-backend-poll.so" >/dev/null \
  || fail "the toy backend does not build from the installed kit"
"$src/examples/backend-poll/build.sh" "$tmp/eddy-backend-poll-broken.so" -DEDDY_TOY_BROKEN >/dev/null \
  || fail "the broken toy backend does not build"
"$src/examples/backend-poll/build.sh" "$tmp/eddy-backend-poll-early.so" -DEDDY_TOY_EARLY_TIMERS >/dev/null \
  || fail "the early-timers toy backend does not build"

echo "== eddy-conformance on the toy backend (must pass)"
"$runner" "$tmp/eddy-backend-poll.so" > "$tmp/good.log" 2>&1 || {
  tail -n 40 "$tmp/good.log"; fail "eddy-conformance rejected the good toy backend"; }
tail -n 3 "$tmp/good.log"

# must_fail NAME PLUGIN FILTER TEST MESSAGE: eddy-conformance rejects PLUGIN,
# naming TEST and saying MESSAGE.
must_fail() {
  echo "== eddy-conformance on the $1 toy backend (must fail)"
  log="$tmp/$1.log"
  if "$runner" "$2" --gtest_filter="$3" > "$log" 2>&1; then
    cat "$log"; fail "eddy-conformance accepted the $1 toy backend"
  fi
  grep -q "FAILED.*$4" "$log" || { cat "$log"; fail "the report does not name $4"; }
  grep -q "$5" "$log" || { cat "$log"; fail "the report does not say '$5'"; }
  grep 'FAILED  \]' "$log" | head -n 3
}
must_fail broken "$tmp/eddy-backend-poll-broken.so" '*ThreadsafeWakeup*' \
  ThreadsafeWakeupTest 'lost wakeup'
must_fail early-timers "$tmp/eddy-backend-poll-early.so" '*Ordering*' \
  NoTimerEverFiresBeforeItsDeadline 'fired before their deadline'
echo "kit_test: OK"
