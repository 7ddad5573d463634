/* Exercises: a complete small language implementation spread over five
 * objects (lexer, compiler, VM, natives, driver): large switch dispatch,
 * const tables of strings and of native function pointers (.data.rel.ro),
 * recursion across objects, heap use, setjmp/longjmp error recovery between
 * objects, and callbacks from the VM into natives and back.
 * Language: integer-only, 'func', 'var', 'if/else', 'while', 'return',
 * && || ! and the usual operators; natives print/max/abs/isqrt/putc. */
#include <stdio.h>

int run_source(const char *name, const char *src, int disassemble);   /* compiler.c */

static const char prog_fib[] =
    "func fib(n) { if (n < 2) { return n; } return fib(n - 1) + fib(n - 2); }\n"
    "var i = 0;\n"
    "while (i < 20) { print(fib(i)); i = i + 1; }\n";

static const char prog_misc[] =
    "// forward references and mutual recursion\n"
    "func main() {\n"
    "  var n = 1; var total = 0;\n"
    "  while (n <= 30) {\n"
    "    if (is_even(n) && !(n % 3 == 0)) { total = total + n; }\n"
    "    else if (n % 5 == 0 || n == 7) { total = total - collatz(n); }\n"
    "    n = n + 1;\n"
    "  }\n"
    "  return total;\n"
    "}\n"
    "func is_even(n) { if (n == 0) { return 1; } return is_odd(n - 1); }\n"
    "func is_odd(n) { if (n == 0) { return 0; } return is_even(n - 1); }\n"
    "func collatz(n) { var steps = 0; while (n != 1) { if (n % 2) { n = 3 * n + 1; } else { n = n / 2; } steps = steps + 1; } return steps; }\n"
    "func gcd(a, b) { while (b) { var t = a % b; a = b; b = t; } return a; }\n"
    "print(main());\n"
    "print(gcd(1071, 462) * 1000 + gcd(2 * 3 * 5 * 7 * 11, 7 * 11 * 13));\n"
    "print(max(abs(-17), isqrt(1000000)) - -3);\n"
    "var c = 72; putc(c); putc(105); putc(33); putc(10);\n"
    "var big = 1; var k = 0; while (k < 62) { big = big * 2; k = k + 1; } print(big + (big - 1));\n";

static const char prog_primes[] =
    "func is_prime(n) {\n"
    "  if (n < 2) { return 0; }\n"
    "  var d = 2;\n"
    "  while (d * d <= n) { if (n % d == 0) { return 0; } d = d + 1; }\n"
    "  return 1;\n"
    "}\n"
    "var count = 0; var last = 0; var x = 0;\n"
    "while (x < 5000) { if (is_prime(x)) { count = count + 1; last = x; } x = x + 1; }\n"
    "print(count); print(last);\n"
    "func ack(m, n) { if (m == 0) { return n + 1; } if (n == 0) { return ack(m - 1, 1); } return ack(m - 1, ack(m, n - 1)); }\n"
    "print(ack(2, 3)); print(ack(3, 4));\n";

static const char prog_div0[] =
    "func f(a) { return 100 / a; }\n"
    "print(f(4)); print(f(0)); print(999);\n";

static const char prog_native_err[] =
    "func g(x) { return isqrt(x) + 1; }\n"
    "print(g(49)); print(g(-4)); print(1);\n";

static const char prog_syntax[] =
    "var a = 1;\n"
    "while (a < 3 { a = a + 1; }\n";

static const char prog_undef[] =
    "print(nosuch(1));\n"
    "func nosuch2() { return 0; }\n";

int main(void)
{
    static const struct { const char *name, *src; int dis; } progs[] = {
        { "fib", prog_fib, 1 }, { "misc", prog_misc, 0 }, { "primes", prog_primes, 0 },
        { "div0", prog_div0, 0 },
        { "native_err", prog_native_err, 0 }, { "syntax", prog_syntax, 0 }, { "undef", prog_undef, 0 },
    };
    int failures = 0;
    for (unsigned i = 0; i < sizeof progs / sizeof progs[0]; i++) {
        printf("== %s ==\n", progs[i].name);
        int rc = run_source(progs[i].name, progs[i].src, progs[i].dis);
        printf("== %s: %s ==\n", progs[i].name, rc == 0 ? "ok" : "error");
        failures += rc != 0;
    }
    printf("%d program(s) reported errors\n", failures);
    return 0;
}
