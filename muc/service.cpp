#include "muc/service.hpp"

namespace mucd::muc {
Service::Service(ServiceConfig config, const Clock& clock) : config_(std::move(config)), clock_(clock) {}
Service::~Service() = default;
void Service::handle(const Stanza&, Outbox&) {}
}  // namespace mucd::muc
