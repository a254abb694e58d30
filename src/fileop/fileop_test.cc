#include "fileop/fileop.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <fstream>

#include "base/fs.h"
#include "fileop/copier.h"

namespace kiln::fileop {
namespace {

class FileOpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto t = TempDir::Create("kiln-fileop-test");
    ASSERT_TRUE(t.ok());
    tmp_.emplace(std::move(*t));
    src_ = tmp_->path() + "/src";
    dst_ = tmp_->path() + "/dst";
    ASSERT_TRUE(MakeDirs(src_).ok());
    ASSERT_TRUE(MakeDirs(dst_).ok());
    ctx_.dest_root = dst_;
    ctx_.input_roots = {dst_, src_};
  }

  void Write(const std::string& path, const std::string& data, mode_t mode = 0644) {
    ASSERT_TRUE(MakeDirs(path.substr(0, path.rfind('/'))).ok());
    std::ofstream(path) << data;
    ASSERT_EQ(chmod(path.c_str(), mode), 0);
  }
  std::string Read(const std::string& path) {
    auto r = ReadFile(path);
    return r.ok() ? *r : "<missing " + path + ">";
  }
  struct stat Lstat(const std::string& p) {
    struct stat st{};
    EXPECT_EQ(lstat(p.c_str(), &st), 0) << p;
    return st;
  }
  llb::CopyAction Copy(const std::string& src, const std::string& dest) {
    llb::CopyAction a;
    a.source = 1;
    a.src = src;
    a.dest = dest;
    return a;
  }
  Status Run(llb::FileAction a) {
    llb::FileOp op;
    op.dest = 0;
    op.actions.push_back(std::move(a));
    return Apply(op, ctx_);
  }

  std::optional<TempDir> tmp_;
  std::string src_, dst_;
  FileOpContext ctx_;
};

TEST_F(FileOpTest, FileToNewName) {
  Write(src_ + "/a.txt", "hello");
  ASSERT_TRUE(Run(Copy("/a.txt", "/app/b.txt")).ok());
  EXPECT_EQ(Read(dst_ + "/app/b.txt"), "hello");
  EXPECT_TRUE(S_ISDIR(Lstat(dst_ + "/app").st_mode));
  EXPECT_EQ(Lstat(dst_ + "/app").st_mode & 07777, 0755u);
}

TEST_F(FileOpTest, TrailingSlashMeansDirectory) {
  Write(src_ + "/a.txt", "x");
  ASSERT_TRUE(Run(Copy("a.txt", "/app/")).ok());
  EXPECT_EQ(Read(dst_ + "/app/a.txt"), "x");
  // Into an existing directory without a slash: lands inside it.
  ASSERT_TRUE(MakeDirs(dst_ + "/existing").ok());
  ASSERT_TRUE(Run(Copy("/a.txt", "/existing")).ok());
  EXPECT_EQ(Read(dst_ + "/existing/a.txt"), "x");
}

TEST_F(FileOpTest, DirectoryCopiesContents) {
  Write(src_ + "/d/one", "1");
  Write(src_ + "/d/sub/two", "2");
  ASSERT_TRUE(Run(Copy("/d", "/out")).ok());
  EXPECT_EQ(Read(dst_ + "/out/one"), "1");
  EXPECT_EQ(Read(dst_ + "/out/sub/two"), "2");
  EXPECT_FALSE(PathExists(dst_ + "/out/d"));

  auto a = Copy("/d", "/out");
  a.dir_copy_contents = false;  // an existing dest gets the directory itself
  ASSERT_TRUE(Run(a).ok());
  EXPECT_EQ(Read(dst_ + "/out/d/sub/two"), "2");
}

TEST_F(FileOpTest, Wildcards) {
  Write(src_ + "/a.txt", "a");
  Write(src_ + "/b.txt", "b");
  Write(src_ + "/c.md", "c");
  Write(src_ + "/sub/d.txt", "d");
  ASSERT_TRUE(Run(Copy("/*.txt", "/out/")).ok());
  EXPECT_EQ(Read(dst_ + "/out/a.txt"), "a");
  EXPECT_EQ(Read(dst_ + "/out/b.txt"), "b");
  EXPECT_FALSE(PathExists(dst_ + "/out/c.md"));
  EXPECT_FALSE(PathExists(dst_ + "/out/d.txt"));
  ASSERT_TRUE(Run(Copy("/s?b/[d-e].txt", "/out2/")).ok());
  EXPECT_EQ(Read(dst_ + "/out2/d.txt"), "d");

  auto r = ResolveWildcards(src_, "/*", true);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (std::vector<std::string>{"/a.txt", "/b.txt", "/c.md", "/sub"}));
}

