// ExecOp (RUN): an active snapshot over the root input, the RUN --mount
// mounts, the Executor, and a commit of the root on success.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <set>
#include <sstream>

#include "base/digest.h"
#include "base/fs.h"
#include "base/log.h"
#include "solver/ops_internal.h"
#include "solver/subprocess.h"

namespace kiln::solver {
namespace {

// Mount sources are resolved inside their root with ResolveInRoot: a symlink in
// a context or a stage never reaches a host file (a hostile `hostroot -> /` or
// `leak -> /etc/shadow` resolves to that name inside the context or layer).
// The layers of `dirs` (top-most first) in which `selector` exists, resolved in each.
std::vector<std::string> SourcesIn(const std::vector<std::string>& dirs, const std::string& selector) {
  std::vector<std::string> out;
  for (const auto& l : dirs)
    if (auto p = ResolveInRoot(l, selector); p.ok()) out.push_back(*p);
  return out;
}

Result<std::string> ReadSecret(const BuildDeps& d, const std::string& id, bool optional, bool* found) {
  *found = false;
  auto it = d.secrets.find(id);
  if (it == d.secrets.end()) {
    if (optional) return std::string();
    return Status::NotFound("secret `" + id + "` not found").WithHint("pass it with --secret id=" + id + ",src=FILE or env=VAR");
  }
  *found = true;
  if (!it->second.env.empty()) {
    const char* v = getenv(it->second.env.c_str());
    if (!v) return Status::NotFound("secret `" + id + "`: environment variable " + it->second.env + " is not set");
    return std::string(v);
  }
  auto data = ReadFile(it->second.file);
  if (!data.ok()) return data.status().WithContext("secret `" + id + "`");
  return data;
}

// The frontend's proxy build args (metadata, not in the cache key), appended
// after the op's env in both spellings, as BuildKit's proxyEnvList does.
void AppendProxyEnv(const llb::OpMetadata* meta, std::vector<std::string>& env) {
  if (!meta) return;
  auto it = meta->extra.find("proxy_env");
  if (it == meta->extra.end()) return;
  nlohmann::json proxy = nlohmann::json::parse(it->second, nullptr, /*allow_exceptions=*/false);
  if (!proxy.is_object()) return;
  for (const char* k : {"HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY"}) {
    auto v = proxy.find(k);
    if (v == proxy.end() || !v->is_string() || v->get<std::string>().empty()) continue;
    std::string lower = k;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    env.push_back(std::string(k) + "=" + v->get<std::string>());
    env.push_back(lower + "=" + v->get<std::string>());
  }
}

class ExecOpImpl : public OpImpl {
 public:
  ExecOpImpl(BuildOpResolver* r, const llb::Op& op, const llb::ExecOp& e) : r_(r), op_(op), e_(e) {}

  Result<CacheMap> GetCacheMap(const OpContext&) override {
    CacheMap cm;
    cm.content_paths.resize(op_.inputs.size());
    // Bind mounts of a context key on the sub-path they mount.
    std::map<int, std::set<std::string>> sel;
    std::set<int> whole;
    for (size_t i = 0; i < e_.mounts.size(); i++) {
      const auto& m = e_.mounts[i];
      if (m.input < 0) continue;
      if (i == 0 || m.selector.empty() || m.selector == "/") whole.insert(m.input);
      else sel[m.input].insert(m.selector);
    }
    for (auto& [in, paths] : sel)
      if (!whole.count(in)) cm.content_paths[in] = std::vector<std::string>(paths.begin(), paths.end());
    return cm;
  }

