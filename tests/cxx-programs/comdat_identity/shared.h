#pragma once
#include <typeinfo>
#include <vector>

// Everything here is emitted in every object that uses it (COMDAT groups):
// the linker must keep exactly one copy, so addresses agree across objects.
inline int inline_fn(int x) { return x * 3 + 1; }

inline int inline_counter()
{
    static int n = 0;
    return ++n;
}

template <typename T> T tmpl(T x) { return x + x; }

template <typename T> struct Holder {
    static int instances;
    T value;
    explicit Holder(T v) : value(v) { instances++; }
};
template <typename T> int Holder<T>::instances = 0;

inline int inline_var = 7; // C++17 inline variable

// No key function: vtable, typeinfo and typeinfo name are COMDAT.
struct Poly {
    virtual ~Poly() {}
    virtual int id() const { return 1; }
};
struct PolyChild : Poly {
    int id() const override { return 2; }
};

struct Addresses {
    void *inline_fn;
    void *tmpl_int;
    void *tmpl_double;
    void *counter_fn;
    int *holder_instances;
    int *inline_var;
    const std::type_info *poly_type;
    const std::type_info *child_type;
    const void *poly_vtable;
    const void *child_vtable;
    const char *child_name;
};

Addresses addresses_from_b();
Addresses addresses_from_c();
int use_from_b(int x);
int use_from_c(int x);
Poly *make_child_in_c();
