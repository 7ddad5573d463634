#pragma once
#include <exception>
#include <stdexcept>
#include <string>

struct TaskError : std::runtime_error {
    int task;
    TaskError(const std::string &m, int t) : std::runtime_error(m), task(t) {}
};

int run_task(int id);                 // b_tasks.cpp: throws TaskError for some ids
std::exception_ptr run_in_thread(int id, int &result); // c_runner.cpp: std::thread + exception_ptr
void run_concurrently(int n, std::exception_ptr *errors, int *results); // c_runner.cpp
