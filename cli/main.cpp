// ropecheck: numerical verification of RoPE implementations against a correctly rounded oracle.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <iostream>
#include <map>

#include "cli/commands.hpp"
#include "cli/flag_names.hpp"
#include "core/config_error.hpp"

namespace {

// The message as one line of printable text: control characters (newlines, escapes) from an
// input's name or content are shown as \xNN so they cannot forge lines or drive the terminal.
std::string printable(const std::string& text) {
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f)
      out += fmt::format("\\x{:02x}", byte);
    else
      out += c;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ropecheck::cli;
  CLI::App app{"ropecheck: verify RoPE implementations against a correctly rounded reference"};
  app.require_subcommand(1);
  std::map<CLI::App*, Runner> runners;
  auto add = [&](Runner (*adder)(CLI::App&)) {
    Runner runner = adder(app);
    runners[app.get_subcommands({}).back()] = std::move(runner);
  };
  add(add_presets_command);
  add(add_impls_command);
  add(add_rotate_command);
  add(add_audit_command);
  add(add_merge_command);
  add(add_vectors_command);
  add(add_grade_command);
  add(add_check_command);
  add(add_config_command);
  app.footer(kExitCodesHelp);
  for (CLI::App* sub : app.get_subcommands({})) sub->footer(kExitCodesHelp);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? kPass : kBadInput;
  }
  try {
    for (CLI::App* sub : app.get_subcommands()) return runners.at(sub)();
  } catch (const ropecheck::ConfigError& error) {
    std::cerr << "ropecheck: error: " << printable(with_flag_name(error).what()) << "\n";
    return kBadInput;
  } catch (const std::exception& error) {
    // Every bad input is a ConfigError; anything else is a fault of ropecheck itself.
    std::cerr << "ropecheck: internal error: " << printable(error.what()) << "\n";
    return kInternalError;
  } catch (...) {
    std::cerr << "ropecheck: internal error: unknown exception\n";
    return kInternalError;
  }
  return kInternalError;
}
