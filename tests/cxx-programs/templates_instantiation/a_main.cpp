// Exercises: templates split across objects: extern template declarations in
// the header with the explicit instantiation definitions in b_matrix.cpp, a
// class template's static data member shared program-wide, explicit
// specializations defined in another object, explicit instantiations of a
// variadic function template, CRTP, fold expressions and constexpr values.
#include <cstdio>
#include "matrix.h"

int main()
{
    Matrix<double, 3> a = Matrix<double, 3>::identity();
    for (std::size_t i = 0; i < 3; i++)
        for (std::size_t j = 0; j < 3; j++) a.at(i, j) += 0.5 * static_cast<double>(i + 2 * j);
    Matrix<double, 3> b = a * a * a;
    std::printf("%s 3x3: trace(a^3) = %.4f, multiplications %d\n", TypeName<double>::get().c_str(), b.trace(),
                Matrix<double, 3>::multiplications);
    Matrix<long, 4> m = Matrix<long, 4>::identity();
    for (std::size_t i = 0; i < 4; i++) m.at(i, (i + 1) % 4) = static_cast<long>(i + 1);
    Matrix<long, 4> p = m;
    for (int k = 0; k < 5; k++) p = p * m;
    std::printf("%s 4x4: trace(m^6) = %ld, multiplications %d\n", TypeName<long>::get().c_str(), p.trace(),
                Matrix<long, 4>::multiplications);
    std::printf("TypeName<int> = %s\n", TypeName<int>::get().c_str());
    Sq s;
    s.side = 3;
    std::printf("CRTP scaled area %.1f\n", s.scaled_area(2.5));
    constexpr auto total = sum_all(1, 2, 3, 4, 5);
    static_assert(total == 15, "fold");
    std::printf("sum_all %d, mixed %.2f\n", total, sum_all(1, 2.5, 3L));
    std::printf("join: %s | %s\n", join(1, 2, 3).c_str(), join(std::string("x"), 2.5, 'c').c_str());
    std::printf("Fib<40> %lu, Fib<60> %lu\n", Fib<40>::value, Fib<60>::value);
    std::printf("power table checksum %ld\n", power_table_checksum());
    return 0;
}
