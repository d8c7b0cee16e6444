// hybridnet: design-space exploration for hybrid binary / mixed-precision CNNs.
// Every user error ends here as one line on stderr and a non-zero exit.
#include <c10/util/Exception.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

#include "dse/exit_status.h"
#include "dse/subcommands.h"
#include "models/allocator_tuning.h"
#include "models/error.h"
#include "models/json_input.h"
#include "models/message_line.h"
#include "models/onnx_writer.h"

int main(int argc, char** argv) {
  hybridnet::models::keep_freed_tensor_memory();
  CLI::App app{
      "hybridnet: find the layers of a binary (XNOR) network that deserve more precision,\n"
      "train the hybrids, and score accuracy against energy and memory."};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every subcommand");
  app.set_version_flag("--version", std::string("hybridnet ") + hybridnet::models::hybridnet_version());
  hybridnet::dse::setup_train(app);
  hybridnet::dse::setup_evaluate(app);
  hybridnet::dse::setup_exits(app);
  hybridnet::dse::setup_arch(app);
  hybridnet::dse::setup_cost(app);
  hybridnet::dse::setup_analyze(app);
  hybridnet::dse::setup_space(app);
  hybridnet::dse::setup_sweep(app);
  hybridnet::dse::setup_status(app);
  hybridnet::dse::setup_studies(app);
  hybridnet::dse::setup_trials(app);
  hybridnet::dse::setup_pareto(app);
  hybridnet::dse::setup_show(app);
  hybridnet::dse::setup_export(app);
  hybridnet::dse::setup_infer(app);
  hybridnet::dse::setup_report(app);
  hybridnet::dse::setup_db(app);
  using hybridnet::message_line;
  namespace exit = hybridnet::dse;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    // One line, like every other user error.
    std::cerr << "hybridnet: error: " << message_line(e.what()) << " (see --help)\n";
    return exit::kExitUsage;
  } catch (const exit::ExitStatus& e) {
    return e.code;  // the command has reported its outcome
  } catch (const hybridnet::Error& e) {
    std::cerr << "hybridnet: error: " << message_line(e.what()) << "\n";
    return exit::kExitError;
  } catch (const c10::Error& e) {
    std::string msg = e.what_without_backtrace();
    std::cerr << "hybridnet: error (LibTorch): " << message_line(msg.substr(0, msg.find('\n')))
              << "\n";
    return exit::kExitError;
  } catch (const nlohmann::json::exception& e) {
    // A JSON value of the wrong kind that no reader caught with its own context: at least
    // without the library's "[json.exception.type_error.302]" prefix.
    std::cerr << "hybridnet: error: malformed JSON value: "
              << message_line(hybridnet::models::without_json_prefix(e.what())) << "\n";
    return exit::kExitError;
  } catch (const std::bad_alloc&) {
    std::cerr << "hybridnet: error: out of memory\n";
    return exit::kExitError;
  } catch (const std::exception& e) {
    std::cerr << "hybridnet: error: " << message_line(e.what()) << "\n";
    return exit::kExitError;
  }
  return exit::kExitOk;
}
