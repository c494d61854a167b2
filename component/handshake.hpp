// The XEP-0114 handshake value: what a component proves it knows the shared secret with.
//
// The link does not call this (libstrophe computes the same value during the handshake); it is
// here for the server side, which the fake host in bench/ plays, and for tests.
#pragma once

#include <string>
#include <string_view>

namespace mucd::component {

// Lowercase hex SHA-1 of `stream_id` followed by `secret` (XEP-0114 section 3). The result is
// derived from the secret: treat it as sensitive too and keep it out of logs.
std::string handshake_digest(std::string_view stream_id, std::string_view secret);

}  // namespace mucd::component
