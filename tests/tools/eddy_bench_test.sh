#!/bin/sh
# eddy-bench, end to end: a tiny run (one workload, one short round) exits 0
# and writes JSON of the documented shape; an unknown backend name in
# --backends fails cleanly, naming the backends that are available; --list
# runs nothing and names the quick and slow workloads.
#   eddy_bench_test.sh PATH_TO_EDDY_BENCH
set -eu
bench=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "eddy_bench_test: FAIL: $*" >&2; exit 1; }
step() { echo "eddy_bench_test: $*"; }

step "tiny run"
"$bench" --min-time=0.001 --repetitions=1 --workloads=CallSoon --json="$tmp/out.json" \
  >"$tmp/stdout" 2>"$tmp/stderr" || { rc=$?; cat "$tmp/stdout" "$tmp/stderr" >&2; fail "tiny run exited $rc"; }
grep -q "call_soon" "$tmp/stdout" || { cat "$tmp/stdout" >&2; fail "no call_soon row in the table"; }
grep -q "BM_CallSoonLambda/epoll" "$tmp/stderr" || { cat "$tmp/stderr" >&2; fail "no progress line on stderr"; }

step "JSON shape"
python3 - "$tmp/out.json" <<'PY' || fail "the JSON file has the wrong shape"
import json, sys
d = json.load(open(sys.argv[1]))
for k in ("setup", "options", "backends", "skipped", "results", "duration_s"):
    assert k in d, "missing top-level key " + k
s = d["setup"]
for k in ("cpu_model", "cores", "kernel", "compiler", "build_type", "libraries"):
    assert k in s, "setup lacks " + k
assert s["cores"] >= 1
names = [b["name"] for b in d["backends"]]
assert "epoll" in names, names
for b in d["backends"]:
    if not b["name"].startswith("raw_"):
        for k in ("version", "abi_version", "capabilities", "available"):
            assert k in b, "backend %s lacks %s" % (b["name"], k)
assert d["results"], "no results"
for r in d["results"]:
    for k in ("name", "workload", "backend", "median_ns", "min_ns", "max_ns", "ratio_to_best", "rounds"):
        assert k in r, "result %s lacks %s" % (r.get("name"), k)
    assert r["median_ns"] > 0 and r["min_ns"] <= r["median_ns"] <= r["max_ns"], r
    assert r["ratio_to_best"] >= 1.0, r
    assert len(r["rounds"]) == 1, r
    assert "CallSoon" in r["workload"], r["workload"]
assert any(r["backend"] == "epoll" for r in d["results"])
PY

step "unknown backend"
if "$bench" --backends=epoll,no_such_loop --min-time=0.001 --repetitions=1 \
    >"$tmp/bad.out" 2>"$tmp/bad.err"; then
  fail "an unknown backend was accepted"
fi
grep -q "no_such_loop" "$tmp/bad.err" || { cat "$tmp/bad.err" >&2; fail "the error does not name the unknown backend"; }
grep -q "available:.*epoll" "$tmp/bad.err" || { cat "$tmp/bad.err" >&2; fail "the error does not list the available backends"; }
[ ! -s "$tmp/bad.out" ] || fail "something was printed on stdout for a bad command line"

step "--list"
"$bench" --list >"$tmp/list" || fail "--list failed"
grep -q "SocketpairPingPong" "$tmp/list" || fail "--list lacks SocketpairPingPong"
grep -q "SleepingTasks.*\[slow\]" "$tmp/list" || fail "--list does not mark SleepingTasks as slow"
step "OK"
