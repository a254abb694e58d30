// kiln pull / push / login / logout, and remote `kiln inspect`.
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <sstream>

#include "base/fs.h"
#include "base/reference.h"
#include "cache/content_store.h"
#include "cache/metadata.h"
#include "cli/app.h"
#include "cache/push_layers.h"
#include "cli/registry_cli.h"
#include "cli/stores.h"
#include "exporter/image_store.h"
#include "registry/client.h"
#include "registry/credentials.h"
#include "registry/inspect.h"
#include "registry/manifest.h"
#include "registry/pull.h"
#include "registry/push.h"

namespace kiln::cli {

namespace {

template <typename T>
T OrFail(Result<T> r) {
  if (!r.ok()) Fail(r.status());
  return std::move(r).value();
}

void Check(const Status& st) {
  if (!st.ok()) Fail(st);
}

oci::Platform PlatformOrHost(const std::string& s) {
  if (s.empty()) return oci::HostPlatform();
  auto p = oci::ParsePlatform(s);
  if (!p) Fail(Status::InvalidArgument("invalid platform \"" + s + "\"").WithHint("write OS/ARCH[/VARIANT], e.g. linux/arm64"));
  return *p;
}

std::string ReadLine(const std::string& prompt, bool echo) {
  fprintf(stderr, "%s", prompt.c_str());
  struct termios old {};
  bool tty = isatty(0);
  if (tty && !echo) {
    tcgetattr(0, &old);
    struct termios t = old;
    t.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(0, TCSANOW, &t);
  }
  std::string line;
  std::getline(std::cin, line);
  if (tty && !echo) {
    tcsetattr(0, TCSANOW, &old);
    fprintf(stderr, "\n");
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

struct PullArgs {
  std::string ref, platform;
  bool quiet = false, all = false;
  RegistryFlags reg;
};

void RunPull(GlobalOptions& g, const PullArgs& a) {
  Reference ref = OrFail(ParseReference(a.ref));
  oci::Platform platform = PlatformOrHost(a.platform);
  std::string root = g.ResolvedRoot();
  auto md = OrFail(cache::MetadataStore::Open(root));
  auto store = OrFail(OpenContentStore(root, md.get()));
  registry::RegistryClient client(a.reg.Options(), root + "/registry");
  if (!a.quiet) client.SetProgress([](const std::string& l) { fprintf(stderr, "%s\n", l.c_str()); });
  if (a.all) {
    if (!a.platform.empty()) Fail(Status::InvalidArgument("--all-platforms and --platform are mutually exclusive"));
    auto target = OrFail(registry::PullAllPlatforms(client, *store, ref));
    Check(md->PutImage(cache::ImageRecord{ref.String(), target, 0, 0}));
    if (!a.quiet) fprintf(stderr, "pulled %s (all platforms, %s)\n", ref.Familiar().c_str(), target.digest.c_str());
    printf("%s\n", target.digest.c_str());
    return;
  }
  auto img = OrFail(registry::ResolveRemote(client, *store, ref, platform));
  Check(registry::FetchLayers(client, *store, img));
  cache::ImageRecord rec;
  rec.name = ref.String();
  rec.target = img.manifest;
  Check(md->PutImage(rec));
  if (!a.quiet) fprintf(stderr, "pulled %s (%s, %s)\n", ref.Familiar().c_str(), img.platform.ToString().c_str(), img.Digest().c_str());
  printf("%s\n", img.Digest().c_str());
}

struct PushArgs {
  std::string ref, source;
  std::vector<std::string> tags;
  int64_t chunk = 0;
  bool quiet = false;
  RegistryFlags reg;
};

void RunPush(GlobalOptions& g, const PushArgs& a) {
  Reference ref = OrFail(ParseReference(a.ref));
  Reference src = ref;  // the source may also be an image ID, which is not a reference
  if (!a.source.empty()) {
    if (auto p = ParseReference(a.source); p.ok()) src = *p;
  }
  const std::string src_name = a.source.empty() ? ref.Familiar() : a.source;
  std::string root = g.ResolvedRoot();
  auto md = OrFail(cache::MetadataStore::Open(root));
  auto store = OrFail(OpenContentStore(root, md.get()));
  // The local image: by name (also short names), ID or digest, as `kiln images` shows them.
  oci::Descriptor target;
  exporter::ImageStore images(*store, *md);
  auto local = images.Resolve(a.source.empty() ? a.ref : a.source);
  if (local.ok()) {
    target = local->target;
  } else if (!src.digest.empty() && store->Has(src.digest)) {
    target.digest = src.digest;
  } else if (local.status().IsNotFound()) {
    Fail(Status::NotFound("no image " + src_name + " in kiln's local store (" + root + ")")
             .WithHint("build it with `kiln build -t " + src_name + "`, pull it, or name the local image: kiln push DEST SOURCE"));
  } else {
    Fail(local.status());
  }
  auto opts = a.reg.Options();
  opts.chunk_size = a.chunk;
  registry::RegistryClient client(opts, root + "/registry");
  if (!a.quiet) client.SetProgress([](const std::string& l) { fprintf(stderr, "%s\n", l.c_str()); });
  // Layers stored uncompressed (kiln's store keeps new layers so) are pushed as gzip,
  // as docker push does; the compressed blobs are kept for the next push.
  auto conv = OrFail(cache::CompressedForPush(*store, *md, target));
  if (!a.quiet && conv.layers_compressed + conv.layers_reused > 0)
    fprintf(stderr, "pushing %s with gzip layers (%d compressed now, %d from an earlier push)\n",
            conv.target.digest.c_str(), conv.layers_compressed, conv.layers_reused);
  auto res = OrFail(registry::PushImage(client, *store, conv.target, ref, a.tags));
  if (!a.quiet)
    fprintf(stderr, "pushed %s: %d blobs uploaded, %d mounted, %d already present\n", ref.Familiar().c_str(),
            res.blobs_uploaded, res.blobs_mounted, res.blobs_skipped);
  printf("%s\n", res.digest.c_str());
}

struct LoginArgs {
  std::string server = "docker.io", user, password;
  bool password_stdin = false;
  RegistryFlags reg;
};

void RunLogin(GlobalOptions& g, LoginArgs a) {
  std::string host = OrFail(NormalizeRegistryHost(a.server));
  if (a.password_stdin && !a.password.empty())
    Fail(Status::InvalidArgument("--password and --password-stdin are mutually exclusive"));
  if (a.password_stdin) {
    if (a.user.empty()) Fail(Status::InvalidArgument("--password-stdin needs --username"));
    a.password = OrFail(ReadFileOrStdin("-"));
    while (!a.password.empty() && (a.password.back() == '\n' || a.password.back() == '\r')) a.password.pop_back();
  } else if (!a.password.empty()) {
    fprintf(stderr, "WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n");
  }
  if (a.user.empty()) {
    if (!isatty(0)) Fail(Status::InvalidArgument("no user name given").WithHint("use kiln login -u USER --password-stdin " + host));
    a.user = ReadLine("Username: ", true);
  }
  if (a.password.empty()) {
    if (!isatty(0)) Fail(Status::InvalidArgument("no password given").WithHint("pipe it: echo PASS | kiln login -u USER --password-stdin " + host));
    a.password = ReadLine("Password: ", false);
  }
  if (a.user.empty() || a.password.empty()) Fail(Status::InvalidArgument("user name and password must not be empty"));
  registry::RegistryOptions opts = a.reg.Options();
  opts.max_retries = 1;
  opts.auth = registry::AuthConfig{a.user, a.password, ""};
  registry::Session session(host, opts);
  Status st = session.CheckAuth({});
  if (!st.ok()) Fail(st.WithContext("login to " + host + " failed"));
  registry::DockerConfig cfg;
  Check(cfg.Store(host, *opts.auth));
  fprintf(stderr, "credentials saved in %s\n", cfg.path().c_str());
  printf("Login Succeeded\n");
}

}  // namespace

registry::RegistryOptions RegistryFlags::Options() const {
  registry::RegistryOptions o;
  o.insecure = insecure;
  if (const char* e = getenv("KILN_INSECURE_REGISTRIES"); e && *e) {
    std::stringstream ss(e);
    std::string h;
    while (std::getline(ss, h, ','))
      if (!h.empty()) o.insecure.push_back(h);
  }
  o.parallel = parallel > 0 ? parallel : 1;
  return o;
}

void AddRegistryFlags(CLI::App* cmd, RegistryFlags& f) {
  cmd->add_option("--insecure-registry", f.insecure,
                  "allow plain HTTP and unverified TLS for this registry host[:port] (repeatable; loopback registries may use HTTP anyway)");
  cmd->add_option("--max-concurrent", f.parallel, "blobs transferred at once")->default_val(4);
}

Status InspectRemoteImage(GlobalOptions& g, const RegistryFlags& f, const std::string& ref_s, const std::string& platform_s) {
  ASSIGN_OR_RETURN(Reference ref, ParseReference(ref_s));
  oci::Platform platform = oci::HostPlatform();
  if (!platform_s.empty()) {
    auto p = oci::ParsePlatform(platform_s);
    if (!p) return Status::InvalidArgument("invalid platform \"" + platform_s + "\"");
    platform = *p;
  }
  registry::RegistryClient client(f.Options());
  ASSIGN_OR_RETURN(auto j, registry::InspectRemote(client, ref, platform));
  printf("%s\n", j.dump(2).c_str());
  return Status::OK();
}

void RegisterRegistry(CLI::App& app, GlobalOptions& g) {
  auto pull = std::make_shared<PullArgs>();
  auto* c = app.add_subcommand("pull", "Download an image from a registry into kiln's local store");
  c->footer("Fetches the manifest (choosing --platform from an index), the config and the layers, verifying every\n"
            "digest, and names the image REF in the local store. Prints the pulled digest on stdout.\n"
            "Credentials come from $DOCKER_CONFIG/config.json (see `kiln login`).");
  c->add_option("REF", pull->ref, "image reference, e.g. busybox:1.36 or localhost:5000/app@sha256:...")->required();
  c->add_option("--platform", pull->platform, "OS/ARCH[/VARIANT] to pull from a multi-platform image (default: this machine)");
  c->add_flag("-a,--all-platforms", pull->all, "pull every platform of a multi-platform image and keep its index");
  c->add_flag("-q,--quiet", pull->quiet, "print only the digest");
  AddRegistryFlags(c, pull->reg);
  c->callback([&g, pull] { RunPull(g, *pull); });

  auto push = std::make_shared<PushArgs>();
  c = app.add_subcommand("push", "Upload an image from kiln's local store to a registry");
  c->footer("Uploads the blobs the repository lacks (mounting them from another repository of the same registry\n"
            "when kiln knows one has them), then the manifest under REF's tag and each --tag.\n"
            "SOURCE names the local image when it differs from REF. Prints the manifest digest on stdout.");
  c->add_option("REF", push->ref, "destination, e.g. localhost:5000/app:v1")->required();
  c->add_option("SOURCE", push->source, "local image to push (default: REF)");
  c->add_option("-t,--tag", push->tags, "also tag the pushed manifest with TAG (repeatable)");
  c->add_option("--chunk-size", push->chunk, "upload blobs in chunks of this many bytes (default: one request per blob)");
  c->add_flag("-q,--quiet", push->quiet, "print only the digest");
  AddRegistryFlags(c, push->reg);
  c->callback([&g, push] { RunPush(g, *push); });

  auto login = std::make_shared<LoginArgs>();
  c = app.add_subcommand("login", "Check credentials with a registry and save them");
  c->footer("Saves the credentials as docker does, in $DOCKER_CONFIG/config.json (default ~/.docker/config.json,\n"
            "mode 0600), or through the credential helper named by credsStore/credHelpers there.");
  c->add_option("REGISTRY", login->server, "registry host[:port] (default: docker.io)");
  c->add_option("-u,--username", login->user, "user name");
  c->add_option("-p,--password", login->password, "password (prefer --password-stdin)");
  c->add_flag("--password-stdin", login->password_stdin, "read the password from standard input");
  AddRegistryFlags(c, login->reg);
  c->callback([&g, login] { RunLogin(g, *login); });

  auto logout_server = std::make_shared<std::string>("docker.io");
  c = app.add_subcommand("logout", "Remove saved credentials for a registry");
  c->add_option("REGISTRY", *logout_server, "registry host[:port] (default: docker.io)");
  c->callback([logout_server] {
    std::string host = OrFail(NormalizeRegistryHost(*logout_server));
    registry::DockerConfig cfg;
    Status st = cfg.Erase(host);
    if (st.IsNotFound()) {
      fprintf(stderr, "%s\n", st.message().c_str());
      return;
    }
    Check(st);
    printf("Removing login credentials for %s\n", host.c_str());
  });

  // Remote inspect: used when `kiln inspect` is still a placeholder (the exporter owns the
  // real command, which calls InspectRemoteImage for remote references).
  auto existing = app.get_subcommands([](CLI::App* s) { return s->get_name() == "inspect"; });
  if (existing.empty() || existing[0]->get_group().empty()) {
    if (!existing.empty()) app.remove_subcommand(existing[0]);
    struct InspectArgs {
      std::string ref, platform;
      RegistryFlags reg;
    };
    auto ins = std::make_shared<InspectArgs>();
    c = app.add_subcommand("inspect", "Show an image's digest, media type, platform, config and layers as JSON");
    c->add_option("REF", ins->ref, "image reference (looked up in its registry)")->required();
    c->add_option("--platform", ins->platform, "platform to show from a multi-platform image (default: this machine)");
    AddRegistryFlags(c, ins->reg);
    c->callback([&g, ins] { Check(InspectRemoteImage(g, ins->reg, ins->ref, ins->platform)); });
  }
}

}  // namespace kiln::cli
