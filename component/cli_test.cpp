#include "component/cli.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace mucd::component {
namespace {

// argv as main gets it: mutable strings, argv[0] the program name.
class Argv {
 public:
  Argv(std::initializer_list<std::string> args) {
    storage_.push_back("mucd");
    storage_.insert(storage_.end(), args.begin(), args.end());
    for (auto& s : storage_) pointers_.push_back(s.data());
    pointers_.push_back(nullptr);
  }
  int argc() const { return static_cast<int>(storage_.size()); }
  char** argv() { return pointers_.data(); }
  // The argument as it reads now (after any blanking).
  std::string at(size_t i) const { return std::string(storage_[i].c_str()); }

 private:
  std::vector<std::string> storage_;
  std::vector<char*> pointers_;
};

using Env = std::map<std::string, std::string>;

EnvLookup lookup(const Env& env) {
  return [env](const char* name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
}

#define EXPECT_CONTAINS(haystack, needle)                          \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) \
      << "'" << (haystack) << "' does not contain '" << (needle) << "'"

// A temporary directory with a secret file in it.
class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/mucd-cli-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    secret_file_ = write_file("secret", "s3cret\n");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write_file(const std::string& name, const std::string& content, mode_t mode = 0600) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    chmod(path.c_str(), mode);
    return path;
  }

  // A two-word option whose `field` is true by default: `no` clears it, from the command line or
  // from `variable` (the command line winning over it); `bad` is refused, naming the option.
  void expect_switch(const std::string& option, const std::string& variable, const std::string& yes,
                     const std::string& no, const std::string& bad, bool Options::*field) {
    EXPECT_TRUE(options({"--domain", "muc.example.org", "--secret-file", secret_file_}).*field);
    EXPECT_FALSE(
        options({"--domain", "muc.example.org", "--secret-file", secret_file_, option, no}).*field);
    Env env{{variable, no}};
    EXPECT_FALSE(options({"--domain", "muc.example.org", "--secret-file", secret_file_}, env).*
                 field);
    EXPECT_TRUE(
        options({"--domain", "muc.example.org", "--secret-file", secret_file_, option + "=" + yes},
                env).*
        field);
    EXPECT_CONTAINS(
        error({"--domain", "muc.example.org", "--secret-file", secret_file_, option, bad}),
        option + " '" + bad + "': expected " + yes + " or " + no);
    EXPECT_CONTAINS(help_text(), variable);
  }

  CliOutcome parse(Argv args, const Env& env = {}) {
    return parse_command_line(args.argc(), args.argv(), lookup(env));
  }

  Options options(Argv args, const Env& env = {}) {
    auto outcome = parse(std::move(args), env);
    if (auto* error = std::get_if<UsageError>(&outcome)) {
      ADD_FAILURE() << "unexpected usage error: " << error->what;
      return {};
    }
    if (!std::holds_alternative<Options>(outcome)) {
      ADD_FAILURE() << "expected options, got help or version";
      return {};
    }
    return std::get<Options>(std::move(outcome));
  }

  std::string error(Argv args, const Env& env = {}) {
    auto outcome = parse(std::move(args), env);
    if (auto* e = std::get_if<UsageError>(&outcome)) {
      EXPECT_EQ(e->what.find("s3cret"), std::string::npos) << "the secret leaked: " << e->what;
      EXPECT_EQ(e->what.find('\n'), std::string::npos) << "one line only";
      return e->what;
    }
    ADD_FAILURE() << "expected a usage error";
    return {};
  }

  std::string dir_;
  std::string secret_file_;
};

// --- the happy path ---------------------------------------------------------------------------

TEST_F(CliTest, DefaultsWithDomainAndSecretFile) {
  auto o = options({"--domain", "conference.example.org", "--secret-file", secret_file_});
  EXPECT_EQ(o.server.host, "127.0.0.1");
  EXPECT_EQ(o.server.port, 5347);
  EXPECT_EQ(o.server.to_string(), "127.0.0.1:5347");
  EXPECT_EQ(o.domain, "conference.example.org");
  EXPECT_EQ(o.secret, "s3cret") << "trailing newline stripped";
  EXPECT_EQ(o.data_dir, "./mucd-data");
  EXPECT_TRUE(o.admins.empty());
  EXPECT_EQ(o.log_level, log::Level::Info);
  EXPECT_TRUE(o.warnings.empty());
}