TEST_F(FileOpTest, EmptyWildcard) {
  Status st = Run(Copy("/*.none", "/out/"));
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(st.IsNotFound());
  EXPECT_NE(st.message().find("copy /*.none to /out/"), std::string::npos) << st.message();
  auto a = Copy("/*.none", "/out/");
  a.allow_empty_wildcard = true;
  EXPECT_TRUE(Run(a).ok());
}

TEST_F(FileOpTest, MissingSourceNamesActionAndPath) {
  Status st = Run(Copy("/missing", "/app/"));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "copy /missing to /app/: \"/missing\": not found");
}

TEST_F(FileOpTest, ChownByNameInDestination) {
  Write(dst_ + "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\napp:x:1234:2345::/home/app:/bin/sh\n");
  Write(dst_ + "/etc/group", "root:x:0:\nstaff:x:50:\n");
  // The source has its own passwd that must be ignored.
  Write(src_ + "/etc/passwd", "app:x:1:1::/:/bin/sh\n");
  Write(src_ + "/f", "x");
  Write(src_ + "/d/g", "y");
  auto a = Copy("/f", "/f");
  a.chown = llb::Chown{"app", ""};
  ASSERT_TRUE(Run(a).ok());
  EXPECT_EQ(Lstat(dst_ + "/f").st_uid, 1234u);
  EXPECT_EQ(Lstat(dst_ + "/f").st_gid, 2345u);
  a = Copy("/d", "/new/dir/");
  a.chown = llb::Chown{"app", "staff"};
  ASSERT_TRUE(Run(a).ok());
  EXPECT_EQ(Lstat(dst_ + "/new/dir/g").st_gid, 50u);
  EXPECT_EQ(Lstat(dst_ + "/new/dir").st_uid, 1234u);  // created parents get the owner too
  EXPECT_EQ(Lstat(dst_ + "/new").st_uid, 1234u);
  a = Copy("/f", "/byid");
  a.chown = llb::Chown{"42", ""};
  ASSERT_TRUE(Run(a).ok());
  EXPECT_EQ(Lstat(dst_ + "/byid").st_uid, 42u);
  EXPECT_EQ(Lstat(dst_ + "/byid").st_gid, 42u);
  // Unknown names resolve to 0 as in BuildKit; a missing passwd file is an error.
  a = Copy("/f", "/unknown");
  a.chown = llb::Chown{"nobody-here", "no-group"};
  ASSERT_TRUE(Run(a).ok());
  EXPECT_EQ(Lstat(dst_ + "/unknown").st_uid, 0u);
  EXPECT_EQ(Lstat(dst_ + "/unknown").st_gid, 0u);
  ASSERT_EQ(unlink((dst_ + "/etc/passwd").c_str()), 0);
  a.chown = llb::Chown{"app", ""};
  Status st = Run(a);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("unable to find user app: no /etc/passwd"), std::string::npos) << st.message();
}

TEST_F(FileOpTest, OwnershipPreservedFromStageResetFromContext) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to chown";
  Write(src_ + "/f", "x");
  ASSERT_EQ(lchown((src_ + "/f").c_str(), 1000, 1001), 0);
  ASSERT_TRUE(Run(Copy("/f", "/stage")).ok());
  EXPECT_EQ(Lstat(dst_ + "/stage").st_uid, 1000u);
  EXPECT_EQ(Lstat(dst_ + "/stage").st_gid, 1001u);
  ctx_.root_owned_inputs = {1};
  ASSERT_TRUE(Run(Copy("/f", "/context")).ok());
  EXPECT_EQ(Lstat(dst_ + "/context").st_uid, 0u);
  EXPECT_EQ(Lstat(dst_ + "/context").st_gid, 0u);
}

