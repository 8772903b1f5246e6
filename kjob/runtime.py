"""Runs containers as local processes. A launcher the worker forks at its start hosts the runs: it
starts each container in its own session and cgroup, writes its log, records its exit, kills whatever
it leaves behind, and outlives the worker to do so. A run it cannot contain gets a shim of its own."""

from __future__ import annotations

import collections
import contextlib
import gc
import json
import os
import select
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

from kjob.containerlog import LogWriter
from kjob.objects import Record
from kjob.store import open_socket_address, record_lines, write_all

# The kubelet never waits less than this between SIGTERM and SIGKILL.
MIN_GRACE_PERIOD = 2.0
ORPHAN_CHECK = 2.0  # seconds between a host's looks for runs whose state directory was removed
PR_SET_NAME = 15
EXIT_RECORD_TRIES = 1200  # ten minutes of a full disk
KEEP_CGROUPS = 32  # empty cgroups a launcher keeps for its next runs, at most
PR_SET_CHILD_SUBREAPER = 36


class RunSpec(Record):
    """Everything a host (the launcher, or a shim) needs to start one run (attempt) of a container."""

    __slots__ = (
        "argv",
        "attempt",
        "container",
        "cwd",
        "env",
        "grace",
        "limits",
        "log_path",
        "make_cwd",
        "notify",
        "run_dir",
    )

    def __init__(
        self,
        run_dir: str,  # <home>/run/<pod-uid>
        container: str,
        attempt: int,
        argv: list[str],
        env: dict[str, str],
        cwd: str,
        log_path: str,
        grace: float,
        notify: str = "",  # the worker's wake-up socket, told when the container has started
        limits: Any = None,  # cgroups.Limits of the container, if it has any
        make_cwd: bool = False,  # kjob's own working directory for the container, made by its host
    ) -> None:
        # Paths as strings: a spec crosses to the launcher pickled, and rebuilding Paths there cost
        # every run.
        self.run_dir = run_dir
        self.container = container
        self.attempt = attempt
        self.argv = argv
        self.env = env
        self.cwd = cwd
        self.log_path = log_path
        self.grace = grace
        self.notify = notify
        self.limits = limits
        self.make_cwd = make_cwd

    @property
    def run_id(self) -> str:
        return f"{os.path.basename(self.run_dir)}-{self.container}-{self.attempt}"

    @property
    def key(self) -> str:
        return f"{self.container}.{self.attempt}"


class RunState(Record):
    """What the run files say of one container run."""

    __slots__ = (
        "alive",
        "cgroup",
        "exit",
        "launched",
        "launched_at",
        "limits",
        "pid",
        "shared",
        "shim_pid",
        "shim_start",
        "started_at",
    )

    def __init__(
        self,
        launched: bool,
        launched_at: float | None = None,
        shim_pid: int | None = None,
        shim_start: int | None = None,
        pid: int | None = None,
        started_at: float | None = None,
        exit: dict[str, Any] | None = None,
        limits: list[str] | None = None,  # how the run's resource limits are enforced
        alive: bool | None = None,  # whether the run's host lived when the files were read (None: not looked)
        shared: bool = False,  # hosted by a launcher among other runs, not by a shim of its own
        # The name of the launcher's kept cgroup it runs in (see cgroups.kept_name).
        cgroup: str | None = None,
    ) -> None:
        self.launched = launched
        self.launched_at = launched_at
        self.shim_pid = shim_pid
        self.shim_start = shim_start
        self.pid = pid
        self.started_at = started_at
        self.exit = exit
        self.limits: list[str] = [] if limits is None else limits
        self.alive = alive
        self.shared = shared
        self.cgroup = cgroup


def _paths(run_dir: Path | str, key: str) -> tuple[str, str, str]:
    """The run's record and stop files, and what both start with. The record is made empty when the
    run is claimed (it is the launch marker), gets a line when the run starts and a line when it
    ends: one file a run, where each of these took a file of its own (see _LEGACY_RECORDS and
    _LEGACY_MARKERS). The run's log and its index (`<key>.log`, `<key>.index`) are made when its
    first output comes: a run that writes nothing makes no file for it."""
    # Strings, not Paths: the launcher builds these for every run it starts and ends.
    base = f"{run_dir}/{key}"
    return f"{base}.run", f"{base}.stop", base


# Where a kjob before the run record wrote a run's start and its end, a file each: a run it launched may
# still be running under this one's worker.
_LEGACY_RECORDS = (".pid", ".exit")
# How earlier kjobs marked a run claimed: its log's index, made at the claim, and before that a file of
# its own. A run one of them claimed may not have started yet.
_LEGACY_MARKERS = (".index", ".launch")


def _write_json(path: str, data: dict[str, Any], durable: bool = True) -> None:
    """Replace a run file whole. `durable=False` for what only matters while the machine stays up:
    the page cache already carries it across any process's death."""
    head, tail = os.path.split(path)
    tmp = f"{head}/.{tail}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
    try:
        write_all(fd, json.dumps(data).encode())
        if durable:
            os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _append_record(path: str, data: dict[str, Any]) -> None:
    """Add a line to a run's record (see _paths): its host writes one when the run starts and one when
    it ends. A reader that meets a line half-written takes it as not written yet (a line counts once
    its newline is there), and a write that fails leaves the file as it was. Not synced: see
    Host._write_records. The record is there from the run's claim: one that is gone went with its
    pod's directory, and is not made again (FileNotFoundError), nor the directory kept by it."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)
    try:
        size = os.fstat(fd).st_size
        try:
            write_all(fd, json.dumps(data).encode() + b"\n")
        except OSError:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, size)  # a retry on a full disk starts on a line of its own
            raise
    finally:
        os.close(fd)


def _read_small(path: Path | str) -> bytes | None:
    """A run file's bytes (b"" if it cannot be read through); None if there is no such file. os.open
    and a read, no buffered file object: the worker reads a run's record for every running container
    on every pass."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        chunks = [os.read(fd, 65536)]
        while len(chunks[-1]) == 65536:  # a short read is the end: a record is one read
            chunks.append(os.read(fd, 65536))
        return b"".join(chunks)
    except OSError:
        return b""
    finally:
        os.close(fd)