TEST_F(CliTest, EveryOptionInBothForms) {
  auto spaced = options({"--server", "xmpp.example.org:5348", "--domain", "muc.example.org",
                         "--secret-file", secret_file_, "--data-dir", "/var/lib/mucd", "--admin",
                         "alice@example.org", "--log-level", "debug"});
  auto joined = options({"--server=xmpp.example.org:5348", "--domain=muc.example.org",
                         "--secret-file=" + secret_file_, "--data-dir=/var/lib/mucd",
                         "--admin=alice@example.org", "--log-level=debug"});
  for (const auto& o : {spaced, joined}) {
    EXPECT_EQ(o.server.host, "xmpp.example.org");
    EXPECT_EQ(o.server.port, 5348);
    EXPECT_EQ(o.domain, "muc.example.org");
    EXPECT_EQ(o.secret, "s3cret");
    EXPECT_EQ(o.data_dir, "/var/lib/mucd");
    EXPECT_EQ(o.admins, std::vector<std::string>{"alice@example.org"});
    EXPECT_EQ(o.log_level, log::Level::Debug);
  }
}

TEST_F(CliTest, DomainIsPrepared) {
  auto o = options({"--domain", "Conference.Example.ORG.", "--secret-file", secret_file_});
  EXPECT_EQ(o.domain, "conference.example.org");
}

TEST_F(CliTest, LogLevels) {
  for (auto [name, level] : {std::pair{"error", log::Level::Error},
                             {"warn", log::Level::Warn},
                             {"info", log::Level::Info},
                             {"debug", log::Level::Debug}}) {
    auto o = options(
        {"--domain", "muc.example.org", "--secret-file", secret_file_, "--log-level", name});
    EXPECT_EQ(o.log_level, level) << name;
  }
}

TEST_F(CliTest, RateLimit) {
  auto defaults = options({"--domain", "muc.example.org", "--secret-file", secret_file_});
  EXPECT_EQ(defaults.rate_limit.per_second, 20);
  EXPECT_EQ(defaults.rate_limit.burst, 200);
  auto both = options(
      {"--domain", "muc.example.org", "--secret-file", secret_file_, "--rate-limit", "2.5/40"});
  EXPECT_EQ(both.rate_limit.per_second, 2.5);
  EXPECT_EQ(both.rate_limit.burst, 40);
  auto off = options({"--domain", "muc.example.org", "--secret-file", secret_file_},
                     {{"MUCD_RATE_LIMIT", "0"}});
  EXPECT_EQ(off.rate_limit.per_second, 0);
  EXPECT_EQ(off.rate_limit.burst, 200) << "the burst keeps its default";
  for (const char* bad : {"fast", "-1", "5/0", "5/", "/5", "1e99", "5/x"}) {
    EXPECT_CONTAINS(
        error({"--domain", "muc.example.org", "--secret-file", secret_file_, "--rate-limit", bad}),
        "--rate-limit");
  }
  EXPECT_CONTAINS(error({"--domain", "muc.example.org", "--secret-file", secret_file_},
                        {{"MUCD_RATE_LIMIT", "lots"}}),
                  "MUCD_RATE_LIMIT");
}

// --- the server address -----------------------------------------------------------------------

TEST_F(CliTest, ServerAddressForms) {
  struct Case {
    const char* text;
    const char* host;
    int port;
    const char* shown;
  };
  for (auto c :
       {Case{"localhost", "localhost", 5347, "localhost:5347"},
        Case{"10.0.0.2:15347", "10.0.0.2", 15347, "10.0.0.2:15347"},
        Case{"[::1]:5347", "::1", 5347, "[::1]:5347"}, Case{"[::1]", "::1", 5347, "[::1]:5347"},
        Case{"[2001:db8::7]:1", "2001:db8::7", 1, "[2001:db8::7]:1"},
        Case{"::1", "::1", 5347, "[::1]:5347"}, Case{"host:65535", "host", 65535, "host:65535"}}) {
    auto o =
        options({"--domain", "muc.example.org", "--secret-file", secret_file_, "--server", c.text});
    EXPECT_EQ(o.server.host, c.host) << c.text;
    EXPECT_EQ(o.server.port, c.port) << c.text;
    EXPECT_EQ(o.server.to_string(), c.shown) << c.text;
  }
}

