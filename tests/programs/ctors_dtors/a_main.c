/* Exercises: .init_array/.fini_array handling with priorities
 * (.init_array.NNNNN sorted by priority, then plain entries in link order),
 * destructors run after atexit handlers (registered both from a constructor
 * and from main), and stdout output produced in constructors and destructors,
 * which must all appear in native order. */
#include <stdio.h>
#include <stdlib.h>

extern int init_trace[16];
extern int init_count;
void note(int id, const char *what);

static void atexit_from_ctor(void) { printf("atexit handler registered in ctor101\n"); }
static void atexit_from_main1(void) { printf("atexit handler 1 registered in main\n"); }
static void atexit_from_main2(void) { printf("atexit handler 2 registered in main\n"); }

__attribute__((constructor(101))) static void ctor101(void)
{
    note(101, "ctor(101) in a_main.c");
    atexit(atexit_from_ctor);
}
__attribute__((constructor(200))) static void ctor200(void) { note(200, "ctor(200) in a_main.c"); }
__attribute__((constructor)) static void ctor_plain_a(void) { note(1, "plain ctor in a_main.c"); }

__attribute__((destructor(101))) static void dtor101(void) { printf("dtor(101) in a_main.c\n"); }
__attribute__((destructor(200))) static void dtor200(void) { printf("dtor(200) in a_main.c\n"); }
__attribute__((destructor)) static void dtor_plain_a(void) { printf("plain dtor in a_main.c\n"); }

int main(void)
{
    printf("main starts; %d constructors ran:", init_count);
    for (int i = 0; i < init_count; i++) printf(" %d", init_trace[i]);
    printf("\n");
    atexit(atexit_from_main1);
    atexit(atexit_from_main2);
    printf("main returns 0\n");
    return 0;
}
