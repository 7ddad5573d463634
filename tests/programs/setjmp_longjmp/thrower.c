/* second object: owns the jmp_buf and performs the longjmp */
#include <setjmp.h>
#include <stdio.h>

jmp_buf g_env;
static int trace[32];

int deep_work(int depth, int fail_at)
{
    trace[depth] = depth * depth;
    if (depth == fail_at) {
        int s = 0;
        for (int i = 0; i <= depth; i++) s += trace[i];
        printf("  longjmp from depth %d (trace sum %d)\n", depth, s);
        longjmp(g_env, 100 + depth);
    }
    if (depth == 20) return 4242;
    return deep_work(depth + 1, fail_at) + 1;
}

void throw_sig(sigjmp_buf *env, int v)
{
    siglongjmp(*env, v);
}
