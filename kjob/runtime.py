"""Runs one container as local processes: a forked shim per container run that outlives the worker,
writes its log, records the exit, and kills the container's whole process tree."""

from __future__ import annotations

import collections
import contextlib
import json
import os
import select
import signal
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from kjob.containerlog import LogWriter

# The kubelet never waits less than this between SIGTERM and SIGKILL.
MIN_GRACE_PERIOD = 2.0
PR_SET_NAME = 15
EXIT_RECORD_TRIES = 1200  # ten minutes of a full disk
PR_SET_CHILD_SUBREAPER = 36


@dataclass
class RunSpec:
    """Everything a shim needs to start one run (attempt) of a container."""

    run_dir: Path  # <home>/run/<pod-uid>
    container: str
    attempt: int
    argv: list[str]
    env: dict[str, str]
    cwd: str
    log_path: Path
    grace: float
    notify: str = ""  # the worker's wake-up socket, told when the container has started
    limits: Any = None  # cgroups.Limits of the container, if it has any
    make_cwd: bool = False  # kjob's own working directory for the container, made by the shim

    @property
    def run_id(self) -> str:
        return f"{self.run_dir.name}-{self.container}-{self.attempt}"

    @property
    def key(self) -> str:
        return f"{self.container}.{self.attempt}"


@dataclass
class RunState:
    """What the run files say of one container run."""

    launched: bool
    launched_at: float | None = None
    shim_pid: int | None = None
    shim_start: int | None = None
    pid: int | None = None
    started_at: float | None = None
    exit: dict[str, Any] | None = None
    limits: list[str] = field(default_factory=list)  # how the run's resource limits are enforced
    alive: bool | None = None  # whether the shim lived when the files were read (None: not looked)


def _paths(run_dir: Path, key: str) -> tuple[Path, Path, Path, Path]:
    return (
        run_dir / f"{key}.launch",
        run_dir / f"{key}.pid",
        run_dir / f"{key}.exit",
        run_dir / f"{key}.stop",
    )


