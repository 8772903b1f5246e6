"""kubectl wait: conditions on objects, checked each time the worker reports a change."""

from __future__ import annotations

import time
from dataclasses import dataclass

from kjob import worker
from kjob.commands import SERVER_RESOURCE, Outcome
from kjob.errors import NotFound, PlainError
from kjob.objects import (
    Obj,
    kind_prefix,
)
from kjob.store import Store


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
