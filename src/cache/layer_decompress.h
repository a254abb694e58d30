// Streams a layer blob's uncompressed tar bytes, detecting gzip (including
// concatenated members), zstd or plain tar by magic bytes, and hashes them (the
// diffID) as they pass.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"

namespace kiln::cache {

class LayerDecompressor {
 public:
  // Takes ownership of `fd`. `name` is used in errors.
  static Result<std::unique_ptr<LayerDecompressor>> Open(int fd, const std::string& name);
  virtual ~LayerDecompressor() = default;
  // Up to `cap` uncompressed bytes; 0 at the end.
  virtual Result<size_t> Read(void* buf, size_t cap) = 0;
  // Digest of everything read so far (call after reading to the end).
  virtual std::string DiffId() = 0;
  virtual int64_t UncompressedSize() const = 0;
};

}  // namespace kiln::cache
