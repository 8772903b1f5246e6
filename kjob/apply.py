"""kubectl's client-side apply: the last-applied-configuration annotation, the three-way strategic merge
patch of last-applied, live and new configuration, and apply/create over the store."""

from __future__ import annotations

import copy
import json
from typing import Any

from kjob import commands, patches, worker
from kjob.commands import Outcome
from kjob.errors import AlreadyExists, BadRequest, Invalid, KjobError, PlainError
from kjob.objects import Obj, is_deleting, name_of, now
from kjob.store import Store

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"

# Go's encoding/json escapes these even in compact output (HTML safety, JS line separators).
_GO_ESCAPES = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)


def go_json(value: Any, indent: int | None = None, sort_keys: bool = True) -> str:
    """json.Marshal (compact) or MarshalIndent: Go's escaping, keys sorted as a Go map's are."""
    separators = (",", ":") if indent is None else (",", ": ")
    text = json.dumps(value, indent=indent, separators=separators, sort_keys=sort_keys, ensure_ascii=False)
    for ch, esc in _GO_ESCAPES:
        text = text.replace(ch, esc)
    return text


def _annotations(obj: Obj) -> dict[str, Any]:
    meta = obj.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    return annotations if isinstance(annotations, dict) else {}


def last_applied(obj: Obj) -> str:
    """util.GetModifiedConfiguration for an unstructured object: the object without its own
    last-applied annotation (but with an `annotations` map, even an empty one), as compact JSON
    with the newline json.Encoder ends it with."""
    doc = copy.deepcopy(obj)
    meta = doc.setdefault("metadata", {})
    annotations = dict(_annotations(doc))
    annotations.pop(LAST_APPLIED, None)
    meta["annotations"] = annotations
    return go_json(doc) + "\n"


def with_last_applied(obj: Obj, value: str | None = None) -> Obj:
    """A copy of obj carrying the annotation (computed from obj unless given)."""
    text = last_applied(obj) if value is None else value
    doc = copy.deepcopy(obj)
    meta = doc.setdefault("metadata", {})
    annotations = dict(_annotations(doc))
    annotations[LAST_APPLIED] = text
    meta["annotations"] = annotations
    return doc


def original_configuration(live: Obj) -> Obj | None:
    """The last-applied configuration stored on a live object, or None without one."""
    text = _annotations(live).get(LAST_APPLIED)
    if not isinstance(text, str) or not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


# ---------------------------------------------------------------- three-way strategic merge

_DELETE_FROM = "$deleteFromPrimitiveList/"
# apply.go's warning; kubectl names itself (its cmdBaseName) where this names kjob.
_MISSING_ANNOTATION = (
    "Warning: resource {object} is missing the {annotation} annotation which is required by {cmd} apply. "
    "{cmd} apply should only be used on resources created declaratively by either {cmd} create --save-config "
    "or {cmd} apply. The missing annotation will be patched automatically."
)


def _same(a: Any, b: Any) -> bool:
    # Python's True == 1 and 1 == 1.0 would hide a changed type.
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _keyed(items: Any, key: str) -> bool:
    return isinstance(items, list) and all(isinstance(i, dict) and key in i for i in items)


def _deletions(original: Obj, modified: Obj) -> Obj:
    """What the user removed from their configuration since the last apply (IgnoreChangesAndAdditions)."""
    patch: Obj = {}
    for key, old in original.items():
        if key not in modified:
            patch[key] = None
            continue
        new = modified[key]
        if isinstance(old, dict) and isinstance(new, dict):
            sub = _deletions(old, new)
            if sub:
                patch[key] = sub
        elif isinstance(old, list) and isinstance(new, list):
            merge_key = patches.MERGE_KEYS.get(key)
            if merge_key and _keyed(old, merge_key) and _keyed(new, merge_key):
                by_key = {json.dumps(i[merge_key]): i for i in new}
                items: list[Any] = []
                for item in old:
                    match = by_key.get(json.dumps(item[merge_key]))
                    if match is None:
                        items.append({merge_key: item[merge_key], "$patch": "delete"})
                    else:
                        sub = _deletions(item, match)
                        if sub:
                            items.append({merge_key: item[merge_key], **sub})
                if items:
                    patch[key] = items
            elif key in patches.SET_LISTS:
                removed = [v for v in old if v not in new]
                if removed:
                    patch[_DELETE_FROM + key] = removed
    return patch


