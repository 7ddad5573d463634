/* second object: _Decimal64 arguments/returns across objects */
_Decimal64 dec_sum(const _Decimal64 *v, int n)
{
    _Decimal64 s = 0;
    for (int i = 0; i < n; i++) s += v[i];
    return s;
}

_Decimal64 dec_compound(_Decimal64 principal, _Decimal64 rate, int years)
{
    for (int i = 0; i < years; i++) {
        principal = principal * (1 + rate);
        long long cents = (long long)(principal * 100 + 0.5DD);   /* round to cents */
        principal = (_Decimal64)cents / 100;
    }
    return principal;
}