TEST_F(CliTest, BadServerPort) {
  for (const char* text : {"host:0", "host:65536", "host:http", "host:", "host:-1", "host:+5",
                           "[::1]:99999", "host:123456"}) {
    auto what =
        error({"--domain", "muc.example.org", "--secret-file", secret_file_, "--server", text});
    EXPECT_CONTAINS(what, "--server");
    EXPECT_CONTAINS(what, "port");
  }
}

TEST_F(CliTest, BadServerAddress) {
  for (const char* text : {":5347", "[::1", "[::1]5347", "[localhost]:5347", "a b:5347", "[]"}) {
    auto what =
        error({"--domain", "muc.example.org", "--secret-file", secret_file_, "--server", text});
    EXPECT_CONTAINS(what, "--server");
    EXPECT_CONTAINS(what, text);
  }
}

// --- the domain -------------------------------------------------------------------------------

TEST_F(CliTest, MissingDomain) {
  auto what = error({"--secret-file", secret_file_});
  EXPECT_CONTAINS(what, "missing --domain");
}

TEST_F(CliTest, BadDomain) {
  for (const char* text :
       {"room@conference.example.org", "conference.example.org/res", "conference..example.org",
        "bad domain.org", "under_score.org", ".example.org", "a$b.org"}) {
    auto what = error({"--domain", text, "--secret-file", secret_file_});
    EXPECT_CONTAINS(what, "not a valid component domain");
    EXPECT_CONTAINS(what, text);
  }
}

// --- the secret -------------------------------------------------------------------------------

TEST_F(CliTest, NoSecret) {
  auto what = error({"--domain", "muc.example.org"});
  EXPECT_CONTAINS(what, "no secret");
  EXPECT_CONTAINS(what, "--secret-file");
  EXPECT_CONTAINS(what, "MUCD_SECRET");
}

TEST_F(CliTest, TwoSecretSources) {
  EXPECT_CONTAINS(
      error({"--domain", "muc.example.org", "--secret", "s3cret", "--secret-file", secret_file_}),
      "--secret and --secret-file");
  EXPECT_CONTAINS(
      error({"--domain", "muc.example.org", "--secret", "s3cret"}, {{"MUCD_SECRET", "s3cret"}}),
      "--secret and MUCD_SECRET");
  EXPECT_CONTAINS(error({"--domain", "muc.example.org", "--secret-file", secret_file_},
                        {{"MUCD_SECRET", "s3cret"}}),
                  "--secret-file and MUCD_SECRET");
}

TEST_F(CliTest, SecretTwice) {
  EXPECT_CONTAINS(
      error({"--domain", "muc.example.org", "--secret", "s3cret", "--secret", "s3cret"}),
      "--secret is given twice");
}

TEST_F(CliTest, SecretFromEnvironment) {
  auto o = options({"--domain", "muc.example.org"}, {{"MUCD_SECRET", "from env"}});
  EXPECT_EQ(o.secret, "from env");
  EXPECT_TRUE(o.warnings.empty());
}

TEST_F(CliTest, EmptyEnvironmentSecretCountsAsUnset) {
  auto o = options({"--domain", "muc.example.org", "--secret-file", secret_file_},
                   {{"MUCD_SECRET", ""}});
  EXPECT_EQ(o.secret, "s3cret");
}

TEST_F(CliTest, SecretOnCommandLineWarnsAndIsBlankedInArgv) {
  Argv args{"--domain", "muc.example.org", "--secret", "s3cret"};
  auto outcome = parse_command_line(args.argc(), args.argv(), lookup({}));
  ASSERT_TRUE(std::holds_alternative<Options>(outcome));
  const auto& o = std::get<Options>(outcome);
  EXPECT_EQ(o.secret, "s3cret");
  ASSERT_EQ(o.warnings.size(), 1u);
  EXPECT_CONTAINS(o.warnings[0], "visible");
  EXPECT_EQ(o.warnings[0].find("s3cret"), std::string::npos);
  EXPECT_EQ(args.at(4), "xxxxxx");
  EXPECT_EQ(args.at(3), "--secret");
  EXPECT_EQ(args.at(2), "muc.example.org") << "only the secret is blanked";
}

