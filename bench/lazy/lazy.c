__attribute__((noinline)) int lazy_add(int a, int b)
{
    __asm__ volatile("");
    return a + b;
}
