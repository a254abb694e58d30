// Pieces shared by the op implementations (ops*.cc); not a public interface.
#pragma once

#include <memory>
#include <string>

#include "solver/build_values.h"
#include "solver/ops.h"

namespace kiln::solver {

Result<std::unique_ptr<OpImpl>> NewExecOp(BuildOpResolver* r, const llb::Op& op, const llb::ExecOp& e);
Result<std::unique_ptr<OpImpl>> NewFileOp(BuildOpResolver* r, const llb::Op& op, const llb::FileOp& f);
Result<std::unique_ptr<OpImpl>> NewMergeOp(BuildOpResolver* r, const llb::Op& op);
// Sources: git://<git URL> (ops_git.cc) and http(s)://URL (ops_http.cc).
Result<std::unique_ptr<OpImpl>> NewGitSourceOp(BuildOpResolver* r, const llb::SourceOp& src);
Result<std::unique_ptr<OpImpl>> NewHttpSourceOp(BuildOpResolver* r, const llb::SourceOp& src);

// The snapshot key of a value ("" for scratch); InvalidArgument for contexts.
Result<std::string> SnapshotKeyOf(const ValuePtr& v);

// A read-only directory view of an input (snapshot or context), unmounted on
// destruction.
class InputView {
 public:
  static Result<std::unique_ptr<InputView>> Open(BuildOpResolver* r, const ValuePtr& v);
  ~InputView();
  const std::string& dir() const { return dir_; }
  bool is_context() const { return context_; }
  const cache::MountSpec& spec() const { return spec_; }

 private:
  BuildOpResolver* r_ = nullptr;
  std::string dir_;
  bool mounted_ = false, context_ = false;
  cache::MountSpec spec_;
};

// A writable snapshot over a committed parent; removed unless committed.
class ActiveSnapshot {
 public:
  static Result<std::unique_ptr<ActiveSnapshot>> Prepare(BuildOpResolver* r, const std::string& parent);
  ~ActiveSnapshot();
  const cache::MountSpec& spec() const { return spec_; }
  const std::string& key() const { return key_; }
  // The snapshot as a directory in kiln's own view (mounted when overlay).
  Result<std::string> Dir();
  // Unmounts what Dir() mounted (the snapshot stays active).
  Status Release();
  // Unmounts and commits; returns the committed key.
  Result<std::string> Commit();

 private:
  BuildOpResolver* r_ = nullptr;
  std::string key_, dir_;
  bool mounted_ = false, committed_ = false;
  cache::MountSpec spec_;
};

}  // namespace kiln::solver
