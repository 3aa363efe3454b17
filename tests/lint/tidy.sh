#!/bin/sh
# clang-tidy, with the checks of the repository's .clang-tidy, over the sources of src/ as
# compile_commands.json of BUILD_DIR compiles them, two files at a time:
#   tidy.sh RUN_CLANG_TIDY CLANG_TIDY SOURCE_DIR BUILD_DIR
# The compiler's own warnings are GCC's business (-Werror there); -w keeps them out of clang-tidy's
# answer, which then holds only the findings of the checks.
set -eu
run_clang_tidy=$1 clang_tidy=$2 source_dir=$3 build_dir=$4
exec "$run_clang_tidy" -clang-tidy-binary "$clang_tidy" -p "$build_dir" -quiet -j 2 \
  -extra-arg=-w -extra-arg=-Wno-unknown-warning-option "$source_dir/src/.*\\.cpp\$"
