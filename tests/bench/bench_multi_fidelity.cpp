// The multi-fidelity experiment's figures (examples/multi_fidelity/run.sh): per seed, the
// hypervolume of the exhaustive grid's front against successive halving's, with the epochs each
// spent; successive halving replayed on the grid's learning curves with our promotion rule and
// with MO-ASHA's (search/halving_replay.h); random search at the same budget (random subsets of
// the grid's fully trained trials, as many as the budget trains fully). Hypervolumes are on the
// validation accuracy the search chooses by, and on the test accuracy of the fronts so chosen.
// Usage: bench_multi_fidelity --grid GRID.sqlite [--search SEARCH.sqlite] [--draws N]
//   studies pair by name: mf-grid-s0 in GRID with mf-sh-s0 in SEARCH ("grid" -> "sh").
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "db/store.h"
#include "search/front_hypervolume.h"
#include "search/halving_replay.h"
#include "search/results.h"
#include "search/search_strategy.h"

using namespace hybridnet;
using namespace hybridnet::search;

namespace {

// A front's hypervolume (normalised), on the validation accuracy it was chosen by, or on the
// test accuracy of its members.
double hv(const std::vector<db::TrialRecord>& front, const std::vector<Objective>& objs,
          bool test) {
  std::vector<db::TrialRecord> points = front;
  if (test)
    for (auto& t : points)
      if (t.objectives.count("test_accuracy"))
        t.objectives["accuracy"] = t.objectives.at("test_accuracy");
  const auto v = front_hypervolume(points, objs);
  return v ? v->normalized : 0.0;
}

struct Row {
  std::string what;
  double hv_val = 0, hv_test = 0;
  double epochs = 0;
  int full = 0;  // trials trained to the full budget
};

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? NAN : s / v.size();
}
double sd(const std::vector<double>& v) {
  if (v.size() < 2) return 0;
  const double m = mean(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / (v.size() - 1));
}

}  // namespace

