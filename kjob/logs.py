"""Container logs: which pods and container runs a `logs` request names, and the kubelet's reading of
their CRI log files (tail, since, timestamps, byte limits) as one stream or several followed at once."""

from __future__ import annotations

import calendar
import contextlib
import functools
import os
import select
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

from kjob import worker
from kjob.errors import BadRequest, KjobError, NotFound, PlainError
from kjob.objects import Obj, format_time_nano, name_of, namespace_of, parse_time, pod_is_terminal, uid_of
from kjob.store import Store

DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container"
# kubectl shows the last 10 lines per container when pods are chosen by a selector and --tail is not given.
SELECTOR_TAIL = 10
# Log files are read and written in blocks of this size: the work per byte is what makes `logs` fast.
BLOCK = 1 << 20
# Without inotify, a followed file is looked at this often.
POLL_INTERVAL = 0.05
# While following, the pods are looked at this often even if no worker pass says they changed.
STATE_RECHECK = 1.0

Note = Callable[[str], None]


# ---------------------------------------------------------------- options


@dataclass
class LogOptions:
    """The PodLogOptions a kubelet reads a log with."""

    follow: bool = False
    previous: bool = False
    timestamps: bool = False
    tail: int = -1  # records from the end; -1 = all
    since_ns: int | None = None  # records stamped before this are skipped
    limit_bytes: int = 0  # 0 = no limit


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


# ---------------------------------------------------------------- Go's time.Parse(time.RFC3339, ...)

_RFC3339 = "2006-01-02T15:04:05Z07:00"


class _TimeParseError(Exception):
    pass


def _parse_error(value: str, value_elem: str, layout_elem: str) -> _TimeParseError:
    return _TimeParseError(
        f"parsing time {_go_quote(value)} as {_go_quote(_RFC3339)}: "
        f"cannot parse {_go_quote(value_elem)} as {_go_quote(layout_elem)}"
    )


def _go_quote(s: str) -> str:
    out = ['"']
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _getnum(value: str, fixed: bool) -> tuple[int, str] | None:
    if not value[:1].isdigit() or not value[:1].isascii():
        return None
    if not (value[1:2].isdigit() and value[1:2].isascii()):
        if fixed:
            return None
        return int(value[0]), value[1:]
    return int(value[:2]), value[2:]


def parse_rfc3339(text: str) -> int:
    """Nanoseconds since the epoch, or PlainError with the message Go's time.Parse gives kubectl."""
    try:
        return _parse_rfc3339(text)
    except _TimeParseError as e:
        raise PlainError(str(e)) from None


def _parse_rfc3339(text: str) -> int:
    value = text

    def num(elem: str, fixed: bool, low: int, high: int, what: str) -> int:
        nonlocal value
        got = _getnum(value, fixed)
        if got is None:
            raise _parse_error(text, value, elem)
        n, rest = got
        if not low <= n <= high:
            raise _TimeParseError(f"parsing time {_go_quote(text)}: {what} out of range")
        value = rest
        return n

    def literal(lit: str) -> None:
        nonlocal value
        if not value.startswith(lit):
            raise _parse_error(text, value, lit)
        value = value[len(lit) :]

    if len(value) < 4 or not value[:4].isdigit() or not value[:4].isascii():
        raise _parse_error(text, value, "2006")
    year, value = int(value[:4]), value[4:]
    literal("-")
    month = num("01", True, 1, 12, "month")
    literal("-")
    day = num("02", True, 0, 99, "day")
    literal("T")
    hour = num("15", False, 0, 23, "hour")
    literal(":")
    minute = num("04", True, 0, 59, "minute")
    literal(":")
    second = num("05", True, 0, 59, "second")
    nanos = 0
    if len(value) >= 2 and value[0] in ".," and value[1].isdigit():
        n = 2
        while n < len(value) and value[n].isdigit() and value[n].isascii():
            n += 1
        digits = value[1:n][:9]
        nanos = int(digits.ljust(9, "0"))
        value = value[n:]
    offset = 0
    if value.startswith("Z"):
        value = value[1:]
    else:
        zone = value
        if len(zone) < 6 or zone[3] != ":" or zone[0] not in "+-":
            raise _parse_error(text, zone, "Z07:00")
        hh, mm = _getnum(zone[1:3], True), _getnum(zone[4:6], True)
        if hh is None or mm is None or hh[1] or mm[1]:
            raise _parse_error(text, zone, "Z07:00")
        if hh[0] > 24:
            raise _TimeParseError(f"parsing time {_go_quote(text)}: time zone offset hour out of range")
        if mm[0] > 60:
            raise _TimeParseError(f"parsing time {_go_quote(text)}: time zone offset minute out of range")
        offset = (hh[0] * 60 + mm[0]) * 60 * (-1 if zone[0] == "-" else 1)
        value = zone[6:]
    if value:
        raise _TimeParseError(f"parsing time {_go_quote(text)}: extra text: {_go_quote(value)}")
    if day < 1 or day > calendar.monthrange(year, month)[1]:
        raise _TimeParseError(f"parsing time {_go_quote(text)}: day out of range")
    seconds = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0)) - offset
    return seconds * 1_000_000_000 + nanos


