// The git source (ADD <git URL>): the tree of one commit, or of one directory
// of it (#ref:subdir), in a snapshot of its own, checked out with the git CLI
// like BuildKit's git source: shallow fetch of the commit (a full fetch when
// the server cannot do shallow, e.g. dumb HTTP), checkout, submodules, then
// `.git` dropped unless git.keepgitdir. The cache key is the commit the ref
// resolves to (`git ls-remote`; a full SHA is taken as is) plus the subdir and
// keep-git-dir (both in the op digest), so a new commit on a branch
// invalidates the cache and an unchanged branch hits it. git.checksum must be
// a prefix of the commit (or of the annotated tag object) the ref names.
// Credentials, ssh agents (--ssh) and KNOWN_HOSTS are not supplied: git uses
// whatever the host's configuration gives it, non-interactively.
#include <sys/stat.h>

#include <filesystem>
#include <sstream>

#include "base/strings.h"
#include "base/fs.h"
#include "solver/git_url.h"
#include "solver/remote_context.h"
#include "solver/ops_internal.h"
#include "solver/subprocess.h"

namespace kiln::solver {

namespace {

// No prompts; a transfer stalled for a minute (below 1 byte/s over http, no ssh
// keepalive answer) fails instead of hanging the build.
const std::vector<std::string> kGitEnv = {
    "GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=true", "LC_ALL=C", "GIT_HTTP_LOW_SPEED_LIMIT=1", "GIT_HTTP_LOW_SPEED_TIME=60",
    std::string("GIT_SSH_COMMAND=") +
        (getenv("GIT_SSH_COMMAND") ? getenv("GIT_SSH_COMMAND")
                                   : "ssh -o BatchMode=yes -o ConnectTimeout=30 -o ServerAliveInterval=15 -o ServerAliveCountMax=4")};


class GitSourceOp : public OpImpl {
 public:
  GitSourceOp(BuildOpResolver* r, GitUrl url, const llb::SourceOp& src) : r_(r), url_(std::move(url)) {
    if (auto it = src.attrs.find("git.keepgitdir"); it != src.attrs.end()) keep_git_dir_ = it->second == "true";
    if (auto it = src.attrs.find("git.checksum"); it != src.attrs.end()) checksum_ = it->second;
    what_ = RedactGitRemote(url_.remote) + (url_.ref.empty() ? "" : "#" + url_.ref);
  }

  Result<CacheMap> GetCacheMap(const OpContext& ctx) override {
    RETURN_IF_ERROR(Resolve(ctx));
    CacheMap cm;
    cm.extra = "git\ncommit " + commit_ + "\nsubdir " + url_.subdir + "\nkeepgitdir " + (keep_git_dir_ ? "1" : "0");
    return cm;
  }

