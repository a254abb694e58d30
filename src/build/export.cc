#include "build/export.h"

#include <nlohmann/json.hpp>

#include "base/reference.h"
#include "cache/push_layers.h"
#include "registry/push.h"

namespace kiln::build {
namespace {

// The progress name BuildKit's exporter of this type shows.
const char* ExportVertexName(exporter::OutputType t) {
  switch (t) {
    case exporter::OutputType::kOci: return "exporting to oci image format";
    case exporter::OutputType::kDocker: return "exporting to docker image format";
    case exporter::OutputType::kLocal: return "exporting to client directory";
    case exporter::OutputType::kTar: return "exporting to client tarball";
    case exporter::OutputType::kImage: break;
  }
  return "exporting to image";
}

void Emit(solver::ProgressSink& progress, solver::ProgressEvent ev, solver::ProgressEvent::Kind kind,
          const std::string& data = "") {
  ev.kind = kind;
  ev.data = data;
  ev.time = solver::Clock::now();
  progress.Event(ev);
}

}  // namespace

exporter::PushFunc RegistryPush(const ExportEnv& env) {
  return [env](const std::string& name, const oci::Descriptor& manifest) -> Status {
    if (!env.client) return Status::FailedPrecondition("push " + name + ": no registry client");
    ASSIGN_OR_RETURN(Reference ref, ParseReference(name));
    ASSIGN_OR_RETURN(auto conv, cache::CompressedForPush(*env.content, *env.metadata, manifest));
    ASSIGN_OR_RETURN(auto res, registry::PushImage(*env.client, *env.content, conv.target, ref));
    if (env.on_push) env.on_push(ref.Familiar(), res.digest);
    return Status::OK();
  };
}

ExportOutcome ExportOutputs(exporter::BuildResult& result, const std::vector<exporter::OutputSpec>& outputs,
                            const std::vector<std::string>& tags, const ExportEnv& env, solver::ProgressSink& progress,
                            const std::string& vertex_prefix) {
  using Kind = solver::ProgressEvent::Kind;
  exporter::ExporterDeps deps;
  deps.content = env.content;
  deps.metadata = env.metadata;
  deps.push = RegistryPush(env);
  deps.source_date_epoch = env.source_date_epoch;
  ExportOutcome out;
  std::vector<solver::ProgressEvent> evs;
  std::vector<std::function<Status()>> finalize;
  for (const auto& spec : outputs) {
    solver::ProgressEvent ev;
    ev.vertex = vertex_prefix + std::to_string(evs.size());
    ev.name = ExportVertexName(spec.type);
    Emit(progress, ev, Kind::kStarted);
    evs.push_back(ev);
    auto exp = exporter::NewExporter(spec, tags, deps);
    Result<exporter::ExportResult> r = exp.ok() ? (*exp)->Export(result) : Result<exporter::ExportResult>(exp.status());
    if (!r.ok()) {
      Emit(progress, ev, Kind::kError, r.status().message());
      out.status = r.status();
      return out;
    }
    out.responses.push_back(r->response);
    finalize.push_back(r->finalize);
  }
  for (size_t i = 0; i < finalize.size(); i++) {
    if (Status st = finalize[i](); !st.ok()) {
      Emit(progress, evs[i], Kind::kError, st.message());
      out.status = st;
      out.finalizing = true;
      return out;
    }
  }
  for (const auto& ev : evs) Emit(progress, ev, Kind::kDone);
  return out;
}

std::string BuildMetadataJson(const exporter::ExportResponse* resp) {
  nlohmann::json m = nlohmann::json::object();
  if (resp) {
    m["containerimage.digest"] = resp->image_digest;
    m["containerimage.config.digest"] = resp->config_digest;
    m["containerimage.descriptor"] = {{"mediaType", resp->descriptor.media_type},
                                      {"digest", resp->descriptor.digest},
                                      {"size", resp->descriptor.size}};
    if (!resp->names.empty()) {
      std::string n;
      for (const auto& x : resp->names) n += (n.empty() ? "" : ",") + x;
      m["image.name"] = n;
    }
  }
  return m.dump(2);
}

}  // namespace kiln::build
