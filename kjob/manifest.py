"""Manifest text -> batch/v1 Job objects: parsing, strict field checks, server defaulting and validation."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from kjob import errors, objects

Obj = dict[str, Any]

# The API server's default request body limit (apiserver MaxRequestBodyBytes = 3 MiB). The server
# answers 413 "Request entity too large: limit is 3145728"; kjob refuses the whole file up front with
# `error: <source>: Request entity too large: limit is 3145728`.
MAX_MANIFEST_BYTES = 3 * 1024 * 1024
# After loading, a walk over the documents refuses more nodes than this (an alias bomb expands
# exponentially but is built from shared references, so only a bounded walk notices it) ...
MAX_NODES = 500_000
# ... and nesting deeper than this. A Job manifest is about 15 levels deep.
MAX_DEPTH = 100

VALIDATION_HELP = "if you choose to ignore these errors, turn validation off with --validate=false"

MAX_INT32 = 2**31 - 1

# ---------------------------------------------------------------- loading


class _Refused(Exception):
    """A structural limit was hit while normalising a loaded document."""


def _yaml_loader() -> type:
    """A SafeLoader that, like go-yaml v2 decoding into interface{}, keeps timestamps as strings."""
    global _LOADER
    if _LOADER is None:
        from kjob.yamllib import yaml

        base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        resolvers = {
            ch: [(tag, rx) for tag, rx in lst if tag not in _DROPPED_TAGS]
            for ch, lst in base.yaml_implicit_resolvers.items()
        }
        _LOADER = type("KjobLoader", (base,), {"yaml_implicit_resolvers": resolvers})
        for tag in ("int", "float", "bool"):
            name = f"tag:yaml.org,2002:{tag}"
            _LOADER.add_constructor(name, _strict_scalar(base.yaml_constructors[name], tag))  # type: ignore[attr-defined]
    return _LOADER


_LOADER: type | None = None
_DROPPED_TAGS = ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:value")


def _split_yaml(text: str) -> list[str]:
    """kubectl's YAMLReader: a line that is exactly `---` (plus trailing blanks) ends a document.

    Parsing each chunk on its own keeps error line numbers relative to the document, as kubectl's are.
    """
    chunks: list[str] = []
    current: list[str] = []
    for line in text.splitlines(keepends=True):
        if line.startswith("---") and not line[3:].strip():
            chunks.append("".join(current))
            current = []
        else:
            current.append(line)
    chunks.append("".join(current))
    return chunks


# pyyaml's wording -> go-yaml's, for the problems people actually hit.
_YAML_PROBLEMS = (
    ("mapping values are not allowed here", "mapping values are not allowed in this context"),
    ("that cannot start any token", "found character that cannot start any token"),
    ("could not find expected ':'", "could not find expected ':'"),
    ("expected the node content", "did not find expected node content"),
    ("expected ',' or ']'", "did not find expected ',' or ']'"),
    ("expected ',' or '}'", "did not find expected ',' or '}'"),
    ("found unexpected end of stream", "found unexpected end of stream"),
)


class _Undecodable(Exception):
    """A scalar whose explicit tag it cannot be (`!!int "abc"`): go-yaml's words for it."""


def _strict_scalar(construct: Callable[[Any, Any], Any], tag: str) -> Callable[[Any, Any], Any]:
    def strict(loader: Any, node: Any) -> Any:
        try:
            return construct(loader, node)
        except (ValueError, KeyError, TypeError):
            raise _Undecodable(f"cannot decode !!str `{node.value}` as a !!{tag}") from None

    return strict


def _yaml_error_text(exc: Exception, chunk: str) -> str:
    from kjob.yamllib import yaml

    if isinstance(exc, yaml.reader.ReaderError):
        return "error converting YAML to JSON: yaml: control characters are not allowed"
    problem = str(getattr(exc, "problem", None) or exc).strip()
    context = str(getattr(exc, "context", None) or "")
    for needle, go_text in _YAML_PROBLEMS:
        if needle in problem:
            problem = go_text
            break
    else:
        if problem.startswith("expected <block end>"):
            problem = (
                "did not find expected '-' indicator"
                if "collection" in context
                else "did not find expected key"
            )
        elif problem.startswith("found undefined alias"):
            # libyaml leaves the name out of its message; read it at the mark.
            mark = getattr(exc, "problem_mark", None)
            at = re.match(r"\*([^\s,\[\]{}]+)", chunk[mark.index :]) if mark is not None else None
            name = at.group(1) if at else problem.split("alias", 1)[1].strip().strip("'")
            problem = f"unknown anchor '{name}' referenced"
    problem = " ".join(problem.split())
    pmark = getattr(exc, "problem_mark", None)
    cmark = getattr(exc, "context_mark", None)
    # go-yaml counts scanner errors from 1 but parser errors from 0 (it reports the raw mark there).
    line = 0
    if pmark is not None and pmark.line:
        line = pmark.line + 1 if isinstance(exc, yaml.scanner.ScannerError) else pmark.line
    elif pmark is not None and isinstance(exc, yaml.scanner.ScannerError):
        line = 1
    elif cmark is not None and cmark.line:
        line = cmark.line
    if problem.startswith("unknown anchor"):
        line = 0  # go-yaml reports this one without a position
    where = f"line {line}: " if line else ""
    return f"error converting YAML to JSON: yaml: {where}{problem}"


def _key_text(key: Any) -> str:
    """A YAML map key as sigs.k8s.io/yaml turns it into a JSON key."""
    if isinstance(key, str):
        return key
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, float) and key.is_integer():
        return str(int(key))
    return str(key)


def within_budgets(doc: Any, what: str) -> Any:
    """_normalise() for a document from elsewhere than a manifest (a patch): refused past the same
    depth and node budgets, as `unable to parse "<what>": ...`."""
    try:
        return _normalise(doc)
    except _Refused as exc:
        raise errors.PlainError(f'unable to parse "{what}": {exc}') from None


def _normalise(doc: Any) -> Any:
    """A fresh JSON-shaped copy of a loaded document, within the node and depth budgets."""
    budget = [MAX_NODES]

    def walk(value: Any, depth: int) -> Any:
        budget[0] -= 1
        if budget[0] < 0:
            raise _Refused("yaml: document contains excessive aliasing")
        if depth > MAX_DEPTH:
            raise _Refused(f"yaml: exceeded max depth of {MAX_DEPTH}")
        if isinstance(value, dict):
            return {_key_text(k): walk(v, depth + 1) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [walk(v, depth + 1) for v in value]
        if isinstance(value, (set, frozenset)):
            return {_key_text(k): None for k in value}
        if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
            return value
        if isinstance(value, float):
            if value != value or value in (float("inf"), float("-inf")):
                raise _Refused(f"json: unsupported value: {value}")
            # YAML 1.0 becomes the JSON number 1 on kubectl's way to the server.
            return int(value) if value.is_integer() else value
        if isinstance(value, bytes):
            import base64

            return base64.b64encode(value).decode()
        # Explicit !!timestamp tags and the like: their text form.
        return value.isoformat() if hasattr(value, "isoformat") else str(value)

    return walk(doc, 0)


def _parse_documents(text: str, source: str) -> list[Any]:
    def fail(detail: str) -> errors.PlainError:
        return errors.PlainError(f"error parsing {source}: {detail}")

    raw: list[Any] = []
    stripped = text.lstrip()
    try:
        if stripped.startswith("{"):
            # kubectl sniffs JSON by its first byte and then reads a stream of JSON objects.
            decoder = json.JSONDecoder(parse_constant=_reject_constant)
            pos = len(text) - len(stripped)
            while pos < len(text):
                value, end = decoder.raw_decode(text, pos)
                raw.append(value)
                pos = end
                while pos < len(text) and text[pos].isspace():
                    pos += 1
        else:
            from kjob.yamllib import yaml

            loader = _yaml_loader()
            for chunk in _split_yaml(text):
                if not chunk.strip():
                    continue
                try:
                    raw.append(yaml.load(chunk, Loader=loader))
                except yaml.YAMLError as exc:
                    raise fail(_yaml_error_text(exc, chunk)) from None
                except _Undecodable as exc:
                    raise fail(f"error converting YAML to JSON: yaml: {exc}") from None
    except json.JSONDecodeError as exc:
        raise fail(str(exc)) from None
    except ValueError as exc:
        raise fail(str(exc)) from None
    except RecursionError:
        raise fail(f"yaml: exceeded max depth of {MAX_DEPTH}") from None
    try:
        return [_normalise(doc) for doc in raw]
    except _Refused as exc:
        raise fail(f"error converting YAML to JSON: {exc}") from None
    except RecursionError:
        raise fail(f"error converting YAML to JSON: yaml: exceeded max depth of {MAX_DEPTH}") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid character '{name[0]}' looking for beginning of value")


def _object_kind_errors(doc: Any) -> list[str]:
    """kubectl's getObjectKind checks (kubectl/pkg/validation/schema.go), in its order."""
    if not isinstance(doc, dict):
        return ["invalid object to validate"]
    errs: list[str] = []
    api_version = doc.get("apiVersion")
    if api_version is None:
        errs.append("apiVersion not set")
    elif not isinstance(api_version, str):
        errs.append("apiVersion isn't string type")
    elif api_version.count("/") > 1:
        errs.append(f"unexpected GroupVersion string: {api_version}")
    kind = doc.get("kind")
    if kind is None:
        errs.append("kind not set")
    elif not isinstance(kind, str):
        errs.append("kind isn't string type")
    return errs


def _check_kind(doc: Any, source: str) -> None:
    errs = _object_kind_errors(doc)
    if errs:
        # utilerrors.Aggregate prints one error bare and several as `[a, b]`.
        text = errs[0] if len(errs) == 1 else "[" + ", ".join(errs) + "]"
        raise errors.PlainError(
            f'error validating "{source}": error validating data: {text}; {VALIDATION_HELP}'
        )


def load_documents(text: str, source: str) -> list[Obj]:
    """Every Job in a manifest (YAML or JSON, several documents, `kind: List` expanded).

    Raises PlainError for oversized or unparsable text, documents kubectl would refuse to send,
    and objects that are not batch/v1 Jobs.
    """
    if len(text) > MAX_MANIFEST_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_MANIFEST_BYTES:
        raise errors.PlainError(f"{source}: Request entity too large: limit is {MAX_MANIFEST_BYTES}")
    found: list[Obj] = []
    for doc in _parse_documents(text, source):
        if doc is None:
            continue
        _check_kind(doc, source)
        kind = doc["kind"]
        items = doc.get("items")
        if kind == "List" or (kind.endswith("List") and isinstance(items, list)):
            for item in items if isinstance(items, list) else []:
                _check_kind(item, source)
                found.append(item)
        else:
            found.append(doc)
    for obj in found:
        _check_job_type(obj, source)
    return found


def _check_job_type(obj: Obj, source: str) -> None:
    api_version, kind = obj["apiVersion"], obj["kind"]
    if kind == "Job" and api_version == "batch/v1":
        return
    meta = _dict(obj, "metadata")
    name = _str(meta, "name")
    if kind == "Job":
        namespace = _str(meta, "namespace")
        raise errors.PlainError(
            f'resource mapping not found for name: "{name}" namespace: "{namespace}" from "{source}": '
            f'no matches for kind "Job" in version "{api_version}"\nensure CRDs are installed first'
        )
    raise errors.PlainError(f'kjob only runs batch/v1 Jobs: {source} holds {api_version}/{kind} "{name}"')


# ---------------------------------------------------------------- strict field validation

SCHEMA_VERSION_DIR = "v1.32.0-local-strict"
# The batch/v1 Job and v1 Pod schemas pruned to what the field checker reads (~48 KB of the upstream
# definitions' ~100 MB), shipped with kjob: derived from kubernetes-validate's files on a state
# directory's first `create`, and cached there, it cost that command ~15 ms (a test keeps it true to
# them: write_schema()). (Named for the Job's alone, which it was first.)
SHIPPED_SCHEMA = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "schema", f"job-{SCHEMA_VERSION_DIR}.json"
)
_SCHEMA: Obj | None = None

