/* Exercises: bit-manipulation builtins on runtime values. Without -mpopcnt
 * gcc lowers __builtin_popcountll to a call into libgcc (__popcountdi2), which
 * the linker must resolve from libgcc.a; parity/clz/ctz/clrsb/ffs/bswap are
 * expanded inline (clang inlines all of them). */
#include <stdio.h>
#include <stdint.h>

static uint64_t lcg_state = 0x2545F4914F6CDD1Dull;
static uint64_t next_rand(void)
{
    lcg_state = lcg_state * 6364136223846793005ull + 1442695040888963407ull;
    return lcg_state ^ (lcg_state >> 29);
}

__attribute__((noinline)) static int pop(unsigned long long x) { return __builtin_popcountll(x); }
__attribute__((noinline)) static int par(unsigned long long x) { return __builtin_parityll(x); }
__attribute__((noinline)) static int clz(unsigned long long x) { return x ? __builtin_clzll(x) : 64; }
__attribute__((noinline)) static int ctz(unsigned long long x) { return x ? __builtin_ctzll(x) : 64; }
__attribute__((noinline)) static int clrsb(long long x) { return __builtin_clrsbll(x); }

static int slow_pop(uint64_t x) { int n = 0; while (x) { n += (int)(x & 1); x >>= 1; } return n; }

int main(void)
{
    unsigned long long acc = 0;
    int errors = 0;
    for (int i = 0; i < 2000; i++) {
        uint64_t x = next_rand();
        if (i % 3 == 0) x >>= (i % 61);
        if (i % 7 == 0) x <<= (i % 59);
        int p = pop(x), q = par(x), l = clz(x), t = ctz(x), r = clrsb((long long)x);
        errors += p != slow_pop(x) || q != (slow_pop(x) & 1);
        acc = acc * 1000003ull + (unsigned)(p * 7 + q * 3 + l * 11 + t * 13 + r * 17);
        if (i < 6)
            printf("x=%016llx pop=%d parity=%d clz=%d ctz=%d clrsb=%d ffs=%d bswap=%016llx\n",
                   (unsigned long long)x, p, q, l, t, r, __builtin_ffsll((long long)x),
                   (unsigned long long)__builtin_bswap64(x));
    }
    printf("edge: pop(0)=%d pop(~0)=%d clz(1)=%d ctz(1<<63)=%d parity(7)=%d\n",
           pop(0), pop(~0ull), clz(1), ctz(1ull << 63), par(7));
    printf("acc=%llu errors=%d\n", acc, errors);
    unsigned int u32 = (unsigned int)next_rand();
    printf("32-bit: pop=%d clz=%d ctz=%d parity=%d\n", __builtin_popcount(u32), __builtin_clz(u32 | 1),
           __builtin_ctz(u32 | 0x80000000u), __builtin_parity(u32));
    return 0;
}
