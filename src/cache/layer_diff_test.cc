#include "cache/layer_diff.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <fstream>

#include "base/fs.h"

namespace kiln::cache {
namespace {

void MakeSocket(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  ASSERT_LT(path.size(), sizeof(addr.sun_path));
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0) << path;
  close(fd);
}

std::vector<std::string> Paths(const std::vector<Change>& changes) {
  std::vector<std::string> out;
  for (const Change& c : changes) out.push_back(c.path);
  return out;
}

// Sockets never reach a layer: moby's archive skips them (a RUN that leaves
// gpg-agent's or a database's socket behind still exports).
TEST(LayerDiff, SocketsAreLeftOut) {
  auto dir = TempDir::Create("kiln-layer-diff");
  ASSERT_TRUE(dir.ok());
  std::string lower = dir->path() + "/lower", upper = dir->path() + "/upper";
  ASSERT_TRUE(MakeDirs(lower + "/run").ok());
  ASSERT_TRUE(MakeDirs(upper + "/run/sub").ok());
  std::ofstream(upper + "/run/file") << "x";
  MakeSocket(upper + "/run/a.sock");
  MakeSocket(upper + "/run/sub/b.sock");

  auto overlay = DiffOverlayUpper(upper);
  ASSERT_TRUE(overlay.ok()) << overlay.status().ToString();
  EXPECT_EQ(Paths(*overlay), (std::vector<std::string>{"run", "run/file", "run/sub"}));

  auto full = DiffDirectories(lower, upper);
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  EXPECT_EQ(Paths(*full), (std::vector<std::string>{"run", "run/file", "run/sub"}));
}

}  // namespace
}  // namespace kiln::cache
