/* Exercises: _Decimal64/_Decimal32/_Decimal128 arithmetic (GNU C, gcc only).
 * Every operation becomes a call into libgcc's BID runtime (__bid_adddd3,
 * __bid_muldd3, __bid_divdd3, comparisons, conversions), so the linker must
 * pull many libgcc.a members.  Results are printed via conversion to long
 * long / double because printf has no %D support. */
#include <stdio.h>

_Decimal64 dec_sum(const _Decimal64 *v, int n);
_Decimal64 dec_compound(_Decimal64 principal, _Decimal64 rate, int years);

static volatile int vi = 3;

int main(void)
{
    _Decimal64 a = 0.1DD, b = 0.2DD, c = 0.3DD;
    printf("0.1+0.2==0.3 in decimal: %s\n", (a + b == c) ? "yes" : "no");
    printf("0.1+0.2==0.3 in binary:  %s\n", (0.1 + 0.2 == 0.3) ? "yes" : "no");
    _Decimal64 prices[] = { 19.99DD, 5.01DD, 0.10DD, 100.00DD, 74.90DD };
    _Decimal64 total = dec_sum(prices, 5);
    printf("total*100=%lld\n", (long long)(total * 100));
    _Decimal64 third = (_Decimal64)1 / (_Decimal64)vi;
    printf("1/3*1e15=%lld\n", (long long)(third * 1e15DD));
    _Decimal64 comp = dec_compound(1000.00DD, 0.05DD, 10);
    printf("compound*100=%lld as double=%.6f\n", (long long)(comp * 100), (double)comp);
    _Decimal32 s = 1.5DF * (_Decimal32)vi;
    _Decimal128 big = (_Decimal128)123456789012345678LL * (_Decimal128)vi;
    printf("dec32=%lld dec128/7=%lld\n", (long long)(s * 10), (long long)(big / 7));
    int cmp = (prices[0] > prices[1]) + 2 * (prices[2] < prices[3]) + 4 * (prices[4] != total);
    printf("cmp mask=%d\n", cmp);
    double back = (double)(_Decimal64)2.5 + (double)((_Decimal64)vi - 0.75DD);
    printf("back=%.4f\n", back);
    return 0;
}
