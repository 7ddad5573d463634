#pragma once
#include <cstdint>
#include <string>
#include <vector>

struct Record {
    std::string name;
    int score;
    int id;
};

std::vector<Record> make_records(int n, uint32_t seed); // b_data.cpp
bool by_score_desc(const Record &a, const Record &b);   // c_compare.cpp
bool by_name(const Record &a, const Record &b);         // c_compare.cpp
struct ModuloLess {                                     // c_compare.cpp
    int m;
    bool operator()(int a, int b) const;
};
uint64_t fold(const std::vector<Record> &v);            // b_data.cpp
