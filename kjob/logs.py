"""Container logs: which pods and container runs a `logs` request names, and the reading of their log
files (kjob.containerlog) as one stream or several followed at once."""

from __future__ import annotations

import contextlib
import functools
import os
import select
import time
from collections.abc import Callable
from typing import IO, Any

from kjob import containerlog, worker
from kjob.containerlog import LogOptions
from kjob.errors import BadRequest, KjobError, NotFound, PlainError
from kjob.objects import (
    Obj,
    Record,
    name_of,
    namespace_of,
    parse_time,
    pod_is_terminal,
    resolve_resource,
    uid_of,
)
from kjob.store import Store

DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container"
# kubectl shows the last 10 lines per container when pods are chosen by a selector and --tail is not given.
SELECTOR_TAIL = 10
# Without inotify, a followed file is looked at this often.
POLL_INTERVAL = 0.05
# While following, the pods are looked at this often even if no worker pass says they changed.
STATE_RECHECK = 1.0

Note = Callable[[str], None]


# ---------------------------------------------------------------- options


def since_seconds(duration: float) -> int:
    """kubectl's `--since`: the Go duration rounded to whole seconds, halves away from zero."""
    sign = -1 if duration < 0 else 1
    return sign * int(abs(duration) + 0.5)


def since_from_seconds(seconds: int, now_ns: int | None = None) -> int:
    return (time.time_ns() if now_ns is None else now_ns) - seconds * 1_000_000_000


def since_from_time(text: str) -> int:
    """kubectl's `--since-time`: RFC 3339, sent to the server at whole seconds (metav1.Time)."""
    ns = parse_rfc3339(text)
    return ns // 1_000_000_000 * 1_000_000_000


def parse_rfc3339(text: str) -> int:
    """Nanoseconds since the epoch, or PlainError with the message Go's time.Parse gives kubectl."""
    try:
        return containerlog.parse_rfc3339_ns(text)
    except containerlog.TimeParseError as e:
        raise PlainError(str(e)) from None


# ---------------------------------------------------------------- which pods


class Target(Record):
    """What the command line named: one pod, a controller (a job), or the pods of a selector. (Plain
    classes here, not dataclasses: their import cost `kjob logs` ~1.5 ms.)"""

    __slots__ = ("job", "pod", "pods")

    def __init__(self, pod: Obj | None = None, job: Obj | None = None, pods: list[Obj] | None = None) -> None:
        self.pod = pod
        self.job = job
        self.pods = pods


def _get(store: Store, kind: str, namespace: str, name: str) -> Obj | None:
    try:
        return store.get(kind, namespace, name)
    except NotFound:
        return None


def find_target(store: Store, namespace: str, arg: str | None, selector: str | None) -> Target:
    """kubectl's resource builder for `logs`: POD, pod/NAME, job/NAME, or `-l SELECTOR`."""
    if arg is None:
        from kjob.selectors import parse_list_selectors

        labels, _ = parse_list_selectors(selector or "", "", "pods")
        return Target(pods=[p for p in store.list("pods", namespace) if labels.matches(_labels(p))])
    kind, name = "pods", arg
    if "/" in arg:
        type_, _, name = arg.partition("/")
        kind = resolve_resource(type_)
        if kind == "events":
            if _get(store, "events", namespace, name) is None:
                raise PlainError(
                    f'error from server (NotFound): events "{name}" not found in namespace "{namespace}"'
                )
            raise PlainError("cannot get the logs from *v1.Event: selector for *v1.Event not implemented")
    if kind == "jobs":
        job = _get(store, "jobs", namespace, name)
        if job is None:
            raise PlainError(
                f'error from server (NotFound): jobs.batch "{name}" not found in namespace "{namespace}"'
            )
        return Target(job=job)
    pod = _get(store, "pods", namespace, name)
    if pod is None:
        raise PlainError(f'error from server (NotFound): pods "{name}" not found in namespace "{namespace}"')
    return Target(pod=pod)


def _labels(obj: Obj) -> dict[str, str]:
    return (obj.get("metadata") or {}).get("labels") or {}


