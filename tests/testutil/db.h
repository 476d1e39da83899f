// Helpers for tests that use a real database (they link `weft`).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "weft/database.h"

namespace weft::testing {

// Opens (creating) the database at `path`; null after a test failure.
inline std::unique_ptr<Database> OpenOrDie(const std::string& path,
                                           const Options& options = Options()) {
  auto db = Database::Open(path, options);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return db.ok() ? std::move(db).value() : nullptr;
}

// Replaces document `doc` with the JSON object `body` in one commit.
inline void Put(Database* db, const std::string& doc, const std::string& body) {
  auto txn = db->Begin();
  ASSERT_TRUE(txn->PutJson(doc, body).status().ok()) << doc << " " << body;
  ASSERT_TRUE(txn->Commit().ok());
}

// Verify() runs and reports no problem.
inline void ExpectVerified(const Database& db) {
  auto report = db.Verify();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  for (const std::string& problem : report->problems) ADD_FAILURE() << problem;
}

// Every row of a view, in order (a test failure if it cannot be read).
inline std::vector<ViewRow> ViewRows(const Database& db,
                                     const std::string& view) {
  std::vector<ViewRow> rows;
  Status status = db.ScanView(view, [&](const ViewRow& row) {
    rows.push_back(row);
    return true;
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
  return rows;
}

// Rows as text, one "doc|key|value" line each: readable in a failure.
inline std::string RowsText(const std::vector<ViewRow>& rows) {
  std::string text;
  for (const ViewRow& row : rows) {
    text += row.doc + "|" + row.key + "|" + row.value + "\n";
  }
  return text;
}

}  // namespace weft::testing
