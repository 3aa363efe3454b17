#!/usr/bin/env bash
# Checks kq's installation: `cmake --install` into a scratch prefix, then the .deb that `cpack -G DEB`
# makes, unpacked into a scratch root (dpkg -x, no root needed). In both, kq runs, man finds its pages,
# bash-completion, zsh and fish find the completion scripts where they were installed, and the JSON
# Schema of kq.yaml is beside the man pages.
#
# usage: tests/install/install_test.sh BUILD_DIR   (a configured and built tree; ctest passes it)
set -euo pipefail

build=$(cd "$1" && pwd)
source=$(cd "$(dirname "$0")/../.." && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/kq-install-XXXXXX")
trap 'rm -rf "$scratch"' EXIT
failures=0

pass() { echo "ok   $1"; }
fail() {
  echo "FAIL $1" >&2
  failures=$((failures + 1))
}
check() { # check DESCRIPTION COMMAND...: passes when the command succeeds
  local description=$1
  shift
  if "$@" >"$scratch/out" 2>&1; then pass "$description"; else fail "$description: $(head -c 2000 "$scratch/out")"; fi
}

# The files of an installation under ROOT (a prefix such as /usr), and kq running from there.
check_tree() {
  local label=$1 root=$2
  local file
  for file in bin/kq share/man/man1/kq.1.gz share/man/man5/kq.yaml.5.gz share/bash-completion/completions/kq \
    share/zsh/vendor-completions/_kq share/fish/vendor_completions.d/kq.fish share/kq/kq.schema.json; do
    check "$label: $file is installed" test -f "$root/$file"
  done
  check "$label: kq --version runs" grep -qE '^kq [0-9]+\.[0-9]+\.[0-9]+' <("$root/bin/kq" --version)
  for file in kubectl-kq kubectl_complete-kq; do
    check "$label: bin/$file links to kq" test "$(readlink "$root/bin/$file")" = kq
  done
  check "$label: as kubectl-kq its help says kubectl kq" grep -q '^Usage: kubectl kq ' <("$root/bin/kubectl-kq" --help)
  check "$label: as kubectl_complete-kq it answers in cobra's format" \
    test "$("$root/bin/kubectl_complete-kq" rend)" = "$(printf 'render\tPrint the Job manifest a definition renders to\n:4')"
  check "$label: the bash script is what kq completion bash prints" \
    cmp <("$root/bin/kq" completion bash) "$root/share/bash-completion/completions/kq"
  check "$label: the zsh script is what kq completion zsh prints" \
    cmp <("$root/bin/kq" completion zsh) "$root/share/zsh/vendor-completions/_kq"
  check "$label: the fish script is what kq completion fish prints" \
    cmp <("$root/bin/kq" completion fish) "$root/share/fish/vendor_completions.d/kq.fish"
  check "$label: the installed schema is what kq schema prints" cmp <("$root/bin/kq" schema) "$root/share/kq/kq.schema.json"
  check "$label: man finds kq(1)" test "$(man --manpath="$root/share/man" -w kq)" = "$root/share/man/man1/kq.1.gz"
  check "$label: man finds kq.yaml(5)" \
    test "$(man --manpath="$root/share/man" -w 5 kq.yaml)" = "$root/share/man/man5/kq.yaml.5.gz"
  check "$label: the installed kq(1) is the source page, compressed" cmp <(gzip -dc "$root/share/man/man1/kq.1.gz") "$source/man/kq.1"

  # Each shell finds the script by the name it looks for, in the folder the package puts it in.
  if [ -f /usr/share/bash-completion/bash_completion ]; then
    check "$label: bash-completion loads the script on demand" bash --norc --noprofile -c '
      XDG_DATA_DIRS="$1/share" source /usr/share/bash-completion/bash_completion
      XDG_DATA_DIRS="$1/share" __load_completion kq
      complete -p kq | grep -q "_kq kq$"' _ "$root"
  else
    echo "skip $label: bash-completion is not installed (tests/deps installs it)"
  fi
  check "$label: zsh's compinit registers _kq for kq" zsh -f -c '
    fpath=("$1/share/zsh/vendor-completions" $fpath)
    autoload -Uz compinit && compinit -u -D
    [[ $_comps[kq] == _kq ]]' _ "$root"
  check "$label: fish completes kq from vendor_completions.d" fish --no-config -c '
    set fish_complete_path $argv[1]/share/fish/vendor_completions.d $fish_complete_path
    set PATH $argv[1]/bin $PATH
    complete -C "kq rend" | string match -q -r "^render\t"' "$root"
}

cmake --install "$build" --prefix "$scratch/prefix" >"$scratch/install.log" 2>&1 ||
  { cat "$scratch/install.log" >&2; exit 1; }
check_tree "cmake --install" "$scratch/prefix"

(cd "$scratch" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$scratch/package") >"$scratch/cpack.log" 2>&1 ||
  { cat "$scratch/cpack.log" >&2; exit 1; }
deb=$(find "$scratch/package" -maxdepth 1 -name 'kq_*.deb')
check ".deb: cpack made one package" test "$(echo "$deb" | wc -l)" -eq 1 -a -n "$deb"
depends=$(dpkg-deb -f "$deb" Depends)
echo "     Depends: $depends"
has_dependency() { [[ ", $depends," == *", $1 "* || ", $depends," == *", $1,"* ]]; }
# The packages of the shared libraries the binary links (with KQ_STATIC_LIBS, the default, only libc6),
# and libcurl4 and libssl3, which kq opens with dlopen.
packages="libcurl4 libssl3"
for library in $(ldd "$build/src/kq" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }'); do
  owner=$(dpkg -S "$library" 2>/dev/null | head -n 1 | cut -d: -f1) || true
  check ".deb: the package of $library is known" test -n "$owner"
  packages="$packages $owner"
done
for package in $(tr ' ' '\n' <<<"$packages" | sort -u); do
  check ".deb: depends on $package" has_dependency "$package"
done
maintainer=$(dpkg-deb -f "$deb" Maintainer)
echo "     Maintainer: $maintainer"
check ".deb: names a maintainer with an address" grep -qE '^[^<>]+ <[^<>@ ]+@[^<> ]+>$' <<<"$maintainer"
check ".deb: the maintainer is not a placeholder" test "$maintainer" != "unknown <unknown@localhost>"
dpkg-deb -c "$deb" >"$scratch/contents"
check ".deb: installs under /usr" grep -q ' ./usr/bin/kq$' "$scratch/contents"
dpkg -x "$deb" "$scratch/root"
check ".deb: the binary is stripped" test "$(stat -c %s "$scratch/root/usr/bin/kq")" -lt "$(stat -c %s "$build/src/kq")"
check_tree ".deb" "$scratch/root/usr"

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "all checks passed"
