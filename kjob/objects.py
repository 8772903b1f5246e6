"""Helpers over API objects (plain dicts in the Kubernetes JSON shape): resource names, namespaces,
labels, selectors, conditions and time stamps."""

from __future__ import annotations

import functools
import math
import os
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from kjob.errors import PlainError

Obj = dict[str, Any]

# Resource names as the API server spells them in messages (`jobs.batch "x" not found`).
JOB_RESOURCE = "jobs.batch"
POD_RESOURCE = "pods"
SERVER_RESOURCE = {"jobs": JOB_RESOURCE, "pods": POD_RESOURCE, "events": "events"}

# What a user may type for each resource, as kubectl's RESTMapper resolves it.
RESOURCE_ALIASES = {
    "jobs": "jobs",
    "job": "jobs",
    "jobs.batch": "jobs",
    "job.batch": "jobs",
    "jobs.v1.batch": "jobs",
    "job.v1.batch": "jobs",
    "pods": "pods",
    "pod": "pods",
    "po": "pods",
    "pods.v1.": "pods",  # resource.version.group, the group being the core one: ""
    "pod.v1.": "pods",
    "events": "events",
    "event": "events",
    "ev": "events",
    "events.v1.": "events",
    "event.v1.": "events",
}

JOB_NAME_LABEL = "batch.kubernetes.io/job-name"
LEGACY_JOB_NAME_LABEL = "job-name"
CONTROLLER_UID_LABEL = "batch.kubernetes.io/controller-uid"
LEGACY_CONTROLLER_UID_LABEL = "controller-uid"
COMPLETION_INDEX_KEY = "batch.kubernetes.io/job-completion-index"
TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking"
# The garbage collector's: the owner goes once its dependents have (kubectl delete --cascade=foreground).
FOREGROUND_FINALIZER = "foregroundDeletion"

# The API server's generateName alphabet (apimachinery util/rand): no vowels, no y, 0, 1, 3.
NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
GENERATED_SUFFIX_LEN = 5
MAX_GENERATED_PREFIX = 58


# ---------------------------------------------------------------- resources and namespaces


def resolve_resource(text: str) -> str:
    """The kind ("jobs", "pods" or "events") a resource argument names."""
    kind = RESOURCE_ALIASES.get(text.lower())
    if kind is None:
        raise PlainError(f'the server doesn\'t have a resource type "{text}"')
    return kind


def default_namespace(flag: str | None) -> tuple[str, bool]:
    """The namespace a command works in, and whether it was asked for (-n, or KJOB_NAMESPACE)."""
    if flag:
        return flag, True
    env = os.environ.get("KJOB_NAMESPACE")
    return (env, True) if env else ("default", False)


# ---------------------------------------------------------------- time


def now() -> float:
    return time.time()


def format_time(ts: float) -> str:
    """RFC 3339 at second precision in UTC, as metav1.Time serialises."""
    return _format_second(math.floor(ts))


@functools.lru_cache(maxsize=64)
def _format_second(second: int) -> str:
    # The worker stamps a pod's conditions, states and events with the same few seconds, over and over.
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second))


def format_time_nano(ts_ns: int) -> str:
    """RFC 3339 with nine fractional digits, the fixed width the kubelet's log lines use."""
    sec, frac = divmod(ts_ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec)) + f".{frac:09d}Z"


def parse_time(text: str | None) -> float | None:
    """Seconds since the epoch for an RFC 3339 string; None for an absent or unparsable one."""
    if not text or not isinstance(text, str):
        return None
    # metav1.Time is always UTC (`Z`); a stamp without a zone would depend on the local one.
    return _parse_utc_time(text) if text.endswith("Z") else _parse_time(text)


def _parse_time(text: str) -> float | None:
    try:
        value = text.replace("Z", "+00:00")
        if "." in value:
            # Python before 3.11 accepts at most six fractional digits.
            head, _, rest = value.partition(".")
            digits = "".join(ch for ch in rest if ch.isdigit())
            zone = rest[len(digits) :]
            value = f"{head}.{digits[:6].ljust(6, '0')}{zone}"
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        return None


# Objects made together share their time stamps: a table of thousands parses few distinct ones.
_parse_utc_time = functools.lru_cache(maxsize=4096)(_parse_time)


def utc_datetime(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=timezone.utc)


# ---------------------------------------------------------------- records


class Record:
    """A dataclass's __eq__ and __repr__, for a plain class that lists its fields in __slots__. The
    worker's modules (its decisions, run specs, cgroups) use these, not dataclasses: importing
    dataclasses (inspect, ast, dis, ...) and building a class with it cost a worker ~10 ms before its
    first container started."""

    __slots__: tuple[str, ...] = ()
    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value: as a dataclass's

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and all(
            getattr(self, n) == getattr(other, n) for n in self.__slots__
        )

    def __repr__(self) -> str:
        fields = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__slots__)
        return f"{type(self).__name__}({fields})"


