#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kq {

// Encodes bytes as standard base64 (RFC 4648, with padding).
std::string base64_encode(std::string_view bytes);

// Decodes standard base64 with padding, skipping line breaks as Go's decoder does; nullopt when the
// text is not valid base64.
std::optional<std::string> base64_decode(std::string_view text);

} // namespace kq
