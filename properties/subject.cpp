#include "properties/subject.hpp"

#include <stdexcept>

namespace ropecheck::properties {
namespace {

class RegistrySubject final : public Subject {
 public:
  // The bound it claims is looked up by name (properties/error_model.hpp): the name must lead
  // back to this very description, so a pipeline cannot claim another's bound, or none.
  explicit RegistrySubject(const Implementation& impl) : impl_(impl) {
    if (&find_pipeline(impl.pipeline->name) != impl.pipeline)
      throw std::logic_error("pipeline " + std::string(impl.pipeline->name) +
                             " is not the registered description of that name");
  }
  std::string name() const override { return impl_.name(); }
  Dtype dtype() const override { return impl_.dtype(); }
  std::string bound_model() const override { return std::string(impl_.pipeline->name); }
  bool supports(const RopeConfig&) const override { return true; }
  std::unique_ptr<PreparedRope> prepare(const RopeConfig& config,
                                        std::int64_t seq_len) const override {
    return impl_.prepare(config, seq_len);
  }

 private:
  const Implementation& impl_;
};

}  // namespace

std::unique_ptr<Subject> registry_subject(const Implementation& impl) {
  return std::make_unique<RegistrySubject>(impl);
}

}  // namespace ropecheck::properties
