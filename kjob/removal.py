"""Deleting jobs and pods as the API server and garbage collector do, and waiting for them to go."""

from __future__ import annotations

import time

from kjob import worker
from kjob.commands import Outcome
from kjob.errors import NotFound
from kjob.objects import (
    JOB_RESOURCE,
    POD_RESOURCE,
    format_time,
    is_deleting,
    now,
)
from kjob.store import Store

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
