// `ropecheck presets` and `ropecheck impls`: what is built in, as a table or JSON.
#include <fmt/format.h>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "core/presets.hpp"
#include "impl/implementation.hpp"

namespace ropecheck::cli {

Runner add_presets_command(CLI::App& app) {
  auto* sub = app.add_subcommand("presets", "List built-in model presets with their sources");
  auto as_json = std::make_shared<bool>(false);
  sub->add_flag("--json", *as_json, "Print a JSON list instead of a table");
  return [as_json] {
    const auto& presets = builtin_presets();
    if (*as_json) {
      nlohmann::json out = nlohmann::json::array();
      for (const Preset& p : presets)
        out.push_back({{"name", p.name}, {"model", p.model}, {"summary", p.summary},
                       {"source", p.source}, {"notes", p.notes}, {"config", p.config}});
      std::cout << out.dump(2) << "\n";
      return int{kPass};
    }
    for (const Preset& p : presets)
      std::cout << fmt::format("{:<17} {}\n{:<17} source: {}\n", p.name, p.summary, "", p.source);
    return int{kPass};
  };
}

Runner add_impls_command(CLI::App& app) {
  auto* sub = app.add_subcommand("impls", "List implementations: name, form, pipeline, dtype");
  auto as_json = std::make_shared<bool>(false);
  sub->add_flag("--json", *as_json, "Print a JSON list instead of a table");
  return [as_json] {
    const auto& impls = all_implementations();
    if (*as_json) {
      nlohmann::json out = nlohmann::json::array();
      for (const Implementation& impl : impls)
        out.push_back({{"name", impl.name()},
                       {"form", std::string(form_name(impl.form))},
                       {"pipeline", std::string(impl.pipeline->name)},
                       {"dtype", std::string(dtype_name(impl.dtype()))},
                       {"arithmetic", std::string(impl.pipeline->arithmetic)},
                       {"summary", std::string(impl.pipeline->summary)}});
      std::cout << out.dump(2) << "\n";
      return int{kPass};
    }
    std::cout << fmt::format("{:<30} {:<5} {:<5} {}\n", "name", "dtype", "arith", "pipeline");
    for (const Implementation& impl : impls)
      std::cout << fmt::format("{:<30} {:<5} {:<5} {}\n", impl.name(), dtype_name(impl.dtype()),
                               impl.pipeline->arithmetic, impl.pipeline->summary);
    return int{kPass};
  };
}

}  // namespace ropecheck::cli
