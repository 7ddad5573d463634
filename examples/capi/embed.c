/*
 * Embedding Lantern from C: link objects into this process with debugger
 * and unwinder support, run their initializers, call a function, remove them.
 *
 *   cargo build -p lantern-capi
 *   gcc -g -Icapi/include examples/capi/embed.c -Ltarget/debug -llantern \
 *       -Wl,-rpath,$PWD/target/debug -o embed
 *   gcc -g -c examples/capi/work.c
 *   ./embed work 21 work.o            # int work(int) called with 21
 *   ./embed --bytes work 21 work.o    # the same, objects handed over in memory
 *   ./embed --crash-reports work 21 work.o   # a crash prints a symbolized backtrace
 *
 * Under gdb (`gdb --args ./embed work 21 work.o`, then `break work`), the
 * pending breakpoint binds when the unit is linked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lantern.h"

/* Reports a failed call with Lantern's message and exits. */
static void check(lantern_status status, const char *what) {
    if (status != LANTERN_OK) {
        fprintf(stderr, "embed: %s failed (status %d): %s\n", what, (int)status,
                lantern_last_error());
        exit(1);
    }
}

/* Reads a whole file into memory, as a compiler's output buffer would be. */
static void *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(1);
    }
    size_t cap = 1 << 16, n = 0, got;
    unsigned char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap)
            buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    if (!buf) {
        fprintf(stderr, "embed: out of memory reading %s\n", path);
        exit(1);
    }
    *len = n;
    return buf;
}

int main(int argc, char **argv) {
    int from_memory = 0;
    unsigned flags = LANTERN_DEBUGGER | LANTERN_UNWINDER;
    for (; argc > 1 && strncmp(argv[1], "--", 2) == 0; argv++, argc--) {
        if (strcmp(argv[1], "--bytes") == 0)
            from_memory = 1;
        else if (strcmp(argv[1], "--crash-reports") == 0)
            flags |= LANTERN_CRASH_REPORTS;
        else
            break;
    }
    if (argc < 4) {
        fprintf(stderr, "usage: embed [--bytes] [--crash-reports] SYMBOL N OBJECT...  "
                        "(calls int SYMBOL(int))\n");
        return 2;
    }
    const char *symbol = argv[1];
    int argument = atoi(argv[2]);

    /* A session: units are registered with gdb and lldb and with the unwinder. */
    lantern_session *session;
    check(lantern_session_new(flags, &session), "lantern_session_new");

    /* A unit: the objects linked together, by path or from memory. */
    lantern_unit *unit;
    check(lantern_unit_new(&unit), "lantern_unit_new");
    for (int i = 3; i < argc; i++) {
        if (from_memory) {
            size_t len;
            void *bytes = read_file(argv[i], &len);
            check(lantern_unit_add_bytes(unit, argv[i], bytes, len), "lantern_unit_add_bytes");
            free(bytes); /* Lantern keeps its own copy */
        } else {
            check(lantern_unit_add_path(unit, argv[i]), "lantern_unit_add_path");
        }
    }
    lantern_linked *linked;
    check(lantern_link(session, unit, &linked), "lantern_link");
    check(lantern_run_initializers(linked), "lantern_run_initializers");

    void *address;
    check(lantern_lookup(session, linked, symbol, &address), "lantern_lookup");
    int (*function)(int) = (int (*)(int))address;
    printf("%s(%d) = %d\n", symbol, argument, function(argument));

    /* Failures come back as a status and a message. */
    if (lantern_lookup(session, NULL, "no_such_function", &address) == LANTERN_NOT_FOUND)
        printf("lookup of no_such_function: %s\n", lantern_last_error());
    lantern_unit *bad;
    check(lantern_unit_new(&bad), "lantern_unit_new");
    static const char garbage[] = "not an object";
    check(lantern_unit_add_bytes(bad, "garbage.o", garbage, sizeof garbage),
          "lantern_unit_add_bytes");
    lantern_linked *never;
    if (lantern_link(session, bad, &never) == LANTERN_ERROR)
        printf("linking garbage.o: %s\n", lantern_last_error());

    /* Finalizers, then removal: unregistered, memory unmapped. */
    check(lantern_run_finalizers(linked), "lantern_run_finalizers");
    check(lantern_remove(linked), "lantern_remove");
    lantern_session_free(session);
    return 0;
}