TEST_F(FileOpTest, ChmodAndModes) {
  Write(src_ + "/d/x.sh", "#!", 0644);
  ASSERT_EQ(chmod((src_ + "/d").c_str(), 0700), 0);
  auto a = Copy("/d", "/out");
  a.chmod = "u+x,g-w,o=rX";
  ASSERT_TRUE(Run(a).ok());
  // X sees the u+x applied before it (chmod(1) order): o gets r-x.
  EXPECT_EQ(Lstat(dst_ + "/out/x.sh").st_mode & 07777, 0745u);
  a = Copy("/d/x.sh", "/oct");
  a.chmod = "751";
  ASSERT_TRUE(Run(a).ok());
  EXPECT_EQ(Lstat(dst_ + "/oct").st_mode & 07777, 0751u);
  a.chmod = "u+q";
  EXPECT_TRUE(Run(a).IsInvalidArgument());
  // Without --chmod, special bits survive.
  Write(src_ + "/suid", "s", 04755);
  ASSERT_TRUE(Run(Copy("/suid", "/suid")).ok());
  EXPECT_EQ(Lstat(dst_ + "/suid").st_mode & 07777, 04755u);
}

TEST_F(FileOpTest, Timestamps) {
  Write(src_ + "/d/f", "x");
  struct timespec ts[2] = {{1000000000, 5}, {1200000000, 123456789}};
  ASSERT_EQ(utimensat(AT_FDCWD, (src_ + "/d/f").c_str(), ts, AT_SYMLINK_NOFOLLOW), 0);
  ASSERT_TRUE(Run(Copy("/d/f", "/kept")).ok());
  EXPECT_EQ(Lstat(dst_ + "/kept").st_mtim.tv_sec, 1200000000);
  EXPECT_EQ(Lstat(dst_ + "/kept").st_mtim.tv_nsec, 123456789);
  auto a = Copy("/d", "/fixed/in/");
  a.timestamp = 1700000000;
  ASSERT_TRUE(Run(a).ok());
  EXPECT_EQ(Lstat(dst_ + "/fixed/in/f").st_mtim.tv_sec, 1700000000);
  // As in BuildKit, directories created for the destination get the timestamp, but
  // creating entries inside them afterwards moves their mtime again (the layer
  // writer clamps those with SOURCE_DATE_EPOCH).
  auto b = Copy("/d/f", "/fixed2/g");
  b.timestamp = 1700000000;
  ASSERT_TRUE(Run(b).ok());
  EXPECT_EQ(Lstat(dst_ + "/fixed2/g").st_mtim.tv_sec, 1700000000);
}

TEST_F(FileOpTest, HardLinksPreserved) {
  Write(src_ + "/d/a", "shared");
  ASSERT_EQ(link((src_ + "/d/a").c_str(), (src_ + "/d/b").c_str()), 0);
  ASSERT_TRUE(Run(Copy("/d", "/out")).ok());
  EXPECT_EQ(Lstat(dst_ + "/out/a").st_ino, Lstat(dst_ + "/out/b").st_ino);
  EXPECT_EQ(Lstat(dst_ + "/out/a").st_nlink, 2u);
}

TEST_F(FileOpTest, XattrsCopied) {
  Write(src_ + "/f", "x");
  if (lsetxattr((src_ + "/f").c_str(), "user.kiln", "v1", 2, 0) != 0) {
    GTEST_SKIP() << "filesystem without user xattrs";
  }
  ASSERT_TRUE(Run(Copy("/f", "/f")).ok());
  char buf[16] = {};
  ASSERT_EQ(lgetxattr((dst_ + "/f").c_str(), "user.kiln", buf, sizeof buf), 2);
  EXPECT_STREQ(buf, "v1");
}

TEST_F(FileOpTest, SymlinksInDestinationCannotEscape) {
  std::string outside = tmp_->path() + "/outside";
  ASSERT_TRUE(MakeDirs(outside).ok());
  ASSERT_EQ(symlink(outside.c_str(), (dst_ + "/abs").c_str()), 0);
  ASSERT_EQ(symlink("../../../../../../..", (dst_ + "/rel").c_str()), 0);
  Write(src_ + "/f", "x");
  ASSERT_TRUE(Run(Copy("/f", "/abs/f")).ok());
  ASSERT_TRUE(Run(Copy("/f", "/rel/escaped/")).ok());
  ASSERT_TRUE(Run(Copy("/f", "/../../up")).ok());
  EXPECT_FALSE(PathExists(outside + "/f"));
  EXPECT_TRUE(PathExists(dst_ + outside + "/f"));  // the absolute link resolved inside the root
  EXPECT_EQ(Read(dst_ + "/escaped/f"), "x");
  EXPECT_EQ(Read(dst_ + "/up"), "x");
}

