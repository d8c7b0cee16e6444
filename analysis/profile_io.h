// JSON round trip of a Profile, so that a sweep profiles its baseline once and stores the result
// (search artefacts in the database) instead of capturing activations again on resume.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "analysis/profile.h"

namespace hybridnet::analysis {

nlohmann::json profile_to_json(const Profile& profile);
/// Throws DataError naming `where` when the JSON is not a profile.
Profile profile_from_json(const nlohmann::json& j, const std::string& where);

}  // namespace hybridnet::analysis
