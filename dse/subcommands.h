// Registration of every `hybridnet` subcommand (CLI11 "subcom_in_files" pattern: each file has
// its XxxOptions, setup_xxx(CLI::App&) and run_xxx(const XxxOptions&)).
#pragma once

namespace CLI {
class App;
}

namespace hybridnet::dse {

void setup_train(CLI::App& app);
void setup_evaluate(CLI::App& app);
void setup_infer(CLI::App& app);
void setup_exits(CLI::App& app);
void setup_arch(CLI::App& app);
void setup_cost(CLI::App& app);
void setup_analyze(CLI::App& app);
void setup_space(CLI::App& app);
void setup_sweep(CLI::App& app);
void setup_status(CLI::App& app);
void setup_studies(CLI::App& app);
void setup_trials(CLI::App& app);
void setup_pareto(CLI::App& app);
void setup_show(CLI::App& app);
void setup_export(CLI::App& app);
void setup_report(CLI::App& app);
void setup_db(CLI::App& app);

}  // namespace hybridnet::dse
