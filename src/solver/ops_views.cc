#include "solver/ops_internal.h"

#include "base/log.h"

namespace kiln::solver {

Result<std::string> SnapshotKeyOf(const ValuePtr& v) {
  if (!v) return std::string();
  if (auto* s = dynamic_cast<const SnapshotValue*>(v.get())) return s->key();
  return Status::InvalidArgument("expected a filesystem, got " + v->DebugString());
}

Result<std::string> SnapshotKeyOfValue(const ValuePtr& v) { return SnapshotKeyOf(v); }

Result<std::unique_ptr<InputView>> InputView::Open(BuildOpResolver* r, const ValuePtr& v) {
  std::unique_ptr<InputView> view(new InputView());
  view->r_ = r;
  if (auto* l = dynamic_cast<const LocalValue*>(v.get())) {
    ASSIGN_OR_RETURN(view->dir_, l->Dir());
    view->context_ = true;
    view->spec_.type = "bind";
    view->spec_.dir = view->dir_;
    view->spec_.readonly = true;
    return view;
  }
  ASSIGN_OR_RETURN(std::string key, SnapshotKeyOf(v));
  ASSIGN_OR_RETURN(view->spec_, r->deps().snapshotter->View(key));
  if (view->spec_.type == "overlay") {
    ASSIGN_OR_RETURN(MountNamespace * ns, r->Mounts());
    ASSIGN_OR_RETURN(view->dir_, ns->Mount(view->spec_, r->Scratch() + "/mnt"));
    view->mounted_ = true;
  } else {
    view->dir_ = view->spec_.dir;
  }
  return view;
}

InputView::~InputView() {
  if (!mounted_) return;
  auto ns = r_->Mounts();
  if (ns.ok()) {
    Status st = (*ns)->Unmount(dir_);
    if (!st.ok()) spdlog::warn("{}", st.ToString());
  }
}

Result<std::unique_ptr<ActiveSnapshot>> ActiveSnapshot::Prepare(BuildOpResolver* r, const std::string& parent) {
  std::unique_ptr<ActiveSnapshot> a(new ActiveSnapshot());
  a->r_ = r;
  a->key_ = r->NewKey("active");
  ASSIGN_OR_RETURN(a->spec_, r->deps().snapshotter->Prepare(a->key_, parent));
  return a;
}

Result<std::string> ActiveSnapshot::Dir() {
  if (!dir_.empty()) return dir_;
  if (spec_.type == "overlay") {
    ASSIGN_OR_RETURN(MountNamespace * ns, r_->Mounts());
    ASSIGN_OR_RETURN(dir_, ns->Mount(spec_, r_->Scratch() + "/mnt"));
    mounted_ = true;
  } else {
    dir_ = spec_.dir;
  }
  return dir_;
}

Result<std::string> ActiveSnapshot::Commit() {
  if (mounted_) {
    ASSIGN_OR_RETURN(MountNamespace * ns, r_->Mounts());
    RETURN_IF_ERROR(ns->Unmount(dir_));
    mounted_ = false;
  }
  std::string name = r_->NewKey("snap");
  RETURN_IF_ERROR(r_->deps().snapshotter->Commit(name, key_));
  committed_ = true;
  return name;
}

ActiveSnapshot::~ActiveSnapshot() {
  if (mounted_) {
    auto ns = r_->Mounts();
    if (ns.ok()) (void)(*ns)->Unmount(dir_);
  }
  if (!committed_) {
    Status st = r_->deps().snapshotter->Remove(key_);
    if (!st.ok()) spdlog::warn("removing snapshot {}: {}", key_, st.ToString());
  }
}

}  // namespace kiln::solver
