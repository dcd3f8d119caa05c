#pragma once

#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace cxagent::server {

//! A result from OnceCache::Get and whether this call computed it.
template <typename Value>
struct CacheResult {
  std::shared_ptr<const Value> value;  //!< the cached value
  bool computed = false;               //!< true for the one call that ran `compute`
};

//! A thread-safe cache that computes each key once: concurrent first requests for one key wait
//! for the single computation instead of repeating it. A computation that throws is not cached
//! (every waiter gets the exception, the next request tries again).
template <typename Value>
class OnceCache {
 public:
  //! The value for `key`, computing it with `compute` when no call has yet.
  CacheResult<Value> Get(const std::string& key, const std::function<Value()>& compute) {
    std::promise<std::shared_ptr<const Value>> promise;
    std::shared_future<std::shared_ptr<const Value>> future;
    bool owner = false;
    {
      std::lock_guard lock(mutex_);
      auto found = entries_.find(key);
      if (found != entries_.end()) {
        future = found->second;
      } else {
        future = promise.get_future().share();
        entries_.emplace(key, future);
        owner = true;
      }
    }
    // The lock is not held here: other keys stay servable while this one computes.
    if (!owner) return {future.get(), false};
    try {
      promise.set_value(std::make_shared<const Value>(compute()));
    } catch (...) {
      {
        std::lock_guard lock(mutex_);
        entries_.erase(key);
      }
      promise.set_exception(std::current_exception());
      throw;
    }
    return {future.get(), true};
  }

  //! Number of keys cached or being computed.
  size_t Size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::shared_future<std::shared_ptr<const Value>>> entries_;
};

}  // namespace cxagent::server
