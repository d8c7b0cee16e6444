// db copy (db/study_copy.h) between every pair of backends: trials arrive with their keys,
// settings, state, curves, layers, points and checkpoints, artefacts too; a second copy
// changes nothing; a trial finished at the source finishes an unfinished one at the
// destination; a running trial arrives interrupted.
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "db/store.h"
#include "db/study_copy.h"
#include "models/error.h"
#include "tests/db/store_backends.h"

using namespace hybridnet;
using namespace hybridnet::db;
using nlohmann::json;

namespace {

NewTrial new_trial(const std::string& key, const std::string& family, json params) {
  NewTrial t;
  t.key = key;
  t.family = family;
  t.params = std::move(params);
  t.plan = {{"arch", "resnet8"}, {"key", key}};
  t.plan_hash = "hash-" + key;
  t.config = {{"seed", 1}};
  t.priority = key == "base" ? 10 : 0;
  t.objectives = {{"energy_pj", 1000.5}, {"memory_bits", 2e6}};
  t.layers = {{0, "conv1", "stem", 32, 32, 0}, {1, "layer1.0.conv1", "body", 2, 2, 0.25}};
  return t;
}

// A study with a trial in every state: done (curve, points, checkpoint, two settings), failed,
// running, pending; and an artefact.
void fill(Store& s) {
  const int64_t study = s.open_study("cluster-study", {{"study", "cluster-study"}, {"v", 1}});
  s.add_trials(study,
               {new_trial("base", "xnor", json::object()), new_trial("pca1", "pca", {{"delta", 1}}),
                new_trial("fp", "fp", {}), new_trial("late", "pca", {{"delta", 3}})});
  s.add_trial(study, new_trial("pca1", "partition", {{"R", 0.5}}));  // a second setting
  s.put_artifact(study, "profile:base", {{"dims", {1, 2, 3}}});
  const auto done = s.claim_trial(study, "node7:123:1", 60);  // "base" (priority)
  for (int e = 1; e <= 3; ++e) {
    EpochRow r;
    r.epoch = e;
    r.lr = 0.01 / e;
    r.train_loss = 1.0 / e;
    r.test_accuracy = 0.5 + 0.1 * e;
    r.seconds = 2.5;
    s.add_epoch(done->lease(), r);
  }
  s.put_checkpoint(done->lease(), 3, std::string("weights\0and\xff", 12));
  s.finish_trial(done->lease(), {{"accuracy", 0.8}, {"latency_ms", 1.25}},
                 {{{0.5}, 0.79, 900, 600, 300, {0.4}, {0.9, 0.7}}});
  const auto failed = s.claim_trial(study, "node7:123:1", 60);
  s.fail_trial(failed->lease(), "training diverged: loss is nan");
  const auto running = s.claim_trial(study, "node8:55:2", 60);
  s.heartbeat(running->lease(), {{"epoch", 1}});
  // Successive halving: "halved" stopped at rung 0; "promo" promoted from it, stopped at rung 1.
  auto halved = new_trial("halved", "pca", {{"delta", 4}}), promo = new_trial("promo", "fp", {});
  halved.priority = promo.priority = 5;
  s.add_trials(study, {halved, promo});
  for (int i = 0; i < 2; ++i) {
    const auto t = s.claim_trial(study, "node8:55:2", 60);
    s.add_epoch(t->lease(), EpochRow{1, 0.01, 1.0, 0.5, 0.6 + 0.1 * i, -1, -1, 2.0});
    s.stop_at_rung(t->lease(), 1, 0.6 + 0.1 * i);
  }
  REQUIRE(s.promote_trial(s.trials(study).back().id, 0, 1));
  const auto again = s.claim_trial(study, "node8:55:2", 60);
  REQUIRE(again->key == "promo");
  s.stop_at_rung(again->lease(), 1, 0.75);
}

// A record as it should arrive: ids are the destination's, a running trial is interrupted.
json comparable(Store& s, const TrialRecord& t) {
  json settings = json::array();
  for (const auto& x : t.settings) settings.push_back({x.family, x.params});
  json epochs = json::array();
  for (const auto& e : s.epochs(t.id))
    epochs.push_back({e.epoch, e.lr, e.train_loss, e.test_accuracy, e.val_accuracy, e.seconds});
  json layers = json::array();
  for (const auto& l : s.layers(t.id))
    layers.push_back({l.index, l.name, l.role, l.weight_bits, l.input_bits, l.fp_fraction});
  json points = json::array();
  for (const auto& p : t.points) points.push_back({p.thresholds, p.accuracy, p.exit_share});
  json rungs = json::array();
  for (const auto& r : s.rungs(t.study_id))
    if (r.trial_id == t.id) rungs.push_back({r.rung, r.epochs, r.accuracy, r.promoted});
  const auto checkpoint = s.checkpoint(t.id);
  const std::string state =
      t.state == TrialState::kRunning ? "interrupted" : std::string(to_string(t.state));
  return {{"key", t.key},
          {"family", t.family},
          {"params", t.params},
          {"settings", settings},
          {"plan", t.plan},
          {"config", t.config},
          {"priority", t.priority},
          {"state", state},
          {"worker", t.worker},
          {"attempts", t.attempts},
          {"failure", t.failure},
          {"objectives", t.objectives},
          {"epochs", epochs},
          {"layers", layers},
          {"points", points},
          {"rung", t.rung},
          {"rungs", rungs},
          {"started", t.started_at},
          {"finished", t.finished_at},
          {"checkpoint",
           checkpoint ? json{checkpoint->epochs, checkpoint->attempt,
                             json::binary({checkpoint->bytes.begin(), checkpoint->bytes.end()})}
                      : json()}};
}

json study_contents(Store& s, const std::string& name) {
  const auto study = s.find_study(name);
  REQUIRE(study);
  json out = {{"space", study->space}, {"artifacts", s.artifacts(study->id)}};
  for (const auto& t : s.trials(study->id)) out["trials"][t.key] = comparable(s, t);
  return out;
}

}  // namespace

