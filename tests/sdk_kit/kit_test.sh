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

echo "== eddy-conformance on the broken toy backend (must fail)"
if "$runner" "$tmp/eddy-backend-poll-broken.so" --gtest_filter='*ThreadsafeWakeup*' \
    > "$tmp/broken.log" 2>&1; then
  cat "$tmp/broken.log"; fail "eddy-conformance accepted a backend that loses wakeups"
fi
grep -q 'FAILED.*ThreadsafeWakeupTest' "$tmp/broken.log" \
  || { cat "$tmp/broken.log"; fail "the report does not name the failing test"; }
grep -q 'lost wakeup' "$tmp/broken.log" \
  || { cat "$tmp/broken.log"; fail "the report does not say what went wrong"; }
grep 'FAILED  \]' "$tmp/broken.log" | head -n 3

echo "== eddy-conformance on the early-timers toy backend (must fail)"
if "$runner" "$tmp/eddy-backend-poll-early.so" --gtest_filter='*Ordering*' \
    > "$tmp/early.log" 2>&1; then
  cat "$tmp/early.log"; fail "eddy-conformance accepted a backend whose timers fire early"
fi
grep -q 'FAILED.*NoTimerEverFiresBeforeItsDeadline' "$tmp/early.log" \
  || { cat "$tmp/early.log"; fail "the report does not name the failing test"; }
grep -q 'fired before their deadline' "$tmp/early.log" \
  || { cat "$tmp/early.log"; fail "the report does not say what went wrong"; }
grep 'FAILED  \]' "$tmp/early.log" | head -n 3
echo "kit_test: OK"
