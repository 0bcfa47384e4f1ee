#!/bin/sh
# Builds the poll(2) toy backend from the installed eddy SDK alone:
#   ./build.sh [OUTPUT.so] [extra compiler flags...]
# e.g. ./build.sh eddy-backend-poll.so, or with -DEDDY_TOY_BROKEN for the
# deliberately broken variant. Needs pkg-config to find eddy-backend-sdk.
set -eu
here=$(dirname "$0")
out=${1:-eddy-backend-poll.so}
[ $# -gt 0 ] && shift
${CXX:-c++} -std=c++20 -O2 -shared -fPIC -fvisibility=hidden -DEDDY_BUILDING_PLUGIN "$@" \
  "$here/poll_backend.cc" -o "$out" $(pkg-config --cflags --libs eddy-backend-sdk)
echo "built $out"
