#include <iomanip>
#include <iostream>
#include <sstream>
#include "point.h"

std::ostream &operator<<(std::ostream &os, const Point &p) { return os << '(' << p.x << ',' << p.y << ')'; }

std::istream &operator>>(std::istream &is, Point &p)
{
    char open = 0, comma = 0, close = 0;
    if (is >> open >> p.x >> comma >> p.y >> close && (open != '(' || comma != ',' || close != ')'))
        is.setstate(std::ios::failbit);
    return is;
}

std::string table_row(const std::string &name, double value, int width)
{
    std::ostringstream os;
    os << '|' << std::left << std::setw(width) << name << '|' << std::right << std::setw(width) << std::fixed
       << std::setprecision(2) << value << "|\n";
    return os.str();
}
