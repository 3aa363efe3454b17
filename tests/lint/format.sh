#!/bin/sh
# clang-format over every C++ file of src/ and tests/, with the repository's .clang-format:
#   format.sh CLANG_FORMAT SOURCE_DIR check   fails naming each file (and line) that isn't formatted
#   format.sh CLANG_FORMAT SOURCE_DIR fix     formats them in place (cmake --build BUILD --target format)
set -eu
clang_format=$1
cd "$2"
files=$(find src tests -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) | LC_ALL=C sort)
case $3 in
  check) exec "$clang_format" --dry-run --Werror --style=file $files ;;
  fix) exec "$clang_format" -i --style=file $files ;;
  *) echo "format.sh: the mode is check or fix, not \"$3\"" >&2; exit 2 ;;
esac
