// Exercises: exceptions thrown and caught inside std::threads (each thread
// unwinds its own stack through JIT'd frames, 4 threads at once as well),
// carried to the main thread as std::exception_ptr, rethrown and caught in
// main by the derived type. (std::promise / std::async: futures_call_once.)
#include <cstdio>
#include "tasks.h"

int main()
{
    int ok = 0, failed = 0;
    for (int id = 0; id < 6; id++) {
        int result = 0;
        std::exception_ptr e = run_in_thread(id, result);
        if (!e) {
            std::printf("thread task %d -> %d\n", id, result);
            ok++;
            continue;
        }
        try {
            std::rethrow_exception(e);
        } catch (const TaskError &te) {
            std::printf("thread task %d failed: %s (task %d)\n", id, te.what(), te.task);
            failed++;
        }
    }
    std::exception_ptr errors[4];
    int results[4] = {0, 0, 0, 0};
    run_concurrently(4, errors, results);
    for (int id = 0; id < 4; id++) {
        try {
            if (errors[id]) std::rethrow_exception(errors[id]);
            std::printf("concurrent task %d -> %d\n", id, results[id]);
            ok++;
        } catch (const std::exception &e) {
            std::printf("concurrent task %d failed: %s\n", id, e.what());
            failed++;
        }
    }
    std::printf("ok %d, failed %d\n", ok, failed);
    return 0;
}