def _ready_since(pod: Obj) -> float | None:
    for c in (pod.get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready" and c.get("status") == "True":
            return parse_time(c.get("lastTransitionTime"))
    return None


def _max_restarts(pod: Obj) -> int:
    return max(
        [
            0,
            *(
                int(cs.get("restartCount") or 0)
                for cs in (pod.get("status") or {}).get("containerStatuses") or []
            ),
        ]
    )


def _after_or_zero(t1: float | None, t2: float | None) -> bool:
    if t1 is None or t2 is None:
        return t1 is None
    return t1 > t2


def _logging_less(a: Obj, b: Obj) -> bool:
    """podutils.ByLogging: the pod whose logs a user most likely wants comes first."""
    na, nb = (a.get("spec") or {}).get("nodeName") or "", (b.get("spec") or {}).get("nodeName") or ""
    if na != nb and (not na or not nb):
        return bool(na)
    rank = {"Running": 0, "Unknown": 1, "Pending": 2}
    pa, pb = (
        rank.get((a.get("status") or {}).get("phase", ""), 0),
        rank.get((b.get("status") or {}).get("phase", ""), 0),
    )
    if pa != pb:
        return pa < pb
    ra, rb = _ready_since(a), _ready_since(b)
    ready_a, ready_b = _is_ready(a), _is_ready(b)
    if ready_a != ready_b:
        return ready_a
    if ready_a and ready_b and ra != rb:
        return _after_or_zero(rb, ra)
    ca, cb = _max_restarts(a), _max_restarts(b)
    if ca != cb:
        return ca > cb
    ta = parse_time((a.get("metadata") or {}).get("creationTimestamp"))
    tb = parse_time((b.get("metadata") or {}).get("creationTimestamp"))
    if ta != tb:
        return _after_or_zero(tb, ta)
    return False


def _is_ready(pod: Obj) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in (pod.get("status") or {}).get("conditions") or []
    )


def rank_pods(pods: list[Obj]) -> list[Obj]:
    def compare(a: Obj, b: Obj) -> int:
        return -1 if _logging_less(a, b) else 1 if _logging_less(b, a) else 0

    return sorted(pods, key=functools.cmp_to_key(compare))


def job_pods(store: Store, job: Obj, timeout: float) -> list[Obj]:
    """The pods of a job, ranked; with none yet, waits up to `timeout` for one to appear."""
    from kjob.selectors import selector_from_label_selector

    selector = selector_from_label_selector((job.get("spec") or {}).get("selector"))
    namespace = namespace_of(job)

    def matching() -> list[Obj]:
        return [p for p in store.list("pods", namespace) if selector.matches(_labels(p))]

    pods = matching()
    if pods:
        return rank_pods(pods)
    worker.ensure_running(store, [job])
    deadline = time.monotonic() + timeout
    with worker.Watcher(store) as watcher:
        while True:
            pods = matching()
            if pods:
                return rank_pods(pods)
            left = deadline - time.monotonic()
            if left <= 0:
                raise PlainError("timed out waiting for the condition")
            watcher.wait(min(left, STATE_RECHECK))


# ---------------------------------------------------------------- which containers


class LogRequest(Record):
    """One container of one pod whose log is asked for; `attempt` is the run, once resolved."""

    __slots__ = ("attempt", "container", "notes", "pod", "prefix")

    def __init__(
        self,
        pod: Obj,
        container: str,
        attempt: int = 0,
        notes: list[str] | None = None,
        prefix: bytes = b"",
    ) -> None:
        self.pod = pod
        self.container = container
        self.attempt = attempt
        self.notes = [] if notes is None else notes
        self.prefix = prefix


def _container_names(pod: Obj) -> tuple[list[str], list[str], list[str]]:
    spec = pod.get("spec") or {}
    return (
        [c.get("name", "") for c in spec.get("containers") or []],
        [c.get("name", "") for c in spec.get("ephemeralContainers") or []],
        [c.get("name", "") for c in spec.get("initContainers") or []],
    )


def all_container_names(pod: Obj) -> str:
    """podcmd.AllContainerNames: containers, then `name (ephem)`, then `name (init)`."""
    names, ephemeral, init = _container_names(pod)
    return ", ".join([*names, *(f"{n} (ephem)" for n in ephemeral), *(f"{n} (init)" for n in init)])


def pod_requests(
    pod: Obj, container: str | None, all_containers: bool, all_pods: bool, note: Note
) -> list[LogRequest]:
    """logsForObject on one pod: the container given, the default one, or all of them."""
    names, ephemeral, init = _container_names(pod)
    if all_containers:
        return [LogRequest(pod, c) for c in [*init, *names, *ephemeral]]
    if not container:
        annotated = ((pod.get("metadata") or {}).get("annotations") or {}).get(DEFAULT_CONTAINER_ANNOTATION)
        if annotated:
            if annotated in names or annotated in init or annotated in ephemeral:
                container = annotated
            else:
                note(f'Default container name "{annotated}" not found in pod {name_of(pod)}')
    if not container:
        container = names[0] if names else ""
        if (len(names) > 1 or init or ephemeral) and not all_pods:
            note(f'Defaulted container "{container}" out of: {all_container_names(pod)}')
    if container not in names and container not in init and container not in ephemeral:
        raise PlainError(f"container {container} is not valid for pod {name_of(pod)}")
    return [LogRequest(pod, container)]


