#!/usr/bin/env python3
"""Deterministic C program generator for bench/link-bench.sh.

    gen_inputs.py big   OUTDIR [--lines 46500] [--seed 1]
    gen_inputs.py multi OUTDIR [--files 20] [--lines 1500] [--seed 2]

`big` writes one C file (big.c) of about --lines lines plus main's
table of all functions (~50,000 lines in all by default); `multi` writes --files
C files (m00.c ... m19.c, each 1,000-2,000 lines around --lines) plus the
shared header multi.h, with calls and data references between the files.
Exactly one file defines `main`.

The programs are built from a small expression language that is emitted twice:
as C, and as an equivalent Python "mirror" (unsigned 32-bit arithmetic masked
by hand, the same libm calls through Python's math module). The mirror is run
here and its output written to OUTDIR/expected.txt: the natively linked program
must print exactly that, which proves that every call, function pointer, data
pointer and string reference was linked to the right place.

What the C contains, so that a linker sees the usual relocation mix:
  * functions of varied shapes: straight-line arithmetic, loops, dense switch
    statements (jump tables), record-list walks through function and data
    pointers, floating point with libm calls, string hashing with libc calls,
    dispatch through function-pointer tables, bounded self-recursion;
  * static const uint32 and double tables, string tables (pointer arrays to
    literals), per-function static lookup tables, local static counters;
  * global const records holding pointers to functions, strings, other
    records (across files in `multi`) and table elements; a mutable global
    struct with pointers to itself, a function and a table;
  * a global table of every external function, which `main` calls in turn.
Nothing depends on the order in which C evaluates operands: the only global
state written by the generated functions is `g_acc[]`, and only with `+=`.

The output depends only on the arguments (a seeded random.Random is the sole
source of randomness), so the same inputs are produced on every machine.
"""
import argparse
import math
import os
import random
import sys

M = 0xFFFFFFFF
CAP = 48      # upper bound on the dynamic number of calls one generated function makes
LEAF = 3      # functions with cost <= LEAF may sit in records and g_ctx
NACC = 16     # size of g_acc[]

VERBS = ["parse", "emit", "scan", "fold", "merge", "split", "hash", "mix", "walk",
         "load", "store", "pack", "unpack", "check", "fix", "lower", "raise",
         "map", "reduce", "select", "rotate", "blend", "probe", "visit", "sum"]
NOUNS = ["token", "node", "edge", "block", "frame", "symbol", "section", "entry",
         "record", "slot", "page", "chunk", "item", "field", "value", "table",
         "string", "state", "range", "span", "cell", "key", "tree", "list"]
WORDS = ["alpha", "beta", "gamma", "delta", "lantern", "linker", "object", "symbol",
         "section", "relocation", "segment", "program", "header", "string",
         "table", "dynamic", "static", "global", "local", "weak", "common",
         "text", "data", "rodata", "bss", "plt", "got", "init", "fini", "debug",
         "frame", "unwind", "note", "comment", "merge", "group", "link", "info"]


def fnv(s):
    h = 2166136261
    for ch in s.encode():
        h ^= ch
        h = (h * 16777619) & M
    return h


def cstr(s):
    return '"' + s + '"'          # the generated strings never need escapes


def uhex(v):
    return "0x%08xu" % v


class Fn:
    __slots__ = ("name", "unit", "static", "cost")

    def __init__(self, name, unit, static, cost):
        self.name, self.unit, self.static, self.cost = name, unit, static, cost


class Unit:
    def __init__(self, idx, prefix, multi):
        self.idx = idx
        self.prefix = prefix          # "" for big, "mNN_" for multi
        self.multi = multi
        self.c_data = []              # tables, strings, records (C)
        self.c_funcs = []             # function definitions (C)
        self.c_protos = []            # prototypes of this file's static functions
        self.py_data = []             # mirror: data without function references
        self.py_defs = []             # mirror: functions
        self.py_late = []             # mirror: data referring to functions
        self.tabs = []                # (name, length, values, is_global)
        self.strtabs = []             # (name, strings)
        self.dtabs = []               # (name, values)
        self.recs = None              # (name, count)
        self.ftabs = []               # (name, length, cost)
        self.funcs = []
        self.lines = 0
        self.nlocal = 0

    def name(self, base):
        return self.prefix + base


