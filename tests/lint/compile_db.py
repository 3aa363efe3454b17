#!/usr/bin/env python3
"""Writes OUT_DIR/compile_commands.json: BUILD_DIR's compile database with each unity-build batch
(CMake's Unity/unity_N_cxx.cxx, which only #includes the target's sources) replaced by one entry per
source it includes, compiled with the batch's command. clang-tidy then checks each source as a file of
its own, which a unity database would hide from it.

    compile_db.py BUILD_DIR OUT_DIR
"""
import json
import os
import re
import sys

INCLUDE = re.compile(r'^#include "(.+)"$')


def expand(entry):
    source = entry["file"]
    if not re.search(r"/Unity/unity_[^/]*\.(cxx|c)$", source):
        return [entry]
    path = source if os.path.isabs(source) else os.path.join(entry["directory"], source)
    with open(path, encoding="utf-8") as batch:
        included = [m.group(1) for m in map(INCLUDE.match, batch.read().splitlines()) if m]
    if not included:
        raise SystemExit(f"compile_db.py: {path}: a unity batch that includes no source")
    entries = []
    for file in included:
        copy = dict(entry)
        copy["file"] = file
        copy["command"] = entry["command"].replace(source, file)
        if copy["command"] == entry["command"]:
            raise SystemExit(f"compile_db.py: {path}: its command does not name it")
        entries.append(copy)
    return entries


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    build_dir, out_dir = sys.argv[1:]
    with open(os.path.join(build_dir, "compile_commands.json"), encoding="utf-8") as db:
        entries = json.load(db)
    expanded = [e for entry in entries for e in expand(entry)]
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "compile_commands.json"), "w", encoding="utf-8") as out:
        json.dump(expanded, out, indent=1)


if __name__ == "__main__":
    main()
