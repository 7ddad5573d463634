// Exercises: C++ thread_local objects with non-trivial constructors and
// destructors: one defined in another object and used through `extern
// thread_local` (TLS wrapper and init functions), one function-local; used
// from main and from two std::threads run one after the other (each gets a
// fresh, constructed copy, destroyed when the thread exits, before join
// returns); main's copy is destroyed at exit, before static destructors.
#include <cstdio>
#include <thread>
#include "tl.h"

struct Global {
    ~Global() { std::printf("~Global (static destructor, after main's thread_locals)\n"); }
} global;

int main()
{
    thread_tag = 100;
    session.record(1);
    session.record(2);
    record_in_b(3);
    per_thread_log() += "main;";
    std::printf("main: %s has %zu events\n", session.owner.c_str(), session.events.size());
    for (int tag = 1; tag <= 2; tag++) {
        std::thread t(worker, tag);
        t.join();
        std::printf("main: joined worker %d\n", tag);
    }
    std::printf("main: still %zu events, log '%s', tag %d\n", session.events.size(), per_thread_log().c_str(),
                thread_tag);
    return 0;
}
