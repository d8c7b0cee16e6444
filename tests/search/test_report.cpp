// The study report and its plots on hand-made (synthetic) trials: axis ticks, skipped points,
// the front ringed in each accuracy chart, the precision map's cells, escaping, no external
// resource. Rendering in a real browser is tested by tests/cli/report_chromium.sh.
#include <catch2/catch.hpp>

#include "search/progress.h"
#include "search/report.h"
#include "search/xy_plot.h"

using namespace hybridnet;
using namespace hybridnet::search;
using Catch::Detail::Approx;

namespace {

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + what.size()))
    ++n;
  return n;
}

/// The part of `html` from the element with id `id` to the end of that <svg>.
std::string svg_with_id(const std::string& html, const std::string& id) {
  const size_t start = html.find("id=\"" + id + "\"");
  REQUIRE(start != std::string::npos);
  return html.substr(start, html.find("</svg>", start) - start);
}

void require_ticks(const std::vector<double>& got, const std::vector<double>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) REQUIRE(got[i] == Approx(want[i]).margin(1e-12));
}

ReportTrial trial(int64_t id, const std::string& family, db::TrialState state, double accuracy,
                  double energy_pj, double memory_bits, std::vector<int> bits) {
  ReportTrial r;
  r.trial.id = id;
  r.trial.family = family;
  r.trial.params = nlohmann::json::object();
  r.trial.state = state;
  if (state == db::TrialState::kDone) r.trial.objectives["accuracy"] = accuracy;
  r.trial.objectives["energy_pj"] = energy_pj;
  r.trial.objectives["memory_bits"] = memory_bits;
  for (size_t i = 0; i < bits.size(); ++i)
    r.layers.push_back({int(i), "layer" + std::to_string(i), "conv", bits[i], bits[i], 0.0});
  for (int e = 1; e <= 2; ++e)
    r.epochs.push_back({e, 0.01, 1.0 / e, 0.5, -1, accuracy * e / 2, 0, 3});
  return r;
}

}  // namespace

TEST_CASE("axis ticks: 1-2-5 steps, log decades, narrow log ranges", "[search]") {
  require_ticks(axis_ticks(0, 1, false), {0, 0.2, 0.4, 0.6, 0.8, 1.0});
  require_ticks(axis_ticks(0.12, 0.97, false), {0.2, 0.4, 0.6, 0.8});
  require_ticks(axis_ticks(3, 300, true), {5, 10, 20, 50, 100, 200});
  require_ticks(axis_ticks(2, 5, true), {2, 3, 4, 5});  // under a decade: integer multiples
  require_ticks(axis_ticks(1.1, 1.3, true), {1.1, 1.15, 1.2, 1.25, 1.3});  // linear fallback
  REQUIRE(axis_ticks(1, 1, false).empty());
  REQUIRE(axis_ticks(0, 10, true).empty());
}

TEST_CASE("plot: rings, skipped points and escaped text", "[search]") {
  XYPlot p;
  p.id = "demo";
  p.title = "a <b> & c";
  p.log_x = true;
  PlotSeries s;
  s.label = "fp";
  s.color = "#123456";
  s.points = {{1, 50, "one", true},
              {10, 60, "two", false},
              {0, 70, "zero on a log axis", true},
              {100, std::nan(""), "nan", false}};
  p.series = {s};
  p.ring_label = "front";
  const std::string svg = render_plot(p);
  REQUIRE(count(svg, "<g class=\"point\">") == 2);
  REQUIRE(count(svg, "class=\"front\"") == 1);
  REQUIRE(svg.find("a &lt;b&gt; &amp; c") != std::string::npos);
  REQUIRE(svg.find("zero on a log axis") == std::string::npos);
  REQUIRE(svg.find("(log scale)") != std::string::npos);
}

