/* Exercises: __int128 arithmetic on runtime values, so the compiler emits
 * calls to libgcc helpers (__divti3, __modti3, __udivti3, __umodti3) that the
 * linker must resolve from libgcc; 128-bit values passed/returned across
 * objects in register pairs. */
#include <stdio.h>
#include <string.h>

typedef __int128 i128;
typedef unsigned __int128 u128;

u128 u128_pow(u128 b, unsigned e);
i128 i128_gcd(i128 a, i128 b);
u128 u128_factorial(unsigned n);
void u128_to_str(u128 v, char *out);
void i128_to_str(i128 v, char *out);

static volatile long long seeds[] = { 123456789012345LL, -987654321LL, 1000000007LL, 3LL, -7LL };

int main(void)
{
    char s1[64], s2[64], s3[64];
    i128 a = (i128)seeds[0] * seeds[0] * seeds[3];
    i128 b = (i128)seeds[1] * seeds[2];
    i128_to_str(a, s1); i128_to_str(b, s2);
    printf("a=%s\nb=%s\n", s1, s2);
    i128_to_str(a / b, s1); i128_to_str(a % b, s2); i128_to_str(b / (i128)seeds[4], s3);
    printf("a/b=%s a%%b=%s b/-7=%s\n", s1, s2, s3);
    u128 ua = (u128)a * (u128)(unsigned long long)seeds[2];
    u128 ub = (u128)(unsigned long long)seeds[0] * 77u + 5;
    u128_to_str(ua, s1); u128_to_str(ua / ub, s2); u128_to_str(ua % ub, s3);
    printf("ua=%s ua/ub=%s ua%%ub=%s\n", s1, s2, s3);
    u128_to_str(u128_pow(3, 80), s1);
    printf("3^80=%s\n", s1);
    u128_to_str(u128_factorial(33), s1);
    printf("33!=%s\n", s1);
    i128_to_str(i128_gcd(a * 6, b * 4), s1);
    printf("gcd=%s\n", s1);
    u128 m = ~(u128)0;
    u128_to_str(m, s1); u128_to_str(m / (u128)(unsigned long long)seeds[2], s2);
    printf("max=%s max/p=%s\n", s1, s2);
    i128 mn = -(i128)(m >> 1) - 1;
    i128_to_str(mn, s1); i128_to_str(mn % (i128)seeds[2], s2);
    printf("min=%s min%%p=%s\n", s1, s2);
    unsigned long long hi = (unsigned long long)(ua >> 64), lo = (unsigned long long)ua;
    printf("ua hi=%016llx lo=%016llx\n", hi, lo);
    return 0;
}
