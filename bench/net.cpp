#include "bench/net.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace mucd::bench {

namespace {

std::runtime_error system_error(const std::string& what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

}  // namespace

void set_nonblocking(int fd) {
  int flags = fcntl(fd, F_GETFL, 0);
  fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

int listen_loopback(int port, int& bound_port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw system_error("socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw system_error("bind 127.0.0.1:" + std::to_string(port));
  }
  if (listen(fd, 512) != 0) {
    ::close(fd);
    throw system_error("listen");
  }
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  bound_port = ntohs(addr.sin_port);
  return fd;
}

int accept_within(int listener, std::chrono::milliseconds timeout) {
  pollfd p{listener, POLLIN, 0};
  int ready = poll(&p, 1, static_cast<int>(timeout.count()));
  if (ready <= 0) return -1;
  int fd = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd >= 0) set_nonblocking(fd);
  return fd;
}

int connect_nonblocking(const std::string& host, int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw system_error("socket");
  set_nonblocking(fd);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    ::close(fd);
    throw std::runtime_error("not an IPv4 address: " + host);
  }
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS) {
    ::close(fd);
    throw system_error("connect " + host + ":" + std::to_string(port));
  }
  return fd;
}

int poll_until(pollfd* fds, std::size_t count, std::chrono::steady_clock::time_point wake) {
  using namespace std::chrono;
  auto wait = duration_cast<nanoseconds>(wake - steady_clock::now());
  wait = std::clamp(wait, nanoseconds(0), nanoseconds(milliseconds(100)));
  timespec ts{static_cast<time_t>(wait.count() / 1000000000),
              static_cast<long>(wait.count() % 1000000000)};
  return ppoll(fds, count, &ts, nullptr);
}

Connection::~Connection() {
  close();
}

Connection::Connection(Connection&& other) noexcept
    : fd_(other.fd_),
      out_(std::move(other.out_)),
      written_(other.written_),
      scanner_(std::move(other.scanner_)) {
  other.fd_ = -1;
}

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = other.fd_;
    out_ = std::move(other.out_);
    written_ = other.written_;
    scanner_ = std::move(other.scanner_);
    other.fd_ = -1;
  }
  return *this;
}

void Connection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool Connection::flush() {
  while (written_ < out_.size()) {
    ssize_t n = ::send(fd_, out_.data() + written_, out_.size() - written_, MSG_NOSIGNAL);
    if (n > 0) {
      written_ += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n < 0 && errno == EINTR) continue;
    return false;
  }
  if (written_ == out_.size()) {
    out_.clear();
    written_ = 0;
  } else if (written_ > (1u << 20)) {
    out_.erase(0, written_);
    written_ = 0;
  }
  return true;
}

bool Connection::read_available(std::size_t limit, std::size_t& got) {
  static thread_local char buffer[1 << 18];
  got = 0;
  while (got < limit) {
    ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n > 0) {
      scanner_.feed(buffer, static_cast<std::size_t>(n));
      got += static_cast<std::size_t>(n);
      if (static_cast<std::size_t>(n) < sizeof buffer) break;
      continue;
    }
    if (n == 0) return false;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    if (errno == EINTR) continue;
    return false;
  }
  return true;
}

}  // namespace mucd::bench
