#pragma once
#include <functional>
#include <map>
#include <string>
#include <vector>

using IntFn = std::function<int(int)>;

IntFn make_adder(int n);                           // b_factory.cpp
IntFn make_counter();                              // b_factory.cpp: mutable state inside
IntFn compose(IntFn f, IntFn g);                   // b_factory.cpp
std::map<std::string, IntFn> &command_table();     // c_commands.cpp
void register_builtin_commands();                  // c_commands.cpp
int apply_all(const std::vector<IntFn> &fns, int seed); // c_commands.cpp
int plain_square(int x);                           // c_commands.cpp
