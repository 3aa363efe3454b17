#!/usr/bin/env python3
"""Writes the descriptions of kq.yaml's keys, as kq.yaml(5) gives them, into a C++ header.

usage: man/descriptions.py man/kq.yaml.5 OUT.hpp

Each ".TP" entry of the sections that list keys (TOP-LEVEL KEYS, JOB KEYS, PARAMS) becomes one
{section, key, text} row: the key is the first word of the entry's tag line, the text its paragraph
with the troff markup removed. `kq schema` uses them as the JSON Schema's descriptions, so the man
page stays the one place they are written.
"""

import json
import re
import sys

KEY_SECTIONS = ("TOP-LEVEL KEYS", "JOB KEYS", "PARAMS")
ESCAPES = {"\\-": "-", "\\(aq": "'", "\\(dq": '"', "\\e": "\\", "\\&": "", "\\(bu": "*"}
# Requests that end a paragraph.
BREAKS = (".TP", ".SH", ".SS", ".PP", ".IP", ".RS", ".EX")


def unescape(text):
    text = re.sub(r"\\f[BIRP]", "", text)
    return re.sub(r"\\\(aq|\\\(dq|\\\(bu|\\-|\\e|\\&", lambda m: ESCAPES[m.group(0)], text)


def arguments(text):
    """A macro's arguments: words, or "quoted groups" kept whole."""
    return [quoted.replace('""', '"') if bare == "" else bare
            for quoted, bare in re.findall(r'"((?:[^"]|"")*)"|(\S+)', text)]


def render(line):
    """One input line as plain text."""
    if not line.startswith("."):
        return unescape(line)
    request, _, rest = line.partition(" ")
    words = arguments(rest)
    if request in (".B", ".I"):
        return unescape(" ".join(words))
    if request in (".BR", ".RB", ".IR", ".RI", ".BI", ".IB"):
        return unescape("".join(words))
    return ""


def entries(lines):
    section = None
    rows = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith(".SH "):
            section = " ".join(arguments(line[4:]))
        if line.startswith(".TP") and section in KEY_SECTIONS and i + 1 < len(lines):
            tag = render(lines[i + 1]).split()
            body = []
            i += 2
            while i < len(lines) and not lines[i].startswith(BREAKS):
                body.append(render(lines[i]))
                i += 1
            text = re.sub(r"\s+", " ", " ".join(part for part in body if part)).strip()
            if tag:
                rows.append((section, tag[0], text))
            continue
        i += 1
    return rows


def main():
    source, output = sys.argv[1], sys.argv[2]
    with open(source, encoding="utf-8") as page:
        lines = page.read().splitlines()
    name = ""
    for i, line in enumerate(lines):
        if line.startswith(".SH NAME") and i + 1 < len(lines):
            name = unescape(lines[i + 1]).split(" - ", 1)[-1]
    rows = entries(lines)

    def literal(text):
        return json.dumps(text, ensure_ascii=False)

    out = [
        "// Generated from man/kq.yaml.5 by man/descriptions.py at build time; do not edit.",
        "#pragma once",
        "",
        "#include <string_view>",
        "",
        "namespace kq::project::man {",
        "",
        "// One key's description: the paragraph of its entry in kq.yaml(5).",
        "struct Description {",
        "    std::string_view section;",
        "    std::string_view key;",
        "    std::string_view text;",
        "};",
        "",
        "// What kq.yaml is, from the page's NAME line.",
        f"inline constexpr std::string_view k_page_summary = {literal(name)};",
        "",
        "// The entries of the sections that list keys, in the page's order.",
        "inline constexpr Description k_descriptions[] = {",
    ]
    out += [f"    {{{literal(s)}, {literal(k)}, {literal(t)}}}," for s, k, t in rows]
    out += ["};", "", "} // namespace kq::project::man", ""]
    text = "\n".join(out)
    try:
        with open(output, encoding="utf-8") as existing:
            if existing.read() == text:
                return
    except OSError:
        pass
    with open(output, "w", encoding="utf-8") as header:
        header.write(text)


if __name__ == "__main__":
    main()
