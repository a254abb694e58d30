// Helpers for layer tests: build trees and archives, read archives back.
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/oci.h"
#include "base/status.h"
#include "cache/content_store.h"
#include "cache/metadata.h"

namespace kiln::cache::testing {

// Names a one-layer image `name` whose manifest references `layer` (its blob need
// not exist); returns the config and manifest digests it stored.
inline Result<std::pair<std::string, std::string>> PutTestImage(ContentStore& cs, MetadataStore& md,
                                                                  const std::string& name, const LayerRecord& layer) {
  ASSIGN_OR_RETURN(std::string config, cs.Put("{\"rootfs\":{}}"));
  nlohmann::json m = {{"schemaVersion", 2},
                      {"mediaType", oci::kMediaTypeManifest},
                      {"config", {{"mediaType", oci::kMediaTypeConfig}, {"digest", config}, {"size", 13}}},
                      {"layers", {{{"mediaType", layer.media_type}, {"digest", layer.digest}, {"size", layer.size}}}}};
  ASSIGN_OR_RETURN(std::string manifest, cs.Put(m.dump()));
  ASSIGN_OR_RETURN(int64_t size, cs.Size(manifest));
  ImageRecord r;
  r.name = name;
  r.target = {oci::kMediaTypeManifest, manifest, size};
  RETURN_IF_ERROR(md.PutImage(r));
  return std::make_pair(config, manifest);
}

struct TarEntry {
  std::string name;
  mode_t mode = 0;  // with type bits
  int64_t uid = 0, gid = 0, size = 0, mtime = 0;
  std::string symlink, hardlink, data;
  dev_t rdev = 0;
  std::map<std::string, std::string> xattrs;
};

// Reads every entry (data included) of a tar, any compression libarchive knows.
inline Result<std::vector<TarEntry>> ReadTar(const std::string& path) {
  archive* a = archive_read_new();
  archive_read_support_format_all(a);
  archive_read_support_filter_all(a);
  if (archive_read_open_filename(a, path.c_str(), 1 << 16) != ARCHIVE_OK) {
    std::string err = archive_error_string(a);
    archive_read_free(a);
    return Status::IOError(err);
  }
  std::vector<TarEntry> out;
  archive_entry* e;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    TarEntry t;
    t.name = archive_entry_pathname(e);
    t.mode = archive_entry_mode(e);
    t.uid = archive_entry_uid(e);
    t.gid = archive_entry_gid(e);
    t.size = archive_entry_size(e);
    t.mtime = archive_entry_mtime(e);
    if (archive_entry_symlink(e)) t.symlink = archive_entry_symlink(e);
    if (archive_entry_hardlink(e)) t.hardlink = archive_entry_hardlink(e);
    t.rdev = archive_entry_rdev(e);
    archive_entry_xattr_reset(e);
    const char* n;
    const void* v;
    size_t s;
    while (archive_entry_xattr_next(e, &n, &v, &s) == ARCHIVE_OK) t.xattrs[n] = std::string(static_cast<const char*>(v), s);
    char buf[8192];
    la_ssize_t r;
    while ((r = archive_read_data(a, buf, sizeof buf)) > 0) t.data.append(buf, static_cast<size_t>(r));
    out.push_back(std::move(t));
  }
  archive_read_free(a);
  return out;
}

// Writes a plain pax tar of `entries` to `path` (hostile names allowed).
inline void WriteTar(const std::string& path, const std::vector<TarEntry>& entries) {
  archive* a = archive_write_new();
  archive_write_set_format_pax(a);
  archive_write_open_filename(a, path.c_str());
  for (const auto& t : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, t.name.c_str());
    archive_entry_set_mode(e, t.mode);
    archive_entry_set_uid(e, t.uid);
    archive_entry_set_gid(e, t.gid);
    archive_entry_set_mtime(e, t.mtime, 0);
    if (!t.symlink.empty()) archive_entry_set_symlink(e, t.symlink.c_str());
    if (!t.hardlink.empty()) archive_entry_set_hardlink(e, t.hardlink.c_str());
    for (auto& [k, v] : t.xattrs) archive_entry_xattr_add_entry(e, k.c_str(), v.data(), v.size());
    archive_entry_set_size(e, static_cast<la_int64_t>(t.data.size()));
    archive_write_header(a, e);
    if (!t.data.empty()) archive_write_data(a, t.data.data(), t.data.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
}

}  // namespace kiln::cache::testing