TEST_CASE("db copy: a study travels to every backend and back unchanged", "[db][copy]") {
  const auto backend = GENERATE(from_range(test::store_backends()));
  INFO("via " << backend);
  auto source = test::fresh_store("sqlite", "copy_source_" + backend).connect();
  fill(*source);
  auto middle = test::fresh_store(backend, "copy_middle").connect();
  auto report = copy_studies(*source, *middle, "");
  CHECK(report.studies == 1);
  CHECK(report.added == 6);
  CHECK(report.checkpoints == 1);
  CHECK(report.artifacts == 1);
  const json expected = study_contents(*source, "cluster-study");
  CHECK(study_contents(*middle, "cluster-study") == expected);

  // Again: nothing new.
  report = copy_studies(*source, *middle, "cluster-study");
  CHECK(report.added == 0);
  CHECK(report.updated == 0);
  CHECK(report.unchanged == 6);
  CHECK(study_contents(*middle, "cluster-study") == expected);

  // And back into a fresh SQLite file: the same study.
  auto back = test::fresh_store("sqlite", "copy_back_" + backend).connect();
  copy_studies(*middle, *back, "cluster-study");
  CHECK(study_contents(*back, "cluster-study") == expected);
  // The copied running trial is claimable where it arrived (interrupted, attempts kept).
  const auto study = back->find_study("cluster-study");
  const auto resumed = back->claim_trial(study->id, "here", 60);
  REQUIRE(resumed);
  CHECK(resumed->key == "fp");
  CHECK(resumed->attempts == 2);
}

TEST_CASE("db copy: a trial finished at the source finishes the destination's, done ones stay",
          "[db][copy]") {
  const auto backend = GENERATE(from_range(test::store_backends()));
  INFO("into " << backend);
  auto source = test::fresh_store("sqlite", "copy_finish_" + backend).connect();
  fill(*source);
  auto dest = test::fresh_store(backend, "copy_finish").connect();
  // The destination ran the same study itself: "late" pending, "pca1" held by a worker, "base"
  // done with its own result.
  const int64_t study = dest->open_study("cluster-study", json::object());
  dest->add_trials(
      study, {new_trial("base", "xnor", json::object()), new_trial("pca1", "pca", {{"delta", 1}})});
  const auto base = dest->claim_trial(study, "dest-worker", 60);
  dest->finish_trial(base->lease(), {{"accuracy", 0.7}});
  const auto held = dest->claim_trial(study, "dest-worker", 60);
  REQUIRE(held->key == "pca1");
  // At the source "pca1" failed; finish it there on a retry, then copy.
  const auto src_study = source->find_study("cluster-study")->id;
  REQUIRE(source->retry_failed(src_study) == 1);
  auto retried = source->claim_trial(src_study, "node9:1:1", 60);
  REQUIRE(retried->key == "pca1");
  source->finish_trial(retried->lease(), {{"accuracy", 0.85}});
  const auto report = copy_studies(*source, *dest, "cluster-study");
  CHECK(report.updated == 1);    // pca1
  CHECK(report.added == 4);      // fp, late, halved, promo
  CHECK(report.unchanged == 1);  // base: done here already
  const auto trials = dest->trials(study);
  std::map<std::string, TrialRecord> by_key;
  for (const auto& t : trials) by_key[t.key] = t;
  CHECK(by_key["base"].objective("accuracy") == Approx(0.7));
  CHECK(by_key["pca1"].state == TrialState::kDone);
  CHECK(by_key["pca1"].objective("accuracy") == Approx(0.85));
  CHECK(by_key["pca1"].settings.size() == 2);
  // The destination's worker lost its lease on pca1: its writes are refused.
  CHECK_THROWS_AS(dest->finish_trial(held->lease(), {{"accuracy", 0.1}}), LeaseLost);
  CHECK(dest->trial(by_key["pca1"].id)->objective("accuracy") == Approx(0.85));
}

TEST_CASE("db copy: an unknown study is refused, naming the ones there are", "[db][copy]") {
  auto source = test::fresh_store("sqlite", "copy_unknown").connect();
  fill(*source);
  auto dest = test::fresh_store("sqlite", "copy_unknown_dest").connect();
  CHECK_THROWS_WITH(copy_studies(*source, *dest, "nope"),
                    Catch::Contains("no study 'nope' (it has: cluster-study)"));
  CHECK(dest->studies().empty());
}
