// Included by b and c: fills Addresses from the including object's view.
#pragma once
#include "shared.h"

static inline const void *vptr_of(const Poly &p) { return *reinterpret_cast<const void *const *>(&p); }

static Addresses local_addresses()
{
    static Poly poly;
    static PolyChild child;
    Addresses a;
    a.inline_fn = reinterpret_cast<void *>(&inline_fn);
    a.tmpl_int = reinterpret_cast<void *>(&tmpl<int>);
    a.tmpl_double = reinterpret_cast<void *>(&tmpl<double>);
    a.counter_fn = reinterpret_cast<void *>(&inline_counter);
    a.holder_instances = &Holder<long>::instances;
    a.inline_var = &inline_var;
    a.poly_type = &typeid(Poly);
    a.child_type = &typeid(PolyChild);
    a.poly_vtable = vptr_of(poly);
    a.child_vtable = vptr_of(child);
    a.child_name = typeid(PolyChild).name();
    return a;
}
