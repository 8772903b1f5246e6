"""One function per verb over the store: they return objects and results, and never print."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from kjob import worker
from kjob.errors import AlreadyExists, BadRequest, KjobError, NotFound, PlainError, UsageError
from kjob.objects import (
    JOB_RESOURCE,
    POD_RESOURCE,
    Obj,
    kind_prefix,
    name_of,
    now,
)
from kjob.store import Store

# What a user may type for each resource, as kubectl's RESTMapper resolves it.
RESOURCE_ALIASES = {
    "jobs": "jobs",
    "job": "jobs",
    "jobs.batch": "jobs",
    "job.batch": "jobs",
    "jobs.v1.batch": "jobs",
    "pods": "pods",
    "pod": "pods",
    "po": "pods",
    "events": "events",
    "event": "events",
    "ev": "events",
}
SERVER_RESOURCE = {"jobs": JOB_RESOURCE, "pods": POD_RESOURCE, "events": "events"}
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


def resolve_resource(text: str) -> str:
    kind = RESOURCE_ALIASES.get(text.lower())
    if kind is None:
        raise PlainError(f'the server doesn\'t have a resource type "{text}"')
    return kind


@dataclass
class Outcome:
    """The result of acting on one object: a line for stdout, or an error for stderr."""

    line: str = ""
    error: KjobError | None = None
    obj: Obj | None = None
    warnings: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- create


def read_sources(paths: list[str], stdin: IO[str] | None) -> list[tuple[str, str]]:
    """(name, text) for each manifest: files, every .yaml/.yml/.json of a directory, or `-`."""
    out: list[tuple[str, str]] = []
    for path in paths:
        if path == "-":
            out.append(("STDIN", stdin.read() if stdin is not None else ""))
            continue
        p = Path(path)
        if p.is_dir():
            files = sorted(c for c in p.iterdir() if c.is_file() and c.suffix in MANIFEST_SUFFIXES)
        elif p.exists():
            files = [p]
        else:
            raise PlainError(f'the path "{path}" does not exist')
        for f in files:
            try:
                out.append((str(f), f.read_text()))
            except (OSError, UnicodeDecodeError) as e:
                raise PlainError(f"error reading {f}: {getattr(e, 'strerror', None) or e}") from e
    return out


def create_from_sources(
    store: Store, sources: list[tuple[str, str]], namespace: str, namespace_explicit: bool
) -> list[Outcome]:
    from kjob import manifest

    outcomes: list[Outcome] = []
    for source, text in sources:
        try:
            docs = manifest.load_documents(text, source)
        except KjobError as e:
            outcomes.append(Outcome(error=e))
            continue
        for doc in docs:
            outcomes.append(_create_one(store, manifest, doc, source, namespace, namespace_explicit))
    if not outcomes:
        outcomes.append(Outcome(error=PlainError("no objects passed to create")))
    if any(o.obj is not None for o in outcomes):
        worker.ensure_running(store)
    return outcomes


def _create_one(
    store: Store, manifest: Any, doc: Obj, source: str, namespace: str, explicit: bool
) -> Outcome:
    context = f'error when creating "{source}": '
    try:
        manifest.check_fields(doc, source, cache_dir=str(store.home / "cache"))
        job = manifest.prepare_job(doc, namespace, now(), namespace_explicit=explicit, context=context)
        manifest.validate_job_or_raise(job)
        with store.lock():
            store.create("jobs", job)
    except AlreadyExists as e:
        return Outcome(error=AlreadyExists(e.resource, e.name, context))
    except KjobError as e:
        return Outcome(error=e)
    warnings = [
        f'Warning: container "{c}" has no command: kjob runs containers on this machine, without the '
        "image's entrypoint, so it cannot start"
        for c in manifest.missing_command_containers(job)
    ]
    return Outcome(line=f"{kind_prefix(job)}/{name_of(job)} created", obj=job, warnings=warnings)


# ---------------------------------------------------------------- patch

PATCH_TYPES = ("json", "merge", "strategic")


def parse_patch(text: str) -> Any:
    """A patch given with -p: JSON, or YAML as kubectl also accepts."""
    import json

    try:
        return json.loads(text)
    except ValueError:
        pass
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise PlainError(f'unable to parse "{text}": {str(e).splitlines()[0]}') from e


def patch_job(store: Store, namespace: str, name: str, text: str, patch_type: str) -> Outcome:
    """Apply a patch to a job as the API server would: status ignored, immutable fields refused."""
    import copy

    from kjob import manifest, patches

    if patch_type not in PATCH_TYPES:
        raise PlainError(f'--type must be one of [json merge strategic], not "{patch_type}"')
    patch = parse_patch(text)
    with store.lock():
        old = store.get("jobs", namespace, name)
        if old is None:
            return Outcome(error=NotFound(JOB_RESOURCE, name))
        new = patches.apply_patch(old, patch, patch_type)
        if not isinstance(new, dict):
            raise PlainError("the patch must result in an object")
        # status has its own subresource; identity fields are the server's.
        new["status"] = copy.deepcopy(old.get("status") or {})
        new_meta = new.setdefault("metadata", {})
        for key in ("name", "namespace", "uid", "creationTimestamp", "generation", "resourceVersion"):
            if key in (old.get("metadata") or {}):
                new_meta[key] = old["metadata"][key]
        try:
            manifest.check_fields(new, name, verb="patching", cache_dir=str(store.home / "cache"))
        except BadRequest as e:
            return Outcome(error=BadRequest(e.text))
        manifest.default_job_update(new)
        causes = manifest.validate_job_update(old, new) + manifest.validate_job(new)
        if causes:
            from kjob.errors import Invalid

            return Outcome(error=Invalid("Job", name, list(dict.fromkeys(causes))))
        if new == old:
            return Outcome(line=f"job.batch/{name} patched (no change)", obj=old)
        if new.get("spec") != old.get("spec"):
            new_meta["generation"] = int(new_meta.get("generation") or 1) + 1
        store.update("jobs", new)
    worker.ensure_running(store)
    return Outcome(line=f"job.batch/{name} patched", obj=new)


# ---------------------------------------------------------------- wait


_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")


def parse_duration(text: str) -> float:
    """A Go duration (`60s`, `1m30s`, `500ms`, `0`) in seconds."""
    value = text.strip()
    if value in ("0", "+0", "-0"):
        return 0.0
    sign = -1.0 if value.startswith("-") else 1.0
    body = value.lstrip("+-")
    pos, total = 0, 0.0
    units = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
    while pos < len(body):
        m = _DURATION.match(body, pos)
        if not m:
            raise ValueError(f'time: invalid duration "{text}"')
        total += float(m.group(1)) * units[m.group(2)]
        pos = m.end()
    if not body:
        raise ValueError(f'time: invalid duration "{text}"')
    return sign * total


def default_namespace(flag: str | None) -> tuple[str, bool]:
    if flag:
        return flag, True
    env = os.environ.get("KJOB_NAMESPACE")
    return (env, True) if env else ("default", False)


def usage(message: str, command: str) -> UsageError:
    return UsageError(message, command)
