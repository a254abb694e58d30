#include "registry/client.h"

#include <cstdio>
#include <sstream>

#include "base/digest.h"
#include "base/fs.h"

namespace kiln::registry {

RegistryClient::RegistryClient(RegistryOptions opts, std::string state_dir)
    : opts_(std::move(opts)), state_dir_(std::move(state_dir)) {}

std::shared_ptr<Session> RegistryClient::SessionFor(const std::string& host) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& s = sessions_[host];
  if (!s) s = std::make_shared<Session>(host, opts_);
  return s;
}

Repository RegistryClient::Repo(const Reference& ref, bool push) { return Repository(SessionFor(ref.domain), ref.path, push); }

void RegistryClient::Progress(const std::string& line) const {
  if (progress_) progress_(line);
}

void RegistryClient::RecordBlobSource(const std::string& digest, const std::string& repo) {
  if (state_dir_.empty() || !IsValidDigest(digest)) return;
  std::lock_guard<std::mutex> lock(mu_);
  std::string dir = state_dir_ + "/blob-sources";
  std::string path = dir + "/" + std::string(DigestHex(digest));
  std::string data;
  if (auto r = ReadFile(path); r.ok()) data = *r;
  std::istringstream in(data);
  std::string line;
  while (std::getline(in, line))
    if (line == repo) return;
  if (!MakeDirs(dir).ok()) return;
  (void)WriteFileAtomic(path, data + repo + "\n");  // best effort: only an optimisation
}

std::vector<std::string> RegistryClient::BlobSources(const std::string& digest, const std::string& host) {
  std::vector<std::string> out;
  if (state_dir_.empty() || !IsValidDigest(digest)) return out;
  std::lock_guard<std::mutex> lock(mu_);
  auto r = ReadFile(state_dir_ + "/blob-sources/" + std::string(DigestHex(digest)));
  if (!r.ok()) return out;
  std::istringstream in(*r);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(host + "/", 0) == 0) out.push_back(line.substr(host.size() + 1));
  return out;
}

std::string HumanSize(int64_t b) {
  char buf[32];
  if (b < 1000) snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(b));
  else if (b < 1000 * 1000) snprintf(buf, sizeof buf, "%.1f kB", b / 1e3);
  else if (b < 1000LL * 1000 * 1000) snprintf(buf, sizeof buf, "%.1f MB", b / 1e6);
  else snprintf(buf, sizeof buf, "%.2f GB", b / 1e9);
  return buf;
}

}  // namespace kiln::registry
