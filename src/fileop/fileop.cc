// BuildKit's file backend (solver/llbsolver/file/backend.go) over plain directories.
#include "fileop/fileop.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>

#include "base/fs.h"
#include "base/go_match.h"
#include "fileop/copier.h"
#include "fileop/match.h"
#include "fileop/path.h"
#include "fileop/unpack.h"

namespace kiln::fileop {
namespace {

// BuildKit's cleanPath: absolute and clean, keeping a trailing "/" or "/.".
std::string CleanKeepSlash(const std::string& s) {
  std::string c = AbsClean(s);
  if (s.size() >= 2 && s.compare(s.size() - 2, 2, "/.") == 0) {
    if (c != "/") c += "/";
    c += ".";
  } else if (!s.empty() && s.back() == '/' && c != "/") {
    c += "/";
  }
  return c;
}

std::pair<std::string, std::string> SplitWildcards(const std::string& p) {
  std::string clean = CleanPath(p);
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= clean.size()) {
    size_t j = clean.find('/', i);
    if (j == std::string::npos) j = clean.size();
    parts.push_back(clean.substr(i, j - i));
    i = j + 1;
  }
  std::string d1, d2;
  bool found = false;
  for (auto& part : parts) {
    if (!found && HasWildcards(part)) found = true;
    std::string comp = part.empty() ? "/" : part;
    std::string& d = found ? d2 : d1;
    d = d.empty() ? comp : JoinPath(d, comp);
  }
  return {d1.empty() ? "" : CleanPath(d1), d2.empty() ? "" : CleanPath(d2)};
}

size_t Components(const std::string& p) { return std::count(p.begin(), p.end(), '/') + 1; }

// filepath.Walk below `base` in lexical order, up to `depth` levels.
Status Walk(const std::string& base, const std::string& rel, size_t depth,
            const std::function<Result<bool>(const std::string& rel, bool is_dir)>& fn) {
  std::string dir = rel.empty() ? base : base + "/" + rel;
  ASSIGN_OR_RETURN(std::vector<std::string> names, ReadDirSorted(dir));
  for (const auto& n : names) {
    std::string r = rel.empty() ? n : rel + "/" + n;
    struct stat st;
    if (lstat((base + "/" + r).c_str(), &st) != 0) continue;
    bool is_dir = S_ISDIR(st.st_mode);
    ASSIGN_OR_RETURN(bool matched, fn(r, is_dir));
    if (is_dir && !matched && depth > 1) RETURN_IF_ERROR(Walk(base, r, depth - 1, fn));
  }
  return Status::OK();
}

Result<std::string> SourcePath(const std::string& root, const std::string& p, bool follow) {
  std::string clean = AbsClean(p);
  if (clean == "/") return CleanPath(root);
  return follow ? RootPath(root, clean) : RootPathNoFollow(root, clean);
}

std::string RelToRoot(const std::string& root, const std::string& host) {
  std::string r = CleanPath(root);
  std::string rel = host.substr(r == "/" ? 0 : r.size());
  return rel.empty() ? "/" : rel;
}

bool Contains(const std::vector<int>& v, int x) { return std::find(v.begin(), v.end(), x) != v.end(); }

Result<std::optional<Owner>> ResolveChown(const std::optional<llb::Chown>& c, const std::string& dest_root) {
  if (!c) return std::optional<Owner>();
  ASSIGN_OR_RETURN(Owner o, ResolveOwner(dest_root, *c));
  return std::optional<Owner>(o);
}

// fsutil's copy.Copy for one resolved source.
Status CopyOne(const std::string& src_root, const std::string& src, const std::string& dest_root,
               const std::string& dest, const llb::CopyAction& a, CopyOptions opts) {
  std::string ensure = dest;
  auto [d, f] = SplitPath(dest);
  if (!f.empty() && f != ".") ensure = d;
  if (!ensure.empty()) {
    ASSIGN_OR_RETURN(std::string host, RootPath(dest_root, ensure));
    RETURN_IF_ERROR(MkdirAll(host, 0755, opts.chown, opts.timestamp));
  }
  ASSIGN_OR_RETURN(std::string dst, RootPath(dest_root, CleanPath(dest)));
  ASSIGN_OR_RETURN(std::string src_host, SourcePath(src_root, src, a.follow_symlinks));
  struct stat st;
  if (lstat(src_host.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return Status::NotFound("\"" + AbsClean(src) + "\": not found");
    return Status::FromErrno(errno, "stat", AbsClean(src));
  }
  Copier copier(std::move(opts));
  return copier.CopyTop(src_host, AbsClean(src), dst, a.dir_copy_contents);
}

Result<CopyOptions> MakeCopyOptions(const llb::CopyAction& a, const FileOpContext& ctx) {
  CopyOptions o;
  ASSIGN_OR_RETURN(o.chown, ResolveChown(a.chown, ctx.dest_root));
  o.reset_owner = Contains(ctx.root_owned_inputs, a.source);
  ASSIGN_OR_RETURN(o.mode, ModeSpec::Parse(a.chmod));
  o.timestamp = a.timestamp;
  o.include_patterns = a.include_patterns;
  ASSIGN_OR_RETURN(o.exclude, PatternMatcher::Create(a.exclude_patterns));
  o.replace_existing = a.replace_existing;
  o.hooks = ctx.copy_hooks;
  return o;
}

// COPY --parents as the Dockerfile frontend lowers it: `src` is the pivot (the
// part before "/./", else "/"), and the include patterns are the sources below
// it, copied with their directories. A pattern without wildcards must match.
Status CopyParents(const llb::CopyAction& a, const FileOpContext& ctx, const std::string& src_root,
                   std::string dest, CopyOptions opts) {
  std::string pivot = AbsClean(a.src);
  for (const std::string& pattern : a.include_patterns) {
    if (HasWildcards(pattern) && a.allow_empty_wildcard) continue;
    ASSIGN_OR_RETURN(auto matches, ResolveWildcards(src_root, JoinPath(pivot, pattern), a.follow_symlinks));
    bool found = !matches.empty();
    if (found && !HasWildcards(pattern)) {
      ASSIGN_OR_RETURN(std::string h, SourcePath(src_root, matches[0], a.follow_symlinks));
      found = PathExists(h);
    }
    if (!found) return Status::NotFound("\"" + JoinPath(pivot, pattern) + "\": not found");
  }
  if (dest.back() != '/') dest += "/";
  opts.include_patterns = a.include_patterns;
  llb::CopyAction whole = a;
  whole.dir_copy_contents = true;
  return CopyOne(src_root, pivot, ctx.dest_root, dest, whole, std::move(opts));
}

Status DoCopy(const llb::CopyAction& a, const FileOpContext& ctx, const std::string& src_root) {
  std::string dest = CleanKeepSlash(a.dest);
  if (!a.create_dest_path) {
    ASSIGN_OR_RETURN(std::string p, RootPath(ctx.dest_root, AbsClean(a.dest)));
    struct stat st;
    if (lstat(DirName(p).c_str(), &st) != 0) return Status::FromErrno(errno, "stat", DirName(AbsClean(a.dest)));
  }
  ASSIGN_OR_RETURN(CopyOptions opts, MakeCopyOptions(a, ctx));

  std::string src = CleanKeepSlash(a.src);
  if (a.parents) return CopyParents(a, ctx, src_root, dest, std::move(opts));
  std::vector<std::string> sources{src};
  if (a.allow_wildcard) {
    ASSIGN_OR_RETURN(sources, ResolveWildcards(src_root, src, a.follow_symlinks));
    if (sources.empty()) {
      if (a.allow_empty_wildcard) return Status::OK();
      return Status::NotFound("\"" + AbsClean(src) + "\": not found");
    }
  }
  for (const auto& s : sources) {
    if (a.unpack_archives) {
      ASSIGN_OR_RETURN(std::string host, RootPath(src_root, AbsClean(s)));
      if (IsArchive(host)) {
        ASSIGN_OR_RETURN(std::string dst, RootPath(ctx.dest_root, AbsClean(dest)));
        RETURN_IF_ERROR(MkdirAll(dst, 0755, opts.chown, opts.timestamp));
        RETURN_IF_ERROR(Untar(host, ctx.dest_root, dst).WithContext("extract " + AbsClean(s)));
        continue;
      }
    }
    RETURN_IF_ERROR(CopyOne(src_root, s, ctx.dest_root, dest, a, opts));
  }
  return Status::OK();
}

// Go's os.Mkdir / os.WriteFile apply the process umask (022 in BuildKit's daemon).
constexpr mode_t kUmask = 022;

Status RmPath(const std::string& root, const std::string& path, bool allow_not_found) {
  std::string clean = CleanPath(path);
  auto [dir, base] = SplitPath(clean);
  if (base.empty() || clean == "/") return Status::InvalidArgument("rmpath: invalid empty path");
  ASSIGN_OR_RETURN(std::string d, RootPath(root, AbsClean(dir)));
  std::string p = JoinPath(d, base);
  struct stat st;
  if (lstat(p.c_str(), &st) != 0) {
    if (!allow_not_found && (errno == ENOENT || errno == ENOTDIR)) {
      return Status::NotFound("\"" + AbsClean(path) + "\": not found");
    }
    return Status::OK();
  }
  return RemoveAll(p);
}

}  // namespace

Result<std::vector<std::string>> ResolveWildcards(const std::string& root, const std::string& src,
                                                  bool follow_symlinks) {
  auto [d1, d2] = SplitWildcards(src);
  if (d2.empty()) return std::vector<std::string>{AbsClean(d1)};
  ASSIGN_OR_RETURN(std::string base, SourcePath(root, d1.empty() ? "/" : d1, follow_symlinks));
  struct stat st;
  if (stat(base.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return Status::NotFound("\"" + AbsClean(d1) + "\": not found");
    return Status::FromErrno(errno, "stat", AbsClean(d1));
  }
  if (!S_ISDIR(st.st_mode)) return std::vector<std::string>{};
  RETURN_IF_ERROR(GoMatch(d2, "").status());
  std::vector<std::string> out;
  RETURN_IF_ERROR(Walk(base, "", Components(d2), [&](const std::string& rel, bool) -> Result<bool> {
    ASSIGN_OR_RETURN(bool m, GoMatch(d2, rel));
    if (m) out.push_back(RelToRoot(root, base + "/" + rel));
    return m;
  }));
  return out;
}

Status ApplyCopy(const llb::CopyAction& a, const FileOpContext& ctx) {
  std::string src_root;
  std::optional<TempDir> empty;
  if (a.source >= 0 && a.source < static_cast<int>(ctx.input_roots.size())) src_root = ctx.input_roots[a.source];
  if (src_root.empty()) {
    ASSIGN_OR_RETURN(TempDir t, TempDir::Create("kiln-scratch"));
    src_root = t.path();
    empty.emplace(std::move(t));
  }
  return DoCopy(a, ctx, src_root).WithContext("copy " + a.src + " to " + a.dest);
}

Status ApplyMkdir(const llb::MkdirAction& a, const std::string& dest_root) {
  auto run = [&]() -> Status {
    ASSIGN_OR_RETURN(std::string p, RootPath(dest_root, AbsClean(a.path)));
    ASSIGN_OR_RETURN(auto owner, ResolveChown(a.chown, dest_root));
    mode_t mode = a.mode & 0777 & ~kUmask;
    if (a.make_parents) return MkdirAll(p, mode, owner, a.timestamp);
    if (mkdir(p.c_str(), mode) != 0) {
      if (errno == EEXIST) return Status::OK();
      return Status::FromErrno(errno, "mkdir", AbsClean(a.path));
    }
    if (owner && lchown(p.c_str(), owner->uid, owner->gid) != 0) return Status::FromErrno(errno, "chown", p);
    if (a.timestamp) RETURN_IF_ERROR(SetTimes(p, *a.timestamp));
    return Status::OK();
  };
  return run().WithContext("mkdir " + a.path);
}

Status ApplyMkfile(const llb::MkfileAction& a, const std::string& dest_root) {
  auto run = [&]() -> Status {
    ASSIGN_OR_RETURN(std::string p, RootPath(dest_root, AbsClean(a.path)));
    ASSIGN_OR_RETURN(auto owner, ResolveChown(a.chown, dest_root));
    int fd = open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, a.mode & 0777 & ~kUmask);
    if (fd < 0) return Status::FromErrno(errno, "create", AbsClean(a.path));
    size_t off = 0;
    while (off < a.data.size()) {
      ssize_t w = write(fd, a.data.data() + off, a.data.size() - off);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        int err = errno;
        close(fd);
        return Status::FromErrno(err, "write", AbsClean(a.path));
      }
      off += w;
    }
    close(fd);
    if (owner && lchown(p.c_str(), owner->uid, owner->gid) != 0) return Status::FromErrno(errno, "chown", p);
    if (a.timestamp) RETURN_IF_ERROR(SetTimes(p, *a.timestamp));
    return Status::OK();
  };
  return run().WithContext("mkfile " + a.path);
}

