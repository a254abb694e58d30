#include "cache/sqlite.h"

#include <sqlite3.h>

namespace kiln::cache {
namespace {
Status SqlError(sqlite3* db, int rc, const std::string& what) {
  std::string msg = what + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) return Status::Unavailable(msg);
  if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB) return Status::Corruption(msg);
  if (rc == SQLITE_CONSTRAINT) return Status::FailedPrecondition(msg);
  return Status::IOError(msg);
}
}  // namespace

SqlStmt::~SqlStmt() {
  if (stmt_) sqlite3_finalize(stmt_);
}

SqlStmt& SqlStmt::Bind(int i, const std::string& v) {
  sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}
SqlStmt& SqlStmt::Bind(int i, int64_t v) {
  sqlite3_bind_int64(stmt_, i, v);
  return *this;
}
SqlStmt& SqlStmt::BindNull(int i) {
  sqlite3_bind_null(stmt_, i);
  return *this;
}

Result<bool> SqlStmt::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqlError(db_, rc, std::string("sql `") + sqlite3_sql(stmt_) + "`");
}

Status SqlStmt::Run() {
  for (;;) {
    ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return Status::OK();
  }
}

Result<std::vector<std::string>> SqlStmt::Texts(int col) {
  std::vector<std::string> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return out;
    out.push_back(Text(col));
  }
}

std::string SqlStmt::Text(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(stmt_, col)) : std::string();
}
int64_t SqlStmt::Int(int col) const { return sqlite3_column_int64(stmt_, col); }
bool SqlStmt::IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

Result<std::unique_ptr<SqlDb>> SqlDb::Open(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    Status st = SqlError(db, rc, "open database `" + path + "`");
    sqlite3_close(db);
    return st;
  }
  std::unique_ptr<SqlDb> out(new SqlDb(db, path));
  sqlite3_busy_timeout(db, 30000);
  RETURN_IF_ERROR(out->Exec("PRAGMA journal_mode=WAL"));
  RETURN_IF_ERROR(out->Exec("PRAGMA synchronous=NORMAL"));
  RETURN_IF_ERROR(out->Exec("PRAGMA foreign_keys=ON"));
  return out;
}

SqlDb::~SqlDb() { sqlite3_close_v2(db_); }

Status SqlDb::Exec(const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = "sql `" + sql.substr(0, 80) + "` in " + path_ + ": " + (err ? err : sqlite3_errstr(rc));
    sqlite3_free(err);
    if (rc == SQLITE_BUSY) return Status::Unavailable(msg);
    if (rc == SQLITE_CONSTRAINT) return Status::FailedPrecondition(msg);
    if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB) return Status::Corruption(msg);
    return Status::IOError(msg);
  }
  return Status::OK();
}

Result<SqlStmt> SqlDb::Prepare(const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr);
  if (rc != SQLITE_OK) return SqlError(db_, rc, "prepare `" + sql + "`");
  return SqlStmt(db_, stmt);
}

}  // namespace kiln::cache
