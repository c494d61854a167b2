#include "component/status_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace mucd::component {
namespace {

class StatusFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/mucd-status-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    path_ = dir_ + "/status";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string content() const {
    std::ifstream in(path_, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  std::string dir_;
  std::string path_;
};

TEST_F(StatusFileTest, EachStatusIsOneWordAndALine) {
  EXPECT_EQ(write_status_file(path_, LinkStatus::Disconnected), "");
  EXPECT_EQ(content(), "disconnected\n");
  EXPECT_EQ(write_status_file(path_, LinkStatus::Connected), "");
  EXPECT_EQ(content(), "connected\n");
  EXPECT_EQ(write_status_file(path_, LinkStatus::Stopped), "");
  EXPECT_EQ(content(), "stopped\n");
  EXPECT_FALSE(std::filesystem::exists(path_ + ".tmp")) << "the temporary file was renamed";
}

TEST_F(StatusFileTest, HealthyOnlyWhenConnected) {
  ASSERT_EQ(write_status_file(path_, LinkStatus::Connected), "");
  Health health = read_health(path_);
  EXPECT_TRUE(health.connected);
  EXPECT_EQ(health.message, "connected");

  ASSERT_EQ(write_status_file(path_, LinkStatus::Disconnected), "");
  health = read_health(path_);
  EXPECT_FALSE(health.connected);
  EXPECT_EQ(health.message, "disconnected");

  ASSERT_EQ(write_status_file(path_, LinkStatus::Stopped), "");
  EXPECT_FALSE(read_health(path_).connected);
}

TEST_F(StatusFileTest, MissingFileIsUnhealthyAndSaysWhy) {
  Health health = read_health(path_);
  EXPECT_FALSE(health.connected);
  EXPECT_NE(health.message.find(path_), std::string::npos) << health.message;
  EXPECT_NE(health.message.find("--status-file"), std::string::npos) << health.message;
}

TEST_F(StatusFileTest, OtherContentIsUnhealthy) {
  std::ofstream(path_) << "connected but not really\n";
  Health health = read_health(path_);
  EXPECT_FALSE(health.connected);
  EXPECT_NE(health.message.find("does not hold a mucd status"), std::string::npos)
      << health.message;
}

TEST_F(StatusFileTest, UnwritableDirectoryIsReportedNotThrown) {
  std::string problem = write_status_file(dir_ + "/no/such/dir/status", LinkStatus::Connected);
  EXPECT_NE(problem.find("cannot write status file"), std::string::npos) << problem;
  EXPECT_NE(problem.find("No such file or directory"), std::string::npos) << problem;
}

}  // namespace
}  // namespace mucd::component
