// Tar streams for the exporters (libarchive, PAX restricted: ustar headers with
// PAX extensions only where needed; numeric owners, no user/group names), and
// an output file that becomes visible only when complete.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "base/status.h"

struct archive;

namespace kiln::exporter {

class TarWriter {
 public:
  // Writes to `fd` (not closed by the writer).
  static Result<std::unique_ptr<TarWriter>> Open(int fd);
  ~TarWriter();
  Status AddDir(const std::string& name, mode_t mode, int64_t mtime);
  Status AddData(const std::string& name, const std::string& data, mode_t mode, int64_t mtime);
  // A regular file whose bytes are streamed from `path`.
  Status AddFileFrom(const std::string& name, const std::string& path, mode_t mode, int64_t mtime);
  // Finishes the archive (end-of-archive blocks).
  Status Close();
  struct archive* raw() { return a_; }

 private:
  explicit TarWriter(struct archive* a) : a_(a) {}
  struct archive* a_;
  bool closed_ = false;
};

// Writes directory `dir` as a tar: entries sorted by name, directories as "NAME/",
// owners, modes (setuid, sticky), symlinks, hard links within the tree, devices,
// fifos, xattrs. `clamp_mtime` caps every mtime (SOURCE_DATE_EPOCH).
Status WriteDirTar(const std::string& dir, TarWriter& w, std::optional<int64_t> clamp_mtime);

// A file written to a temporary sibling and renamed over `path` by Commit (after
// fsync); removed if never committed. For `path` == "-" it writes to `stdout_fd`.
class OutputFile {
 public:
  static Result<std::unique_ptr<OutputFile>> Create(const std::string& path, int stdout_fd = 1);
  ~OutputFile();
  int fd() const { return fd_; }
  Status Commit();

 private:
  OutputFile() = default;
  std::string path_, tmp_;
  int fd_ = -1;
  bool is_stdout_ = false;
  bool committed_ = false;
};

}  // namespace kiln::exporter
