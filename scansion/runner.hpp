// Runs one scansion script against a live XMPP server and reports the outcome.
//
// Steps run in order. `receives` takes the client's stanzas in arrival order, stepping over those
// that do not match until one does or the receive timeout passes. Default mode only lists
// stepped-over and never-consumed stanzas; strict mode fails on them. Nothing here waits longer
// than the receive timeout for one step or the script limit for the whole script.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "scansion/script.hpp"

namespace mucd::scansion {

struct RunOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 5222;
  bool strict = false;
  bool verbose = false;  // libstrophe's debug log on stderr
  std::chrono::milliseconds receive_timeout{5000};
  std::chrono::milliseconds script_timeout{120000};
  // After one client sends, before another client's step: the server needs a moment to route.
  std::chrono::milliseconds cross_client_pause{100};
  // After the last step, for stanzas still in flight, before listing what nobody consumed.
  std::chrono::milliseconds straggler_wait{300};
};

struct ScriptOutcome {
  std::string name;  // the script's file stem
  bool passed = false;
  // `PASS name` or `FAIL name: step N (line L, Client): reason`
  std::string headline;
  // Explanations printed under the headline (without indentation).
  std::vector<std::string> details;
  // Per client, in header order: every stanza it received, normalised (see record.hpp).
  std::vector<std::pair<std::string, std::vector<std::string>>> transcripts;
};

ScriptOutcome run_script(const Script& script, std::string_view name, const RunOptions& options);

// Reads, parses and runs the script at `path`; unreadable and malformed scripts fail with the
// file and line of the problem.
ScriptOutcome run_file(const std::filesystem::path& path, const RunOptions& options);

// Writes `dir/<name>/<Client>.txt` (one normalised stanza per line) and `dir/<name>/result.txt`.
// Returns an error message, empty on success.
std::string write_record(const std::filesystem::path& dir, const ScriptOutcome& outcome);

}  // namespace mucd::scansion
