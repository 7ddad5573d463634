// Exercises: an exception thrown in one object escapes a noexcept function in
// another: the C++ runtime calls std::terminate, which runs the handler
// installed with std::set_terminate (it reports the current exception and
// calls abort()), so the process dies by SIGABRT. Earlier exceptions are
// caught normally; static destructors and atexit handlers must not run.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <stdexcept>

void call_noexcept(int v) noexcept; // b_noexcept.cpp
int safe_call(int v);               // b_noexcept.cpp

struct Global {
    ~Global() { std::printf("~Global must not run\n"); }
} global;

[[noreturn]] static void on_terminate()
{
    std::printf("terminate handler: ");
    if (std::exception_ptr p = std::current_exception()) {
        try {
            std::rethrow_exception(p);
        } catch (const std::exception &e) {
            std::printf("active exception '%s'\n", e.what());
        } catch (...) {
            std::printf("active exception of unknown type\n");
        }
    } else {
        std::printf("no active exception\n");
    }
    std::fflush(stdout);
    std::abort();
}

static void never() { std::printf("atexit handler must not run\n"); }

int main()
{
    std::atexit(never);
    std::set_terminate(on_terminate);
    for (int v = 0; v < 3; v++) {
        try {
            std::printf("safe_call(%d) = %d\n", v, safe_call(v));
        } catch (const std::exception &e) {
            std::printf("safe_call(%d) threw '%s'\n", v, e.what());
        }
    }
    call_noexcept(0);
    std::printf("call_noexcept(0) returned\n");
    std::fflush(stdout);
    call_noexcept(1);
    std::printf("not reached\n");
    return 0;
}
