// Exercises: exceptions during construction: already-constructed members are
// destroyed in reverse order; a throwing constructor in a new-expression
// frees the memory through the class's operator delete; a new[] of objects
// destroys the constructed prefix; a function-try-block on a constructor
// sees and rethrows; a function-local static whose initializer throws is
// retried on the next call (__cxa_guard_abort). Counters must balance.
#include "parts.h"

Machine::Machine(int fail_at)
    : engine("engine", fail_at == 0), wheels("wheels", fail_at == 1), radio("radio", fail_at == 2)
{
    std::printf("  Machine complete\n");
}

int main()
{
    for (int fail_at = 0; fail_at <= 3; fail_at++) {
        std::printf("Machine(fail_at=%d):\n", fail_at);
        try {
            Machine *m = new Machine(fail_at);
            std::printf("  built, live parts %d\n", live_parts);
            delete m;
        } catch (const std::string &what) {
            std::printf("  caught '%s', live parts %d\n", what.c_str(), live_parts);
        }
    }
    std::printf("Part on the heap:\n");
    try {
        Part *p = new Part("heap-part", true);
        delete p;
    } catch (const std::string &what) {
        std::printf("  caught '%s', allocs %d frees %d\n", what.c_str(), heap_allocs, heap_frees);
    }
    std::printf("Fleet:\n");
    for (int fail_at : {2, 9}) {
        try {
            Fleet f(fail_at);
            std::printf("  fleet of parts built, live %d\n", live_parts);
        } catch (const std::string &what) {
            std::printf("  caught '%s' from fleet, live parts %d\n", what.c_str(), live_parts);
        }
    }
    std::printf("lazy static:\n");
    for (int i = 0; i < 3; i++) {
        try {
            std::printf("  lazy_value -> %d\n", lazy_value(i == 0));
        } catch (const std::string &what) {
            std::printf("  caught '%s'\n", what.c_str());
        }
    }
    std::printf("final: live parts %d, allocs %d, frees %d\n", live_parts, heap_allocs, heap_frees);
    return 0;
}
