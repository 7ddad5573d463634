// Exercises: C++ TLS initialization: thread_locals with dynamic initializers
// defined in one object and used in others through TLS wrapper/init
// functions (initialized on first use in each thread, in dependency order),
// a C++17 inline thread_local and a class template's static thread_local
// member (TLS in COMDAT groups: one copy per thread, same address from every
// object), from main and from std::threads run one after another.
#include <cstdio>
#include <thread>
#include "tls.h"

static void run(const char *who)
{
    std::printf("%s: same inline_tls from b %d, same PerThread<long> from b %d\n", who,
                inline_tls_from_b() == &inline_tls, per_thread_long_from_b() == &PerThread<long>::value);
    std::printf("%s\n", thread_summary(who).c_str());
    inline_tls *= 10;
    PerThread<long>::value += 1;
    PerThread<short>::value = static_cast<short>(PerThread<short>::value * 2);
    greeting += "!";
    derived += 100;
    constant_tls--;
    std::printf("%s\n", thread_summary(who).c_str());
}

int main()
{
    run("main");
    for (int i = 0; i < 2; i++) {
        std::thread t([i] {
            greeting = i == 0 ? "first thread" : "second";
            run(i == 0 ? "t0" : "t1");
        });
        t.join();
    }
    std::printf("%s\n", thread_summary("main again").c_str());
    return 0;
}