def plan_requests(
    store: Store,
    target: Target,
    container: str | None,
    all_containers: bool,
    all_pods: bool,
    pod_timeout: float,
    note: Note,
) -> list[LogRequest]:
    """kubectl's LogsForObject: every container stream the command will read, in order."""
    if target.job is not None:
        pods = job_pods(store, target.job, pod_timeout)
        if len(pods) > 1 and not all_pods:
            note(f"Found {len(pods)} pods, using pod/{name_of(pods[0])}")
        chosen = pods if all_pods else pods[:1]
    elif target.pod is not None:
        chosen = [target.pod]
    else:
        chosen = target.pods or []
    out: list[LogRequest] = []
    for pod in chosen:
        out.extend(pod_requests(pod, container, all_containers, all_pods, note))
    return out


def prefix_of(request: LogRequest) -> bytes:
    return f"[pod/{name_of(request.pod)}/{request.container}] ".encode()


# ---------------------------------------------------------------- which run


def _statuses(pod: Obj) -> list[Obj]:
    status = pod.get("status") or {}
    return [
        *(status.get("containerStatuses") or []),
        *(status.get("initContainerStatuses") or []),
        *(status.get("ephemeralContainerStatuses") or []),
    ]


def _container_status(pod: Obj, container: str) -> Obj | None:
    return next((cs for cs in _statuses(pod) if cs.get("name") == container), None)


def _attempt_of(container_id: str | None) -> int | None:
    """The run number in a kjob containerID (`kjob://<pod uid>/<container>/<attempt>`)."""
    if not container_id:
        return None
    tail = container_id.rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else None


def resolve_run(store: Store, request: LogRequest, previous: bool) -> str:
    """Which run's log to read, failing as the API server and kubelet do (validateContainerLogStatus)."""
    pod, container, pod_name = request.pod, request.container, name_of(request.pod)
    if not (pod.get("spec") or {}).get("nodeName"):
        raise BadRequest(f"pod {pod_name} does not have a host assigned")
    cs = _container_status(pod, container)
    if cs is None:
        raise BadRequest(f'container "{container}" in pod "{pod_name}" is not available')
    restarts = int(cs.get("restartCount") or 0)
    state, last = cs.get("state") or {}, (cs.get("lastState") or {}).get("terminated")
    attempt: int | None
    if previous:
        attempt = _attempt_of((last or {}).get("containerID"))
        if attempt is None:
            raise BadRequest(f'previous terminated container "{container}" in pod "{pod_name}" not found')
    elif "running" in state:
        attempt = _attempt_of(cs.get("containerID"))
        attempt = restarts if attempt is None else attempt
    elif "terminated" in state:
        attempt = _attempt_of(state["terminated"].get("containerID"))
        if attempt is None:
            attempt = _attempt_of((last or {}).get("containerID"))
        if attempt is None:
            raise BadRequest(f'container "{container}" in pod "{pod_name}" is terminated')
    else:
        # The status can lag the run's host by one worker pass: a run recorded as started has.
        if _run_started(store, pod, container, restarts)[1]:
            attempt = restarts
        elif last is not None:
            attempt = _attempt_of(last.get("containerID"))
            if attempt is None:
                raise BadRequest(f'container "{container}" in pod "{pod_name}" is terminated')
        elif "waiting" in state:
            reason = (state.get("waiting") or {}).get("reason") or ""
            raise BadRequest(f'container "{container}" in pod "{pod_name}" is waiting to start: {reason}')
        else:
            raise BadRequest(f'container "{container}" in pod "{pod_name}" is waiting to start - no logs yet')
    request.attempt = attempt
    path, started = _run_started(store, pod, container, attempt)
    if not started:
        # A run is recorded but its host never wrote: the kubelet's answer for a log it cannot open.
        reason = ((state.get("waiting") or {}).get("reason")) or "ContainerCreating"
        raise BadRequest(f'container "{container}" in pod "{pod_name}" is waiting to start: {reason}')
    return path


