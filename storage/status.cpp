#include "storage/status.hpp"

namespace mucd::storage {

const std::string& Status::message() const {
  static const std::string kEmpty;
  return message_ ? *message_ : kEmpty;
}

std::string Status::to_string() const {
  const char* name = "OK";
  switch (code_) {
    case Code::Ok:
      return name;
    case Code::NotFound:
      name = "Not found";
      break;
    case Code::Corruption:
      name = "Corruption";
      break;
    case Code::IoError:
      name = "IO error";
      break;
    case Code::InvalidArgument:
      name = "Invalid argument";
      break;
  }
  return std::string(name) + ": " + message();
}

}  // namespace mucd::storage
