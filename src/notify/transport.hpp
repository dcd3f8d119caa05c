#pragma once

#include <memory>
#include <string>

#include "notify/config.hpp"

namespace cxagent::notify {

//! How one attempt to deliver a message ended.
struct PostResult {
  int status = 0;     //!< the HTTP status; 0 when no answer came
  std::string error;  //!< why it failed (connection, timeout, non-2xx answer); empty on success

  //! True when the channel accepted the message (2xx).
  bool Ok() const { return error.empty() && status >= 200 && status < 300; }
};

//! Sends one message to a channel; the seam between the outbox and the network (tests replace
//! it). Implementations are called from several threads at once.
class Transport {
 public:
  virtual ~Transport() = default;
  //! POSTs `body` (JSON) to the channel's URL with its headers; `event_id` goes into the
  //! `X-Cxagent-Event-Id` header so a receiver can drop a repeat. Never throws.
  virtual PostResult Post(const ChannelConfig& channel, const std::string& body,
                          const std::string& event_id) const = 0;
};

//! The real transport: cpp-httplib's client over http or https (OpenSSL, the system's CA
//! certificates, the server certificate verified), a fresh connection per attempt.
std::shared_ptr<const Transport> MakeHttpTransport();

}  // namespace cxagent::notify
