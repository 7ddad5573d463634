/* natives: host-side builtins reached through a const table of function
 * pointers; errors are reported via vm_error (longjmp into d_vm.c) */
#include <stdio.h>
#include <string.h>

void vm_error(const char *msg);                /* d_vm.c */

static long long n_print(const long long *a) { printf("%lld\n", a[0]); return a[0]; }
static long long n_max(const long long *a) { return a[0] > a[1] ? a[0] : a[1]; }
static long long n_abs(const long long *a) { return a[0] < 0 ? -a[0] : a[0]; }
static long long n_putc(const long long *a) { putchar((int)a[0]); return 0; }
static long long n_isqrt(const long long *a)
{
    if (a[0] < 0) vm_error("isqrt of negative number");
    long long r = 0;
    while ((r + 1) * (r + 1) <= a[0]) r++;
    return r;
}

static const struct native { const char *name; int arity; long long (*fn)(const long long *); } natives[] = {
    { "print", 1, n_print }, { "max", 2, n_max }, { "abs", 1, n_abs },
    { "isqrt", 1, n_isqrt }, { "putc", 1, n_putc },
};

int native_lookup(const char *name, int *arity)
{
    for (unsigned i = 0; i < sizeof natives / sizeof natives[0]; i++)
        if (strcmp(natives[i].name, name) == 0) { *arity = natives[i].arity; return (int)i; }
    return -1;
}

const char *native_name(int id) { return natives[id].name; }
long long native_call(int id, const long long *args) { return natives[id].fn(args); }