Status ApplyRm(const llb::RmAction& a, const std::string& dest_root) {
  auto run = [&]() -> Status {
    if (!a.allow_wildcard) return RmPath(dest_root, a.path, a.allow_not_found);
    auto matches = ResolveWildcards(dest_root, CleanKeepSlash(a.path), false);
    if (!matches.ok()) {
      if (matches.status().IsNotFound() && a.allow_not_found) return Status::OK();
      return matches.status();
    }
    for (const auto& m : *matches) RETURN_IF_ERROR(RmPath(dest_root, m, a.allow_not_found));
    return Status::OK();
  };
  return run().WithContext("rm " + a.path);
}

Status Apply(const llb::FileOp& op, const FileOpContext& ctx) {
  if (ctx.dest_root.empty()) return Status::InvalidArgument("file op: no destination directory");
  for (const auto& action : op.actions) {
    Status st = std::visit(
        [&](const auto& a) -> Status {
          using T = std::decay_t<decltype(a)>;
          if constexpr (std::is_same_v<T, llb::CopyAction>) return ApplyCopy(a, ctx);
          else if constexpr (std::is_same_v<T, llb::MkdirAction>) return ApplyMkdir(a, ctx.dest_root);
          else if constexpr (std::is_same_v<T, llb::MkfileAction>) return ApplyMkfile(a, ctx.dest_root);
          else return ApplyRm(a, ctx.dest_root);
        },
        action);
    RETURN_IF_ERROR(st);
  }
  return Status::OK();
}

}  // namespace kiln::fileop