TEST_F(FileOpTest, SourceSymlinks) {
  Write(src_ + "/real", "data");
  ASSERT_EQ(symlink("real", (src_ + "/link").c_str()), 0);
  ASSERT_EQ(symlink("/../../../etc/hostname", (src_ + "/evil").c_str()), 0);
  ASSERT_TRUE(Run(Copy("/link", "/followed")).ok());
  EXPECT_TRUE(S_ISREG(Lstat(dst_ + "/followed").st_mode));
  EXPECT_EQ(Read(dst_ + "/followed"), "data");
  auto a = Copy("/link", "/kept");
  a.follow_symlinks = false;
  ASSERT_TRUE(Run(a).ok());
  EXPECT_TRUE(S_ISLNK(Lstat(dst_ + "/kept").st_mode));
  // A source symlink pointing out of its root resolves inside it: not found.
  EXPECT_TRUE(Run(Copy("/evil", "/e")).IsNotFound());
}

TEST_F(FileOpTest, ExcludePatterns) {
  Write(src_ + "/app/main.go", "m");
  Write(src_ + "/app/main_test.go", "t");
  Write(src_ + "/app/sub/x_test.go", "t");
  Write(src_ + "/app/node_modules/pkg/i.js", "n");
  auto a = Copy("/app", "/out");
  a.exclude_patterns = {"**/*_test.go", "node_modules"};
  ASSERT_TRUE(Run(a).ok());
  EXPECT_TRUE(PathExists(dst_ + "/out/main.go"));
  EXPECT_FALSE(PathExists(dst_ + "/out/main_test.go"));
  EXPECT_FALSE(PathExists(dst_ + "/out/sub/x_test.go"));
  EXPECT_TRUE(PathExists(dst_ + "/out/sub"));
  EXPECT_FALSE(PathExists(dst_ + "/out/node_modules"));
}

TEST_F(FileOpTest, IncludePatterns) {
  Write(src_ + "/a/b/c.txt", "c");
  Write(src_ + "/a/b/d.txt", "d");
  Write(src_ + "/a/x/y.bin", "y");
  auto a = Copy("/", "/out");
  a.include_patterns = {"a/*/c.txt"};
  ASSERT_TRUE(Run(a).ok());
  EXPECT_TRUE(PathExists(dst_ + "/out/a/b/c.txt"));
  EXPECT_FALSE(PathExists(dst_ + "/out/a/b/d.txt"));
  EXPECT_FALSE(PathExists(dst_ + "/out/a/x"));  // directories without matches are not created
}

