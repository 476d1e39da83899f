#!/bin/sh
# Builds and runs the C++ guide's examples (docs/cpp-guide.md): every
# ```cpp block, in order, as the body of one main() that gets a fresh
# folder `dir` and a `Check(status)` that ends the program on an error.
# Compiled with -Wall -Wextra -Werror and linked against libweft.so: an
# example that no longer compiles, warns, or fails a check fails the test.
#
#   tests/docs/guide_examples_test.sh GUIDE CXX INCLUDE_DIR LIBWEFT_SO
guide=${1:?usage: guide_examples_test.sh GUIDE CXX INCLUDE_DIR LIBWEFT_SO}
cxx=${2:?} include_dir=${3:?} library=${4:?}
work=$(mktemp -d) || exit 2
trap 'rm -rf "$work"' EXIT

awk '/^```cpp$/ {inside = 1; next} /^```$/ {inside = 0} inside' "$guide" \
  > "$work/blocks"
if [ ! -s "$work/blocks" ]; then
  echo "no \`\`\`cpp block in $guide"; exit 1
fi
cat > "$work/guide.cc" <<'FRAME'
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <variant>

#include "weft/database.h"
#include "weft/json.h"

static void Check(const weft::Status& status) {
  if (!status.ok()) {
    std::fprintf(stderr, "check failed: %s\n", status.ToString().c_str());
    std::exit(1);
  }
}

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::string dir = argv[1];
FRAME
cat "$work/blocks" >> "$work/guide.cc"
printf '  return 0;\n}\n' >> "$work/guide.cc"

if ! "$cxx" -std=c++20 -Wall -Wextra -Werror -I "$include_dir" \
     "$work/guide.cc" -o "$work/guide" "$library" \
     -Wl,-rpath,"$(dirname "$library")"; then
  echo "the guide's examples, as compiled:"
  cat -n "$work/guide.cc"
  exit 1
fi
mkdir "$work/run"
if ! "$work/guide" "$work/run" > "$work/output" 2>&1; then
  cat "$work/output"
  echo "the guide's examples failed when run"
  exit 1
fi
echo "the guide's examples ($(wc -l < "$work/blocks") lines) build without a" \
     "warning and run: $(wc -l < "$work/output") lines of output"
