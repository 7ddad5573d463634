#pragma once
#include <cstddef>
#include <cstdio>
#include <string>

extern int live_parts;   // b_parts.cpp
extern int heap_allocs;  // b_parts.cpp
extern int heap_frees;   // b_parts.cpp

struct Part {
    std::string name;
    Part(const std::string &n, bool fail); // b_parts.cpp: throws if fail
    ~Part();
    static void *operator new(std::size_t size);
    static void operator delete(void *p);
};

struct Machine {
    Part engine, wheels, radio;
    Machine(int fail_at);
};

struct Fleet {
    Part *parts;
    explicit Fleet(int fail_at); // c_fleet.cpp: function-try-block
    ~Fleet();
};

int lazy_value(bool fail);  // c_fleet.cpp: function-local static whose initializer may throw
