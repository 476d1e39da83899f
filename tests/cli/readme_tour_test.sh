#!/usr/bin/env bash
# Runs the README's five-minute tour exactly as written (the first sh block
# under "## A five-minute tour"), with the built weft first on PATH, then
# checks that the replicas converged and the bundle restored.
# Usage: readme_tour_test.sh README WEFT_DIR
set -euo pipefail
readme=$1
PATH=$(cd "$2" && pwd):$PATH
export PATH

tour=$(awk '/^## A five-minute tour/ { in_section = 1 }
            in_section && /^```sh$/ { in_block = 1; next }
            in_block && /^```$/ { exit }
            in_block { print }' "$readme")
[ -n "$tour" ] || { echo "no tour found in $readme"; exit 1; }

# The tour starts with cd "$(mktemp -d)": run it in a shell of its own
# that stops at the first failing command, and learn where it ended up.
folder=$(mktemp -d)
trap 'rm -rf "$folder"' EXIT
if ! bash -eu -c "$tour"$'\n'"pwd > '$folder/where'" > "$folder/out" 2>&1; then
  cat "$folder/out"
  echo "the tour failed"
  exit 1
fi
cat "$folder/out"
cd "$(cat "$folder/where")"

laptop=$(weft --db laptop.db heads)
phone=$(weft --db phone.db heads)
copy=$(weft --db copy.db heads)
[ "$laptop" = "$phone" ] || { echo "heads differ: $laptop / $phone"; exit 1; }
[ "$laptop" = "$copy" ] || { echo "the copy differs: $copy"; exit 1; }
for db in laptop phone copy; do
  [ "$(weft --db $db.db get todos/1 done)" = true ]
  [ "$(weft --db $db.db keys todos | wc -l)" -eq 3 ]
  weft --db $db.db verify > /dev/null
done
grep -q '"done":true' "$folder/out"
weft --db copy.db views | grep -q by_due  # the bundle carried the view
rm -rf "$(pwd)"
echo "the tour ran and converged"
