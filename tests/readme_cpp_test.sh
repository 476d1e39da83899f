#!/bin/sh
# Compiles the README's C++ examples (every ```cpp block, in order, as one
# program: #include lines at the top, the rest as the body of main) with
# -Wall -Wextra -Werror against include/: an example that warns fails.
#
#   tests/readme_cpp_test.sh README CXX INCLUDE_DIR
readme=${1:?usage: readme_cpp_test.sh README CXX INCLUDE_DIR}
cxx=${2:?} include_dir=${3:?}
work=$(mktemp -d) || exit 2
trap 'rm -rf "$work"' EXIT

awk '/^```cpp$/ {inside = 1; next} /^```$/ {inside = 0} inside' "$readme" \
  > "$work/blocks"
if [ ! -s "$work/blocks" ]; then
  echo "no \`\`\`cpp block in $readme"; exit 1
fi
{
  grep '^#include' "$work/blocks"
  echo '#include <cstdio>'
  echo 'int main() {'
  grep -v '^#include' "$work/blocks"
  echo '  return 0;'
  echo '}'
} > "$work/readme_example.cc"
if ! "$cxx" -std=c++20 -Wall -Wextra -Werror -I "$include_dir" \
     -c "$work/readme_example.cc" -o "$work/readme_example.o"; then
  echo "the README's C++ example, as compiled:"
  cat -n "$work/readme_example.cc"
  exit 1
fi
echo "the README's C++ example ($(wc -l < "$work/blocks") lines) compiles without a warning"
