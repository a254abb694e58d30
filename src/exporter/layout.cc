#include "exporter/layout.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <set>

#include "base/digest.h"
#include "base/fs.h"
#include "base/reference.h"
#include "cache/content_store.h"
#include "exporter/gojson.h"
#include "exporter/image.h"
#include "exporter/tar_writer.h"

namespace kiln::exporter {

std::string LayoutIndexJson(const std::vector<oci::Descriptor>& manifests) {
  nlohmann::json idx = {{"schemaVersion", 2}, {"mediaType", oci::kMediaTypeIndex}};
  nlohmann::json list = nlohmann::json::array();
  for (const auto& m : manifests) list.push_back(DescriptorJson(m));
  idx["manifests"] = list;
  return GoMarshal(idx, &IndexOrder());
}

std::vector<oci::Descriptor> NamedDescriptors(const oci::Descriptor& manifest, const std::vector<std::string>& names,
                                              const std::string& created) {
  std::vector<oci::Descriptor> out;
  oci::Descriptor base = manifest;
  if (!created.empty()) base.annotations["org.opencontainers.image.created"] = created;
  if (names.empty()) {
    out.push_back(base);
    return out;
  }
  for (const auto& n : names) {
    oci::Descriptor d = base;
    auto ref = ParseReference(n);
    d.annotations["io.containerd.image.name"] = ref.ok() ? ref->String() : n;
    if (ref.ok() && !ref->tag.empty()) d.annotations["org.opencontainers.image.ref.name"] = ref->tag;
    out.push_back(d);
  }
  return out;
}

std::string DockerManifestJson(const std::string& config_digest, const std::vector<std::string>& layer_digests,
                               const std::vector<std::string>& names) {
  auto blob = [](const std::string& d) { return "blobs/sha256/" + std::string(DigestHex(d)); };
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& l : layer_digests) layers.push_back(blob(l));
  nlohmann::json tags = nlohmann::json::array();
  for (const auto& n : names) {
    auto ref = ParseReference(n);
    tags.push_back(ref.ok() ? ref->Familiar() : n);
  }
  nlohmann::json entry = nlohmann::json::object();
  entry["Config"] = blob(config_digest);
  entry["RepoTags"] = names.empty() ? nlohmann::json(nullptr) : tags;
  entry["Layers"] = layers;
  static const KeyOrder kEntry{{"Config", "RepoTags", "Layers"}, {}};
  static const KeyOrder kList{{}, {}, &kEntry};
  return GoMarshal(nlohmann::json::array({entry}), &kList);
}

namespace {

std::vector<std::string> UniqueSorted(const std::vector<std::string>& v) {
  std::set<std::string> s(v.begin(), v.end());
  return {s.begin(), s.end()};
}

}  // namespace

Status WriteLayoutTar(int fd, cache::ContentStore& store, const LayoutContent& c) {
  ASSIGN_OR_RETURN(auto w, TarWriter::Open(fd));
  RETURN_IF_ERROR(w->AddDir("blobs/", 0755, c.mtime));
  RETURN_IF_ERROR(w->AddDir("blobs/sha256/", 0755, c.mtime));
  for (const auto& d : UniqueSorted(c.blobs)) {
    ASSIGN_OR_RETURN(std::string path, store.Path(d));
    RETURN_IF_ERROR(w->AddFileFrom("blobs/sha256/" + std::string(DigestHex(d)), path, 0444, c.mtime));
  }
  RETURN_IF_ERROR(w->AddData("index.json", c.index_override.value_or(LayoutIndexJson(c.index_manifests)), 0444, c.mtime));
  if (c.docker_manifest) RETURN_IF_ERROR(w->AddData("manifest.json", *c.docker_manifest, 0444, c.mtime));
  RETURN_IF_ERROR(w->AddData("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 0444, c.mtime));
  return w->Close();
}

namespace {

// Copies a store blob into the layout (temp file, fsync, rename): never a hard
// link, so editing the layout cannot corrupt the store.
Status CopyBlob(cache::ContentStore& store, const std::string& digest, const std::string& blobs_dir) {
  std::string dst = blobs_dir + "/" + std::string(DigestHex(digest));
  if (PathExists(dst)) return Status::OK();
  ASSIGN_OR_RETURN(std::string src, store.Path(digest));
  Fd in(open(src.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0) return Status::FromErrno(errno, "open blob", src);
  ASSIGN_OR_RETURN(auto out, OutputFile::Create(dst));
  RETURN_IF_ERROR(CopyData(in.get(), out->fd(), src, dst));
  return out->Commit();
}

Status FillLayout(const std::string& dir, cache::ContentStore& store, const LayoutContent& c) {
  std::string blobs = dir + "/blobs/sha256";
  RETURN_IF_ERROR(MakeDirs(blobs));
  for (const auto& d : UniqueSorted(c.blobs)) RETURN_IF_ERROR(CopyBlob(store, d, blobs));
  RETURN_IF_ERROR(FsyncDir(blobs));
  RETURN_IF_ERROR(WriteFileAtomic(dir + "/oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 0644));
  if (c.docker_manifest) RETURN_IF_ERROR(WriteFileAtomic(dir + "/manifest.json", *c.docker_manifest, 0644));
  // Last: the index makes the layout complete.
  return WriteFileAtomic(dir + "/index.json", c.index_override.value_or(LayoutIndexJson(c.index_manifests)), 0644);
}

}  // namespace

Status WriteLayoutDir(const std::string& dir, cache::ContentStore& store, const LayoutContent& c) {
  struct stat st;
  if (stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return Status::FailedPrecondition(dir + " exists and is not a directory");
    return FillLayout(dir, store, c);
  }
  std::string parent = ".";
  if (size_t i = dir.rfind('/'); i != std::string::npos) parent = i == 0 ? "/" : dir.substr(0, i);
  RETURN_IF_ERROR(MakeDirs(parent));
  std::string tmpl = dir + ".kiln-tmp-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) return Status::FromErrno(errno, "create temporary directory next to", dir);
  std::string tmp = buf.data();
  chmod(tmp.c_str(), 0755);
  Status s = FillLayout(tmp, store, c);
  if (s.ok() && rename(tmp.c_str(), dir.c_str()) != 0) s = Status::FromErrno(errno, "rename " + tmp + " to", dir);
  if (!s.ok()) {
    (void)RemoveAll(tmp);
    return s;
  }
  return FsyncDir(parent);
}

}  // namespace kiln::exporter
