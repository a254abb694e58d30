// The exporters behind -o: image (kiln's store), oci / docker (archives and
// layouts), local (a directory), tar (the root filesystem as a tarball).
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "base/digest.h"
#include "base/fs.h"
#include "base/reference.h"
#include "cache/content_store.h"
#include "cache/metadata.h"
#include "exporter/exporter.h"
#include "exporter/layout.h"
#include "exporter/tar_writer.h"
#include "fileop/copier.h"

namespace kiln::exporter {
namespace {

std::string CreatedAnnotation(const ExporterDeps& deps) {
  int64_t t = deps.source_date_epoch ? *deps.source_date_epoch : NowNs() / 1000000000;
  time_t tt = static_cast<time_t>(t);
  struct tm tm;
  gmtime_r(&tt, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Result<std::vector<std::string>> NormalizeNames(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const auto& n : names) {
    auto r = ParseReference(n);
    if (!r.ok()) return r.status().WithContext("image name \"" + n + "\"");
    out.push_back(r->String());
  }
  return out;
}

ExportResult Done(const AssembledImage& img, std::vector<std::string> names) {
  ExportResult r;
  r.response.image_digest = img.manifest_desc.digest;
  r.response.config_digest = img.config_desc.digest;
  r.response.descriptor = img.manifest_desc;
  r.response.names = std::move(names);
  r.finalize = [] { return Status::OK(); };
  return r;
}

class ImageExporter : public Exporter {
 public:
  ImageExporter(OutputSpec spec, std::vector<std::string> names, ExporterDeps deps)
      : spec_(std::move(spec)), names_(std::move(names)), deps_(std::move(deps)) {}
  OutputType Type() const override { return OutputType::kImage; }

  Result<ExportResult> Export(BuildResult& result) override {
    OutputSpec spec = spec_;
    // Into kiln's store only: uncompressed lazy layers (docker's store keeps layers
    // uncompressed too; push converts them to gzip). Pushing exports gzip directly.
    // (force-compression without compression= means forced gzip, as in BuildKit.)
    if (!spec.push && !spec.compression.force &&
        (!spec.compression.type_set || spec.compression.type == "uncompressed")) {
      spec.compression.type = "uncompressed";
      spec.compression.lazy = true;
    }
    ASSIGN_OR_RETURN(AssembledImage img, CommitImage(result, spec, deps_));
    for (const auto& n : names_) {
      // Unchanged name (a cached rebuild): nothing to write.
      auto cur = deps_.metadata->GetImage(n);
      if (cur.ok() && cur->target.digest == img.manifest_desc.digest) continue;
      cache::ImageRecord rec;
      rec.name = n;
      rec.target = img.manifest_desc;
      RETURN_IF_ERROR(deps_.metadata->PutImage(rec).WithContext("name image " + n));
    }
    ExportResult r = Done(img, names_);
    if (spec_.push) {
      auto push = deps_.push;
      auto names = names_;
      auto desc = img.manifest_desc;
      r.finalize = [push, names, desc]() -> Status {
        for (const auto& n : names) RETURN_IF_ERROR(push(n, desc).WithContext("push " + n));
        return Status::OK();
      };
    }
    return r;
  }

 private:
  OutputSpec spec_;
  std::vector<std::string> names_;
  ExporterDeps deps_;
};

class ArchiveExporter : public Exporter {
 public:
  ArchiveExporter(OutputSpec spec, std::vector<std::string> names, ExporterDeps deps)
      : spec_(std::move(spec)), names_(std::move(names)), deps_(std::move(deps)) {}
  OutputType Type() const override { return spec_.type; }

  Result<ExportResult> Export(BuildResult& result) override {
    ASSIGN_OR_RETURN(AssembledImage img, CommitImage(result, spec_, deps_));
    LayoutContent c;
    c.index_manifests = NamedDescriptors(img.manifest_desc, names_, CreatedAnnotation(deps_));
    c.blobs.push_back(img.manifest_desc.digest);
    c.blobs.push_back(img.config_desc.digest);
    std::vector<std::string> layer_digests;
    for (const auto& l : img.layers) {
      c.blobs.push_back(l.digest);
      layer_digests.push_back(l.digest);
    }
    if (spec_.type == OutputType::kDocker) {
      c.docker_manifest = DockerManifestJson(img.config_desc.digest, layer_digests, names_);
    }
    c.mtime = deps_.source_date_epoch.value_or(0);
    if (spec_.tar) {
      ASSIGN_OR_RETURN(auto out, OutputFile::Create(spec_.dest, deps_.stdout_fd));
      RETURN_IF_ERROR(WriteLayoutTar(out->fd(), *deps_.content, c).WithContext("write " + spec_.dest));
      RETURN_IF_ERROR(out->Commit());
    } else {
      RETURN_IF_ERROR(WriteLayoutDir(spec_.dest, *deps_.content, c).WithContext("write " + spec_.dest));
    }
    return Done(img, names_);
  }

 private:
  OutputSpec spec_;
  std::vector<std::string> names_;
  ExporterDeps deps_;
};

class TarExporter : public Exporter {
 public:
  TarExporter(OutputSpec spec, ExporterDeps deps) : spec_(std::move(spec)), deps_(std::move(deps)) {}
  OutputType Type() const override { return OutputType::kTar; }
  Result<ExportResult> Export(BuildResult& result) override {
    ASSIGN_OR_RETURN(std::string rootfs, result.RootfsDir());
    ASSIGN_OR_RETURN(auto out, OutputFile::Create(spec_.dest, deps_.stdout_fd));
    ASSIGN_OR_RETURN(auto w, TarWriter::Open(out->fd()));
    RETURN_IF_ERROR(WriteDirTar(rootfs, *w, deps_.source_date_epoch).WithContext("write " + spec_.dest));
    RETURN_IF_ERROR(w->Close());
    RETURN_IF_ERROR(out->Commit());
    ExportResult r;
    r.finalize = [] { return Status::OK(); };
    return r;
  }

 private:
  OutputSpec spec_;
  ExporterDeps deps_;
};

Result<bool> IsEmptyDir(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (!d) return Status::FromErrno(errno, "read directory", dir);
  bool empty = true;
  while (struct dirent* e = readdir(d)) {
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
      empty = false;
      break;
    }
  }
  closedir(d);
  return empty;
}

// Caps every mtime below `dir` at `epoch` (SOURCE_DATE_EPOCH), children before parents.
Status ClampTimes(const std::string& dir, int64_t epoch) {
  ASSIGN_OR_RETURN(std::vector<std::string> names, ReadDirSorted(dir));
  for (const auto& n : names) {
    std::string p = dir + "/" + n;
    struct stat st;
    if (lstat(p.c_str(), &st) != 0) return Status::FromErrno(errno, "stat", p);
    if (S_ISDIR(st.st_mode)) RETURN_IF_ERROR(ClampTimes(p, epoch));
    if (st.st_mtim.tv_sec >= epoch) {
      struct timespec ts[2] = {{epoch, 0}, {epoch, 0}};
      if (utimensat(AT_FDCWD, p.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0) return Status::FromErrno(errno, "set times of", p);
    }
  }
  return Status::OK();
}

class LocalExporter : public Exporter {
 public:
  LocalExporter(OutputSpec spec, ExporterDeps deps) : spec_(std::move(spec)), deps_(std::move(deps)) {}
  OutputType Type() const override { return OutputType::kLocal; }

  // The tree is copied to a temporary sibling first; then a missing or empty
  // destination is replaced by one rename, while an existing directory with
  // content gets each top-level entry renamed in (merged, as BuildKit's local
  // exporter writes into an existing directory).
  Result<ExportResult> Export(BuildResult& result) override {
    ASSIGN_OR_RETURN(std::string rootfs, result.RootfsDir());
    std::string dest = spec_.dest;
    while (dest.size() > 1 && dest.back() == '/') dest.pop_back();
    std::string parent = ".";
    if (size_t i = dest.rfind('/'); i != std::string::npos) parent = i == 0 ? "/" : dest.substr(0, i);
    RETURN_IF_ERROR(MakeDirs(parent));
    std::string tmpl = dest + ".kiln-tmp-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (!mkdtemp(buf.data())) return Status::FromErrno(errno, "create temporary directory next to", dest);
    std::string tmp = buf.data();
    Status s = Fill(rootfs, tmp);
    if (s.ok()) s = Install(tmp, dest);
    (void)RemoveAll(tmp);
    RETURN_IF_ERROR(s.WithContext("export to " + dest));
    ExportResult r;
    r.finalize = [] { return Status::OK(); };
    return r;
  }

 private:
  Status Fill(const std::string& rootfs, const std::string& tmp) {
    fileop::CopyOptions opts;
    opts.timestamp = std::nullopt;
    fileop::Copier copier(std::move(opts));
    RETURN_IF_ERROR(copier.CopyTop(rootfs, "/", tmp, true));
    struct stat st;
    if (stat(rootfs.c_str(), &st) == 0) chmod(tmp.c_str(), st.st_mode & 07777);
    if (deps_.source_date_epoch) return ClampTimes(tmp, *deps_.source_date_epoch);
    return Status::OK();
  }

  Status Install(const std::string& tmp, const std::string& dest) {
    struct stat st;
    if (lstat(dest.c_str(), &st) != 0) {
      if (rename(tmp.c_str(), dest.c_str()) != 0) return Status::FromErrno(errno, "rename into", dest);
      return Status::OK();
    }
    if (!S_ISDIR(st.st_mode)) return Status::FailedPrecondition(dest + " exists and is not a directory");
    ASSIGN_OR_RETURN(bool empty, IsEmptyDir(dest));
    if (empty) {
      if (rmdir(dest.c_str()) == 0 && rename(tmp.c_str(), dest.c_str()) == 0) return Status::OK();
    }
    DIR* d = opendir(tmp.c_str());
    if (!d) return Status::FromErrno(errno, "read directory", tmp);
    std::vector<std::string> names;
    while (struct dirent* e = readdir(d)) {
      if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) names.emplace_back(e->d_name);
    }
    closedir(d);
    for (const auto& n : names) {
      std::string from = tmp + "/" + n, to = dest + "/" + n;
      struct stat ts, fs;
      if (lstat(to.c_str(), &ts) == 0 && S_ISDIR(ts.st_mode) && lstat(from.c_str(), &fs) == 0 && S_ISDIR(fs.st_mode)) {
        RETURN_IF_ERROR(RemoveAll(to));
      }
      if (rename(from.c_str(), to.c_str()) != 0) return Status::FromErrno(errno, "rename into", to);
    }
    return Status::OK();
  }

  OutputSpec spec_;
  ExporterDeps deps_;
};

}  // namespace

Result<AssembledImage> CommitImage(BuildResult& result, const OutputSpec& spec, const ExporterDeps& deps) {
  if (!deps.content) return Status::FailedPrecondition("image export needs kiln's content store");
  ASSIGN_OR_RETURN(std::vector<Layer> layers,
                   result.Layers(spec.compression, spec.rewrite_timestamp, deps.source_date_epoch));
  for (const auto& l : layers) {
    if (!deps.content->Has(l.blob.digest)) {
      return Status::NotFound("layer blob " + l.blob.digest + " is not in the content store");
    }
  }
  ImageOptions opts;
  opts.oci_mediatypes = spec.OciMediaTypes();
  opts.source_date_epoch = deps.source_date_epoch;
  opts.manifest_annotations = spec.manifest_annotations;
  ASSIGN_OR_RETURN(AssembledImage img, AssembleImage(result.ImageConfig(), layers, opts));
  ASSIGN_OR_RETURN(std::string cd, deps.content->Put(img.config));
  ASSIGN_OR_RETURN(std::string md, deps.content->Put(img.manifest));
  if (cd != img.config_desc.digest || md != img.manifest_desc.digest) {
    return Status::Internal("content store digest differs from the computed one");
  }
  return img;
}

Result<std::unique_ptr<Exporter>> NewExporter(const OutputSpec& spec, const std::vector<std::string>& default_names,
                                              const ExporterDeps& deps) {
  ASSIGN_OR_RETURN(std::vector<std::string> names,
                   NormalizeNames(spec.names.empty() ? default_names : spec.names));
  switch (spec.type) {
    case OutputType::kImage:
      if (!deps.content || !deps.metadata) return Status::FailedPrecondition("type=image needs kiln's image store");
      if (spec.push && !deps.push) {
        return Status::Unimplemented("push=true: pushing to a registry is not available in this build of kiln");
      }
      if (spec.push && names.empty()) return Status::InvalidArgument("push=true needs an image name (-t or name=)");
      return std::unique_ptr<Exporter>(new ImageExporter(spec, names, deps));
    case OutputType::kOci:
    case OutputType::kDocker:
      if (!deps.content) return Status::FailedPrecondition("type=oci/docker needs kiln's content store");
      return std::unique_ptr<Exporter>(new ArchiveExporter(spec, names, deps));
    case OutputType::kLocal:
      return std::unique_ptr<Exporter>(new LocalExporter(spec, deps));
    case OutputType::kTar:
      return std::unique_ptr<Exporter>(new TarExporter(spec, deps));
  }
  return Status::Internal("unknown output type");
}

}  // namespace kiln::exporter
