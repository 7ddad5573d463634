#include <cstdlib>
#include <new>
#include "parts.h"

int live_parts = 0;
int heap_allocs = 0;
int heap_frees = 0;

Part::Part(const std::string &n, bool fail) : name(n)
{
    if (fail) {
        std::printf("  Part(%s) throws\n", n.c_str());
        throw "failed to build " + n;
    }
    live_parts++;
    std::printf("  Part(%s)\n", n.c_str());
}

Part::~Part()
{
    live_parts--;
    std::printf("  ~Part(%s)\n", name.c_str());
}

void *Part::operator new(std::size_t size)
{
    heap_allocs++;
    if (void *p = std::malloc(size)) return p;
    throw std::bad_alloc();
}

void Part::operator delete(void *p)
{
    heap_frees++;
    std::free(p);
}
