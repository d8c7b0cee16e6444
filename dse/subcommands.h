// Registration of every `hybridnet` subcommand (CLI11 "subcom_in_files" pattern: each file has
// its XxxOptions, setup_xxx(CLI::App&) and run_xxx(const XxxOptions&)).
#pragma once

namespace CLI {
class App;
}

namespace hybridnet::dse {

void setup_train(CLI::App& app);
void setup_evaluate(CLI::App& app);
void setup_arch(CLI::App& app);
void setup_cost(CLI::App& app);
void setup_analyze(CLI::App& app);

}  // namespace hybridnet::dse
