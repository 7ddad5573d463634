// The innermost frame: throws a different type for each v.
#include <cstdio>
#include <vector>
#include "errors.h"

KeyedError::~KeyedError() {}
int KeyedError::weight() const { return value * 3; }

static int deeper(int v)
{
    Guard g("deeper");
    switch (v) {
    case 1: throw ParseError("unexpected token", 7);
    case 2: throw IoError("disk on fire");
    case 3: {
        std::vector<int> small(3, 1);
        return small.at(static_cast<size_t>(v) + 10); // std::out_of_range from libstdc++ code
    }
    case 4: throw 42;
    case 5: throw KeyedError(9);
    case 6: throw "a C string";
    default: return v + 100;
    }
}

int level3(int v)
{
    Guard g("level3");
    return deeper(v) + 1;
}
