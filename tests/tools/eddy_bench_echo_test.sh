#!/bin/sh
# eddy-bench's TCP echo workloads, end to end, with real servers and tiny
# windows (the whole script takes a few seconds):
# - a short run of eddy's server and three references writes echo rows of
#   the documented JSON shape, with ratios to the raw C servers;
# - a reference that corrupts a byte now and then (EDDY_BENCH_ECHO_CORRUPT)
#   is caught: its row says ERROR and eddy-bench exits nonzero;
# - the Python references, pointed at an interpreter that does not exist,
#   are skipped with a note, and the run still succeeds;
# - the set-up states the allocator condition (pinned by default,
#   --malloc=default recorded as such), and the JSON carries it;
# - every row has its cross-check (the io_uring load engine) and its
#   syscall count; a server with a deliberate mmap+munmap per message
#   (EDDY_BENCH_ECHO_ARTEFACT) shows about one of each per message, where
#   the plain server shows none; --cross-check=strict fails the run when
#   the two load generators disagree beyond --tolerance;
# - --compare and --plot re-read the run (--from); an unknown --references
#   name is a command-line error.
#   eddy_bench_echo_test.sh PATH_TO_EDDY_BENCH
set -eu
bench=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "eddy_bench_echo_test: FAIL: $*" >&2; exit 1; }
step() { echo "eddy_bench_echo_test: $*"; }
# Short, but not so short that a server starved for a moment by the tests
# meson runs beside this one completes no round trip in the window (a
# 0.1 s window once came back empty under such load).
tiny="--duration=0.3 --warmup=0.05 --sizes=64 --connections=4 --quiet"

step "short echo run"
"$bench" --backends=epoll --references=ref_epoll,ref_uv,asyncio --workloads='Echo/(protocols|raw)' \
    --repetitions=2 $tiny --json="$tmp/out.json" >"$tmp/stdout" 2>"$tmp/stderr" \
  || { rc=$?; cat "$tmp/stdout" "$tmp/stderr" >&2; fail "the short echo run exited $rc"; }
grep -q "raw epoll (C)" "$tmp/stdout" || { cat "$tmp/stdout" >&2; fail "no raw epoll row in the echo table"; }
grep -q "64 B × 4 conn" "$tmp/stdout" || { cat "$tmp/stdout" >&2; fail "no 64 B x 4 block in the echo table"; }
grep -q "malloc .*GLIBC_TUNABLES=glibc.malloc.mmap_threshold=" "$tmp/stdout" \
  || { cat "$tmp/stdout" >&2; fail "the set-up block does not state the allocator condition"; }

step "echo JSON shape"
python3 - "$tmp/out.json" <<'PY' || fail "the echo part of the JSON file has the wrong shape"
import json, sys
d = json.load(open(sys.argv[1]))
echo = d["echo"]
s = echo["settings"]
assert s["sizes"] == [64] and s["connections"] == [4], s
assert s["duration_s"] == 0.3 and s["server_cpu"] == 0 and s["load_cpu"] == 1, s
rows = {r["name"]: r for r in echo["results"]}
for name in ("Echo/ref_epoll/raw/64/4", "Echo/ref_uv/raw/64/4"):
    assert name in rows, (name, list(rows))
for r in echo["results"]:
    for k in ("workload", "server", "mode", "kind", "label", "size", "connections", "msgs_per_s",
              "p50_us", "p99_us", "cpu_user_us_per_msg", "cpu_sys_us_per_msg",
              "cpu_total_us_per_msg", "ratio_to_best_raw_c", "rounds", "error_rounds"):
        assert k in r, "echo result %s lacks %s" % (r["name"], k)
    assert r["kind"] in ("eddy", "raw_c", "reference"), r["kind"]
    assert r["error_rounds"] == 0 and r["echo_errors"] == 0, r
    assert len(r["rounds"]) == 2, r["rounds"]
    m = r["msgs_per_s"]
    assert m["min"] <= m["median"] <= m["max"] and m["median"] > 0, m
    assert 0 < r["p50_us"]["median"] <= r["p99_us"]["median"], r
    assert r["cpu_total_us_per_msg"]["median"] > 0, r
    for rnd in r["rounds"]:
        for k in ("msgs_per_s", "lat_p50_us", "lat_p99_us", "cpu_total_us_per_msg", "messages",
                  "server_cpu_s", "errors"):
            assert k in rnd, "round lacks " + k
        assert rnd["errors"] == 0 and rnd["connections"] == 4 and rnd["size"] == 64, rnd
    ratio = r["ratio_to_best_raw_c"]
    assert ratio["throughput"] > 0 and ratio["cpu_per_msg"] > 0, ratio
    assert ratio["fastest"] in ("ref_epoll", "ref_uv"), ratio
