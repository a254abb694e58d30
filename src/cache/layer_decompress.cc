#include "cache/layer_decompress.h"

#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "base/digest.h"

namespace kiln::cache {
namespace {

enum class Format { kTar, kGzip, kZstd };

class Decompressor : public LayerDecompressor {
 public:
  Decompressor(int fd, std::string name) : fd_(fd), name_(std::move(name)), in_(1 << 17) {}
  ~Decompressor() override {
    close(fd_);
    if (format_ == Format::kGzip) inflateEnd(&zs_);
    if (dctx_) ZSTD_freeDCtx(dctx_);
  }

  Status Init() {
    RETURN_IF_ERROR(Fill());
    const unsigned char* p = in_.data() + in_pos_;
    size_t n = in_len_ - in_pos_;
    if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b) {
      format_ = Format::kGzip;
      memset(&zs_, 0, sizeof zs_);
      if (inflateInit2(&zs_, 15 + 16) != Z_OK) return Status::Internal("zlib: inflateInit2 failed");
    } else if (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd) {
      format_ = Format::kZstd;
      dctx_ = ZSTD_createDCtx();
      if (!dctx_) return Status::Internal("zstd: cannot allocate a decompression context");
    }
    return Status::OK();
  }

  Result<size_t> Read(void* buf, size_t cap) override {
    ASSIGN_OR_RETURN(size_t n, ReadRaw(static_cast<unsigned char*>(buf), cap));
    hash_.Update(buf, n);
    size_ += static_cast<int64_t>(n);
    return n;
  }
  std::string DiffId() override {
    if (diff_id_.empty()) diff_id_ = hash_.Digest();
    return diff_id_;
  }
  int64_t UncompressedSize() const override { return size_; }

 private:
  Status Fill() {
    if (in_pos_ < in_len_) return Status::OK();
    for (;;) {
      ssize_t n = read(fd_, in_.data(), in_.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Status::FromErrno(errno, "read", name_);
      in_pos_ = 0;
      in_len_ = static_cast<size_t>(n);
      eof_ = n == 0;
      return Status::OK();
    }
  }

  Result<size_t> ReadRaw(unsigned char* out, size_t cap) {
    for (;;) {
      RETURN_IF_ERROR(Fill());
      if (format_ == Format::kTar) {
        size_t n = std::min(cap, in_len_ - in_pos_);
        memcpy(out, in_.data() + in_pos_, n);
        in_pos_ += n;
        return n;
      }
      if (eof_ && in_pos_ >= in_len_) {
        if (format_ == Format::kGzip && mid_member_)
          return Status::Corruption("layer `" + name_ + "`: gzip stream is truncated");
        if (format_ == Format::kZstd && zstd_pending_)
          return Status::Corruption("layer `" + name_ + "`: zstd stream is truncated");
        return size_t{0};
      }
      size_t produced = 0;
      if (format_ == Format::kGzip && !mid_member_) {
        // Between members: some writers pad the stream with zeros.
        while (in_pos_ < in_len_ && in_[in_pos_] == 0) in_pos_++;
        if (in_pos_ == in_len_) continue;
      }
      if (format_ == Format::kGzip) {
        zs_.next_in = in_.data() + in_pos_;
        zs_.avail_in = static_cast<uInt>(in_len_ - in_pos_);
        zs_.next_out = out;
        zs_.avail_out = static_cast<uInt>(cap);
        int rc = inflate(&zs_, Z_NO_FLUSH);
        in_pos_ = in_len_ - zs_.avail_in;
        produced = cap - zs_.avail_out;
        mid_member_ = true;
        if (rc == Z_STREAM_END) {
          mid_member_ = false;
          inflateReset(&zs_);  // another member may follow
        } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
          return Status::Corruption("layer `" + name_ + "`: bad gzip data: " + (zs_.msg ? zs_.msg : "?"));
        }
      } else {
        ZSTD_inBuffer ib{in_.data(), in_len_, in_pos_};
        ZSTD_outBuffer ob{out, cap, 0};
        size_t rc = ZSTD_decompressStream(dctx_, &ob, &ib);
        if (ZSTD_isError(rc))
          return Status::Corruption("layer `" + name_ + "`: bad zstd data: " + ZSTD_getErrorName(rc));
        in_pos_ = ib.pos;
        produced = ob.pos;
        zstd_pending_ = rc != 0;
      }
      if (produced > 0) return produced;
    }
  }

  int fd_;
  std::string name_;
  std::vector<unsigned char> in_;
  size_t in_pos_ = 0, in_len_ = 0;
  bool eof_ = false;
  Format format_ = Format::kTar;
  z_stream zs_{};
  bool mid_member_ = false;
  ZSTD_DCtx* dctx_ = nullptr;
  bool zstd_pending_ = false;
  Sha256 hash_;
  std::string diff_id_;
  int64_t size_ = 0;
};

}  // namespace

Result<std::unique_ptr<LayerDecompressor>> LayerDecompressor::Open(int fd, const std::string& name) {
  auto d = std::make_unique<Decompressor>(fd, name);
  RETURN_IF_ERROR(d->Init());
  return std::unique_ptr<LayerDecompressor>(std::move(d));
}

}  // namespace kiln::cache
