// A thin RAII wrapper over the SQLite C API with errors as Status.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace kiln::cache {

class SqlStmt {
 public:
  SqlStmt(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  SqlStmt(SqlStmt&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }
  SqlStmt(const SqlStmt&) = delete;
  ~SqlStmt();
  // Binds are 1-based, as in SQLite.
  SqlStmt& Bind(int i, const std::string& v);
  SqlStmt& Bind(int i, int64_t v);
  SqlStmt& BindNull(int i);
  // Steps once: true when a row is available, false when done.
  Result<bool> Step();
  // Steps to completion (for statements returning no rows).
  Status Run();
  // Steps to completion, collecting column `col` of every row.
  Result<std::vector<std::string>> Texts(int col);
  std::string Text(int col) const;
  int64_t Int(int col) const;
  bool IsNull(int col) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class SqlDb {
 public:
  // Opens (creating) `path` in WAL mode with synchronous=FULL, foreign keys on and
  // a busy timeout, so several kiln processes can share it and kill -9 loses nothing
  // that was committed.
  static Result<std::unique_ptr<SqlDb>> Open(const std::string& path);
  ~SqlDb();
  Status Exec(const std::string& sql);
  Result<SqlStmt> Prepare(const std::string& sql);
  // BEGIN IMMEDIATE ... COMMIT around `fn`; rolls back when fn fails.
  template <typename F>
  Status Transaction(F&& fn) {
    RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
    Status st = fn();
    if (!st.ok()) {
      (void)Exec("ROLLBACK");
      return st;
    }
    return Exec("COMMIT");
  }
  const std::string& path() const { return path_; }

 private:
  SqlDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
};

}  // namespace kiln::cache
