#include "base/digest.h"

#include <fcntl.h>
#include <openssl/evp.h>
// The low-level SHA256_* API is deprecated in OpenSSL 3 but present; it is the only
// one whose state can be copied (EVP contexts are opaque). Silenced here only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <openssl/sha.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/fs.h"

namespace kiln {

struct Sha256::Impl {
  EVP_MD_CTX* ctx = nullptr;
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
  impl_->ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr);
}

Sha256::~Sha256() { EVP_MD_CTX_free(impl_->ctx); }

void Sha256::Update(const void* data, size_t len) { EVP_DigestUpdate(impl_->ctx, data, len); }

std::string Sha256::HexDigest() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(impl_->ctx, md, &n);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (unsigned i = 0; i < n; i++) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
  return out;
}

static_assert(sizeof(SHA256_CTX) == ResumableSha256::kStateSize, "SHA256_CTX size changed");

ResumableSha256::ResumableSha256() { SHA256_Init(reinterpret_cast<SHA256_CTX*>(ctx_)); }

void ResumableSha256::Update(const void* data, size_t len) {
  SHA256_Update(reinterpret_cast<SHA256_CTX*>(ctx_), data, len);
  length_ += len;
}

std::string ResumableSha256::Save() const { return std::string(reinterpret_cast<const char*>(ctx_), kStateSize); }

bool ResumableSha256::Restore(std::string_view state) {
  if (state.size() != kStateSize) return false;
  memcpy(ctx_, state.data(), kStateSize);
  return true;
}

std::string ResumableSha256::Digest() {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256_Final(md, reinterpret_cast<SHA256_CTX*>(ctx_));
  static const char* kHex = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned char c : md) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

#pragma GCC diagnostic pop

std::string Sha256Hex(std::string_view data) {
  Sha256 h;
  h.Update(data);
  return h.HexDigest();
}

std::string Sha256Digest(std::string_view data) { return "sha256:" + Sha256Hex(data); }

Result<std::string> Sha256File(const std::string& path) {
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Status::FromErrno(errno, "open", path);
  Sha256 h;
  RETURN_IF_ERROR(ReadChunks(fd.get(), path, [&](const char* p, size_t n) {
    h.Update(p, n);
    return Status::OK();
  }, 1 << 16));
  return h.Digest();
}

bool IsValidDigest(std::string_view d) {
  if (d.size() != 71 || d.substr(0, 7) != "sha256:") return false;
  for (char c : d.substr(7)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string_view DigestHex(std::string_view d) {
  auto pos = d.find(':');
  return pos == std::string_view::npos ? d : d.substr(pos + 1);
}

std::string NextChainId(const std::string& chain, const std::string& diff_id) {
  return chain.empty() ? diff_id : Sha256Digest(chain + " " + diff_id);
}

std::string ChainId(const std::vector<std::string>& diff_ids) {
  std::string chain;
  for (const auto& d : diff_ids) chain = NextChainId(chain, d);
  return chain;
}

}  // namespace kiln