def _read_record(path: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None] | None:
    """A run's record as (start, exit), each None until its line is written whole; None if the run
    has no record file."""
    data = _read_small(path)
    if data is None:
        return None
    start = end = None
    for record in record_lines(data):
        if "exitCode" in record:
            end = record
        else:
            start = record
    return start, end


def _recorded_end(path: str) -> dict[str, Any] | None:
    """A run's end, as its record says now."""
    return (_read_record(path) or (None, None))[1]


def _read_json(path: Path | str) -> dict[str, Any] | None:
    """A stop asked for, or a run's start or end as an earlier kjob wrote it: one JSON object."""
    try:
        data = json.loads(_read_small(path) or b"")
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def process_start_time(pid: int) -> int | None:
    """The kernel's start time of a process (clock ticks since boot): tells a pid from its reuse."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat[stat.rfind(b")") + 2 :].split()
    try:
        return int(fields[19])
    except (IndexError, ValueError):
        return None


def read_state(
    run_dir: Path | str, container: str, attempt: int, starts: dict[int, int | None] | None = None
) -> RunState:
    """`starts`: the start times of processes already looked at (one pass of the worker looks at the
    launcher for every container it hosts)."""
    record_file, _, base = _paths(run_dir, f"{container}.{attempt}")
    record = _read_record(record_file)
    if record is None:
        pid_data, exit_data, alive = _read_legacy(base, starts)
    else:
        pid_data, exit_data = record[0] or {}, record[1]
        alive = _alive(pid_data.get("shim"), pid_data.get("shimStart"), starts)
        if exit_data is None and pid_data and not alive:
            # A host writes the end before it exits: one seen gone, with no end read before, may have
            # written it since. Read again, the end is there or truly lost.
            exit_data = _recorded_end(record_file)
    launched_at: float | None = None
    if not (pid_data or exit_data):
        # Claimed and not started yet: since when. (The record is the marker; an earlier kjob's
        # claim has a marker of its own.)
        markers = [record_file] if record is not None else [base + m for m in _LEGACY_MARKERS]
        for path in markers:
            try:
                launched_at = os.stat(path).st_mtime
                break
            except OSError:
                pass
    return RunState(
        launched=launched_at is not None or bool(pid_data or exit_data),
        launched_at=launched_at,
        shim_pid=pid_data.get("shim"),
        shim_start=pid_data.get("shimStart"),
        pid=pid_data.get("pid"),
        started_at=pid_data.get("startedAt"),
        exit=exit_data,
        limits=list(pid_data.get("limits") or []),
        alive=alive,
        shared=bool(pid_data.get("shared")),
        cgroup=pid_data.get("cgroup"),
    )


def _read_legacy(
    base: str, starts: dict[int, int | None] | None
) -> tuple[dict[str, Any], dict[str, Any] | None, bool]:
    """A run's start and end as an earlier kjob's host writes them (see _LEGACY_RECORDS), and whether
    that host lives."""
    pid_data = _read_json(base + _LEGACY_RECORDS[0]) or {}
    # Whether the host lives is seen before its exit record is read: a host writes the record before
    # it exits, so one seen gone with no record afterwards has truly lost its container's result.
    # (Read the other way round, a host ending between the two reads would look lost.)
    alive = _alive(pid_data.get("shim"), pid_data.get("shimStart"), starts)
    return pid_data, _read_json(base + _LEGACY_RECORDS[1]), alive


def run_keys(run_dir: Path | str) -> list[tuple[str, int]]:
    """The runs of a pod's run directory that were claimed, as (container, attempt)."""
    keys = set()
    with contextlib.suppress(OSError):
        for name in os.listdir(run_dir):
            stem, _, suffix = name.rpartition(".")
            container, _, attempt = stem.rpartition(".")
            if f".{suffix}" in (".run", _LEGACY_RECORDS[0]) and container and attempt.isdigit():
                keys.add((container, int(attempt)))
    return sorted(keys)


def shim_alive(state: RunState) -> bool:
    if state.alive is not None:
        return state.alive
    return _alive(state.shim_pid, state.shim_start)


def _alive(pid: int | None, start: int | None, starts: dict[int, int | None] | None = None) -> bool:
    if not pid:
        return False
    if starts is None:
        seen = process_start_time(pid)
    elif pid in starts:
        seen = starts[pid]
    else:
        seen = starts[pid] = process_start_time(pid)
    return seen is not None and seen == start


def launch(spec: RunSpec) -> int | None:
    """Fork a shim of its own for one container run. Returns the shim's pid, or None if this run was
    launched before (by this or an earlier worker): the launch marker makes launching idempotent."""
    if not claim(spec):
        return None
    return fork_shim(spec)


def claim(spec: RunSpec) -> bool:
    """Take this run's launch marker, its record made empty; False if some worker took it before."""
    _mkdir(spec.run_dir)
    record_file, _, base = _paths(spec.run_dir, spec.key)
    if any(os.path.exists(base + marker) for marker in _LEGACY_MARKERS):
        return False  # claimed by an earlier kjob, whose launcher may not have started it yet
    try:
        os.close(os.open(record_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666))
    except FileExistsError:
        return False
    return True


