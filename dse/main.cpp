// hybridnet: design-space exploration for hybrid binary / mixed-precision CNNs.
// Every user error ends here as one line on stderr and a non-zero exit.
#include <c10/util/Exception.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "dse/subcommands.h"
#include "models/allocator_tuning.h"
#include "models/error.h"

int main(int argc, char** argv) {
  hybridnet::models::keep_freed_tensor_memory();
  CLI::App app{
      "hybridnet: find the layers of a binary (XNOR) network that deserve more precision,\n"
      "train the hybrids, and score accuracy against energy and memory."};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every subcommand");
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
  hybridnet::dse::setup_report(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    // One line, like every other user error.
    std::cerr << "hybridnet: error: " << e.what() << " (see --help)\n";
    return e.get_exit_code();
  } catch (const hybridnet::Error& e) {
    std::cerr << "hybridnet: error: " << e.what() << "\n";
    return 1;
  } catch (const c10::Error& e) {
    std::string msg = e.what_without_backtrace();
    std::cerr << "hybridnet: error (LibTorch): " << msg.substr(0, msg.find('\n')) << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "hybridnet: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