def _delta(current: Obj, modified: Obj) -> Obj:
    """Changes and additions from the live object to the new configuration (IgnoreDeletions)."""
    patch: Obj = {}
    for key, new in modified.items():
        if key not in current:
            if new is not None:
                patch[key] = copy.deepcopy(new)
            continue
        old = current[key]
        if new is None:
            patch[key] = None
        elif isinstance(old, dict) and isinstance(new, dict):
            sub = _delta(old, new)
            if sub:
                patch[key] = sub
        elif isinstance(old, list) and isinstance(new, list):
            merge_key = patches.MERGE_KEYS.get(key)
            if merge_key and _keyed(old, merge_key) and _keyed(new, merge_key):
                by_key = {json.dumps(i[merge_key]): i for i in old}
                items: list[Any] = []
                for item in new:
                    match = by_key.get(json.dumps(item[merge_key]))
                    if match is None:
                        items.append(copy.deepcopy(item))
                    else:
                        sub = _delta(match, item)
                        if sub:
                            items.append({merge_key: item[merge_key], **sub})
                if items:
                    patch[key] = items
            elif key in patches.SET_LISTS:
                added = [v for v in new if v not in old]
                if added:
                    patch[key] = added
            elif not _same(old, new):
                patch[key] = copy.deepcopy(new)
        elif not _same(old, new):
            patch[key] = copy.deepcopy(new)
    return patch


def _merge(a: Any, b: Any, field: str = "") -> Any:
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for key, value in b.items():
            out[key] = _merge(out[key], value, key) if key in out else value
        return out
    merge_key = patches.MERGE_KEYS.get(field)
    if merge_key and _keyed(a, merge_key) and _keyed(b, merge_key):
        merged = list(a)
        for item in b:
            at = next((i for i, x in enumerate(merged) if _same(x[merge_key], item[merge_key])), None)
            if at is None:
                merged.append(item)
            else:
                merged[at] = _merge(merged[at], item)
        return merged
    return b


def three_way_patch(original: Obj | None, modified: Obj, current: Obj) -> Obj:
    """CreateThreeWayMergePatch as kubectl computes it for built-in types (without the ordering
    directives, which do not change the result kjob stores)."""
    deletions = _deletions(original, modified) if original is not None else {}
    return _merge(deletions, _delta(current, modified))


def apply_strategic(target: Obj, patch: Obj) -> Obj:
    """The patch applied to the live object, including deletions from lists of scalars."""
    result = patches.strategic_merge_patch(target, patch)
    _delete_from_primitive_lists(result, patch)
    return result  # type: ignore[no-any-return]


def _delete_from_primitive_lists(target: Any, patch: Any) -> None:
    if not isinstance(target, dict) or not isinstance(patch, dict):
        return
    for key, value in patch.items():
        if key.startswith(_DELETE_FROM):
            field = key[len(_DELETE_FROM) :]
            if isinstance(target.get(field), list):
                target[field] = [v for v in target[field] if v not in value]
        elif isinstance(value, dict):
            _delete_from_primitive_lists(target.get(key), value)


# ---------------------------------------------------------------- kjob apply over the store


def apply_from_sources(
    store: Store,
    sources: list[tuple[str, str]],
    namespace: str,
    namespace_explicit: bool,
    dry_run: str = commands.DRY_RUN_NONE,
    validation: str = commands.VALIDATE_STRICT,
    server_side: bool = False,
) -> list[Outcome]:
    """kubectl apply -f: each Job created, configured or left unchanged, each on its own."""
    from kjob import manifest

    outcomes: list[Outcome] = []
    for source, doc in commands.each_document(sources):
        if isinstance(doc, Outcome):
            outcomes.append(doc)
            continue
        try:
            outcome = _apply_one(
                store, manifest, doc, source, namespace, namespace_explicit, dry_run, validation, server_side
            )
        except KjobError as e:
            outcome = Outcome(error=e)
        outcomes.append(outcome)
    if not outcomes:
        outcomes.append(Outcome(error=PlainError("no objects passed to apply")))
    if dry_run == commands.DRY_RUN_NONE and any(o.obj is not None for o in outcomes):
        worker.ensure_running(store)
    return outcomes