def _write_json(path: Path, data: dict[str, Any], durable: bool = True) -> None:
    """Replace a run file whole. `durable=False` for what only matters while the machine stays up:
    the page cache already carries it across any process's death."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w") as f:
        json.dump(data, f)
        f.flush()
        if durable:
            os.fsync(f.fileno())
    os.replace(tmp, path)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        with open(path) as f:
            data = json.load(f)
        return data if isinstance(data, dict) else None
    except (OSError, ValueError):
        return None


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


def read_state(run_dir: Path, container: str, attempt: int) -> RunState:
    launch, pid_file, exit_file, _ = _paths(run_dir, f"{container}.{attempt}")
    pid_data = _read_json(pid_file) or {}
    # Whether the shim lives is seen before its exit record is read: a shim writes the record before
    # it exits, so a shim seen gone with no record afterwards has truly lost its container's result.
    # (Read the other way round, a shim ending between the two reads would look lost.)
    alive = _alive(pid_data.get("shim"), pid_data.get("shimStart"))
    exit_data = _read_json(exit_file)
    try:
        launched_at: float | None = launch.stat().st_mtime
    except OSError:
        launched_at = None
    return RunState(
        launched=launched_at is not None,
        launched_at=launched_at,
        shim_pid=pid_data.get("shim"),
        shim_start=pid_data.get("shimStart"),
        pid=pid_data.get("pid"),
        started_at=pid_data.get("startedAt"),
        exit=exit_data,
        limits=list(pid_data.get("limits") or []),
        alive=alive,
    )


def shim_alive(state: RunState) -> bool:
    if state.alive is not None:
        return state.alive
    return _alive(state.shim_pid, state.shim_start)


def _alive(pid: int | None, start: int | None) -> bool:
    if not pid:
        return False
    seen = process_start_time(pid)
    return seen is not None and seen == start


def launch(spec: RunSpec) -> int | None:
    """Fork a shim for one container run. Returns the shim's pid, or None if this run was launched
    before (by this or an earlier worker): the launch marker makes launching idempotent."""
    if not claim(spec):
        return None
    return fork_shim(spec)


def claim(spec: RunSpec) -> bool:
    """Take this run's launch marker; False if some worker took it before."""
    spec.run_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    launch_marker, *_ = _paths(spec.run_dir, spec.key)
    try:
        os.close(os.open(launch_marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        return False
    return True


def fork_shim(spec: RunSpec) -> int:
    pid = os.fork()
    if pid:
        return pid
    _run_shim(spec)


def _run_shim(spec: RunSpec) -> NoReturn:
    # The shim. Whatever happens, it must never return into its parent's code.
    code = 0
    try:
        _shim_main(spec)
    except BaseException:
        code = 1
        with contextlib.suppress(BaseException):
            _, _pid_file, exit_file, _ = _paths(spec.run_dir, spec.key)
            if not exit_file.exists():
                _write_json(exit_file, _exit_record(128, None, "StartError", "kjob shim failed", time.time()))
    os._exit(code)


class Launcher:
    """Forks shims from a small process the worker forks once, at its start, instead of from the
    worker itself. A fork copies the parent's page tables, and then each side pays a page fault for
    every shared page it writes; the worker holds every object of the store, so forking from it cost
    ~2 ms a container at 1,000 pods, the largest part of its time. The launcher also imports once what
    every shim needs. If it is gone, the worker forks the shim itself."""

    def __init__(self) -> None:
        self.sock: Any = None
        self.pid: int | None = None
        self.pending: list[int] = []  # replies read while sending
        # Runs asked for and not yet answered, in the order asked (the launcher answers in that order),
        # and when each was asked: until their launch marker exists they count as launched all the same.
        self.order: collections.deque[str] = collections.deque()
        self.asked: dict[str, float] = {}

    def start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                ours.close()
                _launcher_main(theirs)
            except BaseException:
                code = 1
            os._exit(code)
        theirs.close()
        self.sock, self.pid = ours, pid

    def launch(self, specs: list[RunSpec]) -> list[int]:
        """Start the runs not launched before. The launcher's replies (shim pids) come later, through
        replies(), so the worker does not wait for its forks; returns the pids of any shims it had to
        fork itself, the launcher being gone."""
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
        """The pids of the shims the launcher has started since the last call."""
        pids, self.pending = [*self.pending, *self._receive()], []
        return pids

    def asked_at(self, run_dir: Path, container: str, attempt: int) -> float | None:
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
                self.close()  # gone: later runs are forked by the worker itself
                break
            if self.order:
                key = self.order.popleft()
                if key not in self.order:
                    self.asked.pop(key, None)
            with contextlib.suppress(ValueError):
                if int(reply) > 0:
                    pids.append(int(reply))
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


def _run_key(run_dir: Path, key: str) -> str:
    return f"{run_dir}/{key}"


def _launcher_main(sock: Any) -> None:
    import ctypes  # each shim needs these: imported once here, inherited by every fork
    import pickle

    from kjob import cgroups  # noqa: F401

    fd = sock.fileno()
    # Nothing of the worker's stays open here, above all its singleton lock.
    os.closerange(3, fd)
    os.closerange(fd + 1, 65536)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    # The worker watches each shim through a pidfd; nobody here needs their statuses.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    with contextlib.suppress(Exception):
        ctypes.CDLL(None).prctl(PR_SET_NAME, b"kjob-launcher", 0, 0, 0)
    while True:
        data = sock.recv(1 << 20)
        if not data:
            return  # the worker has gone, and every request it sent has been served
        spec = pickle.loads(data)
        # Claimed here, not in the worker: a request the worker never sent, or one this launcher never
        # read (killed), leaves no launch marker, so the next pass launches that run again instead of
        # taking it for lost.
        try:
            claimed = claim(spec)
        except OSError:
            claimed = False  # a full disk, say: unclaimed, the run is asked for again
        if not claimed:
            with contextlib.suppress(OSError):
                sock.sendall(b"0")  # one answer per request all the same
            continue
        pid = os.fork()
        if pid == 0:
            sock.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            _run_shim(spec)
        with contextlib.suppress(OSError):
            # A worker killed since it asked cannot hear the answer; the requests behind it still count.
            sock.sendall(str(pid).encode())


def _exit_record(code: int, signum: int | None, reason: str, message: str, finished: float) -> dict[str, Any]:
    return {"exitCode": code, "signal": signum, "reason": reason, "message": message, "finishedAt": finished}


def _set_subreaper() -> None:
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        libc.prctl(PR_SET_NAME, b"kjob-shim", 0, 0, 0)


def _shim_main(spec: RunSpec) -> None:
    os.setsid()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD, signal.SIGHUP, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_DFL)
    # Drop every descriptor inherited from the worker, above all its singleton lock.
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.closerange(3, devnull)
    os.closerange(devnull + 1, 65536)
    _set_subreaper()
    _, pid_file, exit_file, stop_file = _paths(spec.run_dir, spec.key)

    spec.log_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    logger = LogWriter(spec.log_path)
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    exec_r, exec_w = os.pipe2(os.O_CLOEXEC)

    # Signals reach the shim's loop through a pipe, so no handler runs in the middle of a write.
    wake_r, wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.set_wakeup_fd(wake_w)
    stop_requested = False

    def on_term(signum: int, frame: Any) -> None:
        nonlocal stop_requested
        stop_requested = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGCHLD, lambda s, f: None)

    from kjob import cgroups

    placement: cgroups.Placement | None = None
    with contextlib.suppress(Exception):
        placement = cgroups.create(spec.run_id, spec.limits or cgroups.Limits())

    if spec.make_cwd:
        with contextlib.suppress(OSError):  # if it cannot be made, chdir says so as runc would
            os.makedirs(spec.cwd, mode=0o700, exist_ok=True)
    started = time.time()
    child = os.fork()
    if child == 0:
        try:
            os.setpgid(0, 0)
            cgroups.join(placement)
            os.umask(0o022)  # the container's files are made as in any container, not kjob's private way
            os.dup2(out_w, 1)
            os.dup2(err_w, 2)
            for fd in (out_r, out_w, err_r, err_w, exec_r, wake_r, wake_w):
                os.close(fd)
            signal.set_wakeup_fd(-1)
            for sig in (signal.SIGTERM, signal.SIGCHLD):
                signal.signal(sig, signal.SIG_DFL)
            os.chdir(spec.cwd)
            os.execvpe(spec.argv[0], spec.argv, spec.env)
        except BaseException as e:
            msg = _start_error_message(spec, e)
            with contextlib.suppress(OSError):
                os.write(exec_w, msg.encode())
        os._exit(127)

    for fd in (out_w, err_w, exec_w):
        os.close(fd)
    _write_json(
        pid_file,
        {
            "shim": os.getpid(),
            "shimStart": process_start_time(os.getpid()),
            "pid": child,
            "startedAt": started,
            "limits": placement.notes if placement and spec.limits and spec.limits.any() else [],
        },
        durable=False,  # pids mean nothing after a reboot
    )
    start_error = _read_all(exec_r)
    os.close(exec_r)
    _notify(spec.notify)

    streams = {out_r: "stdout", err_r: "stderr"}
    for fd in streams:
        os.set_blocking(fd, False)
    reaper = _Reaper(child, placement)
    kill_deadline: float | None = None
    while True:
        timeout = None if kill_deadline is None else max(0.0, kill_deadline - time.time())
        readable = _select([*streams, wake_r], timeout)
        for fd in readable:
            if fd == wake_r:
                with contextlib.suppress(OSError):
                    os.read(wake_r, 4096)
                continue
            chunk = _read_chunk(fd)
            if chunk is None:
                continue
            if chunk:
                logger.write(streams[fd], chunk)
            else:
                logger.flush(streams[fd])
                os.close(fd)
                del streams[fd]
        reaper.reap()
        if stop_requested and kill_deadline is None and reaper.status is None:
            grace = spec.grace
            data = _read_json(stop_file)
            if data and isinstance(data.get("grace"), (int, float)):
                grace = float(data["grace"])
            kill_tree(signal.SIGTERM, reaper)
            kill_deadline = time.time() + max(grace, MIN_GRACE_PERIOD if grace > 0 else 0.0)
        if kill_deadline is not None and time.time() >= kill_deadline and reaper.status is None:
            kill_tree(signal.SIGKILL, reaper)
            kill_deadline = time.time() + 3600
        if reaper.status is not None or reaper.no_children:
            break
    finished = time.time()
    # The container ends with its main process: whatever it left behind goes with it.
    kill_tree(signal.SIGKILL, reaper, group=False)
    _drain(streams, logger)
    logger.close()
    oom = cgroups.oom_killed(placement)
    cgroups.remove(placement)
    if start_error:
        record = _exit_record(128, None, "StartError", start_error, finished)
    else:
        code, signum = _decode_status(reaper.status)
        reason = "Completed" if code == 0 else ("OOMKilled" if oom and code == 137 else "Error")
        record = _exit_record(code, signum, reason, "", finished)
    record["startedAt"] = started
    # A full disk must not lose the result: keep trying while the container's exit is the only news.
    for _ in range(EXIT_RECORD_TRIES):
        try:
            _write_json(exit_file, record)
            break
        except OSError:
            time.sleep(0.5)
    _notify(spec.notify)


