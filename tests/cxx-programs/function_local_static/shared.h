#pragma once
#include <cstdio>
#include <string>

struct Noisy {
    std::string name;
    int uses = 0;
    explicit Noisy(const char *n) : name(n) { std::printf("Noisy(%s) constructed\n", name.c_str()); }
    ~Noisy() { std::printf("~Noisy(%s) after %d uses\n", name.c_str(), uses); }
};

// An inline function with a static local: one object (and one guard
// variable) for the whole program, whichever object calls it.
inline Noisy &shared_instance()
{
    static Noisy instance("inline shared");
    instance.uses++;
    return instance;
}

// One static per instantiation.
template <int N> Noisy &per_instantiation()
{
    static Noisy instance(N == 1 ? "template<1>" : "template<2>");
    instance.uses += N;
    return instance;
}

Noisy &singleton();        // b_singleton.cpp
int use_from_b();          // b_singleton.cpp
Noisy *shared_seen_by_b(); // b_singleton.cpp: &shared_instance() there
int race_for_static(int threads); // c_threads.cpp
