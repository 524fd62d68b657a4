// Runs a subject and the reference side by side on one test case, and gives the derived bound
// of every output channel (properties/error_model.hpp).
#pragma once

#include <memory>
#include <vector>

#include "properties/pair_bound.hpp"
#include "properties/subject.hpp"
#include "properties/test_case.hpp"
#include "reference/reference.hpp"

namespace ropecheck::properties {

class Harness {
 public:
  // Prepares the subject and the reference for `config` at the case's sequence length.
  Harness(const Subject& subject, const TestCase& test_case);
  Harness(const Subject& subject, const TestCase& test_case, const RopeConfig& config);

  const RopeConfig& config() const { return config_; }
  double attention() const { return attention_; }
  std::int64_t seq_len() const { return seq_len_; }
  // Positions outside the claimed pipeline's domain are folded into it (f16 positions).
  std::int64_t in_domain(std::int64_t position) const;

  // The subject's output (head_dim values).
  std::vector<double> rotate(std::int64_t position, const std::vector<double>& x) const;
  // The exact output, correctly rounded to f64.
  std::vector<double> exact(std::int64_t position, const std::vector<double>& x) const;
  // Per channel: the bound on |rotate - exact| (0 for pass-through channels).
  std::vector<double> bounds(std::int64_t position, const std::vector<double>& x) const;
  // Exact theta_i (correctly rounded to double).
  double theta(int pair) const { return reference_.theta(pair); }
  // The exact score of the rotary channels, g(q, k, m - n) = <R_m q, R_n k> over channels < d,
  // rounded to double (pass-through channels are left out so they cannot swamp it).
  double exact_score(std::vector<double> q, std::vector<double> k, std::int64_t m,
                     std::int64_t n) const {
    for (std::size_t j = static_cast<std::size_t>(config_.rotary_dim); j < q.size(); ++j)
      q[j] = k[j] = 0;
    return reference_.exact_score(q, k, m, n);
  }

 private:
  RopeConfig config_;
  std::int64_t seq_len_;
  std::unique_ptr<PreparedRope> prepared_;
  reference::Reference reference_;
  double attention_;
  std::int64_t domain_;
  PairBounds pair_bounds_;
};

}  // namespace ropecheck::properties