# ---------------------------------------------------------------- which pods


@dataclass
class Target:
    """What the command line named: one pod, a controller (a job), or the pods of a selector."""

    pod: Obj | None = None
    job: Obj | None = None
    pods: list[Obj] | None = None


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
        from kjob.commands import resolve_resource

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


@dataclass
class LogRequest:
    """One container of one pod whose log is asked for; `attempt` is the run, once resolved."""

    pod: Obj
    container: str
    attempt: int = 0
    notes: list[str] = field(default_factory=list)
    prefix: bytes = b""


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


def resolve_run(store: Store, request: LogRequest, previous: bool) -> Path:
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
        # The status can lag the shim by one worker pass: a run whose log exists has started.
        if worker.log_path(store, pod, container, restarts).exists():
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
    path = worker.log_path(store, pod, container, attempt)
    if not path.exists():
        # A run is recorded but its shim never wrote: the kubelet's answer for a log it cannot open.
        reason = ((state.get("waiting") or {}).get("reason")) or "ContainerCreating"
        raise BadRequest(f'container "{container}" in pod "{pod_name}" is waiting to start: {reason}')
    return path


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


# ---------------------------------------------------------------- reading CRI records

# A record the fast paths can take whole: fixed-width stamp, a stream, and the F (full line) tag.
_FULL_HEADS = frozenset({b"Z stdout F ", b"Z stderr F "})
_HEAD = 40  # len("2026-01-01T00:00:00.000000000Z stdout F ")
_FAST_BLOCK = 1 << 16
_STAMP = 30
_head_of = itemgetter(slice(_STAMP - 1, _HEAD))
_text_of = itemgetter(slice(_HEAD, None))
_stamp_of = itemgetter(slice(0, _STAMP))


def tail_offset(f: IO[bytes], lines: int, size: int) -> int:
    """tail.FindTailLineStartIndex: where the last `lines` newline-ended records of the file begin."""
    if lines < 0:
        return 0
    count, right = 0, size
    while right > 0:
        left = max(0, right - BLOCK)
        f.seek(left)
        block = f.read(right - left)
        found = block.count(b"\n")
        if count + found > lines:
            # The wanted start is in this block: after the (count + found - lines)-th newline from its left.
            skip = count + found - lines
            pos = -1
            for _ in range(skip):
                pos = block.index(b"\n", pos + 1)
            return left + pos + 1
        count += found
        right = left
    return 0


def parse_record(line: bytes) -> tuple[bytes, bytes, bool, bytes] | None:
    """(stamp, stream, full, text) of one CRI record without its newline; None if it is not one."""
    parts = line.split(b" ", 3)
    if len(parts) < 3 or parts[1] not in (b"stdout", b"stderr"):
        return None
    stamp = parts[0]
    if len(stamp) != _STAMP or not stamp.endswith(b"Z") or stamp[19:20] != b".":
        normalized = _normalize_stamp(stamp)
        if normalized is None:
            return None
        stamp = normalized
    tag = parts[2].split(b":", 1)[0]
    return stamp, parts[1], tag != b"P", parts[3] if len(parts) == 4 else b""


