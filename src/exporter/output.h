// `-o/--output` in docker buildx's syntax:
//   type=oci,dest=out.tar[,tar=false]     OCI layout (tarball, or a directory with tar=false)
//   type=docker,dest=out.tar              docker-load-able archive, named from -t / name=
//   type=local,dest=DIR                   the final root filesystem
//   type=tar,dest=FILE                    the same as a tarball
//   type=image,name=REF[,push=true]       kiln's local image store (the default without -o)
//   type=registry,name=REF                type=image with push=true
//   DIR                                   type=local,dest=DIR
//   -                                     type=tar to stdout
// dest=- streams a tar to stdout (oci, docker, tar). Options: compression=gzip|zstd|
// uncompressed, compression-level=N, force-compression=BOOL, oci-mediatypes=BOOL,
// rewrite-timestamp=BOOL, name=A,B (quoted CSV), annotation.KEY=V / annotation-manifest.KEY=V.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace kiln::exporter {

enum class OutputType { kImage, kOci, kDocker, kLocal, kTar };
const char* OutputTypeName(OutputType t);

struct CompressionOptions {
  std::string type = "gzip";        // gzip | zstd | uncompressed
  std::optional<int> level;
  bool force = false;               // recompress existing layers that use another compression
  bool type_set = false;            // compression= was given
  // Set by the image exporter for kiln's own store (no push, no force-compression, no compression= other
  // than uncompressed): new layers are uncompressed and lazy, only hashed at build
  // time and stored on first read (cache/lazy_content.h), as docker's store keeps
  // layers uncompressed. `type` is then "uncompressed".
  bool lazy = false;
  bool operator==(const CompressionOptions&) const = default;
};

struct OutputSpec {
  OutputType type = OutputType::kImage;
  std::string dest;                  // file or directory; "-" = stdout
  std::vector<std::string> names;    // name=...; the CLI adds -t tags when empty
  bool tar = true;                   // oci: false writes a layout directory
  bool push = false;
  CompressionOptions compression;
  std::optional<bool> oci_mediatypes;  // default: true, but false for type=docker
  bool rewrite_timestamp = false;    // clamp file mtimes in new layers to SOURCE_DATE_EPOCH
  std::map<std::string, std::string> manifest_annotations;
  std::map<std::string, std::string> index_annotations;
  bool OciMediaTypes() const { return oci_mediatypes.value_or(type != OutputType::kDocker); }
  bool ToStdout() const { return dest == "-"; }
};

// Parses one -o value; errors say which key or value is wrong and what is accepted.
Result<OutputSpec> ParseOutput(const std::string& value);
// Splits a CSV line as Go's encoding/csv does (double quotes, "" escapes).
Result<std::vector<std::string>> SplitCsv(const std::string& line);
// buildx's KEY=VALUE,KEY=VALUE flag values (-o, --cache-to, --secret, ...): CSV
// fields split at their first '='. InvalidArgument naming `flag` when a field
// has no key or no '='.
Result<std::vector<std::pair<std::string, std::string>>> SplitKeyValues(const std::string& flag,
                                                                        const std::string& value);

}  // namespace kiln::exporter
