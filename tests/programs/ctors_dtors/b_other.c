/* second object: more prioritized and plain constructors/destructors */
#include <stdio.h>

int init_trace[16];
int init_count;

void note(int id, const char *what)
{
    if (init_count < 16) init_trace[init_count++] = id;
    printf("%s\n", what);
}

__attribute__((constructor(150))) static void ctor150(void) { note(150, "ctor(150) in b_other.c"); }
__attribute__((constructor(65000))) static void ctor65000(void) { note(65000, "ctor(65000) in b_other.c"); }
__attribute__((constructor)) static void ctor_plain_b(void) { note(2, "plain ctor in b_other.c"); }

__attribute__((destructor(150))) static void dtor150(void) { printf("dtor(150) in b_other.c\n"); }
__attribute__((destructor)) static void dtor_plain_b(void) { printf("plain dtor in b_other.c\n"); }
