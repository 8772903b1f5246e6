"""kjob run: create jobs from a manifest, stream every container's output as it is written, and report
how each job ended. Validation errors point at the line and column of the manifest."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kjob import containerlog, worker
from kjob.errors import AlreadyExists, APIError, Invalid, KjobError, NotFound, PlainError
from kjob.objects import (
    JOB_RESOURCE,
    Obj,
    controller_ref,
    find_condition,
    has_condition,
    name_of,
    now,
    parse_time,
    uid_of,
)
from kjob.store import Store

_UNKNOWN_FIELD = re.compile(r'unknown field "([^"]+)"')


class RunFailed(KjobError):
    """Validation or creation failed; the message holds one located line per problem."""


@dataclass
class Located:
    source: str
    line: int | None
    column: int | None
    text: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}:{self.column}" if self.line else self.source
        return f"{where}: {self.text}"


def _locate(text: str, source: str, job_name: str, cause: str) -> Located:
    from kjob import manifest

    path = cause.split(":", 1)[0].strip()
    spot = manifest.locate_field(text, job_name, path) if path and " " not in path else None
    line, column = spot if spot else (None, None)
    return Located(source, line, column, cause)


def prepare_jobs(store: Store, sources: list[tuple[str, str]], namespace: str, explicit: bool) -> list[Obj]:
    """Every job of the manifests, validated as the API server would; all problems reported at once."""
    from kjob import manifest

    problems: list[Located] = []
    jobs: list[Obj] = []
    for source, text in sources:
        try:
            docs = manifest.load_documents(text, source)
        except KjobError as e:
            problems.append(Located(source, None, None, e.message.removeprefix("error: ")))
            continue
        for doc in docs:
            name = str((doc.get("metadata") or {}).get("name", ""))
            try:
                manifest.check_fields(doc, source)
                job = manifest.prepare_job(doc, namespace, now(), namespace_explicit=explicit)
                manifest.validate_job_or_raise(job)
            except Invalid as e:
                problems.extend(_locate(text, source, name, cause) for cause in e.causes)
                continue
            except APIError as e:
                fields = _UNKNOWN_FIELD.findall(e.text)
                if fields:
                    problems.extend(_locate(text, source, name, f"{f}: unknown field") for f in fields)
                else:
                    problems.append(Located(source, None, None, e.text))
                continue
            except KjobError as e:
                problems.append(Located(source, None, None, e.message.removeprefix("error: ")))
                continue
            jobs.append(job)
    if not jobs and not problems:
        raise PlainError("no objects passed to run")  # as create and apply say it
    if problems:
        raise RunFailed("\n".join(str(p).removeprefix(": ") for p in problems))
    return jobs


def create_jobs(store: Store, jobs: list[Obj]) -> None:
    with store.lock():
        for job in jobs:
            if store.get("jobs", job["metadata"]["namespace"], name_of(job)) is not None:
                raise AlreadyExists(JOB_RESOURCE, name_of(job))
        for job in jobs:
            store.create("jobs", job)
    worker.ensure_running(store)


@dataclass
class _Stream:
    prefix: bytes
    offset: int = 0  # where the next read starts
    partial: bytes = b""  # the start of a line that has not ended yet

    def take(self, data: bytes) -> bytes:
        """Each whole line of `data` (after what was held) with the prefix; the rest waits for its end."""
        lines = (self.partial + data).split(b"\n")
        self.partial = lines.pop()
        return b"".join([self.prefix + line + b"\n" for line in lines])


@dataclass
class Follower:
    """Reads every container run's log of some jobs' pods from where it left off."""

    store: Store
    namespace: str
    names: list[str]
    emit: Callable[[bytes], None]
    streams: dict[str, _Stream] = field(default_factory=dict)

    def jobs(self) -> dict[str, Obj | None]:
        return {n: self.store.get("jobs", self.namespace, n) for n in self.names}

    def pods(self, jobs: dict[str, Obj | None]) -> list[Obj]:
        uids = {uid_of(j) for j in jobs.values() if j is not None}
        owned = []
        for pod in self.store.list("pods", self.namespace):
            ref = controller_ref(pod)
            if ref is not None and ref.get("uid") in uids:
                owned.append(pod)
        return sorted(
            owned, key=lambda p: parse_time((p.get("metadata") or {}).get("creationTimestamp")) or 0.0
        )

    def pump(self, pods: list[Obj], final: bool = False) -> None:
        for pod in pods:
            status = pod.get("status") or {}
            for cs in [
                *(status.get("initContainerStatuses") or []),
                *(status.get("containerStatuses") or []),
            ]:
                for attempt in range(int(cs.get("restartCount") or 0) + 1):
                    path = worker.log_path(self.store, pod, str(cs.get("name")), attempt)
                    stream = self.streams.get(path)
                    if stream is None:
                        stream = _Stream(f"[{name_of(pod)}/{cs.get('name')}] ".encode())
                        self.streams[path] = stream
                    self._read(path, stream, final)
        if final:
            for stream in self.streams.values():
                if stream.partial:
                    self.emit(stream.prefix + stream.partial + b"\n")
                    stream.partial = b""

    def _read(self, path: str, stream: _Stream, final: bool) -> None:
        # Opened anew each time, from where the last look ended: a run of many pods holds no files open.
        try:
            log = containerlog.open_log(path, containerlog.LogOptions(), stream.offset)
        except OSError:
            return
        try:
            out = b"".join([stream.take(data) for data in iter(lambda: log.read(final), b"")])
            stream.offset = log.offset
        finally:
            log.close()
        if out:
            self.emit(out)


@dataclass
class Progress:
    name: str
    job: Obj | None

    @property
    def finished(self) -> str | None:
        if self.job is None:
            return "Deleted"
        for ctype in ("Complete", "Failed"):
            if has_condition(self.job, ctype):
                return ctype
        return None

    def line(self, started: float) -> str:
        status: dict[str, Any] = (self.job or {}).get("status") or {}
        spec: dict[str, Any] = (self.job or {}).get("spec") or {}
        want = spec.get("completions")
        done = f"{status.get('succeeded', 0)}/{want if want is not None else 1}"
        active, failed = status.get("active", 0), status.get("failed", 0)
        elapsed = int(time.monotonic() - started)
        return f"{self.name}: {done} complete, {active} active, {failed} failed, {elapsed}s"

    def summary(self) -> str:
        outcome = self.finished
        if outcome == "Deleted" or self.job is None:
            return f'job.batch "{self.name}" was deleted'
        status = self.job.get("status") or {}
        if outcome == "Complete":
            start = parse_time(status.get("startTime")) or 0.0
            end = parse_time(status.get("completionTime")) or start
            succeeded = status.get("succeeded", 0)
            return f"job.batch/{self.name} complete: {succeeded} succeeded in {int(end - start)}s"
        cond = find_condition(self.job, "Failed") or {}
        return f"job.batch/{self.name} failed: {cond.get('reason', '')}: {cond.get('message', '')}"


def follow(
    store: Store,
    namespace: str,
    names: list[str],
    emit: Callable[[bytes], None],
    progress: Callable[[list[Progress]], None],
) -> list[Progress]:
    """Stream the jobs' output until every one of them has finished; returns how each ended."""
    follower = Follower(store, namespace, names, emit)
    with worker.Watcher(store) as watcher:
        while True:
            jobs = follower.jobs()
            pods = follower.pods(jobs)
            states = [Progress(n, j) for n, j in jobs.items()]
            if all(p.finished for p in states):
                follower.pump(pods, final=True)
                return states
            follower.pump(pods)
            progress(states)
            # The worker wakes us on every change; log growth is read at least ten times a second.
            watcher.wait(0.1)


def missing_job(name: str) -> NotFound:
    return NotFound(JOB_RESOURCE, name)
