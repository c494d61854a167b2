// What a process has cost so far, from /proc: CPU time (/proc/PID/stat) and peak resident
// memory (VmHWM in /proc/PID/status).
#pragma once

#include <sys/types.h>

#include <optional>

namespace mucd::bench {

// User plus system CPU seconds used by every thread of `pid`, at clock-tick resolution
// (usually 10 ms). nullopt when the process is gone or /proc cannot be read.
std::optional<double> cpu_seconds(pid_t pid);

// Peak resident set size of `pid` in bytes, or nullopt.
std::optional<long long> peak_rss_bytes(pid_t pid);

}  // namespace mucd::bench