def _notify(path: str) -> None:
    if not path:
        return
    with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.setblocking(False)
        s.sendto(b"s", path)


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


def _select(fds: list[int], timeout: float | None) -> list[int]:
    while True:
        try:
            return select.select(fds, [], [], timeout)[0]  # type: ignore[no-any-return]
        except InterruptedError:
            continue


def _read_chunk(fd: int) -> bytes | None:
    try:
        return os.read(fd, 65536)
    except BlockingIOError:
        return None  # nothing to read right now
    except OSError:
        return b""


def _read_all(fd: int) -> str:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 4096)
        except InterruptedError:
            continue
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


def _drain(streams: dict[int, str], logger: LogWriter) -> None:
    deadline = time.time() + 2.0
    while streams and time.time() < deadline:
        readable = _select(list(streams), 0.1)
        for fd in readable:
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                continue
            except OSError:
                chunk = b""
            if chunk:
                logger.write(streams[fd], chunk)
            else:
                logger.flush(streams[fd])
                os.close(fd)
                del streams[fd]
    for fd, stream in list(streams.items()):
        logger.flush(stream)
        os.close(fd)


class _Reaper:
    """Reaps every exited child (as a subreaper the shim inherits orphans) and keeps the main one's status."""

    def __init__(self, main: int, placement: Any = None) -> None:
        self.main = main
        self.placement = placement
        self.status: int | None = None
        self.no_children = False

    def reap(self) -> None:
        while True:
            try:
                pid, st = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                # No child left at all: if the main one's status was never seen, it never will be.
                self.no_children = True
                return
            except InterruptedError:
                continue
            if pid == 0:
                return
            if pid == self.main:
                self.status = st


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


