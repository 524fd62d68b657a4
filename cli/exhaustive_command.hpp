// `ropecheck audit --exhaustive`: every position of a range and every pair, reported and
// written like the sampled audit (spec/audit.md, "Exhaustive mode").
#pragma once

#include <string>

#include "audit/audit_types.hpp"
#include "audit/exhaustive.hpp"

namespace ropecheck::cli {

// A plugin library's kernels to scan instead of registry implementations.
struct ExhaustiveKernel {
  std::string library;      // LIB.so; empty: the registry's implementations
  std::string kernel_name;  // only this kernel of the library (empty: all)
  std::string dtype;        // only this format of each kernel (empty: all)
};

// Runs the scan the sampled options describe (positions = the range's two ends), writes the
// report or this shard's file to out_dir; returns the exit code. With a kernel library, each of
// its kernels in each format it accepts (or options.impls' dtype filter) is scanned in its
// worker process; a load failure or a kernel failure (crash, hang, wild write) is a failing
// finding (exit 1).
int run_exhaustive_audit(const audit::AuditOptions& options, const std::string& out_dir,
                         bool progress, const ExhaustiveKernel& kernel = {});

// Prints the report of a merged or complete exhaustive audit and writes it to out_dir.
void write_exhaustive_report(const audit::ExhaustiveOptions& options,
                             const audit::ExhaustivePart& result, const std::string& out_dir);

}  // namespace ropecheck::cli
