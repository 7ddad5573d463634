// Exercises: exceptions thrown inside libstdc++ (the shared library) and by
// header templates, caught in JIT'd code by their exact type and by base
// class (std::logic_error, std::exception): the typeinfo the catch clauses
// name comes from the library. Each probe in b_probes.cpp throws one.
#include <cstdio>
#include <exception>
#include <new>
#include <stdexcept>
#include <typeinfo>

typedef void (*Probe)();
extern Probe probes[];       // b_probes.cpp
extern const char *names[];  // b_probes.cpp
extern int probe_count;      // b_probes.cpp

int main()
{
    int by_exact = 0, by_logic = 0, by_runtime = 0, by_other = 0;
    for (int i = 0; i < probe_count; i++) {
        std::printf("%-16s ", names[i]);
        try {
            probes[i]();
            std::printf("no exception\n");
        } catch (const std::out_of_range &e) {
            by_exact++;
            std::printf("out_of_range: %s\n", e.what());
        } catch (const std::invalid_argument &e) {
            by_exact++;
            std::printf("invalid_argument: %s\n", e.what());
        } catch (const std::logic_error &e) {
            by_logic++;
            std::printf("logic_error (%s): %s\n", typeid(e).name(), e.what());
        } catch (const std::overflow_error &e) {
            by_runtime++;
            std::printf("overflow_error: %s\n", e.what());
        } catch (const std::bad_alloc &e) {
            by_other++;
            std::printf("bad_alloc family (%s)\n", typeid(e).name());
        } catch (const std::exception &e) {
            by_other++;
            std::printf("std::exception (%s)\n", typeid(e).name());
        }
    }
    std::printf("exact %d, logic %d, runtime %d, other %d\n", by_exact, by_logic, by_runtime, by_other);
    return 0;
}