// COPY --parents as lowered: src is the pivot, the include patterns the sources below it.
TEST_F(FileOpTest, Parents) {
  Write(src_ + "/x/y/a.txt", "a");
  Write(src_ + "/x/z/b.txt", "b");
  Write(src_ + "/x/z/c.md", "c");
  Write(src_ + "/c/z.txt", "z");
  auto parents = [&](const std::string& pivot, std::vector<std::string> patterns, const std::string& dest) {
    auto a = Copy(pivot, dest);
    a.parents = true;
    a.include_patterns = std::move(patterns);
    a.follow_symlinks = true;
    a.allow_wildcard = true;
    a.allow_empty_wildcard = true;
    return a;
  };
  ASSERT_TRUE(Run(parents("/", {"x/*/*.txt"}, "/out")).ok());
  EXPECT_EQ(Read(dst_ + "/out/x/y/a.txt"), "a");
  EXPECT_EQ(Read(dst_ + "/out/x/z/b.txt"), "b");
  EXPECT_FALSE(PathExists(dst_ + "/out/x/z/c.md"));
  EXPECT_FALSE(PathExists(dst_ + "/out/c"));
  // Two sources of one COPY are two actions; each keeps its directories.
  ASSERT_TRUE(Run(parents("/", {"x/y/a.txt"}, "/p/")).ok());
  ASSERT_TRUE(Run(parents("/", {"c/z.txt"}, "/p/")).ok());
  EXPECT_EQ(Read(dst_ + "/p/x/y/a.txt"), "a");
  EXPECT_EQ(Read(dst_ + "/p/c/z.txt"), "z");
  EXPECT_EQ(Lstat(dst_ + "/p/x/y").st_mode & 07777, Lstat(src_ + "/x/y").st_mode & 07777);
  // A "/./" pivot: only the part after it is kept.
  ASSERT_TRUE(Run(parents("/x", {"z/b.txt"}, "/pivot/")).ok());
  EXPECT_EQ(Read(dst_ + "/pivot/z/b.txt"), "b");
  EXPECT_FALSE(PathExists(dst_ + "/pivot/x"));
  // A directory comes whole, under its path; --exclude applies below the pivot.
  auto dir = parents("/", {"x/z"}, "/d/");
  dir.exclude_patterns = {"**/*.md"};
  ASSERT_TRUE(Run(dir).ok());
  EXPECT_EQ(Read(dst_ + "/d/x/z/b.txt"), "b");
  EXPECT_FALSE(PathExists(dst_ + "/d/x/z/c.md"));
  EXPECT_FALSE(PathExists(dst_ + "/d/x/y"));
  // The whole source ("COPY --parents . /all/").
  ASSERT_TRUE(Run(parents("/", {""}, "/all/")).ok());
  EXPECT_EQ(Read(dst_ + "/all/c/z.txt"), "z");
  EXPECT_EQ(Read(dst_ + "/all/x/z/c.md"), "c");
  // A missing path fails; a wildcard matching nothing copies nothing.
  EXPECT_TRUE(Run(parents("/", {"x/nothing"}, "/q/")).IsNotFound());
  ASSERT_TRUE(Run(parents("/", {"x/*.none"}, "/e/")).ok());
  EXPECT_FALSE(PathExists(dst_ + "/e/x"));
}

TEST_F(FileOpTest, ReplaceExisting) {
  Write(src_ + "/f", "file");
  ASSERT_TRUE(MakeDirs(dst_ + "/target/sub").ok());
  auto a = Copy("/f", "/target/sub");  // existing dir: the file lands inside
  ASSERT_TRUE(Run(a).ok());
  EXPECT_EQ(Read(dst_ + "/target/sub/f"), "file");
  Write(src_ + "/d/sub", "now a file");
  ASSERT_TRUE(MakeDirs(dst_ + "/m/sub").ok());
  Status st = Run(Copy("/d", "/m"));
  EXPECT_FALSE(st.ok());
  a = Copy("/d", "/m");
  a.replace_existing = true;
  ASSERT_TRUE(Run(a).ok()) << st.ToString();
  EXPECT_EQ(Read(dst_ + "/m/sub"), "now a file");
}

TEST_F(FileOpTest, CreateDestPathFalse) {
  Write(src_ + "/f", "x");
  auto a = Copy("/f", "/no/such/dir/f");
  a.create_dest_path = false;
  Status st = Run(a);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("/no/such/dir"), std::string::npos) << st.message();
}

TEST_F(FileOpTest, ScratchSource) {
  auto a = Copy("/f", "/x");
  a.source = -1;
  EXPECT_TRUE(Run(a).IsNotFound());
}

