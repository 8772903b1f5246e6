"""Reading container logs: which container, which run, and the CRI records as the bytes written."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from kjob import worker
from kjob.errors import BadRequest, PlainError
from kjob.objects import (
    Obj,
)
from kjob.store import Store

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
