/* Exercises: setjmp/longjmp across object boundaries (jmp_buf defined in one
 * object, longjmp issued from deep recursion in another), nested jmp_bufs and
 * sigsetjmp/siglongjmp, all calling host libc. */
#include <setjmp.h>
#include <stdio.h>

extern jmp_buf g_env;                 /* defined in thrower.c */
int deep_work(int depth, int fail_at);
void throw_sig(sigjmp_buf *env, int v);

static int try_work(int fail_at)
{
    volatile int attempts = 0;
    int code = setjmp(g_env);
    attempts++;
    if (code != 0) {
        printf("  caught code %d after %d attempt(s)\n", code, attempts);
        return -code;
    }
    return deep_work(0, fail_at);
}

int main(void)
{
    printf("try_work(-1)=%d\n", try_work(-1));
    printf("try_work(5)=%d\n", try_work(5));
    printf("try_work(17)=%d\n", try_work(17));

    sigjmp_buf senv;
    volatile int round = 0;
    int v = sigsetjmp(senv, 1);
    printf("sigsetjmp returned %d (round %d)\n", v, round);
    if (round < 3) {
        round++;
        throw_sig(&senv, round * 11);
    }
    printf("done\n");
    return 0;
}
