// A short list of recently used entries, most recent first, behind a mutex: what the
// reference's short-lived objects of one configuration share (exact frequency caches, fast
// paths). The property battery builds a reference for every case; these lists let the cases of
// a configuration compute its set-up once. Lookups are linear: the lists are short.
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>

namespace ropecheck::reference {

template <class Entry, std::size_t Capacity>
class RecentlyUsed {
 public:
  // A copy of the first entry `match` accepts, now the most recent; nullopt if there is none.
  template <class Match>
  std::optional<Entry> find(Match match) {
    std::lock_guard lock(mutex_);
    if (!bring_to_front(match)) return std::nullopt;
    return entries_.front();
  }

  // Adds `entry` as the most recent, dropping the least recent past Capacity.
  void add(Entry entry) {
    std::lock_guard lock(mutex_);
    push(std::move(entry));
  }

  // A copy of the first entry `match` accepts, else of make()'s, which is added: one lookup
  // and one insertion under one lock, so that two threads never add the same entry twice.
  template <class Match, class Make>
  Entry find_or_add(Match match, Make make) {
    std::lock_guard lock(mutex_);
    if (!bring_to_front(match)) push(make());
    return entries_.front();
  }

 private:
  template <class Match>
  bool bring_to_front(Match& match) {
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (!match(*it)) continue;
      Entry entry = std::move(*it);
      entries_.erase(it);
      entries_.push_front(std::move(entry));
      return true;
    }
    return false;
  }
  void push(Entry entry) {
    entries_.push_front(std::move(entry));
    if (entries_.size() > Capacity) entries_.pop_back();
  }

  std::mutex mutex_;
  std::deque<Entry> entries_;
};

}  // namespace ropecheck::reference