def _normalize_stamp(raw: bytes) -> bytes | None:
    """Another writer's RFC 3339 stamp in the kubelet's fixed-width output form."""
    try:
        ns = _parse_rfc3339(raw.decode())
    except (_TimeParseError, UnicodeDecodeError, ValueError):
        return None
    return format_time_nano(ns).encode()


class LogReader:
    """The kubelet's logWriter over one run's records: what `GET pods/NAME/log` would return."""

    def __init__(self, options: LogOptions) -> None:
        self.timestamps = options.timestamps
        self.since = format_time_nano(options.since_ns).encode() if options.since_ns is not None else None
        self.remain = options.limit_bytes if options.limit_bytes > 0 else -1
        self.new_line = True  # the next record starts a line (only such records get a timestamp)
        self.full = False  # --limit-bytes reached

    def feed(self, data: bytes, end: int | None = None) -> bytes:
        """The output for the whole records in `data[:end]` (which ends with a newline, unless it is the
        final, incomplete record of a finished log)."""
        end = len(data) if end is None else end
        if self.full or not end:
            return b""
        out = self._render(data, end)
        if self.remain >= 0:
            if len(out) >= self.remain:
                out = out[: self.remain]
                self.full = True
            self.remain -= len(out)
        return out

    def _render(self, data: bytes, end: int) -> bytes:
        parts: list[bytes] = []
        pos = 0
        while pos < end:
            # Whole blocks of full records go through C-level split/slice/join; about 64 KB keeps them in
            # cache. Anything else (partial records, --since, another writer's lines) goes record by record.
            block_end = data.rfind(b"\n", pos, min(end, pos + _FAST_BLOCK)) + 1
            if block_end > pos:
                lines = data[pos:block_end].split(b"\n")
                lines.pop()
                fast = self.new_line and set(map(_head_of, lines)) <= _FULL_HEADS
                if fast and self.since is not None and min(map(_stamp_of, lines)) < self.since:
                    fast = False
                    if max(map(_stamp_of, lines)) < self.since:
                        pos = block_end  # all older than --since; every record ended its line
                        continue
                if fast:
                    if self.timestamps:
                        parts.append(b"\n".join([ln[:_STAMP] + ln[_HEAD - 1 :] for ln in lines]))
                    else:
                        parts.append(b"\n".join(map(_text_of, lines)))
                    parts.append(b"\n")
                else:
                    parts.extend([self._record(ln + b"\n") for ln in lines])
                pos = block_end
                continue
            nl = data.find(b"\n", pos, end)
            stop = end if nl < 0 else nl + 1
            parts.append(self._record(data[pos:stop]))
            pos = stop
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _record(self, raw: bytes) -> bytes:
        parsed = parse_record(raw[:-1] if raw.endswith(b"\n") else raw)
        if parsed is None:
            return b""  # the kubelet logs and skips a line it cannot parse
        stamp, _, full, text = parsed
        starts_line = self.new_line
        ends_line = full and raw.endswith(b"\n")
        self.new_line = ends_line or not text
        if self.since is not None and stamp < self.since:
            return b""
        if ends_line:
            text += b"\n"
        if self.timestamps and starts_line:
            return stamp + b" " + text
        return text


# ---------------------------------------------------------------- streams


