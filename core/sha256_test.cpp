#include "core/sha256.hpp"

#include <gtest/gtest.h>

#include <iostream>
#include <vector>

namespace mucd {
namespace {

std::string hex(const std::array<uint8_t, 32>& d) {
  static const char* k = "0123456789abcdef";
  std::string s;
  for (auto b : d) {
    s.push_back(k[b >> 4]);
    s.push_back(k[b & 15]);
  }
  return s;
}

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(hex(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(HmacSha256, Rfc4231Case2) {
  EXPECT_EQ(hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

// Every implementation this CPU runs gives the reference digests: for inputs that end at and
// around the padding boundaries and span many blocks (the hasher buffers partial blocks and
// compresses whole ones in place), and for HMAC keys shorter and longer than a block.
std::vector<Sha256Impl> runnable_impls() {
  std::vector<Sha256Impl> impls = {Sha256Impl::Best, Sha256Impl::Portable};
  if (sha256_available(Sha256Impl::ShaExtensions)) {
    impls.push_back(Sha256Impl::ShaExtensions);
  } else {
    std::cout << "this CPU has no SHA extensions: only the portable code is checked\n";
  }
  return impls;
}

TEST(Sha256, MultiBlockVectors) {
  for (Sha256Impl impl : runnable_impls()) {
    EXPECT_EQ(hex(sha256("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnop"
                         "jklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
                         impl)),
              "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    EXPECT_EQ(hex(sha256(std::string(1000000, 'a'), impl)),
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    EXPECT_EQ(hex(sha256("abc", impl)),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  }
}

TEST(HmacSha256, ImplementationsAgree) {
  const std::vector<Sha256Impl> impls = runnable_impls();
  for (Sha256Impl impl : impls) {
    EXPECT_EQ(hex(hmac_sha256("Jefe", "what do ya want for nothing?", impl)),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    // RFC 4231 case 6: a key longer than a block is hashed first.
    EXPECT_EQ(hex(hmac_sha256(std::string(131, '\xaa'),
                              "Test Using Larger Than Block-Size Key - Hash Key First", impl)),
              "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  }
  std::string data;
  for (int i = 0; i < 300; ++i) data.push_back(char(i * 131 + 7));
  for (size_t n = 0; n <= data.size(); ++n) {
    std::string_view piece(data.data(), n);
    auto reference = sha256(piece, Sha256Impl::Portable);
    auto keyed = hmac_sha256(piece, piece, Sha256Impl::Portable);
    for (Sha256Impl impl : impls) {
      EXPECT_EQ(hex(sha256(piece, impl)), hex(reference)) << "length " << n;
      EXPECT_EQ(hex(hmac_sha256(piece, piece, impl)), hex(keyed)) << "length " << n;
    }
  }
}

TEST(Base64, Padding) {
  const uint8_t data[] = {'f', 'o', 'o', 'b', 'a'};
  EXPECT_EQ(base64_encode(data, 3), "Zm9v");
  EXPECT_EQ(base64_encode(data, 4), "Zm9vYg==");
  EXPECT_EQ(base64_encode(data, 5), "Zm9vYmE=");
}

}  // namespace
}  // namespace mucd