TEST_F(FileOpTest, MkdirMkfileRm) {
  llb::MkdirAction md;
  md.path = "/a/b/c";
  md.mode = 0700;
  md.timestamp = 1600000000;
  ASSERT_TRUE(Run(md).ok());
  EXPECT_EQ(Lstat(dst_ + "/a/b/c").st_mode & 0777, 0700u);
  EXPECT_EQ(Lstat(dst_ + "/a/b/c").st_mtim.tv_sec, 1600000000);
  md.make_parents = false;
  md.path = "/q/r";
  EXPECT_FALSE(Run(md).ok());

  llb::MkfileAction mf;
  mf.path = "/a/file";
  mf.data = "content";
  mf.mode = 0600;
  mf.chown = llb::Chown{"7", "8"};
  ASSERT_TRUE(Run(mf).ok());
  EXPECT_EQ(Read(dst_ + "/a/file"), "content");
  EXPECT_EQ(Lstat(dst_ + "/a/file").st_mode & 0777, 0600u);
  EXPECT_EQ(Lstat(dst_ + "/a/file").st_uid, 7u);
  EXPECT_EQ(Lstat(dst_ + "/a/file").st_gid, 8u);

  llb::RmAction rm;
  rm.path = "/a/b";
  ASSERT_TRUE(Run(rm).ok());
  EXPECT_FALSE(PathExists(dst_ + "/a/b"));
  rm.allow_not_found = false;
  EXPECT_TRUE(Run(rm).IsNotFound());
  Write(dst_ + "/w/1.log", "");
  Write(dst_ + "/w/2.log", "");
  Write(dst_ + "/w/keep", "");
  rm.path = "/w/*.log";
  rm.allow_wildcard = true;
  ASSERT_TRUE(Run(rm).ok());
  EXPECT_FALSE(PathExists(dst_ + "/w/1.log"));
  EXPECT_TRUE(PathExists(dst_ + "/w/keep"));
  // rm through a symlink never leaves the root.
  std::string outside = tmp_->path() + "/victim";
  Write(outside + "/f", "keep me");
  ASSERT_EQ(symlink(outside.c_str(), (dst_ + "/lnk").c_str()), 0);
  rm.path = "/lnk/f";
  rm.allow_wildcard = false;
  rm.allow_not_found = true;
  ASSERT_TRUE(Run(rm).ok());
  EXPECT_TRUE(PathExists(outside + "/f"));
}

// Writes a tar with the given filter (ARCHIVE_FILTER_*) holding `entries`.
struct TarEntry {
  std::string name;
  std::string data;
  mode_t type = AE_IFREG;
  std::string link;  // symlink target or hard link target
  bool hard = false;
};

void WriteTar(const std::string& path, int filter, const std::vector<TarEntry>& entries) {
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_add_filter(a, filter);
  ASSERT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK) << archive_error_string(a);
  for (const auto& e : entries) {
    struct archive_entry* en = archive_entry_new();
    archive_entry_set_pathname(en, e.name.c_str());
    archive_entry_set_filetype(en, e.hard ? AE_IFREG : e.type);
    archive_entry_set_perm(en, e.type == AE_IFDIR ? 0750 : 0640);
    archive_entry_set_uid(en, 321);
    archive_entry_set_gid(en, 654);
    archive_entry_set_mtime(en, 1234567890, 0);
    if (e.type == AE_IFLNK) archive_entry_set_symlink(en, e.link.c_str());
    if (e.hard) archive_entry_set_hardlink(en, e.link.c_str());
    archive_entry_set_size(en, e.type == AE_IFREG && !e.hard ? e.data.size() : 0);
    archive_write_header(a, en);
    if (e.type == AE_IFREG && !e.hard) archive_write_data(a, e.data.data(), e.data.size());
    archive_entry_free(en);
  }
  archive_write_close(a);
  archive_write_free(a);
}

TEST_F(FileOpTest, AddExtractsEveryCompression) {
  const std::pair<const char*, int> kinds[] = {{"t.tar", ARCHIVE_FILTER_NONE},
                                               {"t.tar.gz", ARCHIVE_FILTER_GZIP},
                                               {"t.tar.bz2", ARCHIVE_FILTER_BZIP2},
                                               {"t.tar.xz", ARCHIVE_FILTER_XZ},
                                               {"t.tar.zst", ARCHIVE_FILTER_ZSTD}};
  for (auto [name, filter] : kinds) {
    WriteTar(src_ + "/" + name, filter,
             {{"dir", "", AE_IFDIR}, {"dir/f", "payload"}, {"dir/l", "", AE_IFLNK, "f"},
              {"dir/h", "", AE_IFREG, "dir/f", true}});
    auto a = Copy(std::string("/") + name, std::string("/x/") + name + "/");
    a.unpack_archives = true;
    Status st = Run(a);
    ASSERT_TRUE(st.ok()) << name << ": " << st.ToString();
    std::string base = dst_ + "/x/" + name + "/dir";
    EXPECT_EQ(Read(base + "/f"), "payload") << name;
    EXPECT_TRUE(S_ISLNK(Lstat(base + "/l").st_mode)) << name;
    EXPECT_EQ(Lstat(base + "/h").st_ino, Lstat(base + "/f").st_ino) << name;
    EXPECT_EQ(Lstat(base + "/f").st_uid, 321u);
    EXPECT_EQ(Lstat(base + "/f").st_mode & 07777, 0640u);
    EXPECT_EQ(Lstat(base).st_mode & 07777, 0750u);
    EXPECT_EQ(Lstat(base).st_mtim.tv_sec, 1234567890);
  }
}

