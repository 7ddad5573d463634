#pragma once
#include <string>

// C++17 inline thread_local: one TLS symbol (COMDAT) for every object.
inline thread_local int inline_tls = 3;
// A class template's static thread_local member: COMDAT, per instantiation,
// with a dynamic initializer (guarded, per thread).
template <typename T> struct PerThread {
    static thread_local T value;
};
template <typename T> thread_local T PerThread<T>::value = T(sizeof(T) * 11);

// Dynamically initialized thread_locals defined in b_defs.cpp: other objects
// reach them through the TLS wrapper _ZTW..., which calls the init function
// _ZTH... defined in b_defs.cpp.
extern thread_local std::string greeting;
extern thread_local int derived; // initialized from greeting.size() at run time
extern thread_local int constant_tls; // constant-initialized: no init function needed

int *inline_tls_from_b();  // b_defs.cpp
long *per_thread_long_from_b(); // b_defs.cpp
std::string thread_summary(const char *who); // c_summary.cpp
