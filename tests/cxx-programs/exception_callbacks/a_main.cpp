// Exercises: exceptions thrown by callbacks (a function pointer, a
// std::function holding a lambda, a virtual method) defined in one object,
// called by a dispatcher in another, caught in main; std::exception_ptr
// captured in one object and rethrown later in another; nested exceptions
// (std::throw_with_nested / std::rethrow_if_nested).
#include <cstdio>
#include <memory>
#include "api.h"

static void print_nested(const std::exception &e, int depth)
{
    std::printf("  %*snested level %d: %s\n", depth * 2, "", depth, e.what());
    try {
        std::rethrow_if_nested(e);
    } catch (const std::exception &inner) {
        print_nested(inner, depth + 1);
    } catch (int x) {
        std::printf("  %*snested level %d: int %d\n", depth * 2 + 2, "", depth + 1, x);
    }
}

int main()
{
    int total = 0;
    for (int v = 0; v < 4; v++) {
        try {
            total += call_through_pointer(throwing_callback, v);
            std::printf("pointer(%d) ok, total %d\n", v, total);
        } catch (const CallbackError &e) {
            std::printf("pointer(%d) threw CallbackError '%s' index %d\n", v, e.what(), e.index);
            total += e.index;
        }
    }
    int base = 5;
    std::function<int(int)> lambda = [&base](int v) {
        if (v % 3 == 2) throw std::runtime_error("lambda refuses " + std::to_string(v + base));
        return v * base;
    };
    for (int v = 0; v < 6; v++) {
        try {
            total += call_through_function(lambda, v);
        } catch (const std::runtime_error &e) {
            std::printf("function(%d) threw '%s'\n", v, e.what());
            base++;
        }
    }
    try {
        for_each_item({1, 2, 3, 13, 5}, visit_item);
    } catch (const std::exception &e) {
        std::printf("for_each_item: %s\n", e.what());
    }
    std::unique_ptr<Visitor> vis(make_picky_visitor());
    try {
        total += visit_all(*vis, 10);
    } catch (const CallbackError &e) {
        std::printf("visit_all: '%s' at %d\n", e.what(), e.index);
        total += e.index * 100;
    }
    std::exception_ptr saved = capture(throw_for_capture);
    std::printf("captured: %s\n", saved ? "yes" : "no");
    try {
        std::rethrow_exception(saved);
    } catch (const CallbackError &e) {
        std::printf("rethrown from exception_ptr: '%s' %d\n", e.what(), e.index);
    }
    for (int v = 0; v < 2; v++) {
        try {
            wrap_nested(v);
        } catch (const std::exception &e) {
            std::printf("wrap_nested(%d):\n", v);
            print_nested(e, 0);
        }
    }
    std::printf("total %d\n", total);
    return 0;
}
