// The container side of the namespace executor: what runs in the child process
// between fork and execve. Everything it needs is computed by the parent first;
// it reports a setup failure over `sync_fd` and never returns.
#pragma once

#include <string>
#include <vector>

#include "runner/executor.h"

namespace kiln::runner {

struct ContainerConfig {
  MountPoint root;                  // as given; overlay options get `stub_layer` appended
  std::string root_mountpoint;      // host dir where the root is mounted before pivot_root
  std::string stub_layer;           // overlay root: bottom lowerdir with mountpoint stubs
  std::string hosts_file, resolv_file;  // host files bound read-only into /etc
  std::vector<MountPoint> mounts;
  std::vector<bool> mount_is_file;  // per mount: its destination is a file (bind of a file)
  ProcessSpec process;
};

// Messages on the sync socket (SOCK_SEQPACKET):
//   intermediate -> parent: 'P' + decimal pid of the container's init
//   parent -> container:    'G' (go; EOF instead means the parent is gone)
//   container -> parent:    'E' + code digit + message (setup failed)
// A successful execve closes the socket (close-on-exec) without a message.
constexpr char kMsgPid = 'P', kMsgGo = 'G', kMsgError = 'E';

// In the forked child: becomes the intermediate process that creates the PID
// namespace and clones the container's init (a child of the calling thread, via
// CLONE_PARENT), reports its pid and exits. The init waits for 'G', sets up the
// container and execs the process.
[[noreturn]] void RunIntermediate(const ContainerConfig& cfg, pid_t parent, int sync_fd, int output_fd);

// The default capability set of docker/containerd (bounding, effective and
// permitted for root; inheritable empty, as docker since CVE-2022-24769).
uint64_t DefaultCapabilities();

}  // namespace kiln::runner
