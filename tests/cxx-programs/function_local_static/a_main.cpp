// Exercises: function-local statics with destructors: a singleton in another
// object, a static in an inline function shared by two objects (COMDAT guard
// variable), per-instantiation template statics, thread-safe initialization
// raced by 4 std::threads (constructed once), and destruction at exit in
// reverse order of construction, interleaved with an atexit() handler.
#include <cstdlib>
#include "shared.h"

static void registered_before_statics() { std::printf("atexit handler registered before the statics\n"); }

int main()
{
    std::atexit(registered_before_statics);
    std::printf("main: singleton not yet built\n");
    singleton().uses++;
    shared_instance();
    int b_uses = use_from_b();
    std::printf("after use_from_b: shared uses %d (b saw %d)\n", shared_instance().uses, b_uses);
    per_instantiation<2>();
    per_instantiation<1>();
    per_instantiation<2>();
    std::printf("same object from both files: %s\n", &shared_instance() == shared_seen_by_b() ? "yes" : "no");
    std::printf("raced: %d constructions\n", race_for_static(4));
    std::printf("singleton uses %d\n", singleton().uses);
    return 0;
}
