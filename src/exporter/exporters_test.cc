#include <dirent.h>
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "base/digest.h"
#include "base/fs.h"
#include "cache/content_store.h"
#include "cache/layer_diff.h"
#include "cache/layer_writer.h"
#include "cache/metadata.h"
#include "exporter/exporter.h"
#include "exporter/layout.h"
#include "exporter/tar_writer.h"

namespace kiln::exporter {
namespace {

// A build result over a directory: one uncompressed layer holding the whole tree.
class DirResult : public BuildResult {
 public:
  DirResult(std::string rootfs, cache::ContentStore* store) : rootfs_(std::move(rootfs)), store_(store) {}
  Result<std::string> RootfsDir() override { return rootfs_; }
  // One layer holding the whole tree, written by the store's layer writer.
  Result<std::vector<Layer>> Layers(const CompressionOptions& c, bool rewrite, std::optional<int64_t> epoch) override {
    if (fail_layers) return Status::IOError("simulated failure");
    ASSIGN_OR_RETURN(auto changes, cache::DiffDirectories("", rootfs_));
    cache::LayerOptions opts;
    ASSIGN_OR_RETURN(opts.compression, cache::ParseCompression(c.type));
    if (c.level) opts.level = *c.level;
    if (rewrite) opts.source_date_epoch = epoch;
    ASSIGN_OR_RETURN(cache::LayerRecord rec, cache::WriteLayer(changes, *store_, opts));
    Layer l;
    l.blob = {rec.media_type, rec.digest, rec.size, {}, std::nullopt};
    l.diff_id = rec.diff_id;
    l.created_ns = 1700000000LL * 1000000000;
    l.description = "COPY . /";
    if (bogus_layer) l.blob.digest = "sha256:" + std::string(64, 'f');
    return std::vector<Layer>{l};
  }
  nlohmann::json ImageConfig() override {
    return {{"architecture", oci::HostPlatform().architecture},
            {"os", "linux"},
            {"config", {{"Cmd", {"/hello"}}, {"Env", {"PATH=/usr/bin:/bin"}}}},
            {"history", {{{"created_by", "COPY . /"}, {"comment", "buildkit.dockerfile.v0"}}}}};
  }
  bool fail_layers = false;
  bool bogus_layer = false;

 private:
  std::string rootfs_;
  cache::ContentStore* store_;
};

class ExporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto t = TempDir::Create("kiln-exporter-test");
    ASSERT_TRUE(t.ok());
    tmp_.emplace(std::move(*t));
    root_ = tmp_->path() + "/root";
    rootfs_ = tmp_->path() + "/rootfs";
    ASSERT_TRUE(MakeDirs(rootfs_ + "/etc").ok());
    std::ofstream(rootfs_ + "/hello") << "#!/bin/sh\necho hi\n";
    chmod((rootfs_ + "/hello").c_str(), 0755);
    std::ofstream(rootfs_ + "/etc/os-release") << "ID=kiln\n";
    link((rootfs_ + "/etc/os-release").c_str(), (rootfs_ + "/etc/hardlink").c_str());
    symlink("os-release", (rootfs_ + "/etc/link").c_str());
    auto cs = cache::OpenLocalContentStore(root_);
    ASSERT_TRUE(cs.ok()) << cs.status().ToString();
    store_ = std::move(*cs);
    auto md = cache::MetadataStore::Open(root_);
    ASSERT_TRUE(md.ok()) << md.status().ToString();
    meta_ = std::move(*md);
    deps_.content = store_.get();
    deps_.metadata = meta_.get();
    deps_.source_date_epoch = 1600000000;
  }

  Result<ExportResult> Run(const std::string& output, std::vector<std::string> tags = {"example/app:1"}) {
    ASSIGN_OR_RETURN(OutputSpec spec, ParseOutput(output));
    ASSIGN_OR_RETURN(auto exp, NewExporter(spec, tags, deps_));
    DirResult result(rootfs_, store_.get());
    return exp->Export(result);
  }

