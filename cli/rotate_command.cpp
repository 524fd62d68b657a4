// `ropecheck rotate`: one JSON request (stdin or --input FILE) to one JSON response on stdout.
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>

#include "cli/commands.hpp"
#include "cli/rotate_request.hpp"
#include "core/config_error.hpp"

namespace ropecheck::cli {

Runner add_rotate_command(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "rotate", "Apply one implementation or the reference to a JSON request (see README)");
  auto input = std::make_shared<std::string>();
  sub->add_option("--input", *input, "Request file (default: standard input)");
  return [input] {
    std::string text;
    if (input->empty()) {
      text.assign(std::istreambuf_iterator<char>(std::cin), {});
    } else {
      std::ifstream file(*input);
      if (!file) throw ConfigError("--input", "cannot read file " + *input);
      text.assign(std::istreambuf_iterator<char>(file), {});
    }
    nlohmann::json request;
    try {
      request = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& error) {
      throw ConfigError("request", std::string("is not valid JSON: ") + error.what());
    }
    const nlohmann::json response = run_rotate(parse_rotate_request(request));
    std::cout << response.dump() << "\n";
    return int{kPass};
  };
}

}  // namespace ropecheck::cli
