#!/usr/bin/env python3
"""Sums test results over meson build dirs and prints "N passed, N failed".

Reads each DIR/meson-logs/testlog.junit.xml, where meson records every test,
and every GoogleTest case of the tests declared with protocol 'gtest'. An
argument that is an .xml file is read as such a log itself (e.g.
build/meson-logs/soak.junit.xml, from `meson test --logbase soak`). A test
counts as failed if it has a <failure> or <error>, skipped if <skipped>.
Exits 1 if anything failed or a log is missing.
"""
import os
import sys
import xml.etree.ElementTree as ET


def main(dirs):
    passed = failed = skipped = 0
    missing = False
    for d in dirs:
        path = d if d.endswith(".xml") else os.path.join(d, "meson-logs", "testlog.junit.xml")
        if not os.path.exists(path):
            print("no test log %s" % path, file=sys.stderr)
            missing = True
            continue
        root = ET.parse(path).getroot()
        for suite in root.iter("testsuite"):
            cases = list(suite.iter("testcase"))
            for case in cases:
                if case.find("failure") is not None or case.find("error") is not None:
                    failed += 1
                elif case.find("skipped") is not None:
                    skipped += 1
                else:
                    passed += 1
    # The last line must be exactly "N passed, N failed" (CI reads it), so
    # skipped tests are told on the line before.
    if skipped:
        print("%d skipped (not counted)" % skipped)
    print("%d passed, %d failed" % (passed, failed + (1 if missing else 0)))
    return 1 if failed or missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
