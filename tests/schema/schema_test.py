#!/usr/bin/env python3
"""Checks `kq schema` with an independent validator (python3-jsonschema, Draft 2020-12).

usage: tests/schema/schema_test.py KQ SOURCE_DIR

- the schema is a valid Draft 2020-12 schema;
- every project file kq accepts here validates: the examples, the valid fixtures (the golden tests'
  inputs), the completion tests' project, the file `kq init` writes, and the cases below;
- every invalid fixture whose problem a schema can express (an unknown key, a wrong type, a choice not
  offered, an invalid name) is refused, and so is each case below that kq refuses for such a reason.

Files are read as YAML 1.2's core schema, as kq and the YAML language server read them (PyYAML alone
reads YAML 1.1, where "yes" is a boolean and 2024-05-01 a date).
"""

import json
import pathlib
import re
import subprocess
import sys
import tempfile

import jsonschema
import yaml

KQ = sys.argv[1]
SOURCE = pathlib.Path(sys.argv[2])


class CoreLoader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2's core schema for plain scalars."""


CoreLoader.yaml_implicit_resolvers = {}
for tag, pattern, first in [
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    ("float", r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
     "-+0123456789."),
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
]:
    CoreLoader.add_implicit_resolver(f"tag:yaml.org,2002:{tag}", re.compile(pattern), list(first))


def construct_int(loader, node):
    text = loader.construct_scalar(node)
    if text.startswith(("0o", "0x")):
        return int(text[2:], 8 if text[1] == "o" else 16)
    return int(text)


def construct_float(loader, node):
    text = loader.construct_scalar(node).lower()
    if text.endswith(".inf"):
        return float("-inf") if text.startswith("-") else float("inf")
    return float("nan") if text == ".nan" else float(text)


def construct_bool(loader, node):
    return loader.construct_scalar(node).lower() == "true"


CoreLoader.add_constructor("tag:yaml.org,2002:int", construct_int)
CoreLoader.add_constructor("tag:yaml.org,2002:float", construct_float)
CoreLoader.add_constructor("tag:yaml.org,2002:bool", construct_bool)

failures = []


def fail(message):
    failures.append(message)
    print(f"FAIL {message}", file=sys.stderr)


def load(text):
    return yaml.load(text, Loader=CoreLoader)


def kq_accepts(text):
    with tempfile.TemporaryDirectory(prefix="kq-schema-") as folder:
        path = pathlib.Path(folder) / "kq.yaml"
        path.write_text(text)
        result = subprocess.run([KQ, "-f", str(path), "validate"], capture_output=True, text=True)
        return result.returncode == 0, result.stderr


def problems(validator, document):
    return sorted(f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
                  for error in validator.iter_errors(document))


schema = json.loads(subprocess.run([KQ, "schema"], capture_output=True, text=True, check=True).stdout)
jsonschema.Draft202012Validator.check_schema(schema)
print("ok   the schema is a valid Draft 2020-12 schema")
validator = jsonschema.Draft202012Validator(schema)


def expect_valid(name, text):
    accepted, errors = kq_accepts(text)
    if not accepted:
        fail(f"{name}: kq validate refuses it, so it can't test the schema:\n{errors}")
        return
    found = problems(validator, load(text))
    if found:
        fail(f"{name}: kq accepts it but the schema refuses it:\n  " + "\n  ".join(found))
    else:
        print(f"ok   {name} validates")


def expect_invalid(name, text):
    found = problems(validator, load(text))
    if not found:
        fail(f"{name}: the schema accepts it")
    else:
        print(f"ok   {name} is refused: {found[0]}" + (f" (and {len(found) - 1} more)" if len(found) > 1 else ""))


# Valid project files of the repository.
valid_files = sorted(SOURCE.glob("examples/**/kq.yaml")) + sorted((SOURCE / "tests/fixtures/valid").glob("*.yaml"))
valid_files.append(SOURCE / "tests/fixtures/completion/kq.yaml")
for path in valid_files:
    expect_valid(str(path.relative_to(SOURCE)), path.read_text(encoding="utf-8-sig"))

with tempfile.TemporaryDirectory(prefix="kq-schema-init-") as folder:
    starter = pathlib.Path(folder) / "kq.yaml"
    subprocess.run([KQ, "init", str(starter)], capture_output=True, check=True)
    expect_valid("the file kq init writes", starter.read_text())

