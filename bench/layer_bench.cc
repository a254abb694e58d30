// Layer export throughput: diffs DIR against nothing (every file is new), writes it
// as one OCI layer with the given compression into a scratch content store, and
// prints size, digests and wall time. Run under /usr/bin/time -v for peak RSS.
//   kiln_layer_bench DIR gzip|zstd|uncompressed [LEVEL] [THREADS]
//   kiln_layer_bench DIR hash      the digest only, as kiln's local store computes it
//                                  (the uncompressed tar hashed, nothing stored)
// The scratch store is $TMPDIR/kiln-layer-bench-*, removed at exit.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "base/fs.h"
#include "cache/content_store.h"
#include "cache/layer_hash.h"
#include "cache/layer_writer.h"

int main(int argc, char** argv) {
  using namespace kiln;
  if (argc < 3) {
    fprintf(stderr, "usage: %s DIR gzip|zstd|uncompressed [LEVEL] [THREADS]\n", argv[0]);
    return 2;
  }
  bool hash_only = std::string(argv[2]) == "hash";
  auto comp = cache::ParseCompression(hash_only ? "uncompressed" : argv[2]);
  if (!comp.ok()) {
    fprintf(stderr, "error: %s\n", comp.status().ToString().c_str());
    return 2;
  }
  cache::LayerOptions opts;
  opts.compression = *comp;
  if (argc > 3) opts.level = atoi(argv[3]);
  if (argc > 4) opts.threads = atoi(argv[4]);
  auto tmp = TempDir::Create("kiln-layer-bench");
  if (!tmp.ok()) return 1;
  auto store = cache::OpenLocalContentStore(tmp->path());
  if (!store.ok()) return 1;
  auto start = std::chrono::steady_clock::now();
  auto changes = cache::DiffDirectories("", argv[1]);
  if (!changes.ok()) {
    fprintf(stderr, "error: %s\n", changes.status().ToString().c_str());
    return 1;
  }
  double diff_secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto rec = hash_only ? cache::HashLayerTar(*changes, "", "", true) : cache::WriteLayer(*changes, **store, opts);
  if (!rec.ok()) {
    fprintf(stderr, "error: %s\n", rec.status().ToString().c_str());
    return 1;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  printf("%s: %zu entries, %lld bytes, %.3f s (diff %.3f s)\n  digest  %s\n  diffID  %s\n", argv[2], changes->size(),
         static_cast<long long>(rec->size), secs, diff_secs, rec->digest.c_str(), rec->diff_id.c_str());
  return 0;
}
