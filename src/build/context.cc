#include "build/context.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileop/unpack.h"
#include "solver/remote_context.h"

namespace kiln::build {
namespace {

// A temporary directory under ROOT/tmp for a fetched context, kept in `holder`
// (removed with it at the end of the build).
Status MakeHolder(const std::string& root, const std::string& name, std::optional<TempDir>& holder) {
  RETURN_IF_ERROR(MakeDirs(root + "/tmp", 0700));
  ASSIGN_OR_RETURN(TempDir t, TempDir::Create(name, root + "/tmp"));
  holder.emplace(std::move(t));
  return Status::OK();
}

// `data` fetched from `what`: a tar of the context (any compression ADD extracts),
// unpacked into `ctx` (true), or else a lone Dockerfile, which becomes -f when none
// was given (false).
Result<bool> UnpackContextOrDockerfile(const std::string& data, const std::string& ctx, const std::string& what,
                                 const TempDir& holder, DockerfileFlags& f) {
  RETURN_IF_ERROR(MakeDirs(ctx, 0755));
  if (fileop::IsArchive(data)) {
    RETURN_IF_ERROR(fileop::Untar(data, ctx, ctx).WithContext("unpack the context from " + what));
    return true;
  }
  if (f.file.empty()) {
    f.file = holder.path() + "/Dockerfile";
    if (rename(data.c_str(), f.file.c_str()) != 0) return Status::FromErrno(errno, "rename", data);
  }
  return false;
}

// `kiln build -` (docker build -): stdin is the context as a tar (any compression
// ADD extracts), or a Dockerfile alone with an empty context.
Status ContextFromStdin(DockerfileFlags& f, const std::string& root, std::optional<TempDir>& holder) {
  if (f.file == "-") return Status::InvalidArgument("the context and the Dockerfile cannot both come from stdin")
                         .WithHint("give the Dockerfile with -f PATH, or a context directory");
  RETURN_IF_ERROR(MakeHolder(root, "stdin-context", holder));
  std::string data = holder->path() + "/stdin", ctx = holder->path() + "/context";
  ASSIGN_OR_RETURN(std::string in, ReadFileOrStdin("-"));
  {  // a throwaway file: no fsync, it goes with the directory
    Fd out(open(data.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (out.get() < 0) return Status::FromErrno(errno, "create", data);
    RETURN_IF_ERROR(WriteAll(out.get(), in.data(), in.size(), data));
  }
  ASSIGN_OR_RETURN(bool archive, UnpackContextOrDockerfile(data, ctx, "stdin", *holder, f));
  if (archive && !f.file.empty() && f.file[0] != '/') f.file = ctx + "/" + f.file;
  f.context = ctx;
  return Status::OK();
}

// `kiln build URL` (docker build's remote contexts): a git repository checked out
// as ADD <git URL> does (#ref:subdir picks the ref and the context directory), or
// an http(s) tarball (any compression ADD extracts; anything else is a lone
// Dockerfile). -f is relative to the fetched context.
Status ContextFromUrl(DockerfileFlags& f, const std::string& root, std::optional<TempDir>& holder) {
  RETURN_IF_ERROR(MakeHolder(root, "url-context", holder));
  std::string ctx;
  if (solver::IsGitContextUrl(f.context)) {
    ASSIGN_OR_RETURN(ctx, solver::FetchGitContext(f.context, holder->path() + "/git"));
  } else {
    std::string data = holder->path() + "/download";
    ctx = holder->path() + "/context";
    RETURN_IF_ERROR(solver::DownloadHttpFile(f.context, data));
    RETURN_IF_ERROR(UnpackContextOrDockerfile(data, ctx, f.context, *holder, f).status());
  }
  if (!f.file.empty() && f.file != "-" && f.file[0] != '/' && f.file.rfind(holder->path(), 0) != 0)
    f.file = ctx + "/" + f.file;
  f.context = ctx;
  return Status::OK();
}

}  // namespace

Status LocalizeContext(DockerfileFlags& f, const std::string& root, std::optional<TempDir>& holder) {
  if (f.context == "-") RETURN_IF_ERROR(ContextFromStdin(f, root, holder));
  if (solver::IsGitContextUrl(f.context) || solver::IsHttpContextUrl(f.context))
    RETURN_IF_ERROR(ContextFromUrl(f, root, holder));
  struct stat st;
  if (stat(f.context.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return Status::NotFound("build context `" + f.context + "` is not a directory").WithHint("kiln build [flags] DIR");
  return Status::OK();
}

}  // namespace kiln::build
