#!/bin/sh
# `pip install --no-build-isolation ./bindings/python` into a fresh venv,
# with no package index, then `import weft` from another folder with nothing
# set (no PYTHONPATH, no WEFT_LIB), and the Python suite against the
# installed package.
#
#   tests/python_install_test.sh PYTHON SOURCE_DIR WEFT_LIB WEFT_BINARY
python=${1:?usage: python_install_test.sh PYTHON SOURCE_DIR WEFT_LIB WEFT_BINARY}
source_dir=${2:?} weft_lib=${3:?} weft_binary=${4:?}
work=$(mktemp -d) || exit 2
trap 'rm -rf "$work"' EXIT
set -e
"$python" -m venv "$work/v"
# The backend takes the library just built (WEFT_LIB), as a user's build
# tree would give it.
WEFT_LIB=$weft_lib "$work/v/bin/pip" install --quiet --no-index \
  --no-build-isolation "$source_dir/bindings/python"
mkdir "$work/elsewhere"
cd "$work/elsewhere"
env -u PYTHONPATH -u WEFT_LIB "$work/v/bin/python" -c '
import os, sys, weft
here = os.path.dirname(weft.__file__)
assert here.startswith(sys.prefix), here
assert weft._lib._name == os.path.join(here, "libweft.so"), weft._lib._name
with weft.open("db") as db:
    db.put("todo/1", {"title": "installed"})
    assert db.get("todo/1", "title") == "installed"
print("import weft from", here, "version", weft.version())
'
env -u PYTHONPATH -u WEFT_LIB WEFT_BINARY="$weft_binary" \
  "$work/v/bin/python" -m unittest discover -s "$source_dir/bindings/python/tests"