# ---------------------------------------------------------------- names


# Random bytes for uids, drawn 4 KiB at a time: the worker makes five uids a pod (the pod and four
# events), and a getrandom() each was ~7 us of the ~50 an event costs it. A forked child starts with
# none, so no two processes can hand out the same bytes.
_RANDOM = bytearray()


def _forget_random() -> None:
    _RANDOM.clear()


os.register_at_fork(after_in_child=_forget_random)


def new_uid() -> str:
    if len(_RANDOM) < 16:
        _RANDOM[:] = os.urandom(4096)
    b = _RANDOM[-16:]
    del _RANDOM[-16:]
    b[6] = (b[6] & 0x0F) | 0x40  # version 4
    b[8] = (b[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def random_suffix(length: int = GENERATED_SUFFIX_LEN) -> str:
    raw = os.urandom(length)
    return "".join(NAME_ALPHABET[b % len(NAME_ALPHABET)] for b in raw)


def generate_name(prefix: str) -> str:
    """The API server's generateName: the prefix cut to 58 characters, then 5 random characters."""
    return prefix[:MAX_GENERATED_PREFIX] + random_suffix()


def clone(value: Any) -> Any:
    """A deep copy of JSON data (dicts, lists and scalars): what copy.deepcopy does for it, three times
    faster (the worker copies a pod's status on every look at it)."""
    kind = type(value)
    if kind is dict:
        return {k: clone(v) for k, v in value.items()}
    if kind is list:
        return [clone(v) for v in value]
    return value


# ---------------------------------------------------------------- metadata accessors


def meta(obj: Mapping[str, Any]) -> Obj:
    m = obj.get("metadata")
    return m if isinstance(m, dict) else {}


def name_of(obj: Mapping[str, Any]) -> str:
    return str(meta(obj).get("name", ""))


def namespace_of(obj: Mapping[str, Any]) -> str:
    return str(meta(obj).get("namespace") or "default")


def uid_of(obj: Mapping[str, Any]) -> str:
    return str(meta(obj).get("uid", ""))


def labels_of(obj: Mapping[str, Any]) -> dict[str, str]:
    labels = meta(obj).get("labels")
    return labels if isinstance(labels, dict) else {}


def controller_ref(obj: Mapping[str, Any]) -> Obj | None:
    for ref in meta(obj).get("ownerReferences") or []:
        if isinstance(ref, dict) and ref.get("controller"):
            return ref
    return None


def is_deleting(obj: Mapping[str, Any]) -> bool:
    return bool(meta(obj).get("deletionTimestamp"))


# ---------------------------------------------------------------- selectors


def selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """A metav1.LabelSelector against a label set. An empty selector matches everything."""
    if not selector:
        return True
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for req in selector.get("matchExpressions") or []:
        key, op, values = req.get("key"), req.get("operator"), req.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def selector_string(selector: Mapping[str, Any] | None) -> str:
    """A label selector as kubectl renders it: requirements sorted by key, joined by commas."""
    if not selector:
        return ""
    reqs: list[tuple[str, str]] = []
    for key, value in (selector.get("matchLabels") or {}).items():
        reqs.append((key, f"{key}={value}"))
    for req in selector.get("matchExpressions") or []:
        key, op = req.get("key", ""), req.get("operator")
        values = ",".join(sorted(req.get("values") or []))
        if op == "In":
            reqs.append((key, f"{key} in ({values})"))
        elif op == "NotIn":
            reqs.append((key, f"{key} notin ({values})"))
        elif op == "Exists":
            reqs.append((key, key))
        elif op == "DoesNotExist":
            reqs.append((key, f"!{key}"))
    return ",".join(text for _, text in sorted(reqs, key=lambda r: r[0]))


# ---------------------------------------------------------------- conditions


def find_condition(obj: Mapping[str, Any], ctype: str) -> Obj | None:
    """The first condition of that type, which is the one the API's printers look at."""
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") == ctype:
            return cond
    return None


def has_condition(obj: Mapping[str, Any], ctype: str) -> bool:
    cond = find_condition(obj, ctype)
    return cond is not None and cond.get("status") == "True"


def make_condition(ctype: str, status: str, reason: str, message: str, at: float) -> Obj:
    stamp = format_time(at)
    return {
        "type": ctype,
        "status": status,
        "lastProbeTime": stamp,
        "lastTransitionTime": stamp,
        "reason": reason,
        "message": message,
    }


def is_job_finished(job: Mapping[str, Any]) -> bool:
    return has_condition(job, "Complete") or has_condition(job, "Failed")


def job_needs_worker(job: Mapping[str, Any]) -> bool:
    """Whether the worker has anything to do for this job (else it may exit). Here, not in the
    controller, so that reading commands can ask without importing the controller."""
    if is_deleting(job):
        return awaits_collection(job)
    spec = job.get("spec") or {}
    if is_job_finished(job):
        return spec.get("ttlSecondsAfterFinished") is not None
    return not spec.get("suspend") or bool((job.get("status") or {}).get("active"))


def awaits_collection(job: Mapping[str, Any]) -> bool:
    """Whether a job marked for deletion is the worker's to remove: its pods first (foreground
    deletion), or it alone, with no finalizer left (which no API server would keep). One that only
    finalizers of the user's hold waits on them."""
    finalizers = meta(job).get("finalizers") or []
    return not finalizers or FOREGROUND_FINALIZER in finalizers


def container_named(pod: Mapping[str, Any], name: str) -> Obj | None:
    """A container of the pod's spec, regular or init, by name."""
    spec = pod.get("spec") or {}
    for container in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]:
        if container.get("name") == name:
            return container  # type: ignore[no-any-return]
    return None


def pod_is_terminal(pod: Mapping[str, Any]) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def has_running_container(pod: Mapping[str, Any]) -> bool:
    status = pod.get("status") or {}
    return any(
        "running" in (cs.get("state") or {})
        for key in ("initContainerStatuses", "containerStatuses")
        for cs in status.get(key) or ()
    )


def pod_is_stopping(pod: Mapping[str, Any]) -> bool:
    """A pod the kubelet failed (its activeDeadlineSeconds passed) whose containers are still being
    stopped: terminal already, and still the kubelet's until they have ended. (Only that one: the
    phase of any other failed pod is settled, whatever its sidecars still do.)"""
    status = pod.get("status") or {}
    return (
        status.get("phase") == "Failed"
        and status.get("reason") == "DeadlineExceeded"
        and has_running_container(pod)
    )


def drop_tracking_finalizer(pod: Obj) -> list[str]:
    """Take the job-tracking finalizer off a pod (the key goes when no finalizer is left, as the API
    server omits an empty list); the finalizers that are left."""
    left = [f for f in meta(pod).get("finalizers") or [] if f != TRACKING_FINALIZER]
    if left:
        pod.setdefault("metadata", {})["finalizers"] = left
    else:
        pod.setdefault("metadata", {}).pop("finalizers", None)
    return left


def release_from_owner(pod: Obj, owner_uid: str) -> bool:
    """Take a pod from its owner: its ownerReference to `owner_uid` goes (the key too when none is
    left) and so does its tracking finalizer; it runs on as a pod of its own. False if it had no
    reference to that owner, and is left as it was."""
    refs = meta(pod).get("ownerReferences") or []
    kept = [r for r in refs if not (isinstance(r, dict) and r.get("uid") == owner_uid)]
    if len(kept) == len(refs):
        return False
    if kept:
        pod["metadata"]["ownerReferences"] = kept
    else:
        pod["metadata"].pop("ownerReferences", None)
    drop_tracking_finalizer(pod)
    return True


def needs_worker(obj: Mapping[str, Any]) -> bool:
    """Whether an object a command has read leaves the worker something to do: an unfinished job,
    a pod still running, a job or pod being deleted (the test worker.has_work applies to each)."""
    kind = obj.get("kind")
    if kind == "Job":
        return job_needs_worker(obj)
    if kind == "Pod":
        return not pod_is_terminal(obj) or is_deleting(obj)
    return False


# ---------------------------------------------------------------- index sets


def parse_indexes(text: str | None) -> set[int]:
    out: set[int] = set()
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            lo, hi = part.split("-", 1)
            out.update(range(int(lo), int(hi) + 1))
        else:
            out.add(int(part))
    return out


def format_indexes(indexes: set[int]) -> str:
    """Kubernetes' interval format: runs of three or more as `a-b`, pairs as `a,b` (`1,3-5,7`)."""
    ordered = sorted(indexes)
    parts: list[str] = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        if j - i >= 2:
            parts.append(f"{ordered[i]}-{ordered[j]}")
        else:
            parts.extend(str(x) for x in ordered[i : j + 1])
        i = j + 1
    return ",".join(parts)


# ---------------------------------------------------------------- kinds


def kind_resource(obj: Mapping[str, Any]) -> str:
    """`jobs.batch` or `pods`: the resource as the server names it in messages."""
    return JOB_RESOURCE if obj.get("kind") == "Job" else POD_RESOURCE


def kind_prefix(obj: Mapping[str, Any]) -> str:
    """`job.batch` or `pod`: the `-o name` and `created` form."""
    return "job.batch" if obj.get("kind") == "Job" else "pod"
