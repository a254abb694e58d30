// SHA-256 digests in the OCI form "sha256:<64 hex>".
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>
#include <string_view>

#include "base/status.h"

namespace kiln {

// Incremental SHA-256 (OpenSSL EVP).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(const void* data, size_t len);
  void Update(std::string_view s) { Update(s.data(), s.size()); }
  std::string HexDigest();     // finishes; 64 lowercase hex chars
  std::string Digest() { return "sha256:" + HexDigest(); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// SHA-256 whose state can be saved and restored as bytes (OpenSSL's low-level
// SHA256_CTX, same assembly as EVP, SHA-NI where the CPU has it). A state saved
// after a multiple of 64 bytes is exact: restoring it and hashing the rest gives
// the digest of the whole stream. Used to resume layer hashing (cache/layer_hash).
class ResumableSha256 {
 public:
  static constexpr size_t kStateSize = 112;  // sizeof(SHA256_CTX), checked in digest.cc
  ResumableSha256();
  void Update(const void* data, size_t len);
  // The state (kStateSize bytes); Restore(Save()) continues where Save was called.
  std::string Save() const;
  // False when `state` has the wrong size.
  bool Restore(std::string_view state);
  std::string Digest();  // finishes: "sha256:<hex>"
  uint64_t Length() const { return length_; }
  void SetLength(uint64_t n) { length_ = n; }

 private:
  alignas(8) unsigned char ctx_[kStateSize];
  uint64_t length_ = 0;
};

std::string Sha256Hex(std::string_view data);
// "sha256:" + hex.
std::string Sha256Digest(std::string_view data);

// OCI ChainIDs: ChainID(L0) = DiffID(L0); ChainID(L0..n) = sha256(ChainID(L0..n-1) + " " + DiffID(Ln)).
// `chain` "" starts a chain.
std::string NextChainId(const std::string& chain, const std::string& diff_id);
std::string ChainId(const std::vector<std::string>& diff_ids);
// Digest of a file's contents, streamed.
Result<std::string> Sha256File(const std::string& path);

// Checks "sha256:<64 lowercase hex>".
bool IsValidDigest(std::string_view digest);
// The hex part of a digest ("sha256:abc" -> "abc").
std::string_view DigestHex(std::string_view digest);

}  // namespace kiln
