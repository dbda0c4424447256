#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Compares the ABI of two versions of drm/habanalabs_accel.h (ours, theirs).

Run by uapi-check.sh, which finds the pristine header and the uapi include
directories; see there for the command line. What is compared, each header
compiled on its own with the same compiler and include path:

  macros   the object-like macros the header defines (names), which of them
           are integer constant expressions with the kernel's SZ_1M, U16_MAX
           and BIT() available and which also without them (as user space
           sees them), and each one's value, type size and signedness;
  records  every named struct and union: size and alignment, and for every
           member reachable by name (members of anonymous structs and unions
           included, members of named nested ones as a.b) its offset, size
           and type;
  enums    every enumeration constant: value and enumeration; each named
           enumeration's size;
  other    any other declaration (typedef, function, variable) by name.

Clang's AST (JSON) lists the records and enums; clang -dM lists the macros;
a generated C program compiled once against each header and run prints every
number, so the compiler, not this script, does the arithmetic. Both reports
are diffed item by item. Prints one "ok"/"not ok" line per category, every
difference as "not ok: <item>: ours <x>, theirs <y>", then
"N passed, N failed" over the items; exits 1 on any difference.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HEADER = "drm/habanalabs_accel.h"
BASE = "drm/drm.h"  # what the header includes; its names are not ours

# Kernel-internal macros some values are written with. The C driver sees the
# kernel's definitions; these have the same values and types.
KERNEL_SHIM = """
#ifndef SZ_1M
#define SZ_1M 0x00100000
#endif
#ifndef U16_MAX
#define U16_MAX ((__u16)~0U)
#endif
#ifndef BIT
#define BIT(nr) (1UL << (nr))
#endif
"""


class Side:
    """One header and everything measured about it."""

    def __init__(self, label, header, work, cc, cflags):
        self.label, self.cc = label, cc
        inc = os.path.join(work, label, "include")
        os.makedirs(os.path.join(inc, "drm"))
        shutil.copyfile(header, os.path.join(inc, HEADER))
        self.dir = os.path.join(work, label)
        self.cflags = ["-I", inc] + cflags

    def run(self, args, what, check=True):
        p = subprocess.run([self.cc] + self.cflags + args, capture_output=True, text=True)
        if check and p.returncode != 0:
            sys.exit(f"uapi-check: {what} failed for {self.label}:\n{p.stderr[-4000:]}")
        return p

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path


def macros(side):
    """Object-like macros the header defines: {name: body}, and function-like names."""
    def dm(hdr):
        tu = side.write("dm.c", f"#include <{hdr}>\n")
        out = side.run(["-E", "-dM", tu], "clang -dM").stdout
        d = {}
        for line in out.splitlines():
            m = re.match(r"#define (\w+)(\([^)]*\))?(?: (.*))?$", line)
            if m:
                d[m.group(1)] = (m.group(2), m.group(3) or "")
        return d
    base, full = dm(BASE), dm(HEADER)
    obj, func = {}, set()
    for name, (params, body) in full.items():
        if name in base and base[name] == (params, body):
            continue
        if params is not None:
            func.add(name)
        else:
            obj[name] = body
    return obj, func


def integer_macros(side, names, shim):
    """The names that are integer constant expressions (one compile, errors by line)."""
    names = sorted(names)
    head = f"#include <{HEADER}>\n{shim}\n"
    first = head.count("\n") + 1  # line of the first probe
    body = [f'_Static_assert((({n}) || 1), "{n}");' for n in names]
    src = side.write("ice.c", head + "\n".join(body) + "\n")
    p = side.run(["-fsyntax-only", "-ferror-limit=0", "-Werror=gnu-folding-constant", src], "probe", check=False)
    bad = set()
    for m in re.finditer(r"^" + re.escape(src) + r":(\d+):\d+: (?:fatal )?error", p.stderr, re.M):
        i = int(m.group(1)) - first
        if 0 <= i < len(names):
            bad.add(names[i])
        else:
            sys.exit(f"uapi-check: the probe of {side.label} fails outside the probes:\n{p.stderr[-4000:]}")
    return set(names) - bad


def anon(t):
    t = re.sub(r"\((?:unnamed|anonymous)[^)]*\)", "<anon>", t)
    return re.sub(r"\b\w+::", "", t)