class Gen:
    def __init__(self, kind, seed, nunits, lines_per_unit):
        self.rng = random.Random(seed)
        self.kind = kind
        self.multi = kind == "multi"
        self.units = []
        for i in range(nunits):
            u = Unit(i, ("m%02d_" % i) if self.multi else "", self.multi)
            if self.multi:
                # 1,000 - 2,000 lines per file, deterministic spread around the target
                u.target = max(1000, min(2000, int(lines_per_unit * self.rng.uniform(0.7, 1.3))))
            else:
                u.target = lines_per_unit
            self.units.append(u)
        self.global_funcs = []
        self.all_funcs = []
        self.fn_serial = 0
        self.global_tabs = []         # (name, length, values)
        self.global_recs = []         # (name, count)
        self.leafs = []               # Fn with cost <= LEAF and external linkage (or big)

    # ------------------------------------------------------------------ data
    def make_data(self, u):
        r = self.rng
        ntabs = max(4, u.target // 700)
        for t in range(ntabs):
            n = r.choice([16, 32, 64, 128, 256])
            vals = [r.getrandbits(32) for _ in range(n)]
            is_global = t < 2
            name = u.name("tab%d" % t)
            u.tabs.append((name, n, vals, is_global))
            if self.multi and is_global:
                self.global_tabs.append((name, n, vals))
            lines = ["%sconst uint32_t %s[%d] = {" % ("" if is_global else "static ", name, n)]
            for k in range(0, n, 6):
                lines.append("    " + ", ".join(uhex(v) for v in vals[k:k + 6]) + ",")
            lines.append("};")
            lines.append("")
            u.c_data += lines
            u.py_data.append("%s = %r" % (name, vals))
        nstr = max(2, u.target // 1500)
        for t in range(nstr):
            n = r.randint(12, 40)
            strs = []
            for _ in range(n):
                w = [r.choice(WORDS) for _ in range(r.randint(1, 4))]
                s = r.choice(["-", "_", " ", "."]).join(w)
                if r.random() < 0.3:
                    s += " %d" % r.randint(0, 9999)
                strs.append(s)
            name = u.name("strs%d" % t)
            u.strtabs.append((name, strs))
            u.c_data.append("static const char *const %s[%d] = {" % (name, n))
            for s in strs:
                u.c_data.append("    %s," % cstr(s))
            u.c_data += ["};", ""]
            u.py_data.append("%s_h = %r" % (name, [fnv(s) for s in strs]))
            u.py_data.append("%s_l = %r" % (name, [len(s) for s in strs]))
        for t in range(max(1, u.target // 4000)):
            vals = [round(r.uniform(-500.0, 500.0), r.randint(1, 6)) for _ in range(8)]
            name = u.name("dtab%d" % t)
            u.dtabs.append((name, vals))
            u.c_data.append("static const double %s[8] = { %s };" % (name, ", ".join(repr(v) for v in vals)))
            u.c_data.append("")
            u.py_data.append("%s = %r" % (name, vals))
        name = u.name("recs")
        u.recs = (name, r.choice([24, 32, 48]))
        self.global_recs.append(u.recs)

    def make_records(self, u):
        """Records point at leaf functions, strings, other records and table elements."""
        r = self.rng
        name, n = u.recs
        u.c_data.append("%sconst struct rec %s[%d] = {" % ("" if self.multi else "static ", name, n))
        py = []
        for k in range(n):
            rid, w, kind = r.getrandbits(32), r.randint(0, 65535), r.randint(0, 7)
            s = "-".join(r.choice(WORDS) for _ in range(r.randint(1, 3)))
            fn = r.choice(self.leafs) if r.random() < 0.8 else None
            if r.random() < 0.7 or not self.multi:
                nx = (name, r.randrange(n))
            else:
                nx = r.choice(self.global_recs)
                nx = (nx[0], r.randrange(nx[1]))
            tabs = [(t[0], t[1], t[2]) for t in u.tabs] + (self.global_tabs if self.multi else [])
            tname, tlen, tvals = r.choice(tabs)
            ti = r.randrange(tlen)
            u.c_data.append("    { %s, %d, %d, %s, %s, &%s[%d], &%s[%d] }," % (
                uhex(rid), w, kind, cstr(s), fn.name if fn else "0", nx[0], nx[1], tname, ti))
            py.append("[%d, %d, %d, %d, %s, (%r, %d), %d]" % (
                rid, w, kind, fnv(s), fn.name if fn else "None", nx[0], nx[1], tvals[ti]))
        u.c_data += ["};", ""]
        u.py_late.append("%s = [%s]" % (name, ", ".join(py)))

    # ------------------------------------------------------------ expressions
    def pick_callee(self, u, budget):
        r = self.rng
        if budget < 1:
            return None
        for _ in range(6):
            if self.multi and r.random() < 0.35 and self.global_funcs:
                f = r.choice(self.global_funcs)
            elif u.funcs:
                # mostly recent functions (locality), sometimes any
                f = u.funcs[-r.randint(1, min(len(u.funcs), 40))] if r.random() < 0.6 else r.choice(u.funcs)
            else:
                return None
            if f.cost <= budget:
                return f
        return None

    def leaf(self, u, vars):
        r = self.rng
        k = r.random()
        if k < 0.45:
            v = r.choice(vars)
            return v, v
        if k < 0.7:
            c = r.getrandbits(r.choice([4, 8, 16, 32]))
            return uhex(c), str(c)
        if k < 0.8:
            name, n, vals, _ = r.choice(u.tabs)
            i = r.randrange(n)
            return "%s[%d]" % (name, i), str(vals[i])
        if k < 0.87:
            s = "-".join(r.choice(WORDS) for _ in range(r.randint(1, 3)))
            return "hstr(%s)" % cstr(s), str(fnv(s))
        if k < 0.94:
            name, strs = r.choice(u.strtabs)
            i = r.randrange(len(strs))
            return "(uint32_t)strlen(%s[%d])" % (name, i), str(len(strs[i]))
        name, n = u.recs
        i = r.randrange(n)
        return "%s[%d].id" % (name, i), "%s[%d][0]" % (name, i)

    def expr(self, u, vars, depth, budget):
        """Returns (C text, Python text, cost)."""
        r = self.rng
        if depth <= 0 or r.random() < 0.2:
            c, p = self.leaf(u, vars)
            return c, p, 0
        k = r.random()
        if k < 0.5:
            op = r.choice(["+", "-", "*", "^", "&", "|", "<<", ">>", "%", "+", "^"])
            lc, lp, lk = self.expr(u, vars, depth - 1, budget)
            rc, rp, rk = self.expr(u, vars, depth - 1, budget - lk)
            if op in "+-*":
                return "(%s %s %s)" % (lc, op, rc), "((%s %s %s) & M)" % (lp, op, rp), lk + rk
            if op in ("^", "&", "|"):
                return "(%s %s %s)" % (lc, op, rc), "(%s %s %s)" % (lp, op, rp), lk + rk
            if op == "<<":
                return "(%s << (%s & 31u))" % (lc, rc), "((%s << (%s & 31)) & M)" % (lp, rp), lk + rk
            if op == ">>":
                return "(%s >> (%s & 31u))" % (lc, rc), "(%s >> (%s & 31))" % (lp, rp), lk + rk
            return "(%s %% (%s | 1u))" % (lc, rc), "(%s %% (%s | 1))" % (lp, rp), lk + rk
        if k < 0.68:
            f = self.pick_callee(u, budget)
            if f is not None:
                ac, ap, ak = self.expr(u, vars, depth - 2, budget - f.cost)
                bc, bp, bk = self.expr(u, vars, depth - 2, budget - f.cost - ak)
                return ("%s(%s, %s)" % (f.name, ac, bc), "%s(%s, %s)" % (f.name, ap, bp),
                        f.cost + ak + bk)
            c, p = self.leaf(u, vars)
            return c, p, 0
        if k < 0.78:
            name, n, _, _ = r.choice(u.tabs)
            ic, ip, ik = self.expr(u, vars, depth - 1, budget)
            return "%s[(%s) & %du]" % (name, ic, n - 1), "%s[%s & %d]" % (name, ip, n - 1), ik
        if k < 0.85:
            name, strs = r.choice(u.strtabs)
            ic, ip, ik = self.expr(u, vars, depth - 1, budget)
            n = len(strs)
            if r.random() < 0.5:
                return "hstr(%s[(%s) %% %du])" % (name, ic, n), "%s_h[%s %% %d]" % (name, ip, n), ik
            return ("(uint32_t)strlen(%s[(%s) %% %du])" % (name, ic, n),
                    "%s_l[%s %% %d]" % (name, ip, n), ik)
        if k < 0.93:
            cc, cp, ck = self.expr(u, vars, depth - 2, budget)
            m = r.choice([1, 2, 4, 8])
            xc, xp, xk = self.expr(u, vars, depth - 1, budget - ck)
            yc, yp, yk = self.expr(u, vars, depth - 1, budget - ck - xk)
            return ("((%s & %du) ? %s : %s)" % (cc, m, xc, yc),
                    "(%s if %s & %d else %s)" % (xp, cp, m, yp), ck + xk + yk)
        xc, xp, xk = self.expr(u, vars, depth - 1, budget)
        s = r.randint(1, 31)
        return "rotl(%s, %du)" % (xc, s), "rotl(%s, %d)" % (xp, s), xk

    def cond(self, u, vars, budget):
        r = self.rng
        xc, xp, xk = self.expr(u, vars, 2, budget)
        if r.random() < 0.5:
            m = r.choice([1, 3, 7, 15])
            v = r.randint(0, m)
            return "(%s & %du) == %du" % (xc, m, v), "(%s & %d) == %d" % (xp, m, v), xk
        yc, yp, yk = self.expr(u, vars, 2, budget - xk)
        op = r.choice(["<", ">", "<=", ">=", "!="])
        return "%s %s %s" % (xc, op, yc), "%s %s %s" % (xp, op, yp), xk + yk

    def update(self, u, var, vars, depth, budget, ind):
        """One statement updating `var`; returns (C line, Python line, cost)."""
        r = self.rng
        ec, ep, ek = self.expr(u, vars, depth, budget)
        op = r.choice(["=", "^=", "+=", "*=", "-=", "|="])
        pad = "    " * ind
        if op == "=":
            return "%s%s = %s;" % (pad, var, ec), "%s%s = %s" % (pad, var, ep), ek
        if op == "^=":
            return "%s%s ^= %s;" % (pad, var, ec), "%s%s ^= %s" % (pad, var, ep), ek
        if op == "|=":
            return "%s%s |= %s;" % (pad, var, ec), "%s%s |= %s" % (pad, var, ep), ek
        if op == "*=":
            return ("%s%s *= (%s) | 1u;" % (pad, var, ec),
                    "%s%s = (%s * (%s | 1)) & M" % (pad, var, var, ep), ek)
        o = op[0]
        return ("%s%s %s %s;" % (pad, var, op, ec),
                "%s%s = (%s %s %s) & M" % (pad, var, var, o, ep), ek)

    def acc_stmt(self, var):
        k = self.rng.randrange(NACC)
        return "    g_acc[%d] += %s;" % (k, var), "    g_acc[%d] = (g_acc[%d] + %s) & M" % (k, k, var)

    # ----------------------------------------------------------------- shapes
    def shape_expr(self, u, name, budget):
        r = self.rng
        c, p = [], []
        ec, ep, cost = self.expr(u, ["a", "b"], r.randint(2, 5), budget)
        c.append("    uint32_t r = %s;" % ec)
        p.append("    r = %s" % ep)
        if r.random() < 0.25:
            # per-function static lookup table (local symbol in .rodata)
            vals = [r.randint(0, 255) for _ in range(16)]
            c.append("    static const uint8_t lut[16] = { %s };" % ", ".join(map(str, vals)))
            c.append("    r += lut[r & 15u];")
            u.py_data.append("%s_lut = %r" % (name, vals))
            p.append("    r = (r + %s_lut[r & 15]) & M" % name)
        for _ in range(r.randint(0, 4)):
            sc, sp, sk = self.update(u, "r", ["a", "b", "r"], r.randint(1, 4), budget - cost, 1)
            c.append(sc)
            p.append(sp)
            cost += sk
        if r.random() < 0.3:
            c.append("    static uint32_t calls;")
            c.append("    calls++;")
        if r.random() < 0.3:
            sc, sp = self.acc_stmt("r")
            c.append(sc)
            p.append(sp)
        c.append("    return r;")
        p.append("    return r")
        return c, p, cost

    def shape_loop(self, u, name, budget):
        r = self.rng
        c, p = [], []
        n = r.randint(2, 8)
        ec, ep, cost = self.expr(u, ["a", "b"], 3, budget)
        c.append("    uint32_t acc = %s;" % ec)
        p.append("    acc = %s" % ep)
        c.append("    for (uint32_t i = 0; i < %du; i++) {" % n)
        p.append("    for i in range(%d):" % n)
        inner = (budget - cost) // n
        icost = 0
        for _ in range(r.randint(1, 3)):
            sc, sp, sk = self.update(u, "acc", ["a", "b", "acc", "i"], r.randint(1, 3), inner - icost, 2)
            c.append(sc)
            p.append(sp)
            icost += sk
        if r.random() < 0.5:
            cc, cp, ck = self.cond(u, ["acc", "i", "a"], 0)
            c.append("        if (%s)" % cc)
            p.append("        if %s:" % cp)
            sc, sp, sk = self.update(u, "acc", ["a", "b", "acc", "i"], 2, inner - icost, 3)
            c.append(sc)
            p.append(sp)
            icost += sk
        cost += icost * n
        c.append("    }")
        ec, ep, ek = self.expr(u, ["a", "b", "acc"], 2, budget - cost)
        cost += ek
        if r.random() < 0.3:
            sc, sp = self.acc_stmt("acc")
            c.append(sc)
            p.append(sp)
        c.append("    return acc ^ %s;" % ec)
        p.append("    return acc ^ %s" % ep)
        return c, p, cost

    def shape_switch(self, u, name, budget):
        r = self.rng
        c, p = [], []
        nc = r.randint(6, 24)
        off = r.choice([0, 0, 1, 10, 100])
        sc_, sp_, cost = self.expr(u, ["a", "b"], 2, budget // 3)
        c.append("    uint32_t r = b;")
        p.append("    r = b")
        c.append("    switch ((%s) %% %du + %du) {" % (sc_, nc, off))
        p.append("    s = %s %% %d + %d" % (sp_, nc, off))
        vals = list(range(off, off + nc))
        # leave a few values to `default`
        r.shuffle(vals)
        vals = sorted(vals[:max(4, int(nc * r.uniform(0.6, 1.0)))])
        groups, i = [], 0
        while i < len(vals):
            g = r.randint(1, 3)
            groups.append(vals[i:i + g])
            i += g
        worst = 0
        first = True
        for g in groups + [None]:
            if g is None:
                c.append("    default:")
                p.append("    else:")
            else:
                for v in g:
                    c.append("    case %du:" % v)
                p.append("    %s s in (%s):" % ("if" if first else "elif", ", ".join(map(str, g)) + ","))
                first = False
            ccost = 0
            for _ in range(r.randint(1, 3)):
                l1, l2, k = self.update(u, "r", ["a", "b", "r"], r.randint(1, 3), budget - cost - ccost, 2)
                c.append(l1)
                p.append(l2)
                ccost += k
            c.append("        break;")
            worst = max(worst, ccost)
        c.append("    }")
        cost += worst
        c.append("    return r ^ a;")
        p.append("    return r ^ a")
        return c, p, cost

    def shape_walk(self, u, name, budget):
        r = self.rng
        c, p = [], []
        recs = u.recs if (not self.multi or r.random() < 0.7) else r.choice(self.global_recs)
        rname, rn = recs
        n = r.randint(2, 6)
        ec, ep, cost = self.expr(u, ["a", "b"], 2, budget - n * (LEAF + 1))
        c.append("    const struct rec *p = &%s[(%s) %% %du];" % (rname, ec, rn))
        p.append("    p = %s[%s %% %d]" % (rname, ep, rn))
        c += ["    uint32_t acc = b;",
              "    for (uint32_t i = 0; i < %du; i++) {" % n,
              "        acc += p->id ^ hstr(p->name);",
              "        acc = rotl(acc, p->w);",
              "        acc ^= *p->data;",
              "        if (p->fn)",
              "            acc = p->fn(acc, i + p->kind);",
              "        p = p->next;",
              "    }",
              "    return acc;"]
        p += ["    acc = b",
              "    for i in range(%d):" % n,
              "        acc = (acc + (p[0] ^ p[3])) & M",
              "        acc = rotl(acc, p[1])",
              "        acc ^= p[6]",
              "        if p[4] is not None:",
              "            acc = p[4](acc, i + p[2])",
              "        p = p[5]",
              "    return acc"]
        return c, p, cost + n * (LEAF + 1)

    def shape_fp(self, u, name, budget):
        r = self.rng
        c, p = [], []
        dname, _ = r.choice(u.dtabs)
        e1c, e1p, k1 = self.expr(u, ["a", "b"], 3, budget)
        e2c, e2p, k2 = self.expr(u, ["a", "b"], 2, budget - k1)
        mul = repr(round(r.uniform(0.001, 3.0), r.randint(2, 9)))
        f = r.choice(["sin", "cos", "log1p_", "sqrt"])
        if f == "log1p_":
            fc, fp = "log(x + 1.0)", "math.log(x + 1.0)"
        else:
            fc, fp = "%s(x * 1e-06)" % f, "math.%s(x * 1e-06)" % f
        c += ["    double x = (double)(%s) * %s + (double)(b & 0xffffu);" % (e1c, mul),
              "    double y = %s * 1000.0 + sqrt(x) + %s[a & 7u];" % (fc, dname),
              "    uint32_t r = (uint32_t)(int64_t)y ^ %s;" % e2c]
        p += ["    x = float(%s) * %s + float(b & 0xffff)" % (e1p, mul),
              "    y = %s * 1000.0 + math.sqrt(x) + %s[a & 7]" % (fp, dname),
              "    r = (int(y) & M) ^ %s" % e2p]
        if r.random() < 0.3:
            sc, sp = self.acc_stmt("r")
            c.append(sc)
            p.append(sp)
        c.append("    return r;")
        p.append("    return r")
        return c, p, k1 + k2

    def shape_str(self, u, name, budget):
        r = self.rng
        c, p = [], []
        (n1, s1), (n2, s2) = r.choice(u.strtabs), r.choice(u.strtabs)
        ec, ep, cost = self.expr(u, ["a", "b"], 3, budget)
        t = r.randint(5, 25)
        c += ["    const char *s = %s[(%s) %% %du];" % (n1, ec, len(s1)),
              "    uint32_t h = hstr(s) ^ a;",
              "    size_t n = strlen(s);",
              "    h += (uint32_t)n * 2654435761u;",
              "    if (n > %du)" % t,
              "        h ^= hstr(%s[b %% %du]);" % (n2, len(s2))]
        p += ["    si = %s %% %d" % (ep, len(s1)),
              "    h = %s_h[si] ^ a" % n1,
              "    n = %s_l[si]" % n1,
              "    h = (h + n * 2654435761) & M",
              "    if n > %d:" % t,
              "        h ^= %s_h[b %% %d]" % (n2, len(s2))]
        e2c, e2p, k2 = self.expr(u, ["a", "b", "h"], 3, budget - cost)
        c.append("    return h + %s;" % e2c)
        p.append("    return (h + %s) & M" % e2p)
        return c, p, cost + k2

    def get_ftab(self, u, budget):
        r = self.rng
        ok = [t for t in u.ftabs if t[2] <= budget]
        if ok and r.random() < 0.6:
            return r.choice(ok)
        pool = [f for f in (u.funcs + (self.global_funcs if self.multi else [])) if f.cost <= budget]
        if len(pool) < 4:
            return ok[0] if ok else None
        n = r.choice([4, 8, 12, 16])
        ents = [r.choice(pool) for _ in range(n)]
        name = u.name("ftab%d" % len(u.ftabs))
        cost = max(f.cost for f in ents)
        u.c_data.append("static uint32_t (*const %s[%d])(uint32_t, uint32_t) = {" % (name, n))
        for k in range(0, n, 4):
            u.c_data.append("    " + ", ".join(f.name for f in ents[k:k + 4]) + ",")
        u.c_data += ["};", ""]
        u.py_late.append("%s = [%s]" % (name, ", ".join(f.name for f in ents)))
        t = (name, n, cost)
        u.ftabs.append(t)
        return t

    def shape_dispatch(self, u, name, budget):
        r = self.rng
        t = self.get_ftab(u, budget - 1)
        if t is None:
            return self.shape_expr(u, name, budget)
        tname, n, tcost = t
        ec, ep, cost = self.expr(u, ["a", "b"], 3, budget - tcost)
        e2c, e2p, k2 = self.expr(u, ["a", "b", "x"], 2, budget - tcost - cost)
        c = ["    uint32_t x = %s;" % ec,
             "    return %s[x %% %du](x ^ b, a + %s);" % (tname, n, e2c)]
        p = ["    x = %s" % ep,
             "    return %s[x %% %d](x ^ b, (a + %s) & M)" % (tname, n, e2p)]
        return c, p, cost + k2 + tcost

    def shape_rec(self, u, name, budget):
        r = self.rng
        e0c, e0p, _ = self.expr(u, ["a", "b"], 2, 0)
        e1c, e1p, _ = self.expr(u, ["a", "b"], 3, 0)
        e2c, e2p, k2 = self.expr(u, ["a", "b"], 2, budget // 8 - 1)
        c = ["    if ((b & 7u) == 0u)",
             "        return a ^ %s;" % e0c,
             "    return %s(%s, b - 1u) + %s;" % (name, e1c, e2c)]
        p = ["    if (b & 7) == 0:",
             "        return a ^ %s" % e0p,
             "    return (%s(%s, b - 1) + %s) & M" % (name, e1p, e2p)]
        return c, p, 8 * (1 + k2)

    SHAPES = [("expr", 30), ("loop", 16), ("switch", 12), ("walk", 7), ("fp", 6),
              ("str", 9), ("dispatch", 10), ("rec", 4)]

    def make_function(self, u, leaf=False):
        r = self.rng
        self.fn_serial += 1
        name = "%s%s_%s_%d" % (u.prefix, r.choice(VERBS), r.choice(NOUNS), self.fn_serial)
        static = (r.random() < 0.3) if self.multi else (r.random() < 0.5)
        if leaf:
            static = False
            budget = 0
            shape = "expr"
        else:
            budget = r.randint(0, CAP - 1)
            tot = sum(w for _, w in self.SHAPES)
            x = r.uniform(0, tot)
            for shape, w in self.SHAPES:
                x -= w
                if x <= 0:
                    break
        c, p, cost = getattr(self, "shape_" + shape)(u, name, budget)
        cost += 1
        assert cost <= CAP + 8 * LEAF, (shape, cost)
        f = Fn(name, u, static, cost)
        sig = "uint32_t %s(uint32_t a, uint32_t b)" % name
        if static:
            u.c_protos.append("static %s;" % sig)
        u.c_funcs.append(("static " if static else "") + sig)
        u.c_funcs.append("{")
        u.c_funcs += c
        u.c_funcs += ["}", ""]
        u.py_defs.append("def %s(a, b):" % name)
        u.py_defs += p
        u.py_defs.append("")
        u.lines += len(c) + 4
        u.funcs.append(f)
        if not static:
            self.global_funcs.append(f)
            self.all_funcs.append(f)
        if cost <= LEAF and not static:
            self.leafs.append(f)
        return f

    # ------------------------------------------------------------------- main
    def main_unit(self, u):
        r = self.rng
        seed = r.getrandbits(32)
        funcs = self.all_funcs
        ctx_fn = r.choice(self.leafs)
        ctx_tab = u.tabs[0]
        ctx_name = "ctx-" + "-".join(r.choice(WORDS) for _ in range(3))
        c = []
        if self.multi:
            c.append("uint32_t g_acc[%d];" % NACC)
        c += ["struct ctx g_ctx = { %s, %s, %s, &g_ctx };" % (cstr(ctx_name), ctx_fn.name, ctx_tab[0]), "",
              "%suint32_t (*const all_funcs[%d])(uint32_t, uint32_t) = {" % ("" if self.multi else "static ", len(funcs))]
        for k in range(0, len(funcs), 3):
            c.append("    " + ", ".join(f.name for f in funcs[k:k + 3]) + ",")
        c += ["};", "",
              "int main(void)",
              "{",
              "    uint32_t acc = %s;" % uhex(seed),
              "    for (uint32_t i = 0; i < %du; i++)" % len(funcs),
              "        acc = acc * 31u + all_funcs[i](acc ^ i, i * 2654435761u);",
              "    printf(\"functions %%u\\n\", %du);" % len(funcs),
              "    printf(\"checksum %08x\\n\", acc);",
              "    for (unsigned k = 0; k < %du; k++)" % NACC,
              "        printf(\"acc[%u] %08x\\n\", k, g_acc[k]);",
              "    printf(\"%s %08x %d\\n\", g_ctx.name, g_ctx.fn(acc, g_ctx.tab[3]), g_ctx.self == &g_ctx);",
              "    return 0;",
              "}"]
        u.c_funcs += c
        p = ["all_funcs = [%s]" % ", ".join(f.name for f in funcs),
             "def main():",
             "    acc = %d" % seed,
             "    for i, f in enumerate(all_funcs):",
             "        acc = (acc * 31 + f(acc ^ i, (i * 2654435761) & M)) & M",
             "    out = ['functions %d' % len(all_funcs), 'checksum %08x' % acc]",
             "    out += ['acc[%%d] %%08x' %% (k, g_acc[k]) for k in range(%d)]" % NACC,
             "    out.append('%%s %%08x 1' %% (%r, %s(acc, %s[3])))" % (ctx_name, ctx_fn.name, ctx_tab[0]),
             "    return '\\n'.join(out) + '\\n'"]
        u.py_late += p

    # ---------------------------------------------------------------- output
    PRELUDE = r"""#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct rec {
    uint32_t id;
    uint16_t w;
    uint16_t kind;
    const char *name;
    uint32_t (*fn)(uint32_t, uint32_t);
    const struct rec *next;
    const uint32_t *data;
};

struct ctx {
    const char *name;
    uint32_t (*fn)(uint32_t, uint32_t);
    const uint32_t *tab;
    struct ctx *self;
};

static inline uint32_t rotl(uint32_t x, unsigned k)
{
    k &= 31u;
    return (x << k) | (x >> ((32u - k) & 31u));
}

static inline uint32_t hstr(const char *s)
{
    uint32_t h = 2166136261u;
    while (*s) {
        h ^= (unsigned char)*s++;
        h *= 16777619u;
    }
    return h;
}
"""

    def run(self):
        for u in self.units:
            self.make_data(u)
        # a seed of leaf functions in every file, so that records have targets
        for u in self.units:
            for _ in range(6):
                self.make_function(u, leaf=True)
        for u in self.units:
            self.make_records(u)
        active = list(self.units)
        while active:
            for u in list(active):
                if u.lines + len(u.c_data) >= u.target - 40:
                    active.remove(u)
                    continue
                self.make_function(u)

    def write(self, outdir):
        os.makedirs(outdir, exist_ok=True)
        py = ["import math", "M = 0xFFFFFFFF",
              "def rotl(x, k):",
              "    k &= 31",
              "    return ((x << k) | (x >> ((32 - k) & 31))) & M",
              "g_acc = [0] * %d" % NACC]
        for u in self.units:
            py += u.py_data
        for u in self.units:
            py += u.py_defs
        mu = self.units[0]
        self.main_unit(mu)
        for u in self.units:
            py += u.py_late
        # resolve record `next` references into the record objects themselves
        py += ["for _name in %r:" % [n for n, _ in self.global_recs],
               "    for _r in globals()[_name]:",
               "        _r[5] = globals()[_r[5][0]][_r[5][1]]"]
        mirror = "\n".join(py) + "\n"
        with open(os.path.join(outdir, "mirror.py"), "w") as fh:
            fh.write(mirror)
        env = {}
        sys.setrecursionlimit(10000)
        exec(compile(mirror, "mirror.py", "exec"), env)
        with open(os.path.join(outdir, "expected.txt"), "w") as fh:
            fh.write(env["main"]())

        total = 0
        if self.multi:
            hdr = ["#ifndef MULTI_H", "#define MULTI_H", "", self.PRELUDE,
                   "extern uint32_t g_acc[%d];" % NACC, "extern struct ctx g_ctx;"]
            for name, n in self.global_recs:
                hdr.append("extern const struct rec %s[%d];" % (name, n))
            for name, n, _ in self.global_tabs:
                hdr.append("extern const uint32_t %s[%d];" % (name, n))
            hdr.append("")
            for f in self.global_funcs:
                hdr.append("uint32_t %s(uint32_t a, uint32_t b);" % f.name)
            hdr += ["", "#endif"]
            with open(os.path.join(outdir, "multi.h"), "w") as fh:
                fh.write("\n".join(hdr) + "\n")
            for u in self.units:
                text = ["/* generated by bench/gen_inputs.py: do not edit */", '#include "multi.h"', ""]
                text += u.c_protos + [""] + u.c_data + u.c_funcs
                with open(os.path.join(outdir, "m%02d.c" % u.idx), "w") as fh:
                    fh.write("\n".join(text) + "\n")
                total += len(text)
        else:
            u = self.units[0]
            text = ["/* generated by bench/gen_inputs.py: do not edit */", self.PRELUDE,
                    "static uint32_t g_acc[%d];" % NACC, "extern struct ctx g_ctx;", ""]
            text += ["uint32_t %s(uint32_t a, uint32_t b);" % f.name for f in u.funcs if not f.static]
            text += u.c_protos + [""] + u.c_data + u.c_funcs
            with open(os.path.join(outdir, "big.c"), "w") as fh:
                fh.write("\n".join(text) + "\n")
            total = len(text)
        return total


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("kind", choices=["big", "multi"])
    ap.add_argument("outdir")
    ap.add_argument("--lines", type=int, help="lines of C (big) or per file (multi)")
    ap.add_argument("--files", type=int, default=20, help="number of files (multi)")
    ap.add_argument("--seed", type=int)
    a = ap.parse_args()
    if a.kind == "big":
        # the target covers functions and data; main's table of all functions adds ~3,500 lines
        g = Gen("big", 1 if a.seed is None else a.seed, 1, a.lines or 46500)
    else:
        g = Gen("multi", 2 if a.seed is None else a.seed, a.files, a.lines or 1500)
    g.run()
    total = g.write(a.outdir)
    print("%s: %d lines of C, %d functions (%d external), written to %s"
          % (a.kind, total, sum(len(u.funcs) for u in g.units), len(g.global_funcs), a.outdir))


if __name__ == "__main__":
    main()
