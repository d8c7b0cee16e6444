// Every search family, by name. Adding a family: one file under search/families/ that defines
// its class and a make_*_family() factory, one line in family_registry.cpp, its tests.
#pragma once

#include <string>
#include <vector>

#include "search/family.h"

namespace hybridnet::search {

/// Every family, in a fixed order (the report's colours and --help follow it).
const std::vector<const Family*>& families();
/// The family called `name` (or an earlier spelling of it), or nullptr.
const Family* find_family(const std::string& name);
/// The family called `name`; ConfigError listing the known families when there is none.
const Family& family_named(const std::string& name);
/// The known families' names, comma separated, for errors.
std::string family_names();

}  // namespace hybridnet::search
