#include <stdio.h>
int work(int x);
int main(void)
{
    int r = work(3);
    printf("%d\n", r);
    return 0;
}
