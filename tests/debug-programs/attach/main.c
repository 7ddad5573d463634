/* The attach test: waits until a debugger sets `released`, then calls into
 * the second object (or unit) and prints the result. `tls_marker` is a
 * thread-local variable for the debugger to read after attaching. */
#include <stdio.h>
#include <unistd.h>

volatile int released = 0;
__thread int tls_marker = 40;
int work(int n);

int main(void)
{
    tls_marker += 2;
    printf("ready\n");
    fflush(stdout);
    for (int i = 0; i < 1200 && !released; i++) {
        usleep(50000); /* 60 s at most */
    }
    int result = work(released ? 7 : 0);
    printf("result %d\n", result);
    return 0;
}
