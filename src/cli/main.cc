// kiln: a daemonless container image builder and Dockerfile toolchain.
#include <sys/resource.h>

#include <clocale>
#include <cstdio>

#include "base/deep_stack.h"
#include "base/log.h"
#include "cli/app.h"

#ifndef KILN_VERSION
#define KILN_VERSION "0.0.0"
#endif

namespace {

struct Args {
  int argc;
  char** argv;
  int rc;
};

int Main(int argc, char** argv);

}  // namespace

// kiln runs on a deep-stack thread (base/deep_stack.h).
int main(int argc, char** argv) {
  Args a{argc, argv, 1};
  pthread_t t;
  if (kiln::StartDeepStackThread(&t, [](void* p) -> void* {
        auto* a = static_cast<Args*>(p);
        a->rc = Main(a->argc, a->argv);
        return nullptr;
      }, &a)) {
    pthread_join(t, nullptr);
    return a.rc;
  }
  return Main(argc, argv);
}

namespace {

int Main(int argc, char** argv) {
  // libarchive converts tar header names between the locale's charset and
  // UTF-8 (pax): in the "C" locale every non-ASCII file name ("ça.txt") fails
  // with "Can't translate pathname". Only the character type changes; number
  // formats and messages stay "C".
  if (!std::setlocale(LC_CTYPE, "C.UTF-8")) std::setlocale(LC_CTYPE, "C.utf8");
  // The soft open-file limit up to the hard one, as Go daemons (dockerd, buildkitd)
  // start: layer writers keep files open ahead, and RUN steps inherit it as they
  // inherit dockerd's.
  if (struct rlimit rl; getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &rl);
  }
  kiln::cli::GlobalOptions g;
  CLI::App app{"kiln: build container images from Dockerfiles, without a daemon", "kiln"};
  app.set_version_flag("--version", std::string("kiln ") + KILN_VERSION);
  app.require_subcommand(1);
  app.add_option("--root", g.root, "state directory (default: $KILN_ROOT, /var/lib/kiln as root)");
  app.add_option("--log-level", g.log_level, "trace|debug|info|warn|error|off")->default_val("warn");
  app.parse_complete_callback([&] { kiln::InitLogging(g.log_level); });

  kiln::cli::RegisterBuild(app, g);
  kiln::cli::RegisterLint(app, g);
  kiln::cli::RegisterGraph(app, g);
  kiln::cli::RegisterImages(app, g);
  kiln::cli::RegisterRegistry(app, g);
  kiln::cli::RegisterCacheServer(app, g);
  kiln::cli::RegisterDebug(app, g);

  if (kiln::Status st = kiln::cli::CheckCommand(app, argc, argv); !st.ok()) {
    fprintf(stderr, "error: %s\n", st.ToString().c_str());
    return 1;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return 0;
}

}  // namespace
