#pragma once
#include <string>
#include <vector>

struct Session {
    std::string owner;
    std::vector<int> events;
    Session();
    ~Session();
    void record(int e) { events.push_back(e); }
};

// Defined in b_session.cpp: a thread_local with a non-trivial constructor
// and destructor, reached from other objects through its TLS wrapper.
extern thread_local Session session;
extern thread_local int thread_tag; // trivial, constant-initialized
int record_in_b(int e);             // b_session.cpp
std::string &per_thread_log();      // c_log.cpp: function-local thread_local
void worker(int tag);               // c_log.cpp