TEST_F(CliTest, SecretInEqualsFormIsBlankedAfterTheEquals) {
  Argv args{"--secret=s3cret", "--domain=muc.example.org"};
  auto outcome = parse_command_line(args.argc(), args.argv(), lookup({}));
  ASSERT_TRUE(std::holds_alternative<Options>(outcome));
  EXPECT_EQ(std::get<Options>(outcome).secret, "s3cret");
  EXPECT_EQ(args.at(1), "--secret=xxxxxx");
}

TEST_F(CliTest, SecretIsBlankedEvenWhenParsingFailsLater) {
  Argv args{"--secret", "s3cret", "--bogus"};
  auto outcome = parse_command_line(args.argc(), args.argv(), lookup({}));
  EXPECT_TRUE(std::holds_alternative<UsageError>(outcome));
  EXPECT_EQ(args.at(2), "xxxxxx");
}

TEST_F(CliTest, SecretIsNeverEchoed) {
  // An unquoted secret with a space leaves its second word as a stray argument.
  auto what = error({"--domain", "muc.example.org", "--secret", "half", "s3cret"});
  EXPECT_CONTAINS(what, "unexpected argument");
  EXPECT_EQ(what.find("half"), std::string::npos);
  // An option-looking typo with the secret as its value.
  what = error({"--domain", "muc.example.org", "--secert=s3cret"});
  EXPECT_CONTAINS(what, "unknown option '--secert'");
}

TEST_F(CliTest, EmptySecretOption) {
  EXPECT_CONTAINS(error({"--domain", "muc.example.org", "--secret="}), "--secret needs a value");
}

TEST_F(CliTest, SecretFileTrailingNewlinesStripped) {
  auto crlf = write_file("crlf", "s3cret\r\n");
  EXPECT_EQ(options({"--domain", "muc.example.org", "--secret-file", crlf}).secret, "s3cret");
  auto bare = write_file("bare", "s3cret");
  EXPECT_EQ(options({"--domain", "muc.example.org", "--secret-file", bare}).secret, "s3cret");
  auto inner = write_file("inner", "s3 cr\tet \n");
  EXPECT_EQ(options({"--domain", "muc.example.org", "--secret-file", inner}).secret, "s3 cr\tet ")
      << "only the newline goes";
}

TEST_F(CliTest, UnreadableSecretFile) {
  auto missing = dir_ + "/no-such-file";
  auto what = error({"--domain", "muc.example.org", "--secret-file", missing});
  EXPECT_CONTAINS(what, "cannot read secret file '" + missing + "'");
  EXPECT_CONTAINS(what, "No such file");

  // A directory opens but cannot be read.
  what = error({"--domain", "muc.example.org", "--secret-file", dir_});
  EXPECT_CONTAINS(what, "cannot read secret file '" + dir_ + "'");
}

TEST_F(CliTest, EmptySecretFile) {
  for (const char* content : {"", "\n", "\r\n\n"}) {
    auto path = write_file("empty", content);
    auto what = error({"--domain", "muc.example.org", "--secret-file", path});
    EXPECT_CONTAINS(what, "secret file '" + path + "' is empty");
  }
}

TEST_F(CliTest, SecretFileWithNulByte) {
  auto path = write_file("nul", std::string("s3\0cret", 7));
  EXPECT_CONTAINS(error({"--domain", "muc.example.org", "--secret-file", path}), "NUL");
}

TEST_F(CliTest, HugeSecretFileIsRefusedWithoutShowingIt) {
  auto path = write_file("huge", std::string(100 * 1024, 'k'));
  auto what = error({"--domain", "muc.example.org", "--secret-file", path});
  EXPECT_CONTAINS(what, "larger than");
  EXPECT_EQ(what.find("kkkk"), std::string::npos);
}

TEST_F(CliTest, WorldReadableSecretFileWarns) {
  auto path = write_file("open", "s3cret\n", 0644);
  auto o = options({"--domain", "muc.example.org", "--secret-file", path});
  ASSERT_EQ(o.warnings.size(), 1u);
  EXPECT_CONTAINS(o.warnings[0], "readable by every local user");
}

// --- admins -----------------------------------------------------------------------------------

