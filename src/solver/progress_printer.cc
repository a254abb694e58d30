#include "solver/progress_printer.h"

#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace kiln::solver {

Result<ProgressMode> ParseProgressMode(const std::string& s) {
  if (s == "auto") return ProgressMode::kAuto;
  if (s == "tty") return ProgressMode::kTty;
  if (s == "plain") return ProgressMode::kPlain;
  if (s == "rawjson") return ProgressMode::kRawJson;
  if (s == "quiet") return ProgressMode::kQuiet;
  return Status::InvalidArgument("unknown --progress mode `" + s + "`").WithHint("use one of: auto, tty, plain, rawjson, quiet");
}

namespace {

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

std::string Fmt(const char* fmt, double v) {
  char buf[64];
  snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

// BuildKit's plain printer.
class PlainPrinter : public ProgressSink {
 public:
  explicit PlainPrinter(FILE* out) : out_(out) {}

  void Event(const ProgressEvent& ev) override {
    std::lock_guard l(mu_);
    if (ev.name.empty()) return;
    auto& v = vertices_[ev.vertex];
    if (v.number == 0) {
      v.number = ++next_;
      v.name = ev.name;
      v.start = ev.time;
    }
    using K = ProgressEvent::Kind;
    switch (ev.kind) {
      case K::kStarted:
        v.start = ev.time;
        Switch(v);
        break;
      case K::kCached:
        Switch(v);
        fprintf(out_, "#%d CACHED\n", v.number);
        End();
        break;
      case K::kLog:
        v.partial += ev.data;
        for (size_t nl; (nl = v.partial.find('\n')) != std::string::npos;) {
          Line(v, v.partial.substr(0, nl), ev.time);
          v.partial.erase(0, nl + 1);
        }
        break;
      case K::kDone:
        Flush(v, ev.time);
        Switch(v);
        fprintf(out_, "#%d DONE %s\n", v.number, Fmt("%.1fs", Seconds(ev.time - v.start)).c_str());
        End();
        break;
      case K::kError:
        Flush(v, ev.time);
        Switch(v);
        fprintf(out_, "#%d ERROR: %s\n", v.number, ev.data.c_str());
        End();
        break;
      case K::kCancelled:
        Flush(v, ev.time);
        Switch(v);
        fprintf(out_, "#%d CANCELED\n", v.number);
        End();
        break;
    }
    fflush(out_);
  }

 private:
  struct Vertex {
    int number = 0;
    std::string name, partial;
    Clock::time_point start;
  };
  // Prints the vertex header when output moves to another vertex.
  void Switch(Vertex& v) {
    if (current_ == v.number) return;
    if (printed_any_) fputc('\n', out_);
    printed_any_ = true;
    fprintf(out_, "#%d %s\n", v.number, v.name.c_str());
    current_ = v.number;
  }
  void End() { current_ = 0; }
  void Line(Vertex& v, const std::string& line, Clock::time_point t) {
    Switch(v);
    std::string s = line;
    if (!s.empty() && s.back() == '\r') s.pop_back();
    fprintf(out_, "#%d %s %s\n", v.number, Fmt("%.3f", Seconds(t - v.start)).c_str(), s.c_str());
  }
  void Flush(Vertex& v, Clock::time_point t) {
    if (!v.partial.empty()) Line(v, v.partial, t);
    v.partial.clear();
  }

  FILE* out_;
  std::mutex mu_;
  std::map<std::string, Vertex> vertices_;
  int next_ = 0, current_ = 0;
  bool printed_any_ = false;
};

std::string Base64(std::string_view in) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t n = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += {k[n >> 18], k[(n >> 12) & 63], k[(n >> 6) & 63], k[n & 63]};
  }
  if (i + 1 == in.size()) {
    uint32_t n = uint8_t(in[i]) << 16;
    out += {k[n >> 18], k[(n >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    uint32_t n = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += {k[n >> 18], k[(n >> 12) & 63], k[(n >> 6) & 63], '='};
  }
  return out;
}

std::string Rfc3339(Clock::time_point t) {
  // Map the steady clock onto the wall clock.
  auto wall = std::chrono::system_clock::now() + std::chrono::duration_cast<std::chrono::system_clock::duration>(t - Clock::now());
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(wall.time_since_epoch()).count();
  time_t secs = ns / 1000000000;
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[64];
  snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
           tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(ns % 1000000000));
  return buf;
}

// SolveStatus-shaped JSON lines.
class RawJsonPrinter : public ProgressSink {
 public:
  explicit RawJsonPrinter(FILE* out) : out_(out) {}
  void Event(const ProgressEvent& ev) override {
    std::lock_guard l(mu_);
    using K = ProgressEvent::Kind;
    nlohmann::json j = nlohmann::json::object();
    auto& st = started_[ev.vertex];
    if (ev.kind == K::kStarted || st.empty()) st = Rfc3339(ev.time);
    if (ev.kind == K::kLog) {
      j["logs"] = nlohmann::json::array({{{"vertex", ev.vertex}, {"stream", 1}, {"data", Base64(ev.data)}, {"timestamp", Rfc3339(ev.time)}}});
    } else {
      nlohmann::json v = {{"digest", ev.vertex}, {"name", ev.name}, {"started", st}};
      if (ev.kind == K::kCached) {
        v["cached"] = true;
        v["completed"] = Rfc3339(ev.time);
      }
      if (ev.kind == K::kDone) v["completed"] = Rfc3339(ev.time);
      if (ev.kind == K::kError || ev.kind == K::kCancelled) {
        v["completed"] = Rfc3339(ev.time);
        v["error"] = ev.kind == K::kCancelled ? "context canceled" : ev.data;
      }
      j["vertexes"] = nlohmann::json::array({v});
    }
    fprintf(out_, "%s\n", j.dump().c_str());
    fflush(out_);
  }

 private:
  FILE* out_;
  std::mutex mu_;
  std::map<std::string, std::string> started_;
};

// A live board, redrawn every 150 ms and once more on Close.
class TtyPrinter : public ProgressSink {
 public:
  explicit TtyPrinter(FILE* out) : out_(out), start_(Clock::now()) {
    thread_ = std::thread([this] { Loop(); });
  }
  ~TtyPrinter() override { Close(); }

  void Event(const ProgressEvent& ev) override {
    std::lock_guard l(mu_);
    if (ev.name.empty()) return;
    auto it = index_.find(ev.vertex);
    if (it == index_.end()) {
      it = index_.emplace(ev.vertex, rows_.size()).first;
      rows_.push_back(Row{ev.name, ev.time, {}, LineTail(6), State::kRunning});
    }
    Row& r = rows_[it->second];
    using K = ProgressEvent::Kind;
    switch (ev.kind) {
      case K::kStarted: r.start = ev.time; break;
      case K::kCached: r.state = State::kCached; r.end = ev.time; break;
      case K::kLog: r.tail.Append(ev.data); break;
      case K::kDone: r.state = State::kDone; r.end = ev.time; break;
      case K::kError: r.state = State::kError; r.end = ev.time; r.error = ev.data; break;
      case K::kCancelled: r.state = State::kCancelled; r.end = ev.time; break;
    }
  }

  void Close() override {
    {
      std::lock_guard l(mu_);
      if (closed_) return;
      closed_ = true;
    }
    cv_.notify_all();
    thread_.join();
    std::lock_guard l(mu_);
    Draw(true);
  }

 private:
  enum class State { kRunning, kCached, kDone, kError, kCancelled };
  struct Row {
    std::string name;
    Clock::time_point start, end;
    LineTail tail;
    State state;
    std::string error;
  };

  void Loop() {
    std::unique_lock l(mu_);
    while (!closed_) {
      Draw(false);
      cv_.wait_for(l, std::chrono::milliseconds(150), [&] { return closed_; });
    }
  }

  void Draw(bool final) {
    std::string s;
    if (drawn_lines_ > 0) s += "\x1b[" + std::to_string(drawn_lines_) + "A\x1b[J";
    int done = 0;
    for (auto& r : rows_) done += r.state != State::kRunning;
    auto now = Clock::now();
    s += (final ? "[+] Building " : "[+] Building ") + Fmt("%.1fs", Seconds(now - start_)) + " (" +
         std::to_string(done) + "/" + std::to_string(rows_.size()) + ")" + (final ? " FINISHED" : "") + "\n";
    int lines = 1;
    for (auto& r : rows_) {
      std::string t;
      switch (r.state) {
        case State::kCached: t = " CACHED"; break;
        case State::kRunning: t = " " + Fmt("%.1fs", Seconds(now - r.start)); break;
        case State::kDone: t = " " + Fmt("%.1fs", Seconds(r.end - r.start)); break;
        case State::kError: t = " ERROR: " + r.error; break;
        case State::kCancelled: t = " CANCELED"; break;
      }
      s += " => " + r.name + t + "\n";
      lines++;
      if (r.state == State::kRunning || r.state == State::kError) {
        for (auto& line : r.tail.Lines()) {
          s += " => => # " + line.substr(0, 200) + "\n";
          lines++;
        }
      }
    }
    drawn_lines_ = final ? 0 : lines;
    fputs(s.c_str(), out_);
    fflush(out_);
  }

  FILE* out_;
  Clock::time_point start_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, size_t> index_;
  std::vector<Row> rows_;
  int drawn_lines_ = 0;
  bool closed_ = false;
  std::thread thread_;
};

}  // namespace

std::unique_ptr<ProgressSink> NewProgressPrinter(ProgressMode mode, FILE* out) {
  if (mode == ProgressMode::kAuto) mode = isatty(fileno(out)) ? ProgressMode::kTty : ProgressMode::kPlain;
  switch (mode) {
    case ProgressMode::kTty: return std::make_unique<TtyPrinter>(out);
    case ProgressMode::kPlain: return std::make_unique<PlainPrinter>(out);
    case ProgressMode::kRawJson: return std::make_unique<RawJsonPrinter>(out);
    default: return std::make_unique<NullProgress>();
  }
}

}  // namespace kiln::solver
