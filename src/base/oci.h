// OCI image-spec types shared by the store, registry, solver and exporters.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace kiln::oci {

inline constexpr const char* kMediaTypeManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kMediaTypeIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* kMediaTypeConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr const char* kMediaTypeLayer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr const char* kMediaTypeLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr const char* kMediaTypeLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr const char* kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr const char* kDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr const char* kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr const char* kDockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr const char* kDockerManifestV1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws";

struct Platform {
  std::string os = "linux";
  std::string architecture;  // GOARCH names: amd64, arm64, arm, 386, ...
  std::string variant;       // v7, v8, ...
  bool operator==(const Platform&) const = default;
  std::string ToString() const { return os + "/" + architecture + (variant.empty() ? "" : "/" + variant); }
};

// The platform of this machine (linux/amd64 on x86_64, ...).
Platform HostPlatform();
// "linux/arm64/v8" -> Platform; errors name the bad part.
std::optional<Platform> ParsePlatform(const std::string& s);

struct Descriptor {
  std::string media_type;
  std::string digest;
  int64_t size = 0;
  std::map<std::string, std::string> annotations;
  std::optional<Platform> platform;
};

nlohmann::json DescriptorToJson(const Descriptor& d);
Descriptor DescriptorFromJson(const nlohmann::json& j);

}  // namespace kiln::oci
