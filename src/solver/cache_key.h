// Cache keys: what makes two ops' results interchangeable.
//
//   key = "sha256:" + SHA-256 of the canonical JSON
//     {"v":1, "op": OP_DIGEST, "extra": CacheMap.extra,
//      "inputs": [ {"key": INPUT_KEY} | {"content": CHECKSUM, "paths": [...]} , ... ]}
//
// where INPUT_KEY is the producing op's cache key (suffixed "#N" for output N
// > 0), and CHECKSUM the input value's ContentChecksum over `paths` for inputs
// keyed on content (build contexts, see context_checksum.h). The format is
// documented in docs/cache-keys.md.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace kiln::solver {

struct KeyInput {
  std::string key;                      // the input's cache key, or
  std::optional<std::string> content;   // its content checksum
  std::vector<std::string> paths;       // the paths the checksum covers
};

std::string ComputeCacheKey(const std::string& op_digest, const std::string& extra,
                            const std::vector<KeyInput>& inputs);

// The key the op would have whatever the content of its content-keyed inputs:
// ComputeCacheKey with every content checksum replaced by "*" (the paths stay).
// "" when no input is keyed on content. Results of runs with the same similar
// key differ only in those inputs' content (incremental COPY, docs/cache-keys.md).
std::string SimilarKey(const std::string& op_digest, const std::string& extra, std::vector<KeyInput> inputs);

// The key of output `output` of an op whose key is `op_key`.
std::string OutputKey(const std::string& op_key, int output);

}  // namespace kiln::solver
