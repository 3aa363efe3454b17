#!/bin/sh
# clang-tidy, with the checks of the repository's .clang-tidy, over the sources of src/ as
# compile_commands.json of BUILD_DIR compiles them, two files at a time, those changed since they last
# passed (tidy_cache.py):
#   tidy.sh RUN_CLANG_TIDY CLANG_TIDY SOURCE_DIR BUILD_DIR
# A unity build's database names its batches, not the sources: compile_db.py writes one that names
# each source, with its batch's command. The compiler's own warnings are GCC's business (-Werror
# there); -w keeps them out of clang-tidy's answer, which then holds only the findings of the checks.
set -eu
run_clang_tidy=$1 clang_tidy=$2 source_dir=$3 build_dir=$4
database=$build_dir/tidy
python3 "$(dirname "$0")/compile_db.py" "$build_dir" "$database"
sources=$(grep -c "\"file\": \"$source_dir/src/.*\\.cpp\"" "$database/compile_commands.json" || true)
if [ "$sources" -lt 1 ]; then
  echo "tidy.sh: $database/compile_commands.json names no source of $source_dir/src" >&2
  exit 1
fi
# Only the sources whose preprocessed text, path, .clang-tidy or clang-tidy changed since they last
# passed (tidy_cache.py; KQ_TIDY_CACHE=0 checks them all).
changed=$(python3 "$(dirname "$0")/tidy_cache.py" select "$database" "$source_dir" "$clang_tidy")
if [ -z "$changed" ]; then
  echo "tidy.sh: $sources sources of src/, all passed before as they are now (tidy_cache.py)"
  exit 0
fi
count=$(printf '%s\n' "$changed" | wc -l)
echo "tidy.sh: $count of $sources sources of src/ to check"
# run-clang-tidy takes regular expressions of the files to check.
patterns=$(printf '%s\n' "$changed" | python3 -c 'import re, sys; print("\n".join(re.escape(l.strip()) + "$" for l in sys.stdin))')
# shellcheck disable=SC2086
"$run_clang_tidy" -clang-tidy-binary "$clang_tidy" -p "$database" -quiet -j 2 \
  -extra-arg=-w -extra-arg=-Wno-unknown-warning-option $patterns
python3 "$(dirname "$0")/tidy_cache.py" record "$database"
