#include <cstdio>
#include "tls.h"

static int init_calls = 0;

static std::string make_greeting()
{
    init_calls++;
    return "hello from thread init #" + std::to_string(init_calls);
}

thread_local std::string greeting = make_greeting();
thread_local int derived = static_cast<int>(greeting.size()) * 2;
thread_local int constant_tls = 77;

int *inline_tls_from_b() { return &inline_tls; }
long *per_thread_long_from_b() { return &PerThread<long>::value; }
