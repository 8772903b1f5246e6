"""Deleting jobs and pods as the API server and garbage collector do, the objects a command names (kubectl's
resource builder), and waiting for deleted objects to go."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import IO

from kjob import worker
from kjob.commands import Outcome, read_sources
from kjob.errors import CorruptObject, KjobError, NotFound, PlainError
from kjob.objects import (
    FOREGROUND_FINALIZER,
    SERVER_RESOURCE,
    Obj,
    format_time,
    is_deleting,
    labels_of,
    meta,
    name_of,
    namespace_of,
    now,
    parse_time,
    release_from_owner,
    resolve_resource,
    uid_of,
)
from kjob.store import Store

CASCADES = ("background", "foreground", "orphan")
# kubectl turns a wait "forever" (--timeout=0 on delete) into a week.
WEEK = 168 * 3600.0
# Waiters sleep on the worker's change notifications; this bounds a sleep in case one never comes (a worker
# that exits right after its last change, or a change another CLI wrote without a worker pass).
RECHECK = 1.0

# ---------------------------------------------------------------- the objects a command names


@dataclass
class Target:
    """One object a command acts on: named (looked up when acted on) or found by a list (`obj` set)."""

    kind: str  # "jobs" | "pods"
    namespace: str
    name: str
    source: str = ""  # the manifest it came from, for kubectl's `error when deleting "FILE": `
    obj: Obj | None = None

    @property
    def object_name(self) -> str:
        """`jobs/x`: how kubectl's wait names an object in its messages."""
        return f"{self.kind}/{self.name}"


@dataclass
class Selection:
    targets: list[Target] = field(default_factory=list)
    listed: bool = False  # found by -l/--all/--field-selector: "No resources found" when empty
    single: bool = False  # kubectl's singleItemImplied: one name, one TYPE/NAME or one file


MISSING_RESOURCE = (
    "You must provide one or more resources by argument or filename.\n"
    "Example resource specifications include:\n"
    "   '-f rsrc.yaml'\n"
    "   '--filename=rsrc.json'\n"
    "   '<resource> <name>'\n"
    "   '<resource>'"
)


def select(
    store: Store,
    args: list[str],
    namespace: str,
    namespace_explicit: bool = False,
    *,
    filenames: tuple[str, ...] = (),
    stdin: IO[str] | None = None,
    label_selector: str = "",
    field_selector: str = "",
    select_all: bool = False,
    all_names_selector: bool = False,
    all_namespaces: bool = False,
) -> Selection:
    """The objects `args`, `-f`, `-l`, `--field-selector` and `--all` name, as kubectl's builder finds them.

    `all_names_selector` is delete's reading of --all (a selector that forbids names); label and wait
    only use --all when a bare TYPE is given.
    """
    label_selector, field_selector = label_selector.strip(), field_selector.strip()
    if filenames:
        return _select_files(store, args, filenames, stdin, namespace, namespace_explicit, label_selector)
    if not args:
        raise PlainError(MISSING_RESOURCE)
    selecting = bool(label_selector or field_selector or (select_all and all_names_selector))
    if any("/" in a for a in args):
        if not all("/" in a for a in args):
            raise PlainError(
                "there is no need to specify a resource type as a separate argument when passing arguments "
                "in resource/name form (e.g. 'kjob get resource/<resource_name>' instead of "
                "'kjob get resource resource/<resource_name>'"
            )
        tuples = [_split_tuple(a) for a in args]
        if selecting:
            raise PlainError("selectors and the all flag cannot be used when passing resource/name arguments")
        if all_namespaces:
            raise PlainError("a resource cannot be retrieved by name across all namespaces")
        targets = [Target(kind, namespace, name) for kind, name in tuples]
        return Selection(targets, single=len(targets) == 1)
    kinds = [resolve_resource(t) for t in args[0].split(",") if t]
    names = args[1:]
    if not selecting and not names and select_all:
        selecting = True
    if selecting:
        if names:
            raise PlainError("name cannot be provided when a selector is specified")
        return Selection(
            _list(store, kinds, None if all_namespaces else namespace, label_selector, field_selector),
            listed=True,
        )
    if not names:
        raise PlainError("resource(s) were provided, but no name was specified")
    if all_namespaces:
        raise PlainError("a resource cannot be retrieved by name across all namespaces")
    targets = [Target(kind, namespace, name) for kind in kinds for name in names]
    return Selection(targets, single=len(targets) == 1)