best = [r for r in echo["results"] if r["kind"] == "raw_c" and r["ratio_to_best_raw_c"]["throughput"] == 1]
assert best, "no raw C server has ratio 1"
assert any(r["kind"] == "eddy" and r["server"] == "epoll" and r["mode"] == "protocols"
           for r in echo["results"]), "no eddy protocols row on epoll"
assert any(r["server"] == "asyncio" for r in echo["results"]), "no asyncio row"
assert not any(r["mode"] == "sockets" for r in echo["results"]), "sockets rows were not asked for"
assert d["results"] == [], "micro rows ran although --workloads selected only echo"
m = s["malloc"]
assert m["mode"] == "pinned" and "mmap_threshold" in m["glibc_tunables"] and m["glibc_version"], m
assert s["cross_check"] == "on" and s["cross_check_engine"] == "uring" and s["tolerance_pct"] == 15, s
assert s["syscalls"] is True, s
for r in echo["results"]:
    c = r["cross_check"]
    assert c["engine"] == "uring" and c["error_rounds"] == 0 and len(c["rounds"]) == 2, c
    assert c["cpu_total_us_per_msg"]["median"] > 0 and c["ratio"] > 0, c
    assert isinstance(c["agrees"], bool), c
    for rnd in c["rounds"]:
        assert rnd["errors"] == 0, rnd
    k = r["syscalls"]
    if k["note"]:
        continue  # not countable here (no permission); the note says why
    assert k["per_msg"] > 0 and k["messages"] > 0, k
    assert abs(sum(k["by_name_per_msg"].values()) - k["per_msg"]) < 1e-3 * k["per_msg"], k
    assert all(v > 0 for v in k["counts"].values()), k
    # An echo server receives and sends (whatever the call) per message.
    io = sum(v for n, v in k["by_name_per_msg"].items()
             if n in ("read", "write", "readv", "writev", "recvfrom", "sendto", "recvmsg",
                      "sendmsg", "io_uring_enter"))
    assert io >= 0.9, (r["name"], k)
PY

step "a syscall per message shows in the count"
if EDDY_BENCH_ECHO_ARTEFACT=ref_epoll "$bench" --backends=epoll --references=ref_epoll \
    --workloads=Echo/raw --repetitions=1 --cross-check=off $tiny --json="$tmp/art.json" \
    >"$tmp/art.out" 2>"$tmp/art.err"; then :; else
  cat "$tmp/art.out" "$tmp/art.err" >&2; fail "the artefact run failed"
fi
python3 - "$tmp/art.json" "$tmp/out.json" <<'PY' || { cat "$tmp/art.out" >&2; fail "the artefact does not show in the syscall count"; }
import json, sys
art = json.load(open(sys.argv[1]))["echo"]["results"][0]["syscalls"]
plain = [r for r in json.load(open(sys.argv[2]))["echo"]["results"]
         if r["name"] == "Echo/ref_epoll/raw/64/4"][0]["syscalls"]
if art["note"]:
    print("syscalls not countable here: " + art["note"])
    sys.exit(0)
a = art["by_name_per_msg"]
assert 0.9 <= a.get("mmap", 0) <= 1.1 and 0.9 <= a.get("munmap", 0) <= 1.1, art
assert plain["by_name_per_msg"].get("mmap", 0) < 0.01, plain
# Compare the calls other than the waits: how many epoll_waits a message
# costs depends on how busy the server is (0.35 to 0.6 on a loaded machine).
def besides_waits(k):
    return k["per_msg"] - sum(v for n, v in k["by_name_per_msg"].items()
                              if n.startswith(("epoll_wait", "epoll_pwait")))
assert besides_waits(art) >= besides_waits(plain) + 1.8, (art, plain)
PY
grep -Eq "mmap (0\.9[0-9]|1\.0[0-9])" "$tmp/art.out" || { cat "$tmp/art.out" >&2; fail "the table's breakdown does not show the mmap per message"; }

step "--malloc=default is recorded"
"$bench" --backends=epoll --references=ref_epoll --workloads=Echo/raw --repetitions=1 \
    --malloc=default --syscalls=off --cross-check=off $tiny --json="$tmp/def.json" >"$tmp/def.out" 2>&1 \
  || { cat "$tmp/def.out" >&2; fail "the --malloc=default run failed"; }
grep -q "malloc .*default dynamic mmap and trim thresholds" "$tmp/def.out" \
  || { cat "$tmp/def.out" >&2; fail "the set-up block does not say the thresholds are glibc's own"; }
python3 - "$tmp/def.json" <<'PY' || fail "the JSON does not record --malloc=default"
import json, os, sys
s = json.load(open(sys.argv[1]))["echo"]["settings"]
assert s["malloc"]["mode"] == "default", s
assert s["malloc"]["glibc_tunables"] == os.environ.get("GLIBC_TUNABLES", ""), s
assert s["cross_check"] == "off" and s["syscalls"] is False, s
r = json.load(open(sys.argv[1]))["echo"]["results"][0]
assert r["cross_check"] is None and r["syscalls"] is None, r
PY