  // name -> contents of every entry of a tar file.
  std::map<std::string, std::string> ReadTar(const std::string& path) {
    std::map<std::string, std::string> out;
    struct archive* a = archive_read_new();
    archive_read_support_format_tar(a);
    EXPECT_EQ(archive_read_open_filename(a, path.c_str(), 1 << 16), ARCHIVE_OK);
    struct archive_entry* e;
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
      std::string data(archive_entry_size(e), '\0');
      if (!data.empty()) archive_read_data(a, data.data(), data.size());
      names_in_order_.push_back(archive_entry_pathname(e));
      out[archive_entry_pathname(e)] = data;
    }
    archive_read_free(a);
    return out;
  }

  std::optional<TempDir> tmp_;
  std::string root_, rootfs_;
  std::unique_ptr<cache::ContentStore> store_;
  std::unique_ptr<cache::MetadataStore> meta_;
  ExporterDeps deps_;
  std::vector<std::string> names_in_order_;
};

TEST_F(ExporterTest, OciArchive) {
  std::string dest = tmp_->path() + "/out/img.tar";
  auto r = Run("type=oci,dest=" + dest);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto files = ReadTar(dest);
  std::vector<std::string> sorted = names_in_order_;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(names_in_order_, sorted);
  EXPECT_EQ(files.at("oci-layout"), R"({"imageLayoutVersion":"1.0.0"})");
  auto index = nlohmann::json::parse(files.at("index.json"));
  ASSERT_EQ(index["manifests"].size(), 1u);
  auto desc = index["manifests"][0];
  EXPECT_EQ(desc["digest"], r->response.image_digest);
  EXPECT_EQ(desc["annotations"]["io.containerd.image.name"], "docker.io/example/app:1");
  EXPECT_EQ(desc["annotations"]["org.opencontainers.image.ref.name"], "1");
  EXPECT_EQ(desc["annotations"]["org.opencontainers.image.created"], "2020-09-13T12:26:40Z");
  std::string manifest = files.at("blobs/sha256/" + std::string(DigestHex(r->response.image_digest)));
  EXPECT_EQ(Sha256Digest(manifest), r->response.image_digest);
  auto m = nlohmann::json::parse(manifest);
  for (const auto& l : m["layers"]) {
    std::string blob = files.at("blobs/sha256/" + std::string(DigestHex(l["digest"].get<std::string>())));
    EXPECT_EQ(Sha256Digest(blob), l["digest"]);
  }
  EXPECT_FALSE(files.count("manifest.json"));
  // No temporary files are left next to the output.
  int entries = 0;
  for (auto& p : std::vector<std::string>{tmp_->path() + "/out"}) {
    if (auto* d = opendir(p.c_str())) {
      while (auto* e = readdir(d)) entries += e->d_name[0] != '.';
      closedir(d);
    }
  }
  EXPECT_EQ(entries, 1);
}

TEST_F(ExporterTest, ReproducibleWithSourceDateEpoch) {
  std::string a = tmp_->path() + "/a.tar", b = tmp_->path() + "/b.tar";
  ASSERT_TRUE(Run("type=oci,dest=" + a).ok());
  sleep(1);
  ASSERT_TRUE(Run("type=oci,dest=" + b).ok());
  EXPECT_EQ(*Sha256File(a), *Sha256File(b));
}

TEST_F(ExporterTest, OciLayoutDirectory) {
  std::string dest = tmp_->path() + "/layout";
  auto r = Run("type=oci,dest=" + dest + ",tar=false");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(PathExists(dest + "/index.json"));
  EXPECT_TRUE(PathExists(dest + "/oci-layout"));
  EXPECT_TRUE(PathExists(dest + "/blobs/sha256/" + std::string(DigestHex(r->response.image_digest))));
  EXPECT_TRUE(PathExists(dest + "/blobs/sha256/" + std::string(DigestHex(r->response.config_digest))));
  // Exporting again into the existing layout updates it in place.
  ASSERT_TRUE(Run("type=oci,dest=" + dest + ",tar=false", {"other:2"}).ok());
  auto idx = nlohmann::json::parse(*ReadFile(dest + "/index.json"));
  EXPECT_EQ(idx["manifests"][0]["annotations"]["io.containerd.image.name"], "docker.io/library/other:2");
}

