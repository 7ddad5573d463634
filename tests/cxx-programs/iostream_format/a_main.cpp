// Exercises: iostreams from JIT'd code: std::cout with manipulators (setw,
// setfill, left/right, hex/oct/showbase, fixed/scientific/setprecision,
// boolalpha), std::endl and flushes, user operator<< / operator>> defined
// in another object, std::ostringstream / std::istringstream, and printf
// interleaved with cout (synchronized with stdio).
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <sstream>
#include "point.h"

int main()
{
    std::cout << "hello from cout" << std::endl;
    std::printf("printf in between\n");
    std::cout << std::setw(8) << 42 << '|' << std::left << std::setw(8) << 42 << '|' << std::right
              << std::setfill('0') << std::setw(8) << 42 << std::setfill(' ') << '\n';
    std::cout << std::hex << std::showbase << 255 << ' ' << std::oct << 8 << ' ' << std::dec
              << std::noshowbase << 255 << '\n';
    std::cout << std::fixed << std::setprecision(3) << 3.14159265 << ' ' << std::scientific << 123456.789
              << ' ' << std::defaultfloat << std::setprecision(6) << 0.1 + 0.2 << '\n';
    std::cout << std::boolalpha << true << ' ' << false << std::noboolalpha << ' ' << true << '\n';
    Point p{3, -4};
    std::cout << "point " << p << '\n';
    std::istringstream in("(10,20) (7,-7) (0,5)");
    Point q{};
    int n = 0, sx = 0, sy = 0;
    while (in >> q) {
        sx += q.x;
        sy += q.y;
        n++;
        std::cout << "read " << q << '\n';
    }
    std::cout << n << " points, sum (" << sx << ',' << sy << ")\n";
    std::ostringstream os;
    for (int i = 1; i <= 5; i++) os << i * i << (i < 5 ? "," : "");
    std::string squares = os.str();
    std::cout << "squares: " << squares << " (" << squares.size() << " chars)\n";
    std::cout << table_row("alpha", 1.5, 10) << table_row("beta", -22.125, 10) << table_row("gamma", 1e6, 10);
    std::cout << parse_and_sum("12 apples, 30 pears; 8 plums and 100 figs") << std::flush;
    std::cout << "done" << std::endl;
    return 0;
}
