// `ropecheck rotate`: one JSON request (stdin or --input FILE) to one JSON response on stdout.
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/rotate_request.hpp"
#include "core/json_input.hpp"

namespace ropecheck::cli {

Runner add_rotate_command(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "rotate", "Apply one implementation or the reference to a JSON request (see README)");
  auto input = std::make_shared<std::string>();
  sub->add_option("--input", *input, "Request file (default: standard input)");
  return [input] {
    RotateRequest request;
    {
      // The text and its parsed document are freed before the rotation runs.
      const std::string text =
          input->empty() ? read_standard_input("request") : read_text_file(*input, "--input");
      request = parse_rotate_request(
          parse_json_text(text, input->empty() ? "request" : "--input " + *input));
    }
    write_rotate_response(request, std::cout);
    std::cout.flush();
    return std::cout ? int{kPass} : int{kInternalError};
  };
}

}  // namespace ropecheck::cli