def fork_shim(spec: RunSpec, placement: Any = None) -> int:
    pid = os.fork()
    if pid:
        return pid
    _run_shim(spec, placement)


def _run_shim(spec: RunSpec, placement: Any = None) -> NoReturn:
    # The shim. Whatever happens, it must never return into its parent's code.
    code = 0
    try:
        _shim_main(spec, placement)
    except BaseException:
        code = 1
        with contextlib.suppress(BaseException):
            record_file, _, _ = _paths(spec.run_dir, spec.key)
            if _recorded_end(record_file) is None:
                failed = _exit_record(128, None, "StartError", "kjob shim failed", time.time())
                _append_record(record_file, failed)
    os._exit(code)


# A launcher's answer for a run it could not start (see Host._launch): the run stays asked for.
NOT_CLAIMED = -1


class Launcher:
    """The worker's end of the launcher: a small process the worker forks once, at its start, that
    hosts container runs (see Host). Forked early, it holds little of the worker's memory, and a fork
    from it of a shim, where one is needed, stays cheap. If it is gone, the worker forks the shims
    itself."""

    def __init__(self) -> None:
        self.sock: Any = None
        self.pid: int | None = None
        self.pending: list[int] = []  # replies read while sending
        # Runs asked for and not yet answered, in the order asked (the launcher answers in that order),
        # and when each was asked: until their launch marker exists they count as launched all the same.
        self.order: collections.deque[str] = collections.deque()
        self.asked: dict[str, float] = {}

    def start(self) -> None:
        _preload()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                ours.close()
                _launcher_main(theirs)
            except BaseException as e:
                code = 1
                if not isinstance(e, (SystemExit, KeyboardInterrupt)):
                    _log_exception("launcher")  # into the worker's log: a launcher that died says why
            os._exit(code)
        theirs.close()
        self.sock, self.pid = ours, pid

    def launch(self, specs: list[RunSpec]) -> list[int]:
        """Start the runs not launched before. The launcher's replies (the pid of each run's host: its
        own, or a shim's) come later, through replies(), so the worker does not wait for them; returns
        the pids of any shims it had to fork itself, the launcher being gone."""
        if self.sock is not None:
            import pickle

            for i, spec in enumerate(specs):
                if not self._send(pickle.dumps(spec)):
                    specs = specs[i:]
                    break
                key = _run_key(spec.run_dir, spec.key)
                self.order.append(key)
                self.asked.setdefault(key, time.time())
            else:
                return []
        return [pid for spec in specs if (pid := launch(spec)) is not None]

    def _send(self, data: bytes) -> bool:
        # Never block on a full socket while the launcher may be blocked on its replies to us.
        while self.sock is not None:
            try:
                self.sock.send(data, socket.MSG_DONTWAIT)
                return True
            except BlockingIOError:
                self.pending.extend(self._receive())
                if self.sock is not None:
                    select.select([self.sock], [self.sock], [], 1.0)
            except OSError:
                self.close()
        return False

    def replies(self) -> list[int]:
        """The pids of the hosts of the runs the launcher has started since the last call (its own, or a
        shim's)."""
        pids, self.pending = [*self.pending, *self._receive()], []
        return pids

    def asked_at(self, run_dir: Path | str, container: str, attempt: int) -> float | None:
        """When a run not answered yet was asked for (None if it was not, or has been answered)."""
        return self.asked.get(_run_key(run_dir, f"{container}.{attempt}"))

    def _receive(self) -> list[int]:
        pids: list[int] = []
        while self.sock is not None:
            try:
                reply = self.sock.recv(64, socket.MSG_DONTWAIT)
            except BlockingIOError:
                break
            except OSError:
                reply = b""
            if not reply:
                self.close()  # gone: a shim of the worker's own for each run until it starts another
                break
            try:
                value = int(reply)
            except ValueError:
                value = 0
            if self.order:
                key = self.order.popleft()
                if value != NOT_CLAIMED and key not in self.order:
                    self.asked.pop(key, None)
            if value > 0:
                pids.append(value)
        return pids

    def fileno(self) -> int:
        return -1 if self.sock is None else int(self.sock.fileno())

    def close(self) -> None:
        # What a lost launcher was asked and never answered was never claimed: the next pass asks again.
        self.asked.clear()
        self.order.clear()
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        if self.pid is not None:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, os.WNOHANG)
            self.pid = None


def _preload() -> None:
    """The modules a host needs before its first run. The worker imports them before it forks its
    launchers, which inherit them instead of each importing them again (~6 ms of CPU a launcher)
    while the worker, the command and the launchers all start up on the same cores; Host.warm()
    imports them in a host that did not come from there."""
    import pickle  # noqa: F401
    import resource  # noqa: F401
    import selectors  # noqa: F401

    from kjob import cgroups  # noqa: F401


def _run_key(run_dir: Path | str, key: str) -> str:
    return f"{run_dir}/{key}"


def _launcher_main(sock: Any) -> None:
    _collect_as_host()
    fd = sock.fileno()
    # Nothing of the worker's stays open here, above all its singleton lock.
    os.closerange(3, fd)
    os.closerange(fd + 1, 65536)
    # Its own session: whatever ends the worker's process group does not take the runs with it.
    os.setsid()
    for sig in (signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    set_process_name(b"kjob-launcher")
    # Each run holds four descriptors here (two pipes, its log and index): a thousand runs need more
    # than the usual soft limit of 1,024. (Containers inherit the raised limit, as under containerd.)
    with contextlib.suppress(ValueError, OSError):
        import resource

        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    # Orphans of the containers it starts come here, to be reaped and killed with their run.
    _set_subreaper()
    host = Host(sock)
    host.warm()
    host.serve()


def _collect_as_host() -> None:
    """A host is forked from the worker, whose collector may be off (while it starts up): on here,
    and what the worker held at the fork set aside for good, neither walked by it nor so copied."""
    gc.freeze()
    gc.enable()


def _shim_main(spec: RunSpec, placement: Any = None) -> None:
    _collect_as_host()
    os.setsid()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD, signal.SIGHUP, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_DFL)
    # Drop every descriptor inherited from the worker or the launcher, above all the worker's lock.
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.closerange(3, devnull)
    os.closerange(devnull + 1, 65536)
    set_process_name(b"kjob-shim")
    _set_subreaper()
    host = Host(None, dedicated=True)
    host.add(spec, placement if placement is not None else _placement(spec))
    host.serve()


