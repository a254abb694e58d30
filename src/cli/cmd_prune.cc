// kiln prune, kiln du: garbage collection and disk usage of kiln's root (src/cache/gc.h).
#include <cstdio>
#include <ctime>
#include <memory>

#include "cache/content_store.h"
#include "cache/gc.h"
#include "cache/metadata.h"
#include "cache/snapshotter.h"
#include "cli/app.h"

namespace kiln::cli {
namespace {

struct Store {
  std::unique_ptr<cache::ContentStore> cs;
  std::unique_ptr<cache::MetadataStore> md;
  std::unique_ptr<cache::Snapshotter> sn;
};

Store OpenStore(const GlobalOptions& g) {
  std::string root = g.ResolvedRoot();
  auto cs = cache::OpenLocalContentStore(root);
  if (!cs.ok()) Fail(cs.status());
  auto md = cache::MetadataStore::Open(root);
  if (!md.ok()) Fail(md.status());
  auto sn = cache::OpenSnapshotter(root);
  if (!sn.ok()) Fail(sn.status());
  return {std::move(*cs), std::move(*md), std::move(*sn)};
}

std::string Ago(int64_t t) {
  int64_t d = cache::MetadataStore::Now() - t;
  if (d < 60) return "just now";
  if (d < 3600) return std::to_string(d / 60) + " minutes ago";
  if (d < 86400) return std::to_string(d / 3600) + " hours ago";
  return std::to_string(d / 86400) + " days ago";
}

void RunPrune(const GlobalOptions& g, bool all, const std::string& keep_storage, const std::string& keep_duration) {
  cache::PruneOptions opts;
  opts.all = all;
  if (!keep_storage.empty()) {
    auto s = cache::ParseSize(keep_storage);
    if (!s.ok()) Fail(s.status().WithContext("--keep-storage"));
    opts.keep_storage = *s;
  }
  if (!keep_duration.empty()) {
    auto d = cache::ParseDuration(keep_duration);
    if (!d.ok()) Fail(d.status().WithContext("--keep-duration"));
    opts.keep_duration = *d;
  }
  Store st = OpenStore(g);
  cache::GarbageCollector gc(g.ResolvedRoot(), *st.md, *st.cs, *st.sn);
  auto r = gc.Prune(opts);
  if (!r.ok()) Fail(r.status());
  printf("Deleted %d cache records, %d snapshots, %d blobs\n", r->cache_records, r->snapshots, r->blobs);
  printf("Total reclaimed space: %s\n", cache::FormatSize(r->reclaimed).c_str());
}

void RunDu(const GlobalOptions& g, bool verbose) {
  Store st = OpenStore(g);
  cache::GarbageCollector gc(g.ResolvedRoot(), *st.md, *st.cs, *st.sn);
  auto du = gc.Du();
  if (!du.ok()) Fail(du.status());
  if (!du->records.empty()) {
    printf("%-20s %-11s %-10s %-16s %s\n", "ID", "IN IMAGE", "SIZE", "LAST ACCESSED", "DESCRIPTION");
    for (auto& e : du->records) {
      std::string id = e.key.rfind("sha256:", 0) == 0 ? e.key.substr(7) : e.key;
      if (!verbose && id.size() > 20) id = id.substr(0, 20);
      printf("%-20s %-11s %-10s %-16s %s\n", id.c_str(), e.in_image ? "true" : "false",
             cache::FormatSize(e.size).c_str(), Ago(e.last_used).c_str(), e.description.c_str());
    }
    printf("\n");
  }
  printf("Snapshotter:  %s\n", st.sn->Kind().c_str());
  printf("Blobs:        %s\n", cache::FormatSize(du->content_bytes).c_str());
  printf("Snapshots:    %s\n", cache::FormatSize(du->snapshot_bytes).c_str());
  printf("Images:       %s\n", cache::FormatSize(du->image_bytes).c_str());
  printf("Reclaimable:  %s\n", cache::FormatSize(du->reclaimable()).c_str());
  printf("Total:        %s\n", cache::FormatSize(du->total()).c_str());
}

}  // namespace

void RegisterPrune(CLI::App& app, GlobalOptions& g) {
  auto* prune = app.add_subcommand("prune", "Remove build cache and unreferenced data from kiln's store");
  prune->footer(
      "Deletes cache records (least recently used first) and then every snapshot and blob that no\n"
      "named image, cache record or running build references. Named images are never deleted\n"
      "(use `kiln rm`).\n\n"
      "Examples:\n"
      "  kiln prune                       remove build cache not part of a named image\n"
      "  kiln prune --all                 remove all build cache\n"
      "  kiln prune --keep-storage 10GB   stop once kiln uses at most 10 GB\n"
      "  kiln prune --keep-duration 24h   keep cache used in the last day");
  auto all = std::make_shared<bool>(false);
  auto keep_storage = std::make_shared<std::string>();
  auto keep_duration = std::make_shared<std::string>();
  prune->add_flag("-a,--all", *all, "also remove cache records whose results are layers of named images");
  prune->add_option("--keep-storage", *keep_storage, "amount of disk space to keep (e.g. 10GB, 512MiB)");
  prune->add_option("--keep-duration", *keep_duration, "keep cache used more recently than this (e.g. 24h, 7d)");
  prune->callback([&g, all, keep_storage, keep_duration] { RunPrune(g, *all, *keep_storage, *keep_duration); });

  auto* du = app.add_subcommand("du", "Show disk usage of kiln's store (build cache, blobs, snapshots)");
  auto verbose = std::make_shared<bool>(false);
  du->add_flag("-v,--verbose", *verbose, "print full cache keys");
  du->callback([&g, verbose] { RunDu(g, *verbose); });
}

}  // namespace kiln::cli
