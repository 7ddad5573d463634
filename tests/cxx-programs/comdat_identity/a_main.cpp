// Exercises: COMDAT deduplication across three objects: the address of an
// inline function, of template instantiations, of an inline function's
// static local state, of a class template's static data member, of a C++17
// inline variable, of typeinfo objects and of vtables (no key function) are
// identical whichever object takes them; state is shared; typeid names and
// type_info equality; virtual calls through a vtable emitted elsewhere.
#include <cstdio>
#include <cstring>
#include <memory>
#include "gen_addresses.h"

static void compare(const char *what, const void *x, const void *y, const void *z)
{
    std::printf("%-18s %s\n", what, (x == y && y == z && x != nullptr) ? "identical" : "DIFFERENT");
}

int main()
{
    Addresses a = local_addresses(), b = addresses_from_b(), c = addresses_from_c();
    compare("inline_fn", a.inline_fn, b.inline_fn, c.inline_fn);
    compare("tmpl<int>", a.tmpl_int, b.tmpl_int, c.tmpl_int);
    compare("tmpl<double>", a.tmpl_double, b.tmpl_double, c.tmpl_double);
    compare("inline_counter", a.counter_fn, b.counter_fn, c.counter_fn);
    compare("Holder::instances", a.holder_instances, b.holder_instances, c.holder_instances);
    compare("inline_var", a.inline_var, b.inline_var, c.inline_var);
    compare("typeid(Poly)", a.poly_type, b.poly_type, c.poly_type);
    compare("typeid(PolyChild)", a.child_type, b.child_type, c.child_type);
    compare("Poly vtable", a.poly_vtable, b.poly_vtable, c.poly_vtable);
    compare("PolyChild vtable", a.child_vtable, b.child_vtable, c.child_vtable);
    compare("typeinfo name", a.child_name, b.child_name, c.child_name);
    std::printf("names: %s %s equal=%d\n", typeid(Poly).name(), c.child_name,
                *a.child_type == *c.child_type);
    std::printf("strcmp of names: %d\n", std::strcmp(a.child_name, b.child_name));

    inline_counter();
    int rb = use_from_b(5), rc = use_from_c(6);
    std::printf("use_from_b %d, use_from_c %d, counter now %d\n", rb, rc, inline_counter());
    Holder<long> h(3);
    std::printf("Holder<long> instances %d (value %ld)\n", Holder<long>::instances, h.value);
    inline_var += 100;
    std::printf("inline_var %d seen by c as %d\n", inline_var, *c.inline_var);
    std::unique_ptr<Poly> p(make_child_in_c());
    const Poly &ref = *p;
    std::printf("child from c: id %d, typeid matches: %d, dynamic_cast ok: %d\n", p->id(),
                typeid(ref) == typeid(PolyChild), dynamic_cast<PolyChild *>(p.get()) != nullptr);
    std::printf("tmpl<int>(21) = %d, inline_fn(4) = %d\n", tmpl<int>(21), inline_fn(4));
    return 0;
}
