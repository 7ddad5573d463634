#include <thread>
#include <vector>
#include "tasks.h"

std::exception_ptr run_in_thread(int id, int &result)
{
    std::exception_ptr error;
    std::thread t([&] {
        try {
            result = run_task(id);
        } catch (...) {
            error = std::current_exception();
        }
    });
    t.join();
    return error;
}

void run_concurrently(int n, std::exception_ptr *errors, int *results)
{
    std::vector<std::thread> pool;
    for (int i = 0; i < n; i++)
        pool.emplace_back([=] {
            try {
                results[i] = run_task(i * 3 + 1 - (i % 2)); // ids 1, 3, 7, 9: 1 and 7 fail
            } catch (...) {
                errors[i] = std::current_exception();
            }
        });
    for (auto &t : pool) t.join();
}
