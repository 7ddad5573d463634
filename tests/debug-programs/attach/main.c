/* The attach test: waits until a debugger sets `released`, then calls into
 * the second object (or unit) and prints the result. */
#include <stdio.h>
#include <unistd.h>

volatile int released = 0;
int work(int n);

int main(void)
{
    printf("ready\n");
    fflush(stdout);
    for (int i = 0; i < 1200 && !released; i++) {
        usleep(50000); /* 60 s at most */
    }
    int result = work(released ? 7 : 0);
    printf("result %d\n", result);
    return 0;
}
