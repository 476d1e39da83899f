// Helpers for tests that use a real database (they link `weft`).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

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
  ASSERT_TRUE(txn->PutJson(doc, body).ok()) << doc << " " << body;
  ASSERT_TRUE(txn->Commit().ok());
}

}  // namespace weft::testing