def _run_started(store: Store, pod: Obj, container: str, attempt: int) -> tuple[str, bool]:
    """A run's log, and whether its host started the run (or failed to): its log is there, or else
    its record says so. A run that has written nothing has no log (see containerlog.LogWriter)."""
    path, there = worker.find_log(store, pod, container, attempt)
    if there:
        return path, True
    from kjob import runtime

    state = runtime.read_state(worker.pod_run_dir(store, pod), container, attempt)
    return path, state.pid is not None or state.exit is not None


def run_ended(store: Store, request: LogRequest) -> bool:
    """Whether the followed run can write no more: it terminated, was replaced, or its pod is gone."""
    pod = _get(store, "pods", namespace_of(request.pod), name_of(request.pod))
    if pod is None or uid_of(pod) != uid_of(request.pod):
        return True
    if pod_is_terminal(pod):
        return True
    cs = _container_status(pod, request.container)
    if cs is None:
        return False
    restarts = int(cs.get("restartCount") or 0)
    if restarts > request.attempt:
        return True
    state = cs.get("state") or {}
    if "terminated" in state:
        return True
    return (state.get("waiting") or {}).get("reason") == "CrashLoopBackOff"


# ---------------------------------------------------------------- streams


class _Stream:
    """One open request: its log, and what is held back for whole-line output."""

    def __init__(self, request: LogRequest, path: str, options: LogOptions, hold_lines: bool) -> None:
        self.request = request
        self.path = path
        self.options = options
        # None while the run has written nothing: its log is made with its first output.
        self.log: containerlog.RunLog | None = _open_log(path, options)
        self.looked = False  # pumped while it had no log
        self.prefix = request.prefix
        self.hold_lines = hold_lines
        self.at_line_start = True
        self.held = b""  # an incomplete output line (hold_lines) waiting for its end
        self.sendfile = True  # until `out` turns out not to take it
        self.done = False

    def pump(self, out: IO[bytes], final: bool) -> None:
        """Copy what the file holds now; `final` when no more will be written to it."""
        if self.log is None:
            # Made since the last look, it holds only what came after it: all of it is read.
            self.log = _open_log(self.path, self.options, offset=0 if self.looked else None)
            self.looked = True
            if self.log is None:
                self.done = self.done or final
                return
        if self.sendfile and self.log.plain and not self.prefix and not self.hold_lines and not self.done:
            # The output is the file's bytes: the kernel copies them (`cat` speed), Python never sees them.
            fd = _fileno(out)
            if fd is not None:
                out.flush()
                self.sendfile = self.log.send(fd)
            else:
                self.sendfile = False
        while not self.done and not self.log.full:
            data = self.log.read(final)
            if not data:
                break
            self._emit(out, data)
        if self.log.full:
            self.done = True
        if final:
            if self.held:
                out.write(self._prefixed(self.held))
                self.held = b""
            self.done = True

    def _emit(self, out: IO[bytes], data: bytes) -> None:
        if not data:
            return
        if self.hold_lines:
            data = self.held + data
            cut = data.rfind(b"\n") + 1
            self.held = data[cut:]
            data = data[:cut]
            if not data:
                return
        out.write(self._prefixed(data) if self.prefix else data)

    def _prefixed(self, data: bytes) -> bytes:
        if not self.prefix:
            return data
        body = containerlog.prefix_lines(data, self.prefix, self.at_line_start)
        self.at_line_start = data.endswith(b"\n")
        return body

    def close(self) -> None:
        if self.log is not None:
            self.log.close()


def _open_log(path: str, options: LogOptions, offset: int | None = None) -> containerlog.RunLog | None:
    try:
        return containerlog.open_log(path, options, offset)
    except FileNotFoundError:
        return None


def _fileno(out: IO[bytes]) -> int | None:
    try:
        return out.fileno()
    except (AttributeError, OSError, ValueError):
        return None


def _error_text(e: KjobError) -> str:
    return getattr(e, "text", None) or e.message.removeprefix("error: ")


