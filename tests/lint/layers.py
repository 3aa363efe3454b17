#!/usr/bin/env python3
"""Checks the layer rules of ARCHITECTURE.md over the #include lines of src/.

Each layer is a folder of src/ and may include only itself and the layers to its left:

    util  <-  yaml  <-  {kube, project}  <-  jobs  <-  cmd  <-  main.cpp

(kube and project don't include each other), and the libraries stay where ARCHITECTURE.md
puts them: libcurl in kube/curl_library.hpp, OpenSSL in kube/pem.cpp, CLI11 in cmd/.

    layers.py SRC_DIR       exits 1 and names each include that breaks a rule
    layers.py --self-test   checks a copy of this repository's src/ with an upward include
                            injected, and fails unless the check catches it
"""
import pathlib
import re
import shutil
import sys
import tempfile

ALLOWED = {
    "util": {"util"},
    "yaml": {"util", "yaml"},
    "kube": {"util", "yaml", "kube"},
    "project": {"util", "yaml", "project"},
    "jobs": {"util", "yaml", "kube", "project", "jobs"},
    "cmd": {"util", "yaml", "kube", "project", "jobs", "cmd"},
}

# Third-party headers only some files may include: the prefix of the <...> path, and the files
# (relative to src/, a trailing "/" for a whole folder) allowed to.
CONFINED = {
    "curl/": ("libcurl", ["kube/curl_library.hpp"]),
    "openssl/": ("OpenSSL", ["kube/pem.cpp"]),
    "CLI/": ("CLI11", ["cmd/"]),
}

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def problems(src: pathlib.Path):
    found = []
    for path in sorted(src.rglob("*")):
        if path.suffix not in (".cpp", ".hpp", ".in") or not path.is_file():
            continue
        relative = path.relative_to(src).as_posix()
        layer = relative.split("/")[0] if "/" in relative else None  # None: main.cpp
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = INCLUDE.match(line)
            if not match:
                continue
            kind, target = match.groups()
            where = f"src/{relative}:{number}"
            if kind == '"':
                target_layer = target.split("/")[0] if "/" in target else None
                if target_layer not in ALLOWED:
                    found.append(f'{where}: "{target}" is in no layer; include a header as "LAYER/NAME.hpp"')
                elif layer is not None and layer not in ALLOWED:
                    found.append(f"{where}: src/{layer}/ is not a layer of ARCHITECTURE.md; add it to tests/lint/layers.py")
                elif layer is not None and target_layer not in ALLOWED[layer]:
                    found.append(f'{where}: {layer} includes "{target}", but {layer} may include only '
                                 f'{", ".join(sorted(ALLOWED[layer]))}')
            else:
                for prefix, (library, places) in CONFINED.items():
                    if target.startswith(prefix) and not any(
                        relative.startswith(place) if place.endswith("/") else relative == place for place in places
                    ):
                        found.append(f"{where}: <{target}>: {library} is used only in {', '.join(places)}")
    return found


def self_test(src: pathlib.Path) -> int:
    if problems(src):
        print("self-test: the tree itself breaks a rule; run the check on it first", file=sys.stderr)
        return 1
    cases = {
        "util/text.cpp": '#include "kube/client.hpp"\n',
        "kube/url.cpp": '#include "project/project.hpp"\n',
        "project/render.cpp": '#include "jobs/paths.hpp"\n',
        "jobs/paths.cpp": '#include "cmd/app.hpp"\n',
        "yaml/location.cpp": '#include "kube/kubeconfig.hpp"\n',
        "kube/client.cpp": "#include <CLI/CLI.hpp>\n",
    }
    failed = 0
    for file, include in cases.items():
        with tempfile.TemporaryDirectory() as scratch:
            copy = pathlib.Path(scratch) / "src"
            shutil.copytree(src, copy)
            target = copy / file
            target.write_text(include + target.read_text(encoding="utf-8"), encoding="utf-8")
            found = problems(copy)
            if len(found) != 1 or not found[0].startswith(f"src/{file}:1: "):
                print(f"self-test: {include.strip()} in {file} gave {found}", file=sys.stderr)
                failed += 1
    print(f"self-test: {len(cases) - failed} of {len(cases)} injected includes caught")
    return 1 if failed else 0


def main(argv) -> int:
    if len(argv) == 2 and argv[1] == "--self-test":
        return self_test(pathlib.Path(__file__).resolve().parents[2] / "src")
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    found = problems(pathlib.Path(argv[1]))
    for problem in found:
        print(problem, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