TEST_F(CliTest, AdminsRepeatablePreparedAndDeduplicated) {
  auto o =
      options({"--domain", "muc.example.org", "--secret-file", secret_file_, "--admin",
               "Alice@Example.org", "--admin=bob@example.org", "--admin", "alice@example.org"});
  EXPECT_EQ(o.admins, (std::vector<std::string>{"alice@example.org", "bob@example.org"}));
}

TEST_F(CliTest, BadAdmin) {
  for (const char* text : {"alice@example.org/phone", "example.org", "@example.org", "alice@",
                           "al ice@exa mple.org"}) {
    auto what =
        error({"--domain", "muc.example.org", "--secret-file", secret_file_, "--admin", text});
    EXPECT_CONTAINS(what, "--admin '" + std::string(text) + "' is not a bare JID");
  }
}

TEST_F(CliTest, AdminsFromEnvironmentCommaSeparated) {
  auto o = options({"--domain", "muc.example.org", "--secret-file", secret_file_},
                   {{"MUCD_ADMINS", " alice@example.org, bob@example.org ,,"}});
  EXPECT_EQ(o.admins, (std::vector<std::string>{"alice@example.org", "bob@example.org"}));
}

TEST_F(CliTest, CommandLineAdminsReplaceEnvironmentAdmins) {
  auto o = options({"--domain", "muc.example.org", "--secret-file", secret_file_, "--admin",
                    "carol@example.org"},
                   {{"MUCD_ADMINS", "alice@example.org"}});
  EXPECT_EQ(o.admins, std::vector<std::string>{"carol@example.org"});
}

TEST_F(CliTest, BadAdminFromEnvironmentNamesTheVariable) {
  EXPECT_CONTAINS(error({"--domain", "muc.example.org", "--secret-file", secret_file_},
                        {{"MUCD_ADMINS", "alice@example.org,nobody"}}),
                  "MUCD_ADMINS 'nobody' is not a bare JID");
}

// --- environment defaults ---------------------------------------------------------------------

TEST_F(CliTest, EnvironmentDefaults) {
  auto o = options({}, {{"MUCD_SERVER", "[::1]:6000"},
                        {"MUCD_DOMAIN", "rooms.example.net"},
                        {"MUCD_SECRET", "env-secret"},
                        {"MUCD_DATA_DIR", "/data"},
                        {"MUCD_LOG_LEVEL", "warn"}});
  EXPECT_EQ(o.server.to_string(), "[::1]:6000");
  EXPECT_EQ(o.domain, "rooms.example.net");
  EXPECT_EQ(o.secret, "env-secret");
  EXPECT_EQ(o.data_dir, "/data");
  EXPECT_EQ(o.log_level, log::Level::Warn);
}

TEST_F(CliTest, CommandLineWinsOverEnvironment) {
  auto o = options({"--server", "other:1", "--domain", "muc.example.org", "--secret-file",
                    secret_file_, "--data-dir", "here", "--log-level", "error"},
                   {{"MUCD_SERVER", "[::1]:6000"},
                    {"MUCD_DOMAIN", "rooms.example.net"},
                    {"MUCD_DATA_DIR", "/data"},
                    {"MUCD_LOG_LEVEL", "nonsense"}});
  EXPECT_EQ(o.server.to_string(), "other:1");
  EXPECT_EQ(o.domain, "muc.example.org");
  EXPECT_EQ(o.data_dir, "here");
  EXPECT_EQ(o.log_level, log::Level::Error) << "a bad MUCD_LOG_LEVEL is not even looked at";
}

TEST_F(CliTest, EmptyEnvironmentValuesCountAsUnset) {
  auto o =
      options({"--secret-file", secret_file_},
              {{"MUCD_DOMAIN", "muc.example.org"}, {"MUCD_SERVER", ""}, {"MUCD_DATA_DIR", ""}});
  EXPECT_EQ(o.server.to_string(), "127.0.0.1:5347");
  EXPECT_EQ(o.data_dir, "./mucd-data");
}

TEST_F(CliTest, BadEnvironmentValuesNameTheVariable) {
  EXPECT_CONTAINS(error({"--secret-file", secret_file_},
                        {{"MUCD_DOMAIN", "muc.example.org"}, {"MUCD_SERVER", "host:0"}}),
                  "MUCD_SERVER 'host:0'");
  EXPECT_CONTAINS(error({"--secret-file", secret_file_}, {{"MUCD_DOMAIN", "not a domain"}}),
                  "MUCD_DOMAIN 'not a domain'");
  EXPECT_CONTAINS(error({"--domain", "muc.example.org", "--secret-file", secret_file_},
                        {{"MUCD_LOG_LEVEL", "loud"}}),
                  "MUCD_LOG_LEVEL 'loud' is not a log level");
}