  Result<std::vector<ValuePtr>> Exec(const OpContext& ctx) override {
    RETURN_IF_ERROR(Resolve(ctx));
    std::string scratch = r_->Scratch();
    RETURN_IF_ERROR(MakeDirs(scratch, 0700));
    std::string tmp = scratch + "/" + r_->NewKey("git");
    struct Cleanup {
      std::string dir;
      ~Cleanup() { (void)RemoveAll(dir); }
    } cleanup{tmp};
    RETURN_IF_ERROR(Checkout(ctx, tmp));

    std::string src = url_.subdir.empty() ? tmp : tmp + "/" + url_.subdir;
    struct stat st;
    if (lstat(src.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      return Status::NotFound(verb_ + what_ + ": directory `" + url_.subdir + "` not found at commit " + commit_)
          .WithHint("the part after `:` in #REF:DIR names a directory of the repository");
    ASSIGN_OR_RETURN(auto active, ActiveSnapshot::Prepare(r_, ""));
    ASSIGN_OR_RETURN(std::string dir, active->Dir());
    ASSIGN_OR_RETURN(auto cp, RunCommand({"cp", "-a", "--", src + "/.", dir + "/"}, "", {}, ctx.cancel));
    if (cp.exit_code != 0) return Status::IOError("copying the checkout of " + what_ + ": " + TrimRight(cp.err, "\n \r"));
    ASSIGN_OR_RETURN(std::string key, active->Commit());
    return std::vector<ValuePtr>{std::make_shared<SnapshotValue>(key)};
  }

  // Checks the resolved commit out into `tmp` (created), submodules included;
  // .git directories are dropped unless kept.
  Status Checkout(const OpContext& ctx, const std::string& tmp) {
    RETURN_IF_ERROR(MakeDirs(tmp, 0755));
    RETURN_IF_ERROR(Git(ctx, tmp, {"init", "-q"}).status());
    RETURN_IF_ERROR(Git(ctx, tmp, {"remote", "add", "origin", url_.remote}).status());
    RETURN_IF_ERROR(FetchCommit(ctx, tmp));
    std::vector<std::string> checkout = {"-c", "advice.detachedHead=false", "checkout", "-q"};
    if (keep_git_dir_ && ref_name_.rfind("refs/heads/", 0) == 0)
      checkout.insert(checkout.end(), {"-B", ref_name_.substr(11), commit_});
    else
      checkout.insert(checkout.end(), {"--detach", commit_});
    RETURN_IF_ERROR(Git(ctx, tmp, checkout).status());
    if (PathExists(tmp + "/.gitmodules")) {
      // Shallow where the submodule's server allows it, else in full.
      ASSIGN_OR_RETURN(auto sub, TryGit(ctx, tmp, {"submodule", "update", "--init", "--recursive", "--depth=1"}));
      if (sub.exit_code != 0) RETURN_IF_ERROR(Git(ctx, tmp, {"submodule", "update", "--init", "--recursive"}).status());
    }
    if (!keep_git_dir_) RETURN_IF_ERROR(DropGitDirs(tmp));
    return Status::OK();
  }

  // For FetchGitContext: messages name the build context instead of ADD.
  static Result<std::string> CheckoutContext(const std::string& url, const std::string& dir, CancelToken* cancel) {
    ASSIGN_OR_RETURN(GitUrl u, ParseGitUrl(url));
    GitSourceOp op(nullptr, u, llb::SourceOp{});
    op.verb_ = "build context ";
    OpContext ctx;
    ctx.cancel = cancel;
    ctx.log = [](std::string_view) {};
    RETURN_IF_ERROR(op.Resolve(ctx));
    RETURN_IF_ERROR(op.Checkout(ctx, dir));
    std::string src = u.subdir.empty() ? dir : dir + "/" + u.subdir;
    struct stat st;
    if (lstat(src.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      return Status::NotFound(op.verb_ + op.what_ + ": directory `" + u.subdir + "` not found at commit " + op.commit_)
          .WithHint("the part after `:` in #REF:DIR names a directory of the repository");
    return src;
  }

 private:
  // Runs git in `dir`; a non-zero exit is an error carrying git's stderr.
  Result<std::string> Git(const OpContext& ctx, const std::string& dir, const std::vector<std::string>& args) {
    auto r = TryGit(ctx, dir, args);
    if (!r.ok()) return r.status();
    if (r->exit_code != 0) {
      std::string cmd = "git";
      for (const auto& a : args) cmd += " " + (a == url_.remote ? RedactGitRemote(a) : a);
      return Status::Unavailable(verb_ + what_ + ": `" + cmd + "` failed: " + TrimRight(r->err, "\n \r"));
    }
    return r->out;
  }

  Result<CommandResult> TryGit(const OpContext& ctx, const std::string& dir, const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"git"};
    argv.insert(argv.end(), args.begin(), args.end());
    if (ctx.log) {
      std::string line = "git";
      for (const auto& a : args) line += " " + (a == url_.remote ? RedactGitRemote(a) : a);
      ctx.log(line + "\n");
    }
    auto r = RunCommand(argv, dir, kGitEnv, ctx.cancel);
    if (!r.ok() && r.status().code() != Code::kCancelled)
      return Status(r.status().code(), r.status().message()).WithHint("is git installed? (apt-get install git)");
    return r;
  }

  // The commit the ref names (once per op).
  Status Resolve(const OpContext& ctx) {
    if (!commit_.empty()) return Status::OK();
    if (IsCommitSha(url_.ref)) {
      commit_ = url_.ref;
    } else {
      std::string pattern = url_.ref.empty() ? "HEAD" : url_.ref;
      ASSIGN_OR_RETURN(std::string out, Git(ctx, "", {"ls-remote", "--", url_.remote, pattern, pattern + "^{}"}));
      std::map<std::string, std::string> refs;  // name -> object
      std::istringstream in(out);
      std::string line;
      while (std::getline(in, line)) {
        size_t tab = line.find('\t');
        if (tab != std::string::npos) refs[line.substr(tab + 1)] = line.substr(0, tab);
      }
      // Like git's own lookup order for a short name, branches first as
      // BuildKit's `ls-remote` pick does; annotated tags peel to their commit.
      std::vector<std::string> candidates = url_.ref.empty()
          ? std::vector<std::string>{"HEAD"}
          : std::vector<std::string>{url_.ref, "refs/heads/" + url_.ref, "refs/tags/" + url_.ref};
      for (const auto& c : candidates) {
        auto it = refs.find(c);
        if (it == refs.end()) continue;
        ref_name_ = c;
        tag_object_ = it->second;
        auto peeled = refs.find(c + "^{}");
        commit_ = peeled != refs.end() ? peeled->second : it->second;
        break;
      }
      if (commit_.empty())
        return Status::NotFound(verb_ + what_ + ": ref `" + pattern + "` not found in " + RedactGitRemote(url_.remote))
            .WithHint("use a branch, a tag or a full commit SHA after `#`");
    }
    if (!checksum_.empty()) {
      auto matches = [&](const std::string& obj) {
        return checksum_.size() >= 7 && obj.rfind(checksum_, 0) == 0;
      };
      if (!matches(commit_) && !(tag_object_.size() && matches(tag_object_)))
        return Status::InvalidArgument(verb_ + what_ + ": checksum mismatch: expected " + checksum_ + ", got commit " +
                                       commit_)
            .WithHint("--checksum must be the commit SHA the ref names");
    }
    return Status::OK();
  }

  // Gets commit_ into the repository at `dir`: shallow by SHA, else shallow by
  // the ref's name, else everything (dumb HTTP servers cannot do shallow).
  Status FetchCommit(const OpContext& ctx, const std::string& dir) {
    std::vector<std::vector<std::string>> tries = {{"fetch", "-q", "--depth=1", "--no-tags", "origin", commit_}};
    if (!ref_name_.empty() && ref_name_ != "HEAD")
      tries.push_back({"fetch", "-q", "--depth=1", "--no-tags", "origin", "+" + ref_name_ + ":refs/kiln/fetched"});
    tries.push_back({"fetch", "-q", "--tags", "origin", "+refs/heads/*:refs/remotes/origin/*", "HEAD"});
    std::string last_err;
    for (const auto& args : tries) {
      ASSIGN_OR_RETURN(auto r, TryGit(ctx, dir, args));
      if (r.exit_code != 0) {
        last_err = TrimRight(r.err, "\n \r");
        continue;
      }
      auto have = TryGit(ctx, dir, {"cat-file", "-e", commit_ + "^{commit}"});
      if (have.ok() && have->exit_code == 0) return Status::OK();
      last_err = "commit " + commit_ + " is not in what the server sent";
    }
    return Status::Unavailable(verb_ + what_ + ": fetching commit " + commit_ + " failed: " + last_err);
  }

  static Status DropGitDirs(const std::string& root) {
    std::error_code ec;
    std::vector<std::filesystem::path> found;
    for (auto it = std::filesystem::recursive_directory_iterator(root, ec); !ec && it != decltype(it)(); it.increment(ec)) {
      if (it->path().filename() == ".git") {
        found.push_back(it->path());
        it.disable_recursion_pending();
      }
    }
    if (ec) return Status::IOError("walking " + root + ": " + ec.message());
    for (const auto& p : found) RETURN_IF_ERROR(RemoveAll(p.string()));
    return Status::OK();
  }

  BuildOpResolver* r_;
  GitUrl url_;
  bool keep_git_dir_ = false;
  std::string checksum_, what_;
  std::string verb_ = "ADD ";
  std::string commit_, ref_name_, tag_object_;
};

}  // namespace

Result<std::string> FetchGitContext(const std::string& url, const std::string& dir) {
  CancelToken cancel;
  return GitSourceOp::CheckoutContext(url, dir, &cancel);
}

Result<std::unique_ptr<OpImpl>> NewGitSourceOp(BuildOpResolver* r, const llb::SourceOp& src) {
  std::string id = src.identifier.substr(std::string("git://").size());
  ASSIGN_OR_RETURN(GitUrl url, ParseGitUrl(id));
  return std::unique_ptr<OpImpl>(new GitSourceOp(r, std::move(url), src));
}

}  // namespace kiln::solver
