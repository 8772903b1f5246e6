"""One function per verb over the store: they return objects and results, and never print."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from kjob import worker
from kjob.errors import AlreadyExists, BadRequest, KjobError, NotFound, PlainError, UsageError
from kjob.objects import (
    JOB_RESOURCE,
    POD_RESOURCE,
    Obj,
    format_time,
    is_deleting,
    kind_prefix,
    name_of,
    namespace_of,
    now,
    uid_of,
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


# ---------------------------------------------------------------- get / describe


def list_objects(store: Store, kind: str, namespace: str | None) -> list[Obj]:
    return store.list(kind, namespace)


def get_named(store: Store, kind: str, namespace: str, names: list[str]) -> tuple[list[Obj], list[KjobError]]:
    found: list[Obj] = []
    errors: list[KjobError] = []
    for name in names:
        obj = store.get(kind, namespace, name)
        if obj is None:
            errors.append(NotFound(SERVER_RESOURCE[kind], name))
        else:
            found.append(obj)
    return found, errors


def events_for(store: Store, obj: Obj) -> list[Obj]:
    uid = uid_of(obj)
    return [
        ev
        for ev in store.list("events", namespace_of(obj))
        if (ev.get("involvedObject") or {}).get("uid") == uid
    ]


def describe_targets(
    store: Store, kind: str, namespace: str, names: list[str]
) -> tuple[list[Obj], list[KjobError]]:
    """Objects to describe: all of a kind, or by name with kubectl's name-prefix fallback."""
    if not names:
        return store.list(kind, namespace), []
    found: list[Obj] = []
    errors: list[KjobError] = []
    everything: list[Obj] | None = None
    for name in names:
        obj = store.get(kind, namespace, name)
        if obj is not None:
            found.append(obj)
            continue
        if everything is None:
            everything = store.list(kind, namespace)
        matches = [o for o in everything if name_of(o).startswith(name)]
        if matches:
            found.extend(matches)
        else:
            errors.append(NotFound(SERVER_RESOURCE[kind], name))
    return found, errors


# ---------------------------------------------------------------- delete


def delete_jobs(store: Store, namespace: str, names: list[str]) -> list[Outcome]:
    """Background cascade: the job goes now; the worker stops and removes its pods."""
    outcomes: list[Outcome] = []
    with store.lock():
        for name in names:
            if store.delete("jobs", namespace, name):
                outcomes.append(Outcome(line=f'job.batch "{name}" deleted'))
            else:
                outcomes.append(Outcome(error=NotFound(JOB_RESOURCE, name)))
    if any(o.error is None for o in outcomes):
        worker.ensure_running(store)
    return outcomes


def delete_pods(store: Store, namespace: str, names: list[str]) -> list[Outcome]:
    """Graceful deletion: the pod gets a deletionTimestamp, the worker stops it and removes it."""
    outcomes: list[Outcome] = []
    with store.lock():
        for name in names:
            pod = store.get("pods", namespace, name)
            if pod is None:
                outcomes.append(Outcome(error=NotFound(POD_RESOURCE, name)))
                continue
            if not is_deleting(pod):
                grace = int((pod.get("spec") or {}).get("terminationGracePeriodSeconds", 30))
                pod["metadata"]["deletionTimestamp"] = format_time(now() + grace)
                pod["metadata"]["deletionGracePeriodSeconds"] = grace
                store.update("pods", pod)
            outcomes.append(Outcome(line=f'pod "{name}" deleted', obj=pod))
    if any(o.obj is not None for o in outcomes):
        worker.ensure_running(store)
    return outcomes


def wait_gone(store: Store, kind: str, namespace: str, names: list[str], timeout: float) -> list[str]:
    """Names still present when the timeout ran out (kubectl delete's --wait)."""
    deadline = time.monotonic() + timeout
    with worker.Watcher(store) as watcher:
        while True:
            left = [n for n in names if store.get(kind, namespace, n) is not None]
            remaining = deadline - time.monotonic()
            if not left or remaining <= 0:
                return left
            watcher.wait(min(remaining, 1.0))


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


@dataclass
class WaitSpec:
    condition: str  # lower-cased condition type
    value: str  # lower-cased wanted status


def parse_wait_for(text: str | None) -> WaitSpec:
    raw = text or ""
    if raw.lower().startswith("condition="):
        rest = raw[len("condition=") :]
        ctype, _, value = rest.partition("=")
        if ctype:
            return WaitSpec(ctype.lower(), (value or "true").lower())
    raise PlainError(f'unrecognized condition: "{raw}"')