// --- malformed command lines ------------------------------------------------------------------

TEST_F(CliTest, UnknownOption) {
  EXPECT_EQ(error({"--domain", "muc.example.org", "--frobnicate"}),
            "unknown option '--frobnicate'");
  EXPECT_EQ(error({"--frobnicate=3"}), "unknown option '--frobnicate'");
  EXPECT_EQ(error({"-x"}), "unknown option '-x'");
  EXPECT_EQ(error({"--"}), "unknown option '--'");
}

TEST_F(CliTest, UnexpectedArgument) {
  EXPECT_CONTAINS(error({"--domain", "muc.example.org", "stray"}), "unexpected argument 'stray'");
}

TEST_F(CliTest, MissingValue) {
  EXPECT_EQ(error({"--secret-file", secret_file_, "--domain"}), "--domain needs a value");
  EXPECT_EQ(error({"--domain", "--secret-file", secret_file_}), "--domain needs a value")
      << "the next option is not taken as the value";
  EXPECT_EQ(error({"--domain="}), "--domain needs a value");
  for (const char* option :
       {"--server", "--secret", "--secret-file", "--data-dir", "--admin", "--log-level"}) {
    EXPECT_EQ(error({option}), std::string(option) + " needs a value");
  }
}

TEST_F(CliTest, OptionGivenTwice) {
  EXPECT_EQ(error({"--domain", "a.example.org", "--domain=b.example.org"}),
            "--domain is given twice");
}

TEST_F(CliTest, BadLogLevel) {
  auto what = error(
      {"--domain", "muc.example.org", "--secret-file", secret_file_, "--log-level", "verbose"});
  EXPECT_EQ(what, "--log-level 'verbose' is not a log level: use error, warn, info or debug");
}

TEST_F(CliTest, UsageErrorLine) {
  EXPECT_EQ(usage_error_line(UsageError{"unknown option '--x'"}),
            "mucd: unknown option '--x' (see mucd --help)\n");
}

// --- operator tools ---------------------------------------------------------------------------

TEST_F(CliTest, ToolsNeedOnlyTheDataDirectory) {
  auto list = parse({"--list-rooms", "--data-dir", "/var/lib/mucd"});
  ASSERT_TRUE(std::holds_alternative<StoreTool>(list));
  EXPECT_EQ(std::get<StoreTool>(list).kind, StoreTool::Kind::ListRooms);
  EXPECT_EQ(std::get<StoreTool>(list).data_dir, "/var/lib/mucd");

  auto exported = parse({"--export=rooms.json"}, {{"MUCD_DATA_DIR", "/srv/mucd"}});
  ASSERT_TRUE(std::holds_alternative<StoreTool>(exported));
  EXPECT_EQ(std::get<StoreTool>(exported).kind, StoreTool::Kind::Export);
  EXPECT_EQ(std::get<StoreTool>(exported).file, "rooms.json");
  EXPECT_EQ(std::get<StoreTool>(exported).data_dir, "/srv/mucd");

  auto imported = parse({"--import", "-", "--domain", "muc.example.org"});
  ASSERT_TRUE(std::holds_alternative<StoreTool>(imported));
  EXPECT_EQ(std::get<StoreTool>(imported).kind, StoreTool::Kind::Import);
  EXPECT_EQ(std::get<StoreTool>(imported).file, "-");
  EXPECT_EQ(std::get<StoreTool>(imported).data_dir, "./mucd-data");
}

TEST_F(CliTest, OneToolAtATime) {
  EXPECT_EQ(error({"--list-rooms", "--import", "x.json"}),
            "--list-rooms and --import cannot be used together");
  EXPECT_EQ(error({"--export", "a", "--export", "b"}), "--export is given twice");
  EXPECT_EQ(error({"--list-rooms=yes"}), "--list-rooms takes no value");
  EXPECT_EQ(error({"--export"}), "--export needs a value");
}

// --- help and version -------------------------------------------------------------------------

