#include <cstdio>
#include "api.h"

int call_through_pointer(int (*cb)(int), int v)
{
    int r = cb(v);
    return r + 1;
}

int call_through_function(const std::function<int(int)> &f, int v)
{
    return f(v) + 2;
}

int for_each_item(const std::vector<int> &items, void (*visit)(int))
{
    int n = 0;
    for (int item : items) {
        visit(item);
        n++;
    }
    return n;
}

int visit_all(Visitor &vis, int n)
{
    int done = 0;
    for (int i = 0; i < n; i++, done++) vis.visit(i);
    return done;
}

std::exception_ptr capture(void (*fn)())
{
    try {
        fn();
    } catch (...) {
        return std::current_exception();
    }
    return nullptr;
}

void wrap_nested(int v)
{
    try {
        try {
            if (v == 0) throw 7;
            throw CallbackError("innermost", v);
        } catch (...) {
            std::throw_with_nested(std::runtime_error("middle layer " + std::to_string(v)));
        }
    } catch (...) {
        std::throw_with_nested(std::logic_error("outer layer"));
    }
}
