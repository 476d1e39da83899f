#!/usr/bin/env bash
# Installs weft into a temporary prefix, then builds programs outside the
# tree against it: a C++ project through the CMake package (shared and
# static) and the C example through pkg-config (weft.pc and weft-static.pc),
# and runs each. Usage: install_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
source=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

step() { echo "--- $*"; }

step "cmake --install into $prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null
for file in include/weft/database.h include/weft/sync.h include/weft.h \
            bin/weft lib/libweft.so lib/libweft.a \
            lib/cmake/weft/weftConfig.cmake lib/pkgconfig/weft.pc \
            lib/pkgconfig/weft-static.pc \
            lib/python3/dist-packages/weft/__init__.py; do
  [ -e "$prefix/$file" ] || { echo "not installed: $file"; exit 1; }
done

step "the installed shell"
"$prefix/bin/weft" --db "$work/shell.db" put notes/1 '{"text": "hi"}' >/dev/null
shown=$("$prefix/bin/weft" --db "$work/shell.db" get notes/1)
grep -q '"hi"' <<<"$shown"

step "the installed Python package, found from the prefix alone"
(cd "$work" && env -u WEFT_LIB PYTHONPATH="$prefix/lib/python3/dist-packages" \
  python3 -c 'import weft, sys
with weft.open(sys.argv[1]) as db:
    assert db.get("notes/1", "text") == "hi"
assert weft._lib._name.startswith(sys.argv[2]), weft._lib._name' \
  "$work/shell.db" "$prefix/lib/python3/dist-packages/weft/../../../libweft.so")

step "C++ consumer through find_package(weft)"
cmake -S "$source/tests/install/consumer" -B "$work/consumer" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/consumer" >/dev/null
for kind in shared static; do
  out=$("$work/consumer/notes_$kind" "$work/notes_$kind.db")
  echo "notes_$kind: $out"
  [ "$out" = '{"text":"installed"}' ]
done
# The shared build really uses the installed libweft.so.
# (ldd's output is read whole: grep -q stopping early would make ldd fail
# on a closed pipe, and pipefail report it.)
libraries=$(ldd "$work/consumer/notes_shared")
grep -q "$prefix/lib/libweft.so" <<<"$libraries"

step "C example through pkg-config"
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
for pc in weft weft-static; do
  # shellcheck disable=SC2046  # pkg-config's flags are meant to split
  cc -Wall -o "$work/todo_$pc" "$source/bindings/c/examples/todo_sync.c" \
    $(pkg-config --cflags --libs "$pc")
  mkdir "$work/todo_$pc.db"
  LD_LIBRARY_PATH=$prefix/lib "$work/todo_$pc" "$work/todo_$pc.db" \
    | tee "$work/todo_$pc.out" | tail -1
  grep -qx converged "$work/todo_$pc.out"
done
echo "install test passed"
