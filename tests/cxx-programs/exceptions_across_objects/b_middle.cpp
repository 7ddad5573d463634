// The middle frames: they only clean up or rethrow.
#include <cstdio>
#include <exception>
#include "errors.h"

Guard::Guard(const char *n) : name(n) {}
Guard::~Guard()
{
    std::printf("  ~Guard(%s) uncaught=%d\n", name, std::uncaught_exceptions());
}

int level2(int v)
{
    Guard g("level2");
    int r = level3(v);
    return r + 1;
}

int rethrow_with_code(int v)
{
    try {
        return level2(v) * 10;
    } catch (AppError &e) {
        std::printf("  rethrow_with_code caught '%s', code %d -> %d\n", e.what(), e.code, e.code + 1000);
        e.code += 1000;
        throw;
    }
}

int catch_all_and_rethrow(int v)
{
    Guard g("catch_all");
    try {
        return level2(v);
    } catch (...) {
        std::exception_ptr p = std::current_exception();
        std::printf("  catch_all_and_rethrow: has exception %d\n", p != nullptr);
        throw;
    }
}
