// JSON bytes as Go's encoding/json writes them, so kiln's configs and manifests
// match BuildKit's byte for byte: struct fields in declaration order, map keys
// sorted, HTML-safe string escapes (<, >, & as \u003c, \u003e, \u0026; U+2028/9),
// compact (json.Marshal) or two-space indented (json.MarshalIndent(v, "", "  ")).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace kiln::exporter {

// The order of an object's keys: `fields` first in that order (a Go struct's
// declaration order), then any other key sorted (a Go map). `children` gives the
// order for nested objects by key; `items` applies to every element of an array
// (or every value of a map-typed object when `map_values` is set).
struct KeyOrder {
  std::vector<std::string> fields;
  std::vector<std::pair<std::string, const KeyOrder*>> children;
  const KeyOrder* items = nullptr;
  bool map_values = false;
  const KeyOrder* Child(const std::string& key) const;
};

// Go's json.Marshal of the value with `order` (nullptr: all keys sorted).
std::string GoMarshal(const nlohmann::json& j, const KeyOrder* order = nullptr);
// Go's json.MarshalIndent(v, "", "  ").
std::string GoMarshalIndent(const nlohmann::json& j, const KeyOrder* order = nullptr);
// A string as Go quotes it in JSON.
std::string GoJsonQuote(const std::string& s);

// Key orders of the OCI / Docker structs BuildKit marshals.
const KeyOrder& ImageConfigOrder();  // the image config (top level is a map: sorted)
const KeyOrder& ManifestOrder();     // ocispec.Manifest
const KeyOrder& IndexOrder();        // ocispec.Index
const KeyOrder& DescriptorOrder();   // ocispec.Descriptor

}  // namespace kiln::exporter
