#include "search/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "analysis/svg_chart.h"
#include "search/family_registry.h"
#include "search/progress.h"
#include "search/results.h"
#include "search/xy_plot.h"

namespace hybridnet::search {

using analysis::xml_escape;
using nlohmann::json;

std::string family_color(const std::string& family) {
  // Tableau-like palette, one colour per family in the order of families().
  static const char* palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                  "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#393b79",
                                  "#637939", "#843c39", "#7b4173", "#3182bd"};
  const auto& all = families();
  for (size_t i = 0; i < all.size(); ++i)
    if (all[i]->name() == family) return palette[i % (sizeof palette / sizeof *palette)];
  return "#7f7f7f";
}

namespace {

std::string fmt(const char* format, double v) {
  if (!std::isfinite(v)) return "";
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string label(const db::TrialRecord& t) {
  const std::string point = point_label(t);
  return "#" + std::to_string(t.id) + " " + setting_label(t.family, t.params) +
         (point.empty() ? "" : " " + point);
}

/// Identity of a design point: its trial and, for an exit-threshold point, which one.
std::string point_key(const db::TrialRecord& t) {
  return std::to_string(t.id) + ":" + std::to_string(t.point);
}

/// Hover text of a trial: its settings and objective values.
std::string tooltip(const db::TrialRecord& t) {
  std::string s = label(t);
  for (size_t i = 1; i < t.settings.size(); ++i)
    s += "\nalso " + setting_label(t.settings[i].family, t.settings[i].params);
  s += "\naccuracy " + fmt("%.2f %%", 100 * t.objective("accuracy")) + "\nenergy " +
       fmt("%.4g uJ", t.objective("energy_pj") / 1e6) + "\nmemory " +
       fmt("%.4g KiB", t.objective("memory_bits") / 8192);
  if (t.point >= 0) {
    const auto& p = t.points[t.point];
    for (size_t k = 0; k < p.exit_share.size(); ++k)
      s += "\nexit " + std::to_string(k + 1) + ": " + fmt("%.1f %%", 100 * p.exit_share[k]) +
           " of samples";
    s += "\nedge " + fmt("%.4g uJ", p.edge_energy_pj / 1e6) + ", cloud " +
         fmt("%.4g uJ", p.cloud_energy_pj / 1e6);
  }
  return s;
}

/// Accuracy (%) against a cost (x = cost column / scale), one series per family, front ringed,
/// with the two-objective staircase of this projection.
XYPlot accuracy_plot(const std::vector<db::TrialRecord>& done, const std::set<std::string>& front,
                     const std::string& id, const std::string& title, const std::string& column,
                     double scale, const std::string& x_label, const std::string& y_label) {
  XYPlot p{id, title, x_label, y_label, /*log_x=*/true, {}, "Pareto front"};
  std::vector<std::string> order;
  for (const Family* f : families()) order.push_back(f->name());
  std::vector<std::vector<double>> points;
  std::vector<PlotPoint> all;
  for (const auto& name : order) {
    PlotSeries s;
    s.label = name;
    s.color = family_color(name);
    for (const auto& t : done) {
      if (t.family != name) continue;
      PlotPoint pt{t.objective(column) / scale, 100 * t.objective("accuracy"), tooltip(t),
                   front.count(point_key(t)) > 0};
      s.points.push_back(pt);
    }
    if (!s.points.empty()) p.series.push_back(s);
  }
  for (const auto& s : p.series)
    for (const auto& pt : s.points)
      if (std::isfinite(pt.x) && std::isfinite(pt.y) && pt.x > 0) {
        points.push_back({pt.y, pt.x});
        all.push_back(pt);
      }
  PlotSeries stairs;
  stairs.label = "2-objective front";
  stairs.color = "#555";
  stairs.markers = false, stairs.line = true, stairs.steps = true, stairs.dash = "5,4";
  stairs.line_width = 1.5;
  for (size_t i : pareto_front(points, {{"accuracy", true}, {"cost", false}}))
    stairs.points.push_back(all[i]);
  std::sort(stairs.points.begin(), stairs.points.end(),
            [](const PlotPoint& a, const PlotPoint& b) { return a.x < b.x || (a.x == b.x && a.y < b.y); });
  if (stairs.points.size() > 1) p.series.push_back(stairs);
  return p;
}

/// Learning curve of every trial with finished epochs; the front's members drawn bold.
XYPlot curve_plot(const std::vector<ReportTrial>& trials, const std::set<int64_t>& front,
                  const std::string& id, const std::string& title, const std::string& y_label,
                  bool loss) {
  XYPlot p{id, title, "epoch", y_label, false, {}, ""};
  for (const auto& r : trials) {
    if (r.epochs.empty()) continue;
    const bool hot = front.count(r.trial.id) > 0;
    PlotSeries s;
    s.label = r.trial.family;
    s.color = family_color(r.trial.family);
    s.line = true;
    s.line_width = hot ? 2.5 : 1.2;
    s.opacity = hot ? 1.0 : 0.35;
    for (const auto& e : r.epochs) {
      // The accuracy a search chooses on: validation when the run holds a split out.
      const bool val = e.val_accuracy >= 0;
      const double y = loss ? e.train_loss : 100 * (val ? e.val_accuracy : e.test_accuracy);
      s.points.push_back(
          {double(e.epoch), y,
           label(r.trial) + "\nepoch " + std::to_string(e.epoch) + ": " +
               (loss ? "train loss " + fmt("%.4f", y)
                     : std::string(val ? "validation" : "test") + " accuracy " + fmt("%.2f %%", y)),
           false});
    }
    p.series.push_back(s);
  }
  return p;
}

/// Background colour of a layer's cell by weight precision: light for binary, dark for FP.
std::string bits_color(int bits) {
  if (bits <= 1) return "#fff3b0";
  if (bits == 2) return "#ffd166";
  if (bits <= 4) return "#f4a259";
  if (bits <= 8) return "#e76f51";
  if (bits < 32) return "#b5283b";
  return "#6a040f";
}

std::string bits_text(int bits) { return bits >= 32 ? "FP" : std::to_string(bits); }

/// Per-layer weight precision of the given trials: one row per trial, one column per layer.
std::string precision_map(const std::vector<const ReportTrial*>& rows) {
  size_t columns = 0;
  for (const auto* r : rows) columns = std::max(columns, r->layers.size());
  // Wide enough for the longest label at about 6.5 px per character of 11 px sans-serif.
  size_t longest = 0;
  for (const auto* r : rows) longest = std::max(longest, label(r->trial).size());
  const double cell_w = 28, cell_h = 24, label_w = std::max(250.0, 6.5 * longest + 16), top = 30;
  const double w = label_w + columns * cell_w + 20, h = top + rows.size() * cell_h + 50;
  std::ostringstream o;
  o << "<svg class=\"chart precision-map\" id=\"precision-map\" xmlns=\"http://www.w3.org/2000/svg\""
    << " viewBox=\"0 0 " << w << " " << h << "\" width=\"" << w << "\" height=\"" << h
    << "\" font-family=\"sans-serif\" font-size=\"11\" role=\"img\" aria-label=\"per-layer "
       "precision of the Pareto front\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  for (size_t c = 0; c < columns; ++c) {
    std::string name;
    for (const auto* r : rows)
      if (c < r->layers.size()) name = r->layers[c].name;
    o << "<text x=\"" << label_w + (c + 0.5) * cell_w << "\" y=\"" << top - 8
      << "\" text-anchor=\"middle\"><title>" << xml_escape(name) << "</title>" << c << "</text>\n";
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& t = rows[i]->trial;
    const double y = top + i * cell_h;
    o << "<text x=\"" << label_w - 8 << "\" y=\"" << y + cell_h / 2 + 4
      << "\" text-anchor=\"end\">" << xml_escape(label(t)) << "</text>\n";
    for (size_t c = 0; c < rows[i]->layers.size(); ++c) {
      const auto& l = rows[i]->layers[c];
      const double x = label_w + c * cell_w;
      std::string tip = l.name + " (" + l.role + "): weights " + bits_text(l.weight_bits) +
                        ", inputs " + bits_text(l.input_bits);
      if (l.fp_fraction > 0) tip += ", " + fmt("%.0f %%", 100 * l.fp_fraction) + " of filters FP";
      o << "<g class=\"layer-cell\"><title>" << xml_escape(tip) << "</title><rect x=\"" << x
        << "\" y=\"" << y << "\" width=\"" << cell_w - 2 << "\" height=\"" << cell_h - 2
        << "\" fill=\"" << bits_color(l.weight_bits) << "\"/>";
      if (l.fp_fraction > 0)  // intra-layer hybrid: the FP share of the filters, from the bottom
        o << "<rect x=\"" << x << "\" y=\"" << y + (cell_h - 2) * (1 - l.fp_fraction)
          << "\" width=\"" << cell_w - 2 << "\" height=\"" << (cell_h - 2) * l.fp_fraction
          << "\" fill=\"" << bits_color(32) << "\"/>";
      o << "<text x=\"" << x + (cell_w - 2) / 2 << "\" y=\"" << y + cell_h / 2 + 3
        << "\" text-anchor=\"middle\" fill=\""
        << (l.weight_bits > 4 || l.fp_fraction > 0.5 ? "white" : "black") << "\">"
        << bits_text(l.weight_bits) << "</text></g>\n";
    }
  }
  const double ly = top + rows.size() * cell_h + 20;
  double lx = label_w;
  o << "<text x=\"" << lx - 8 << "\" y=\"" << ly + 12 << "\" text-anchor=\"end\">weight bits</text>";
  for (int bits : {1, 2, 4, 8, 32}) {
    o << "<rect x=\"" << lx << "\" y=\"" << ly << "\" width=\"26\" height=\"16\" fill=\""
      << bits_color(bits) << "\"/><text x=\"" << lx + 13 << "\" y=\"" << ly + 12
      << "\" text-anchor=\"middle\" fill=\"" << (bits > 4 ? "white" : "black") << "\">"
      << bits_text(bits) << "</text>";
    lx += 30;
  }
  o << "\n</svg>\n";
  return o.str();
}

/// A table row of a trial or design point `t` (of trial `r`); data-v holds the value a column
/// sorts by.
std::string table_row(const db::TrialRecord& t, const ReportTrial& r, bool on_front) {
  double seconds = 0;
  for (const auto& e : r.epochs) seconds += e.seconds;
  auto cell = [](const std::string& text, const std::string& sort_value) {
    return "<td data-v=\"" + xml_escape(sort_value) + "\">" + xml_escape(text) + "</td>";
  };
  auto number = [&](double v, const char* format) {
    return cell(fmt(format, v), std::isfinite(v) ? fmt("%.17g", v) : "");
  };
  std::string setting = setting_label(t.family, t.params);
  for (size_t i = 1; i < t.settings.size(); ++i)
    setting += "; " + setting_label(t.settings[i].family, t.settings[i].params);
  if (t.point >= 0)
    setting += "; at " + point_label(t);
  else if (!t.points.empty())
    setting += "; " + std::to_string(t.points.size()) + " exit-threshold points";
  std::string state = state_label(t);  // "stopped r1": successive halving's rung
  if (!t.failure.empty()) state += ": " + t.failure;
  if (t.objectives.count("val_accuracy") && t.objectives.count("test_accuracy"))
    state += " (test " + fmt("%.2f %%", 100 * t.objectives.at("test_accuracy")) + ")";
  return "<tr" + std::string(on_front ? " class=\"front\"" : "") + ">" +
         cell(std::to_string(t.id), std::to_string(t.id)) +
         "<td data-v=\"" + xml_escape(setting) + "\"><span class=\"swatch\" style=\"background:" +
         family_color(t.family) + "\"></span>" + xml_escape(setting) + "</td>" +
         cell(state, db::to_string(t.state)) + number(100 * t.objective("accuracy"), "%.2f") +
         number(t.objective("energy_pj") / 1e6, "%.4g") +
         number(t.objective("memory_bits") / 8192, "%.4g") + number(t.objective("ee_fp"), "%.2f") +
         number(t.objective("mc_fp"), "%.2f") + cell(std::to_string(r.epochs.size()), std::to_string(r.epochs.size())) +
         cell(r.epochs.empty() ? "" : format_duration(seconds), fmt("%.17g", seconds)) +
         cell(on_front ? "yes" : "", on_front ? "1" : "0") + "</tr>\n";
}

std::string trial_table(const std::vector<std::pair<db::TrialRecord, const ReportTrial*>>& rows,
                        const std::set<std::string>& front, const std::string& id) {
  std::string o = "<table class=\"sortable\" id=\"" + id + "\"><thead><tr>";
  for (const char* h : {"#", "setting", "state", "accuracy %", "energy uJ", "memory KiB",
                        "E.E(FP)", "M.C(FP)", "epochs", "training", "front"})
    o += std::string("<th title=\"click to sort\">") + h + "</th>";
  o += "</tr></thead><tbody>\n";
  for (const auto& [t, r] : rows) o += table_row(t, *r, front.count(point_key(t)) > 0);
  return o + "</tbody></table>\n";
}

const char* kStyle = R"(
body { font-family: sans-serif; margin: 24px; color: #222; max-width: 1200px; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #ccc; }
p.meta { color: #555; } figure { margin: 12px 0; } figcaption { color: #555; font-size: 13px; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
svg.chart { max-width: 100%; height: auto; border: 1px solid #eee; }
g.point:hover circle, g.layer-cell:hover rect { stroke: #000; stroke-width: 2; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; }
td:nth-child(2), td:nth-child(3) { text-align: left; }
th { background: #f3f3f3; cursor: pointer; } tr.front td { background: #fffbe6; }
.swatch { display: inline-block; width: 10px; height: 10px; margin-right: 6px; border-radius: 5px; }
)";

// Sorting by a column header click; marks each table ready (the browser test checks it ran).
const char* kScript = R"(
document.querySelectorAll('table.sortable').forEach(function (table) {
  table.querySelectorAll('th').forEach(function (th, col) {
    th.addEventListener('click', function () {
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      var asc = th.dataset.order !== 'asc';
      th.dataset.order = asc ? 'asc' : 'desc';
      rows.sort(function (a, b) {
        var x = a.cells[col].dataset.v, y = b.cells[col].dataset.v;
        var nx = parseFloat(x), ny = parseFloat(y);
        var c = (isNaN(nx) || isNaN(ny)) ? String(x).localeCompare(String(y)) : nx - ny;
        return asc ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
  table.dataset.sortable = 'ready';
});
)";

std::string space_summary(const json& space) {
  if (!space.is_object()) return "";
  std::string s;
  auto text = [](const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); };
  if (space.contains("arch")) s += "architecture " + text(space["arch"]);
  if (space.contains("data") && space["data"].is_object() && space["data"].contains("name"))
    s += (s.empty() ? "" : ", ") + std::string("dataset ") + text(space["data"]["name"]);
  if (space.contains("train") && space["train"].is_object() && space["train"].contains("epochs"))
    s += (s.empty() ? "" : ", ") + text(space["train"]["epochs"]) + " epochs";
  if (space.contains("energy_table")) s += ", energy table " + text(space["energy_table"]);
  return s;
}

}  // namespace

Report render_report(const ReportInput& in) {
  Report out;
  std::vector<db::TrialRecord> records;
  std::map<int64_t, const ReportTrial*> by_id;
  for (const auto& r : in.trials) {
    records.push_back(r.trial);
    by_id[r.trial.id] = &r;
  }
  // A network with early exits is one design point per exit threshold: on the charts and the
  // front; the precision map and the learning curves show it once.
  std::set<std::string> front;
  std::set<int64_t> front_trials;
  std::vector<std::pair<db::TrialRecord, const ReportTrial*>> members, all;
  for (const auto& t : pareto_trials(records, in.objectives)) {
    front.insert(point_key(t));
    front_trials.insert(t.id);
    members.push_back({t, by_id.at(t.id)});
  }
  std::vector<db::TrialRecord> done;
  for (const auto& t : design_points(records))
    if (t.state == db::TrialState::kDone) done.push_back(t);
  std::vector<const ReportTrial*> member_trials;
  for (const auto& r : in.trials) {
    all.push_back({r.trial, &r});
    if (front_trials.count(r.trial.id)) member_trials.push_back(&r);
  }
  std::sort(members.begin(), members.end(), [](const auto& a, const auto& b) {
    return a.first.objective("energy_pj") < b.first.objective("energy_pj");
  });
  std::sort(member_trials.begin(), member_trials.end(),
            [](const ReportTrial* a, const ReportTrial* b) {
              return a->trial.objective("energy_pj") < b->trial.objective("energy_pj");
            });
  const auto status = study_status(records, 1);
  out.trials = in.trials.size(), out.done = status.done, out.front = members.size();

  std::ostringstream o;
  const std::string name = xml_escape(in.study.name);
  o << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    << "<title>hybridnet study " << name << "</title>\n<style>" << kStyle << "</style>\n"
    << "</head>\n<body>\n<h1>hybridnet study " << name << "</h1>\n<p class=\"meta\">"
    << xml_escape(space_summary(in.study.space)) << "<br>" << status.total << " trials: "
    << status.done << " done, " << status.failed << " failed, " << status.running
    << " running, " << status.pending + status.interrupted << " waiting. Pareto front over "
    << xml_escape(to_string(in.objectives)) << ": " << members.size() << " design points of "
    << member_trials.size() << " trials.<br>From "
    << xml_escape(in.source) << ", " << xml_escape(in.generated_at) << ".</p>\n";

  o << "<h2>Accuracy against cost</h2>\n<div class=\"charts\">\n";
  const std::string caption =
      "Finished trials coloured by family (a network with early exits: one point per exit "
      "threshold); ringed: the Pareto front over " +
      to_string(in.objectives) + "; dashed: the front of this chart's two objectives alone. "
      "Hover a point for its settings.";
  // Chosen on validation, reported on test: a study with a validation split plots that.
  const bool validated = std::any_of(in.trials.begin(), in.trials.end(), [](const auto& r) {
    return r.trial.objectives.count("val_accuracy") > 0;
  });
  const std::string accuracy_label =
      validated ? "validation accuracy (%)" : "test accuracy (%)";
  for (const auto& [id, title, column, scale, x_label] :
       std::vector<std::tuple<std::string, std::string, std::string, double, std::string>>{
           {"accuracy-energy", "Accuracy vs energy per inference", "energy_pj", 1e6, "energy (uJ)"},
           {"accuracy-memory", "Accuracy vs model memory", "memory_bits", 8192, "memory (KiB)"}}) {
    o << "<figure>" << render_plot(
                accuracy_plot(done, front, id, title, column, scale, x_label, accuracy_label))
      << "<figcaption>" << xml_escape(caption) << "</figcaption></figure>\n";
    ++out.charts;
  }
  o << "</div>\n<h2>Per-layer precision of the Pareto front</h2>\n";
  if (member_trials.empty()) {
    o << "<p>No finished trial yet.</p>\n";
  } else {
    o << "<figure>" << precision_map(member_trials)
      << "<figcaption>One row per front member (by energy), one column per weight layer in "
         "network order (hover for the layer); the dark part of a cell is the share of FP "
         "filters of an intra-layer hybrid.</figcaption></figure>\n";
    ++out.charts;
  }
  o << "<h2>Learning curves</h2>\n<div class=\"charts\">\n";
  for (bool loss : {false, true}) {
    o << "<figure>"
      << render_plot(curve_plot(in.trials, front_trials, loss ? "train-loss" : "test-accuracy",
                                loss ? "Training loss"
                                     : validated ? "Validation accuracy per epoch"
                                                 : "Test accuracy per epoch",
                                loss ? "training loss" : accuracy_label, loss))
      << "<figcaption>Bold: the front's members; faint: the other trials.</figcaption></figure>\n";
    ++out.charts;
  }
  o << "</div>\n<h2>Pareto front</h2>\n" << trial_table(members, front, "front-table")
    << "<h2>All trials</h2>\n" << trial_table(all, front, "trial-table")
    << "<p class=\"meta\" id=\"end\">Click a column header to sort. Generated by hybridnet "
       "report.</p>\n<script>" << kScript << "</script>\n</body>\n</html>\n";
  out.html = o.str();
  return out;
}

}  // namespace hybridnet::search
