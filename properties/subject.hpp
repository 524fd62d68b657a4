// What the property battery checks: a registry implementation, a mutant, or a third-party kernel.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include "core/number_format.hpp"
#include "core/rope_config.hpp"
#include "impl/implementation.hpp"

namespace ropecheck::properties {

// Thrown by a subject's apply/apply_batch when the code under test misbehaves in a way that is a
// finding, not a usage error: a crash, a hang, a write outside its output (kernels/ reports
// these from the child process that runs a plugin).
class KernelFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A RoPE implementation under test.
class Subject {
 public:
  virtual ~Subject() = default;
  virtual std::string name() const = 0;
  // Storage format of inputs and outputs.
  virtual Dtype dtype() const = 0;
  // The pipeline whose derived error bound the subject claims (spec/precision.md): one of
  // the registry's pipeline names, e.g. "f32" for a Hugging Face-style float32 kernel.
  virtual std::string bound_model() const = 0;
  // Whether it can run this configuration (a kernel may lack a layout or a scaling type).
  virtual bool supports(const RopeConfig& config) const = 0;
  // Prepares it for a configuration; throws ConfigError if unsupported.
  virtual std::unique_ptr<PreparedRope> prepare(const RopeConfig& config,
                                                std::int64_t seq_len) const = 0;
};

// A registry implementation as a subject; it claims its own pipeline's bound.
std::unique_ptr<Subject> registry_subject(const Implementation& impl);

}  // namespace ropecheck::properties
