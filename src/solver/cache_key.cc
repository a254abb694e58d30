#include "solver/cache_key.h"

#include <nlohmann/json.hpp>

#include "base/digest.h"

namespace kiln::solver {

std::string ComputeCacheKey(const std::string& op_digest, const std::string& extra,
                            const std::vector<KeyInput>& inputs) {
  nlohmann::json j;
  j["v"] = 1;
  j["op"] = op_digest;
  j["extra"] = extra;
  j["inputs"] = nlohmann::json::array();
  for (const auto& in : inputs) {
    nlohmann::json e;
    if (in.content) {
      e["content"] = *in.content;
      e["paths"] = in.paths;
    } else {
      e["key"] = in.key;
    }
    j["inputs"].push_back(std::move(e));
  }
  return Sha256Digest(j.dump());  // nlohmann::json objects keep keys sorted
}

std::string SimilarKey(const std::string& op_digest, const std::string& extra, std::vector<KeyInput> inputs) {
  bool any = false;
  for (auto& in : inputs)
    if (in.content) {
      in.content = "*";
      any = true;
    }
  return any ? ComputeCacheKey(op_digest, extra, inputs) : std::string();
}

std::string OutputKey(const std::string& op_key, int output) {
  return output == 0 ? op_key : op_key + "#" + std::to_string(output);
}

}  // namespace kiln::solver
