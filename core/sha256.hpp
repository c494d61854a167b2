// SHA-256 (FIPS 180-4) and HMAC-SHA-256 (RFC 2104), for stable opaque identifiers.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace mucd {

// Which implementation of the compression function: the CPU's SHA extensions when it has them
// (x86), else portable code. Tests ask for each one to check that they agree.
enum class Sha256Impl { Best, Portable, ShaExtensions };
// Whether `impl` can run on this CPU (Best and Portable always can).
bool sha256_available(Sha256Impl impl);

std::array<uint8_t, 32> sha256(std::string_view data, Sha256Impl impl = Sha256Impl::Best);
std::array<uint8_t, 32> hmac_sha256(std::string_view key, std::string_view message,
                                    Sha256Impl impl = Sha256Impl::Best);
std::string base64_encode(const uint8_t* data, size_t size);

}  // namespace mucd
