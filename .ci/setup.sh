#!/usr/bin/env bash
# Installs what weft needs to build and test on Debian 12, if it is missing.
# Safe to run again: it installs nothing when everything is there.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config ccache git clang-format
  clang libclang-rt-14-dev    # libFuzzer targets (the fuzz preset)
  librocksdb-dev              # storage
  libflatbuffers-dev flatbuffers-compiler  # change encoding (flatc)
  libssl-dev                  # SHA-256, randomness
  nlohmann-json3-dev          # JSON output of the CLI
  zlib1g-dev                  # reading the gzipped editing traces
  libedit-dev                 # line editing and history in the shell
  libasio-dev                 # TCP transport of sync (standalone Asio)
  libzstd-dev                 # compression of sync batches
  libgtest-dev libgmock-dev   # tests
  python3 python3-venv        # the Python binding, its tests, its pip install
  libbenchmark-dev            # benchmarks
  libsqlite3-dev              # view_bench's baseline (JSON in SQLite)
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" \
    || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
