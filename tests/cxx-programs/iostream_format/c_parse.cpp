#include <cctype>
#include <sstream>
#include "point.h"

std::string parse_and_sum(const std::string &text)
{
    std::istringstream in(text);
    std::string word;
    long sum = 0;
    int numbers = 0, words = 0;
    while (in >> word) {
        if (std::isdigit(static_cast<unsigned char>(word[0]))) {
            sum += std::stol(word);
            numbers++;
        } else {
            words++;
        }
    }
    std::ostringstream out;
    out << numbers << " numbers summing to " << sum << ", " << words << " words\n";
    return out.str();
}
