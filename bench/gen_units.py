#!/usr/bin/env python3
"""Generator of many tiny C files for bench/debug-bench.sh.

    gen_units.py N OUTDIR

Writes OUTDIR/f_0.c ... OUTDIR/f_{N-1}.c, one small function each, and
OUTDIR/main.c:

    f_0.c      int f_0(int x) { return x + 1; }
    f_i.c      int f_{i-1}(int x);  int f_i(int x) { return f_{i-1}(x) + 1; }
    main.c     prints f_{N-1}(0), which is N

and OUTDIR/expected.txt with the program's output ("N\\n"). Every file uses
only symbols of the files before it (main.c comes last), so the objects can
be linked one unit at a time in the order f_0.o ... f_{N-1}.o main.o.
The breakpoint the benchmark sets is f_{N-1}, reached before the chain runs.
"""
import os
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: gen_units.py N OUTDIR")
    try:
        n = int(sys.argv[1])
    except ValueError:
        sys.exit("gen_units.py: N must be a number, not %r" % sys.argv[1])
    if n < 1:
        sys.exit("gen_units.py: N must be at least 1")
    out = sys.argv[2]
    os.makedirs(out, exist_ok=True)
    for i in range(n):
        with open(os.path.join(out, "f_%d.c" % i), "w") as fh:
            if i == 0:
                fh.write("int f_0(int x)\n{\n    return x + 1;\n}\n")
            else:
                fh.write("int f_%d(int x);\n\nint f_%d(int x)\n{\n    return f_%d(x) + 1;\n}\n"
                         % (i - 1, i, i - 1))
    with open(os.path.join(out, "main.c"), "w") as fh:
        fh.write("#include <stdio.h>\n\nint f_%d(int x);\n\n"
                 "int main(void)\n{\n    printf(\"%%d\\n\", f_%d(0));\n    return 0;\n}\n"
                 % (n - 1, n - 1))
    with open(os.path.join(out, "expected.txt"), "w") as fh:
        fh.write("%d\n" % n)
    print("gen_units.py: wrote %d function files and main.c to %s" % (n, out))


if __name__ == "__main__":
    main()
