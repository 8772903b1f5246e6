"""Patch documents applied to API objects: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and
a strategic merge patch that merges the Kubernetes lists keyed by name (containers, env, ...)."""

from __future__ import annotations

import copy
from typing import Any

from kjob.errors import PlainError

# patchMergeKey of the list fields a Job or Pod carries (from the API types' struct tags).
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "ports": "containerPort",
    "imagePullSecrets": "name",
    "conditions": "type",
    "ownerReferences": "uid",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
    "resourceClaims": "name",
}
# Lists of scalars the strategic patch merges as sets.
SET_LISTS = {"finalizers"}


def merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def strategic_merge_patch(target: Any, patch: Any, field: str = "") -> Any:
    if isinstance(patch, dict):
        if patch.get("$patch") == "replace":
            return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
        result = copy.deepcopy(target) if isinstance(target, dict) else {}
        for key, value in patch.items():
            if key.startswith("$"):
                continue
            if value is None:
                result.pop(key, None)
            else:
                result[key] = strategic_merge_patch(result.get(key), value, key)
        return result
    if isinstance(patch, list):
        merge_key = MERGE_KEYS.get(field)
        if merge_key and isinstance(target, list) and all(isinstance(i, dict) for i in patch):
            return _merge_keyed_list(target, patch, merge_key)
        if field in SET_LISTS and isinstance(target, list):
            return [*target, *(v for v in patch if v not in target)]
        return copy.deepcopy(patch)
    return copy.deepcopy(patch)


def _merge_keyed_list(target: list[Any], patch: list[dict[str, Any]], key: str) -> list[Any]:
    result = copy.deepcopy(target)
    for item in patch:
        position = next(
            (i for i, old in enumerate(result) if isinstance(old, dict) and old.get(key) == item.get(key)),
            None,
        )
        if item.get("$patch") == "delete":
            if position is not None:
                del result[position]
        elif position is None:
            result.append({k: v for k, v in item.items() if k != "$patch"})
        else:
            result[position] = strategic_merge_patch(result[position], item)
    return result


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise PlainError(f'add operation does not apply: doc is missing path: "{path}": missing value')
    return [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]


def _walk(doc: Any, parts: list[str], path: str) -> Any:
    for part in parts:
        if isinstance(doc, dict) and part in doc:
            doc = doc[part]
        elif isinstance(doc, list) and part.isdigit() and int(part) < len(doc):
            doc = doc[int(part)]
        else:
            raise PlainError(f'doc is missing path: "{path}": missing value')
    return doc


def json_patch(target: Any, operations: Any) -> Any:
    if not isinstance(operations, list):
        raise PlainError("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    doc = copy.deepcopy(target)
    for op in operations:
        if not isinstance(op, dict):
            raise PlainError("json: cannot unmarshal into Go value of type jsonpatch.Operation")
        kind, path = op.get("op"), str(op.get("path", ""))
        if kind in ("move", "copy"):
            source = str(op.get("from", ""))
            value = copy.deepcopy(_walk(doc, _pointer(source), source))
            if kind == "move":
                doc = _remove(doc, source)
            doc = _add(doc, path, value)
        elif kind == "add":
            doc = _add(doc, path, copy.deepcopy(op.get("value")))
        elif kind == "remove":
            doc = _remove(doc, path)
        elif kind == "replace":
            doc = _remove(doc, path)
            doc = _add(doc, path, copy.deepcopy(op.get("value")))
        elif kind == "test":
            if _walk(doc, _pointer(path), path) != op.get("value"):
                raise PlainError(f"testing value {path} failed: test failed")
        else:
            raise PlainError(f"Unexpected kind: {kind}")
    return doc


def _add(doc: Any, path: str, value: Any) -> Any:
    parts = _pointer(path)
    if not parts:
        return value
    parent = _walk(doc, parts[:-1], path)
    last = parts[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        if last == "-":
            parent.append(value)
        elif last.isdigit() and int(last) <= len(parent):
            parent.insert(int(last), value)
        else:
            raise PlainError(f'add operation does not apply: doc is missing path: "{path}": missing value')
    else:
        raise PlainError(f'add operation does not apply: doc is missing path: "{path}": missing value')
    return doc


def _remove(doc: Any, path: str) -> Any:
    parts = _pointer(path)
    parent = _walk(doc, parts[:-1], path)
    last = parts[-1] if parts else ""
    if isinstance(parent, dict) and last in parent:
        del parent[last]
    elif isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        del parent[int(last)]
    else:
        raise PlainError(f'remove operation does not apply: doc is missing path: "{path}": missing value')
    return doc


def apply_patch(target: Any, patch: Any, patch_type: str) -> Any:
    if patch_type == "merge":
        return merge_patch(target, patch)
    if patch_type == "json":
        return json_patch(target, patch)
    return strategic_merge_patch(target, patch)