int main(int argc, char** argv) {
  std::string grid_db, search_db;
  int draws = 2000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--grid") grid_db = argv[i + 1];
    if (a == "--search") search_db = argv[i + 1];
    if (a == "--draws") draws = std::atoi(argv[i + 1]);
  }
  if (grid_db.empty()) {
    std::fprintf(stderr, "usage: bench_multi_fidelity --grid GRID.sqlite [--search S.sqlite]\n");
    return 2;
  }
  auto grid = db::open_store(grid_db, db::OpenMode::kReadOnly);
  std::unique_ptr<db::Store> search;
  if (!search_db.empty()) search = db::open_store(search_db, db::OpenMode::kReadOnly);
  const auto scratch = std::filesystem::temp_directory_path() / "bench_multi_fidelity";
  std::mt19937 rng(12345);
  // Per method, over seeds: hypervolume ratios to the grid's and epoch fractions.
  std::map<std::string, std::vector<double>> ratio_val, ratio_test, fraction;
  std::vector<std::string> order;

  for (const auto& study : grid->studies()) {
    auto trials = grid->trials(study.id);
    bool complete = !trials.empty();
    for (const auto& t : trials) complete = complete && t.state == db::TrialState::kDone;
    if (!complete) {
      std::printf("%s: not every trial is done; skipped\n", study.name.c_str());
      continue;
    }
    const auto objs = study_objectives(study);
    std::map<int64_t, std::vector<db::EpochRow>> curves;
    double grid_epochs = 0;
    for (const auto& t : trials) {
      curves[t.id] = grid->epochs(t.id);
      grid_epochs += t.epochs_done;
    }
    const int budget = trials.front().epochs_done;
    std::vector<Row> rows;
    const auto grid_front = pareto_trials(trials, objs);
    rows.push_back({"grid (exhaustive)", hv(grid_front, objs, false), hv(grid_front, objs, true),
                    grid_epochs, static_cast<int>(trials.size())});

    SearchStrategy strategy = parse_search_strategy(
        {{"strategy", "successive-halving"}, {"rungs", {1, 3, budget}}, {"eta", 3}}, budget,
        "default");
    std::string sh_name = study.name;
    if (auto p = sh_name.find("grid"); p != std::string::npos) sh_name.replace(p, 4, "sh");
    if (search) {
      if (auto s = search->find_study(sh_name)) {
        if (s->space.contains("search"))
          strategy = parse_search_strategy(s->space.at("search"), budget, s->name);
        auto st = search->trials(s->id);
        double epochs = 0;
        int full = 0;
        for (const auto& t : st) {
          epochs += t.epochs_done;
          full += t.state == db::TrialState::kDone;
        }
        const auto front = pareto_trials(st, objs);
        rows.push_back({"successive halving (run)", hv(front, objs, false), hv(front, objs, true),
                        epochs, full});
      }
    }
    for (auto rule : {PromotionRule::kHypervolume, PromotionRule::kCrowding}) {
      strategy.promotion = rule;
      const auto r = replay_successive_halving(trials, curves, strategy, objs, scratch.string());
      int full = 0;
      for (const auto& t : r.trials) full += t.state == db::TrialState::kDone;
      const auto front = pareto_trials(r.trials, objs);
      rows.push_back({rule == PromotionRule::kHypervolume ? "SH replay, hypervolume rule"
                                                          : "SH replay, MO-ASHA crowding",
                      hv(front, objs, false), hv(front, objs, true), double(r.epochs), full});
    }
    // Random search at the budget of our rule's replay (the row before MO-ASHA's): that many
    // full trainings.
    const double budget_epochs = rows[rows.size() - 2].epochs;
    const int k = std::max(1, static_cast<int>(budget_epochs / budget));
    std::vector<double> rv, rt;
    std::vector<size_t> idx(trials.size());
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    for (int d = 0; d < draws; ++d) {
      std::shuffle(idx.begin(), idx.end(), rng);
      std::vector<db::TrialRecord> pick;
      for (int i = 0; i < k && i < static_cast<int>(idx.size()); ++i)
        pick.push_back(trials[idx[i]]);
      const auto front = pareto_trials(pick, objs);
      rv.push_back(hv(front, objs, false));
      rt.push_back(hv(front, objs, true));
    }
    rows.push_back({"random search, same epochs", mean(rv), mean(rt), double(k * budget), k});

    std::printf("\n%s: %zu trials, %d epochs each; hypervolume (normalised) of each front\n",
                study.name.c_str(), trials.size(), budget);
    std::printf("%-30s %10s %7s %10s %7s %8s %9s %5s\n", "method", "HV (val)", "ratio", "HV (test)",
                "ratio", "epochs", "fraction", "full");
    for (const auto& r : rows) {
      const double rv_ = r.hv_val / rows[0].hv_val, rt_ = r.hv_test / rows[0].hv_test,
                   fr = r.epochs / rows[0].epochs;
      std::printf("%-30s %10.4f %7.3f %10.4f %7.3f %8.0f %9.3f %5d\n", r.what.c_str(), r.hv_val,
                  rv_, r.hv_test, rt_, r.epochs, fr, r.full);
      if (!ratio_val.count(r.what)) order.push_back(r.what);
      ratio_val[r.what].push_back(rv_);
      ratio_test[r.what].push_back(rt_);
      fraction[r.what].push_back(fr);
    }
  }
  if (order.empty()) return 1;
  std::printf("\nover %zu seed(s): mean (sd) of the ratios to the grid\n",
              ratio_val[order.front()].size());
  std::printf("%-30s %16s %16s %16s\n", "method", "HV ratio (val)", "HV ratio (test)",
              "epoch fraction");
  for (const auto& w : order)
    std::printf("%-30s %8.3f (%5.3f) %8.3f (%5.3f) %8.3f (%5.3f)  n=%zu\n", w.c_str(),
                mean(ratio_val[w]), sd(ratio_val[w]), mean(ratio_test[w]), sd(ratio_test[w]),
                mean(fraction[w]), sd(fraction[w]), ratio_val[w].size());
  return 0;
}