def _placement(spec: RunSpec) -> Any:
    from kjob import cgroups

    try:
        return cgroups.create(spec.run_id, spec.limits or cgroups.Limits())
    except Exception:
        return None


class Host:
    """The event loop that supervises container runs: starts each, writes its log, stops it when
    asked, kills whatever it leaves behind and records its exit.

    The launcher is the host of most runs: one process for them all, where a shim of its own cost
    each run a Python process (~5 ms of CPU, five times a `sh -c true`). A run the launcher cannot
    contain gets a shim of its own, hosting just it: one without a cgroup (its orphans are found only
    as descendants of a subreaper that runs nothing else) or with a memory limit set as an rlimit."""

    def __init__(self, sock: Any, dedicated: bool = False) -> None:
        import selectors

        self.sock = sock  # the worker's requests (None: a shim, or a launcher whose worker has gone)
        self.buffer = bytearray(1 << 20) if sock is not None else bytearray()  # a request is read into it
        self.dedicated = dedicated
        self.pid = os.getpid()
        self.start = process_start_time(self.pid)
        self.runs: dict[int, Run] = {}  # main process pid -> its run, while it lives
        self.ending: list[Run] = []  # exited, their output still being read
        self.records: list[tuple[Run, dict[str, Any], int]] = []  # exit records to write, tries
        self.retry_at = 0.0
        self.orphans_at = 0.0  # when to look next for runs whose directory was removed
        self.notices: set[str] = set()  # worker sockets to wake once this round of events is handled
        self.devnull = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
        self.cwd = os.open(".", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)  # where a spawn steps back to
        self.shares: bool | None = None  # whether runs can be started in their cgroup from here
        self.kept: list[Any] = []  # empty cgroups (cgroups.Placement) kept for the next runs
        self.made = 0  # cgroups made to keep, for their names
        self.selector = selectors.DefaultSelector()
        # Signals reach the loop through a pipe, so no handler runs in the middle of a write.
        self.wake_r, wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        signal.set_wakeup_fd(wake_w)
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGUSR1):
            signal.signal(sig, _ignore_signal)
        self.selector.register(self.wake_r, selectors.EVENT_READ, "signal")
        if sock is not None:
            self.selector.register(sock, selectors.EVENT_READ, "request")

    def serve(self) -> None:
        while self.sock is not None or self.runs or self.ending or self.records:
            try:
                for key, _ in self.selector.select(self._timeout()):
                    if key.data == "request":
                        self._requests()
                    elif key.data == "signal":
                        self._signals()
                    else:
                        key.data.read(key.fd, self)
                self._reap()
                self._tick()
                self._stop_orphans()
                self._write_records()
                self._send_notices()
            except Exception:  # a bug met by one run must not end every other one
                _log_exception("container host")
                time.sleep(0.1)
        for placement in self.kept:
            with contextlib.suppress(OSError):
                os.rmdir(placement.v2)
        self.kept = []

    def _timeout(self) -> float | None:
        deadlines = [r.kill_at for r in self.runs.values() if r.kill_at is not None]
        deadlines += [r.drain_until for r in self.ending if r.drain_until is not None]
        if self.records:
            deadlines.append(self.retry_at)
        if self.sock is None and self.runs:
            deadlines.append(self.orphans_at)
        return max(0.0, min(deadlines) - time.time()) if deadlines else None

    def _stop_orphans(self) -> None:
        """Once no worker is there to ask, a run whose pod's directory is gone stops as if its pod
        were deleted: the state directory was removed (`rm -rf ~/.kjob`), and no command can reach
        what runs in it any more. (A worker killed leaves the directories, and its runs go on for the
        next worker to find.) Looked at every few seconds, never while a worker asks for runs."""
        if self.sock is not None or not self.runs or time.time() < self.orphans_at:
            return
        self.orphans_at = time.time() + ORPHAN_CHECK
        for run in list(self.runs.values()):
            if not os.path.isdir(run.spec.run_dir):
                run.stop(self, run.spec.grace)

    # -------------------------------------------------------- requests

    def _requests(self) -> None:
        """Serve one request. One a round: between two starts, the runs that ended meanwhile are
        reaped and reported, so their pods are replaced while the rest of a batch is still starting.
        (Serving a whole batch at once was measured slower: its runs ended unreaped meanwhile.)"""
        import pickle

        if self.sock is not None:
            try:
                # Into one buffer kept for every request: recv(1 MiB) allocated and freed a megabyte each.
                size = self.sock.recv_into(self.buffer, 0, socket.MSG_DONTWAIT)
            except BlockingIOError:
                return
            except OSError:
                size = 0
            data = self.buffer[:size]
            if not data:
                self._close_requests()  # the worker has gone, and every request it sent is served
                return
            try:
                reply = self._launch(pickle.loads(data))
            except Exception:
                _log_exception("launch")
                reply = NOT_CLAIMED
            with contextlib.suppress(OSError):
                # A worker killed since it asked cannot hear the answer; the requests behind it still count.
                self.sock.sendall(str(reply).encode())

    def _close_requests(self) -> None:
        if self.sock is not None:
            self.selector.unregister(self.sock)
            self.sock.close()
            self.sock = None

    def _launch(self, spec: RunSpec) -> int:
        """Start one asked-for run; the pid of the process that hosts it (0: launched before)."""
        # Claimed here, not in the worker: a request the worker never sent, or one this launcher never
        # read (killed), leaves no launch marker, so the next pass launches that run again instead of
        # taking it for lost.
        try:
            if not claim(spec):
                return 0
        except OSError:
            # Its directory cannot be made (the state directory damaged, say): unclaimed, it stays
            # asked for, and is found lost once LAUNCH_TIMEOUT has passed. (Answered 0, it was asked
            # for again on the worker's next pass, again and again: ~87% of a core.)
            return NOT_CLAIMED
        placement = self._kept_cgroup(spec) or _placement(spec)
        if placement is not None and placement.v2 and placement.rlimit_memory is None and self._shares():
            self.add(spec, placement)
            return self.pid
        return fork_shim(spec, placement)

    def _kept_cgroup(self, spec: RunSpec) -> Any:
        """The cgroup of a run without limits: one an earlier run left empty, or a new one, kept once
        this run leaves it empty in turn. Made and removed for each run, a cgroup cost ~0.1 ms of the
        kernel's, and a process stepping into a new one waits longer than into one that held processes
        before (~0.6 against ~0.3 ms on average, with a thousand runs a second starting)."""
        if (spec.limits is not None and spec.limits.any()) or self.dedicated or not self._shares():
            return None
        while self.kept:
            placement = self.kept.pop()
            if os.path.isdir(placement.v2):  # not removed meanwhile by someone else: runs must not escape
                return placement
        from kjob import cgroups

        self.made += 1
        try:
            placement = cgroups.create(cgroups.kept_name(self.pid, self.start, self.made), cgroups.Limits())
        except Exception:
            return None
        placement.kept = placement.v2 is not None
        return placement

    def keep(self, placement: Any) -> bool:
        """Keep a run's cgroup for the next run if it is one to keep and nothing lives in it now."""
        from kjob import cgroups

        if placement is None or not placement.kept or len(self.kept) >= KEEP_CGROUPS:
            return False
        if not cgroups.empty(placement):
            return False
        self.kept.append(placement)
        return True

    def warm(self) -> None:
        """Do now what the first run would wait for, while the worker makes its first pass: the
        modules a start uses, and the cgroup probe (its steps into a cgroup and back wait for the
        kernel: ~10 ms). A launcher has the modules already, from the worker it was forked from."""
        _preload()
        from kjob import cgroups

        if self._shares():
            cgroups.prepare()
            cgroups.sweep(lambda pid, start: _alive(pid, start))

    def _shares(self) -> bool:
        """Whether this process may step into a cgroup and back (checked once), which is how a run
        it starts is born inside its cgroup."""
        if self.shares is None:
            from kjob import cgroups

            self.shares = cgroups.can_enter()
        return self.shares

    def add(self, spec: RunSpec, placement: Any) -> None:
        run = Run(spec, placement)
        try:
            started = run.start(self)
        except Exception as e:  # no log file, say, on a full disk: the run fails, not the host
            run.start_error = f"kjob could not start the container: {e}"
            started = False
        if started:
            self.runs[run.pid] = run
        else:
            run.finished = time.time()
            self.ending.append(run)  # it never started: its record says why

    # -------------------------------------------------------- signals and children

    def _signals(self) -> None:
        try:
            got = os.read(self.wake_r, 4096)
        except OSError:
            return
        if signal.SIGTERM in got:
            # Told to end: every run stops as if its pod were deleted (a shim's one run, or all of them).
            for run in list(self.runs.values()):
                grace = run.asked_grace()
                run.stop(self, run.spec.grace if grace is None else grace)
            self._close_requests()
        elif signal.SIGUSR1 in got:
            for run in list(self.runs.values()):
                grace = run.asked_grace()
                if grace is None and not os.path.isdir(run.spec.run_dir):
                    # Its pod was removed, stop file and all, before this read it (remove_pod asks a
                    # last stop of whatever run of the pod still lives, and takes its directory).
                    grace = 0.0
                if grace is not None:
                    run.stop(self, grace)

    def _reap(self) -> bool:
        """Reap every exited child, keeping the statuses of runs' main processes. False once no
        child is left at all."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return False
            if pid == 0:
                return True
            run = self.runs.pop(pid, None)
            if run is not None:
                run.exited(status, self)

    def _tick(self) -> None:
        now = time.time()
        for run in list(self.runs.values()):
            if run.kill_at is not None and now >= run.kill_at:
                run.kill(signal.SIGKILL, self)
                run.kill_at = now + 3600
        for run in list(self.ending):
            if not run.streams or (run.drain_until is not None and now >= run.drain_until):
                self.ending.remove(run)
                self.records.append((run, run.finish(self), 0))

    def _write_records(self) -> None:
        """Exit records, atomically but not synced: the worker syncs the filesystem before it writes
        what it makes of one (the container's terminated state), and that sync takes the record along.
        A power cut before it loses the result, as a node's crash does; the kubelet then reports the
        container as lost."""
        if not self.records or time.time() < self.retry_at:
            return
        batch, self.records = self.records, []
        for run, record, tries in batch:
            record_file, _, _ = _paths(run.spec.run_dir, run.spec.key)
            try:
                _append_record(record_file, record)
            except FileNotFoundError:
                # Its run directory is gone, with its pod (deleted) or the whole state directory: no
                # one is left to tell, and trying again would keep this process for ten minutes.
                continue
            except OSError:
                # A full disk must not lose the result: keep trying while the container's exit is the
                # only news.
                if tries + 1 < EXIT_RECORD_TRIES:
                    self.records.append((run, record, tries + 1))
                    self.retry_at = time.time() + 0.5
                continue
            self.notices.add(run.spec.notify)

    def _send_notices(self) -> None:
        """One wake-up for all the runs that started or ended in a round, not one each."""
        for path in self.notices:
            _notify(path)
        self.notices.clear()

    def forget(self, fd: int) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self.selector.unregister(fd)
        os.close(fd)


# (command, the container's PATH) -> where the command was found, and when: a thousand runs of `sh`
# look it up once a second, not each in a child that tries every directory of PATH in turn.
_FOUND: dict[tuple[str, str | None], tuple[str | None, float]] = {}
FOUND_FOR = 1.0  # seconds: a command installed earlier in PATH meanwhile is found after this long


def _found_executable(spec: RunSpec) -> str | None:
    """The file a container's command runs, as looked up in its PATH lately; None where the child
    must search PATH itself: a command with a slash, a PATH with a relative directory (relative to
    the container's working directory, not this process's), one not found (its error is exec's)."""
    command, path = _found_key(spec)
    if not command or "/" in command:
        return None
    now = time.monotonic()
    hit = _FOUND.get((command, path))
    if hit is None or now - hit[1] > FOUND_FOR:
        search = os.defpath if path is None else path
        directories = search.split(os.pathsep)
        found = _which(command, directories) if all(d.startswith("/") for d in directories) else None
        hit = _FOUND[(command, path)] = (found, now)
    return hit[0]


def _which(command: str, directories: list[str]) -> str | None:
    """shutil.which() of a command in absolute directories: the first executable file of that name.
    Not shutil's own: importing shutil (bz2, lzma, fnmatch) cost a launcher's first run ~2 ms."""
    for directory in dict.fromkeys(directories):
        path = os.path.join(directory, command)
        if os.access(path, os.X_OK) and not os.path.isdir(path):
            return path
    return None


# What Popen's restore_signals gives a child: Python ignores these, and an ignored signal stays ignored
# across exec.
_DEFAULT_SIGNALS = (signal.SIGPIPE, signal.SIGXFSZ)


def _spawn(spec: RunSpec, executable: str, host: Host, stdout: int, stderr: int) -> int:
    """Start a container's main process as Popen would (its own session, umask 022, default signals),
    at half Popen's cost in this process: posix_spawn, and no descriptors to close in the child, every
    one of the launcher's being close-on-exec. posix_spawn cannot give the child alone a working
    directory or a umask: the launcher, which runs nothing else meanwhile, takes them for the spawn."""
    os.chdir(spec.cwd)  # its error is Popen's: FileNotFoundError for the directory
    mask = os.umask(0o022)
    try:
        return os.posix_spawn(
            executable,
            spec.argv,
            spec.env,
            file_actions=[
                (os.POSIX_SPAWN_DUP2, host.devnull, 0),
                (os.POSIX_SPAWN_DUP2, stdout, 1),
                (os.POSIX_SPAWN_DUP2, stderr, 2),
            ],
            setsid=True,
            setsigdef=_DEFAULT_SIGNALS,
        )
    finally:
        os.umask(mask)
        os.fchdir(host.cwd)


def _start_errors() -> tuple[type[Exception], ...]:
    """What a container's failed start raises; subprocess's own error (a shim's cgroup join failed
    before exec) only where Popen has run, which alone imports subprocess."""
    subprocess = sys.modules.get("subprocess")
    return (OSError, ValueError) if subprocess is None else (OSError, ValueError, subprocess.SubprocessError)


def _found_key(spec: RunSpec) -> tuple[str, str | None]:
    return (spec.argv[0] if spec.argv else "", spec.env.get("PATH"))


def _ignore_signal(signum: int, frame: Any) -> None:
    """A handler, not SIG_IGN: the wake-up pipe hears the signal, and an exec resets it to the default
    (an ignored SIGCHLD would be inherited by the containers)."""


class Run:
    """One container run in a host's loop: its main process, output, stop and exit."""

    def __init__(self, spec: RunSpec, placement: Any) -> None:
        self.spec = spec
        self.placement = placement
        self.proc: Any = None
        self.pid = 0
        self.streams: dict[int, str] = {}  # output pipe -> stream name
        self.logger: LogWriter | None = None
        self.started = 0.0
        self.finished = 0.0
        self.status: int | None = None
        self.start_error = ""
        self.stopping = False
        self.kill_at: float | None = None  # SIGKILL, once the grace period of a stop is over
        self.drain_until: float | None = None

    def start(self, host: Host) -> bool:
        """Start the container's main process in the run's cgroup; False if it could not start."""
        import selectors

        from kjob import cgroups

        spec = self.spec
        log_dir = os.path.dirname(spec.log_path)
        if log_dir != os.fspath(spec.run_dir):  # the run directory itself was made when it was claimed
            _make_dirs(log_dir)
        self.logger = LogWriter(spec.log_path)
        if spec.make_cwd:
            with contextlib.suppress(OSError):  # if it cannot be made, chdir says so as runc would
                _mkdir(spec.cwd)
        out_r, out_w = os.pipe2(os.O_CLOEXEC)
        err_r, err_w = os.pipe2(os.O_CLOEXEC)
        self.started = time.time()
        # The launcher steps into the run's cgroup for the spawn and back out (it checked that it may).
        # A shim may host the run because the launcher could not: its container joins the cgroup itself.
        step_in = contextlib.nullcontext() if host.dedicated else cgroups.inside(self.placement)

        def spawn(executable: str | None) -> int:
            if executable is not None and not host.dedicated:
                return _spawn(spec, executable, host, out_w, err_w)
            import subprocess  # not for the launcher's own spawns: ~2 ms to import

            self.proc = subprocess.Popen(
                spec.argv,
                executable=executable,
                stdin=host.devnull,
                stdout=out_w,
                stderr=err_w,
                cwd=spec.cwd,
                env=spec.env,
                umask=0o022,  # the container's files are made as in any container, not kjob's way
                start_new_session=True,  # its own process group: a stop signals all of it
                preexec_fn=_joining(self.placement) if host.dedicated else None,
            )
            return int(self.proc.pid)

        try:
            with step_in:
                found = _found_executable(spec)
                try:
                    self.pid = spawn(found)
                except OSError as e:
                    if found is None or e.filename == spec.cwd:
                        raise
                    # Gone or changed since it was looked up: the container's PATH searched as exec does.
                    _FOUND.pop(_found_key(spec), None)
                    self.pid = spawn(None)
        except _start_errors() as e:
            self.start_error = _start_error_message(spec, e)
        finally:
            os.close(out_w)
            os.close(err_w)
        if not self.pid:
            os.close(out_r)
            os.close(err_r)
            return False
        self.streams = {out_r: "stdout", err_r: "stderr"}
        for fd in self.streams:
            os.set_blocking(fd, False)
            host.selector.register(fd, selectors.EVENT_READ, self)
        placement = self.placement
        record_file, _, _ = _paths(spec.run_dir, spec.key)
        # Not writing it (a full disk) leaves the run looking lost after a while: the kubelet then
        # kills it and says so, as it does of a container it cannot find.
        with contextlib.suppress(OSError):
            _append_record(
                record_file,
                {
                    "shim": host.pid,
                    "shimStart": host.start,
                    "shared": not host.dedicated,
                    "pid": self.pid,
                    "startedAt": self.started,
                    "limits": placement.notes if placement and spec.limits and spec.limits.any() else [],
                    "cgroup": os.path.basename(placement.v2) if placement and placement.kept else None,
                },
            )
        host.notices.add(spec.notify)
        return True

    def read(self, fd: int, host: Host) -> None:
        stream = self.streams.get(fd)
        if stream is None or self.logger is None:
            return
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if chunk:
            self.logger.write(stream, chunk)
        else:
            self.logger.flush(stream)
            del self.streams[fd]
            host.forget(fd)

    def asked_grace(self) -> float | None:
        """The grace period of the stop asked for this run (its stop file), or None if none was."""
        _, stop_file, _ = _paths(self.spec.run_dir, self.spec.key)
        data = _read_json(stop_file)
        if data is None:
            return None
        grace = data.get("grace")
        return float(grace) if isinstance(grace, (int, float)) else self.spec.grace

    def stop(self, host: Host, grace: float) -> None:
        """SIGTERM to every process of the container now, SIGKILL after the grace period."""
        if self.stopping or self.status is not None:
            return
        self.stopping = True
        self.kill(signal.SIGTERM, host)
        self.kill_at = time.time() + max(grace, MIN_GRACE_PERIOD if grace > 0 else 0.0)

    def exited(self, status: int, host: Host) -> None:
        self.status, self.finished = status, time.time()
        if self.proc is not None:
            self.proc.returncode = status  # reaped here: the Popen must not wait for it later
        # The container ends with its main process: whatever it left behind goes with it.
        from kjob import cgroups

        if not host.dedicated and host.keep(self.placement):
            self.placement = None  # the next run's now
        elif host.dedicated or not cgroups.remove_if_empty(self.placement):
            self.kill(signal.SIGKILL, host, group=False)
        self.kill_at = None
        self.drain_until = self.finished + 2.0
        host.ending.append(self)

    def kill(self, sig: int, host: Host, group: bool = True) -> None:
        """Signal every process of the container: its process group, every process in its cgroup, and
        in a shim of its own, every descendant of the shim (double-forked daemons included: as a
        subreaper the shim inherits them). A graceful signal reaches each process once; SIGKILL
        repeats until none is left."""
        from kjob import cgroups

        if sig != signal.SIGKILL:
            # Once each, so a handler (a `trap ... TERM`) runs once, as with one signal from the kubelet.
            # A launcher's run was born in its cgroup, which holds all of it: no scan of /proc, which
            # costs milliseconds a run when a job of a thousand pods is deleted.
            targets = {*cgroups.procs(self.placement)}
            if self.status is None:
                targets.add(self.pid)
            if host.dedicated:
                targets |= set(descendants(host.pid))
            for pid in sorted(targets):
                with contextlib.suppress(OSError):
                    os.kill(pid, sig)
            return
        if group and self.status is None:
            with contextlib.suppress(OSError):
                os.killpg(self.pid, sig)
        # The cgroup holds every process of the run, even one that left the process tree.
        cgroups.kill(self.placement, sig)
        if not host.dedicated:
            return
        for _ in range(100):
            if not host._reap():
                # A subreaper without children has no descendants either (an orphan would have come to
                # it): no need to scan all of /proc, which costs milliseconds with many processes.
                return
            pids = descendants(host.pid)
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(OSError):
                    os.kill(pid, sig)
            time.sleep(0.01)

    def finish(self, host: Host) -> dict[str, Any]:
        """Close the run's output and cgroups; its exit record."""
        from kjob import cgroups

        assert self.logger is not None or self.start_error
        for fd, stream in list(self.streams.items()):
            if self.logger is not None:
                self.logger.flush(stream)
            host.forget(fd)
        self.streams = {}
        if self.logger is not None:
            self.logger.close()
        oom = cgroups.oom_killed(self.placement)
        cgroups.remove(self.placement)
        if self.start_error:
            record = _exit_record(128, None, "StartError", self.start_error, self.finished)
        else:
            code, signum = _decode_status(self.status)
            # The runtime says OOMKilled once the OOM killer acted in the container, whatever its main
            # process then exits with (under cgroup v1 a child may be killed and the main one go on).
            reason = "OOMKilled" if oom else ("Completed" if code == 0 else "Error")
            record = _exit_record(code, signum, reason, "", self.finished)
        record["startedAt"] = self.started
        return record


def _make_dirs(path: str) -> None:
    """`mkdir -p` of a directory whose parent is most often new too: two mkdirs, where trying the
    directory first costs a failed one more (each costs ~0.1 ms on a busy filesystem)."""
    _mkdir(os.path.dirname(path))
    _mkdir(path)


def _mkdir(path: Path | str) -> None:
    """`mkdir -p` in one mkdir where the parent exists, as it most often does."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except FileNotFoundError:
        os.makedirs(path, 0o700, exist_ok=True)


def _joining(placement: Any) -> Any:
    """What a shim's container does before its exec: join the run's cgroups, and take a memory limit
    no cgroup could take as an rlimit (a fork, not a vfork, for it: shims are the rare case)."""
    if placement is None or not (placement.directories() or placement.rlimit_memory is not None):
        return None

    def join() -> None:
        from kjob import cgroups

        cgroups.join(placement)

    return join


def _exit_record(code: int, signum: int | None, reason: str, message: str, finished: float) -> dict[str, Any]:
    return {"exitCode": code, "signal": signum, "reason": reason, "message": message, "finishedAt": finished}


def _set_subreaper() -> None:
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def set_process_name(name: bytes) -> None:
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None).prctl(PR_SET_NAME, name, 0, 0, 0)


def _log_exception(what: str) -> None:
    import traceback

    with contextlib.suppress(Exception):
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
        sys.stderr.write(f"{stamp} {what} failed (pid {os.getpid()}):\n{traceback.format_exc()}")
        sys.stderr.flush()


_NOTIFIER: dict[int, socket.socket] = {}  # pid -> its one unbound datagram socket for wake-ups


def _notify(path: str) -> None:
    if not path:
        return
    pid = os.getpid()
    sock = _NOTIFIER.get(pid)
    if sock is None:
        for inherited in _NOTIFIER.values():
            inherited.detach()  # a forked shim closed the descriptor, whose number may be another's now
        _NOTIFIER.clear()
        sock = _NOTIFIER[pid] = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.setblocking(False)
    with contextlib.suppress(OSError):
        sock.sendto(b"s", _ADDRESSES.get(path) or _kept_address(path))


_ADDRESSES: dict[str, str] = {}  # the worker's socket -> the address a host sends its wake-ups to


def _kept_address(path: str) -> str:
    """The worker's socket as an address, its directory (if it must be) held open for the host's
    life: a host wakes the worker after every run."""
    _ADDRESSES[path] = open_socket_address(path)[0]
    return _ADDRESSES[path]


def _start_error_message(spec: RunSpec, e: BaseException) -> str:
    base = "failed to create containerd task: failed to create shim task: OCI runtime create failed: "
    base += "runc create failed: unable to start container process: "
    if isinstance(e, FileNotFoundError) and e.filename == spec.cwd:
        return (
            base
            + f'chdir to cwd ("{spec.cwd}") set in config.json failed: no such file or directory: unknown'
        )
    if isinstance(e, FileNotFoundError):
        return base + f'exec: "{spec.argv[0]}": executable file not found in $PATH: unknown'
    if isinstance(e, PermissionError):
        return base + f'exec: "{spec.argv[0]}": permission denied: unknown'
    return base + f"{e}: unknown"


def _decode_status(status: int | None) -> tuple[int, int | None]:
    if status is None:
        return 137, signal.SIGKILL
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        return 128 + sig, sig
    return os.WEXITSTATUS(status), None


def descendants(root: int) -> list[int]:
    """Every live process below `root`, found through /proc's parent links."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        try:
            children.setdefault(int(fields[1]), []).append(int(entry))
        except (IndexError, ValueError):
            continue
    out: list[int] = []
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), []):
            out.append(child)
            stack.append(child)
    return out


