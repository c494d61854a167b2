#include "core/sha256.hpp"

#include <algorithm>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#endif

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

void compress_portable(uint32_t state[8], const uint8_t* data, size_t blocks) {
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

#if defined(__x86_64__) || defined(__i386__)
// The x86 SHA extensions: an HMAC of a JID and a salt (an occupant id, one per join) in 0.3 us
// instead of 0.9 us here. (valgrind hides them: callgrind profiles run the portable rounds.)
__attribute__((target("sha,ssse3,sse4.1"))) void compress_sha_ni(uint32_t state[8],
                                                                 const uint8_t* data,
                                                                 size_t blocks) {
  const __m128i byte_swap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  __m128i tmp = _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(state)), 0xB1);
  __m128i state1 =
      _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(state + 4)), 0x1B);
  __m128i state0 = _mm_alignr_epi8(tmp, state1, 8);  // ABEF
  state1 = _mm_blend_epi16(state1, tmp, 0xF0);       // CDGH
  for (; blocks > 0; --blocks, data += 64) {
    const __m128i abef = state0, cdgh = state1;
    __m128i w[16];
    for (int g = 0; g < 16; ++g) {
      if (g < 4) {
        w[g] = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(data + 16 * g)),
                                byte_swap);
      } else {
        w[g] = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(w[g - 4], w[g - 3]),
                                                  _mm_alignr_epi8(w[g - 1], w[g - 2], 4)),
                                    w[g - 1]);
      }
      __m128i msg =
          _mm_add_epi32(w[g], _mm_loadu_si128(reinterpret_cast<const __m128i*>(kRound + 4 * g)));
      state1 = _mm_sha256rnds2_epu32(state1, state0, msg);
      state0 = _mm_sha256rnds2_epu32(state0, state1, _mm_shuffle_epi32(msg, 0x0E));
    }
    state0 = _mm_add_epi32(state0, abef);
    state1 = _mm_add_epi32(state1, cdgh);
  }
  tmp = _mm_shuffle_epi32(state0, 0x1B);        // FEBA
  state1 = _mm_shuffle_epi32(state1, 0xB1);     // DCHG
  state0 = _mm_blend_epi16(tmp, state1, 0xF0);  // DCBA
  state1 = _mm_alignr_epi8(state1, tmp, 8);     // HGFE
  _mm_storeu_si128(reinterpret_cast<__m128i*>(state), state0);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(state + 4), state1);
}

bool detect_sha_ni() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
  const bool ssse3 = ecx & (1u << 9), sse41 = ecx & (1u << 19);
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
  return ssse3 && sse41 && (ebx & (1u << 29));
}
#else
bool detect_sha_ni() {
  return false;
}
void compress_sha_ni(uint32_t*, const uint8_t*, size_t) {}
#endif

// Asked once: CPUID leaves a virtual machine (tens of microseconds each here).
bool cpu_has_sha_ni() {
  static const bool has = detect_sha_ni();
  return has;
}

using CompressFn = void (*)(uint32_t*, const uint8_t*, size_t);

CompressFn chosen_compress() {
  static const CompressFn chosen = cpu_has_sha_ni() ? compress_sha_ni : compress_portable;
  return chosen;
}

// SHA-256 over pieces, without copying them together first.
class Hasher {
 public:
  explicit Hasher(CompressFn compress) : compress_(compress) {}

  void update(const uint8_t* data, size_t size) {
    length_ += size;
    if (buffered_ > 0) {
      size_t take = std::min(size, size_t(64) - buffered_);
      std::memcpy(buffer_ + buffered_, data, take);
      buffered_ += take;
      data += take;
      size -= take;
      if (buffered_ < 64) return;
      compress_(state_, buffer_, 1);
      buffered_ = 0;
    }
    if (size >= 64) {
      compress_(state_, data, size / 64);
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
    compress_(state_, tail, tail_len / 64);
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
  CompressFn compress_;
  uint32_t state_[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  uint8_t buffer_[64] = {};
  size_t buffered_ = 0;
  uint64_t length_ = 0;
};

CompressFn compress_for(Sha256Impl impl) {
  switch (impl) {
    case Sha256Impl::Portable:
      return compress_portable;
    case Sha256Impl::ShaExtensions:
      return cpu_has_sha_ni() ? compress_sha_ni : nullptr;
    case Sha256Impl::Best:
      break;
  }
  return chosen_compress();
}

}  // namespace

bool sha256_available(Sha256Impl impl) {
  return compress_for(impl) != nullptr;
}

std::array<uint8_t, 32> sha256(std::string_view data, Sha256Impl impl) {
  Hasher hasher(compress_for(impl));
  hasher.update(data);
  return hasher.finish();
}

std::array<uint8_t, 32> hmac_sha256(std::string_view key, std::string_view message,
                                    Sha256Impl impl) {
  const CompressFn compress = compress_for(impl);
  uint8_t k[64] = {};
  if (key.size() > 64) {
    Hasher long_key(compress);
    long_key.update(key);
    auto digest = long_key.finish();
    std::memcpy(k, digest.data(), digest.size());
  } else {
    std::memcpy(k, key.data(), key.size());
  }
  uint8_t pad[64];
  for (int i = 0; i < 64; ++i) pad[i] = uint8_t(k[i] ^ 0x36);
  Hasher inner(compress);
  inner.update(pad, sizeof pad);
  inner.update(message);
  const auto inner_digest = inner.finish();
  for (int i = 0; i < 64; ++i) pad[i] = uint8_t(k[i] ^ 0x5c);
  Hasher outer(compress);
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
