/* Exercises: exit(7) called from deep inside a call chain spanning three
 * objects (through a function pointer): atexit handlers and destructors run,
 * buffered stdout is flushed, and the process exit status is 7. */
#include <stdio.h>
#include <stdlib.h>

int level_b(int depth, void (*on_bottom)(int));
static int handler_calls;

static void at_exit_1(void) { printf("atexit 1 (handler_calls=%d)\n", handler_calls); }
static void at_exit_2(void) { printf("atexit 2\n"); }
__attribute__((destructor)) static void dtor(void) { printf("destructor after exit(7)\n"); }

static void bottom(int depth)
{
    handler_calls++;
    printf("bottom reached at depth %d, calling exit(7)\n", depth);
    exit(7);
}

int main(void)
{
    atexit(at_exit_1);
    atexit(at_exit_2);
    printf("starting descent (stdout is buffered, not flushed yet)\n");
    int r = level_b(0, bottom);
    printf("returned %d -- should not happen\n", r);
    return 0;
}
