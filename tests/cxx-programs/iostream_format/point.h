#pragma once
#include <iosfwd>
#include <string>

struct Point {
    int x, y;
};
std::ostream &operator<<(std::ostream &os, const Point &p); // b_format.cpp
std::istream &operator>>(std::istream &is, Point &p);       // b_format.cpp
std::string table_row(const std::string &name, double value, int width); // b_format.cpp
std::string parse_and_sum(const std::string &text);          // c_parse.cpp
