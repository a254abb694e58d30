#include "cache/layer_compress.h"

#include <libdeflate.h>
#include <zstd.h>

#include <algorithm>
#include <deque>
#include <future>
#include <thread>
#include <vector>

#include "base/digest.h"
#include "base/oci.h"

namespace kiln::cache {

Result<Compression> ParseCompression(const std::string& s) {
  if (s == "gzip") return Compression::kGzip;
  if (s == "zstd") return Compression::kZstd;
  if (s == "uncompressed") return Compression::kUncompressed;
  return Status::InvalidArgument("unknown compression `" + s + "`: expected gzip, zstd or uncompressed");
}

const char* CompressionName(Compression c) {
  switch (c) {
    case Compression::kGzip: return "gzip";
    case Compression::kZstd: return "zstd";
    case Compression::kUncompressed: return "uncompressed";
  }
  return "?";
}

std::string LayerMediaType(Compression c, bool oci) {
  switch (c) {
    case Compression::kGzip: return oci ? oci::kMediaTypeLayerGzip : oci::kDockerLayerGzip;
    case Compression::kZstd: return oci::kMediaTypeLayerZstd;
    case Compression::kUncompressed:
      return oci ? oci::kMediaTypeLayer : "application/vnd.docker.image.rootfs.diff.tar";
  }
  return oci::kMediaTypeLayer;
}

Result<Compression> CompressionOfMediaType(const std::string& mt) {
  if (mt == oci::kMediaTypeLayerGzip || mt == oci::kDockerLayerGzip ||
      mt == "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip" ||
      mt == "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip")
    return Compression::kGzip;
  if (mt == oci::kMediaTypeLayerZstd || mt == "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd")
    return Compression::kZstd;
  if (mt == oci::kMediaTypeLayer || mt == "application/vnd.docker.image.rootfs.diff.tar" ||
      mt == "application/vnd.oci.image.layer.nondistributable.v1.tar")
    return Compression::kUncompressed;
  return Status::InvalidArgument("unknown layer media type `" + mt + "`");
}

namespace {

int Threads(int threads) {
  if (threads > 0) return threads;
  unsigned n = std::thread::hardware_concurrency();
  return n ? static_cast<int>(n) : 1;
}

class Base : public LayerCompressor {
 public:
  explicit Base(BlobWriter* out) : out_(out) {}
  Status Write(const void* data, size_t len) override {
    diff_.Update(data, len);
    size_ += static_cast<int64_t>(len);
    return Consume(static_cast<const char*>(data), len);
  }
  std::string DiffId() override {
    if (diff_id_.empty()) diff_id_ = diff_.Digest();
    return diff_id_;
  }
  int64_t UncompressedSize() const override { return size_; }

 protected:
  virtual Status Consume(const char* data, size_t len) = 0;
  BlobWriter* out_;

 private:
  Sha256 diff_;
  std::string diff_id_;
  int64_t size_ = 0;
};

class Passthrough : public Base {
 public:
  using Base::Base;
  Status Finish() override { return Status::OK(); }

 protected:
  Status Consume(const char* data, size_t len) override { return out_->Write(data, len); }
};

// Parallel gzip: each 1 MiB chunk becomes one gzip member.
class Gzip : public Base {
 public:
  Gzip(BlobWriter* out, int level, int threads) : Base(out), level_(level), max_inflight_(threads + 1) {
    chunk_.reserve(kChunk);
  }
  ~Gzip() override {
    for (auto& f : inflight_) f.wait();
  }
  Status Finish() override {
    if (!chunk_.empty()) Submit();
    while (!inflight_.empty()) RETURN_IF_ERROR(WriteFront());
    return Status::OK();
  }

 protected:
  Status Consume(const char* data, size_t len) override {
    while (len > 0) {
      size_t n = std::min(len, kChunk - chunk_.size());
      chunk_.insert(chunk_.end(), data, data + n);
      data += n;
      len -= n;
      if (chunk_.size() == kChunk) {
        Submit();
        if (inflight_.size() >= max_inflight_) RETURN_IF_ERROR(WriteFront());
      }
    }
    return Status::OK();
  }

