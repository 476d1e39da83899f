// Uses the C++ API of an installed weft: writes a note, reads it back.
#include <weft/database.h>

#include <iostream>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: notes DB\n";
    return 2;
  }
  auto db = weft::Database::Open(argv[1], weft::Options());
  if (!db.ok()) {
    std::cerr << db.status().ToString() << "\n";
    return 1;
  }
  auto txn = (*db)->Begin();
  weft::Status status =
      txn->PutJson("notes/1", R"({"text": "installed"})").status();
  auto hash = status.ok() ? txn->Commit() : weft::Result<weft::Hash>(status);
  if (!hash.ok()) {
    std::cerr << hash.status().ToString() << "\n";
    return 1;
  }
  auto note = (*db)->GetJson("notes/1");
  std::cout << (note.ok() ? *note : note.status().ToString()) << "\n";
  return note.ok() ? 0 : 1;
}
