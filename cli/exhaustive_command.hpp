// `ropecheck audit --exhaustive`: every position of a range and every pair, reported and
// written like the sampled audit (spec/audit.md, "Exhaustive mode").
#pragma once

#include <string>

#include "audit/audit_types.hpp"
#include "audit/exhaustive.hpp"

namespace ropecheck::cli {

// Runs the scan the sampled options describe (positions = the range's two ends), writes the
// report or this shard's file to out_dir; returns the exit code.
int run_exhaustive_audit(const audit::AuditOptions& options, const std::string& out_dir,
                         bool progress);

// Prints the report of a merged or complete exhaustive audit and writes it to out_dir.
void write_exhaustive_report(const audit::ExhaustiveOptions& options,
                             const audit::ExhaustivePart& result, const std::string& out_dir);

}  // namespace ropecheck::cli