def ast(side):
    """Top-level records, enums and other named declarations the header adds."""
    def dump(hdr):
        tu = side.write("ast.c", f"#include <{hdr}>\n")
        return json.loads(side.run(["-fsyntax-only", "-Xclang", "-ast-dump=json", tu], "clang AST").stdout)

    def fields(rec, prefix, out):
        last = None
        for c in rec.get("inner", []):
            k = c.get("kind")
            if k == "RecordDecl":
                last = c
            elif k == "FieldDecl":
                t = c["type"]
                ty = anon(t.get("desugaredQualType", t["qualType"]))
                name = c.get("name")
                if not name:
                    fields(last, prefix, out)
                    continue
                out.append((prefix + name, ty))
                if "<anon>" in ty and "[" not in ty and last is not None:
                    fields(last, prefix + name + ".", out)
        return out

    def collect(tree):
        recs, enums, consts, other = {}, {}, {}, set()
        for n in tree.get("inner", []):
            k, name = n.get("kind"), n.get("name")
            if k == "RecordDecl" and name and n.get("completeDefinition"):
                key = f"{n['tagUsed']} {name}"
                recs[key] = fields(n, "", [])
            elif k == "EnumDecl":
                tag = f"enum {name}" if name else "enum <anon>"
                if name:
                    enums[tag] = True
                for c in n.get("inner", []):
                    if c.get("kind") == "EnumConstantDecl":
                        consts[c["name"]] = tag
            elif name and k not in ("RecordDecl",):
                other.add(f"{k} {name}")
        return recs, enums, consts, other

    b = collect(dump(BASE))
    f = collect(dump(HEADER))
    recs = {k: v for k, v in f[0].items() if k not in b[0]}
    enums = {k for k in f[1] if k not in b[1]}
    consts = {k: v for k, v in f[2].items() if k not in b[2]}
    other = f[3] - b[3]
    return recs, enums, consts, other


def values(side, int_macros, recs, enums, consts):
    """Compiles and runs the printing program; returns {key: value string}."""
    out = [f"#include <{HEADER}>", KERNEL_SHIM, "#include <stddef.h>", "#include <stdio.h>",
           "#define SIGNED(x) ((__typeof__(x))-1 < (__typeof__(x))0)",
           "#define NEG(x) ((x) < (__typeof__(x))0)",
           "int main(void)", "{"]
    for n in sorted(int_macros):
        out.append(f'\tprintf("macro %s\\t%llu %d %zu %d\\n", "{n}", (unsigned long long)({n}), '
                   f"(int)NEG({n}), sizeof({n}), (int)SIGNED({n}));")
    for r in sorted(recs):
        out.append(f'\tprintf("record %s\\t%zu %zu\\n", "{r}", sizeof({r}), _Alignof({r}));')
        for path, _ in recs[r]:
            out.append(f'\tprintf("field %s\\t%zu %zu\\n", "{r}.{path}", '
                       f"offsetof({r}, {path}), sizeof((({r} *)0)->{path}));")
    for e in sorted(enums):
        out.append(f'\tprintf("enum %s\\t%zu\\n", "{e}", sizeof({e}));')
    for c in sorted(consts):
        out.append(f'\tprintf("const %s\\t%lld\\n", "{c}", (long long){c});')
    out += ["\treturn 0;", "}", ""]
    src = side.write("values.c", "\n".join(out))
    exe = os.path.join(side.dir, "values")
    side.run(["-w", "-o", exe, src], "compiling the value program")
    p = subprocess.run([exe], capture_output=True, text=True, check=True)
    res = {}
    for line in p.stdout.splitlines():
        key, val = line.split("\t")
        res[key] = val
    return res


def show_macro(v):
    u, neg, size, signed = v.split()
    n = int(u)
    if neg == "1":
        n -= 1 << 64
    return f"{n:#x} ({size}-byte {'signed' if signed == '1' else 'unsigned'})"


class Report:
    def __init__(self):
        self.passed = self.failed = 0
        self.lines = []
        self.cat = None

    def begin(self, cat):
        self.cat, self.cat_fail, self.cat_pass = cat, [], 0

    def item(self, ok, text=""):
        if ok:
            self.cat_pass += 1
            self.passed += 1
        else:
            self.cat_fail.append(text)
            self.failed += 1

    def end(self):
        status = "ok" if not self.cat_fail else "not ok"
        print(f"{status}: {self.cat}: {self.cat_pass} passed, {len(self.cat_fail)} failed")
        for t in self.cat_fail:
            print(f"    not ok: {t}")


