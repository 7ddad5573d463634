#include <cstdio>
#include "registry.h"

static std::string make_greeting()
{
    std::string g = "hello";
    for (int i = 0; i < 3; i++) g += ", world";
    std::printf("made greeting\n");
    return g;
}

std::string greeting = make_greeting();

// Constructed before every default-priority object, in any object.
__attribute__((init_priority(200))) Tracer early("c:early (init_priority 200)", 2);
__attribute__((init_priority(300))) Tracer later_early("c:init_priority 300", 1);

static Tracer config_tracer("c:config", 6);

struct SelfRegisterC {
    SelfRegisterC() { register_plugin("from-c", 3); }
} self_register_c;

int config_value() { return static_cast<int>(config_tracer.data.size() * 7 + early.data.size()); }
