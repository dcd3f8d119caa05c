#pragma once

#include <condition_variable>
#include <mutex>

namespace cxagent {

//! A gate that threads wait at until it is opened, once for good: a background writer started
//! early but held back while the analysis's own threads use every core.
class Gate {
 public:
  //! A gate open from the start (Wait returns at once) or closed until Open.
  explicit Gate(bool open = true) : open_(open) {}

  //! Opens the gate for every waiting and later thread; opening it again does nothing.
  void Open() {
    {
      const std::lock_guard lock(mutex_);
      open_ = true;
    }
    opened_.notify_all();
  }

  //! Returns once the gate is open.
  void Wait() {
    std::unique_lock lock(mutex_);
    opened_.wait(lock, [this] { return open_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable opened_;
  bool open_;
};

}  // namespace cxagent
