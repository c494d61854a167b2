// The status file: one word saying whether mucd is connected to its host, for a container
// HEALTHCHECK, a monitor or `mucd --health`. main writes it; the link only reports changes.
#pragma once

#include <string>
#include <string_view>

namespace mucd::component {

enum class LinkStatus {
  Disconnected,  // starting, or between sessions (reconnecting with backoff)
  Connected,     // the handshake succeeded and the session is up
  Stopped,       // mucd has exited cleanly
};

// "disconnected", "connected" or "stopped": the file's whole content, plus a newline.
std::string_view status_word(LinkStatus status);

// Replaces the file's content with the status word. Writes PATH.tmp and renames it over PATH,
// so a reader sees the old word or the new one, never a partial one. Returns an empty string on
// success, otherwise what went wrong (naming the path).
std::string write_status_file(const std::string& path, LinkStatus status);

struct Health {
  bool connected = false;
  // One line for a person: the word read, or why there is none.
  std::string message;
};

// Reads the status file back: connected only when it holds exactly "connected".
Health read_health(const std::string& path);

}  // namespace mucd::component
