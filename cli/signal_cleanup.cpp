#include "cli/signal_cleanup.hpp"

#include <limits.h>
#include <pthread.h>
#include <unistd.h>
#include <array>
#include <csignal>
#include <cstring>
#include <stdexcept>

namespace ropecheck::cli {
namespace {

struct Entry {
  volatile sig_atomic_t used = 0;
  bool directory = false;
  char path[PATH_MAX] = {};
};

// An audit output set has eight files and one directory; 64 leaves room for every command.
std::array<Entry, 64> table;

void handler(int signal) {
  for (const bool directories : {false, true})
    for (Entry& entry : table)
      if (entry.used && entry.directory == directories)
        directories ? ::rmdir(entry.path) : ::unlink(entry.path);
  std::signal(signal, SIG_DFL);
  ::raise(signal);
}

// Blocks the two signals while the table changes, so the handler never sees half an entry.
class SignalsBlocked {
 public:
  SignalsBlocked() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, &old_);
  }
  ~SignalsBlocked() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }

 private:
  sigset_t old_;
};

}  // namespace

void remove_on_signal(const std::string& path, bool directory) {
  if (path.size() >= PATH_MAX) throw std::length_error("temporary path too long: " + path);
  const SignalsBlocked blocked;
  static const bool installed = [] {
    struct sigaction action {};
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);
    return true;
  }();
  (void)installed;
  for (Entry& entry : table) {
    if (entry.used) continue;
    std::memcpy(entry.path, path.c_str(), path.size() + 1);
    entry.directory = directory;
    entry.used = 1;
    return;
  }
  throw std::length_error("too many temporary files to track");
}

void keep_on_signal(const std::string& path) {
  const SignalsBlocked blocked;
  for (Entry& entry : table)
    if (entry.used && path == entry.path) entry.used = 0;
}

}  // namespace ropecheck::cli
