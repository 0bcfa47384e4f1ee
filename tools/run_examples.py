#!/usr/bin/env python3
"""Runs every example program on every available backend, side by side.

The same binary, unrebuilt, is started once per backend with EDDY_BACKEND set,
so the table shows that the loop really is chosen at run time. Each cell is
the wall time of the run, or FAIL with the exit status. Exits non-zero if any
run failed.

Usage: tools/run_examples.py [--build DIR] [--timeout SECONDS] [EXAMPLE ...]
"""
import argparse
import os
import subprocess
import sys
import time


def available_backends(build):
    out = subprocess.run([os.path.join(build, "tools", "eddy-info"), "--names"],
                         check=True, capture_output=True, text=True).stdout
    return [line.strip() for line in out.splitlines() if line.strip()]


def example_binaries(build, wanted):
    d = os.path.join(build, "examples")
    names = []
    if os.path.isdir(d):
        for name in sorted(os.listdir(d)):
            path = os.path.join(d, name)
            if os.path.isfile(path) and os.access(path, os.X_OK) and not name.endswith(".so"):
                names.append(name)
    if wanted:
        names = [n for n in names if n in wanted]
    return names


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("examples", nargs="*")
    args = ap.parse_args()

    backends = available_backends(args.build)
    examples = example_binaries(args.build, set(args.examples))
    if not examples:
        print("no example programs built under %s/examples" % args.build, file=sys.stderr)
        return 1

    width = max(len(e) for e in examples) + 2
    print("%-*s" % (width, "example") + "".join("%12s" % b for b in backends))
    failed = 0
    for ex in examples:
        row = "%-*s" % (width, ex)
        for b in backends:
            env = dict(os.environ, EDDY_BACKEND=b)
            start = time.monotonic()
            try:
                r = subprocess.run([os.path.join(args.build, "examples", ex)], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                   timeout=args.timeout, text=True)
                took = time.monotonic() - start
                if r.returncode == 0:
                    cell = "%.3fs" % took
                else:
                    cell = "FAIL(%d)" % r.returncode
                    failed += 1
                    sys.stderr.write("%s on %s:\n%s\n" % (ex, b, r.stderr[-2000:]))
            except subprocess.TimeoutExpired:
                cell = "TIMEOUT"
                failed += 1
            row += "%12s" % cell
        print(row, flush=True)
    print()
    print("%d runs, %d failed (%d examples x %d backends: %s)"
          % (len(examples) * len(backends), failed, len(examples), len(backends),
             ", ".join(backends)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
