// SHA-256 (FIPS 180-4) and HMAC-SHA-256 (RFC 2104), for stable opaque identifiers.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace mucd {

std::array<uint8_t, 32> sha256(std::string_view data);
std::array<uint8_t, 32> hmac_sha256(std::string_view key, std::string_view message);
std::string base64_encode(const uint8_t* data, size_t size);

}  // namespace mucd
