// Loopback TCP for the benchmark tools: listening, connecting, and a non-blocking connection
// with an output buffer that is written out in as few system calls as the socket allows.
#pragma once

#include <poll.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "bench/scanner.hpp"

namespace mucd::bench {

// A listening socket on 127.0.0.1:`port` (0: any free port). Throws std::runtime_error.
int listen_loopback(int port, int& bound_port);
// Waits up to `timeout` for a connection on `listener`; returns the socket or -1.
int accept_within(int listener, std::chrono::milliseconds timeout);
// Starts a non-blocking connect to host:port; returns the socket (connection may be in progress).
int connect_nonblocking(const std::string& host, int port);
void set_nonblocking(int fd);

// poll() that waits at most until `wake` (and never more than 100 ms), to the microsecond: the
// paced phase sends on a schedule finer than poll()'s milliseconds, and spinning instead would
// take a core from the process being measured.
int poll_until(pollfd* fds, std::size_t count, std::chrono::steady_clock::time_point wake);

// One stream socket with buffered output and a scanner for its input.
class Connection {
 public:
  Connection() = default;
  explicit Connection(int fd) : fd_(fd) {}
  ~Connection();
  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  int fd() const { return fd_; }
  bool open() const { return fd_ >= 0; }
  void close();

  void queue(std::string_view bytes) { out_.append(bytes); }
  bool wants_write() const { return out_.size() > written_; }
  // Writes what the socket takes now. Returns false on a socket error.
  bool flush();
  // Reads what is available (up to `limit` bytes) into the scanner. Returns false when the peer
  // closed the connection or on error; `got` is the number of bytes read.
  bool read_available(std::size_t limit, std::size_t& got);

  StreamScanner& scanner() { return scanner_; }
  std::size_t buffered_output() const { return out_.size() - written_; }

 private:
  int fd_ = -1;
  std::string out_;
  std::size_t written_ = 0;
  StreamScanner scanner_;
};

}  // namespace mucd::bench
