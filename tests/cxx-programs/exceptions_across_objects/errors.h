// Exception types shared by the three objects. AppError and its subclasses
// have no key function, so their typeinfo is COMDAT in every object that
// throws or catches them; KeyedError's vtable and typeinfo live only in
// c_thrower.cpp (its key function, the destructor, is defined there).
#pragma once
#include <stdexcept>
#include <string>

struct AppError : std::runtime_error {
    int code;
    AppError(const std::string &m, int c) : std::runtime_error(m), code(c) {}
};
struct ParseError : AppError {
    int line;
    ParseError(const std::string &m, int l) : AppError(m, 100 + l), line(l) {}
};
struct IoError : AppError {
    explicit IoError(const std::string &m) : AppError(m, 5) {}
};
struct KeyedError {
    int value;
    explicit KeyedError(int v) : value(v) {}
    virtual ~KeyedError();
    virtual int weight() const;
};

// A scope guard that prints when the stack unwinds through it.
struct Guard {
    const char *name;
    explicit Guard(const char *n);
    ~Guard();
};

int level3(int v);          // c_thrower.cpp: throws according to v
int level2(int v);          // b_middle.cpp: a Guard, then level3
int rethrow_with_code(int v); // b_middle.cpp: catch (AppError &), code += 1000, throw;
int catch_all_and_rethrow(int v); // b_middle.cpp: catch (...), throw;
