#include "records.h"

bool by_score_desc(const Record &a, const Record &b)
{
    if (a.score != b.score) return a.score > b.score;
    return a.id < b.id;
}

bool by_name(const Record &a, const Record &b)
{
    if (a.name != b.name) return a.name < b.name;
    return a.id < b.id;
}

bool ModuloLess::operator()(int a, int b) const { return a % m < b % m; }
