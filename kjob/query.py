"""Finding the objects a command names: by name, by prefix, by kind; and their events."""

from __future__ import annotations

from kjob.commands import SERVER_RESOURCE
from kjob.errors import KjobError, NotFound
from kjob.objects import (
    Obj,
    name_of,
    namespace_of,
    uid_of,
)
from kjob.store import Store

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
