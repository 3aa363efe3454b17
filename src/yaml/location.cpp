#include "yaml/location.hpp"

#include <fmt/format.h>

namespace kq::yaml {

std::string Location::str() const {
    if (line <= 0) return file;
    return fmt::format("{}:{}:{}", file, line, column);
}

Location location_at(const std::string& file, std::string_view text, std::size_t offset) {
    Location where{file, 1, 1};
    for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++where.line;
            where.column = 1;
        } else {
            ++where.column;
        }
    }
    return where;
}

} // namespace kq::yaml
