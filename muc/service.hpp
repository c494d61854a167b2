#pragma once
#include "core/clock.hpp"
#include "core/handler.hpp"
#include "core/jid.hpp"

#include <string>
#include <vector>

namespace mucd::muc {

struct ServiceConfig {
  std::string domain;
  std::vector<std::string> admins;  // bare JIDs
};

class Service final : public StanzaHandler {
 public:
  Service(ServiceConfig config, const Clock& clock);
  ~Service() override;
  void handle(const Stanza& stanza, Outbox& out) override;

 private:
  ServiceConfig config_;
  const Clock& clock_;
};

}  // namespace mucd::muc
