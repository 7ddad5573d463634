#include <stdio.h>
int work(int x);
int main(void)
{
    int a = work(3);
    int b = work(a);
    printf("%d %d\n", a, b);
    return 0;
}