// moby's untar applies a hard link header's owner, mode and times to the inode
// it shares with its target (tests/fixtures/fidelity/add-tar-special).
TEST_F(FileOpTest, AddHardLinkHeaderOverridesTargetMetadata) {
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  ASSERT_EQ(archive_write_open_filename(a, (src_ + "/h.tar").c_str()), ARCHIVE_OK);
  auto entry = [&](const char* name, const char* hard, mode_t perm, int uid, int64_t mtime) {
    struct archive_entry* en = archive_entry_new();
    archive_entry_set_pathname(en, name);
    archive_entry_set_filetype(en, AE_IFREG);
    archive_entry_set_perm(en, perm);
    archive_entry_set_uid(en, uid);
    archive_entry_set_gid(en, uid);
    archive_entry_set_mtime(en, mtime, 0);
    if (hard) archive_entry_set_hardlink(en, hard);
    archive_entry_set_size(en, hard ? 0 : 2);
    archive_write_header(a, en);
    if (!hard) archive_write_data(a, "x\n", 2);
    archive_entry_free(en);
  };
  entry("f", nullptr, 0640, 9, 1000);
  entry("h", "f", 0604, 3, 2000);
  archive_write_close(a);
  archive_write_free(a);
  auto c = Copy("/h.tar", "/x/");
  c.unpack_archives = true;
  ASSERT_TRUE(Run(c).ok());
  struct stat st = Lstat(dst_ + "/x/f");
  EXPECT_EQ(st.st_ino, Lstat(dst_ + "/x/h").st_ino);
  EXPECT_EQ(st.st_mode & 07777, 0604u);
  EXPECT_EQ(st.st_uid, 3u);
  EXPECT_EQ(st.st_mtim.tv_sec, 2000);
}

// moby's Unpack skips the archive's "./" entry when the destination directory
// exists, so ADD --chown's new destination keeps its owner and mode.
TEST_F(FileOpTest, AddArchiveRootEntryLeavesDestination) {
  WriteTar(src_ + "/r.tar", ARCHIVE_FILTER_NONE, {{"./", "", AE_IFDIR}, {"./f", "x"}});
  auto a = Copy("/r.tar", "/x/");
  a.unpack_archives = true;
  a.chown = llb::Chown{"12", "34"};
  ASSERT_TRUE(Run(a).ok());
  EXPECT_EQ(Lstat(dst_ + "/x").st_uid, 12u);
  EXPECT_EQ(Lstat(dst_ + "/x").st_gid, 34u);
  EXPECT_EQ(Lstat(dst_ + "/x").st_mode & 07777, 0755u);
  EXPECT_EQ(Lstat(dst_ + "/x/f").st_uid, 321u);
}

TEST_F(FileOpTest, AddCopiesNonArchivesAndCopyNeverExtracts) {
  Write(src_ + "/plain.tar.gz", "not really a tarball");
  auto a = Copy("/plain.tar.gz", "/d/");
  a.unpack_archives = true;
  ASSERT_TRUE(Run(a).ok());
  EXPECT_EQ(Read(dst_ + "/d/plain.tar.gz"), "not really a tarball");
  WriteTar(src_ + "/real.tar", ARCHIVE_FILTER_NONE, {{"f", "x"}});
  ASSERT_TRUE(Run(Copy("/real.tar", "/c/")).ok());
  EXPECT_TRUE(S_ISREG(Lstat(dst_ + "/c/real.tar").st_mode));
}