def _split_tuple(arg: str) -> tuple[str, str]:
    parts = arg.split("/")
    if len(parts) != 2:
        raise PlainError("arguments in resource/name form may not have more than one slash")
    kind, name = parts
    if not kind or not name or len([t for t in kind.split(",") if t]) != 1:
        raise PlainError("arguments in resource/name form must have a single resource and name")
    return resolve_resource(kind), name


def _list(
    store: Store, kinds: list[str], namespace: str | None, label_selector: str, field_selector: str
) -> list[Target]:
    from kjob.selectors import parse_list_selectors

    targets: list[Target] = []
    for kind in kinds:
        if kind not in ("jobs", "pods"):
            raise PlainError(f"kjob does not act on {kind}")
        labels, fields = parse_list_selectors(label_selector, field_selector, kind)
        for obj in store.list(kind, namespace):
            if labels.matches(labels_of(obj)) and fields.matches(obj):
                targets.append(Target(kind, namespace_of(obj), name_of(obj), obj=obj))
    return targets


def _select_files(
    store: Store,
    args: list[str],
    filenames: tuple[str, ...],
    stdin: IO[str] | None,
    namespace: str,
    namespace_explicit: bool,
    label_selector: str,
) -> Selection:
    from kjob import manifest
    from kjob.errors import BadRequest
    from kjob.selectors import client_selector_error, parse_label_selector

    if args:
        raise PlainError(
            "when paths, URLs, or stdin is provided as input, you may not specify resource arguments as well"
        )
    wanted = None
    if label_selector:
        try:
            wanted = parse_label_selector(label_selector)
        except BadRequest as e:
            raise client_selector_error(label_selector, e) from None
    targets: list[Target] = []
    for source, text in read_sources(list(filenames), stdin):
        for doc in manifest.load_documents(text, source):
            doc_ns = str(meta(doc).get("namespace") or "")
            if namespace_explicit and doc_ns and doc_ns != namespace:
                raise PlainError(
                    f'the namespace from the provided object "{doc_ns}" does not match the namespace '
                    f"\"{namespace}\". You must pass '--namespace={doc_ns}' to perform this operation."
                )
            if wanted is not None and not wanted.matches(labels_of(doc)):
                continue
            targets.append(Target("jobs", doc_ns or namespace, name_of(doc), source=source))
    single = len(filenames) == 1 and filenames[0] != "-" and not _is_dir(filenames[0])
    return Selection(targets, single=single)


def _is_dir(path: str) -> bool:
    return os.path.isdir(path)


def not_found(target: Target, verb: str = "") -> NotFound:
    context = f'error when {verb} "{target.source}": ' if verb and target.source else ""
    return NotFound(SERVER_RESOURCE[target.kind], target.name, context)


def kind_string(kind: str) -> str:
    """`job.batch` / `pod`: kubectl's lower-cased kind with its group, as delete and -o name print it."""
    return "job.batch" if kind == "jobs" else "pod"


# ---------------------------------------------------------------- delete


@dataclass
class DeleteOptions:
    cascade: str = "background"
    grace_period: int = -1  # after kubectl's --now/--force conversions; negative: the object's own
    dry_run: str = "none"  # none | client | server
    ignore_not_found: bool = False
    output: str = ""  # "" or "name"


def deleted_line(target: Target, opts: DeleteOptions) -> str:
    kind = kind_string(target.kind)
    if opts.output == "name":
        return f"{kind}/{target.name}"
    operation = "force deleted" if opts.grace_period == 0 else "deleted"
    if opts.dry_run == "client":
        operation += " (dry run)"
    elif opts.dry_run == "server":
        operation += " (server dry run)"
    return f'{kind} "{target.name}" {operation}'


