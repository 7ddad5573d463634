/*
 * lantern.h: the C API of Lantern, a JIT linker for x86-64 ELF relocatable
 * objects that keeps JIT'd code debuggable (gdb, lldb, unwinder, crash
 * reports).
 *
 * Link with liblantern.so (-llantern) or liblantern.a (then also
 * -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc). docs/embedding.md, "From C",
 * walks through a complete program (examples/capi/embed.c).
 *
 *   lantern_session *s;  lantern_unit *u;  lantern_linked *l;  void *f;
 *   lantern_session_new(LANTERN_DEBUGGER | LANTERN_UNWINDER, &s);
 *   lantern_unit_new(&u);
 *   lantern_unit_add_path(u, "work.o");          // or lantern_unit_add_bytes
 *   lantern_link(s, u, &l);                      // consumes u
 *   lantern_run_initializers(l);
 *   lantern_lookup(s, l, "work", &f);
 *   ((int (*)(int))f)(21);
 *   lantern_run_finalizers(l);
 *   lantern_remove(l);                           // consumes l
 *   lantern_session_free(s);
 *
 * Conventions:
 * - Every function returns a lantern_status; on anything but LANTERN_OK,
 *   lantern_last_error() says what went wrong (file, section, symbol). The
 *   message belongs to the calling thread and stays valid until that
 *   thread's next call into Lantern.
 * - Handles are opaque. A session and a linked unit may be used from several
 *   threads at once; a unit being assembled, by one thread at a time.
 * - No Rust panic crosses into C: an internal error returns
 *   LANTERN_INTERNAL_ERROR with a message.
 * - Debuggers: the library defines (weakly) and exports the GDB JIT
 *   interface, __jit_debug_register_code and __jit_debug_descriptor. A
 *   program linking liblantern.a keeps them in its symbol table; to keep
 *   them visible in a stripped program, link it with
 *   -Wl,--export-dynamic-symbol=__jit_debug_register_code
 *   -Wl,--export-dynamic-symbol=__jit_debug_descriptor
 */
#ifndef LANTERN_H
#define LANTERN_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lantern_status {
    LANTERN_OK = 0,
    /* Linking, reading a file or loading a library failed. */
    LANTERN_ERROR = 1,
    /* lantern_lookup found no such symbol. */
    LANTERN_NOT_FOUND = 2,
    /* A NULL handle or pointer, a string that is not UTF-8, unknown flags. */
    LANTERN_INVALID_ARGUMENT = 3,
    /* A bug in Lantern (a Rust panic, caught): the session may be inconsistent. */
    LANTERN_INTERNAL_ERROR = 4
} lantern_status;

/* Flags of lantern_session_new. */
/* Register each unit with gdb and lldb (the GDB JIT interface): breakpoints,
 * backtraces, stepping and variables in JIT'd code. Keeps DWARF. */
#define LANTERN_DEBUGGER 1u
/* Register each unit's .eh_frame with the process's unwinder: C++
 * exceptions, backtraces and profilers walk through JIT'd frames. */
#define LANTERN_UNWINDER 2u
/* With LANTERN_DEBUGGER: units wait, and are registered as one merged
 * object when code may run (lantern_lookup, lantern_run_initializers).
 * Debuggers pay per object, so this is much cheaper for many units. */
#define LANTERN_BATCHED 4u
/* Install Lantern's crash handler (process-wide, once): a crash prints a
 * backtrace naming JIT'd functions with file:line:column, then the process
 * dies by the signal. */
#define LANTERN_CRASH_REPORTS 8u

/* Plugins and the symbols of the units linked so far. */
typedef struct lantern_session lantern_session;
/* Objects (.o) and archives (.a) to link together: one allocation, one
 * debug object, removed together. */
typedef struct lantern_unit lantern_unit;
/* A linked unit: its memory, symbols and initializers. */
typedef struct lantern_linked lantern_linked;

/* The calling thread's last error message ("" after a success). */
const char *lantern_last_error(void);

/* Creates a session with the plugins `flags` selects (LANTERN_*). */
lantern_status lantern_session_new(unsigned flags, lantern_session **out);
/* Frees the handle. Units linked in it stay linked (and removable). */
void lantern_session_free(lantern_session *session);

/* Loads a shared library so later units resolve its symbols. */
lantern_status lantern_load_library(lantern_session *session, const char *path);

lantern_status lantern_unit_new(lantern_unit **out);
/* Frees a unit that was not linked. */
void lantern_unit_free(lantern_unit *unit);
/* Adds an object or archive held in memory (copied); `name` is what
 * messages call it. */
lantern_status lantern_unit_add_bytes(lantern_unit *unit, const char *name,
                                      const void *bytes, size_t len);
/* Adds an object or archive file. */
lantern_status lantern_unit_add_path(lantern_unit *unit, const char *path);

/* Links `unit` into this process; `unit` is consumed even on failure. A
 * failed link leaves no memory, registration or symbol behind. Symbols
 * resolve against earlier units, then the process (dlsym), then libgcc.a. */
lantern_status lantern_link(lantern_session *session, lantern_unit *unit,
                            lantern_linked **out);

/* Finds a symbol's address, ready to call: in `linked` (its local symbols
 * too) or, with `linked` NULL, among every unit's global symbols.
 * LANTERN_NOT_FOUND if there is none. */
lantern_status lantern_lookup(lantern_session *session, lantern_linked *linked,
                              const char *name, void **address);

/* Runs the unit's initializers (C++ static constructors, .init_array) once,
 * before calling into it; and its finalizers once, before removing it. They
 * must not throw. */
lantern_status lantern_run_initializers(lantern_linked *linked);
lantern_status lantern_run_finalizers(lantern_linked *linked);

/* Removes a unit: its symbols leave the session, it is unregistered from
 * debuggers and the unwinder, its memory is unmapped. `linked` is consumed;
 * nothing may call into the unit afterwards. */
lantern_status lantern_remove(lantern_linked *linked);

#ifdef __cplusplus
}
#endif

#endif /* LANTERN_H */
