"""Finding the objects a command names: resource arguments as kubectl's builder reads them, lists with
selectors, names, name prefixes, manifests; their events; and a watch over the store's changes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from kjob.errors import KjobError, NotFound, PlainError
from kjob.objects import (
    SERVER_RESOURCE,
    Obj,
    labels_of,
    name_of,
    namespace_of,
    resolve_resource,
    uid_of,
)
from kjob.store import Store

if TYPE_CHECKING:
    from kjob.selectors import FieldSelector, LabelSelector

# kubectl's `all` category, in the order discovery lists it (pods before jobs).
ALL_CATEGORY = ("pods", "jobs")
KIND_OF = {"Job": "jobs", "Pod": "pods", "Event": "events"}

NO_TYPE_NEEDED = (
    "there is no need to specify a resource type as a separate argument when passing arguments in "
    "resource/name form (e.g. 'kjob get resource/<resource_name>' instead of "
    "'kjob get resource resource/<resource_name>'"
)


# Plain classes, not dataclasses: building dataclasses costs a read command ~1 ms at start-up.
class Request:
    """One request kubectl's builder would send: a list of a kind (name None), or one named object."""

    __slots__ = ("kind", "name", "namespace")

    def __init__(self, kind: str, name: str | None = None, namespace: str | None = None) -> None:
        self.kind = kind
        self.name = name
        self.namespace = namespace


class Result:
    """What a request found: its objects (in server order) or the error it met. A list request's
    objects may be an iterator, read from the store as they are consumed (run_requests(lazy=True))."""

    __slots__ = ("error", "objects", "request")

    def __init__(self, request: Request, objects: Iterable[Obj] = (), error: KjobError | None = None) -> None:
        self.request = request
        self.objects = objects
        self.error = error


def _types(text: str) -> list[str]:
    kinds: list[str] = []
    for token in text.split(","):
        for kind in ALL_CATEGORY if token.lower() == "all" else (resolve_resource(token),):
            if kind not in kinds:
                kinds.append(kind)
    return kinds


def parse_resource_args(args: list[str], namespace: str | None) -> tuple[list[Request], bool]:
    """ResourceTypeOrNameArgs: `TYPE[,TYPE...] [NAME...]` or `TYPE/NAME...`. Returns the requests and
    whether a single object was named (then -o json/yaml print it alone, not in a List)."""
    if any("/" in a for a in args):
        if not all("/" in a for a in args):
            raise PlainError(NO_TYPE_NEEDED)
        requests = []
        for arg in args:
            kind, slash, name = arg.partition("/")
            if not slash or not kind or not name or "/" in name:
                raise PlainError("arguments in resource/name form must have a single resource and name")
            requests.append(Request(resolve_resource(kind), name, namespace))
        return requests, len(requests) == 1
    kinds = _types(args[0])
    names = args[1:]
    if not names:
        return [Request(kind, None, namespace) for kind in kinds], False
    return [Request(kind, name, namespace) for kind in kinds for name in names], len(kinds) == 1 and len(
        names
    ) == 1


def manifest_requests(paths: list[str], namespace: str, explicit: bool) -> tuple[list[Request], bool]:
    """The objects `-f` manifests name. A single file stands for a single item, as kubectl's builder says."""
    from kjob import commands, manifest

    requests = []
    for source, text in commands.read_sources(paths, None):
        for doc in manifest.load_documents(text, source):
            meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
            assert isinstance(meta, dict)
            ns = str(meta.get("namespace") or namespace)
            if explicit and meta.get("namespace") and ns != namespace:
                raise PlainError(
                    f'the namespace from the provided object "{ns}" does not match the namespace '
                    f"\"{namespace}\". You must pass '--namespace={ns}' to perform this operation."
                )
            requests.append(
                Request(KIND_OF.get(str(doc.get("kind")), "jobs"), str(meta.get("name") or ""), ns)
            )
    from pathlib import Path

    single = len(paths) == 1 and not Path(paths[0]).is_dir()
    return requests, single


class Filters:
    """-l and --field-selector, parsed once per kind (field labels differ between jobs and pods)."""

    def __init__(self, label_selector: str = "", field_selector: str = "") -> None:
        self.label_selector = label_selector
        self.field_selector = field_selector
        self._parsed: dict[str, tuple[LabelSelector, FieldSelector]] = {}

    def __bool__(self) -> bool:
        return bool(self.label_selector or self.field_selector)

    def matches(self, kind: str, obj: Obj) -> bool:
        if not self:
            return True
        if kind not in self._parsed:
            from kjob.selectors import parse_list_selectors

            self._parsed[kind] = parse_list_selectors(self.label_selector, self.field_selector, kind)
        labels, fields = self._parsed[kind]
        return labels.matches(labels_of(obj)) and (fields.empty() or fields.matches(obj))


def run_request(store: Store, req: Request, filters: Filters, lazy: bool = False) -> Result:
    """A request's objects; with `lazy`, a list request's are an iterator over the store, so that
    a reader that keeps only a row of each need not hold thousands of objects at once."""
    if req.name is None:
        objects = each_object(store, req.kind, req.namespace)
        if filters:
            objects = (o for o in objects if filters.matches(req.kind, o))
        return Result(req, objects if lazy else list(objects))
    assert req.namespace is not None
    obj = store.get(req.kind, req.namespace, req.name)
    if obj is None:
        return Result(req, error=NotFound(SERVER_RESOURCE[req.kind], req.name))
    return Result(req, [obj])


def run_requests(store: Store, requests: list[Request], filters: Filters, lazy: bool = False) -> list[Result]:
    return [run_request(store, r, filters, lazy) for r in requests]


# ---------------------------------------------------------------- get / describe helpers


def each_object(store: Store, kind: str, namespace: str | None) -> Iterator[Obj]:
    return store.each(kind, namespace)


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


# ---------------------------------------------------------------- watch


def _snapshot(store: Store, requests: list[Request], filters: Filters) -> dict[tuple[str, str, str], Obj]:
    seen: dict[tuple[str, str, str], Obj] = {}
    for result in run_requests(store, requests, filters):
        for obj in result.objects:
            seen[(result.request.kind, namespace_of(obj), name_of(obj))] = obj
    return seen


def _version(obj: Obj) -> Any:
    return (obj.get("metadata") or {}).get("resourceVersion")


def watch(
    store: Store, requests: list[Request], filters: Filters, start: list[Obj], poll: float = 2.0
) -> Iterator[tuple[str, Obj]]:
    """(ADDED|MODIFIED|DELETED, object) for every change after `start`, forever; the worker's passes wake
    it (worker.Watcher), and a slow re-list every `poll` seconds catches writes made without one."""
    from kjob import worker

    with worker.Watcher(store) as watcher:
        seen = {(KIND_OF.get(str(o.get("kind")), ""), namespace_of(o), name_of(o)): o for o in start}
        # Changes made between the caller's listing and the watcher's birth are caught by this diff.
        while True:
            current = _snapshot(store, requests, filters)
            for key, obj in current.items():
                old = seen.get(key)
                if old is None:
                    yield "ADDED", obj
                elif _version(old) != _version(obj) or old != obj:
                    yield "MODIFIED", obj
            for key, obj in seen.items():
                if key not in current:
                    yield "DELETED", obj
            seen = current
            watcher.wait(poll)
