#pragma once
#include <exception>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

struct CallbackError : std::logic_error {
    int index;
    CallbackError(const std::string &m, int i) : std::logic_error(m), index(i) {}
};

// b_dispatch.cpp: calls back into code from other objects.
int call_through_pointer(int (*cb)(int), int v);
int call_through_function(const std::function<int(int)> &f, int v);
int for_each_item(const std::vector<int> &items, void (*visit)(int));
struct Visitor {
    virtual ~Visitor() = default;
    virtual void visit(int v) = 0;
};
int visit_all(Visitor &vis, int n);
std::exception_ptr capture(void (*fn)());
void wrap_nested(int v); // throws std::nested_exception-carrying runtime_error

// c_callbacks.cpp: the callbacks that throw.
int throwing_callback(int v);
void visit_item(int v);
Visitor *make_picky_visitor();
void throw_for_capture();