 private:
  static constexpr size_t kChunk = 1 << 20;

  void Submit() {
    int level = level_;
    inflight_.push_back(std::async(std::launch::async, [in = std::move(chunk_), level]() -> Result<std::vector<char>> {
      libdeflate_compressor* c = libdeflate_alloc_compressor(level);
      if (!c) return Status::Internal("libdeflate: cannot allocate a compressor at level " + std::to_string(level));
      std::vector<char> out(libdeflate_gzip_compress_bound(c, in.size()));
      size_t n = libdeflate_gzip_compress(c, in.data(), in.size(), out.data(), out.size());
      libdeflate_free_compressor(c);
      if (n == 0) return Status::Internal("libdeflate: gzip compression failed");
      out.resize(n);
      return out;
    }));
    chunk_ = std::vector<char>();
    chunk_.reserve(kChunk);
  }

  Status WriteFront() {
    Result<std::vector<char>> r = inflight_.front().get();
    inflight_.pop_front();
    if (!r.ok()) return r.status();
    return out_->Write(r->data(), r->size());
  }

  int level_;
  size_t max_inflight_;
  std::vector<char> chunk_;
  std::deque<std::future<Result<std::vector<char>>>> inflight_;
};

class Zstd : public Base {
 public:
  Zstd(BlobWriter* out, ZSTD_CCtx* cctx) : Base(out), cctx_(cctx), buf_(ZSTD_CStreamOutSize()) {}
  ~Zstd() override { ZSTD_freeCCtx(cctx_); }
  Status Finish() override { return Drive(nullptr, 0, ZSTD_e_end); }

 protected:
  Status Consume(const char* data, size_t len) override { return Drive(data, len, ZSTD_e_continue); }

 private:
  Status Drive(const char* data, size_t len, ZSTD_EndDirective mode) {
    ZSTD_inBuffer in{data, len, 0};
    for (;;) {
      ZSTD_outBuffer out{buf_.data(), buf_.size(), 0};
      size_t rem = ZSTD_compressStream2(cctx_, &out, &in, mode);
      if (ZSTD_isError(rem)) return Status::Internal(std::string("zstd: ") + ZSTD_getErrorName(rem));
      if (out.pos > 0) RETURN_IF_ERROR(out_->Write(buf_.data(), out.pos));
      bool done = mode == ZSTD_e_end ? rem == 0 : in.pos == in.size;
      if (done) return Status::OK();
    }
  }
  ZSTD_CCtx* cctx_;
  std::vector<char> buf_;
};

}  // namespace

Result<std::unique_ptr<LayerCompressor>> LayerCompressor::Create(BlobWriter* out, Compression c, int level,
                                                                 int threads) {
  switch (c) {
    case Compression::kUncompressed:
      return std::unique_ptr<LayerCompressor>(std::make_unique<Passthrough>(out));
    case Compression::kGzip: {
      if (level < 0) level = 6;
      if (level > 12) return Status::InvalidArgument("gzip compression level " + std::to_string(level) + ": expected 0-12");
      return std::unique_ptr<LayerCompressor>(std::make_unique<Gzip>(out, level, Threads(threads)));
    }
    case Compression::kZstd: {
      if (level < 0) level = 3;
      if (level > ZSTD_maxCLevel())
        return Status::InvalidArgument("zstd compression level " + std::to_string(level) + ": expected 0-" +
                                       std::to_string(ZSTD_maxCLevel()));
      ZSTD_CCtx* cctx = ZSTD_createCCtx();
      if (!cctx) return Status::Internal("zstd: cannot allocate a compression context");
      ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level);
      ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 0);
      // nbWorkers >= 1 always: zstd's output then does not depend on the worker
      // count (0, the single-threaded mode, would give different bytes).
      ZSTD_CCtx_setParameter(cctx, ZSTD_c_nbWorkers, std::max(1, Threads(threads)));
      return std::unique_ptr<LayerCompressor>(std::make_unique<Zstd>(out, cctx));
    }
  }
  return Status::InvalidArgument("unknown compression");
}

}  // namespace kiln::cache