TEST_F(CliTest, HelpAndVersionNeedNothingElse) {
  EXPECT_TRUE(std::holds_alternative<ShowHelp>(parse({"--help"})));
  EXPECT_TRUE(std::holds_alternative<ShowHelp>(parse({"-h"})));
  EXPECT_TRUE(std::holds_alternative<ShowVersion>(parse({"--version"})));
  EXPECT_TRUE(std::holds_alternative<ShowHelp>(parse({"--domain", "x", "--help", "--bogus"})))
      << "answered as soon as seen";
}

TEST_F(CliTest, HelpAndVersionTakeNoValue) {
  EXPECT_EQ(error({"--help=yes"}), "--help takes no value");
  EXPECT_EQ(error({"--version=2"}), "--version takes no value");
}

TEST_F(CliTest, OptionErrorBeforeHelpIsReported) {
  EXPECT_EQ(error({"--bogus", "--help"}), "unknown option '--bogus'");
}

TEST_F(CliTest, HelpDocumentsEveryOptionDefaultAndVariable) {
  auto text = help_text();
  for (const char* needle : {"--server",
                             "--domain",
                             "--secret ",
                             "--secret-file",
                             "--data-dir",
                             "--admin",
                             "--log-level",
                             "--version",
                             "--help",
                             "127.0.0.1:5347",
                             "./mucd-data",
                             "default info",
                             "[::1]:5347",
                             "MUCD_SERVER",
                             "MUCD_DOMAIN",
                             "MUCD_SECRET",
                             "MUCD_DATA_DIR",
                             "MUCD_LOG_LEVEL",
                             "MUCD_ADMINS",
                             "comma separated",
                             "error, warn, info or debug",
                             "--list-rooms",
                             "--export FILE",
                             "--import FILE",
                             "0600",
                             "--status-file",
                             "--health",
                             "MUCD_STATUS_FILE"}) {
    EXPECT_CONTAINS(text, needle);
  }
}

// --- service policy ------------------------------------------------------------------------

TEST_F(CliTest, PolicyDefaultsLetAnyoneCreateRoomsWithoutLimit) {
  auto o = options({"--domain", "muc.example.org", "--secret-file", secret_file_});
  EXPECT_FALSE(o.room_creator_domains.has_value());
  EXPECT_FALSE(o.max_occupants.has_value());
  auto anyone = options(
      {"--domain", "muc.example.org", "--secret-file", secret_file_, "--create-rooms", "anyone"});
  EXPECT_FALSE(anyone.room_creator_domains.has_value());
}

TEST_F(CliTest, CreateRoomsAdminsOnly) {
  auto o = options(
      {"--domain", "muc.example.org", "--secret-file", secret_file_, "--create-rooms=admins"});
  ASSERT_TRUE(o.room_creator_domains.has_value());
  EXPECT_TRUE(o.room_creator_domains->empty());
}

TEST_F(CliTest, CreateRoomsDomainsPreparedAndDeduplicated) {
  auto o = options({"--domain", "muc.example.org", "--secret-file", secret_file_, "--create-rooms",
                    "Example.ORG, staff.example.org,example.org"});
  ASSERT_TRUE(o.room_creator_domains.has_value());
  EXPECT_EQ(*o.room_creator_domains,
            (std::vector<std::string>{"example.org", "staff.example.org"}));
}

TEST_F(CliTest, BadCreateRooms) {
  EXPECT_CONTAINS(error({"--domain", "muc.example.org", "--secret-file", secret_file_,
                         "--create-rooms", "user@example.org"}),
                  "--create-rooms 'user@example.org'");
  EXPECT_CONTAINS(
      error({"--domain", "muc.example.org", "--secret-file", secret_file_, "--create-rooms", ","}),
      "--create-rooms ','");
  EXPECT_CONTAINS(error({"--domain", "muc.example.org", "--secret-file", secret_file_},
                        {{"MUCD_CREATE_ROOMS", "no body"}}),
                  "MUCD_CREATE_ROOMS 'no body'");
}

TEST_F(CliTest, MaxOccupants) {
  auto o = options(
      {"--domain", "muc.example.org", "--secret-file", secret_file_, "--max-occupants", "50"});
  EXPECT_EQ(o.max_occupants, 50u);
  for (const char* bad : {"0", "-1", "ten", "1e3", "99999999999"}) {
    EXPECT_CONTAINS(error({"--domain", "muc.example.org", "--secret-file", secret_file_,
                           "--max-occupants", bad}),
                    std::string("--max-occupants '") + bad + "'");
  }
}

