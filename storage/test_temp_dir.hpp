// For tests: a fresh directory under /tmp, removed with everything in it when the object dies.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace mucd::storage {

class TestTempDir {
 public:
  TestTempDir() {
    std::string name = "/tmp/mucd-storage-test-XXXXXX";
    if (::mkdtemp(name.data()) != nullptr) {
      path_ = name;
    } else {
      ADD_FAILURE() << "mkdtemp failed";
    }
  }
  ~TestTempDir() {
    if (path_.empty()) return;
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TestTempDir(const TestTempDir&) = delete;
  TestTempDir& operator=(const TestTempDir&) = delete;

  const std::string& path() const { return path_; }
  // A path inside the directory (not created).
  std::string sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace mucd::storage