TEST_F(FileOpTest, HostileArchiveStaysInside) {
  std::string outside = tmp_->path() + "/outside";
  ASSERT_TRUE(MakeDirs(outside).ok());
  WriteTar(src_ + "/evil.tar", ARCHIVE_FILTER_NONE,
           {{"../../../../evil1", "1"},
            {"/abs/evil2", "2"},
            {"esc", "", AE_IFLNK, outside},
            {"esc/evil3", "3"},
            {"hl", "", AE_IFREG, "../../../../etc/passwd", true}});
  auto a = Copy("/evil.tar", "/x/");
  a.unpack_archives = true;
  Status st = Run(a);
  // The hard link to a path outside resolves inside the root, where it does not exist.
  EXPECT_FALSE(st.ok());
  EXPECT_FALSE(PathExists(outside + "/evil3"));
  EXPECT_FALSE(PathExists(tmp_->path() + "/evil1"));
  EXPECT_EQ(Read(dst_ + "/x/evil1"), "1");
  EXPECT_EQ(Read(dst_ + "/x/abs/evil2"), "2");
  EXPECT_EQ(Read(dst_ + outside + "/evil3"), "3");
}

// Incremental copies: an existing target the hook vouches for is kept (same inode,
// nothing written) only when its metadata is what the copy gives; else it is
// replaced by a new inode and the old one is left as it was.
TEST_F(FileOpTest, CopyHooksKeepOnlyMatchingTargets) {
  Write(src_ + "/d/same", "same");
  Write(src_ + "/d/stale", "new");
  Write(src_ + "/d/a", "a1");
  ASSERT_EQ(link((src_ + "/d/a").c_str(), (src_ + "/d/b").c_str()), 0);
  auto copy = Copy("/d", "/out");
  copy.dir_copy_contents = true;
  ASSERT_TRUE(Run(copy).ok());
  std::string keep_dir = tmp_->path() + "/prev";
  ASSERT_TRUE(MakeDirs(keep_dir).ok());
  // Keep hard links to the first result, as an incremental copy's clone does.
  for (const char* n : {"same", "stale", "a", "b"})
    ASSERT_EQ(link((dst_ + "/out/" + n).c_str(), (keep_dir + "/" + n).c_str()), 0);
  ino_t same_ino = Lstat(dst_ + "/out/same").st_ino, stale_ino = Lstat(dst_ + "/out/stale").st_ino;
  ino_t a_ino = Lstat(dst_ + "/out/a").st_ino;
  EXPECT_EQ(Lstat(dst_ + "/out/b").st_ino, a_ino);
  // The source of "stale" changed: the hook says so; "same" keeps its content but
  // its mtime moved, which a kept file could not show.
  Write(src_ + "/d/stale", "newer");
  CopyHooks hooks;
  std::vector<std::string> done;
  hooks.existing_copy = [&](const std::string& src, const struct stat&,
                            const std::string& target) -> std::optional<struct stat> {
    struct stat tst;
    if (src.find("stale") != std::string::npos || lstat(target.c_str(), &tst) != 0) return std::nullopt;
    return tst;
  };
  hooks.done = [&](const std::string&, const struct stat&, const std::string& target) { done.push_back(target); };
  ctx_.copy_hooks = &hooks;
  ASSERT_TRUE(Run(copy).ok());
  EXPECT_EQ(Lstat(dst_ + "/out/same").st_ino, same_ino);
  EXPECT_NE(Lstat(dst_ + "/out/stale").st_ino, stale_ino);
  EXPECT_EQ(Read(dst_ + "/out/stale"), "newer");
  EXPECT_EQ(Read(keep_dir + "/stale"), "new");  // the old inode was not written through
  EXPECT_EQ(Lstat(dst_ + "/out/a").st_ino, a_ino);
  EXPECT_EQ(Lstat(dst_ + "/out/b").st_ino, a_ino);  // still one hard-linked pair
  EXPECT_EQ(done.size(), 5u);  // out, a, b, same, stale
  struct timespec ts[2] = {{1000, 0}, {1000, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, (src_ + "/d/same").c_str(), ts, AT_SYMLINK_NOFOLLOW), 0);
  ASSERT_TRUE(Run(copy).ok());
  EXPECT_NE(Lstat(dst_ + "/out/same").st_ino, same_ino);
  EXPECT_EQ(Lstat(dst_ + "/out/same").st_mtim.tv_sec, 1000);
  EXPECT_NE(Lstat(keep_dir + "/same").st_mtim.tv_sec, 1000);
}

}  // namespace
}  // namespace kiln::fileop