def request_stop(run_dir: Path | str, container: str, attempt: int, grace: float) -> bool:
    """Ask the host of a running container to stop it: SIGTERM now, SIGKILL after `grace` seconds."""
    state = read_state(run_dir, container, attempt)
    if state.exit is not None or not shim_alive(state):
        return False
    _, stop_file, _ = _paths(run_dir, f"{container}.{attempt}")
    with contextlib.suppress(OSError):
        _write_json(stop_file, {"grace": grace}, durable=False)  # read by a live shim only
    try:
        # A launcher's SIGTERM would stop all its runs: SIGUSR1 has it look for stop files.
        os.kill(state.shim_pid or 0, signal.SIGUSR1 if state.shared else signal.SIGTERM)
    except OSError:
        return False
    return True


def kill_lost_run(run_dir: Path | str, container: str, attempt: int) -> None:
    """Kill what is left of a run whose host died: its cgroups, and its process group."""
    from kjob import cgroups

    run_id = f"{os.path.basename(run_dir)}-{container}-{attempt}"
    state = read_state(run_dir, container, attempt)
    placement = cgroups.find(run_id, state.cgroup)
    cgroups.kill(placement)
    cgroups.remove(placement)
    if state.pid:
        with contextlib.suppress(OSError):
            os.killpg(state.pid, signal.SIGKILL)