# Go type names the OpenAPI schema does not carry: string fields whose Go type is a named type.
_NAMED_STRINGS = {
    ("JobSpec", "completionMode"): "v1.CompletionMode",
    ("JobSpec", "podReplacementPolicy"): "v1.PodReplacementPolicy",
    ("PodSpec", "restartPolicy"): "v1.RestartPolicy",
    ("PodSpec", "dnsPolicy"): "v1.DNSPolicy",
    ("PodSpec", "preemptionPolicy"): "v1.PreemptionPolicy",
    ("Container", "imagePullPolicy"): "v1.PullPolicy",
    ("Container", "terminationMessagePolicy"): "v1.TerminationMessagePolicy",
    ("Container", "restartPolicy"): "v1.ContainerRestartPolicy",
    ("ContainerPort", "protocol"): "v1.Protocol",
    ("PodFailurePolicyRule", "action"): "v1.PodFailurePolicyAction",
    ("PodFailurePolicyOnExitCodesRequirement", "operator"): "v1.PodFailurePolicyOnExitCodesOperator",
    ("PodFailurePolicyOnPodConditionsPattern", "type"): "v1.PodConditionType",
    ("PodFailurePolicyOnPodConditionsPattern", "status"): "v1.ConditionStatus",
    ("ObjectMeta", "uid"): "types.UID",
    ("OwnerReference", "uid"): "types.UID",
    ("Toleration", "operator"): "v1.TolerationOperator",
    ("Toleration", "effect"): "v1.TaintEffect",
    ("JobCondition", "type"): "v1.JobConditionType",
    ("JobCondition", "status"): "v1.ConditionStatus",
    ("PodStatus", "phase"): "v1.PodPhase",
    ("PodStatus", "qosClass"): "v1.PodQOSClass",
    ("PodCondition", "type"): "v1.PodConditionType",
    ("PodCondition", "status"): "v1.ConditionStatus",
}

