#include "tasks.h"

static int step(int id, int depth)
{
    if (depth == 0) {
        if (id % 3 == 1) throw TaskError("task " + std::to_string(id) + " hit a bad value", id);
        return id * id;
    }
    return step(id, depth - 1) + depth;
}

int run_task(int id)
{
    try {
        return step(id, 4);
    } catch (const TaskError &e) {
        if (id == 4) return -1; // recovered locally, inside the thread
        throw;
    }
}