def _apply_one(
    store: Store,
    manifest: Any,
    doc: Obj,
    source: str,
    namespace: str,
    explicit: bool,
    dry_run: str,
    validation: str,
    server_side: bool,
) -> Outcome:
    # The builder fills in the namespace (refusing a contradicting --namespace) before anything else.
    probe = manifest.prepare_job(doc, namespace, now(), namespace_explicit=explicit)
    ns = commands.name_space(probe)
    doc = copy.deepcopy(doc)
    meta = doc.setdefault("metadata", {})
    meta["namespace"] = ns
    name = str(meta.get("name") or "")
    if not name and meta.get("generateName"):
        raise PlainError(f"from {meta['generateName']}: cannot use generate name with apply")
    suffix = commands.dry_run_suffix(dry_run)
    if server_side:
        return _server_side_apply(store, manifest, doc, source, ns, name, dry_run, validation)
    modified = with_last_applied(doc)
    with store.lock():
        live = store.get("jobs", ns, name)
        if live is None:
            return _create(store, manifest, modified, source, ns, dry_run, validation)
        if dry_run == commands.DRY_RUN_CLIENT:
            # kubectl neither diffs nor sends anything for an existing object on a client dry run.
            return Outcome(line=f"job.batch/{name} configured{suffix}", obj=modified)
        warnings: list[str] = []
        if LAST_APPLIED not in _annotations(live):
            warnings.append(
                _MISSING_ANNOTATION.format(object=f"jobs/{name}", annotation=LAST_APPLIED, cmd="kjob")
            )
        patch = three_way_patch(original_configuration(live), modified, live)
        if not patch:
            return Outcome(line=f"job.batch/{name} unchanged{suffix}", obj=live, warnings=warnings)
        new = apply_strategic(live, patch)
        context = (
            f"error when applying patch:\n{go_json(patch)}\nto:\n"
            f'Resource: "batch/v1, Resource=jobs", GroupVersionKind: "batch/v1, Kind=Job"\n'
            f'Name: "{name}", Namespace: "{ns}"\nfor: "{source}": '
        )
        try:
            warnings += commands.check_fields(manifest, new, source, "patching", validation)
        except BadRequest as e:
            return Outcome(error=BadRequest(e.text, context), warnings=warnings)
        error = _update(store, manifest, live, new, dry_run)
        if error is not None:
            return Outcome(error=error, warnings=warnings)
        if is_deleting(live):
            warnings.append(f"Warning: Detected changes to resource {name} which is currently being deleted.")
        return Outcome(line=f"job.batch/{name} configured{suffix}", obj=new, warnings=warnings)


def _create(
    store: Store,
    manifest: Any,
    modified: Obj,
    source: str,
    ns: str,
    dry_run: str,
    validation: str,
) -> Outcome:
    """The object does not exist yet: create it with its annotation, skipping the three-way merge."""
    name = name_of(modified)
    suffix = commands.dry_run_suffix(dry_run)
    if dry_run == commands.DRY_RUN_CLIENT:
        return Outcome(line=f"job.batch/{name} created{suffix}", obj=modified)
    context = f'error when creating "{source}": '
    try:
        warnings = commands.check_fields(manifest, modified, source, "creating", validation)
        job = manifest.prepare_job(modified, ns, now(), context=context)
        manifest.validate_job_or_raise(job)
        if dry_run == commands.DRY_RUN_NONE:
            store.create("jobs", job)
    except AlreadyExists as e:
        return Outcome(error=AlreadyExists(e.resource, e.name, context))
    except KjobError as e:
        return Outcome(error=e)
    return Outcome(line=f"job.batch/{name} created{suffix}", obj=job, warnings=warnings)


def _update(store: Store, manifest: Any, live: Obj, new: Obj, dry_run: str) -> KjobError | None:
    """The API server's side of a patch of a Job: status and identity kept, defaults, immutable fields."""
    new["status"] = copy.deepcopy(live.get("status") or {})
    new_meta = new.setdefault("metadata", {})
    live_meta = live.get("metadata") or {}
    for key in ("name", "namespace", "uid", "creationTimestamp", "generation", "resourceVersion"):
        if key in live_meta:
            new_meta[key] = live_meta[key]
    manifest.default_job_update(new)
    causes = manifest.validate_job_update(live, new) + manifest.validate_job(new)
    if causes:
        return Invalid("Job", name_of(new), list(dict.fromkeys(causes)))
    if new.get("spec") != live.get("spec"):
        new_meta["generation"] = int(new_meta.get("generation") or 1) + 1
    if dry_run == commands.DRY_RUN_NONE:
        commands.store_update(store, new)
    return None


def _server_side_apply(
    store: Store,
    manifest: Any,
    doc: Obj,
    source: str,
    ns: str,
    name: str,
    dry_run: str,
    validation: str,
) -> Outcome:
    """--server-side without field managers: the manifest merged over the live object (kjob keeps no
    managedFields, so fields dropped from a manifest stay on the object)."""
    suffix = commands.dry_run_suffix(dry_run)
    with store.lock():
        live = store.get("jobs", ns, name)
        if live is None:
            outcome = _create(store, manifest, doc, source, ns, dry_run, validation)
            if outcome.error is None:
                outcome.line = f"job.batch/{name} serverside-applied{suffix}"
            return outcome
        new = apply_strategic(live, doc)
        try:
            warnings = commands.check_fields(manifest, new, source, "patching", validation)
        except BadRequest as e:
            return Outcome(error=BadRequest(e.text))
        error = _update(store, manifest, live, new, dry_run)
        if error is not None:
            return Outcome(error=error, warnings=warnings)
    return Outcome(line=f"job.batch/{name} serverside-applied{suffix}", obj=new, warnings=warnings)