# Invalid fixtures, each either refused by the schema or out of its reach for the reason given.
NOT_YAML = "not YAML that a validator would read"
OUT_OF_REACH = {
    "bad_utf8": NOT_YAML, "control_char": NOT_YAML, "nul_byte": NOT_YAML, "syntax_error": NOT_YAML,
    "tabs": NOT_YAML, "truncated_block_list": NOT_YAML, "truncated_flow": NOT_YAML,
    "unterminated_quote": NOT_YAML, "utf8_cut": NOT_YAML, "utf8_overlong": NOT_YAML,
    "utf8_surrogate": NOT_YAML, "second_document": NOT_YAML, "templates": NOT_YAML,
    "duplicate_job": "duplicate keys are refused by the YAML reader, before any schema",
    "duplicate_key": "duplicate keys are refused by the YAML reader, before any schema",
    "deep_nesting": "nesting depth is the reader's limit",
    "overcommit": "requests against limits is a rule between values",
    "container_names": "names unique across the job's containers is a rule between values",
    "job_rules": "the API server's rules between Job keys (completionMode, restartPolicy, completions)",
    "param_defaults": "the values are templates, invalid only once the params' defaults are expanded",
    "schedule_zone": "time zones are the system's database",
    "schedule_params": "a schedule's params against the job's params is a rule between values",
}
for path in sorted((SOURCE / "tests/fixtures/invalid").glob("*.yaml")):
    name = path.stem
    data = path.read_bytes()
    if name in OUT_OF_REACH:
        if OUT_OF_REACH[name] == NOT_YAML:
            try:
                yaml.load(data, Loader=CoreLoader)
            except (yaml.YAMLError, UnicodeDecodeError, ValueError):
                print(f"ok   fixtures/invalid/{name}: {NOT_YAML}")
                continue
            fail(f"fixtures/invalid/{name}: listed as not YAML, but PyYAML reads it")
        else:
            print(f"skip fixtures/invalid/{name}: {OUT_OF_REACH[name]}")
        continue
    expect_invalid(f"fixtures/invalid/{name}", data.decode("utf-8"))

