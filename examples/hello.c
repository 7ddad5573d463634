/* A small program for `lantern run examples/hello.c`. */
#include <stdio.h>
#include <stdlib.h>

static const char *greeting(void) { return "Hello from JIT'd code"; }

static void goodbye(void) { puts("atexit handler: goodbye"); }

__attribute__((constructor)) static void setup(void) { puts("constructor ran before main"); }

int main(int argc, char **argv)
{
    atexit(goodbye);
    printf("%s, with %d argument%s\n", greeting(), argc - 1, argc == 2 ? "" : "s");
    for (int i = 1; i < argc; i++)
        printf("  argv[%d] = %s\n", i, argv[i]);
    return EXIT_SUCCESS;
}
