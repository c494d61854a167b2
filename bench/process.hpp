// Child processes the benchmark tools start (mucd), stopped by PID.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace mucd::bench {

// Starts argv[0] with `argv`, stdout and stderr appended to `log_path`. Throws on failure.
pid_t spawn(const std::vector<std::string>& argv, const std::string& log_path);
// SIGTERM, then SIGKILL after `grace_ms`. Returns the wait status text ("exit 0", "signal 9").
std::string stop(pid_t pid, int grace_ms);
// Whether `pid` (a child) is still running; reaps it if it exited and fills `status_text`.
bool running(pid_t pid, std::string* status_text = nullptr);

// A private temporary directory (mkdtemp), removed with its files by remove_tree().
std::string make_temp_dir(const std::string& prefix);
void remove_tree(const std::string& path);
// Writes `text` to `path` with mode 0600.
void write_private_file(const std::string& path, const std::string& text);
// `bytes` random bytes as hex, from /dev/urandom.
std::string random_hex(int bytes);

}  // namespace mucd::bench
