/* Exercises: dynamic stack allocation: alloca() in loops and recursion, VLAs
 * (including 2-D VLAs and VLA parameters) passed to a function in another
 * object; checks the stack stays consistent across calls into host libc. */
#include <alloca.h>
#include <stdio.h>
#include <string.h>

long matrix_trace_product(int n, int m, double a[n][m], double b[m][n]);   /* other.c */
unsigned checksum_bytes(const unsigned char *p, size_t n);                 /* other.c */

static unsigned recurse_alloca(int depth, unsigned seed)
{
    if (depth == 0) return seed;
    size_t sz = (size_t)(depth * 37 % 200) + 16;
    unsigned char *buf = alloca(sz);
    for (size_t i = 0; i < sz; i++) buf[i] = (unsigned char)(seed + i * depth);
    unsigned below = recurse_alloca(depth - 1, seed * 1664525u + 1013904223u);
    return below ^ checksum_bytes(buf, sz);      /* buf must survive the recursion */
}

static int vla_sieve(int n)
{
    char composite[n + 1];
    memset(composite, 0, sizeof composite);
    int count = 0;
    for (int i = 2; i <= n; i++) {
        if (composite[i]) continue;
        count++;
        for (int j = i * 2; j <= n; j += i) composite[j] = 1;
    }
    return count;
}

int main(void)
{
    printf("recurse_alloca=%u\n", recurse_alloca(50, 12345u));
    for (int n = 10; n <= 100000; n *= 10) printf("primes<=%d: %d\n", n, vla_sieve(n));
    for (int n = 2; n <= 5; n++) {
        int m = n + 1;
        double a[n][m], b[m][n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++) { a[i][j] = i + j * 0.5; b[j][i] = i * 2 - j; }
        printf("trace(%dx%d)=%ld sizeof a=%zu\n", n, m, matrix_trace_product(n, m, a, b), sizeof a);
    }
    unsigned total = 0;
    for (int i = 1; i <= 20; i++) {
        char *s = alloca(i + 1);
        for (int k = 0; k < i; k++) s[k] = (char)('a' + (k * i) % 26);
        s[i] = 0;
        total = total * 7 + checksum_bytes((unsigned char *)s, strlen(s));
        if (i % 5 == 0) printf("alloca str %d: %s\n", i, s);
    }
    printf("total=%u\n", total);
    return 0;
}
