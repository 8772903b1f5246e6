"""The benchmark harness: how kjob and its floors are run and timed, and how every process a figure
started is found in /proc and stopped."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import select
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
PY = sys.executable
# The processes that host containers: a launcher (most runs) and shims (a run each). Forks of the
# worker, they carry its command line; their SIGTERM stops their containers before they exit.
HOSTS = ("kjob-launcher", "kjob-shim")
# Every kjob command a figure runs is bounded, so a hang shows as an error, not a stuck CI job.
COMMAND_TIMEOUT = 600.0
CLK_TCK = os.sysconf("SC_CLK_TCK")
PIPE_SIZE = 1 << 20


class BenchError(Exception):
    """The harness could not take a measurement (a kjob command failed, a wait timed out)."""


def kjob_argv() -> list[str]:
    """The `kjob` on PATH (as installed), else `python -m kjob` from this checkout."""
    script = shutil.which("kjob")
    return [script] if script else [PY, "-m", "kjob"]


def make_env(home: Path) -> dict[str, str]:
    env = {**os.environ, "KJOB_HOME": str(home)}
    env.pop("KJOB_NAMESPACE", None)
    if not shutil.which("kjob"):
        env["PYTHONPATH"] = str(ROOT)  # `python -m kjob` from this checkout
    return env


def use_same_kjob() -> None:
    """In-process imports of kjob (store, manifest) must be the code the CLI runs."""
    if not shutil.which("kjob"):
        sys.path.insert(0, str(ROOT))
        return
    try:
        import kjob  # noqa: F401
    except ImportError:
        sys.path.insert(0, str(ROOT))


# ---------------------------------------------------------------- running and timing


class Bounded:
    """A child process killed if it outlives `timeout`. The bound is a timer thread, not
    `Popen.wait(timeout=...)`: that one polls with sleeps of up to 50 ms, which would be measured."""

    def __init__(self, argv: list[str], env: dict[str, str], timeout: float = COMMAND_TIMEOUT, **kw: Any):
        self.argv = argv
        self.proc = subprocess.Popen(argv, env=env, **kw)
        self.timer = threading.Timer(timeout, self.proc.kill)
        self.timer.daemon = True
        self.timer.start()
        self.timeout = timeout

    def finish(self, input: bytes | None = None) -> tuple[bytes, bytes]:
        """Feed stdin, wait for the end (blocking, no polling); its stdout and stderr if piped."""
        try:
            out, err = self.proc.communicate(input)
        finally:
            self.timer.cancel()
        if self.proc.returncode == -signal.SIGKILL:
            raise BenchError(f"{' '.join(self.argv)}: no answer within {self.timeout:.0f}s")
        return out or b"", err or b""


def timed(argv: list[str], env: dict[str, str], stdin: str | None = None) -> float:
    """Wall time of one command, its output thrown away."""
    start = time.perf_counter()
    Bounded(
        argv,
        env,
        stdin=subprocess.PIPE if stdin is not None else None,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    ).finish(stdin.encode() if stdin is not None else None)
    return time.perf_counter() - start


def timed_piped(argv: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall time of one command whose stdout is a pipe that this process drains in 1 MB reads (a
    consumer, as `| cat > /dev/null` is), and the bytes it wrote.

    The pipe holds 1 MB, not Linux's default 64 KB: with 64 KB, writer and reader hand over every
    64 KB, and on a VM whose idle CPUs sleep the wake-ups dominate (cat of 288 MB took 90 to 350 ms
    from run to run, against a steady 100 ms with 1 MB)."""
    read_fd, write_fd = os.pipe()
    with contextlib.suppress(OSError):
        fcntl.fcntl(write_fd, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
    start = time.perf_counter()
    try:
        run = Bounded(argv, env, stdout=write_fd, stderr=subprocess.DEVNULL)
    finally:
        os.close(write_fd)
    total = 0
    try:
        while chunk := os.read(read_fd, PIPE_SIZE):
            total += len(chunk)
    finally:
        os.close(read_fd)
    run.finish()
    elapsed = time.perf_counter() - start
    if run.proc.returncode != 0:
        raise BenchError(f"{' '.join(argv)} exited {run.proc.returncode}")
    return elapsed, total


def kjob(env: dict[str, str], *args: str, input: str | None = None, timeout: float = COMMAND_TIMEOUT) -> str:
    """Run one kjob command that must succeed; its stdout."""
    run = Bounded(
        [*kjob_argv(), *args],
        env,
        timeout,
        stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = run.finish(input.encode() if input is not None else None)
    if run.proc.returncode != 0:
        raise BenchError(f"kjob {' '.join(args)} exited {run.proc.returncode}: {err.decode().strip()}")
    return out.decode()


def python_hwm_mb(env: dict[str, str]) -> float:
    """VmHWM of a Python that does nothing, read by itself at its end. (A child's rusage ru_maxrss
    would not do: it keeps the high-water mark of the forked copy of this harness from before exec.)"""
    out = subprocess.run(
        [PY, "-c", "import sys; sys.stdout.write(open('/proc/self/status').read())"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    for line in out.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise BenchError("no VmHWM in /proc/self/status")


def wait_for(what: str, predicate: Callable[[], Any], timeout: float, interval: float = 0.1) -> Any:
    """Poll a condition with a bound (setup only: nothing measured waits this way)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise BenchError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


# ---------------------------------------------------------------- results


@dataclass
class Samples:
    kjob: list[float] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)

    @property
    def ratios(self) -> list[float]:
        return [k / f for k, f in zip(self.kjob, self.floor, strict=True) if f > 0]


def alternate(
    kjob_round: Callable[[], float], floor_round: Callable[[], float], rounds: int, warmup: bool = True
) -> Samples:
    """kjob, then its floor, round after round, so drifts of the machine hit both alike. The warm-up
    round (caches, a first byte-compile) is not kept."""
    if warmup:
        kjob_round()
        floor_round()
    samples = Samples()
    for _ in range(rounds):
        samples.kjob.append(kjob_round())
        samples.floor.append(floor_round())
    return samples


@dataclass
class Result:
    """One figure's outcome: `kjob` and `floor` in `unit`; `ratio` the median of per-round ratios
    (None where the floor is 0)."""

    id: str
    title: str
    floor_is: str
    target: str
    unit: str
    kjob: float | None = None
    floor: float | None = None
    ratio: float | None = None
    rounds: int = 0
    shown: str = ""  # the kjob cell when one number does not say it (latency's median and p90)
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def set_samples(self, samples: Samples, scale: float = 1.0) -> None:
        self.kjob = statistics.median(samples.kjob) * scale
        self.floor = statistics.median(samples.floor) * scale
        self.ratio = statistics.median(samples.ratios)
        self.rounds = len(samples.kjob)
        self.extra["kjob_samples"] = [round(v * scale, 3) for v in samples.kjob]
        self.extra["floor_samples"] = [round(v * scale, 3) for v in samples.floor]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "figure": self.title,
            "floor_is": self.floor_is,
            "target": self.target,
            "unit": self.unit,
            "kjob": _round(self.kjob),
            "floor": _round(self.floor),
            "ratio": _round(self.ratio),
            "rounds": self.rounds,
            "notes": self.notes,
            **self.extra,
            "error": self.error,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


# ---------------------------------------------------------------- the state directory, from outside


def store_pods(home: Path) -> list[dict[str, Any]]:
    from kjob.store import Store

    return Store(home).list("pods")


def phase_counts(home: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for pod in store_pods(home):
        phase = str((pod.get("status") or {}).get("phase") or "Pending")
        counts[phase] = counts.get(phase, 0) + 1
    return counts


def job_doc(name: str, command: list[str], suspend: bool = False, **spec: Any) -> dict[str, Any]:
    job_spec: dict[str, Any] = {
        **spec,
        "template": {
            "spec": {
                "containers": [{"name": "c", "image": "busybox", "command": command}],
                "restartPolicy": "Never",
            }
        },
    }
    if suspend:
        job_spec["suspend"] = True
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name}, "spec": job_spec}


def manifest_text(doc: dict[str, Any]) -> str:
    """A manifest for `kjob create -f -` (JSON is YAML, and keeps the harness free of a YAML writer)."""
    return json.dumps(doc)


def write_suspended_jobs(home: Path, count: int) -> None:
    """Store `count` suspended jobs the way `kjob create` would (kjob's own prepare_job and Store, in
    one locked, batched write), then let a worker settle them (their Suspended condition and event)
    and exit, so every measurement sees the same steady state."""
    from kjob import manifest, worker
    from kjob.store import Store

    store = Store(home)
    now = time.time()
    with store.lock(), store.cached():
        for i in range(count):
            doc = job_doc(f"job-{i:05d}", ["sh", "-c", "true"], suspend=True)
            store.create("jobs", manifest.prepare_job(doc, "default", now))
    worker.ensure_running(store)
    wait_workers_gone(home, timeout=600)


def delete_job_file(home: Path, name: str) -> None:
    from kjob.store import Store

    store = Store(home)
    with store.lock():
        store.delete("jobs", "default", name)


def worker_pid(home: Path) -> int:
    """The live worker of a state directory (not its launcher or shims, forks carrying its command line)."""
    for pid in pids_of(home):
        if comm(pid) not in HOSTS:
            return pid
    raise BenchError(f"no worker is running for {home}")


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def status_kb(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise BenchError(f"no {key} in /proc/{pid}/status")


def pss_kb(pid: int) -> int:
    with contextlib.suppress(OSError), open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


# ---------------------------------------------------------------- processes (as tests/conftest.py)


def pids_of(home: Path, prefix: bool = False) -> list[int]:
    """Live processes whose command line is `... kjob.worker <home>` (workers, and the launchers and
    shims they fork); with `prefix`, any state directory under `home`."""
    needle = str(home).encode()
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError):
            args = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
            if b"kjob.worker" not in args:
                continue
            matched = any(a.startswith(needle) for a in args) if prefix else needle in args
            if matched and alive(int(entry)):
                out.append(int(entry))
    return out


def comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(") ", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_workers_gone(home: Path, timeout: float) -> None:
    wait_for(f"the workers of {home} to exit", lambda: not pids_of(home), timeout, interval=0.05)


def stop_everything(home: Path, prefix: bool = False) -> None:
    """Stop every worker, launcher and shim of a state directory (or of every one under it, with
    `prefix`): launchers and shims get SIGTERM, which stops their containers; workers get SIGKILL."""
    for _ in range(3):
        procs = pids_of(home, prefix)
        if not procs:
            return
        hosts = [p for p in procs if comm(p) in HOSTS]
        for pid in hosts:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)
        for pid in procs:
            if pid not in hosts:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        deadline = time.time() + 5
        while hosts and time.time() < deadline:
            hosts = [p for p in hosts if alive(p)]
            time.sleep(0.02)
        for pid in hosts:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def state_dir(parent: Path, name: str) -> Iterator[Path]:
    """A fresh KJOB_HOME; on the way out every process of it is stopped and the directory removed."""
    home = parent / name
    try:
        yield home
    finally:
        stop_everything(home)
        shutil.rmtree(home, ignore_errors=True)


def read_lines(fd: int, deadline: float, until: Callable[[int], bool]) -> list[tuple[float, bytes]]:
    """Lines read from a pipe, each with the time it arrived, until EOF, `until(count)` or the deadline."""
    buffered = b""
    lines: list[tuple[float, bytes]] = []
    while time.monotonic() < deadline and not until(len(lines)):
        ready, _, _ = select.select([fd], [], [], max(0.0, min(0.5, deadline - time.monotonic())))
        if not ready:
            continue
        chunk = os.read(fd, 65536)
        now = time.time()
        if not chunk:
            break
        buffered += chunk
        *complete, buffered = buffered.split(b"\n")
        lines.extend((now, line) for line in complete)
    return lines