_QUANTITY_RE = re.compile(r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$")
_QUANTITY_SUFFIXES = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u", "m", "k", "M", "G", "T", "P", "E"}
_QUANTITY_FORMAT_ERROR = (
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
)
_RFC3339_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


def _schema_dir() -> str:
    import importlib.util

    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        raise errors.KjobError("error: the kubernetes-validate package (schema data) is not installed")
    return os.path.join(next(iter(spec.submodule_search_locations)), "kubernetes-json-schema")


def _prune(node: Any, defs: Obj, wanted: list[str]) -> Any:
    """Keep only what the walker reads; refs become bare definition names."""
    if not isinstance(node, dict):
        return node
    out: Obj = {}
    for key in ("type", "format"):
        if key in node:
            out[key] = node[key]
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        out["$ref"] = name
        if name not in defs:
            defs[name] = None
            wanted.append(name)
    if "properties" in node:
        out["properties"] = {k: _prune(v, defs, wanted) for k, v in node["properties"].items()}
    if "additionalProperties" in node:
        ap = node["additionalProperties"]
        out["additionalProperties"] = _prune(ap, defs, wanted) if isinstance(ap, dict) else ap
    if "items" in node:
        out["items"] = _prune(node["items"], defs, wanted)
    return out


def build_schema() -> Obj:
    """The pruned Job and Pod schemas (`root` and `pod`, sharing `defs`), from the upstream OpenAPI
    definitions kubernetes-validate ships."""
    base = os.path.join(_schema_dir(), SCHEMA_VERSION_DIR)
    with open(os.path.join(base, "job-batch-v1.json"), encoding="utf-8") as fh:
        job = json.load(fh)
    with open(os.path.join(base, "pod-v1.json"), encoding="utf-8") as fh:
        pod = json.load(fh)
    with open(os.path.join(base, "_definitions.json"), encoding="utf-8") as fh:
        all_defs = json.load(fh)["$defs"]
    defs: Obj = {}
    wanted: list[str] = []
    root = _prune(job, defs, wanted)
    pod_root = _prune(pod, defs, wanted)
    while wanted:
        name = wanted.pop()
        defs[name] = _prune(all_defs[name], defs, wanted)
    return {"root": root, "pod": pod_root, "defs": defs}


def write_schema(path: str = SHIPPED_SCHEMA) -> None:
    """Write the pruned schema kjob ships (see SHIPPED_SCHEMA), after an upgrade of the schemas."""
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(build_schema(), fh, separators=(",", ":"))
        fh.write("\n")


def _load_schema() -> Obj:
    global _SCHEMA
    if _SCHEMA is None:
        try:
            with open(SHIPPED_SCHEMA, encoding="utf-8") as fh:
                _SCHEMA = json.load(fh)
        except (OSError, ValueError) as exc:
            raise errors.KjobError(f"error: cannot read the Job and Pod schemas: {exc}") from None
    return _SCHEMA


class _Fatal(Exception):
    """A custom Go UnmarshalJSON error: it aborts decoding, so it wins over everything else."""


def _json_kind(value: Any) -> str:
    """How encoding/json names a JSON value in UnmarshalTypeError."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


class _FieldChecker:
    """Mimics sigs.k8s.io/json strict decoding of a Job: first type error, then unknown fields."""

    def __init__(self, schema: Obj) -> None:
        self.defs: Obj = schema["defs"]
        self.root: Obj = schema["root"]
        self.type_error: str | None = None
        self.unknown: list[str] = []

    def go_type(self, node: Obj, struct: str = "", prop: str = "") -> str:
        ref = node.get("$ref")
        if ref:
            return _go_def_name(ref)
        named = _NAMED_STRINGS.get((struct, prop))
        if named:
            return named
        types = node.get("type")
        kind = next((t for t in types if t != "null"), "object") if isinstance(types, list) else types
        if kind == "array":
            return "[]" + self.go_type(node.get("items") or {})
        if kind == "object":
            ap = node.get("additionalProperties")
            if isinstance(ap, dict):
                return "map[string]" + self.go_type(ap)
            return "map[string]interface {}"
        if kind == "integer":
            return str(node.get("format") or "int")
        return {"string": "string", "boolean": "bool", "number": "float64"}.get(str(kind), str(kind))

    def mismatch(self, value: Any, go_type: str, struct: str, field: str, detail: str = "") -> None:
        if self.type_error is None:
            what = _json_kind(value) + detail
            if struct or field:
                self.type_error = (
                    f"json: cannot unmarshal {what} into Go struct field {struct}.{field} of type {go_type}"
                )
            else:
                self.type_error = f"json: cannot unmarshal {what} into Go value of type {go_type}"

    def check(self, value: Any, node: Obj, struct: str, field: str, path: str, prop: str = "") -> None:
        if value is None:
            return  # null decodes into anything as its zero value
        ref = node.get("$ref")
        if ref:
            self.check_def(value, ref, struct, field, path)
            return
        types = node.get("type")
        kind = next((t for t in types if t != "null"), None) if isinstance(types, list) else types
        go_type = self.go_type(node, struct, prop)
        if kind == "object":
            if not isinstance(value, dict):
                self.mismatch(value, go_type, struct, field)
                return
            if "properties" in node:
                self.check_struct(value, node, struct, field, path)
                return
            ap = node.get("additionalProperties")
            if isinstance(ap, dict):
                for key in sorted(value):
                    self.check(value[key], ap, struct, field, f"{path}[{key}]" if path else key)
        elif kind == "array":
            if not isinstance(value, list):
                self.mismatch(value, go_type, struct, field)
                return
            items = node.get("items") or {}
            for i, item in enumerate(value):
                self.check(item, items, struct, field, f"{path}[{i}]")
        elif kind == "string":
            if not isinstance(value, str):
                self.mismatch(value, go_type, struct, field)
        elif kind == "boolean":
            if not isinstance(value, bool):
                self.mismatch(value, go_type, struct, field)
        elif kind == "integer":
            self.check_int(value, go_type, struct, field)
        elif kind == "number" and (isinstance(value, bool) or not isinstance(value, (int, float))):
            self.mismatch(value, go_type, struct, field)

    def check_int(self, value: Any, go_type: str, struct: str, field: str) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.mismatch(value, go_type, struct, field)
            return
        low, high = _INT_RANGES.get(go_type, _INT_RANGES["int64"])
        if isinstance(value, float) or not low <= value <= high:
            self.mismatch(value, go_type, struct, field, f" {value}")

    def check_def(self, value: Any, name: str, struct: str, field: str, path: str) -> None:
        short = name.rsplit(".", 1)[-1]
        if short == "IntOrString":
            if isinstance(value, str):
                return
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise _Fatal(_struct_field_error(_json_kind(value), struct, field, "int32"))
            if isinstance(value, float) or not -(2**31) <= value <= MAX_INT32:
                raise _Fatal(_struct_field_error(f"number {value}", struct, field, "int32"))
            return
        if short == "Quantity":
            text = value if isinstance(value, str) else json.dumps(value)
            _check_quantity(text.strip())
            return
        if short in ("Time", "MicroTime"):
            if not isinstance(value, str):
                raise _Fatal(_struct_field_error(_json_kind(value), struct, field, "string"))
            if not _RFC3339_RE.match(value):
                raise _Fatal(
                    f'parsing time "{value}" as "2006-01-02T15:04:05Z07:00": cannot parse "{value}" as "2006"'
                )
            return
        node = self.defs.get(name) or {}
        if "properties" in node:
            if not isinstance(value, dict):
                self.mismatch(value, _go_def_name(name), struct, field)
                return
            self.check_struct(value, node, short, field, path)
            return
        # Free-form definitions (FieldsV1, RawExtension) keep any JSON as raw bytes.

    def check_struct(self, value: Obj, node: Obj, struct: str, field: str, path: str) -> None:
        props = node.get("properties") or {}
        closed = node.get("additionalProperties") is False
        # kubectl re-encodes the manifest from a Go map, so the server sees keys in sorted order.
        for key in sorted(value):
            sub_path = f"{path}.{key}" if path else key
            sub_field = f"{field}.{key}" if field else key
            if key in props:
                self.check(value[key], props[key], struct, sub_field, sub_path, key)
            elif closed:
                self.unknown.append(sub_path)


def _struct_field_error(what: str, struct: str, field: str, go_type: str) -> str:
    return f"json: cannot unmarshal {what} into Go struct field {struct}.{field} of type {go_type}"


def _go_def_name(name: str) -> str:
    parts = name.split(".")
    return f"{parts[-2]}.{parts[-1]}" if len(parts) >= 2 else name


def _check_quantity(text: str) -> None:
    match = _QUANTITY_RE.match(text)
    if not match or text.count(".") > 1 or not any(ch.isdigit() for ch in match.group(1)):
        raise _Fatal(_QUANTITY_FORMAT_ERROR)
    suffix = match.group(2)
    if suffix not in _QUANTITY_SUFFIXES and not re.fullmatch(r"[eE][-+]?[0-9]+", suffix):
        raise _Fatal("unable to parse quantity's suffix")


def check_fields(obj: Obj, source: str, verb: str = "creating", kind: str = "Job") -> None:
    """The API server's strict decoding of a batch/v1 Job or a v1 Pod (kubectl's default
    --validate=strict).

    Raises BadRequest, as kubectl prints it with `error when <verb> "<source>": `, for the first JSON
    type error (Go's encoding/json wording) or else for every unknown field, joined with ", ".
    """
    schema = _load_schema()
    checker = _FieldChecker(schema)
    try:
        if not isinstance(obj, dict):
            raise _Fatal(f"json: cannot unmarshal {_json_kind(obj)} into Go value of type v1.{kind}")
        checker.check_struct(obj, checker.root if kind == "Job" else schema["pod"], kind, "", "")
        problem = checker.type_error
        if problem is None and checker.unknown:
            problem = "strict decoding error: " + ", ".join(f'unknown field "{p}"' for p in checker.unknown)
    except _Fatal as exc:
        problem = str(exc)
    if problem is not None:
        raise errors.BadRequest(
            f'{kind} in version "v1" cannot be handled as a {kind}: {problem}',
            f'error when {verb} "{source}": ',
        )


# ---------------------------------------------------------------- accessors tolerant of nulls


def _dict(parent: Any, key: str) -> Obj:
    value = parent.get(key) if isinstance(parent, dict) else None
    return value if isinstance(value, dict) else {}


def _list(parent: Any, key: str) -> list[Any]:
    value = parent.get(key) if isinstance(parent, dict) else None
    return value if isinstance(value, list) else []


def _str(parent: Any, key: str) -> str:
    value = parent.get(key) if isinstance(parent, dict) else None
    return value if isinstance(value, str) else ""


def _int(parent: Any, key: str) -> int | None:
    value = parent.get(key) if isinstance(parent, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _ensure(parent: Obj, key: str) -> Obj:
    """parent[key] as a dict, created (or replacing a null) when missing."""
    value = parent.get(key)
    if not isinstance(value, dict):
        value = {}
        parent[key] = value
    return value


# Maps of strings whose null values Go decodes as "".
_STRING_MAPS = frozenset({"labels", "annotations", "nodeSelector", "matchLabels"})


def _copy_without_nulls(value: Any, key: str = "") -> Any:
    """A deep copy in which null fields are gone, as the Go structs re-encode them (omitempty)."""
    if isinstance(value, dict):
        if key in _STRING_MAPS:
            return {k: "" if v is None else _copy_without_nulls(v) for k, v in value.items()}
        return {k: _copy_without_nulls(v, k) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [{} if v is None else _copy_without_nulls(v) for v in value]
    return value


# ---------------------------------------------------------------- defaulting (create)


def _pull_policy(image: str) -> str:
    """SetDefaults_Container: Always for a `latest` or missing tag, else IfNotPresent."""
    if "@" in image:
        return "IfNotPresent"
    last = image.rsplit("/", 1)[-1]
    tag = last.split(":", 1)[1] if ":" in last else "latest"
    return "Always" if tag == "latest" else "IfNotPresent"


def _default_probe(probe: Any) -> None:
    if not isinstance(probe, dict):
        return
    probe.setdefault("timeoutSeconds", 1)
    probe.setdefault("periodSeconds", 10)
    probe.setdefault("successThreshold", 1)
    probe.setdefault("failureThreshold", 3)
    http = probe.get("httpGet")
    if isinstance(http, dict):
        http.setdefault("path", "/")
        http.setdefault("scheme", "HTTP")


def _default_container(ctr: Any) -> None:
    if not isinstance(ctr, dict):
        return
    ctr.setdefault("terminationMessagePath", "/dev/termination-log")
    ctr.setdefault("terminationMessagePolicy", "File")
    if not ctr.get("imagePullPolicy"):
        ctr["imagePullPolicy"] = _pull_policy(_str(ctr, "image"))
    if not isinstance(ctr.get("resources"), dict):
        ctr["resources"] = {}
    for port in _list(ctr, "ports"):
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
    for env in _list(ctr, "env"):
        field_ref = _dict(_dict(env, "valueFrom"), "fieldRef")
        if field_ref:
            field_ref.setdefault("apiVersion", "v1")
    for probe_key in ("livenessProbe", "readinessProbe", "startupProbe"):
        _default_probe(ctr.get(probe_key))


_VOLUME_SOURCES_WITH_MODE = ("secret", "configMap", "downwardAPI", "projected")


def _default_volume(vol: Any) -> None:
    if not isinstance(vol, dict):
        return
    if not any(k for k in vol if k != "name"):
        vol["emptyDir"] = {}
    for key in _VOLUME_SOURCES_WITH_MODE:
        src = vol.get(key)
        if isinstance(src, dict):
            src.setdefault("defaultMode", 420)
    host_path = vol.get("hostPath")
    if isinstance(host_path, dict):
        host_path.setdefault("type", "")


def _default_pod_spec(spec: Obj) -> None:
    """The core/v1 pod-template defaults visible in `kubectl get job -o yaml`."""
    if not spec.get("restartPolicy"):
        spec["restartPolicy"] = "Always"
    spec.setdefault("terminationGracePeriodSeconds", 30)
    if not spec.get("dnsPolicy"):
        spec["dnsPolicy"] = "ClusterFirst"
    if not spec.get("schedulerName"):
        spec["schedulerName"] = "default-scheduler"
    if not isinstance(spec.get("securityContext"), dict):
        spec["securityContext"] = {}
    for key in ("initContainers", "containers"):
        for ctr in _list(spec, key):
            _default_container(ctr)
    for vol in _list(spec, "volumes"):
        _default_volume(vol)


def _default_job_spec(spec: Obj) -> None:
    """SetDefaults_Job (pkg/apis/batch/v1/defaults.go) with the default feature gates of 1.32."""
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
        spec["parallelism"] = 1
    if spec.get("parallelism") is None:
        spec["parallelism"] = 1
    if spec.get("backoffLimit") is None:
        spec["backoffLimit"] = MAX_INT32 if spec.get("backoffLimitPerIndex") is not None else 6
    if spec.get("completionMode") is None:
        spec["completionMode"] = "NonIndexed"
    if spec.get("suspend") is None:
        spec["suspend"] = False
    if spec.get("podReplacementPolicy") is None:
        spec["podReplacementPolicy"] = (
            "Failed" if spec.get("podFailurePolicy") is not None else "TerminatingOrFailed"
        )
    if spec.get("manualSelector") is None:
        spec["manualSelector"] = False
    for rule in _list(_dict(spec, "podFailurePolicy"), "rules"):
        for pattern in _list(rule, "onPodConditions"):
            if isinstance(pattern, dict) and not pattern.get("status"):
                pattern["status"] = "True"


def default_job_update(job: Obj) -> None:
    """The defaulting an update goes through, as a decoded object is defaulted on every write."""
    spec = _ensure(job, "spec")
    _default_job_spec(spec)
    _default_pod_spec(_ensure(_ensure(spec, "template"), "spec"))


def _generate_selector(job: Obj, name: str, uid: str) -> None:
    """strategy.go generateSelector: the four template labels and a controller-uid selector."""
    spec = job["spec"]
    labels = _ensure(_ensure(_ensure(spec, "template"), "metadata"), "labels")
    for key in (objects.LEGACY_JOB_NAME_LABEL, objects.JOB_NAME_LABEL):
        labels.setdefault(key, name)
    for key in (objects.LEGACY_CONTROLLER_UID_LABEL, objects.CONTROLLER_UID_LABEL):
        labels.setdefault(key, uid)
    match_labels = _ensure(_ensure(spec, "selector"), "matchLabels")
    match_labels.setdefault(objects.CONTROLLER_UID_LABEL, uid)


def _check_resource_version(meta: Obj, context: str) -> None:
    version = meta.pop("resourceVersion", None)
    # The storage layer refuses a parsable non-zero version; anything else is silently dropped.
    if isinstance(version, str) and version.isdigit() and int(version) != 0:
        raise errors.APIError("resourceVersion should not be set on objects to be created", context)


def prepare_job(
    obj: Obj,
    namespace: str,
    now: float,
    uid: str | None = None,
    namespace_explicit: bool = False,
    context: str = "",
) -> Obj:
    """A new dict: the Job as the API server would store it on create (defaults, selector, metadata).

    Raises PlainError when an explicit --namespace contradicts the manifest (kubectl's check) and
    APIError when the manifest carries a resourceVersion. `context` prefixes server errors.
    """
    job: Obj = _copy_without_nulls(obj)
    meta = _ensure(job, "metadata")
    own_ns = _str(meta, "namespace")
    if own_ns and own_ns != namespace:
        if namespace_explicit:
            raise errors.PlainError(
                f'the namespace from the provided object "{own_ns}" does not match the namespace '
                f"\"{namespace}\". You must pass '--namespace={own_ns}' to perform this operation."
            )
        namespace = own_ns
    meta["namespace"] = namespace or "default"
    _check_resource_version(meta, context)
    if not _str(meta, "name") and _str(meta, "generateName"):
        meta["name"] = objects.generate_name(_str(meta, "generateName"))
    name = _str(meta, "name")
    uid = uid or objects.new_uid()
    for key in ("deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", "selfLink"):
        meta.pop(key, None)
    meta["uid"] = uid
    meta["creationTimestamp"] = objects.format_time(now)
    meta["generation"] = 1

    spec = _ensure(job, "spec")
    template = _ensure(spec, "template")
    _default_job_spec(spec)
    _default_pod_spec(_ensure(template, "spec"))
    template_labels = _dict(template, "metadata").get("labels")
    if isinstance(template_labels, dict) and not _dict(meta, "labels"):
        meta["labels"] = dict(template_labels)
    if spec.get("manualSelector") is not True:
        _generate_selector(job, name, uid)
    job["status"] = {}
    # Reading the Job back runs the defaulting again, and by then the template has its generated
    # labels: a Job stored without labels shows all four.
    if not _dict(meta, "labels"):
        generated = _dict(_dict(template, "metadata"), "labels")
        if generated:
            meta["labels"] = dict(generated)
    # A zero metav1.Time marshals as null, and omitempty never drops a struct: a 1.32 server gives
    # the template's creationTimestamp back as null (1.33 leaves it out).
    _ensure(template, "metadata").setdefault("creationTimestamp", None)
    return job


# ---------------------------------------------------------------- Go-style rendering of bad values


def _go_quote(text: str) -> str:
    """Go's %q for the strings users write (printable text, escaped quotes and controls)."""
    out = json.dumps(text, ensure_ascii=False)
    return re.sub(r"\\u00([0-9a-f]{2})", lambda m: "\\x" + m.group(1), out)


def _go_string_map(value: Any) -> str:
    if value is None:
        return "map[string]string(nil)"
    items = ", ".join(f"{_go_quote(str(k))}:{_go_quote(str(v))}" for k, v in sorted(value.items()))
    return "map[string]string{" + items + "}"


def _go_selector(sel: Any) -> str:
    sel = sel if isinstance(sel, dict) else {}
    labels = sel.get("matchLabels") if isinstance(sel.get("matchLabels"), dict) else None
    exprs = sel.get("matchExpressions")
    if isinstance(exprs, list):
        parts = []
        for req in exprs:
            req = req if isinstance(req, dict) else {}
            values = req.get("values")
            vtext = (
                "[]string{" + ", ".join(_go_quote(str(v)) for v in values) + "}"
                if isinstance(values, list)
                else "[]string(nil)"
            )
            parts.append(
                f"v1.LabelSelectorRequirement{{Key:{_go_quote(_str(req, 'key'))}, "
                f"Operator:{_go_quote(_str(req, 'operator'))}, Values:{vtext}}}"
            )
        etext = "[]v1.LabelSelectorRequirement{" + ", ".join(parts) + "}"
    else:
        etext = "[]v1.LabelSelectorRequirement(nil)"
    return f"v1.LabelSelector{{MatchLabels:{_go_string_map(labels)}, MatchExpressions:{etext}}}"


def _go_int_slice(values: Any) -> str:
    if not isinstance(values, list):
        return "[]int32(nil)"
    return "[]int32{" + ", ".join(str(v) for v in values) + "}"


def _go_value(value: Any) -> str:
    """field.Error's rendering of simple values: strings quoted, numbers and bools bare, nil null."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return _go_quote(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


# ---------------------------------------------------------------- field error constructors


def _invalid(path: str, value: Any, detail: str) -> str:
    return f"{path}: Invalid value: {value if isinstance(value, _Raw) else _go_value(value)}: {detail}"


def _required(path: str, detail: str = "") -> str:
    return f"{path}: Required value: {detail}" if detail else f"{path}: Required value"


def _not_supported(path: str, value: Any, supported: Iterable[str]) -> str:
    listed = ", ".join(_go_quote(s) for s in supported)
    return f"{path}: Unsupported value: {_go_value(value)}: supported values: {listed}"


def _duplicate(path: str, value: Any) -> str:
    return f"{path}: Duplicate value: {_go_value(value)}"


def _too_many(path: str, actual: int, maximum: int) -> str:
    return f"{path}: Too many: {actual}: must have at most {maximum} items"


def _forbidden(path: str, detail: str) -> str:
    return f"{path}: Forbidden: {detail}"


_NEGATIVE = "must be greater than or equal to 0"  # ValidateNonnegativeField's detail


class _Raw(str):
    """A value already rendered Go-style (maps, structs)."""


# ---------------------------------------------------------------- name and label rules

_DNS1123_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN = _DNS1123_LABEL + "(\\." + _DNS1123_LABEL + ")*"
_QUALIFIED_NAME = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE = "(" + _QUALIFIED_NAME + ")?"
_DNS1123_LABEL_RE = re.compile("^" + _DNS1123_LABEL + "$")
_DNS1123_SUBDOMAIN_RE = re.compile("^" + _DNS1123_SUBDOMAIN + "$")
_QUALIFIED_NAME_RE = re.compile("^" + _QUALIFIED_NAME + "$")
_LABEL_VALUE_RE = re.compile("^" + _LABEL_VALUE + "$")


def _regex_error(msg: str, fmt: str, *examples: str) -> str:
    """apimachinery RegexError, including its double space between examples."""
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    return (
        f"{msg} (e.g. " + " or ".join(f"'{e}', " for e in examples) + f"regex used for validation is '{fmt}')"
    )


def _max_len(n: int) -> str:
    return f"must be no more than {n} characters"


def _is_dns1123_label(value: str) -> list[str]:
    errs = []
    if len(value) > 63:
        errs.append(_max_len(63))
    if not _DNS1123_LABEL_RE.match(value):
        if _DNS1123_SUBDOMAIN_RE.match(value):
            errs.append("must not contain dots")
        else:
            errs.append(
                _regex_error(
                    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
                    "and must start and end with an alphanumeric character",
                    _DNS1123_LABEL,
                    "my-name",
                    "123-abc",
                )
            )
    return errs


def _is_dns1123_subdomain(value: str) -> list[str]:
    errs = []
    if len(value) > 253:
        errs.append(_max_len(253))
    if not _DNS1123_SUBDOMAIN_RE.match(value):
        errs.append(
            _regex_error(
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
                "'-' or '.', and must start and end with an alphanumeric character",
                _DNS1123_SUBDOMAIN,
                "example.com",
            )
        )
    return errs


def _is_qualified_name(value: str) -> list[str]:
    qualified_msg = (
        "must consist of alphanumeric characters, '-', '_' or '.', "
        "and must start and end with an alphanumeric character"
    )
    errs: list[str] = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs.extend("prefix part " + m for m in _is_dns1123_subdomain(prefix))
    else:
        return [
            "a qualified name "
            + _regex_error(qualified_msg, _QUALIFIED_NAME, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    if not name:
        errs.append("name part must be non-empty")
    elif len(name) > 63:
        errs.append("name part " + _max_len(63))
    if name and not _QUALIFIED_NAME_RE.match(name):
        errs.append(
            "name part " + _regex_error(qualified_msg, _QUALIFIED_NAME, "MyName", "my.name", "123-abc")
        )
    return errs


def _is_label_value(value: str) -> list[str]:
    errs = []
    if len(value) > 63:
        errs.append(_max_len(63))
    if not _LABEL_VALUE_RE.match(value):
        errs.append(
            _regex_error(
                "a valid label must be an empty string or consist of alphanumeric characters, "
                "'-', '_' or '.', and must start and end with an alphanumeric character",
                _LABEL_VALUE,
                "MyValue",
                "my_value",
                "12345",
            )
        )
    return errs


def _validate_labels(labels: Any, path: str) -> list[str]:
    errs: list[str] = []
    if not isinstance(labels, dict):
        return errs
    # Go walks the map in random order; sorted keys keep ours stable.
    for key in sorted(labels):
        value = labels[key] if isinstance(labels[key], str) else ""
        errs.extend(_invalid(path, key, m) for m in _is_qualified_name(key))
        errs.extend(_invalid(path, value, m) for m in _is_label_value(value))
    return errs


def _validate_annotations(annotations: Any, path: str) -> list[str]:
    errs: list[str] = []
    if not isinstance(annotations, dict):
        return errs
    total = 0
    for key in sorted(annotations):
        errs.extend(_invalid(path, key, m) for m in _is_qualified_name(key.lower()))
        value = annotations[key] if isinstance(annotations[key], str) else ""
        total += len(key) + len(value)
    if total > 256 * 1024:
        errs.append(f"{path}: Too long: must have at most {256 * 1024} bytes")
    return errs


def _validate_object_meta(meta: Obj) -> list[str]:
    """ValidateObjectMeta with the ReplicationController (DNS-1123 subdomain) name rule."""
    errs: list[str] = []
    generate_name = _str(meta, "generateName")
    if generate_name:
        # A prefix may end in '-': the random suffix follows it.
        masked = (
            generate_name[:-1] + "a"
            if len(generate_name) > 1 and generate_name.endswith("-")
            else generate_name
        )
        errs.extend(
            _invalid("metadata.generateName", generate_name, m) for m in _is_dns1123_subdomain(masked)
        )
    name = _str(meta, "name")
    if not name:
        errs.append(_required("metadata.name", "name or generateName is required"))
    else:
        errs.extend(_invalid("metadata.name", name, m) for m in _is_dns1123_subdomain(name))
    namespace = _str(meta, "namespace")
    if not namespace:
        errs.append(_required("metadata.namespace"))
    else:
        errs.extend(_invalid("metadata.namespace", namespace, m) for m in _is_dns1123_label(namespace))
    generation = _int(meta, "generation")
    if generation is not None and generation < 0:
        errs.append(_invalid("metadata.generation", generation, _NEGATIVE))
    return errs


# ---------------------------------------------------------------- pod template rules

_RESTART_POLICIES = ("Always", "OnFailure", "Never")
_DNS_POLICIES = ("ClusterFirst", "ClusterFirstWithHostNet", "Default", "None")
_PULL_POLICIES = ("Always", "IfNotPresent", "Never")
_TERMINATION_MESSAGE_POLICIES = ("File", "FallbackToLogsOnError")
_PROTOCOLS = ("SCTP", "TCP", "UDP")


# Finalizers with no domain that the API knows (helper.IsStandardFinalizerName).
_STANDARD_FINALIZERS = ("kubernetes", "orphan", "foregroundDeletion")


def _validate_finalizers(finalizers: list[Any]) -> list[str]:
    """ValidateFinalizers, then core's validateKubeFinalizerName: a qualified name, and one without a
    domain only if it is one of the standard ones."""
    errs: list[str] = []
    names = [f for f in finalizers if isinstance(f, str)]
    for name in names:
        errs.extend(_invalid("metadata.finalizers", name, m) for m in _is_qualified_name(name))
    if "orphan" in names and "foregroundDeletion" in names:
        shown = _Raw("[]string{" + ", ".join(_go_quote(n) for n in names) + "}")
        errs.append(
            _invalid(
                "metadata.finalizers", shown, "finalizer orphan and foregroundDeletion cannot be both set"
            )
        )
    for name in names:
        if "/" not in name and name not in _STANDARD_FINALIZERS:
            detail = "name is neither a standard finalizer name nor is it fully qualified"
            errs.append(_invalid("metadata.finalizers", name, detail))
    return errs


# Resources a container may ask for by a bare name; any other must carry a domain (an extended
# resource), and neither it nor a huge page may be overcommitted: its request equals its limit.
_STANDARD_RESOURCES = ("cpu", "memory", "ephemeral-storage")
_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
_PROBE_HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")
_ENV_SOURCES = ("fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef")


def _validate_resources(ctr: Obj, path: str) -> list[str]:
    """ValidateResourceRequirements: known resource names, no negative quantity, no request above
    its limit (or, for a resource that cannot be overcommitted, other than it)."""
    from kjob.cgroups import parse_quantity

    errs: list[str] = []
    resources = _dict(ctr, "resources")
    limits, requests = _dict(resources, "limits"), _dict(resources, "requests")
    for group, values in (("limits", limits), ("requests", requests)):
        for name, quantity in values.items():
            key_path = f"{path}.resources.{group}[{name}]"
            if name not in _STANDARD_RESOURCES and not name.startswith("hugepages-") and "/" not in name:
                errs.append(_invalid(key_path, name, "must be a standard resource for containers"))
            value = parse_quantity(quantity)
            if value is not None and value < 0:
                errs.append(_invalid(key_path, str(quantity), _NEGATIVE))
            if group != "requests" or name not in limits:
                continue
            limit = parse_quantity(limits[name])
            if value is None or limit is None:
                continue
            overcommit = name in _STANDARD_RESOURCES
            if not overcommit and value != limit:
                detail = f"must be equal to {name} limit of {limits[name]}"
                errs.append(_invalid(f"{path}.resources.requests", str(quantity), detail))
            elif value > limit:
                detail = f"must be less than or equal to {name} limit of {limits[name]}"
                errs.append(_invalid(f"{path}.resources.requests", str(quantity), detail))
    return errs


def _validate_probes(ctr: Obj, path: str, init: bool) -> list[str]:
    """A regular init container takes no probe; any other probe has exactly one handler, a
    liveness or startup probe succeeds once, and its numbers are not negative."""
    errs: list[str] = []
    for key in _PROBES:
        probe = ctr.get(key)
        if probe is None:
            continue
        probe_path = f"{path}.{key}"
        if init and ctr.get("restartPolicy") != "Always":
            errs.append(
                _forbidden(probe_path, "may not be set for init containers without restartPolicy=Always")
            )
            continue
        probe = probe if isinstance(probe, dict) else {}
        handlers = [h for h in _PROBE_HANDLERS if probe.get(h) is not None]
        if not handlers:
            errs.append(_required(probe_path, "must specify a handler type"))
        for extra in handlers[1:]:
            errs.append(_forbidden(f"{probe_path}.{extra}", "may not specify more than 1 handler type"))
        for field in (
            "initialDelaySeconds",
            "timeoutSeconds",
            "periodSeconds",
            "successThreshold",
            "failureThreshold",
        ):
            number = _int(probe, field)
            if number is not None and number < 0:
                errs.append(_invalid(f"{probe_path}.{field}", number, _NEGATIVE))
        success = _int(probe, "successThreshold")
        if key != "readinessProbe" and success is not None and success != 1:
            errs.append(_invalid(f"{probe_path}.successThreshold", success, "must be 1"))
    return errs


def _validate_ids(context: Obj, path: str, keys: tuple[str, ...]) -> list[str]:
    """A security context's user and group ids (and a pod's fsGroup): 0 to 2^31-1."""
    errs: list[str] = []
    for key in keys:
        value = _int(context, key)
        if value is not None and not 0 <= value <= MAX_INT32:
            errs.append(_invalid(f"{path}.{key}", value, f"must be between 0 and {MAX_INT32}, inclusive"))
    return errs


def _validate_env(env: list[Any], path: str) -> list[str]:
    errs: list[str] = []
    for i, var in enumerate(env):
        name = _str(var, "name")
        name_path = f"{path}[{i}].name"
        if not name:
            errs.append(_required(name_path))
        # RelaxedEnvironmentVariableValidation is beta, on by default, in 1.32.
        elif any(ord(ch) > 126 or ord(ch) < 32 or ch == "=" for ch in name):
            errs.append(
                _invalid(
                    name_path,
                    name,
                    "a valid environment variable name must consist only of printable ASCII characters "
                    "other than '='",
                )
            )
        value_from = var.get("valueFrom") if isinstance(var, dict) else None
        if value_from is None:
            continue
        # validateEnvVarValueFrom: one source, and no value beside it.
        sources = [k for k in _ENV_SOURCES if isinstance(value_from, dict) and value_from.get(k) is not None]
        from_path = f"{path}[{i}].valueFrom"
        if not sources:
            detail = (
                "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"
            )
            errs.append(_invalid(from_path, "", detail))
        elif _str(var, "value"):
            errs.append(_invalid(from_path, "", "may not be specified when `value` is not empty"))
        elif len(sources) > 1:
            errs.append(_invalid(from_path, "", "may not have more than one field specified at a time"))
    return errs


def _validate_container(ctr: Obj, path: str, init: bool, volumes: set[str] | None = None) -> list[str]:
    errs: list[str] = []
    name = _str(ctr, "name")
    if not name:
        errs.append(_required(f"{path}.name"))
    else:
        errs.extend(_invalid(f"{path}.name", name, m) for m in _is_dns1123_label(name))
    image = _str(ctr, "image")
    if not image:
        errs.append(_required(f"{path}.image"))
    policy = _str(ctr, "terminationMessagePolicy")
    if not policy:
        errs.append(_required(f"{path}.terminationMessagePolicy"))
    elif policy not in _TERMINATION_MESSAGE_POLICIES:
        errs.append(_not_supported(f"{path}.terminationMessagePolicy", policy, _TERMINATION_MESSAGE_POLICIES))
    for j, port in enumerate(_list(ctr, "ports")):
        port_path = f"{path}.ports[{j}]"
        number = _int(port, "containerPort")
        if number is None or not 1 <= number <= 65535:
            errs.append(
                _invalid(f"{port_path}.containerPort", number or 0, "must be between 1 and 65535, inclusive")
            )
        protocol = _str(port, "protocol")
        if protocol and protocol not in _PROTOCOLS:
            errs.append(_not_supported(f"{port_path}.protocol", protocol, _PROTOCOLS))
    port_names: set[str] = set()
    for j, port in enumerate(_list(ctr, "ports")):
        port_name = _str(port, "name")
        if port_name and port_name in port_names:
            errs.append(_duplicate(f"{path}.ports[{j}].name", port_name))
        port_names.add(port_name)
    # In validateContainerCommon's order: env, mounts, pull policy, resources, security context.
    errs.extend(_validate_env(_list(ctr, "env"), f"{path}.env"))
    errs.extend(_validate_volume_mounts(_list(ctr, "volumeMounts"), f"{path}.volumeMounts", volumes or set()))
    pull = _str(ctr, "imagePullPolicy")
    if not pull:
        errs.append(_required(f"{path}.imagePullPolicy"))
    elif pull not in _PULL_POLICIES:
        errs.append(_not_supported(f"{path}.imagePullPolicy", pull, _PULL_POLICIES))
    errs.extend(_validate_resources(ctr, path))
    ids = ("runAsUser", "runAsGroup")
    errs.extend(_validate_ids(_dict(ctr, "securityContext"), f"{path}.securityContext", ids))
    errs.extend(_validate_probes(ctr, path, init))
    if image and image != image.strip():
        errs.append(_invalid(f"{path}.image", image, "must not have leading or trailing whitespace"))
    restart = ctr.get("restartPolicy")
    if restart is not None:
        if not init:
            errs.append(_forbidden(f"{path}.restartPolicy", "may not be set for non-init containers"))
        elif restart != "Always":
            errs.append(_not_supported(f"{path}.restartPolicy", restart, ["Always"]))
    return errs


def _validate_volume_mounts(mounts: list[Any], path: str, volumes: set[str]) -> list[str]:
    """ValidateVolumeMounts: each names a volume of the pod, at a path of its own."""
    errs: list[str] = []
    seen: set[str] = set()
    for i, mount in enumerate(mounts):
        name, mount_path = _str(mount, "name"), _str(mount, "mountPath")
        if not name:
            errs.append(_required(f"{path}[{i}].name"))
        if name not in volumes:
            errs.append(f"{path}[{i}].name: Not found: {_go_quote(name)}")
        if not mount_path:
            errs.append(_required(f"{path}[{i}].mountPath"))
        if mount_path in seen:
            errs.append(_invalid(f"{path}[{i}].mountPath", mount_path, "must be unique"))
        seen.add(mount_path)
    return errs


def _validate_pod_spec(spec: Obj, path: str) -> list[str]:
    errs: list[str] = []
    volume_names: set[str] = set()
    for i, vol in enumerate(_list(spec, "volumes")):
        vol_name = _str(vol, "name")
        name_path = f"{path}.volumes[{i}].name"
        if not vol_name:
            errs.append(_required(name_path))
        else:
            errs.extend(_invalid(name_path, vol_name, m) for m in _is_dns1123_label(vol_name))
            if vol_name in volume_names:
                errs.append(_duplicate(name_path, vol_name))
            volume_names.add(vol_name)
    containers = _list(spec, "containers")
    names: set[str] = set()
    for i, ctr in enumerate(containers):
        ctr = ctr if isinstance(ctr, dict) else {}
        ctr_path = f"{path}.containers[{i}]"
        errs.extend(_validate_container(ctr, ctr_path, init=False, volumes=volume_names))
        ctr_name = _str(ctr, "name")
        if ctr_name in names:
            errs.append(_duplicate(f"{ctr_path}.name", ctr_name))
        else:
            names.add(ctr_name)
    if not containers:
        errs.append(_required(f"{path}.containers"))
    # Init container names must also differ from the regular containers' names.
    for i, ctr in enumerate(_list(spec, "initContainers")):
        ctr = ctr if isinstance(ctr, dict) else {}
        ctr_path = f"{path}.initContainers[{i}]"
        errs.extend(_validate_container(ctr, ctr_path, init=True, volumes=volume_names))
        ctr_name = _str(ctr, "name")
        if ctr_name in names:
            errs.append(_duplicate(f"{ctr_path}.name", ctr_name))
        elif ctr_name:
            names.add(ctr_name)
    restart = _str(spec, "restartPolicy")
    if not restart:
        errs.append(_required(f"{path}.restartPolicy"))
    elif restart not in _RESTART_POLICIES:
        errs.append(_not_supported(f"{path}.restartPolicy", restart, _RESTART_POLICIES))
    dns = _str(spec, "dnsPolicy")
    if not dns:
        errs.append(_required(f"{path}.dnsPolicy"))
    elif dns not in _DNS_POLICIES:
        errs.append(_not_supported(f"{path}.dnsPolicy", dns, _DNS_POLICIES))
    errs.extend(_validate_labels(spec.get("nodeSelector"), f"{path}.nodeSelector"))
    ids = ("runAsUser", "runAsGroup", "fsGroup")
    errs.extend(_validate_ids(_dict(spec, "securityContext"), f"{path}.securityContext", ids))
    deadline = _int(spec, "activeDeadlineSeconds")
    if deadline is not None and not 1 <= deadline <= MAX_INT32:
        errs.append(
            _invalid(
                f"{path}.activeDeadlineSeconds", deadline, f"must be between 1 and {MAX_INT32}, inclusive"
            )
        )
    return errs


def _validate_pod_template(template: Obj, path: str) -> list[str]:
    meta = _dict(template, "metadata")
    errs = _validate_labels(meta.get("labels"), f"{path}.labels")
    errs.extend(_validate_annotations(meta.get("annotations"), f"{path}.annotations"))
    spec = _dict(template, "spec")
    errs.extend(_validate_pod_spec(spec, f"{path}.spec"))
    if _list(spec, "ephemeralContainers"):
        errs.append(
            _forbidden(f"{path}.spec.ephemeralContainers", "ephemeral containers not allowed in pod template")
        )
    return errs


# ---------------------------------------------------------------- Job spec rules

_MAX_INDEXED_PARALLELISM = 100_000
_COMPLETIONS_SOFT_LIMIT = 100_000
_HIGH_COMPLETIONS_LIMIT = 10_000
_MAX_RULES = 20
_MAX_EXIT_CODES = 255
_MAX_SUCCEEDED_INDEXES = 64 * 1024
_ACTIONS = ("Count", "FailIndex", "FailJob", "Ignore")
_OPERATORS = ("In", "NotIn")
_CONDITION_STATUSES = ("False", "True", "Unknown")


def _go_list(values: Iterable[str]) -> str:
    """Go's %q of a []string: ["a" "b"]."""
    return "[" + " ".join(_go_quote(v) for v in values) + "]"


def _atoi(text: str) -> int | None:
    return int(text) if re.fullmatch(r"[+-]?[0-9]+", text) else None


def _parse_interval(text: str, completions: int) -> tuple[int, int]:
    parts = text.split("-")
    if len(parts) > 2:
        raise ValueError(
            f"the fragment {_go_quote(text)} violates the requirement that an index interval "
            "can have at most two parts separated by '-'"
        )
    x = _atoi(parts[0])
    if x is None:
        raise ValueError(f"cannot convert string to integer for index: {_go_quote(parts[0])}")
    if x >= completions:
        raise ValueError(f"too large index: {_go_quote(parts[0])}")
    if len(parts) == 1:
        return x, x
    y = _atoi(parts[1])
    if y is None:
        raise ValueError(f"cannot convert string to integer for index: {_go_quote(parts[1])}")
    if y >= completions:
        raise ValueError(f"too large index: {_go_quote(parts[1])}")
    if x >= y:
        raise ValueError(f"non-increasing order, previous: {x}, current: {y}")
    return x, y


def _count_indexes(text: str, completions: int) -> int:
    """validateIndexesFormat: the number of indexes in `1,3-5`, or ValueError."""
    if not text:
        return 0
    last: int | None = None
    total = 0
    for interval in text.split(","):
        x, y = _parse_interval(interval, completions)
        if last is not None and last >= x:
            raise ValueError(f"non-increasing order, previous: {last}, current: {x}")
        total += y - x + 1
        last = y
    return total


def _validate_exit_codes(req: Obj, path: str, container_names: set[str]) -> list[str]:
    errs: list[str] = []
    operator = _str(req, "operator")
    if not operator:
        errs.append(_required(f"{path}.operator", f"valid values: {_go_list(_OPERATORS)}"))
    elif operator not in _OPERATORS:
        errs.append(_not_supported(f"{path}.operator", operator, _OPERATORS))
    container = req.get("containerName")
    if isinstance(container, str) and container not in container_names:
        errs.append(
            _invalid(
                f"{path}.containerName",
                container,
                "must be one of the container or initContainer names in the pod template",
            )
        )
    values_path = f"{path}.values"
    raw = req.get("values")
    values = [v for v in raw if isinstance(v, int)] if isinstance(raw, list) else []
    if not values:
        errs.append(_invalid(values_path, _Raw(_go_int_slice(raw)), "at least one value is required"))
    elif len(values) > _MAX_EXIT_CODES:
        errs.append(_too_many(values_path, len(values), _MAX_EXIT_CODES))
    seen: set[int] = set()
    ordered = True
    for j, value in enumerate(values):
        if operator == "In" and value == 0:
            errs.append(_invalid(f"{values_path}[{j}]", 0, "must not be 0 for the In operator"))
        if value in seen:
            errs.append(_duplicate(f"{values_path}[{j}]", value))
        seen.add(value)
        if j > 0 and values[j - 1] > value:
            ordered = False
    if not ordered:
        errs.append(_invalid(values_path, _Raw(_go_int_slice(values)), "must be ordered"))
    return errs


def _validate_pod_failure_policy(spec: Obj, path: str) -> list[str]:
    errs: list[str] = []
    rules = _list(_dict(spec, "podFailurePolicy"), "rules")
    rules_path = f"{path}.rules"
    if len(rules) > _MAX_RULES:
        errs.append(_too_many(rules_path, len(rules), _MAX_RULES))
    pod_spec = _dict(_dict(spec, "template"), "spec")
    names = {_str(c, "name") for key in ("containers", "initContainers") for c in _list(pod_spec, key)}
    for i, rule in enumerate(rules):
        rule = rule if isinstance(rule, dict) else {}
        rule_path = f"{rules_path}[{i}]"
        action = _str(rule, "action")
        if not action:
            errs.append(_required(f"{rule_path}.action", f"valid values: {_go_list(_ACTIONS)}"))
        elif action == "FailIndex":
            if spec.get("backoffLimitPerIndex") is None:
                errs.append(
                    _invalid(f"{rule_path}.action", action, "requires the backoffLimitPerIndex to be set")
                )
        elif action not in _ACTIONS:
            errs.append(_not_supported(f"{rule_path}.action", action, _ACTIONS))
        on_exit = rule.get("onExitCodes")
        if isinstance(on_exit, dict):
            errs.extend(_validate_exit_codes(on_exit, f"{rule_path}.onExitCodes", names))
        patterns = _list(rule, "onPodConditions")
        if patterns:
            cond_path = f"{rule_path}.onPodConditions"
            if len(patterns) > _MAX_RULES:
                errs.append(_too_many(cond_path, len(patterns), _MAX_RULES))
            for j, pattern in enumerate(patterns):
                ctype = _str(pattern, "type")
                errs.extend(_invalid(f"{cond_path}[{j}].type", ctype, m) for m in _is_qualified_name(ctype))
                status = _str(pattern, "status")
                if not status:
                    errs.append(
                        _required(
                            f"{cond_path}[{j}].status", f"valid values: {_go_list(_CONDITION_STATUSES)}"
                        )
                    )
                elif status not in _CONDITION_STATUSES:
                    errs.append(_not_supported(f"{cond_path}[{j}].status", status, _CONDITION_STATUSES))
        if isinstance(on_exit, dict) and patterns:
            errs.append(
                f"{rule_path}: Invalid value: "
                "specifying both OnExitCodes and OnPodConditions is not supported"
            )
        if not isinstance(on_exit, dict) and not patterns:
            errs.append(
                f"{rule_path}: Invalid value: specifying one of OnExitCodes and OnPodConditions is required"
            )
    return errs


def _go_success_policy(policy: Obj) -> str:
    rules = policy.get("rules")
    if not isinstance(rules, list):
        return "batch.SuccessPolicy{Rules:[]batch.SuccessPolicyRule(nil)}"
    if not rules:
        return "batch.SuccessPolicy{Rules:[]batch.SuccessPolicyRule{}}"
    # The real dump shows pointer addresses for set fields; kjob abbreviates the rules.
    return "batch.SuccessPolicy{Rules:[]batch.SuccessPolicyRule{...}}"


def _validate_success_policy(spec: Obj, path: str) -> list[str]:
    errs: list[str] = []
    rules = _list(_dict(spec, "successPolicy"), "rules")
    rules_path = f"{path}.rules"
    if not rules:
        errs.append(
            _required(rules_path, "at least one rules must be specified when the successPolicy is specified")
        )
    if len(rules) > _MAX_RULES:
        errs.append(_too_many(rules_path, len(rules), _MAX_RULES))
    completions = _int(spec, "completions") or 0
    for i, rule in enumerate(rules):
        rule_path = f"{rules_path}[{i}]"
        indexes = rule.get("succeededIndexes") if isinstance(rule, dict) else None
        count = _int(rule, "succeededCount")
        if count is None and not isinstance(indexes, str):
            errs.append(
                _required(rule_path, "at least one of succeededCount or succeededIndexes must be specified")
            )
        total = 0
        if isinstance(indexes, str):
            idx_path = f"{rule_path}.succeededIndexes"
            if len(indexes) > _MAX_SUCCEEDED_INDEXES:
                errs.append(f"{idx_path}: Too long: may not be more than {_MAX_SUCCEEDED_INDEXES} bytes")
            try:
                total = _count_indexes(indexes, completions)
            except ValueError as exc:
                errs.append(_invalid(idx_path, indexes, f"error parsing succeededIndexes: {exc}"))
        if count is not None:
            count_path = f"{rule_path}.succeededCount"
            if count < 0:
                errs.append(_invalid(count_path, count, _NEGATIVE))
            if count > completions:
                errs.append(
                    _invalid(
                        count_path,
                        count,
                        f"must be less than or equal to {completions} (the number of specified completions)",
                    )
                )
            if isinstance(indexes, str) and count > total:
                errs.append(
                    _invalid(
                        count_path,
                        count,
                        f"must be less than or equal to {total} "
                        "(the number of indexes in the specified succeededIndexes field)",
                    )
                )
    return errs


def _validate_job_spec_fields(spec: Obj) -> list[str]:
    """validateJobSpec (pkg/apis/batch/validation), in its order."""
    errs: list[str] = []
    for key in (
        "parallelism",
        "completions",
        "activeDeadlineSeconds",
        "backoffLimit",
        "ttlSecondsAfterFinished",
        "backoffLimitPerIndex",
        "maxFailedIndexes",
    ):
        value = _int(spec, key)
        if value is not None and value < 0:
            errs.append(_invalid(f"spec.{key}", value, _NEGATIVE))
        if key == "maxFailedIndexes" and value is not None and spec.get("backoffLimitPerIndex") is None:
            errs.append(_required("spec.backoffLimitPerIndex", "when maxFailedIndexes is specified"))
    managed_by = spec.get("managedBy")
    if isinstance(managed_by, str):
        errs.extend(_validate_managed_by(managed_by))
    parallelism = _int(spec, "parallelism")
    completions = _int(spec, "completions")
    per_index = _int(spec, "backoffLimitPerIndex")
    max_failed = _int(spec, "maxFailedIndexes")
    mode = spec.get("completionMode")
    if isinstance(mode, str):
        if mode not in ("NonIndexed", "Indexed"):
            errs.append(_not_supported("spec.completionMode", mode, ("NonIndexed", "Indexed")))
        if mode == "Indexed":
            if completions is None:
                errs.append(_required("spec.completions", "when completion mode is Indexed"))
            if parallelism is not None and parallelism > _MAX_INDEXED_PARALLELISM:
                errs.append(
                    _invalid(
                        "spec.parallelism",
                        parallelism,
                        f"must be less than or equal to {_MAX_INDEXED_PARALLELISM} "
                        "when completion mode is Indexed",
                    )
                )
            if completions is not None and max_failed is not None and max_failed > completions:
                errs.append(
                    _invalid("spec.maxFailedIndexes", max_failed, "must be less than or equal to completions")
                )
            if max_failed is not None and max_failed > _MAX_INDEXED_PARALLELISM:
                errs.append(
                    _invalid(
                        "spec.maxFailedIndexes",
                        max_failed,
                        f"must be less than or equal to {_MAX_INDEXED_PARALLELISM}",
                    )
                )
            if completions is not None and completions > _COMPLETIONS_SOFT_LIMIT and per_index is not None:
                tail = (
                    f"when completions are above {_COMPLETIONS_SOFT_LIMIT} "
                    "and used with backoff limit per index"
                )
                if max_failed is None:
                    errs.append(
                        _required(
                            "spec.maxFailedIndexes",
                            f"must be specified when completions is above {_COMPLETIONS_SOFT_LIMIT}",
                        )
                    )
                if parallelism is not None and parallelism > _HIGH_COMPLETIONS_LIMIT:
                    errs.append(
                        _invalid(
                            "spec.parallelism",
                            parallelism,
                            f"must be less than or equal to {_HIGH_COMPLETIONS_LIMIT} {tail}",
                        )
                    )
                if max_failed is not None and max_failed > _HIGH_COMPLETIONS_LIMIT:
                    errs.append(
                        _invalid(
                            "spec.maxFailedIndexes",
                            max_failed,
                            f"must be less than or equal to {_HIGH_COMPLETIONS_LIMIT} {tail}",
                        )
                    )
    if mode in (None, "NonIndexed"):
        if per_index is not None:
            errs.append(_invalid("spec.backoffLimitPerIndex", per_index, "requires indexed completion mode"))
        if max_failed is not None:
            errs.append(_invalid("spec.maxFailedIndexes", max_failed, "requires indexed completion mode"))
    if isinstance(spec.get("podFailurePolicy"), dict):
        errs.extend(_validate_pod_failure_policy(spec, "spec.podFailurePolicy"))
    success = spec.get("successPolicy")
    if isinstance(success, dict):
        if mode != "Indexed":
            errs.append(
                _invalid(
                    "spec.successPolicy",
                    _Raw(_go_success_policy(success)),
                    "requires indexed completion mode",
                )
            )
        else:
            errs.extend(_validate_success_policy(spec, "spec.successPolicy"))
    replacement = spec.get("podReplacementPolicy")
    if isinstance(replacement, str):
        if isinstance(spec.get("podFailurePolicy"), dict):
            if replacement != "Failed":
                errs.append(_not_supported("spec.podReplacementPolicy", replacement, ["Failed"]))
        elif replacement not in ("Failed", "TerminatingOrFailed"):
            errs.append(
                _not_supported("spec.podReplacementPolicy", replacement, ["Failed", "TerminatingOrFailed"])
            )
    template = _dict(spec, "template")
    errs.extend(_validate_pod_template(template, "spec.template"))
    restart = _str(_dict(template, "spec"), "restartPolicy")
    restart_path = "spec.template.spec.restartPolicy"
    if restart in ("", "Always"):
        errs.append(_required(restart_path, 'valid values: "OnFailure", "Never"'))
    elif restart not in ("OnFailure", "Never"):
        errs.append(_not_supported(restart_path, restart, ("OnFailure", "Never")))
    elif isinstance(spec.get("podFailurePolicy"), dict) and restart != "Never":
        errs.append(
            _invalid(restart_path, restart, 'only "Never" is supported when podFailurePolicy is specified')
        )
    return errs


def _validate_managed_by(value: str) -> list[str]:
    path = "spec.managedBy"
    errs: list[str] = []
    if not value:
        errs.append(_required(path))
    else:
        host, sep, rest = value.partition("/")
        if not sep or not host or not rest:
            errs.append(_invalid(path, value, 'must be a domain-prefixed path (such as "acme.io/foo")'))
        else:
            errs.extend(_invalid(path, host, m) for m in _is_dns1123_subdomain(host))
            http_path = r"[A-Za-z0-9/\-._~%!$&'()*+,;=:]+"
            if not re.fullmatch(http_path, rest):
                errs.append(_invalid(path, rest, _regex_error("Invalid path", http_path)))
    if len(value) > 63:
        errs.append(f"{path}: Too long: must have at most 63 bytes")
    return errs


def _validate_selector(selector: Obj, path: str) -> list[str]:
    """ValidateLabelSelector; the selector is usable for matching only when this finds nothing."""
    errs = _validate_labels(selector.get("matchLabels"), f"{path}.matchLabels")
    for i, req in enumerate(_list(selector, "matchExpressions")):
        req_path = f"{path}.matchExpressions[{i}]"
        operator = _str(req, "operator")
        values = _list(req, "values")
        if operator in ("In", "NotIn"):
            if not values:
                errs.append(
                    _required(f"{req_path}.values", "must be specified when `operator` is 'In' or 'NotIn'")
                )
        elif operator in ("Exists", "DoesNotExist"):
            if values:
                errs.append(
                    _forbidden(
                        f"{req_path}.values",
                        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                    )
                )
        else:
            errs.append(_invalid(f"{req_path}.operator", operator, "not a valid selector operator"))
        key = _str(req, "key")
        errs.extend(_invalid(f"{req_path}.key", key, m) for m in _is_qualified_name(key))
        for j, value in enumerate(values):
            text = value if isinstance(value, str) else ""
            errs.extend(_invalid(f"{req_path}.values[{j}]", text, m) for m in _is_label_value(text))
    return errs


def _selector_matches(selector: Any, labels: dict[str, str]) -> bool:
    """metav1.LabelSelectorAsSelector(...).Matches: nil matches nothing, empty matches everything."""
    if not isinstance(selector, dict):
        return False
    return objects.selector_matches(selector, labels)


def _validate_generated_selector(job: Obj) -> list[str]:
    spec = _dict(job, "spec")
    if spec.get("manualSelector") is True or not isinstance(spec.get("selector"), dict):
        return []
    meta = _dict(job, "metadata")
    uid, name = _str(meta, "uid"), _str(meta, "name")
    errs: list[str] = []
    if not uid:
        errs.append(_required("metadata.uid"))
    template_labels = _dict(_dict(_dict(spec, "template"), "metadata"), "labels")
    for key, want in (
        (objects.LEGACY_CONTROLLER_UID_LABEL, uid),
        (objects.LEGACY_JOB_NAME_LABEL, name),
        (objects.CONTROLLER_UID_LABEL, uid),
        (objects.JOB_NAME_LABEL, name),
    ):
        path = f"spec.template.metadata.labels[{key}]"
        if key not in template_labels:
            errs.append(_required(path, f"must be '{want}'"))
        elif template_labels[key] != want:
            errs.append(_invalid(path, _Raw(_go_string_map(template_labels)), f"must be '{want}'"))
    expected = {
        objects.CONTROLLER_UID_LABEL: uid,
        objects.JOB_NAME_LABEL: name,
        objects.LEGACY_CONTROLLER_UID_LABEL: uid,
        objects.LEGACY_JOB_NAME_LABEL: name,
    }
    selector = spec["selector"]
    if not _validate_selector(selector, "spec.selector") and not _selector_matches(selector, expected):
        errs.append(_invalid("spec.selector", _Raw(_go_selector(selector)), "`selector` not auto-generated"))
    return errs


_GENERATED_KEYS = (
    objects.CONTROLLER_UID_LABEL,
    objects.JOB_NAME_LABEL,
    objects.LEGACY_CONTROLLER_UID_LABEL,
    objects.LEGACY_JOB_NAME_LABEL,
)


def _job_labels_at_validation(job: Obj) -> Obj:
    """The Job's labels as the server validated them on create.

    prepare_job also applies the read-back copy of the template labels; those generated labels were
    not on the Job when the server validated it, so they must not produce metadata.labels errors.
    """
    labels = _dict(_dict(job, "metadata"), "labels")
    template_labels = _dict(_dict(_dict(_dict(job, "spec"), "template"), "metadata"), "labels")
    if labels and labels == template_labels:
        return {k: v for k, v in labels.items() if k not in _GENERATED_KEYS}
    return labels


def validate_job(job: Obj) -> list[str]:
    """ValidateJob on a prepared Job: field errors as kubectl prints them, in the API's order.

    Repeated causes are dropped, as kubectl drops them when it prints an Invalid error.
    """
    meta = _dict(job, "metadata")
    spec = _dict(job, "spec")
    errs = _validate_object_meta(meta)
    errs.extend(_validate_labels(_job_labels_at_validation(job), "metadata.labels"))
    errs.extend(_validate_annotations(meta.get("annotations"), "metadata.annotations"))
    errs.extend(_validate_finalizers(_list(meta, "finalizers")))
    errs.extend(_validate_generated_selector(job))
    errs.extend(_validate_job_spec_fields(spec))
    selector = spec.get("selector")
    selector_errs: list[str] = []
    if not isinstance(selector, dict):
        errs.append(_required("spec.selector"))
    else:
        selector_errs = _validate_selector(selector, "spec.selector")
        errs.extend(selector_errs)
    if not selector_errs:
        template_labels = _dict(_dict(spec, "template"), "metadata").get("labels")
        labels = template_labels if isinstance(template_labels, dict) else {}
        if not _selector_matches(selector, labels):
            shown = template_labels if isinstance(template_labels, dict) else None
            errs.append(
                _invalid(
                    "spec.template.metadata.labels",
                    _Raw(_go_string_map(shown)),
                    "`selector` does not match template `labels`",
                )
            )
    completions = _int(spec, "completions")
    if spec.get("completionMode") == "Indexed" and completions is not None and completions > 0:
        # The last pod's hostname is <name>-<completions-1>, and it must be a DNS label.
        hostname = f"{_str(meta, 'name')}-{completions - 1}"
        if _is_dns1123_label(hostname):
            errs.append(
                _invalid(
                    "metadata.name",
                    _str(meta, "name"),
                    f"will not able to create pod with invalid DNS label: {hostname}",
                )
            )
    return list(dict.fromkeys(errs))


def validate_job_or_raise(job: Obj) -> None:
    """Raises errors.Invalid when validate_job finds anything."""
    causes = validate_job(job)
    if causes:
        raise errors.Invalid("Job", _str(_dict(job, "metadata"), "name"), causes)


# ---------------------------------------------------------------- update


def _semantic(value: Any) -> Any:
    """apiequality.Semantic: nil and empty maps/lists are the same."""
    if isinstance(value, dict):
        out = {k: _semantic(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, {}, [])}
    if isinstance(value, list):
        return [_semantic(v) for v in value]
    return value


def _immutable(path: str, new: Any, old: Any, render: Callable[[Any], str] | None = None) -> list[str]:
    if _semantic(new) == _semantic(old):
        return []
    shown = _Raw(render(new)) if render is not None else new
    return [_invalid(path, shown, "field is immutable")]


def _template_for_compare(new_tpl: Obj, old_tpl: Obj, mutable_scheduling: bool) -> Obj:
    """The old template with what a suspended, never-started Job may change taken from the new one."""
    old = json.loads(json.dumps(old_tpl))
    if not mutable_scheduling:
        return old
    new_spec, old_spec = _dict(new_tpl, "spec"), _ensure(old, "spec")
    new_aff, old_aff = new_spec.get("affinity"), old_spec.get("affinity")
    if new_aff is None and isinstance(old_aff, dict):
        old_aff.pop("nodeAffinity", None)
        if not old_aff:
            old_spec.pop("affinity", None)
    elif isinstance(new_aff, dict) and old_aff is None:
        old_spec["affinity"] = {"nodeAffinity": new_aff["nodeAffinity"]} if "nodeAffinity" in new_aff else {}
    elif isinstance(new_aff, dict) and isinstance(old_aff, dict):
        old_aff.pop("nodeAffinity", None)
        if "nodeAffinity" in new_aff:
            old_aff["nodeAffinity"] = new_aff["nodeAffinity"]
    for key in ("nodeSelector", "tolerations", "schedulingGates"):
        old_spec.pop(key, None)
        if key in new_spec:
            old_spec[key] = new_spec[key]
    old_meta, new_meta = _ensure(old, "metadata"), _dict(new_tpl, "metadata")
    for key in ("labels", "annotations"):
        old_meta.pop(key, None)
        if key in new_meta:
            old_meta[key] = new_meta[key]
    return old


def validate_meta_update(old: Obj, new: Obj) -> list[str]:
    """ValidateObjectMetaAccessorUpdate for what an update may send: after the server has kept the
    fields it owns (BeforeUpdate keeps a creationTimestamp, and a deletion's timestamp and grace
    period once set), the rest of the identity must not change, and a job being deleted takes no
    new finalizer."""
    md, old_md = _dict(new, "metadata"), _dict(old, "metadata")
    errs: list[str] = []
    if old_md.get("deletionTimestamp") is not None:
        extra = sorted(set(md.get("finalizers") or []) - set(old_md.get("finalizers") or []))
        if extra:
            found = "[]string{" + ", ".join(_go_quote(str(f)) for f in extra) + "}"
            detail = "no new finalizers can be added if the object is being deleted, found new finalizers"
            errs.append(_forbidden("metadata.finalizers", f"{detail} {found}"))
    errs.extend(_immutable("metadata.uid", md.get("uid"), old_md.get("uid")))
    # A time is a Stringer to field.Error: Go's own rendering, unquoted.
    errs.extend(
        _immutable(
            "metadata.deletionTimestamp",
            md.get("deletionTimestamp"),
            old_md.get("deletionTimestamp"),
            _go_time,
        )
    )
    errs.extend(
        _immutable(
            "metadata.deletionGracePeriodSeconds",
            md.get("deletionGracePeriodSeconds"),
            old_md.get("deletionGracePeriodSeconds"),
        )
    )
    return errs


def _go_time(value: Any) -> str:
    seconds = objects.parse_time(value) if isinstance(value, str) else None
    if seconds is None:
        return _go_value(value)
    return time.strftime("%Y-%m-%d %H:%M:%S +0000 UTC", time.gmtime(seconds))


POD_UPDATE_FORBIDDEN = (
    "pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to "
    "existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was "
    "previously negative)"
)
# The pod conditions ValidatePodStatusUpdate takes as they are; any other type must be a qualified name.
_SYSTEM_POD_CONDITIONS = ("PodScheduled", "Ready", "Initialized")


def _pod_meta_errors(new: Obj) -> list[str]:
    meta = _dict(new, "metadata")
    errs = _validate_labels(meta.get("labels"), "metadata.labels")
    errs.extend(_validate_annotations(meta.get("annotations"), "metadata.annotations"))
    errs.extend(_validate_finalizers(_list(meta, "finalizers")))
    return errs


def validate_pod_update(old: Obj, new: Obj) -> list[str]:
    """ValidatePodUpdate: metadata as for any object, and of the spec only what a running pod may
    change: its images, a shorter activeDeadlineSeconds, added tolerations, and a negative
    terminationGracePeriodSeconds set to 1. (The server's message goes on with a diff of the two
    specs, cmp.Diff's rendering of Go structs; kjob says which fields differ instead.)"""
    import copy

    errs = _pod_meta_errors(new)
    spec, old_spec = _dict(new, "spec"), _dict(old, "spec")
    for key in ("containers", "initContainers"):
        containers, before = _list(spec, key), _list(old_spec, key)
        if len(containers) != len(before):
            return [*errs, _forbidden(f"spec.{key}", "pod updates may not add or remove containers")]
        for i, ctr in enumerate(containers):
            image = _str(ctr, "image") if isinstance(ctr, dict) else ""
            if not image:
                errs.append(_required(f"spec.{key}[{i}].image"))
            elif image.strip() != image:
                errs.append(
                    _invalid(f"spec.{key}[{i}].image", image, "must not have leading or trailing whitespace")
                )
    deadline, old_deadline = spec.get("activeDeadlineSeconds"), old_spec.get("activeDeadlineSeconds")
    path = "spec.activeDeadlineSeconds"
    if deadline is not None:
        if not isinstance(deadline, int) or isinstance(deadline, bool) or not 0 <= deadline <= 2**31 - 1:
            return [*errs, _invalid(path, deadline, "must be between 0 and 2147483647, inclusive")]
        if isinstance(old_deadline, int) and old_deadline < deadline:
            return [*errs, _invalid(path, deadline, "must be less than or equal to previous value")]
    elif old_deadline is not None:
        errs.append(_invalid(path, None, "must not update from a positive integer to nil value"))
    tolerations, old_tolerations = _list(spec, "tolerations"), _list(old_spec, "tolerations")
    for kept in old_tolerations:
        # Only added to: each one there before must still be, though its tolerationSeconds may change.
        if not any(_but_seconds(t) == _but_seconds(kept) for t in tolerations):
            return [
                *errs,
                _forbidden(
                    "spec.tolerations", "existing toleration can not be modified except its tolerationSeconds"
                ),
            ]
    munged = copy.deepcopy(spec)
    for key in ("containers", "initContainers"):
        for ctr, before in zip(_list(munged, key), _list(old_spec, key), strict=True):
            if isinstance(ctr, dict) and isinstance(before, dict):
                ctr["image"] = before.get("image")
    for key in ("activeDeadlineSeconds", "tolerations"):
        munged.pop(key, None)
        if key in old_spec:
            munged[key] = old_spec[key]
    grace, old_grace = (
        munged.get("terminationGracePeriodSeconds"),
        old_spec.get("terminationGracePeriodSeconds"),
    )
    if isinstance(old_grace, int) and old_grace < 0 and grace == 1:
        munged["terminationGracePeriodSeconds"] = old_grace
    if _semantic(munged) != _semantic(old_spec):
        changed = sorted(
            k for k in {*munged, *old_spec} if _semantic(munged.get(k)) != _semantic(old_spec.get(k))
        )
        errs.append(_forbidden("spec", f"{POD_UPDATE_FORBIDDEN}\n  changed: spec.{', spec.'.join(changed)}"))
    return errs


def _but_seconds(toleration: Any) -> Any:
    if not isinstance(toleration, dict):
        return toleration
    return _semantic({k: v for k, v in toleration.items() if k != "tolerationSeconds"})


def validate_pod_status_update(old: Obj, new: Obj) -> list[str]:
    """ValidatePodStatusUpdate, as far as a user's patch goes: metadata, and the conditions, whose
    type is a qualified name unless it is one of the system's (the Job docs' ConfigIssue, say)."""
    errs = _pod_meta_errors(new)
    for i, cond in enumerate(_list(_dict(new, "status"), "conditions")):
        ctype = _str(cond, "type") if isinstance(cond, dict) else ""
        if ctype not in _SYSTEM_POD_CONDITIONS:
            # The server's own path: `Type`, as the Go field is named there.
            errs.extend(_invalid(f"status.conditions[{i}].Type", ctype, m) for m in _is_qualified_name(ctype))
    return errs


def validate_job_status_update(old: Obj, new: Obj) -> list[str]:
    """ValidateJobStatusUpdate with the options a 1.32 server sets (JobManagedBy, beta and on): the
    counts non-negative, and the rules of a Job's life (no finished job with active pods, no Complete
    without its completionTime, no terminal condition taken back, ...), each checked only where the
    update changes what it is about, as getStatusValidationOptions does, so that a job whose status
    was already off can still be updated."""
    st, old_st = _dict(new, "status"), _dict(old, "status")
    spec = _dict(new, "spec")
    errs: list[str] = []

    def count(status: Obj, key: str) -> int:
        value = status.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    def true(status: Obj, ctype: str) -> bool:
        return any(
            isinstance(c, dict) and c.get("type") == ctype and c.get("status") == "True"
            for c in _list(status, "conditions")
        )

    def when(status: Obj, key: str) -> float | None:
        return objects.parse_time(status.get(key)) if isinstance(status.get(key), str) else None

    def changed(test: Callable[[Obj], Any]) -> bool:
        return bool(test(st) != test(old_st))

    def omit(path: str, detail: str) -> str:
        return f"{path}: Invalid value: {detail}"  # field.OmitValueType: no value shown

    for key in ("active", "succeeded", "failed", "ready", "terminating"):
        value = st.get(key)
        if isinstance(value, int) and value < 0:
            errs.append(_invalid(f"status.{key}", value, _NEGATIVE))
    uncounted, seen = _dict(st, "uncountedTerminatedPods"), set()
    for key in ("succeeded", "failed"):
        for i, uid in enumerate(_list(uncounted, key)):
            path = f"status.uncountedTerminatedPods.{key}[{i}]"
            if uid == "":
                errs.append(_invalid(path, uid, "must not be empty"))
            elif uid in seen:
                errs.append(_duplicate(path, uid))
            else:
                seen.add(uid)

    def complete(status: Obj) -> bool:
        return true(status, "Complete")

    def failed(status: Obj) -> bool:
        return true(status, "Failed")

    def failure_target(status: Obj) -> bool:
        return true(status, "FailureTarget")

    def finished(status: Obj) -> bool:
        return complete(status) or failed(status)

    completion, start = when(st, "completionTime"), when(st, "startTime")
    completion_changed = changed(lambda s: when(s, "completionTime"))
    start_changed = changed(lambda s: when(s, "startTime"))
    if (changed(complete) or changed(failed)) and complete(st) and failed(st):
        errs.append(omit("status.conditions", "cannot set Complete=True and Failed=true conditions"))
    if (changed(complete) or changed(failure_target)) and complete(st) and failure_target(st):
        errs.append(omit("status.conditions", "cannot set Complete=True and FailureTarget=true conditions"))
    if changed(complete) or completion_changed:
        if completion is not None and not complete(st):
            detail = "cannot set completionTime when there is no Complete=True condition"
            errs.append(_invalid("status.completionTime", _Raw(_go_time(st["completionTime"])), detail))
        if completion is None and complete(st):
            errs.append(_required("status.completionTime", "completionTime is required for Complete jobs"))
    if (
        (start_changed or completion_changed)
        and start is not None
        and completion is not None
        and completion < start
    ):
        detail = "completionTime cannot be set before startTime"
        errs.append(_invalid("status.completionTime", _Raw(_go_time(st["completionTime"])), detail))
    if (
        (changed(finished) or changed(lambda s: count(s, "active")))
        and count(st, "active") > 0
        and finished(st)
    ):
        errs.append(_invalid("status.active", count(st, "active"), "active>0 is invalid for finished job"))
    if (changed(finished) or start_changed) and start is None and finished(st):
        errs.append(_required("status.startTime", "startTime is required for finished job"))
    uncounted_changed = changed(lambda s: _dict(s, "uncountedTerminatedPods"))
    pending = _list(uncounted, "succeeded") or _list(uncounted, "failed")
    if (changed(finished) or uncounted_changed) and finished(st) and pending:
        detail = "uncountedTerminatedPods needs to be empty for finished job"
        errs.append(_invalid("status.uncountedTerminatedPods", _Raw(_go_uncounted(uncounted)), detail))
    completions = spec.get("completions") if isinstance(spec.get("completions"), int) else None
    indexed = spec.get("completionMode") == "Indexed"
    completed_changed = changed(lambda s: _str(s, "completedIndexes"))
    failed_changed = changed(lambda s: s.get("failedIndexes"))
    completed_text, failed_text = _str(st, "completedIndexes"), st.get("failedIndexes")
    if completed_changed and completions is not None:
        try:
            _count_indexes(completed_text, completions)
        except ValueError as e:
            errs.append(
                _invalid("status.completedIndexes", completed_text, f"error parsing completedIndexes: {e}")
            )
    per_index = spec.get("backoffLimitPerIndex") is not None
    if failed_changed and completions is not None and per_index and isinstance(failed_text, str):
        try:
            _count_indexes(failed_text, completions)
        except ValueError as e:
            errs.append(_invalid("status.failedIndexes", failed_text, f"error parsing failedIndexes: {e}"))
    if completed_changed and completed_text and not indexed:
        detail = "cannot set non-empty completedIndexes when non-indexed completion mode"
        errs.append(_invalid("status.completedIndexes", completed_text, detail))
    if failed_changed and not per_index and failed_text is not None:
        detail = "cannot set non-null failedIndexes when backoffLimitPerIndex is null"
        errs.append(_invalid("status.failedIndexes", failed_text, detail))
    if (failed_changed or completed_changed) and completions is not None and isinstance(failed_text, str):
        overlap = _indexes(completed_text, completions) & _indexes(failed_text, completions)
        if overlap:
            detail = f"failedIndexes and completedIndexes overlap at index: {min(overlap)}"
            errs.append(_invalid("status.failedIndexes", failed_text, detail))
    criteria = true(st, "SuccessCriteriaMet")
    if criteria and failed(st):
        errs.append(
            omit("status.conditions", "cannot set SuccessCriteriaMet=True and Failed=true conditions")
        )
    if criteria and failure_target(st):
        errs.append(
            omit("status.conditions", "cannot set SuccessCriteriaMet=True and FailureTarget=true conditions")
        )
    if isinstance(spec.get("successPolicy"), dict) and not criteria and complete(st):
        detail = "cannot set Complete=True for Job with SuccessPolicy unless SuccessCriteriaMet=True"
        errs.append(omit("status.conditions", detail))

    # -- the transitions (ValidateJobStatusUpdate itself)
    for ctype in ("Failed", "Complete", "FailureTarget"):
        if true(old_st, ctype) and not true(st, ctype):
            errs.append(omit("status.conditions", f"cannot disable the terminal {ctype}=True condition"))
    if count(st, "failed") < count(old_st, "failed"):
        errs.append(_invalid("status.failed", count(st, "failed"), "cannot decrease the failed counter"))
    # An Indexed job whose completions equal its parallelism may be scaled down: its count with it.
    elastic = indexed and spec.get("completions") == spec.get("parallelism")
    if not elastic and count(st, "succeeded") < count(old_st, "succeeded"):
        errs.append(
            _invalid("status.succeeded", count(st, "succeeded"), "cannot decrease the succeeded counter")
        )
    old_completion = when(old_st, "completionTime")
    if completion is not None and old_completion is not None and completion != old_completion:
        detail = "completionTime cannot be mutated"
        errs.append(_invalid("status.completionTime", _Raw(_go_time(st["completionTime"])), detail))
    if start_changed and when(old_st, "startTime") is not None and spec.get("suspend") is not True:
        errs.append(_required("status.startTime", "startTime cannot be removed for unsuspended job"))
    if true(old_st, "SuccessCriteriaMet") and not criteria:
        errs.append(omit("status.conditions", "cannot disable the SuccessCriteriaMet=True condition"))
    if complete(old_st) and not true(old_st, "SuccessCriteriaMet") and criteria:
        detail = "cannot set SuccessCriteriaMet=True for Job already has Complete=true conditions"
        errs.append(omit("status.conditions", detail))
    return errs


def _go_uncounted(uncounted: Obj) -> str:
    """%#v of a batch.UncountedTerminatedPods."""
    fields = []
    for key in ("succeeded", "failed"):
        uids = _list(uncounted, key)
        listed = "{" + ", ".join(_go_value(u) for u in uids) + "}" if uids else "(nil)"
        fields.append(f"{key.capitalize()}:[]types.UID{listed}")
    return "batch.UncountedTerminatedPods{" + ", ".join(fields) + "}"


def _indexes(text: str, completions: int) -> set[int]:
    """The indexes of the intervals of `1,3-5` that parse (validateFailedIndexesNotOverlapCompleted
    passes over the others: the format's own check reports them)."""
    out: set[int] = set()
    for interval in text.split(",") if text else ():
        try:
            x, y = _parse_interval(interval, completions)
        except ValueError:
            continue
        out.update(range(x, y + 1))
    return out


def validate_job_update(old: Obj, new: Obj) -> list[str]:
    """The immutable-field errors of ValidateJobSpecUpdate for an update of `old` to `new`.

    Only the update rules: run validate_job(new) as well for the full answer.
    """
    spec, old_spec = _dict(new, "spec"), _dict(old, "spec")
    errs: list[str] = []
    completions, old_completions = spec.get("completions"), old_spec.get("completions")
    if spec.get("completionMode") == "Indexed":
        # ElasticIndexedJob (GA): completions may change together with parallelism.
        if (
            completions != old_completions
            and completions is not None
            and completions != spec.get("parallelism")
        ):
            errs.append(
                _invalid(
                    "spec.completions", completions, "can only be modified in tandem with spec.parallelism"
                )
            )
    else:
        errs.extend(_immutable("spec.completions", completions, old_completions))
    errs.extend(_immutable("spec.selector", spec.get("selector"), old_spec.get("selector"), _go_selector))
    mutable_scheduling = old_spec.get("suspend") is True and not _dict(old, "status").get("startTime")
    new_tpl, old_tpl = _dict(spec, "template"), _dict(old_spec, "template")
    errs.extend(
        _immutable(
            "spec.template",
            new_tpl,
            _template_for_compare(new_tpl, old_tpl, mutable_scheduling),
            # The server dumps the whole internal struct; kjob abbreviates it.
            lambda _: "core.PodTemplateSpec{...}",
        )
    )
    errs.extend(_immutable("spec.completionMode", spec.get("completionMode"), old_spec.get("completionMode")))
    errs.extend(
        _immutable(
            "spec.podFailurePolicy",
            spec.get("podFailurePolicy"),
            old_spec.get("podFailurePolicy"),
            lambda v: "null" if v is None else "batch.PodFailurePolicy{...}",
        )
    )
    errs.extend(
        _immutable(
            "spec.backoffLimitPerIndex",
            spec.get("backoffLimitPerIndex"),
            old_spec.get("backoffLimitPerIndex"),
        )
    )
    errs.extend(_immutable("spec.managedBy", spec.get("managedBy"), old_spec.get("managedBy")))
    errs.extend(
        _immutable(
            "spec.successPolicy",
            spec.get("successPolicy"),
            old_spec.get("successPolicy"),
            lambda v: "null" if not isinstance(v, dict) else _go_success_policy(v),
        )
    )
    return errs


# ---------------------------------------------------------------- runtime hints


def missing_command_containers(job: Obj) -> list[str]:
    """Init containers, then containers, that have no `command` (kjob cannot use an image entrypoint)."""
    pod_spec = _dict(_dict(_dict(job, "spec"), "template"), "spec")
    return [
        _str(ctr, "name")
        for key in ("initContainers", "containers")
        for ctr in _list(pod_spec, key)
        if not _list(ctr, "command")
    ]


# ---------------------------------------------------------------- where a field stands in the text

_PATH_PART = re.compile(r"([^.\[\]]+)|\[([^\]]*)\]")


def locate_field(text: str, job_name: str, path: str) -> tuple[int, int] | None:
    """Line and column (1-based) of a field path such as `spec.template.spec.containers[0].name` in the
    document of `text` that holds the job `job_name`; the nearest existing parent when the field is
    missing. None when the text cannot be mapped (JSON lists, anchors, unparsable text)."""
    from kjob.yamllib import yaml

    offset = 0
    for chunk in _split_yaml(text):
        try:
            node = yaml.compose(chunk, Loader=yaml.SafeLoader)
        except yaml.YAMLError:
            node = None
        if isinstance(node, yaml.MappingNode) and _scalar_at(node, ["metadata", "name"]) == job_name:
            mark = _mark_of(
                node,
                [m.group(1) if m.group(1) is not None else m.group(2) for m in _PATH_PART.finditer(path)],
            )
            if mark is not None:
                return offset + mark.line + 1, mark.column + 1
        offset += chunk.count("\n") + 1
    return None


def _child(node: Any, part: str) -> tuple[Any, Any] | None:
    from kjob.yamllib import yaml

    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == part:
                return key, value
    if isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
        item = node.value[int(part)]
        return item, item
    return None


def _mark_of(node: Any, parts: list[str]) -> Any:
    mark = node.start_mark
    for part in parts:
        found = _child(node, part)
        if found is None:
            break
        key, node = found
        mark = key.start_mark
    return mark


def _scalar_at(node: Any, parts: list[str]) -> str | None:
    for part in parts:
        found = _child(node, part)
        if found is None:
            return None
        node = found[1]
    value = getattr(node, "value", None)
    return value if isinstance(value, str) else None