def delete(store: Store, targets: list[Target], opts: DeleteOptions) -> list[tuple[Target, Outcome]]:
    """An outcome per target, in order (none for an ignored not-found one); a found object's outcome
    carries it as it was before deletion."""
    outcomes: list[tuple[Target, Outcome]] = []
    changed = False
    for target in targets:
        if opts.dry_run == "client":
            # kubectl does not even look the object up.
            outcomes.append((target, Outcome(line=deleted_line(target, opts))))
            continue
        if not target.name:
            # client-go refuses the request before it is sent (Request.Name("")).
            error = PlainError(f'error when deleting "{target.source}": resource name may not be empty')
            outcomes.append((target, Outcome(error=error)))
            continue
        with store.lock():
            try:
                obj = store.get(target.kind, target.namespace, target.name)
            except CorruptObject as e:
                if target.kind != "jobs":
                    raise
                # A job whose file no longer parses can still go (no API server would keep one): its
                # pods, whose job is then gone, follow it as the garbage collector's.
                if opts.dry_run == "none":
                    store.delete("jobs", target.namespace, target.name)
                    changed = True
                warning = f"warning: {e.message.removeprefix('error: ')}: removing it"
                outcomes.append((target, Outcome(line=deleted_line(target, opts), warnings=[warning])))
                continue
            if obj is None:
                if not opts.ignore_not_found:
                    outcomes.append((target, Outcome(error=not_found(target, "deleting"))))
                continue
            if opts.dry_run == "none":
                if target.kind == "jobs":
                    _delete_job(store, obj, opts.cascade)
                else:
                    _delete_pod(store, obj, opts.grace_period)
                changed = True
        outcomes.append((target, Outcome(line=deleted_line(target, opts), obj=obj)))
    if changed:
        worker.ensure_running(store)
    return outcomes


def _delete_job(store: Store, job: Obj, cascade: str) -> None:
    if cascade == "foreground":
        # The garbage collector's part: the worker deletes the pods, then the job once none is left.
        if not is_deleting(job):
            job["metadata"]["deletionTimestamp"] = format_time(now())
            job["metadata"]["deletionGracePeriodSeconds"] = 0
        finalizers = list(meta(job).get("finalizers") or [])
        if FOREGROUND_FINALIZER not in finalizers:
            job["metadata"]["finalizers"] = [*finalizers, FOREGROUND_FINALIZER]
            store.update("jobs", job)
        return
    if cascade == "orphan":
        release_pods(store, job)
    if meta(job).get("finalizers"):
        # Finalizers of the user's hold it, marked for deletion, until they are all taken off (the
        # update that takes off the last one deletes it: see commands.store_update).
        if not is_deleting(job):
            job["metadata"]["deletionTimestamp"] = format_time(now())
            job["metadata"]["deletionGracePeriodSeconds"] = 0
            store.update("jobs", job)
        return
    store.delete("jobs", namespace_of(job), name_of(job))


def release_pods(store: Store, job: Obj) -> None:
    """Orphan cascade: the job's pods lose their ownerReference to it and its tracking finalizer, and
    run on as standalone pods. Called with the store lock held, in the same lock as the job's removal."""
    uid = uid_of(job)
    for pod in store.list("pods", namespace_of(job)):
        if release_from_owner(pod, uid):
            store.update("pods", pod)


def _delete_pod(store: Store, pod: Obj, grace_period: int) -> None:
    """Graceful deletion: a deletionTimestamp `grace` seconds ahead; the worker stops the pod and removes
    it. A second delete may only shorten the grace period, as the API server allows."""
    if grace_period >= 0:
        grace = grace_period
    else:
        grace = int((pod.get("spec") or {}).get("terminationGracePeriodSeconds", 30))
    t = now()
    current = parse_time(meta(pod).get("deletionTimestamp"))
    if current is not None and current <= t + grace:
        return
    pod["metadata"]["deletionTimestamp"] = format_time(t + grace)
    pod["metadata"]["deletionGracePeriodSeconds"] = grace
    store.update("pods", pod)


# ---------------------------------------------------------------- waiting for them to go


def is_gone(store: Store, target: Target, uid: str) -> bool:
    obj = store.get(target.kind, target.namespace, target.name)
    return obj is None or (bool(uid) and uid_of(obj) != uid)


def wait_deleted(store: Store, deleted: list[tuple[Target, str]], timeout: float) -> KjobError | None:
    """kubectl delete's --wait: each deleted object in turn until it is gone (by name and uid), sharing one
    timeout. The first object still there when time runs out is the error."""
    if not deleted:
        return None
    deadline = time.monotonic() + timeout
    with worker.Watcher(store) as watcher:
        for target, uid in deleted:
            while not is_gone(store, target, uid):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return PlainError(f"timed out waiting for the condition on {target.object_name}")
                watcher.wait(min(remaining, RECHECK))
    return None