TEST_F(CliTest, PolicyFromEnvironmentAndCommandLineWins) {
  Env env{{"MUCD_CREATE_ROOMS", "example.org"}, {"MUCD_MAX_OCCUPANTS", "7"}};
  auto from_env = options({"--domain", "muc.example.org", "--secret-file", secret_file_}, env);
  EXPECT_EQ(from_env.room_creator_domains, std::vector<std::string>{"example.org"});
  EXPECT_EQ(from_env.max_occupants, 7u);
  auto from_cli = options({"--domain", "muc.example.org", "--secret-file", secret_file_,
                           "--create-rooms", "anyone", "--max-occupants", "9"},
                          env);
  EXPECT_FALSE(from_cli.room_creator_domains.has_value());
  EXPECT_EQ(from_cli.max_occupants, 9u);
}

TEST_F(CliTest, HelpDocumentsPolicyOptions) {
  auto text = help_text();
  for (const char* needle : {"--create-rooms", "anyone", "admins", "--max-occupants",
                             "MUCD_CREATE_ROOMS", "MUCD_MAX_OCCUPANTS"}) {
    EXPECT_CONTAINS(text, needle);
  }
}

TEST_F(CliTest, HostFanoutIsAutoUnlessTurnedOff) {
  expect_switch("--host-fanout", "MUCD_HOST_FANOUT", "auto", "off", "on", &Options::host_fanout);
}

TEST_F(CliTest, OccupantIdsAreOnUnlessTurnedOff) {
  expect_switch("--occupant-id", "MUCD_OCCUPANT_ID", "on", "off", "no", &Options::occupant_ids);
  EXPECT_CONTAINS(error({"--domain", "muc.example.org", "--secret-file", secret_file_},
                        {{"MUCD_OCCUPANT_ID", "0"}}),
                  "MUCD_OCCUPANT_ID '0': expected on or off");
}

// --- status file and health check ------------------------------------------------------------

TEST_F(CliTest, StatusFileFromOptionOrEnvironment) {
  EXPECT_EQ(options({"--domain", "muc.example.org", "--secret-file", secret_file_}).status_file, "")
      << "no status file unless asked for";
  EXPECT_EQ(options({"--domain", "muc.example.org", "--secret-file", secret_file_, "--status-file",
                     "/run/mucd/status"})
                .status_file,
            "/run/mucd/status");
  EXPECT_EQ(options({"--domain", "muc.example.org", "--secret-file", secret_file_},
                    {{"MUCD_STATUS_FILE", "/tmp/s"}})
                .status_file,
            "/tmp/s");
  EXPECT_EQ(
      options({"--domain", "muc.example.org", "--secret-file", secret_file_, "--status-file=/a"},
              {{"MUCD_STATUS_FILE", "/b"}})
          .status_file,
      "/a")
      << "the command line wins";
}

TEST_F(CliTest, HealthNeedsOnlyTheStatusFile) {
  auto outcome = parse({"--health", "--status-file", "/run/mucd/status"});
  ASSERT_TRUE(std::holds_alternative<CheckHealth>(outcome));
  EXPECT_EQ(std::get<CheckHealth>(outcome).status_file, "/run/mucd/status");

  outcome = parse({"--health"}, {{"MUCD_STATUS_FILE", "/tmp/s"}, {"MUCD_DOMAIN", "not a domain"}});
  ASSERT_TRUE(std::holds_alternative<CheckHealth>(outcome))
      << "the rest of the environment is not looked at";
  EXPECT_EQ(std::get<CheckHealth>(outcome).status_file, "/tmp/s");
}

TEST_F(CliTest, HealthWithoutStatusFileIsAUsageError) {
  EXPECT_CONTAINS(error({"--health"}), "--status-file");
  EXPECT_EQ(error({"--health=1", "--status-file", "/x"}), "--health takes no value");
}

TEST_F(CliTest, VersionText) {
  EXPECT_EQ(version_text(), std::string("mucd ") + MUCD_VERSION + "\n");
}

}  // namespace
}  // namespace mucd::component
