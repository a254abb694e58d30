// kiln images, rm, tag, inspect, save, prune, du: kiln's local image store.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>

#include "base/digest.h"
#include "base/source_date_epoch.h"
#include "base/fs.h"
#include "base/reference.h"
#include "cache/content_store.h"
#include "cache/gc.h"
#include "cache/metadata.h"
#include "cache/snapshotter.h"
#include "build/export.h"
#include "cli/app.h"
#include "cli/stores.h"
#include "cli/registry_cli.h"
#include "exporter/dir_result.h"
#include "exporter/exporter.h"
#include "exporter/image.h"
#include "exporter/image_store.h"
#include "registry/client.h"
#include "registry/push.h"
#include "solver/progress.h"

namespace kiln::cli {
namespace {

struct Stores {
  std::string root;
  std::unique_ptr<cache::ContentStore> content;
  std::unique_ptr<cache::MetadataStore> metadata;
};

Stores OpenStores(const GlobalOptions& g) {
  Stores s;
  s.root = g.ResolvedRoot();
  auto md = cache::MetadataStore::Open(s.root);
  if (!md.ok()) Fail(md.status().WithContext("open kiln's metadata under " + s.root));
  s.metadata = std::move(md.value());
  auto cs = OpenContentStore(s.root, s.metadata.get());
  if (!cs.ok()) Fail(cs.status().WithContext("open kiln's content store under " + s.root));
  s.content = std::move(cs.value());
  return s;
}

std::string ShortId(const std::string& digest, bool no_trunc) {
  std::string hex(DigestHex(digest));
  return no_trunc ? digest : hex.substr(0, 12);
}

std::string Ago(int64_t created_ns) {
  if (created_ns <= 0) return "N/A";
  int64_t secs = time(nullptr) - created_ns / 1000000000;
  if (secs < 0) secs = 0;
  auto plural = [](int64_t n, const char* unit) {
    return std::to_string(n) + " " + unit + (n == 1 ? "" : "s") + " ago";
  };
  if (secs < 60) return secs <= 1 ? "Less than a second ago" : plural(secs, "second");
  if (secs < 3600) return plural(secs / 60, "minute");
  if (secs < 86400 * 2) return plural(secs / 3600, "hour");
  if (secs < 86400 * 14) return plural(secs / 86400, "day");
  if (secs < 86400 * 60) return plural(secs / (86400 * 7), "week");
  if (secs < 86400 * 365 * 2) return plural(secs / (86400 * 30), "month");
  return plural(secs / (86400 * 365), "year");
}

void RegisterImagesCmd(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("images", "List the images in kiln's local store");
  cmd->alias("ls");
  struct Opts {
    std::string filter;
    bool quiet = false, digests = false, no_trunc = false;
    std::string format = "table";
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("REPOSITORY", o->filter, "only images of this repository (optionally :TAG)");
  cmd->add_flag("-q,--quiet", o->quiet, "print image IDs only");
  cmd->add_flag("--digests", o->digests, "show manifest digests");
  cmd->add_flag("--no-trunc", o->no_trunc, "do not shorten IDs");
  cmd->add_option("--format", o->format, "table or json")->check(CLI::IsMember({"table", "json"}));
  cmd->callback([&g, o] {
    Stores s = OpenStores(g);
    exporter::ImageStore store(*s.content, *s.metadata);
    auto list = store.List();
    if (!list.ok()) Fail(list.status());
    std::optional<Reference> want;
    bool want_tag = false;
    if (!o->filter.empty()) {
      auto r = ParseReference(o->filter);
      if (!r.ok()) Fail(r.status());
      want = *r;
      want_tag = o->filter.find(':', o->filter.rfind('/') == std::string::npos ? 0 : o->filter.rfind('/')) != std::string::npos;
    }
    nlohmann::json json = nlohmann::json::array();
    if (o->format == "table" && !o->quiet) {
      printf("%-40s %-15s %s%-14s %-24s %s\n", "REPOSITORY", "TAG", o->digests ? "DIGEST                                                                    " : "",
             "IMAGE ID", "CREATED", "SIZE");
    }
    for (const auto& img : *list) {
      for (const auto& n : img.names) {
        auto ref = ParseReference(n);
        if (!ref.ok()) continue;
        if (want && (ref->Repository() != want->Repository() || (want_tag && ref->tag != want->tag))) continue;
        std::string familiar = ref->Familiar();
        std::string repo = familiar.substr(0, familiar.rfind(':'));
        if (o->quiet) {
          printf("%s\n", ShortId(img.id, o->no_trunc).c_str());
          break;
        }
        if (o->format == "json") {
          json.push_back({{"Repository", repo}, {"Tag", ref->tag}, {"Name", n}, {"ID", img.id},
                          {"Digest", img.target.digest}, {"Created", img.config.value("created", "")},
                          {"Size", img.size}});
          continue;
        }
        printf("%-40s %-15s %s%-14s %-24s %s\n", repo.c_str(), ref->tag.c_str(),
               o->digests ? (img.target.digest + " ").c_str() : "", ShortId(img.id, o->no_trunc).c_str(),
               Ago(img.created_ns).c_str(), cache::FormatSize(img.size).c_str());
      }
    }
    if (o->format == "json" && !o->quiet) printf("%s\n", json.dump(2).c_str());
  });
}

void RegisterRm(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("rm", "Remove image names from kiln's local store (`kiln prune` frees the space)");
  cmd->alias("rmi");
  auto images = std::make_shared<std::vector<std::string>>();
  auto force = std::make_shared<bool>(false);
  cmd->add_option("IMAGE", *images, "image names or IDs")->required();
  cmd->add_flag("-f,--force", *force, "remove every name of an image given by ID");
  cmd->callback([&g, images, force] {
    Stores s = OpenStores(g);
    exporter::ImageStore store(*s.content, *s.metadata);
    int failed = 0;
    for (const auto& i : *images) {
      auto r = store.Remove(i, *force);
      if (!r.ok()) {
        fprintf(stderr, "error: %s\n", r.status().ToString().c_str());
        ++failed;
        continue;
      }
      for (const auto& n : *r) {
        auto ref = ParseReference(n);
        printf("Untagged: %s\n", ref.ok() ? ref->Familiar().c_str() : n.c_str());
      }
    }
    if (failed) Exit(1);
  });
}

void RegisterTag(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("tag", "Give an image in kiln's local store another name");
  auto src = std::make_shared<std::string>();
  auto dst = std::make_shared<std::string>();
  cmd->add_option("SOURCE", *src, "image name or ID")->required();
  cmd->add_option("TARGET", *dst, "new name, e.g. registry.example:5000/team/app:1.0")->required();
  cmd->callback([&g, src, dst] {
    Stores s = OpenStores(g);
    exporter::ImageStore store(*s.content, *s.metadata);
    if (Status st = store.Tag(*src, *dst); !st.ok()) Fail(st);
  });
}

// True for references that spell out a registry host ("localhost:5000/a", "ghcr.io/x/y"):
// only those fall back to the registry when not in the local store; "busybox" needs --remote.
bool NamesRegistryHost(const std::string& s) {
  if (!ParseReference(s).ok()) return false;
  size_t slash = s.find('/');
  if (slash == std::string::npos) return false;
  std::string first = s.substr(0, slash);
  return first == "localhost" || first.find('.') != std::string::npos || first.find(':') != std::string::npos;
}

void RegisterInspect(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("inspect", "Show an image's manifest and config as JSON (like skopeo/docker inspect)");
  cmd->footer("Looks IMAGE up in kiln's local store (by name, ID or digest); a reference that is not there and\n"
              "naming its registry host (e.g. localhost:5000/app:1), or any reference with --remote, is inspected\n"
              "in its registry.");
  struct Opts {
    std::vector<std::string> images;
    std::string raw, platform;
    bool remote = false;
    RegistryFlags reg;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("IMAGE", o->images, "image names or IDs")->required();
  cmd->add_option("--raw", o->raw, "print a raw blob of a local image instead: manifest or config")
      ->check(CLI::IsMember({"manifest", "config"}));
  cmd->add_flag("--remote", o->remote, "inspect the image in its registry, not the local store");
  cmd->add_option("--platform", o->platform, "platform of a multi-platform remote image (default: this machine)");
  AddRegistryFlags(cmd, o->reg);
  cmd->callback([&g, o] {
    if (o->remote) {
      for (const auto& i : o->images) {
        if (Status st = InspectRemoteImage(g, o->reg, i, o->platform); !st.ok()) Fail(st);
      }
      return;
    }
    Stores s = OpenStores(g);
    exporter::ImageStore store(*s.content, *s.metadata);
    nlohmann::json out = nlohmann::json::array();
    for (const auto& i : o->images) {
      auto img = store.Resolve(i);
      if (!img.ok() && img.status().IsNotFound() && o->raw.empty() && o->images.size() == 1 &&
          NamesRegistryHost(i)) {
        if (Status st = InspectRemoteImage(g, o->reg, i, o->platform); !st.ok()) {
          Fail(st.WithContext(i + " is not in kiln's local store, and the registry lookup failed"));
        }
        return;
      }
      if (!img.ok()) Fail(img.status());
      if (!o->raw.empty()) {
        auto blob = s.content->Read(o->raw == "manifest" ? img->manifest.digest : img->id);
        if (!blob.ok()) Fail(blob.status());
        fwrite(blob->data(), 1, blob->size(), stdout);
        printf("\n");
        continue;
      }
      out.push_back(store.Inspect(*img));
    }
    if (o->raw.empty()) printf("%s\n", out.dump(4).c_str());
  });
}

void RegisterSave(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("save", "Write images to a tar archive (docker load-able, or an OCI layout)");
  struct Opts {
    std::vector<std::string> images;
    std::string output = "-";
    std::string format = "docker";
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("IMAGE", o->images, "image names or IDs")->required();
  cmd->add_option("-o,--output", o->output, "archive file (default: stdout)");
  cmd->add_option("--format", o->format, "docker (docker load) or oci (OCI image layout)")
      ->check(CLI::IsMember({"docker", "oci"}));
  cmd->callback([&g, o] {
    if (o->output == "-" && isatty(1)) {
      Fail(Status::InvalidArgument("refusing to write an archive to a terminal").WithHint("use -o FILE or redirect stdout"));
    }
    Stores s = OpenStores(g);
    exporter::ImageStore store(*s.content, *s.metadata);
    fflush(stdout);
    if (Status st = store.Save(o->images, o->format == "docker", o->output); !st.ok()) Fail(st);
  });
}

struct GcStores {
  Stores s;
  std::unique_ptr<cache::Snapshotter> snapshots;
};

GcStores OpenGc(const GlobalOptions& g) {
  GcStores gs{OpenStores(g), nullptr};
  auto sn = cache::OpenSnapshotter(gs.s.root);
  if (!sn.ok()) Fail(sn.status().WithContext("open kiln's snapshots under " + gs.s.root));
  gs.snapshots = std::move(sn.value());
  return gs;
}

void RegisterPrune(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("prune", "Remove build cache and data no image references");
  struct Opts {
    bool all = false;
    std::string keep_storage, keep_duration;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_flag("-a,--all", o->all, "also remove cache records that named images use");
  cmd->add_option("--keep-storage", o->keep_storage, "keep this much cache (e.g. 10GB)");
  cmd->add_option("--keep-duration", o->keep_duration, "keep cache used within this time (e.g. 24h)");
  cmd->callback([&g, o] {
    cache::PruneOptions opts;
    opts.all = o->all;
    if (!o->keep_storage.empty()) {
      auto v = cache::ParseSize(o->keep_storage);
      if (!v.ok()) Fail(v.status().WithContext("--keep-storage"));
      opts.keep_storage = *v;
    }
    if (!o->keep_duration.empty()) {
      auto v = cache::ParseDuration(o->keep_duration);
      if (!v.ok()) Fail(v.status().WithContext("--keep-duration"));
      opts.keep_duration = *v;
    }
    GcStores gs = OpenGc(g);
    cache::GarbageCollector gc(gs.s.root, *gs.s.metadata, *gs.s.content, *gs.snapshots);
    auto r = gc.Prune(opts);
    if (!r.ok()) Fail(r.status());
    printf("Deleted %d cache records, %d snapshots, %d blobs\n", r->cache_records, r->snapshots, r->blobs);
    printf("Total reclaimed space: %s\n", cache::FormatSize(r->reclaimed).c_str());
  });
}

void RegisterDu(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("du", "Show the disk space kiln's images and build cache use");
  auto verbose = std::make_shared<bool>(false);
  cmd->add_flag("-v,--verbose", *verbose, "list every cache record");
  cmd->callback([&g, verbose] {
    GcStores gs = OpenGc(g);
    cache::GarbageCollector gc(gs.s.root, *gs.s.metadata, *gs.s.content, *gs.snapshots);
    auto du = gc.Du();
    if (!du.ok()) Fail(du.status());
    if (*verbose) {
      printf("%-14s %-10s %-8s %s\n", "ID", "SIZE", "IN IMAGE", "DESCRIPTION");
      for (const auto& r : du->records) {
        std::string id(DigestHex(r.key));
        printf("%-14s %-10s %-8s %s\n", id.substr(0, 12).c_str(), cache::FormatSize(r.size).c_str(),
               r.in_image ? "yes" : "no", r.description.c_str());
      }
      printf("\n");
    }
    printf("%-16s %s\n", "Images:", cache::FormatSize(du->image_bytes).c_str());
    printf("%-16s %s\n", "Blobs:", cache::FormatSize(du->content_bytes).c_str());
    printf("%-16s %s\n", "Snapshots:", cache::FormatSize(du->snapshot_bytes).c_str());
    printf("%-16s %zu\n", "Cache records:", du->records.size());
    printf("%-16s %s\n", "Reclaimable:", cache::FormatSize(du->reclaimable()).c_str());
    printf("%-16s %s\n", "Total:", cache::FormatSize(du->total()).c_str());
  });
}

void RegisterImport(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("import", "Create an image from a directory (one layer), into the store or any -o output");
  struct Opts {
    std::string rootfs;
    std::vector<std::string> tags, outputs;
    std::string config_file;
    RegistryFlags reg;
  };
  auto o = std::make_shared<Opts>();
  AddRegistryFlags(cmd, o->reg);
  cmd->add_option("DIR", o->rootfs, "the root filesystem")->required()->check(CLI::ExistingDirectory);
  cmd->add_option("-t,--tag", o->tags, "name the image (repeatable)");
  cmd->add_option("-o,--output", o->outputs,
                  "type=image|oci|docker|local|tar,dest=...,name=... as in `kiln build` (repeatable; default: "
                  "type=image named by -t)");
  cmd->add_option("--config", o->config_file, "JSON file with the image config (architecture, os, config, history)");
  cmd->callback([&g, o] {
    Stores s = OpenStores(g);
    nlohmann::json config = exporter::DirectoryResult::DefaultConfig();
    if (!o->config_file.empty()) {
      auto data = ReadFile(o->config_file);
      if (!data.ok()) Fail(data.status());
      try {
        config = nlohmann::json::parse(*data);
      } catch (const nlohmann::json::exception& e) {
        Fail(Status::InvalidArgument(o->config_file + ": not JSON: " + e.what()));
      }
    }
    std::vector<exporter::OutputSpec> specs;
    for (const auto& out : o->outputs) {
      auto spec = exporter::ParseOutput(out);
      if (!spec.ok()) Fail(spec.status());
      specs.push_back(*spec);
    }
    if (specs.empty()) specs.push_back(exporter::OutputSpec{});
    auto epoch = SourceDateEpochFromEnv();
    if (!epoch.ok()) Fail(epoch.status());
    auto client = std::make_shared<registry::RegistryClient>(o->reg.Options(), s.root + "/registry");
    build::ExportEnv env{s.content.get(), s.metadata.get(), client.get(), *epoch,
                         [](const std::string& name, const std::string&) { fprintf(stderr, "pushed %s\n", name.c_str()); }};
    exporter::DirectoryResult result(o->rootfs, *s.content, config, "kiln import");
    solver::NullProgress progress;
    build::ExportOutcome out = build::ExportOutputs(result, specs, o->tags, env, progress);
    if (!out.status.ok()) Fail(out.status);
    std::string digest;
    for (const auto& r : out.responses)
      if (!r.image_digest.empty()) digest = r.image_digest;
    if (!digest.empty()) fprintf(stderr, "%s\n", digest.c_str());
  });
}

}  // namespace

void RegisterImages(CLI::App& app, GlobalOptions& g) {
  RegisterImagesCmd(app, g);
  RegisterRm(app, g);
  RegisterTag(app, g);
  RegisterInspect(app, g);
  RegisterSave(app, g);
  RegisterPrune(app, g);
  RegisterDu(app, g);
  RegisterImport(app, g);
}

}  // namespace kiln::cli
