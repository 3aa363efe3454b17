#!/usr/bin/env bash
# Checks kq's krew release with krew itself, offline: `cmake --build BUILD --target krew` makes the
# archive and the manifest, and krew (built from its Go module at a pinned version, cached like the
# control plane's binaries) installs the plugin from them into a scratch KREW_ROOT, validating the
# manifest by its own rules (apiVersion, kind, name, version, platforms, selector, sha256 against the
# archive, files). Then kubectl-kq runs from krew's bin folder and names itself "kubectl kq". A manifest
# whose sha256 does not match the archive must be refused.
#
# usage: tests/install/krew_test.sh BUILD_DIR
set -euo pipefail

build=$(cd "$1" && pwd)
source=$(cd "$(dirname "$0")/../.." && pwd)
readonly KREW_VERSION=v0.4.3 # the version tests/cluster/build/krew/go.mod pins
cache=${XDG_CACHE_HOME:-$HOME/.cache}/kq/krew/$KREW_VERSION
krew=$cache/krew
scratch=$(mktemp -d "${TMPDIR:-/tmp}/kq-krew-XXXXXX")
trap 'rm -rf "$scratch"' EXIT

if [[ ! -x $krew ]]; then
  go=$(command -v go || echo /usr/local/go/bin/go)
  mkdir -p "$cache"
  echo "krew_test: building krew $KREW_VERSION into $cache (first time only)"
  (cd "$source/tests/cluster/build/krew" &&
    "$go" build -mod=readonly -trimpath -ldflags "-s -w" -o "$krew.tmp" sigs.k8s.io/krew/cmd/krew)
  mv "$krew.tmp" "$krew"
fi

cmake --build "$build" --target krew
manifest=$build/krew/kq.yaml
archive=$(ls "$build"/krew/kq-v*-linux-amd64.tar.gz)

export KREW_ROOT=$scratch/krew
"$krew" install --manifest="$manifest" --archive="$archive"
plugin=$KREW_ROOT/bin/kubectl-kq
[[ -x $plugin ]] || { echo "krew installed no kubectl-kq" >&2; exit 1; }
"$plugin" --version | grep -qE '^kq [0-9]+\.[0-9]+\.[0-9]+$'
"$plugin" --help | grep -q '^Usage: kubectl kq '
rm -rf "$KREW_ROOT" # (krew uninstall wants the plugin index, which an offline test has not)

# krew checks the archive against the manifest's sha256.
sed 's/sha256: .*/sha256: 0000000000000000000000000000000000000000000000000000000000000000/' "$manifest" >"$scratch/bad.yaml"
if "$krew" install --manifest="$scratch/bad.yaml" --archive="$archive" >"$scratch/bad.log" 2>&1; then
  echo "krew accepted a manifest whose sha256 does not match the archive" >&2
  exit 1
fi
grep -qi sha256 "$scratch/bad.log" || { cat "$scratch/bad.log" >&2; exit 1; }
echo "krew_test: krew $KREW_VERSION installed kubectl-kq, which ran; it refused a wrong sha256"
