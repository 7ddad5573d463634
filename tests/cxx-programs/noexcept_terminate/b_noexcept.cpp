#include <cstdio>
#include <stdexcept>
#include <string>

int thrower(int v); // c_thrower.cpp

int safe_call(int v) { return thrower(v) * 2; }

void call_noexcept(int v) noexcept
{
    int r = thrower(v);
    std::printf("call_noexcept(%d): thrower returned %d\n", v, r);
}