  Result<std::vector<ValuePtr>> Exec(const OpContext& ctx) override {
    const BuildDeps& d = r_->deps();
    if (!d.executor) return Status::FailedPrecondition("no executor to run " + ctx.meta->description);
    if (e_.mounts.empty() || e_.mounts[0].dest != "/") return Status::InvalidArgument("exec op without a root mount");
    auto input = [&](int i) -> ValuePtr { return i >= 0 && static_cast<size_t>(i) < ctx.inputs.size() ? ctx.inputs[i] : nullptr; };

    ASSIGN_OR_RETURN(std::string parent, SnapshotKeyOf(input(e_.mounts[0].input)));
    ASSIGN_OR_RETURN(auto root, ActiveSnapshot::Prepare(r_, parent));
    RETURN_IF_ERROR(CreateMountpoints(*root, ctx));
    runner::RunSpec spec;
    spec.root.dest = "/";
    if (root->spec().type == "overlay") {
      spec.root.type = "overlay";
      spec.root.options = root->spec().OverlayOptions();
    } else {
      spec.root.type = "bind";
      spec.root.source = root->spec().dir;
    }

    std::vector<std::unique_ptr<InputView>> views;
    std::vector<std::unique_ptr<ActiveSnapshot>> scratch_rw;
    std::vector<std::string> temp_files, temp_dirs;
    std::vector<int> lock_fds;
    struct Cleanup {
      std::vector<std::string>* files;
      std::vector<std::string>* dirs;
      std::vector<int>* fds;
      ~Cleanup() {
        for (auto& f : *files) unlink(f.c_str());
        for (auto& dir : *dirs) (void)RemoveAll(dir);
        for (int fd : *fds) close(fd);
      }
    } cleanup{&temp_files, &temp_dirs, &lock_fds};

    std::vector<std::string> env = e_.env;
    for (const auto& se : e_.secret_env) {
      bool found;
      ASSIGN_OR_RETURN(std::string v, ReadSecret(d, se.secret_id, se.optional, &found));
      if (found) env.push_back(se.name + "=" + v);
    }
    AppendProxyEnv(ctx.meta, env);

    for (size_t i = 1; i < e_.mounts.size(); i++) {
      const llb::Mount& m = e_.mounts[i];
      runner::MountPoint mp;
      mp.dest = m.dest;
      mp.readonly = m.readonly;
      switch (m.type) {
        case llb::MountType::kTmpfs:
          mp.type = "tmpfs";
          if (m.tmpfs_size > 0) mp.options = "size=" + std::to_string(m.tmpfs_size);
          break;
        case llb::MountType::kBind: {
          ValuePtr v = input(m.input);
          if (auto* lv = dynamic_cast<const LocalValue*>(v.get()); lv && m.readonly) {
            ASSIGN_OR_RETURN(std::string dir, lv->Dir());
            mp.type = "bind";
            auto src = ResolveInRoot(dir, m.selector);
            if (!src.ok()) return Status::NotFound("mount source " + m.selector + " not found in the build context");
            mp.source = *src;
          } else if (m.readonly && !dynamic_cast<const LocalValue*>(v.get())) {
            ASSIGN_OR_RETURN(std::string key, SnapshotKeyOf(v));
            ASSIGN_OR_RETURN(auto view, r_->deps().snapshotter->View(key));
            if (view.type == "overlay") {
              // Selecting a sub-path: stack that sub-path of every lower that has it.
              std::vector<std::string> lowers = SourcesIn(view.lowers, m.selector);
              if (lowers.empty()) return Status::NotFound("mount source " + m.selector + " not found");
              if (lowers.size() == 1) {
                mp.type = "bind";
                mp.source = lowers[0];
              } else {
                cache::MountSpec s;
                s.lowers = lowers;
                mp.type = "overlay";
                mp.options = s.OverlayOptions();
              }
            } else {
              mp.type = "bind";
              ASSIGN_OR_RETURN(mp.source, ResolveInRoot(view.dir, m.selector));
            }
          } else if (!dynamic_cast<const LocalValue*>(v.get()) && (m.selector.empty() || m.selector == "/")) {
            // A writable bind of a whole snapshot: writes land in a throwaway snapshot.
            ASSIGN_OR_RETURN(std::string key, SnapshotKeyOf(v));
            ASSIGN_OR_RETURN(auto act, ActiveSnapshot::Prepare(r_, key));
            if (act->spec().type == "overlay") {
              mp.type = "overlay";
              mp.options = act->spec().OverlayOptions();
            } else {
              mp.type = "bind";
              mp.source = act->spec().dir;
            }
            scratch_rw.push_back(std::move(act));
          } else {
            // A writable bind of the build context or of a sub-path: writes
            // land in a throwaway upper directory, discarded after the run.
            ASSIGN_OR_RETURN(mp, ThrowawayBind(v, m, root->spec().type == "overlay", &temp_dirs));
            mp.dest = m.dest;
          }
          break;
        }
        case llb::MountType::kCache: {
          std::string dir = d.root + "/cache-mounts/" + Sha256Hex(m.cache_id).substr(0, 32);
          if (!PathExists(dir)) {
            RETURN_IF_ERROR(MakeDirs(dir, 0755));
            chmod(dir.c_str(), m.mode ? m.mode : 0755);
            if (chown(dir.c_str(), m.uid, m.gid) != 0) return Status::FromErrno(errno, "chown", dir);
          }
          if (m.sharing == llb::CacheSharing::kLocked) {
            int fd = open((dir + ".lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
            if (fd < 0) return Status::FromErrno(errno, "open", dir + ".lock");
            lock_fds.push_back(fd);
            if (flock(fd, LOCK_EX) != 0) return Status::FromErrno(errno, "lock", dir);
          }
          mp.type = "bind";
          mp.source = dir;
          mp.readonly = false;
          break;
        }
        case llb::MountType::kSecret: {
          bool found;
          ASSIGN_OR_RETURN(std::string v, ReadSecret(d, m.secret_id, m.optional, &found));
          if (!found) continue;
          RETURN_IF_ERROR(MakeDirs(d.root + "/tmp/secrets", 0700));
          std::string f = d.root + "/tmp/secrets/" + r_->NewKey("secret");
          int fd = open(f.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
          if (fd < 0) return Status::FromErrno(errno, "create", f);
          temp_files.push_back(f);
          bool ok = write(fd, v.data(), v.size()) == static_cast<ssize_t>(v.size());
          ok = ok && fchown(fd, m.uid, m.gid) == 0 && fchmod(fd, m.mode ? m.mode : 0400) == 0;
          close(fd);
          if (!ok) return Status::FromErrno(errno, "write secret file", f);
          mp.type = "bind";
          mp.source = f;
          mp.readonly = true;
          break;
        }
        case llb::MountType::kSsh: {
          auto it = d.ssh.find(m.secret_id);
          if (it == d.ssh.end()) {
            if (m.optional) continue;
            return Status::NotFound("no SSH agent `" + m.secret_id + "`").WithHint("pass one with --ssh " + m.secret_id + "[=SOCKET]");
          }
          mp.type = "bind";
          mp.source = it->second;
          break;
        }
      }
      spec.mounts.push_back(std::move(mp));
    }

    spec.process.args = e_.args;
    spec.process.env = std::move(env);
    spec.process.cwd = e_.cwd.empty() ? "/" : e_.cwd;
    spec.process.user = e_.user;
    if (!e_.hostname.empty()) spec.process.hostname = e_.hostname;
    spec.process.extra_hosts = e_.extra_hosts;
    spec.process.network = e_.network == llb::NetworkMode::kNone   ? runner::ProcessSpec::Network::kNone
                           : e_.network == llb::NetworkMode::kHost ? runner::ProcessSpec::Network::kHost
                                                                   : d.network;
    spec.process.no_new_privileges = false;  // as BuildKit: setuid binaries work in RUN
    // RUN --security=insecure (kiln build checked the entitlement): all capabilities, no seccomp.
    spec.process.insecure = e_.security == llb::SecurityMode::kInsecure;
    spec.resources = d.resources;
    spec.cancel = ctx.cancel->flag();
    RETURN_IF_ERROR(d.executor->Run(spec, [&](std::string_view chunk) { ctx.log(chunk); }));
    ASSIGN_OR_RETURN(std::string key, root->Commit());
    return std::vector<ValuePtr>{std::make_shared<SnapshotValue>(key)};
  }

 private:
  // A writable mount of `m.selector` of `v` (a build context or a snapshot)
  // whose writes are thrown away: an overlay with a fresh upper directory when
  // `overlay`, else a copy; a file is always copied. Scratch directories are
  // added to `temp_dirs` (removed by the caller after the run).
  Result<runner::MountPoint> ThrowawayBind(const ValuePtr& v, const llb::Mount& m, bool overlay,
                                           std::vector<std::string>* temp_dirs) {
    std::vector<std::string> lowers;  // top-most first
    if (auto* lv = dynamic_cast<const LocalValue*>(v.get())) {
      ASSIGN_OR_RETURN(std::string dir, lv->Dir());
      lowers = SourcesIn({dir}, m.selector);
    } else {
      ASSIGN_OR_RETURN(std::string key, SnapshotKeyOf(v));
      ASSIGN_OR_RETURN(auto view, r_->deps().snapshotter->View(key));
      lowers = SourcesIn(view.type == "overlay" ? view.lowers : std::vector<std::string>{view.dir}, m.selector);
    }
    if (lowers.empty()) return Status::NotFound("mount source " + (m.selector.empty() ? "/" : m.selector) + " not found");
    struct stat st;
    if (stat(lowers[0].c_str(), &st) != 0) return Status::FromErrno(errno, "stat", lowers[0]);
    std::string tmp = r_->Scratch() + "/" + r_->NewKey("rwbind");
    RETURN_IF_ERROR(MakeDirs(tmp, 0700));
    temp_dirs->push_back(tmp);
    runner::MountPoint mp;
    mp.readonly = false;
    if (S_ISDIR(st.st_mode) && overlay) {
      cache::MountSpec s;
      s.lowers = lowers;
      s.upper = tmp + "/upper";
      s.work = tmp + "/work";
      RETURN_IF_ERROR(MakeDirs(s.upper, 0755));
      RETURN_IF_ERROR(MakeDirs(s.work, 0755));
      // The mount's root keeps the source directory's owner and mode.
      if (chown(s.upper.c_str(), st.st_uid, st.st_gid) != 0) return Status::FromErrno(errno, "chown", s.upper);
      if (chmod(s.upper.c_str(), st.st_mode & 07777) != 0) return Status::FromErrno(errno, "chmod", s.upper);
      mp.type = "overlay";
      mp.options = s.OverlayOptions();
      return mp;
    }
    // A file, or no overlayfs: a private copy (merged, bottom layer first).
    std::string copy = tmp + "/copy";
    for (auto it = lowers.rbegin(); it != lowers.rend(); ++it) {
      std::vector<std::string> argv = {"cp", "-a", "--"};
      argv.push_back(S_ISDIR(st.st_mode) ? *it + "/." : *it);
      argv.push_back(copy + (S_ISDIR(st.st_mode) ? "/" : ""));
      if (S_ISDIR(st.st_mode)) RETURN_IF_ERROR(MakeDirs(copy, 0755));
      ASSIGN_OR_RETURN(auto r, RunCommand(argv, "", {}, nullptr));
      if (r.exit_code != 0) return Status::IOError("copying the mount source " + m.selector + ": " + r.err);
      if (!S_ISDIR(st.st_mode)) break;
    }
    mp.type = "bind";
    mp.source = copy;
    return mp;
  }

  // Mountpoints stay in the layer as the reference builder (BuildKit in docker
  // 20.10) leaves them: the parent directories of every mount's target, and
  // the target itself when it is a directory (cache, tmpfs, a directory bind).
  // They are created before the run, so the runner does not treat them as its
  // own stubs (file stubs, such as a secret's, are still removed by it).
  Status CreateMountpoints(ActiveSnapshot& root, const OpContext& ctx) {
    std::vector<std::pair<std::string, bool>> targets;  // path, is a directory
    const BuildDeps& d = r_->deps();
    for (size_t i = 1; i < e_.mounts.size(); i++) {
      const auto& m = e_.mounts[i];
      if (m.dest.empty() || m.dest == "/") continue;
      switch (m.type) {
        case llb::MountType::kCache:
        case llb::MountType::kTmpfs:
          targets.emplace_back(m.dest, true);
          break;
        case llb::MountType::kBind:
          targets.emplace_back(m.dest, BindSourceIsDir(m, ctx));
          break;
        case llb::MountType::kSecret:
          if (d.secrets.count(m.secret_id)) targets.emplace_back(m.dest, false);
          break;
        case llb::MountType::kSsh:
          if (d.ssh.count(m.secret_id)) targets.emplace_back(m.dest, false);
          break;
      }
    }
    if (targets.empty()) return Status::OK();
    ASSIGN_OR_RETURN(std::string dir, root.Dir());
    for (const auto& [target, is_dir] : targets) {
      std::vector<std::string> parts;
      std::stringstream ss(target);
      for (std::string part; std::getline(ss, part, '/');)
        if (!part.empty() && part != ".") parts.push_back(part);
      if (!is_dir && !parts.empty()) parts.pop_back();
      std::string path = dir;
      for (const auto& part : parts) {
        if (part == "..") break;  // never leave the root
        path += "/" + part;
        struct stat st;
        if (lstat(path.c_str(), &st) == 0) {
          if (!S_ISDIR(st.st_mode)) break;  // a symlink or file: the runner resolves it
          continue;
        }
        if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) return Status::FromErrno(errno, "mkdir", path);
      }
    }
    return root.Release();
  }

  bool BindSourceIsDir(const llb::Mount& m, const OpContext& ctx) {
    if (m.selector.empty() || m.selector == "/") return true;
    if (m.input < 0 || static_cast<size_t>(m.input) >= ctx.inputs.size()) return true;
    const ValuePtr& v = ctx.inputs[m.input];
    struct stat st;
    if (auto* lv = dynamic_cast<const LocalValue*>(v.get())) {
      auto dir = lv->Dir();
      if (!dir.ok()) return true;
      auto src = ResolveInRoot(*dir, m.selector);
      return src.ok() && stat(src->c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    }
    auto key = SnapshotKeyOf(v);
    if (!key.ok()) return true;
    auto view = r_->deps().snapshotter->View(*key);
    if (!view.ok()) return true;
    std::vector<std::string> dirs = view->type == "overlay" ? view->lowers : std::vector<std::string>{view->dir};
    for (const auto& src : SourcesIn(dirs, m.selector))
      if (lstat(src.c_str(), &st) == 0) return S_ISDIR(st.st_mode);
    return true;
  }

  BuildOpResolver* r_;
  const llb::Op& op_;
  llb::ExecOp e_;
};

}  // namespace

Result<std::unique_ptr<OpImpl>> NewExecOp(BuildOpResolver* r, const llb::Op& op, const llb::ExecOp& e) {
  return std::unique_ptr<OpImpl>(new ExecOpImpl(r, op, e));
}

}  // namespace kiln::solver