def compare_sets(rep, what, ours, theirs):
    for n in sorted(set(ours) | set(theirs)):
        if n in ours and n in theirs:
            continue
        label = f"{what} {n}" if what else n
        rep.item(False, f"{label}: " + ("only in ours" if n in ours else "missing from ours"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cc", default="clang")
    ap.add_argument("--ours", required=True)
    ap.add_argument("--theirs", required=True)
    ap.add_argument("--keep", help="keep the generated files in this directory")
    ap.add_argument("cflags", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cflags = [f for f in a.cflags if f != "--"]

    work = a.keep or tempfile.mkdtemp(prefix="uapi-check.")
    os.makedirs(work, exist_ok=True)
    try:
        sides = [Side(lbl, h, work, a.cc, cflags) for lbl, h in (("ours", a.ours), ("theirs", a.theirs))]
        m, k, u, s = {}, {}, {}, {}
        for sd in sides:
            obj, func = macros(sd)
            kern = integer_macros(sd, obj, KERNEL_SHIM)
            user = integer_macros(sd, kern, "")
            m[sd.label] = (obj, func, kern, user)
            s[sd.label] = ast(sd)
        common_int = m["ours"][2] & m["theirs"][2]
        recs = {}
        for r in s["ours"][0].keys() & s["theirs"][0].keys():
            theirs_paths = {p for p, _ in s["theirs"][0][r]}
            recs[r] = [(p, t) for p, t in s["ours"][0][r] if p in theirs_paths]
        enums = s["ours"][1] & s["theirs"][1]
        consts = s["ours"][2].keys() & s["theirs"][2].keys()
        for sd in sides:
            u[sd.label] = values(sd, common_int, recs, enums, consts)
        o, t = u["ours"], u["theirs"]

        rep = Report()

        rep.begin("macros (names, integer-ness, values)")
        mo, mt = m["ours"], m["theirs"]
        compare_sets(rep, "macro", mo[0], mt[0])
        compare_sets(rep, "function-like macro", mo[1], mt[1])
        for n in sorted(mo[0].keys() & mt[0].keys()):
            ko, kt = n in mo[2], n in mt[2]
            if ko != kt:
                rep.item(False, f"macro {n}: integer constant: ours {ko}, theirs {kt}"
                         f" (ours '{mo[0][n]}', theirs '{mt[0][n]}')")
                continue
            if not ko:
                same = mo[0][n] == mt[0][n]
                rep.item(same, f"macro {n} (not an integer): ours '{mo[0][n]}', theirs '{mt[0][n]}'")
                continue
            uo, ut = n in mo[3], n in mt[3]
            if uo != ut:
                rep.item(False, f"macro {n}: evaluable without kernel macros: ours {uo}, theirs {ut}"
                         f" (ours '{mo[0][n]}', theirs '{mt[0][n]}')")
                continue
            key = f"macro {n}"
            rep.item(o[key] == t[key], f"macro {n}: ours {show_macro(o[key])}, theirs {show_macro(t[key])}")
        rep.end()

        rep.begin("structs and unions (size, alignment, member offsets, sizes, types)")
        ro, rt = s["ours"][0], s["theirs"][0]
        compare_sets(rep, "", ro, rt)
        for r in sorted(recs):
            key = f"record {r}"
            so, st = o[key].split(), t[key].split()
            ok = so == st
            rep.item(ok, f"{r}: size/align ours {so[0]}/{so[1]}, theirs {st[0]}/{st[1]}")
            fo, ft = dict(ro[r]), dict(rt[r])
            for p in sorted(fo.keys() | ft.keys()):
                if p not in fo or p not in ft:
                    rep.item(False, f"{r}: member {p}: " + ("only in ours" if p in fo else "missing from ours"))
                    continue
                key = f"field {r}.{p}"
                vo, vt = o[key].split(), t[key].split()
                probs = []
                if vo[0] != vt[0]:
                    probs.append(f"offset ours {vo[0]}, theirs {vt[0]}")
                if vo[1] != vt[1]:
                    probs.append(f"size ours {vo[1]}, theirs {vt[1]}")
                if fo[p] != ft[p]:
                    probs.append(f"type ours '{fo[p]}', theirs '{ft[p]}'")
                rep.item(not probs, f"{r}: member {p}: " + "; ".join(probs))
        rep.end()

        rep.begin("enums (constants, values, enumeration, size)")
        eo, et = s["ours"][2], s["theirs"][2]
        compare_sets(rep, "enum", s["ours"][1], s["theirs"][1])
        compare_sets(rep, "enum constant", eo, et)
        for e in sorted(enums):
            key = f"enum {e}"
            rep.item(o[key] == t[key], f"{e}: size ours {o[key]}, theirs {t[key]}")
        for c in sorted(consts):
            key = f"const {c}"
            probs = []
            if o[key] != t[key]:
                probs.append(f"value ours {o[key]}, theirs {t[key]}")
            if eo[c] != et[c]:
                probs.append(f"in ours' {eo[c]}, theirs' {et[c]}")
            rep.item(not probs, f"{c}: " + "; ".join(probs))
        rep.end()

        rep.begin("other declarations (typedefs, functions, variables)")
        compare_sets(rep, "", s["ours"][3], s["theirs"][3])
        for _ in s["ours"][3] & s["theirs"][3]:
            rep.item(True)
        rep.end()

        print(f"{rep.passed} passed, {rep.failed} failed")
        return 1 if rep.failed else 0
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
