#!/usr/bin/env bash
# Runs the README's runnable commands as written, in a throwaway clone of this checkout (with its
# uncommitted changes), reusing the caches (the control plane's binaries, ccache):
#   - the first command, tests/demo: it must exit 0 and print the hello job's output;
#   - the five-minute tour, line by line, against the control plane the demo left running;
#   - the install block: the build, `cmake --install` (into a scratch DESTDIR: the test does not
#     write to /usr/local, and runs without sudo) and `cpack -G DEB`.
# The second command, tests/check, is the test command this runs in; bench/run's block is run by the
# bench_quick test. The commands are read from README.md itself, so a changed README is what runs.
#
# usage: tests/readme_test.sh
set -euo pipefail

source=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/kq-readme-XXXXXX")
clone=$scratch/kq
export KQ_CLUSTER_STATE=$scratch/cluster # a control plane of its own, whatever else runs
cleanup() {
  "$clone/tests/cluster/kq-cluster" down >/dev/null 2>&1 || true
  rm -rf "$scratch"
}
trap cleanup EXIT

# The lines of the README's Nth ```sh block (from 1), comments and blank lines left out.
block() {
  awk -v want="$1" '
    /^```sh$/ { inside = 1; count++; next }
    /^```/ { inside = 0; next }
    inside && count == want { sub(/[ \t]+#.*$/, ""); if ($0 != "") print }
  ' "$source/README.md"
}
step() { printf '\n== %s\n' "$*"; }

git clone --quiet --shared "$source" "$clone"
# What the working tree changes and adds, so a test run before a commit tests that change.
(cd "$source" && git ls-files -z --modified --others --exclude-standard) |
  (cd "$source" && xargs -0r cp --parents -t "$clone" 2>/dev/null || true)
(cd "$source" && git ls-files -z --deleted) | (cd "$clone" && xargs -0r rm -f)

# ccache, as tests/check uses it: CMake takes the launcher from these variables.
export CCACHE_DIR=${CCACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kq/ccache}
export CCACHE_BASEDIR=$clone CCACHE_NOHASHDIR=1
export CMAKE_CXX_COMPILER_LAUNCHER=ccache CMAKE_C_COMPILER_LAUNCHER=ccache

mapfile -t first < <(block 1)
[ "${first[0]}" = "tests/demo" ] || { echo "README's first command is not tests/demo: ${first[0]}" >&2; exit 1; }
step "${first[0]}"
(cd "$clone" && tests/demo) | tee "$scratch/demo.out"
grep -qx "hello kq" "$scratch/demo.out" || { echo "tests/demo did not print the hello job's output" >&2; exit 1; }

# The tour, in a fresh folder, with the demo's control plane and the kq it built.
mkdir "$scratch/tour"
mapfile -t tour < <(block 2)
(
  cd "$clone"
  eval "$(tests/cluster/kq-cluster env)"
  export PATH=$clone/build/release/src:$PATH
  cd "$scratch/tour"
  for line in "${tour[@]}"; do
    step "$line"
    eval "$line"
  done
)

# Installing, from the clone's top.
mapfile -t install < <(block 3)
(
  cd "$clone"
  export DESTDIR=$scratch/root
  for line in "${install[@]}"; do
    line=${line#sudo }
    step "$line"
    eval "$line"
  done
)
[ -x "$scratch/root/usr/local/bin/kq" ] || { echo "cmake --install did not install bin/kq" >&2; exit 1; }
"$scratch/root/usr/local/bin/kq" --version
ls "$clone"/build/release/kq_*.deb
echo "readme: every command ran"
