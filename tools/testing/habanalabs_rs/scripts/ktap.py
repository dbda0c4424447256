#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Gathers KTAP results and kernel splats from a test VM's console log.

KUnit suites (printed by the kernel, with timestamps) and the in-guest suites (printed by the
guest scripts in KUnit's layout) are read alike. A suite that runs more than once (KUnit suites
in the driver run at every module load) is reported from its first run, but a failure in any
run counts. A suite whose plan promises more results than it printed is incomplete: the missing
results count as failures. Any WARN, BUG, KASAN, lockdep or kmemleak report fails the pseudo
suite "kernel_log".

Prints one line per suite, then "#TOTAL passed failed skipped" for the caller to add up.
"""
import re
import sys

TIMESTAMP = re.compile(r"^\[\s*\d+\.\d+\]\s?")
SUBTEST = re.compile(r"^(\s*)# Subtest: (\S+)")
PLAN = re.compile(r"^(\s*)1\.\.(\d+)")
RESULT = re.compile(r"^(\s*)(not ok|ok) (\d+) (\S.*?)\s*$")
SPLATS = [
    r"WARNING: ",
    r"BUG: ",
    r"kernel BUG at",
    r"Oops",
    r"Kernel panic",
    r"general protection fault",
    r"possible recursive locking detected",
    r"possible circular locking dependency detected",
    r"inconsistent lock state",
    r"DEBUG_LOCKS_WARN_ON",
    r"suspicious RCU usage",
    r"sleeping function called from invalid context",
    r"scheduling while atomic",
    r"unreferenced object 0x",
    r"new suspected memory leaks",
    r"UBSAN:",
    r"INFO: task .* blocked for more than",
    r"rust_panic",
    r"Call Trace:",
]
SPLAT = re.compile("|".join(SPLATS))


class Run:
    def __init__(self, name, indent):
        self.name, self.indent = name, indent
        self.plan = None
        self.passed = self.failed = self.skipped = 0
        self.failures = []

    def done(self):
        return self.passed + self.failed + self.skipped

    def missing(self):
        return max(0, (self.plan or 0) - self.done())


def parse(lines):
    """Reads the console. Kernel messages (with a timestamp) and the guest's own output (without)
    are two KTAP streams that may interleave, so each keeps its own open suites."""
    runs, splats = [], []
    streams = {True: [], False: []}
    for raw in lines:
        raw = raw.rstrip("\n")
        line = TIMESTAMP.sub("", raw)
        open_runs = streams[line != raw]
        if SPLAT.search(line):
            splats.append(line)
        m = SUBTEST.match(line)
        if m:
            r = Run(m.group(2), len(m.group(1)))
            runs.append(r)
            open_runs[:] = [o for o in open_runs if o.indent < r.indent] + [r]
            continue
        m = PLAN.match(line)
        if m and open_runs and len(m.group(1)) == open_runs[-1].indent and open_runs[-1].plan is None:
            open_runs[-1].plan = int(m.group(2))
            continue
        m = RESULT.match(line)
        if m and open_runs:
            indent = len(m.group(1))
            cur = next((o for o in reversed(open_runs) if o.indent == indent), None)
            if cur is None:
                # A suite's own result line closes it.
                open_runs[:] = [o for o in open_runs if o.indent < indent]
                continue
            desc = m.group(4)
            if "# SKIP" in desc:
                cur.skipped += 1
            elif m.group(2) == "ok":
                cur.passed += 1
            else:
                cur.failed += 1
                cur.failures.append(desc)
    return runs, splats


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: ktap.py CONSOLE_LOG")
    with open(sys.argv[1], errors="replace") as f:
        runs, splats = parse(f)
    suites = {}
    for r in runs:
        suites.setdefault(r.name, []).append(r)
    total = [0, 0, 0]
    for name, rs in suites.items():
        first = rs[0]
        failed = first.failed + first.missing()
        failures = list(first.failures)
        if first.missing():
            failures.append(f"{first.missing()} result(s) missing: the suite did not finish")
        for later in rs[1:]:
            if later.failed or later.missing():
                failed += later.failed + later.missing()
                failures += [f"(run {rs.index(later) + 1}) {d}" for d in later.failures]
        note = f" (ran {len(rs)} times)" if len(rs) > 1 else ""
        print(f"{name}: {first.passed} passed, {failed} failed, {first.skipped} skipped{note}")
        for d in failures:
            print(f"    not ok: {d}")
        total[0] += first.passed
        total[1] += failed
        total[2] += first.skipped
    if splats:
        print("kernel_log: 0 passed, 1 failed (kernel reports below)")
        for s in splats[:30]:
            print(f"    {s}")
        total[1] += 1
    else:
        print("kernel_log: 1 passed, 0 failed (no WARN, BUG, KASAN, lockdep or kmemleak report)")
        total[0] += 1
    print(f"#TOTAL {total[0]} {total[1]} {total[2]}")


if __name__ == "__main__":
    main()