def condition_met(obj: Obj, spec: WaitSpec) -> bool:
    generation = (obj.get("metadata") or {}).get("generation")
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if str(cond.get("type", "")).lower() != spec.condition:
            continue
        observed = cond.get("observedGeneration")
        if generation is not None and observed is not None and observed < generation:
            return False
        return str(cond.get("status", "")).lower() == spec.value
    return False


def wait_for_condition(
    store: Store, kind: str, namespace: str, names: list[str], spec: WaitSpec, timeout: float
) -> list[Outcome]:
    """kubectl wait: one outcome per object, sharing one timeout."""
    for name in names:
        if store.get(kind, namespace, name) is None:
            return [Outcome(error=NotFound(SERVER_RESOURCE[kind], name))]
    worker.ensure_running(store, [o for n in names if (o := store.get(kind, namespace, n)) is not None])
    deadline = time.monotonic() + timeout
    outcomes: list[Outcome] = []
    with worker.Watcher(store) as watcher:
        for name in names:
            while True:
                obj = store.get(kind, namespace, name)
                if obj is None:
                    outcomes.append(Outcome(error=NotFound(SERVER_RESOURCE[kind], name)))
                    break
                if condition_met(obj, spec):
                    outcomes.append(Outcome(line=f"{kind_prefix(obj)}/{name} condition met", obj=obj))
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    text = (
                        f"timed out waiting for the condition on {kind}/{name}"
                        if timeout > 0
                        else f"condition not met for {kind}/{name}"
                    )
                    outcomes.append(Outcome(error=PlainError(text)))
                    break
                watcher.wait(min(remaining, 2.0))
    return outcomes


# ---------------------------------------------------------------- logs


@dataclass
class LogRequest:
    pod: Obj
    container: str
    attempt: int
    notes: list[str]


def pick_log_container(
    store: Store, namespace: str, pod_name: str, container: str | None, previous: bool = False
) -> LogRequest:
    pod = store.get("pods", namespace, pod_name)
    if pod is None:
        raise PlainError(
            f'error from server (NotFound): pods "{pod_name}" not found in namespace "{namespace}"'
        )
    spec = pod.get("spec") or {}
    names = [c.get("name", "") for c in spec.get("containers") or []]
    init_names = [c.get("name", "") for c in spec.get("initContainers") or []]
    notes: list[str] = []
    if container is None:
        container = names[0] if names else ""
        if len(names) > 1 or init_names:
            listing = ", ".join([*names, *(f"{n} (init)" for n in init_names)])
            notes.append(f'Defaulted container "{container}" out of: {listing}')
    if container not in names and container not in init_names:
        raise PlainError(f"container {container} is not valid for pod {pod_name}")
    statuses = (pod.get("status") or {}).get(
        "initContainerStatuses" if container in init_names and container not in names else "containerStatuses"
    ) or []
    cs = next((s for s in statuses if s.get("name") == container), None)
    attempt = int((cs or {}).get("restartCount") or 0)
    if previous:
        if attempt == 0 or not (cs or {}).get("lastState", {}).get("terminated"):
            raise BadRequest(f'previous terminated container "{container}" in pod "{pod_name}" not found')
        attempt -= 1
    log = worker.log_path(store, pod, container, attempt)
    if not log.exists():
        state = (cs or {}).get("state") or {}
        waiting = (state.get("waiting") or {}).get("reason") or "ContainerCreating"
        if not (pod.get("spec") or {}).get("nodeName"):
            error = BadRequest(f"pod {pod_name} does not have a host assigned")
        else:
            error = BadRequest(f'container "{container}" in pod "{pod_name}" is waiting to start: {waiting}')
        # kubectl says which container it chose before it fails.
        error.message = "\n".join([*notes, error.message])
        raise error
    return LogRequest(pod, container, attempt, notes)


def read_log(store: Store, request: LogRequest) -> Iterator[bytes]:
    """The container's output, as the bytes it wrote: F records end a line, P records do not."""
    path = worker.log_path(store, request.pod, request.container, request.attempt)
    with open(path, "rb") as f:
        for raw in f:
            parts = raw.rstrip(b"\n").split(b" ", 3)
            if len(parts) < 3:
                continue
            text = parts[3] if len(parts) == 4 else b""
            yield text + b"\n" if parts[2] == b"F" else text


def default_namespace(flag: str | None) -> tuple[str, bool]:
    if flag:
        return flag, True
    env = os.environ.get("KJOB_NAMESPACE")
    return (env, True) if env else ("default", False)


def usage(message: str, command: str) -> UsageError:
    return UsageError(message, command)