class _Stream:
    """One open request: its file, its reader, and what is held back for whole-line output."""

    def __init__(self, request: LogRequest, path: Path, options: LogOptions, hold_lines: bool) -> None:
        self.request = request
        self.path = path
        self.file = open(path, "rb", buffering=0)  # noqa: SIM115 - closed by close()
        self.reader = LogReader(options)
        self.prefix = request.prefix
        self.hold_lines = hold_lines
        self.at_line_start = True
        self.held = b""  # an incomplete output line (hold_lines) waiting for its end
        self.partial = b""  # an incomplete record at the end of the file, re-read when it is complete
        self.left = -1  # records still to read in limited (tail, not follow) mode; -1 = no limit
        self.stop_at = -1  # byte offset where limited reading stops
        size = os.fstat(self.file.fileno()).st_size
        if options.tail >= 0:
            start = tail_offset(self.file, options.tail, size)
            self.file.seek(start)
            if not options.follow:
                self.stop_at = size
        else:
            self.file.seek(0)
        self.done = False

    def pump(self, out: IO[bytes], final: bool) -> None:
        """Copy what the file holds now; `final` when no more will be written to it."""
        while not self.done:
            want = BLOCK if self.stop_at < 0 else min(BLOCK, self.stop_at - self.file.tell())
            chunk = self.file.read(want) if want > 0 else b""
            if not chunk:
                break
            if self.partial:
                chunk, self.partial = self.partial + chunk, b""
            cut = chunk.rfind(b"\n") + 1
            if cut == 0:
                self.partial = chunk  # a record longer than a block, or one still being written
                continue
            if cut < len(chunk):
                # The incomplete record is read again with what completes it: no copy of the block.
                self.file.seek(cut - len(chunk), os.SEEK_CUR)
            self._emit(out, self.reader.feed(chunk, cut))
            if self.reader.full:
                self.done = True
        if final or self.stop_at >= 0:
            if self.partial and not self.done:
                self._emit(out, self.reader.feed(self.partial, len(self.partial)))
            self.partial = b""
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
        prefix = self.prefix
        body = data.replace(b"\n", b"\n" + prefix)
        if self.at_line_start:
            body = prefix + body
        if data.endswith(b"\n"):
            body = body[: -len(prefix)]
            self.at_line_start = True
        else:
            self.at_line_start = False
        return body

    def close(self) -> None:
        self.file.close()


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
        for s in active:
            events.watch(s.path)
        check = True
        next_check = time.monotonic() + STATE_RECHECK
        while active:
            ended = {id(s) for s in active if check and run_ended(store, s.request)}
            for s in active:
                # A run seen ended has written its last byte (the shim closes the log before it exits).
                s.pump(out, final=id(s) in ended)
            out.flush()
            active = [s for s in active if not s.done]
            if not active:
                break
            check = False
            timeout = max(0.0, next_check - time.monotonic())
            if events.fd < 0:
                timeout = min(timeout, POLL_INTERVAL)
            fds = [watcher.sock.fileno(), *([events.fd] if events.fd >= 0 else [])]
            try:
                ready = select.select(fds, [], [], timeout)[0]
            except InterruptedError:
                ready = []
            if events.fd in ready:
                events.drain()
            if watcher.sock.fileno() in ready:
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

    def watch(self, path: Path) -> None:
        if self.fd < 0:
            return
        mask = _IN_MODIFY | _IN_ATTRIB | _IN_CLOSE_WRITE | _IN_MOVE_SELF | _IN_DELETE_SELF
        if self._libc.inotify_add_watch(self.fd, os.fsencode(path), mask) < 0:
            # Without a watch the file would never wake us: poll instead.
            self.close()

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


# ---------------------------------------------------------------- earlier entry points


def pick_log_container(
    store: Store, namespace: str, pod_name: str, container: str | None, previous: bool = False
) -> LogRequest:
    """One pod's log request as `kjob logs POD [-c C] [-p]` makes it; its notes say what was defaulted."""
    target = find_target(store, namespace, pod_name, None)
    notes: list[str] = []
    assert target.pod is not None
    request = pod_requests(target.pod, container, False, False, notes.append)[0]
    request.notes = notes
    try:
        resolve_run(store, request, previous)
    except KjobError as e:
        # kubectl says which container it chose before it fails.
        e.message = "\n".join([*notes, e.message])
        raise
    return request


def read_log(store: Store, request: LogRequest) -> Iterator[bytes]:
    """A resolved request's whole log, in blocks of output bytes."""
    path = worker.log_path(store, request.pod, request.container, request.attempt)
    reader = LogReader(LogOptions())
    with open(path, "rb") as f:
        rest = b""
        while True:
            chunk = f.read(BLOCK)
            if not chunk:
                break
            data = rest + chunk
            cut = data.rfind(b"\n") + 1
            rest = data[cut:]
            yield reader.feed(data[:cut])
        if rest:
            yield reader.feed(rest)
