#include "matrix.h"

template <typename T, std::size_t N> Matrix<T, N> Matrix<T, N>::operator*(const Matrix &o) const
{
    multiplications++;
    Matrix r;
    for (std::size_t i = 0; i < N; i++)
        for (std::size_t j = 0; j < N; j++) {
            T acc{};
            for (std::size_t k = 0; k < N; k++) acc += at(i, k) * o.at(k, j);
            r.at(i, j) = acc;
        }
    return r;
}

template <typename T, std::size_t N> T Matrix<T, N>::trace() const
{
    T t{};
    for (std::size_t i = 0; i < N; i++) t += at(i, i);
    return t;
}

template <typename T, std::size_t N> Matrix<T, N> Matrix<T, N>::identity()
{
    Matrix r;
    for (std::size_t i = 0; i < N; i++) r.at(i, i) = T(1);
    return r;
}

template struct Matrix<double, 3>;
template struct Matrix<long, 4>;
