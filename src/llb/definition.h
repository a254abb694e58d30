// Definition: a DAG of ops with canonical digests, its metadata and the image
// config the frontend computed for the target.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "llb/op.h"

namespace kiln::llb {

// Canonical bytes of an op: compact JSON with sorted keys, inputs by digest.
std::string CanonicalBytes(const Op& op);
// "sha256:" + SHA-256 of CanonicalBytes(op).
std::string OpDigest(const Op& op);

nlohmann::json OpToJson(const Op& op);
Result<Op> OpFromJson(const nlohmann::json& j);

struct Definition {
  // Topological order: every op's inputs come before it.
  std::vector<std::string> order;           // op digests
  std::map<std::string, Op> ops;            // digest -> op
  std::map<std::string, OpMetadata> metadata;  // digest -> metadata
  std::optional<Edge> output;              // the target's root filesystem; empty = scratch
  std::string source_file;                 // the Dockerfile's name, for the source map
  std::string source_text;                 // the Dockerfile's text
  // The OCI image config for the target (architecture, os, config, history; no rootfs):
  // exporters add rootfs.diff_ids and match history entries with layers
  // (entries with "empty_layer": true have none).
  nlohmann::json image_config = nlohmann::json::object();
  // Extra metadata for exporters and the CLI (e.g. "target", "platform").
  std::map<std::string, std::string> attrs;
  // BuildKit build checks only lowering can tell (InvalidBaseImagePlatform: the base
  // image's config names another platform); the CLI reports them with the others.
  struct CheckWarning {
    std::string rule, message;
    int line = 0;
  };
  std::vector<CheckWarning> check_warnings;
};

// Builds a Definition op by op; adding an op that exists returns its digest.
class DefinitionBuilder {
 public:
  // Returns the op's edge (output 0). Inputs must already be added.
  Edge Add(Op op, OpMetadata meta = {});
  // Merges metadata into an existing op (e.g. a second description).
  Definition Finish(std::optional<Edge> output) &&;

 private:
  Definition def_;
};

// Serialisation of a whole Definition (kiln graph --format json; future cache export).
nlohmann::json DefinitionToJson(const Definition& def);
Result<Definition> DefinitionFromJson(const nlohmann::json& j);
// Checks references, order and digests.
Status Validate(const Definition& def);
// Graphviz dot.
std::string DefinitionToDot(const Definition& def);

}  // namespace kiln::llb
