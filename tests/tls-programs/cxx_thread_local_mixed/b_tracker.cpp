#include <atomic>
#include <cstdio>
#include <string>
#include <vector>
#include "api.h"

namespace {
std::atomic<int> constructions{0};

struct Tracker {
    std::string owner;
    std::vector<std::string> events;
    Tracker() : owner("level" + std::to_string(c_level))
    {
        constructions++;
        std::printf("  Tracker() for %s\n", owner.c_str());
    }
    ~Tracker()
    {
        std::string all;
        for (const auto &e : events) all += e + ",";
        std::printf("  ~Tracker() for %s: %zu events [%s]\n", owner.c_str(), events.size(), all.c_str());
    }
};

thread_local Tracker tracker;
} // namespace

extern "C" {
thread_local long plain_from_cxx = 4242;

void tracker_note(const char *event)
{
    tracker.events.push_back(std::string(event) + "@" + std::to_string(c_level));
    plain_from_cxx++;
}

void tracker_report(const char *who)
{
    std::printf("%s: tracker owner %s, %zu events, plain %ld\n", who, tracker.owner.c_str(), tracker.events.size(),
                plain_from_cxx);
}

int tracker_constructions(void) { return constructions.load(); }
}