# Small cases: what kq accepts, the schema must accept; what it refuses for a reason a schema can
# express, the schema must refuse.
JOB = "version: 1\njobs:\n  hello:\n    image: busybox\n"
VALID = {
    "numbers and booleans as text": JOB + "    workingDir: 42\n    command: [echo, 1, true, 2.5]\n",
    "a count as a quoted number": JOB + '    backoffLimit: "3"\n    parallelism: "+2"\n    completions: -0\n',
    "a count as a template": JOB + '    backoffLimit: "{{ params.n }}"\n    params: {n: {default: "2"}}\n',
    "a choice as a template": JOB + '    restartPolicy: "{{ params.p }}"\n    params: {p: {default: Never}}\n',
    "a namespace that is a number": "version: 1\nnamespace: 123\njobs:\n  hello: {image: busybox}\n",
    "a service account with dots": JOB + "    serviceAccountName: ci.runner-1\n",
    "empty env values, numbers and refs": JOB + (
        "    env:\n      EMPTY:\n      QUOTED: ''\n      N: 8080\n      B: false\n"
        "      R: {resourceFieldRef: {resource: limits.cpu, containerName: hello, divisor: 1m}}\n"
        "      S: {secretKeyRef: {name: s, key: k, optional: \"{{ params.o }}\"}}\n"
        "    params: {o: {default: \"true\"}}\n"),
    "quantities as numbers and strings": JOB + (
        "    resources:\n      requests: {cpu: 0.5, memory: 1e9, example.com/x: 2}\n"
        "      limits: {cpu: '1', memory: 2Gi, example.com/x: 2, ephemeral-storage: .5E3}\n"),
    "labels with numbers, booleans and prefixes": JOB + "    labels: {a: 1, b: true, example.com/c: x.y_z}\n",
    "a node selector with kq's label keys": JOB + "    nodeSelector: {app.kubernetes.io/name: x}\n",
    "annotations with any text": JOB + "    annotations: {note: 'any text, spaces: and all'}\n",
    "an image from defaults, a job without keys": "version: 1\ndefaults: {image: busybox}\njobs:\n  hello:\n",
    "empty defaults, jobs and params": "version: 1\ndefaults:\njobs:\n",
    "params of every form": JOB + (
        "    params:\n      a:\n      b: {}\n      c: {default: 3, description: 4, pattern: '^[0-9]$'}\n"
        "      d: {required: true, enum: [x, 1, true]}\n      _e-2: {required: false, default: ''}\n"),
    "a job name of 57 characters": "version: 1\njobs:\n  " + "a" * 57 + ": {image: busybox}\n",
    "empty strings": JOB + "    labels: {a: ''}\n    args: ['', 1]\n    params: {x: {enum: [a, '']}}\n",
    "envFrom with a prefix": JOB + "    envFrom:\n      - {secretRef: {name: s, optional: false}, prefix: P_}\n",
    "podTemplate and passthrough keys": JOB + (
        "    podTemplate: {spec: {hostNetwork: true}}\n    tolerations: []\n    affinity: {}\n"
        "    volumes: [{name: v, emptyDir: {}}]\n    volumeMounts: []\n"),
}
INVALID = {
    "an unknown job key": JOB + "    imag: busybox\n",
    "an unknown top-level key": JOB + "extra: 1\n",
    "no version": "jobs:\n  hello: {image: busybox}\n",
    "version 2": "version: 2\njobs: {}\n",
    "no image anywhere": "version: 1\njobs:\n  hello: {command: [echo]}\n",
    "a job without keys and no default image": "version: 1\njobs:\n  hello:\n",
    "description in defaults": "version: 1\ndefaults: {description: x}\njobs:\n  hello: {image: busybox}\n",
    "a bad choice": JOB + "    imagePullPolicy: always\n",
    "a negative count": JOB + "    backoffLimit: -1\n",
    "a count too large": JOB + "    parallelism: 2147483648\n",
    "a boolean count": JOB + "    completions: true\n",
    "a fractional count": JOB + "    completions: 1.5\n",
    "a count that is not a number": JOB + "    completions: lots\n",
    "a null text": JOB + "    workingDir:\n",
    "a list for a string": JOB + "    image: [a]\n",
    "a string for a list": JOB + "    args: a b\n",
    "an env list": JOB + "    env: [A]\n",
    "an env value that is a list": JOB + "    env: {A: [1]}\n",
    "two env sources": JOB + "    env: {A: {fieldRef: {fieldPath: x}, secretKeyRef: {name: a, key: b}}}\n",
    "a secretKeyRef without key": JOB + "    env: {A: {secretKeyRef: {name: a}}}\n",
    "an env name with =": JOB + "    env: {A=B: x}\n",
    "an envFrom item with both refs": JOB + "    envFrom: [{configMapRef: {name: a}, secretRef: {name: b}}]\n",
    "a negative quantity": JOB + "    resources: {limits: {memory: -1Gi}}\n",
    "a quantity with a bad suffix": JOB + "    resources: {limits: {memory: 64MB}}\n",
    "resources claims": JOB + "    resources: {claims: []}\n",
    "a reserved label": JOB + "    labels: {kq.dev/x: y}\n",
    "the managed-by annotation": JOB + "    annotations: {app.kubernetes.io/managed-by: me}\n",
    "a bad label value": JOB + "    labels: {a: has spaces}\n",
    "a bad label key": JOB + "    labels: {bad key: x}\n",
    "a bad namespace": "version: 1\nnamespace: Batch\njobs:\n  hello: {image: busybox}\n",
    "a bad container name": JOB + "    containerName: -main\n",
    "a bad image pull secret": JOB + "    imagePullSecrets: [Bad]\n",
    "a job name of 58 characters": "version: 1\njobs:\n  " + "a" * 58 + ": {image: busybox}\n",
    "a bad job name": "version: 1\njobs:\n  Hello: {image: busybox}\n",
    "a bad param name": JOB + "    params: {9x: {}}\n",
    "an unknown param key": JOB + "    params: {x: {defualt: 1}}\n",
    "a required param with a default": JOB + "    params: {x: {required: true, default: 1}}\n",
    "an empty enum": JOB + "    params: {x: {enum: []}}\n",
    "required as a string": JOB + "    params: {x: {required: 'yes'}}\n",
    "a default that is a map": JOB + "    params: {x: {default: {a: 1}}}\n",
    "an empty enum value": JOB + "    params: {x: {enum: [a, ~]}}\n",
    "podTemplate as a list": JOB + "    podTemplate: []\n",
    "optional as a string": JOB + "    envFrom: [{secretRef: {name: s, optional: maybe}}]\n",
}
for name, text in VALID.items():
    expect_valid(name, text)
for name, text in INVALID.items():
    accepted, _ = kq_accepts(text)
    if accepted:
        fail(f"{name}: kq validate accepts it, so it can't test the schema")
        continue
    expect_invalid(name, text)

if failures:
    print(f"{len(failures)} check(s) failed", file=sys.stderr)
    sys.exit(1)
print("all checks passed")
