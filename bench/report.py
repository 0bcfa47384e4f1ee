#!/usr/bin/env python3
"""Turns an eddy_micro JSON result into side-by-side Markdown tables.

    taskset -c 1 build-bench/bench/eddy_micro --benchmark_repetitions=5 \\
        --benchmark_report_aggregates_only=true --benchmark_min_time=0.2 \\
        --benchmark_out=micro.json --benchmark_out_format=json
    python3 bench/report.py micro.json

One table per benchmark family (BM_<Family>/<backend>[/arg]), one row per
backend or raw-library twin, with the medians of the repetitions: CPU time
per iteration, items per second, CPU time per item, and every counter the
benchmark reported (allocs/op, bytes/task, ...). The "vs first" column is the
ratio of CPU per item to the family's first row (epoll, or the raw twin the
family is compared with when one is named on the command line with --base).
"""
import argparse
import json
import sys
from collections import OrderedDict

SKIP_KEYS = {"name", "family_index", "per_family_instance_index", "run_name", "run_type",
             "repetitions", "threads", "aggregate_name", "aggregate_unit", "iterations",
             "real_time", "cpu_time", "time_unit", "items_per_second", "repetition_index",
             "error_occurred", "error_message", "label"}
TO_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def fmt_rate(v):
    for div, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if v >= div:
            return f"{v / div:.2f} {unit}/s"
    return f"{v:.1f} /s"


def fmt_ns(v):
    if v >= 1e6:
        return f"{v / 1e6:.2f} ms"
    if v >= 1e3:
        return f"{v / 1e3:.2f} µs"
    return f"{v:.1f} ns"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("json")
    ap.add_argument("--base", action="append", default=[],
                    help="FAMILY=ROW: compare the family's rows to this row (e.g. "
                         "SocketpairPingPong=raw_libuv)")
    args = ap.parse_args()
    base = dict(b.split("=", 1) for b in args.base)
    with open(args.json) as f:
        data = json.load(f)
    families = OrderedDict()
    for b in data["benchmarks"]:
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        name = b["run_name"] if "run_name" in b else b["name"]
        parts = name.split("/")
        fam = parts[0].removeprefix("BM_")
        row = "/".join(p for p in parts[1:] if not p.startswith("iterations:"))
        families.setdefault(fam, []).append((row, b))
    ctx = data.get("context", {})
    print(f"<!-- {ctx.get('date', '')} on {ctx.get('host_name', '')}, "
          f"{ctx.get('num_cpus', '?')} CPUs, libbenchmark {ctx.get('library_build_type', '?')} build -->")
    for fam, rows in families.items():
        counters = []
        for _, b in rows:
            for k in b:
                if k not in SKIP_KEYS and k not in counters and isinstance(b[k], (int, float)):
                    counters.append(k)
        print(f"\n**{fam}**\n")
        head = ["backend", "CPU/iter", "items/s", "CPU/item", "vs " + base.get(fam, rows[0][0])]
        print("| " + " | ".join(head + counters) + " |")
        print("|" + "---|" * (len(head) + len(counters)))
        per_item = {}
        for row, b in rows:
            cpu_ns = b["cpu_time"] * TO_NS[b.get("time_unit", "ns")]
            ips = b.get("items_per_second")
            per_item[row] = 1e9 / ips if ips else cpu_ns
        ref = per_item.get(base.get(fam, rows[0][0]), per_item[rows[0][0]])
        for row, b in rows:
            cpu_ns = b["cpu_time"] * TO_NS[b.get("time_unit", "ns")]
            ips = b.get("items_per_second")
            cells = [row, fmt_ns(cpu_ns), fmt_rate(ips) if ips else "-",
                     fmt_ns(per_item[row]), f"{per_item[row] / ref:.2f}×"]
            for k in counters:
                v = b.get(k)
                cells.append("-" if v is None else (f"{v:.3g}" if isinstance(v, float) else str(v)))
            print("| " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
