/* second object: 128-bit helpers (division by runtime values) */
typedef __int128 i128;
typedef unsigned __int128 u128;

u128 u128_pow(u128 b, unsigned e)
{
    u128 r = 1;
    while (e) { if (e & 1) r *= b; b *= b; e >>= 1; }
    return r;
}

i128 i128_gcd(i128 a, i128 b)
{
    if (a < 0) a = -a;
    if (b < 0) b = -b;
    while (b) { i128 t = a % b; a = b; b = t; }
    return a;
}

u128 u128_factorial(unsigned n)
{
    u128 r = 1;
    for (unsigned i = 2; i <= n; i++) r *= i;
    return r;
}

static volatile unsigned radix = 10;   /* runtime divisor -> __udivti3/__umodti3 */

void u128_to_str(u128 v, char *out)
{
    char tmp[64];
    int n = 0;
    u128 base = radix;
    do { tmp[n++] = (char)('0' + (int)(v % base)); v /= base; } while (v);
    while (n) *out++ = tmp[--n];
    *out = 0;
}

void i128_to_str(i128 v, char *out)
{
    if (v < 0) { *out++ = '-'; u128_to_str(-(u128)v, out); }
    else u128_to_str((u128)v, out);
}
