#!/bin/sh
# meson install into a scratch DESTDIR, then build and run an outside program
# with only `pkg-config eddy`, on the built-in backend and on an installed
# plugin found through EDDY_BACKEND_PATH.
#   install_test.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "install_test: FAIL: $*" >&2; exit 1; }

DESTDIR="$tmp/root" meson install -C "$build" --no-rebuild --quiet >/dev/null \
  || fail "meson install into a DESTDIR failed"
pc=$(find "$tmp/root" -name eddy.pc | head -n 1)
[ -n "$pc" ] || fail "eddy.pc was not installed"
plugindir=$(dirname "$(find "$tmp/root" -name 'eddy-backend-epoll.so' | head -n 1)")
[ -d "$plugindir" ] || fail "no plugin was installed"
libdir=$(dirname "$(find "$tmp/root" -name 'libeddy.so*' | head -n 1)")

export PKG_CONFIG_PATH=$(dirname "$pc")
export PKG_CONFIG_SYSROOT_DIR="$tmp/root"
flags=$(pkg-config --cflags --libs eddy) || fail "pkg-config eddy failed"
${CXX:-c++} -std=c++20 "$src/tests/install/outside_app.cc" -o "$tmp/outside_app" $flags \
  || fail "the outside program does not build with: $flags"

export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
"$tmp/outside_app" || fail "the outside program failed on the default backend"
for so in "$plugindir"/eddy-backend-*.so; do
  name=$(basename "$so" .so | sed 's/^eddy-backend-//')
  EDDY_BACKEND_PATH="$plugindir" EDDY_BACKEND="$so" "$tmp/outside_app" \
    || fail "the outside program failed on the installed plugin $name"
done
echo "install_test: OK"
