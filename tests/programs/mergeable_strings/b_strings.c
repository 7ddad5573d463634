/* second object: same literals */
const char *b_greeting(void) { return "hello, world"; }
const char *b_word(int i)
{
    static const char *const t[] = { "hello, world", "world", "lantern", "jit linker", "", "ld" };
    return t[i];
}
double b_const(int i)
{
    static const double k[] = { 3.141592653589793, 2.718281828459045, 1.4142135623730951, 0.5772156649015329 };
    volatile int j = i;
    return k[j] * 1.75 + (j == 1 ? 0.125 : 0.0);
}
