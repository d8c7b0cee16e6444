// The study report: one self-contained HTML page (inline CSS, SVG and a few lines of script; no
// external resource) that reads offline: accuracy against energy and memory with the Pareto front
// ringed and the families coloured, the per-layer precision of the front's members, learning
// curves, and a sortable table of every trial.
#pragma once

#include <string>
#include <vector>

#include "db/store.h"
#include "search/pareto.h"

namespace hybridnet::search {

/// One trial with the rows the report draws from.
struct ReportTrial {
  db::TrialRecord trial;
  std::vector<db::LayerRow> layers;
  std::vector<db::EpochRow> epochs;
};

struct ReportInput {
  db::StudyRecord study;
  std::string source;                ///< where the study was read from (the database path)
  std::vector<Objective> objectives;  ///< the front's objectives
  std::vector<ReportTrial> trials;
  std::string generated_at;  ///< shown in the header
};

/// What the page holds, for the command's summary line and for tests.
struct Report {
  std::string html;
  size_t trials = 0, done = 0, front = 0, charts = 0;
};

Report render_report(const ReportInput& input);

/// The colour of a family in every chart (fixed per family, so that reports compare).
std::string family_color(const std::string& family);

}  // namespace hybridnet::search
