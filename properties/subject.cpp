#include "properties/subject.hpp"

namespace ropecheck::properties {
namespace {

class RegistrySubject final : public Subject {
 public:
  explicit RegistrySubject(const Implementation& impl) : impl_(impl) {}
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
