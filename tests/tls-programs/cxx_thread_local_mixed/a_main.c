/* Exercises: a C program using a C++ object: a C++ thread_local with a
 * non-trivial constructor and destructor (std::string, std::vector) created
 * lazily in main and in each pthread, destroyed at each thread's exit
 * (__cxa_thread_atexit) and at exit for main; a constant-initialized C++
 * thread_local read directly from C; C __thread read from C++. Threads run
 * one at a time so the output order is fixed. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include "api.h"

__thread int c_level = 1;

static void *worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    char buf[32];
    printf("worker %d: c_level %d plain_from_cxx %ld before any C++ call\n", id, c_level, plain_from_cxx);
    c_level = 10 + id;
    for (int i = 0; i <= id; i++) {
        snprintf(buf, sizeof buf, "w%d-e%d", id, i);
        tracker_note(buf);
    }
    snprintf(buf, sizeof buf, "worker %d", id);
    tracker_report(buf);
    return NULL;
}

int main(void)
{
    tracker_note("main-start");
    c_level = 5;
    tracker_note("main-level5");
    tracker_report("main");
    for (int id = 0; id < 3; id++) {
        pthread_t t;
        pthread_create(&t, NULL, worker, (void *)(intptr_t)id);
        pthread_join(t, NULL);
        printf("main: joined worker %d, constructions so far %d\n", id, tracker_constructions());
    }
    tracker_note("main-end");
    tracker_report("main");
    printf("main: plain_from_cxx %ld c_level %d\n", plain_from_cxx, c_level);
    return 0;
}
