#include "core/sha256.hpp"

#include <algorithm>
#include <cstring>

namespace mucd {

namespace {

constexpr uint32_t kRound[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

uint32_t rotr(uint32_t x, int n) {
  return (x >> n) | (x << (32 - n));
}

// One round; the caller rotates the roles of the eight working variables instead of moving
// them (the moves cost as much as the round itself).
inline void round(uint32_t a, uint32_t b, uint32_t c, uint32_t& d, uint32_t e, uint32_t f,
                  uint32_t g, uint32_t& h, uint32_t k_plus_w) {
  uint32_t t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + k_plus_w;
  uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
  d += t1;
  h = t1 + t2;
}

void compress(uint32_t state[8], const uint8_t* data, size_t blocks) {
  for (; blocks > 0; --blocks, data += 64) {
    uint32_t w[64];
    for (int i = 0; i < 16; ++i) {
      w[i] = uint32_t(data[i * 4]) << 24 | uint32_t(data[i * 4 + 1]) << 16 |
             uint32_t(data[i * 4 + 2]) << 8 | uint32_t(data[i * 4 + 3]);
    }
    for (int i = 16; i < 64; ++i) {
      uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
      uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3], e = state[4], f = state[5],
             g = state[6], h = state[7];
    for (int i = 0; i < 64; i += 8) {
      round(a, b, c, d, e, f, g, h, kRound[i] + w[i]);
      round(h, a, b, c, d, e, f, g, kRound[i + 1] + w[i + 1]);
      round(g, h, a, b, c, d, e, f, kRound[i + 2] + w[i + 2]);
      round(f, g, h, a, b, c, d, e, kRound[i + 3] + w[i + 3]);
      round(e, f, g, h, a, b, c, d, kRound[i + 4] + w[i + 4]);
      round(d, e, f, g, h, a, b, c, kRound[i + 5] + w[i + 5]);
      round(c, d, e, f, g, h, a, b, kRound[i + 6] + w[i + 6]);
      round(b, c, d, e, f, g, h, a, kRound[i + 7] + w[i + 7]);
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
    state[5] += f;
    state[6] += g;
    state[7] += h;
  }
}

// SHA-256 over pieces, without copying them together first.
class Hasher {
 public:
  void update(const uint8_t* data, size_t size) {
    length_ += size;
    if (buffered_ > 0) {
      size_t take = std::min(size, size_t(64) - buffered_);
      std::memcpy(buffer_ + buffered_, data, take);
      buffered_ += take;
      data += take;
      size -= take;
      if (buffered_ < 64) return;
      compress(state_, buffer_, 1);
      buffered_ = 0;
    }
    if (size >= 64) {
      compress(state_, data, size / 64);
      data += size / 64 * 64;
      size %= 64;
    }
    std::memcpy(buffer_, data, size);
    buffered_ = size;
  }
  void update(std::string_view data) {
    update(reinterpret_cast<const uint8_t*>(data.data()), data.size());
  }

  std::array<uint8_t, 32> finish() {
    uint8_t tail[128] = {};
    std::memcpy(tail, buffer_, buffered_);
    tail[buffered_] = 0x80;
    size_t tail_len = buffered_ + 1 + 8 <= 64 ? 64 : 128;
    uint64_t bits = length_ * 8;
    for (int i = 0; i < 8; ++i) tail[tail_len - 1 - i] = uint8_t(bits >> (8 * i));
    compress(state_, tail, tail_len / 64);
    std::array<uint8_t, 32> out{};
    for (int i = 0; i < 8; ++i) {
      out[i * 4] = uint8_t(state_[i] >> 24);
      out[i * 4 + 1] = uint8_t(state_[i] >> 16);
      out[i * 4 + 2] = uint8_t(state_[i] >> 8);
      out[i * 4 + 3] = uint8_t(state_[i]);
    }
    return out;
  }

 private:
  uint32_t state_[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  uint8_t buffer_[64] = {};
  size_t buffered_ = 0;
  uint64_t length_ = 0;
};

}  // namespace

std::array<uint8_t, 32> sha256(std::string_view data) {
  Hasher hasher;
  hasher.update(data);
  return hasher.finish();
}

std::array<uint8_t, 32> hmac_sha256(std::string_view key, std::string_view message) {
  uint8_t k[64] = {};
  if (key.size() > 64) {
    Hasher long_key;
    long_key.update(key);
    auto digest = long_key.finish();
    std::memcpy(k, digest.data(), digest.size());
  } else {
    std::memcpy(k, key.data(), key.size());
  }
  uint8_t pad[64];
  for (int i = 0; i < 64; ++i) pad[i] = uint8_t(k[i] ^ 0x36);
  Hasher inner;
  inner.update(pad, sizeof pad);
  inner.update(message);
  const auto inner_digest = inner.finish();
  for (int i = 0; i < 64; ++i) pad[i] = uint8_t(k[i] ^ 0x5c);
  Hasher outer;
  outer.update(pad, sizeof pad);
  outer.update(inner_digest.data(), inner_digest.size());
  return outer.finish();
}

std::string base64_encode(const uint8_t* data, size_t size) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  for (size_t i = 0; i < size; i += 3) {
    uint32_t n = uint32_t(data[i]) << 16;
    if (i + 1 < size) n |= uint32_t(data[i + 1]) << 8;
    if (i + 2 < size) n |= data[i + 2];
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(i + 1 < size ? kAlphabet[(n >> 6) & 63] : '=');
    out.push_back(i + 2 < size ? kAlphabet[n & 63] : '=');
  }
  return out;
}

}  // namespace mucd
