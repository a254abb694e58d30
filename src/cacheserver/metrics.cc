#include "cacheserver/metrics.h"

#include <sstream>

namespace kiln::cacheserver {

void Metrics::CountRequest(const std::string& method, int status) {
  std::lock_guard lock(mu_);
  requests_[{method, status}]++;
}

void Metrics::CountLookup(bool manifest, bool hit) { (hit ? hits_ : misses_)[manifest ? 1 : 0]++; }

std::string Metrics::Render(const Gauges& g) {
  std::ostringstream o;
  o << "# HELP kiln_cache_requests_total HTTP requests served, by method and status.\n"
    << "# TYPE kiln_cache_requests_total counter\n";
  {
    std::lock_guard lock(mu_);
    for (const auto& [k, n] : requests_)
      o << "kiln_cache_requests_total{method=\"" << k.first << "\",code=\"" << k.second << "\"} " << n << "\n";
  }
  const char* kinds[2] = {"blob", "manifest"};
  o << "# HELP kiln_cache_hits_total Lookups that found what they asked for.\n"
    << "# TYPE kiln_cache_hits_total counter\n";
  for (int i = 0; i < 2; i++) o << "kiln_cache_hits_total{kind=\"" << kinds[i] << "\"} " << hits_[i] << "\n";
  o << "# HELP kiln_cache_misses_total Lookups that found nothing.\n"
    << "# TYPE kiln_cache_misses_total counter\n";
  for (int i = 0; i < 2; i++) o << "kiln_cache_misses_total{kind=\"" << kinds[i] << "\"} " << misses_[i] << "\n";
  o << "# HELP kiln_cache_bytes_in_total Request body bytes received.\n"
    << "# TYPE kiln_cache_bytes_in_total counter\n"
    << "kiln_cache_bytes_in_total " << bytes_in_ << "\n"
    << "# HELP kiln_cache_bytes_out_total Response body bytes sent.\n"
    << "# TYPE kiln_cache_bytes_out_total counter\n"
    << "kiln_cache_bytes_out_total " << bytes_out_ << "\n"
    << "# HELP kiln_cache_evictions_total Manifests evicted to stay under --max-size.\n"
    << "# TYPE kiln_cache_evictions_total counter\n"
    << "kiln_cache_evictions_total " << g.evictions << "\n"
    << "# HELP kiln_cache_store_bytes Bytes of blobs and manifests in the store.\n"
    << "# TYPE kiln_cache_store_bytes gauge\n"
    << "kiln_cache_store_bytes " << g.store_bytes << "\n"
    << "# HELP kiln_cache_uploads_in_flight Blob uploads started and not finished.\n"
    << "# TYPE kiln_cache_uploads_in_flight gauge\n"
    << "kiln_cache_uploads_in_flight " << g.uploads_in_flight << "\n";
  return o.str();
}

}  // namespace kiln::cacheserver
