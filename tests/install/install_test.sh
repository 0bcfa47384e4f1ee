#!/bin/sh
# The install "done when" of issue 2, end to end: `meson install` into a
# scratch DESTDIR, then build an outside C++ program with nothing but
# `pkg-config --define-prefix --cflags --libs eddy`, and run it against the
# staged install, on the default backend and on every installed plugin found
# by name through EDDY_BACKEND_PATH.
#   install_test.sh BUILD_DIR SOURCE_DIR [SANITIZE]
# SANITIZE is meson's b_sanitize ("none", "address,undefined", ...): a
# sanitized libeddy needs a sanitized program.
set -eu
build=$1
src=$2
sanitize=${3:-none}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "install_test: FAIL: $*" >&2; exit 1; }
step() { echo "install_test: $*"; }

step "meson install -C $build into DESTDIR=$tmp/root"
DESTDIR="$tmp/root" meson install -C "$build" --no-rebuild --quiet >"$tmp/install.log" 2>&1 \
  || { cat "$tmp/install.log" >&2; fail "meson install into a DESTDIR failed (log above)"; }

pc=$(find "$tmp/root" -name eddy.pc | head -n 1)
[ -n "$pc" ] || fail "eddy.pc was not installed"
step "found $pc"
export PKG_CONFIG_PATH=$(dirname "$pc")
pcq() { pkg-config --define-prefix "$@" eddy; }

# eddy.pc must point into the staged tree, whatever pkg-config guesses.
libdir=$(pcq --variable=libdir) || fail "pkg-config --variable=libdir eddy failed"
includedir=$(pcq --variable=includedir) || fail "pkg-config --variable=includedir eddy failed"
plugindir=$(pcq --variable=plugindir) || fail "pkg-config --variable=plugindir eddy failed"
ls "$libdir"/libeddy.so* >/dev/null 2>&1 || fail "eddy.pc libdir=$libdir holds no libeddy.so"
[ -f "$includedir/eddy/event_loop.h" ] || fail "eddy.pc includedir=$includedir lacks eddy/event_loop.h"
[ -f "$includedir/eddy/loop_abi.h" ] || fail "eddy.pc includedir=$includedir lacks eddy/loop_abi.h"
[ -f "$plugindir/eddy-backend-epoll.so" ] || fail "eddy.pc plugindir=$plugindir lacks eddy-backend-epoll.so"
[ "$(pcq --variable=abi_version)" = "1.0" ] || fail "eddy.pc abi_version is not 1.0"

flags=$(pcq --cflags --libs) || fail "pkg-config --define-prefix --cflags --libs eddy failed"
case $sanitize in none|'') ;; *) flags="$flags -fsanitize=$sanitize" ;; esac
step "g++ -std=c++20 outside_app.cc $flags"
${CXX:-g++} -std=c++20 "$src/tests/install/outside_app.cc" -o "$tmp/outside_app" $flags \
  || fail "the outside program does not build with: $flags"

export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export EDDY_BACKEND_PATH="$plugindir"
unset EDDY_BACKEND
"$tmp/outside_app" || fail "the outside program failed on the default backend"

names=$("$tmp/outside_app" --names) || fail "the outside program cannot list the backends"
n=0
for so in "$plugindir"/eddy-backend-*.so; do
  name=$(basename "$so" .so | sed 's/^eddy-backend-//')
  echo "$names" | grep -qx "$name" || {
    step "skipping $name: not available here"
    continue
  }
  EDDY_BACKEND="$name" "$tmp/outside_app" "$name" \
    || fail "the outside program failed on the installed plugin $name ($so)"
  n=$((n + 1))
done
[ "$n" -ge 1 ] || fail "no installed plugin ran (available: $names)"

info=$(find "$tmp/root" -type f -name eddy-info | head -n 1)
[ -n "$info" ] || fail "eddy-info was not installed"
"$info" --names | grep -qx epoll || fail "the installed eddy-info does not list epoll"
# eddy-bench is installed when the benchmarks are built (-Dbench=true).
bench=$(find "$tmp/root" -type f -name eddy-bench | head -n 1)
if [ -n "$bench" ]; then
  "$bench" --list | grep -q "^backends: .*epoll" || fail "the installed eddy-bench does not list epoll"
fi
step "OK ($n installed plugins ran the outside program)"