TEST_CASE("report: synthetic study, front ringed, precision map, tables", "[search]") {
  ReportInput in;
  in.study.name = "demo<1>";
  in.source = "runs/demo.sqlite";
  in.objectives = default_objectives();
  // (accuracy, energy, memory): fp best accuracy, xnor cheapest, pca in between (all on the
  // front); partition is dominated by pca; the failed trial has no accuracy.
  in.trials = {trial(1, "fp", db::TrialState::kDone, 0.90, 100e6, 8192 * 400, {32, 32, 32}),
               trial(2, "xnor", db::TrialState::kDone, 0.70, 5e6, 8192 * 20, {32, 1, 32}),
               trial(3, "pca", db::TrialState::kDone, 0.80, 20e6, 8192 * 60, {32, 2, 32}),
               trial(4, "partition", db::TrialState::kDone, 0.75, 30e6, 8192 * 80, {32, 4, 32}),
               trial(5, "quantized-k", db::TrialState::kFailed, 0, 10e6, 8192 * 40, {32, 2, 32})};
  in.trials[4].trial.failure = "training diverged: loss <NaN>";
  in.trials[4].epochs.clear();
  const Report r = render_report(in);
  const std::string& html = r.html;
  REQUIRE(r.trials == 5);
  REQUIRE(r.done == 4);
  REQUIRE(r.front == 3);
  REQUIRE(r.charts == 5);
  REQUIRE(count(html, "<svg class=\"chart") == 5);
  for (const char* id : {"accuracy-energy", "accuracy-memory"}) {
    const std::string chart = svg_with_id(html, id);
    REQUIRE(count(chart, "<g class=\"point\">") == 4);  // done trials only
    REQUIRE(count(chart, "<circle class=\"front\"") == 3);
    REQUIRE(chart.find(family_color("pca")) != std::string::npos);
    REQUIRE(chart.find("stroke-dasharray") != std::string::npos);  // the 2-objective staircase
  }
  // 3 front members x 3 layers; the 2-bit layer of pca reads "2".
  const std::string map = svg_with_id(html, "precision-map");
  REQUIRE(count(map, "<g class=\"layer-cell\">") == 9);
  REQUIRE(map.find("#3 pca") != std::string::npos);
  REQUIRE(map.find("#4 partition") == std::string::npos);
  // Learning curves: every trial with epochs is a line.
  REQUIRE(count(svg_with_id(html, "test-accuracy"), "<polyline") == 4);
  REQUIRE(count(html, "<tr class=\"front\">") == 3 * 2);  // front table + all-trials table
  REQUIRE(html.find("loss &lt;NaN&gt;") != std::string::npos);
  REQUIRE(html.find("demo&lt;1&gt;") != std::string::npos);
  // Self-contained: nothing fetched from elsewhere.
  REQUIRE(html.find("src=") == std::string::npos);
  REQUIRE(html.find("<link") == std::string::npos);
  REQUIRE(html.find("url(") == std::string::npos);
}

TEST_CASE("report: a study without finished trials still renders", "[search]") {
  ReportInput in;
  in.study.name = "empty";
  in.objectives = default_objectives();
  const Report r = render_report(in);
  REQUIRE(r.front == 0);
  REQUIRE(r.html.find("No finished trial yet") != std::string::npos);
  REQUIRE(r.html.find("</html>") != std::string::npos);
}

TEST_CASE("live lines: a trial with no progress yet says it is starting", "[search]") {
  hybridnet::db::TrialRecord t;
  t.id = 7;
  t.family = "xnor";
  t.params = nlohmann::json::object();
  using hybridnet::search::format_trial_line;
  CHECK(format_trial_line(t, {}) == "  #7    xnor                         starting");
  hybridnet::search::TrialProgress p;
  p.epoch = 2;
  p.epochs = 3;
  p.step = 5;
  p.steps = 24;
  CHECK_THAT(format_trial_line(t, p),
             Catch::StartsWith("  #7    xnor                         epoch 2/3  step 5/24"));
}
