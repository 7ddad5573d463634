#pragma once
#include <array>
#include <cstddef>
#include <string>

template <typename T, std::size_t N> struct Matrix {
    std::array<T, N * N> cells{};
    static int multiplications; // one per instantiation, program-wide
    T &at(std::size_t r, std::size_t c) { return cells[r * N + c]; }
    const T &at(std::size_t r, std::size_t c) const { return cells[r * N + c]; }
    Matrix operator*(const Matrix &o) const;   // defined in b_matrix.cpp
    T trace() const;                           // defined in b_matrix.cpp
    static Matrix identity();                  // defined in b_matrix.cpp
};
template <typename T, std::size_t N> int Matrix<T, N>::multiplications = 0;

// The out-of-line members are only instantiated in b_matrix.cpp.
extern template struct Matrix<double, 3>;
extern template struct Matrix<long, 4>;

// A specialization declared here, defined in c_traits.cpp.
template <typename T> struct TypeName {
    static std::string get() { return "unknown"; }
};
template <> struct TypeName<double> {
    static std::string get();
};
template <> struct TypeName<long> {
    static std::string get();
};

// CRTP: static polymorphism.
template <typename Derived> struct Shape {
    double scaled_area(double k) const { return k * static_cast<const Derived *>(this)->area(); }
};
struct Sq : Shape<Sq> {
    double side;
    double area() const { return side * side; }
};

// Variadic templates and fold expressions.
template <typename... Ts> constexpr auto sum_all(Ts... xs) { return (xs + ... + 0); }
template <typename... Ts> std::string join(const Ts &...xs); // c_traits.cpp, explicit instantiations

constexpr unsigned long fib(unsigned n)
{
    unsigned long a = 0, b = 1;
    for (unsigned i = 0; i < n; i++) {
        unsigned long t = a + b;
        a = b;
        b = t;
    }
    return a;
}
template <unsigned N> struct Fib {
    static constexpr unsigned long value = fib(N);
};

long power_table_checksum(); // c_traits.cpp
