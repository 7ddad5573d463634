// Exercises: exceptions thrown two or three frames away in another object and
// caught in main by exact type, by base class (AppError, std::exception), by
// a scalar type and by catch (...); rethrow with `throw;` keeps the same
// object (its modified code is seen); Guards print during unwinding, with
// std::uncaught_exceptions(); KeyedError's typeinfo comes from one object.
#include <cstdio>
#include <exception>
#include "errors.h"

static int handle(const char *via, int (*fn)(int), int v)
{
    Guard g("main-frame");
    try {
        int r = fn(v);
        std::printf("%s(%d) returned %d\n", via, v, r);
        return r;
    } catch (ParseError &e) {
        std::printf("%s(%d): ParseError '%s' line %d code %d\n", via, v, e.what(), e.line, e.code);
        return e.code;
    } catch (AppError &e) {
        std::printf("%s(%d): AppError '%s' code %d\n", via, v, e.what(), e.code);
        return e.code;
    } catch (const std::exception &e) {
        std::printf("%s(%d): std::exception '%s'\n", via, v, e.what());
        return -1;
    } catch (int x) {
        std::printf("%s(%d): int %d\n", via, v, x);
        return x;
    } catch (const KeyedError &k) {
        std::printf("%s(%d): KeyedError value %d weight %d\n", via, v, k.value, k.weight());
        return k.value;
    } catch (...) {
        std::printf("%s(%d): unknown exception\n", via, v);
        return -2;
    }
}

int main()
{
    long sum = 0;
    for (int v = 0; v <= 6; v++) sum += handle("level2", level2, v);
    for (int v = 0; v <= 3; v++) sum += handle("rethrow", rethrow_with_code, v);
    for (int v = 4; v <= 6; v++) sum += handle("catch_all", catch_all_and_rethrow, v);
    std::printf("uncaught at end: %d\n", std::uncaught_exceptions());
    std::printf("checksum %ld\n", sum);
    return 0;
}
