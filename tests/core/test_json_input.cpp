// Hostile JSON inputs (issue 14): nesting 70,000 deep, a key given twice, a file that never ends
// (/dev/zero) or is too large: one-line errors naming the file, never a crash or a silent choice.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <functional>

#include "models/energy_table.h"
#include "models/error.h"
#include "models/hybrid_plan.h"
#include "models/json_input.h"
#include "models/run_spec.h"
#include "tests/support.h"

using namespace hybridnet;
using namespace hybridnet::models;
namespace fs = std::filesystem;

namespace {

std::string nested(int depth, const std::string& inner = "1") {
  return std::string(depth, '[') + inner + std::string(depth, ']');
}

std::string one_line_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("json input: nesting is limited at parse time", "[core][json]") {
  CHECK(parse_json_input(nested(kMaxJsonDepth - 1), "x").is_array());
  const std::string deep = "{\"comment\": " + nested(70000) + "}";
  const std::string e = one_line_error([&] { parse_json_input(deep, "space.json"); });
  CHECK(e == "space.json: JSON nested deeper than 64 levels");
  // Objects count as arrays do.
  std::string objects;
  for (int i = 0; i < 100; ++i) objects += "{\"a\": ";
  objects += "1" + std::string(100, '}');
  CHECK_THAT(one_line_error([&] { parse_json_input(objects, "p"); }),
             Catch::Contains("nested deeper"));
}

TEST_CASE("json input: a key given twice is an error, not the last value", "[core][json]") {
  CHECK_THAT(one_line_error([] { parse_json_input(R"({"lr": 0.1, "lr": 5})", "t.json"); }),
             Catch::Equals("t.json: key \"lr\" given twice in one object"));
  // The same key in two objects is fine.
  CHECK(parse_json_input(R"({"a": {"k": 1}, "b": {"k": 2}, "k": 3})", "t").at("b").at("k") == 2);
  CHECK_THAT(one_line_error([] { parse_json_input("{\"a\": 1,", "t.json"); }),
             Catch::StartsWith("t.json: malformed JSON"));
}

TEST_CASE("json input: files are bounded in size and named in errors", "[core][json]") {
  const fs::path dir = test::fresh_temp_dir("json_input");
  // /dev/zero never ends: refused once it passes the limit (it used to grow to gigabytes).
  CHECK_THAT(one_line_error([] { load_energy_table("/dev/zero"); }),
             Catch::Equals("/dev/zero: larger than 16 MiB; not a hybridnet JSON file"));
  {
    std::ofstream big(dir / "big.json");
    big << "[" << std::string(kMaxJsonFileBytes, ' ') << "]";
  }
  CHECK_THAT(one_line_error([&] { read_json_file((dir / "big.json").string()); }),
             Catch::Contains("big.json: larger than 16 MiB"));
  // A deep plan file, a deep run.json: the same one-line error, with the file's name.
  std::ofstream(dir / "plan.json") << "{\"arch\": " << nested(70000, "\"resnet8\"") << "}";
  CHECK_THAT(one_line_error([&] { load_plan_file((dir / "plan.json").string()); }),
             Catch::Equals((dir / "plan.json").string() + ": JSON nested deeper than 64 levels"));
  fs::create_directories(dir / "run");
  std::ofstream(dir / "run" / "run.json") << nested(100);
  CHECK_THAT(one_line_error([&] { load_run_spec((dir / "run").string()); }),
             Catch::Contains("run.json: JSON nested deeper than 64 levels"));
  // A directory is not a file.
  CHECK_THAT(one_line_error([&] { read_json_file(dir.string()); }), Catch::Contains("cannot"));
}
