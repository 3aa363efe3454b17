#!/usr/bin/env python3
"""Remembers which sources of src/ passed clang-tidy, so that tests/lint/tidy.sh checks only those whose
inputs changed since:

    tidy_cache.py select DATABASE_DIR SOURCE_DIR CLANG_TIDY   prints the sources to check, one a line
    tidy_cache.py record DATABASE_DIR                         after they all passed: remembers them
    tidy_cache.py --self-test CLANG_TIDY                      checks the keys on a scratch tree

A source's key is the SHA-256 of what clang-tidy's answer depends on: clang-tidy's version, the
repository's .clang-tidy, the source's path in the repository, and the source as clang preprocesses it
with its compile command (every header it includes, kq's and the system's, with its macros; comments
kept, as a NOLINT changes the answer; line markers left out, so that a clone elsewhere has the same
keys). The keys live as empty files in $KQ_TIDY_CACHE_DIR (default ~/.cache/kq/tidy); KQ_TIDY_CACHE=0
checks every source.
"""
import concurrent.futures
import hashlib
import json
import os
import re
import shlex
import subprocess
import sys

PENDING = "tidy-pending.json"


def cache_dir():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.environ.get("KQ_TIDY_CACHE_DIR") or os.path.join(base, "kq", "tidy")


def preprocess_command(entry, clang):
    """The entry's compile command, made to print the preprocessed source on stdout and write nothing."""
    args = shlex.split(entry["command"]) if "command" in entry else list(entry["arguments"])
    out = [clang, "-E", "-P", "-C", "-w", "-Wno-unknown-warning-option"]
    skip = False
    for arg in args[1:]:
        if skip:
            skip = False
        elif arg in ("-o", "-MT", "-MF", "-MQ"):
            skip = True
        elif arg in ("-c", "-MD", "-MMD"):
            pass
        else:
            out.append(arg)
    return out + ["-o", "-"]


def key_of(entry, source_dir, common, clang):
    result = subprocess.run(preprocess_command(entry, clang), cwd=entry["directory"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    if result.returncode != 0:
        return None  # clang-tidy will say what is wrong with it
    digest = hashlib.sha256(common)
    digest.update(os.path.relpath(entry["file"], source_dir).encode() + b"\0")
    digest.update(result.stdout)
    return digest.hexdigest()


def select(database_dir, source_dir, clang_tidy):
    with open(os.path.join(database_dir, "compile_commands.json"), encoding="utf-8") as db:
        entries = [e for e in json.load(db)
                   if re.match(re.escape(os.path.join(source_dir, "src")) + r"/.*\.cpp$", e["file"])]
    pending = {}
    if os.environ.get("KQ_TIDY_CACHE", "1") == "0":
        print("\n".join(e["file"] for e in entries))
    else:
        version = subprocess.run([clang_tidy, "--version"], stdout=subprocess.PIPE, check=True).stdout
        with open(os.path.join(source_dir, ".clang-tidy"), "rb") as config:
            common = version + b"\0" + config.read() + b"\0"
        clang = os.path.join(os.path.dirname(clang_tidy),
                             os.path.basename(clang_tidy).replace("clang-tidy", "clang++"))
        with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            keys = list(pool.map(lambda e: key_of(e, source_dir, common, clang), entries))
        known = cache_dir()
        for entry, key in zip(entries, keys):
            if key is None or not os.path.exists(os.path.join(known, key)):
                print(entry["file"])
                if key is not None:
                    pending[entry["file"]] = key
    with open(os.path.join(database_dir, PENDING), "w", encoding="utf-8") as out:
        json.dump(pending, out)


def record(database_dir):
    if os.environ.get("KQ_TIDY_CACHE", "1") == "0":
        return
    with open(os.path.join(database_dir, PENDING), encoding="utf-8") as file:
        pending = json.load(file)
    known = cache_dir()
    os.makedirs(known, exist_ok=True)
    for key in pending.values():
        open(os.path.join(known, key), "w", encoding="utf-8").close()


def self_test(clang_tidy):
    """select lists a source until record remembers it, and again once its text, a header's, a comment
    (a NOLINT) or .clang-tidy changes; a clone elsewhere has the same keys."""
    import contextlib
    import io
    import tempfile

    def selected(database, source_dir):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            select(database, source_dir, clang_tidy)
        return [os.path.relpath(line, source_dir) for line in out.getvalue().split()]

    with tempfile.TemporaryDirectory() as scratch:
        os.environ["KQ_TIDY_CACHE_DIR"] = os.path.join(scratch, "cache")
        clones = []
        for name in ("one", "two"):
            root = os.path.join(scratch, name)
            os.makedirs(os.path.join(root, "src"))
            files = {"src/a.cpp": '#include "a.hpp"\nint f() { return g(); }\n',
                     "src/a.hpp": "inline int g() { return 1; }\n",
                     "src/b.cpp": "int h() { return 2; }\n",
                     ".clang-tidy": "Checks: '-*,misc-redundant-expression'\n"}
            for path, text in files.items():
                with open(os.path.join(root, path), "w", encoding="utf-8") as out:
                    out.write(text)
            entries = [{"directory": root, "file": os.path.join(root, "src", f),
                        "command": f"c++ -std=c++20 -I{root}/src -o {f}.o -c {root}/src/{f}"}
                       for f in ("a.cpp", "b.cpp")]
            with open(os.path.join(root, "compile_commands.json"), "w", encoding="utf-8") as out:
                json.dump(entries, out)
            clones.append(root)
        one, two = clones
        checks = [(selected(one, one) == ["src/a.cpp", "src/b.cpp"], "a new cache selects every source")]
        record(one)
        checks.append((selected(one, one) == [], "nothing once both passed"))
        checks.append((selected(two, two) == [], "a clone elsewhere has the same keys"))
        for path, text, expected, what in (
                ("src/a.hpp", "inline int g() { return 3; }\n", ["src/a.cpp"],
                 "a header's change selects its includer"),
                ("src/b.cpp", "int h() { return 2; } // NOLINT\n", ["src/b.cpp"], "a comment (NOLINT) counts"),
                (".clang-tidy", "Checks: '-*'\n", ["src/a.cpp", "src/b.cpp"], ".clang-tidy counts")):
            with open(os.path.join(one, path), "w", encoding="utf-8") as out:
                out.write(text)
            checks.append((selected(one, one) == expected, what))
            record(one)
        failed = [what for ok, what in checks if not ok]
        for what in failed:
            print(f"tidy_cache.py --self-test: failed: {what}", file=sys.stderr)
        return 1 if failed else 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--self-test":
        sys.exit(self_test(sys.argv[2]))
    if len(sys.argv) == 5 and sys.argv[1] == "select":
        select(os.path.abspath(sys.argv[2]), os.path.abspath(sys.argv[3]), sys.argv[4])
    elif len(sys.argv) == 3 and sys.argv[1] == "record":
        record(sys.argv[2])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