def stream_logs(
    store: Store,
    requests: list[LogRequest],
    options: LogOptions,
    out: IO[bytes],
    ignore_errors: bool = False,
) -> None:
    """Read each request's log to `out`: one after another, or all at once while following several.

    A request that cannot be read raises its error (after what came before it was written), or with
    `ignore_errors` writes `error: <message>` to `out` in its place and the others go on."""
    parallel = options.follow and len(requests) > 1
    streams: list[_Stream] = []
    try:
        for request in requests:
            try:
                path = resolve_run(store, request, options.previous)
            except KjobError as e:
                if not ignore_errors:
                    raise
                out.write(f"error: {_error_text(e)}\n".encode())
                continue
            stream = _Stream(request, path, options, hold_lines=parallel)
            if parallel:
                streams.append(stream)
                continue
            try:
                if options.follow:
                    _follow(store, [stream], out)
                else:
                    stream.pump(out, final=True)
            finally:
                stream.close()
        if streams:
            _follow(store, streams, out)
    finally:
        for s in streams:
            s.close()
        out.flush()


def _follow(store: Store, streams: list[_Stream], out: IO[bytes]) -> None:
    """Stream files as they grow until each run ends: inotify (or a short poll) for the bytes, the
    worker's pass notices for the container states."""
    active = list(streams)
    with worker.Watcher(store) as watcher, _FileEvents() as events:
        # Watched before the first look, so a log made in between is not missed.
        unwatched = [s for s in active if not events.watch(s.path)]
        check = True
        next_check = time.monotonic() + STATE_RECHECK
        while active:
            ended = {id(s) for s in active if check and run_ended(store, s.request)}
            for s in active:
                # A run seen ended has written its last byte (its host closes the log before it
                # records the exit).
                s.pump(out, final=id(s) in ended)
            out.flush()
            if unwatched and events.fd >= 0:
                # Logs made since (a run's first output) are watched from now on, not their directory.
                unwatched = [s for s in unwatched if s.log is None or not events.watch(s.path)]
            active = [s for s in active if not s.done]
            if not active:
                break
            check = False
            timeout = max(0.0, next_check - time.monotonic())
            if events.fd < 0:
                timeout = min(timeout, POLL_INTERVAL)
            woken = watcher.sock.fileno() if watcher.sock is not None else -1
            if woken < 0:
                # No word from the worker (see Watcher): the runs' states are looked at as often.
                timeout = min(timeout, worker.WATCH_POLL)
                check = True
            fds = [fd for fd in (woken, events.fd) if fd >= 0]
            try:
                ready = select.select(fds, [], [], timeout)[0]
            except InterruptedError:
                ready = []
            if events.fd in ready:
                events.drain()
            if woken >= 0 and woken in ready:
                watcher.wait(0)
                check = True
            if time.monotonic() >= next_check:
                check = True
                next_check = time.monotonic() + STATE_RECHECK
                # Followed runs need a worker to see them end; one may have stopped since we started.
                if not worker.worker_alive(store):
                    worker.ensure_running(store, [s.request.pod for s in active])


# ---------------------------------------------------------------- inotify

_IN_MODIFY = 0x2
_IN_ATTRIB = 0x4
_IN_CLOSE_WRITE = 0x8
_IN_MOVE_SELF = 0x800
_IN_DELETE_SELF = 0x400
_IN_MOVED_TO = 0x80
_IN_CREATE = 0x100
_IN_NONBLOCK = os.O_NONBLOCK
_IN_CLOEXEC = os.O_CLOEXEC


class _FileEvents:
    """Linux inotify through ctypes: a descriptor that turns readable when a watched file changes.
    `fd` is -1 where inotify is unavailable; the caller then polls."""

    def __init__(self) -> None:
        self.fd = -1
        self._libc: Any = None
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            fd = libc.inotify_init1(_IN_NONBLOCK | _IN_CLOEXEC)
        except (OSError, AttributeError):
            return
        if fd >= 0:
            self.fd, self._libc = fd, libc

    def watch(self, path: str) -> bool:
        """Watch a file, or where it is not there yet, its directory for it to appear. True if the
        file itself is watched."""
        if self.fd < 0:
            return False
        mask = _IN_MODIFY | _IN_ATTRIB | _IN_CLOSE_WRITE | _IN_MOVE_SELF | _IN_DELETE_SELF
        if self._libc.inotify_add_watch(self.fd, os.fsencode(path), mask) >= 0:
            return True
        if not os.path.exists(path):
            directory = os.fsencode(os.path.dirname(path))
            if self._libc.inotify_add_watch(self.fd, directory, _IN_CREATE | _IN_MOVED_TO) >= 0:
                return False
        # Without a watch the file would never wake us: poll instead.
        self.close()
        return False

    def drain(self) -> None:
        with contextlib.suppress(OSError):
            while os.read(self.fd, 65536):
                pass

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> _FileEvents:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
