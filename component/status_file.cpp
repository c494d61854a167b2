#include "component/status_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace mucd::component {

std::string_view status_word(LinkStatus status) {
  switch (status) {
    case LinkStatus::Disconnected:
      return "disconnected";
    case LinkStatus::Connected:
      return "connected";
    case LinkStatus::Stopped:
      return "stopped";
  }
  return "disconnected";
}

std::string write_status_file(const std::string& path, LinkStatus status) {
  const std::string temporary = path + ".tmp";
  const std::string text = std::string(status_word(status)) + "\n";
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return fmt::format("cannot write status file '{}': {}", temporary, std::strerror(errno));
  }
  ssize_t written = ::write(fd, text.data(), text.size());
  int write_errno = errno;
  ::close(fd);
  if (written != static_cast<ssize_t>(text.size())) {
    ::unlink(temporary.c_str());
    return fmt::format("cannot write status file '{}': {}", temporary,
                       written < 0 ? std::strerror(write_errno) : "short write");
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    int rename_errno = errno;
    ::unlink(temporary.c_str());
    return fmt::format("cannot replace status file '{}': {}", path, std::strerror(rename_errno));
  }
  return {};
}

Health read_health(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return {false, fmt::format("no status in '{}': {} (is mucd running with --status-file?)", path,
                               std::strerror(errno))};
  }
  char buf[64];
  ssize_t n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  if (n < 0) return {false, fmt::format("cannot read '{}': {}", path, std::strerror(errno))};
  std::string_view word(buf, static_cast<size_t>(n));
  while (!word.empty() && (word.back() == '\n' || word.back() == '\r')) word.remove_suffix(1);
  if (word == status_word(LinkStatus::Connected)) return {true, std::string(word)};
  if (word == status_word(LinkStatus::Disconnected) || word == status_word(LinkStatus::Stopped)) {
    return {false, std::string(word)};
  }
  return {false, fmt::format("'{}' does not hold a mucd status", path)};
}

}  // namespace mucd::component
