#pragma once
#include <map>
#include <string>
#include <vector>

// A global object that announces its construction and destruction.
struct Tracer {
    std::string name;
    std::vector<int> data;
    explicit Tracer(const std::string &n, int count = 0);
    ~Tracer();
};

// b_registry.cpp: a registry reached through a function-local static, so
// objects in other files may register during their own static
// initialization, whatever the order of objects.
void register_plugin(const std::string &name, int priority);
std::map<std::string, int> &plugins();
extern std::map<std::string, int> table;   // b_registry.cpp
extern std::vector<int> primes;            // b_registry.cpp
extern std::string greeting;               // c_config.cpp
int config_value();                        // c_config.cpp
