#include <cstdio>
#include "registry.h"

Tracer::Tracer(const std::string &n, int count) : name(n)
{
    for (int i = 0; i < count; i++) data.push_back(i * i);
    std::printf("construct %s (%d items)\n", name.c_str(), count);
}

Tracer::~Tracer()
{
    long s = 0;
    for (int v : data) s += v;
    std::printf("destroy %s (sum %ld)\n", name.c_str(), s);
}

std::map<std::string, int> &plugins()
{
    static std::map<std::string, int> registry;
    return registry;
}

void register_plugin(const std::string &name, int priority)
{
    std::printf("register %s\n", name.c_str());
    plugins()[name] = priority;
}

static std::vector<int> compute_primes(int limit)
{
    std::vector<int> out;
    for (int n = 2; out.size() < static_cast<size_t>(limit); n++) {
        bool prime = true;
        for (int p : out)
            if (n % p == 0) { prime = false; break; }
        if (prime) out.push_back(n);
    }
    std::printf("computed %d primes\n", limit);
    return out;
}

std::vector<int> primes = compute_primes(20);
std::map<std::string, int> table = {{"one", 1}, {"two", 2}, {"three", 3}, {"ten", 10}};
Tracer registry_tracer("b:tracer", 4);

struct SelfRegisterB {
    SelfRegisterB() { register_plugin("from-b", 2); }
    ~SelfRegisterB() { std::printf("b: %zu plugins at exit\n", plugins().size()); }
} self_register_b;