step "--cross-check=strict fails on disagreement"
if "$bench" --backends=epoll --references=ref_epoll --workloads=Echo/raw --repetitions=1 \
    --cross-check=strict --tolerance=0.0001 --syscalls=off $tiny >"$tmp/x.out" 2>&1; then
  cat "$tmp/x.out" >&2; fail "a disagreement beyond the tolerance did not fail a strict run"
fi
grep -q "≠" "$tmp/x.out" || { cat "$tmp/x.out" >&2; fail "the disagreeing row is not marked"; }
grep -q "cross-check: Echo/ref_epoll/raw/64/4: .* µs/msg under the epoll load generator" "$tmp/x.out" \
  || { cat "$tmp/x.out" >&2; fail "the disagreement is not explained"; }

step "corrupting server"
if EDDY_BENCH_ECHO_CORRUPT=ref_epoll "$bench" --backends=epoll --references=ref_epoll \
    --workloads=Echo/raw --repetitions=1 $tiny --json="$tmp/bad.json" >"$tmp/bad.out" 2>"$tmp/bad.err"; then
  cat "$tmp/bad.out" >&2
  fail "a server that corrupts the echo did not fail the run"
fi
grep -q "ERROR" "$tmp/bad.out" || { cat "$tmp/bad.out" >&2; fail "the corrupted row is not flagged ERROR"; }
grep -q "error: Echo/ref_epoll/raw/64/4: .*expected" "$tmp/bad.out" \
  || { cat "$tmp/bad.out" >&2; fail "the error does not say which byte differed"; }
python3 - "$tmp/bad.json" <<'PY' || fail "the corrupted run's JSON does not record the errors"
import json, sys
r = json.load(open(sys.argv[1]))["echo"]["results"][0]
assert r["name"] == "Echo/ref_epoll/raw/64/4", r["name"]
assert r["error_rounds"] == 1 and r["echo_errors"] >= 1 and "expected" in r["error"], r
assert r["msgs_per_s"] is None and r["rounds"] == [], r
PY

step "missing Python reference"
"$bench" --backends=epoll --references=ref_epoll,asyncio,uvloop --workloads=Echo/protocols \
    --python=/nonexistent/python3 --repetitions=1 $tiny --json="$tmp/skip.json" \
    >"$tmp/skip.out" 2>"$tmp/skip.err" \
  || { cat "$tmp/skip.out" "$tmp/skip.err" >&2; fail "a missing Python failed the run"; }
grep -q "skipped *asyncio *.*/nonexistent/python3" "$tmp/skip.out" \
  || { cat "$tmp/skip.out" >&2; fail "asyncio is not listed as skipped"; }
grep -q "skipped *uvloop" "$tmp/skip.out" || { cat "$tmp/skip.out" >&2; fail "uvloop is not listed as skipped"; }
python3 - "$tmp/skip.json" <<'PY' || fail "the skipped references are not in the JSON file"
import json, sys
d = json.load(open(sys.argv[1]))
names = [k["name"] for k in d["skipped"]]
assert "asyncio" in names and "uvloop" in names, names
assert not any(r["server"] in ("asyncio", "uvloop") for r in d["echo"]["results"])
assert any(r["server"] == "ref_epoll" for r in d["echo"]["results"])
PY

step "--compare and --plot from a file"
"$bench" --from="$tmp/out.json" --compare="$tmp/out.json" >"$tmp/cmp.out" \
  || fail "--compare of a run with itself failed"
grep -q "0 worse and 0 better" "$tmp/cmp.out" || { cat "$tmp/cmp.out" >&2; fail "a run compared with itself changed"; }
grep -q "Echo/ref_epoll/raw/64/4 *msgs/s" "$tmp/cmp.out" || { cat "$tmp/cmp.out" >&2; fail "no echo row in the comparison"; }
"$bench" --from="$tmp/out.json" --plot="$tmp/chart.svg" >"$tmp/plot.out" || fail "--plot failed"
if command -v gnuplot >/dev/null 2>&1; then
  grep -q "<svg" "$tmp/chart.svg" || fail "--plot wrote no SVG"
else
  grep -q "skipped" "$tmp/plot.out" || fail "--plot without gnuplot was not skipped"
fi

step "unknown reference"
if "$bench" --references=no_such_server --workloads=Echo $tiny >"$tmp/ref.out" 2>"$tmp/ref.err"; then
  fail "an unknown reference was accepted"
fi
grep -q "no_such_server" "$tmp/ref.err" || { cat "$tmp/ref.err" >&2; fail "the error does not name the unknown reference"; }
step "OK"
