#include "tests/testutil/temp_dir.h"

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace weft::testing {

TempDir::TempDir() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "weft-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed");
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  // WEFT_KEEP_TEMP=1 keeps the folder, to look at what a test left.
  if (std::getenv("WEFT_KEEP_TEMP") != nullptr) return;
  std::error_code error;
  std::filesystem::remove_all(path_, error);
}

}  // namespace weft::testing
