// The outcome of a storage call: ok, or an error code with a message. Errors are values here;
// no exception crosses the storage interface.
//
// Status is cheap to copy: an ok Status holds no allocation, and an error shares its message.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace mucd::storage {

class Status {
 public:
  enum class Code {
    Ok,
    NotFound,         // the record asked for does not exist
    Corruption,       // stored bytes cannot be understood (bad encoding, unknown version)
    IoError,          // the filesystem or LevelDB failed, or the store is locked
    InvalidArgument,  // the caller passed something the store refuses to key (empty, '\0')
  };

  // A default-constructed Status is ok.
  Status() = default;

  static Status not_found(std::string message) { return {Code::NotFound, std::move(message)}; }
  static Status corruption(std::string message) { return {Code::Corruption, std::move(message)}; }
  static Status io_error(std::string message) { return {Code::IoError, std::move(message)}; }
  static Status invalid_argument(std::string message) {
    return {Code::InvalidArgument, std::move(message)};
  }

  bool ok() const { return code_ == Code::Ok; }
  bool is_not_found() const { return code_ == Code::NotFound; }
  bool is_corruption() const { return code_ == Code::Corruption; }
  bool is_io_error() const { return code_ == Code::IoError; }
  bool is_invalid_argument() const { return code_ == Code::InvalidArgument; }

  Code code() const { return code_; }
  // Empty for an ok Status.
  const std::string& message() const;
  // "OK", or the code's name and the message: "IO error: cannot create /var/lib/mucd: ...".
  std::string to_string() const;

 private:
  Status(Code code, std::string message)
      : code_(code), message_(std::make_shared<const std::string>(std::move(message))) {}

  Code code_ = Code::Ok;
  std::shared_ptr<const std::string> message_;
};

// A value or the error that prevented it (std::expected is C++23; we build with C++20).
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}
  // `error` must not be ok: a Result without a value always carries the reason.
  Result(Status error) : status_(std::move(error)) {
    if (status_.ok()) status_ = Status::invalid_argument("Result built from an ok Status");
  }

  bool ok() const { return value_.has_value(); }
  // Ok when there is a value.
  const Status& status() const { return status_; }

  // Only when ok().
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace mucd::storage
