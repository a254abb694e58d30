// Streaming layer compression: uncompressed tar bytes in, compressed bytes out to
// a BlobWriter, while hashing the uncompressed stream (the diffID). No whole-layer
// buffers: memory is bounded by a few MiB per compression thread.
//
// gzip: libdeflate on independent 1 MiB chunks, compressed in parallel and
//   written in order as concatenated gzip members (RFC 1952 allows several
//   members; Go's, zlib's and gzip(1)'s readers all read them as one stream).
//   Deterministic for a given level, whatever the thread count.
// zstd: libzstd's streaming API with its own worker threads (deterministic for a
//   given level: zstd's multi-threaded output does not depend on the worker count).
// uncompressed: passed through; the blob digest equals the diffID.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"
#include "cache/content_store.h"

namespace kiln::cache {

enum class Compression { kUncompressed, kGzip, kZstd };

// "gzip", "zstd", "uncompressed" -> Compression; InvalidArgument names the choices.
Result<Compression> ParseCompression(const std::string& s);
const char* CompressionName(Compression c);
// OCI layer media type for `c` (docker's rootfs.diff.tar.gzip when oci=false and gzip).
std::string LayerMediaType(Compression c, bool oci = true);
// The compression of a layer media type (OCI or docker); InvalidArgument if unknown.
Result<Compression> CompressionOfMediaType(const std::string& media_type);

class LayerCompressor {
 public:
  // level: -1 = default (gzip 6, zstd 3); threads: 0 = number of CPUs.
  static Result<std::unique_ptr<LayerCompressor>> Create(BlobWriter* out, Compression c, int level = -1,
                                                         int threads = 0);
  virtual ~LayerCompressor() = default;
  virtual Status Write(const void* data, size_t len) = 0;
  // Flushes everything into the BlobWriter (which the caller then commits).
  virtual Status Finish() = 0;
  // Valid after Finish.
  virtual std::string DiffId() = 0;
  virtual int64_t UncompressedSize() const = 0;
};

}  // namespace kiln::cache
