/* third object: same literals, one only reachable as a suffix of another */
const char *const c_table[] = { "hello, world", "world", "lantern", "jit linker", "", "ld" };
const char *c_greeting(void) { return "hello, world"; }
const char *c_suffix(void) { return &"say hello, world"[11]; }
double c_const(int i)
{
    static const double k[] = { 3.141592653589793, 2.718281828459045, 1.4142135623730951, 0.5772156649015329 };
    volatile int j = i;
    return k[j] * 1.75 * 0.3 - (j == 2 ? 0.125 : 0.0);
}