TEST_F(ExporterTest, DockerArchive) {
  std::string dest = tmp_->path() + "/docker.tar";
  auto r = Run("type=docker,dest=" + dest, {"example/app:1", "localhost:5000/x"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto files = ReadTar(dest);
  auto mj = nlohmann::json::parse(files.at("manifest.json"));
  ASSERT_EQ(mj.size(), 1u);
  EXPECT_EQ(mj[0]["RepoTags"], nlohmann::json({"example/app:1", "localhost:5000/x:latest"}));
  EXPECT_EQ(mj[0]["Config"], "blobs/sha256/" + std::string(DigestHex(r->response.config_digest)));
  EXPECT_TRUE(files.count(mj[0]["Layers"][0].get<std::string>()));
  auto manifest = nlohmann::json::parse(files.at("blobs/sha256/" + std::string(DigestHex(r->response.image_digest))));
  EXPECT_EQ(manifest["mediaType"], oci::kDockerManifest);
  EXPECT_EQ(manifest["config"]["mediaType"], oci::kDockerConfig);
  EXPECT_EQ(manifest["layers"][0]["mediaType"], oci::kDockerLayerGzip);
}

TEST_F(ExporterTest, StdoutStreams) {
  std::string dest = tmp_->path() + "/stdout.tar";
  int fd = open(dest.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  deps_.stdout_fd = fd;
  auto r = Run("type=oci,dest=-");
  close(fd);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(ReadTar(dest).count("index.json"));
}

TEST_F(ExporterTest, LocalDirectory) {
  std::string dest = tmp_->path() + "/local";
  ASSERT_TRUE(Run("type=local,dest=" + dest).ok());
  EXPECT_EQ(*ReadFile(dest + "/hello"), "#!/bin/sh\necho hi\n");
  struct stat a, b;
  ASSERT_EQ(lstat((dest + "/etc/os-release").c_str(), &a), 0);
  ASSERT_EQ(lstat((dest + "/etc/hardlink").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  ASSERT_EQ(lstat((dest + "/etc/link").c_str(), &a), 0);
  EXPECT_TRUE(S_ISLNK(a.st_mode));
  ASSERT_EQ(lstat((dest + "/hello").c_str(), &a), 0);
  EXPECT_EQ(a.st_mtim.tv_sec, 1600000000);  // SOURCE_DATE_EPOCH clamps times
  // Into an existing directory: merged, other files kept.
  std::string existing = tmp_->path() + "/existing";
  ASSERT_TRUE(MakeDirs(existing + "/etc").ok());
  std::ofstream(existing + "/keep") << "mine";
  std::ofstream(existing + "/hello") << "old";
  ASSERT_TRUE(Run("type=local,dest=" + existing).ok());
  EXPECT_EQ(*ReadFile(existing + "/keep"), "mine");
  EXPECT_EQ(*ReadFile(existing + "/hello"), "#!/bin/sh\necho hi\n");
  EXPECT_TRUE(PathExists(existing + "/etc/os-release"));
}

TEST_F(ExporterTest, RootfsTar) {
  std::string dest = tmp_->path() + "/fs.tar";
  ASSERT_TRUE(Run("type=tar,dest=" + dest).ok());
  auto files = ReadTar(dest);
  EXPECT_EQ(files.at("hello"), "#!/bin/sh\necho hi\n");
  EXPECT_TRUE(files.count("etc/"));
  EXPECT_TRUE(files.count("etc/link"));
}

TEST_F(ExporterTest, ImageStoreAndPushLast) {
  std::vector<std::string> pushed;
  deps_.push = [&](const std::string& name, const oci::Descriptor& d) {
    pushed.push_back(name + "@" + d.digest);
    return Status::OK();
  };
  auto r = Run("type=image,push=true", {"example/app:1", "example/app:latest"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(pushed.empty());  // nothing is pushed before finalize
  auto img = meta_->GetImage("docker.io/example/app:1");
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->target.digest, r->response.image_digest);
  EXPECT_TRUE(store_->Has(r->response.config_digest));
  ASSERT_TRUE(r->finalize().ok());
  EXPECT_EQ(pushed.size(), 2u);
  EXPECT_EQ(pushed[0], "docker.io/example/app:1@" + r->response.image_digest);
}

TEST_F(ExporterTest, ErrorsLeaveNoOutput) {
  std::string dest = tmp_->path() + "/never.tar";
  auto spec = ParseOutput("type=oci,dest=" + dest);
  auto exp = NewExporter(*spec, {}, deps_);
  ASSERT_TRUE(exp.ok());
  DirResult bad(rootfs_, store_.get());
  bad.bogus_layer = true;
  auto r = (*exp)->Export(bad);
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(PathExists(dest));
  bad.bogus_layer = false;
  bad.fail_layers = true;
  EXPECT_FALSE((*exp)->Export(bad).ok());
  EXPECT_FALSE(PathExists(dest));
  // Missing dependencies and bad names are clear errors.
  EXPECT_FALSE(NewExporter(*ParseOutput("type=image,push=true"), {"a:b"}, deps_).ok());
  EXPECT_FALSE(NewExporter(*ParseOutput("type=image"), {"has space:1"}, deps_).ok());
  ExporterDeps none;
  EXPECT_FALSE(NewExporter(*ParseOutput("type=image"), {}, none).ok());
}

// Third-party tools accept what kiln writes (skipped where they are not installed).
TEST_F(ExporterTest, SkopeoAndUmociAccept) {
  std::string dest = tmp_->path() + "/tools.tar";
  ASSERT_TRUE(Run("type=oci,dest=" + dest).ok());
  if (system("command -v skopeo >/dev/null 2>&1") == 0) {
    std::string cmd = "skopeo inspect oci-archive:" + dest + " > " + tmp_->path() + "/inspect.json 2>&1";
    ASSERT_EQ(system(cmd.c_str()), 0) << *ReadFile(tmp_->path() + "/inspect.json");
    auto j = nlohmann::json::parse(*ReadFile(tmp_->path() + "/inspect.json"));
    EXPECT_EQ(j["Layers"].size(), 1u);
    std::string zst = tmp_->path() + "/zstd.tar";
    ASSERT_TRUE(Run("type=oci,dest=" + zst + ",compression=zstd,compression-level=5").ok());
    cmd = "skopeo inspect --raw oci-archive:" + zst + " > " + tmp_->path() + "/raw.json 2>&1";
    ASSERT_EQ(system(cmd.c_str()), 0) << *ReadFile(tmp_->path() + "/raw.json");
    auto raw = nlohmann::json::parse(*ReadFile(tmp_->path() + "/raw.json"));
    EXPECT_EQ(raw["layers"][0]["mediaType"], oci::kMediaTypeLayerZstd);
  } else {
    GTEST_LOG_(INFO) << "skopeo not installed: skipped";
  }
  std::string layout = tmp_->path() + "/umoci-layout";
  ASSERT_TRUE(Run("type=oci,dest=" + layout + ",tar=false,rewrite-timestamp=true").ok());
  if (system("command -v umoci >/dev/null 2>&1") == 0 && geteuid() == 0) {
    std::string bundle = tmp_->path() + "/bundle";
    std::string cmd = "umoci unpack --image " + layout + ":1 " + bundle + " > " + tmp_->path() + "/umoci.log 2>&1";
    ASSERT_EQ(system(cmd.c_str()), 0) << *ReadFile(tmp_->path() + "/umoci.log");
    EXPECT_EQ(*ReadFile(bundle + "/rootfs/hello"), "#!/bin/sh\necho hi\n");
  } else {
    GTEST_LOG_(INFO) << "umoci not installed or not root: skipped";
  }
}

}  // namespace
}  // namespace kiln::exporter