def kill_tree(sig: int, reaper: _Reaper, group: bool = True) -> None:
    """Signal every process of the container: its process group, every descendant of this shim
    (double-forked daemons included: as a subreaper the shim inherits them) and every process in
    its cgroup. A graceful signal reaches each process once; SIGKILL repeats until none is left."""
    from kjob import cgroups

    if sig != signal.SIGKILL:
        # Once each, so a handler (a `trap ... TERM`) runs once, as with one signal from the kubelet.
        targets = {*descendants(os.getpid()), *cgroups.procs(reaper.placement)}
        for pid in sorted(targets):
            with contextlib.suppress(OSError):
                os.kill(pid, sig)
        return
    if group:
        with contextlib.suppress(OSError):
            os.killpg(reaper.main, sig)
    # The cgroup holds every process of the run, even one that left the process tree.
    cgroups.kill(reaper.placement, sig)
    for _ in range(100):
        reaper.reap()
        if reaper.no_children:
            # A subreaper without children has no descendants either (an orphan would have come to
            # it): no need to scan all of /proc, which costs milliseconds with many processes.
            return
        pids = descendants(os.getpid())
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, sig)
        time.sleep(0.01)


def request_stop(run_dir: Path, container: str, attempt: int, grace: float) -> bool:
    """Ask a running shim to stop its container: SIGTERM now, SIGKILL after `grace` seconds."""
    state = read_state(run_dir, container, attempt)
    if state.exit is not None or not shim_alive(state):
        return False
    _, _, _, stop_file = _paths(run_dir, f"{container}.{attempt}")
    with contextlib.suppress(OSError):
        _write_json(stop_file, {"grace": grace}, durable=False)  # read by a live shim only
    try:
        os.kill(state.shim_pid or 0, signal.SIGTERM)
    except OSError:
        return False
    return True


def kill_lost_run(run_dir: Path, container: str, attempt: int) -> None:
    """Kill what is left of a run whose shim died: its cgroups, and its process group."""
    from kjob import cgroups

    run_id = f"{run_dir.name}-{container}-{attempt}"
    placement = cgroups.find(run_id)
    cgroups.kill(placement)
    cgroups.remove(placement)
    state = read_state(run_dir, container, attempt)
    if state.pid:
        with contextlib.suppress(OSError):
            os.killpg(state.pid, signal.SIGKILL)
