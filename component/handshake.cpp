#include "component/handshake.hpp"

#include <strophe.h>

#include <array>
#include <cstring>

namespace mucd::component {

std::string handshake_digest(std::string_view stream_id, std::string_view secret) {
  std::string input;
  input.reserve(stream_id.size() + secret.size());
  input.append(stream_id).append(secret);

  std::array<unsigned char, XMPP_SHA1_DIGEST_SIZE> digest{};
  xmpp_sha1_digest(reinterpret_cast<const unsigned char*>(input.data()), input.size(),
                   digest.data());
  // The concatenation holds the secret; do not leave it behind in freed memory.
  explicit_bzero(input.data(), input.size());

  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(digest.size() * 2);
  for (unsigned char byte : digest) {
    hex.push_back(kHex[byte >> 4]);
    hex.push_back(kHex[byte & 0x0f]);
  }
  return hex;
}

}  // namespace mucd::component
