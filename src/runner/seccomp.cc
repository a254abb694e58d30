#include "runner/seccomp.h"
#include <linux/capability.h>
#include <seccomp.h>

#include <cstring>
#include <cerrno>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace kiln::runner {
namespace {

constexpr const char* kProfile =
#include "runner/seccomp_profile.inc"
    ;

const std::map<std::string, int>& CapNames() {
  static const std::map<std::string, int> kNames = {
      {"CAP_DAC_READ_SEARCH", CAP_DAC_READ_SEARCH}, {"CAP_SYS_ADMIN", CAP_SYS_ADMIN},
      {"CAP_SYS_BOOT", CAP_SYS_BOOT},               {"CAP_SYS_CHROOT", CAP_SYS_CHROOT},
      {"CAP_SYS_MODULE", CAP_SYS_MODULE},           {"CAP_SYS_PACCT", CAP_SYS_PACCT},
      {"CAP_SYS_PTRACE", CAP_SYS_PTRACE},           {"CAP_SYS_RAWIO", CAP_SYS_RAWIO},
      {"CAP_SYS_TIME", CAP_SYS_TIME},               {"CAP_SYS_TTY_CONFIG", CAP_SYS_TTY_CONFIG},
      {"CAP_SYS_NICE", CAP_SYS_NICE},               {"CAP_SYSLOG", CAP_SYSLOG},
      {"CAP_BPF", 39},                              {"CAP_PERFMON", 38},
  };
  return kNames;
}

struct Rule {
  uint32_t action = SCMP_ACT_ALLOW;
  std::vector<scmp_arg_cmp> args;
  std::vector<std::string> names;
  bool applies = true;  // false when its if=/unless= capability condition fails
};

Result<scmp_arg_cmp> ParseArg(const std::string& spec) {  // INDEX:OP:VALUE[:DATUM]
  std::vector<std::string> f;
  std::stringstream in(spec);
  for (std::string part; std::getline(in, part, ':');) f.push_back(part);
  if (f.size() < 3) return Status::Internal("seccomp profile: bad arg= " + spec);
  scmp_arg_cmp c = {};
  c.arg = static_cast<unsigned>(std::stoul(f[0]));
  c.datum_a = std::stoull(f[2]);
  if (f[1] == "eq") c.op = SCMP_CMP_EQ;
  else if (f[1] == "ne") c.op = SCMP_CMP_NE;
  else if (f[1] == "masked_eq") c.op = SCMP_CMP_MASKED_EQ, c.datum_b = f.size() > 3 ? std::stoull(f[3]) : 0;
  else return Status::Internal("seccomp profile: bad op in arg= " + spec);
  return c;
}

Result<Rule> ParseLine(const std::string& line, uint64_t caps) {
  std::stringstream in(line);
  std::string tok;
  in >> tok;
  Rule r;
  if (tok.rfind("errno=", 0) == 0) r.action = SCMP_ACT_ERRNO(std::stoi(tok.substr(6)));
  else if (tok != "allow") return Status::Internal("seccomp profile: bad action in: " + line);
  while (in >> tok) {
    bool want = tok.rfind("if=", 0) == 0;
    if (want || tok.rfind("unless=", 0) == 0) {
      auto it = CapNames().find(tok.substr(tok.find('=') + 1));
      if (it == CapNames().end()) return Status::Internal("seccomp profile: unknown capability " + tok);
      bool has = caps & (uint64_t{1} << it->second);
      if (has != want) r.applies = false;
    } else if (tok.rfind("arg=", 0) == 0) {
      ASSIGN_OR_RETURN(scmp_arg_cmp c, ParseArg(tok.substr(4)));
      r.args.push_back(c);
    } else {
      r.names.push_back(tok);
    }
  }
  return r;
}

}  // namespace

Status ApplyDefaultSeccomp(uint64_t caps) {
  std::unique_ptr<void, void (*)(scmp_filter_ctx)> ctx(seccomp_init(SCMP_ACT_ERRNO(EPERM)), seccomp_release);
  if (!ctx) return Status::Internal("seccomp_init failed");
  // libseccomp sets no_new_privs by default; BuildKit leaves it off (setuid works in RUN),
  // and the filter loads without it while CAP_SYS_ADMIN is effective.
  if (int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0); rc != 0)
    return Status::Internal("seccomp: clear no_new_privs: " + std::string(strerror(-rc)));
  for (uint32_t arch : {SCMP_ARCH_X86, SCMP_ARCH_X32}) {
    int rc = seccomp_arch_add(ctx.get(), arch);
    if (rc != 0 && rc != -EEXIST) return Status::FromErrno(-rc, "seccomp_arch_add");
  }
  std::stringstream in(kProfile);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    ASSIGN_OR_RETURN(Rule r, ParseLine(line, caps));
    if (!r.applies) continue;
    for (const std::string& name : r.names) {
      int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) continue;  // unknown to this libseccomp (as runc skips it)
      // A syscall missing on one of the architectures is not an error (as in runc).
      seccomp_rule_add_array(ctx.get(), r.action, nr, r.args.size(), r.args.data());
    }
  }
  int rc = seccomp_load(ctx.get());
  if (rc != 0) return Status::FromErrno(-rc, "load the seccomp filter");
  return Status::OK();
}

}  // namespace kiln::runner
