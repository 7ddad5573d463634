// The debugger tests' C++ program: a global with a static constructor.
#include <string>
#include <vector>

struct Registry {
    std::vector<std::string> names;
    Registry();
    void add(const std::string &name);
};

extern Registry registry;
int checked_div(int a, int b);
