// Exercises: static constructors and destructors of globals holding
// std::string, std::vector and std::map in three objects (construction order
// within an object, init_priority across objects), destructors printing at
// exit in reverse order through __cxa_atexit, interleaved with atexit()
// handlers registered by main, and a registry filled during static
// initialization through a function-local static.
#include <cstdio>
#include <cstdlib>
#include "registry.h"

Tracer main_first("a:first", 3);
static Tracer main_second("a:second", 5);

struct SelfRegister {
    SelfRegister() { register_plugin("from-a", 1); }
} self_register_a;

static void at_exit_one() { std::printf("atexit one (registered first in main)\n"); }
static void at_exit_two() { std::printf("atexit two (registered second in main)\n"); }

int main()
{
    std::printf("main starts\n");
    std::atexit(at_exit_one);
    std::printf("greeting: %s (%zu chars)\n", greeting.c_str(), greeting.size());
    long psum = 0;
    for (int p : primes) psum += p;
    std::printf("%zu primes, sum %ld, last %d\n", primes.size(), psum, primes.back());
    for (const auto &kv : table) std::printf("table[%s] = %d\n", kv.first.c_str(), kv.second);
    for (const auto &kv : plugins()) std::printf("plugin %s priority %d\n", kv.first.c_str(), kv.second);
    std::printf("config %d, main_first has %zu, main_second has %zu\n", config_value(),
                main_first.data.size(), main_second.data.size());
    static Tracer in_main("a:local-static-in-main", 1);
    std::atexit(at_exit_two);
    std::printf("main returns\n");
    return 0;
}
