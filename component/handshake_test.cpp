#include "component/handshake.hpp"

#include <gtest/gtest.h>

namespace mucd::component {
namespace {

// Expected values computed independently with `printf '%s' "$id$secret" | sha1sum`.

TEST(HandshakeDigest, HashesStreamIdFollowedBySecret) {
  EXPECT_EQ(handshake_digest("id", "secret"), "2555325ab8349486fb4f5bb190bf753b87a5bbc8");
}

TEST(HandshakeDigest, OrderMattersAndOutputIsLowercaseHex) {
  EXPECT_EQ(handshake_digest("3BF96D32", "s3cret"), "a984b871214a298f0f743fcd25f99b10838ba12b");
  EXPECT_NE(handshake_digest("s3cret", "3BF96D32"), handshake_digest("3BF96D32", "s3cret"));
}

TEST(HandshakeDigest, EmptyInputIsTheSha1OfNothing) {
  EXPECT_EQ(handshake_digest("", ""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

TEST(HandshakeDigest, Utf8AndPunctuationAreHashedAsBytes) {
  EXPECT_EQ(handshake_digest("b5d1f2c2-8a7e-4f3e-9c1d-0123456789ab",
                             "s3cr3t with spaces & \xc3\xbcn\xc3\xaf"
                             "code"),
            "c914fb48ff70abd467eadf097a611a6d31b17516");
}

}  // namespace
}  // namespace mucd::component
