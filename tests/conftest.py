"""Shared fixtures: a private state directory per test, the CLI run in-process, and the real worker."""

from __future__ import annotations

import ast
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from kjob import cli

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh KJOB_HOME; on teardown every worker, launcher, shim and container of it is stopped."""
    path = tmp_path / "kjob-home"
    monkeypatch.setenv("KJOB_HOME", str(path))
    monkeypatch.delenv("KJOB_NAMESPACE", raising=False)
    yield path
    stop_everything(path)


# The processes that host containers: a launcher (most runs) and shims (a run each). Forks of the
# worker, they carry its command line; their SIGTERM stops their containers before they exit.
HOSTS = ("kjob-launcher", "kjob-shim")


def stop_everything(path: Path) -> None:
    """Stop every worker, launcher and shim of a state directory, including a worker that a command
    started just before the test ended."""
    for _ in range(3):
        procs = [pid for pid in _pids_of(path)]
        if not procs:
            time.sleep(0.2)
            procs = _pids_of(path)
            if not procs:
                return
        hosts = [p for p in procs if _comm(p) in HOSTS]
        for pid in hosts:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)
        for pid in procs:
            if pid not in hosts:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        deadline = time.time() + 5
        while hosts and time.time() < deadline:
            hosts = [p for p in hosts if _alive(p)]
            time.sleep(0.02)
        for pid in hosts:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


def _pids_of(path: Path) -> list[int]:
    needle = str(path).encode()
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                args = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
                if b"kjob.worker" in args and needle in args and _alive(int(entry)):
                    out.append(int(entry))
    return out


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failed test that ran a worker shows the worker's side: its processes as they are at the
    failure (before the fixture stops them) and the end of its log, which CI's clean-up removes."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    path = getattr(item, "funcargs", {}).get("home")
    if report.when == "call" and report.failed and isinstance(path, Path):
        report.sections.append(("kjob state directory", state_directory_report(path)))


def state_directory_report(path: Path) -> str:
    lines = [f"{path}: processes (pid, name, state)"]
    for pid in _pids_of(path):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1].split()[0]
        except (OSError, IndexError):
            state = "?"
        lines.append(f"  {pid} {_comm(pid)} {state}")
    try:
        log = (path / "worker.log").read_text(errors="replace").splitlines()
    except OSError as e:
        log = [f"(no worker log: {e.strerror})"]
    lines += ["worker.log, last 80 lines:", *log[-80:]]
    return "\n".join(lines)


@pytest.fixture
def collector() -> Iterator[None]:
    """The cyclic garbage collector put back as it was, whatever a test does to it."""
    import gc

    enabled, threshold = gc.isenabled(), gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)
    (gc.enable if enabled else gc.disable)()


@pytest.fixture
def kjob(home: Path) -> Callable[..., Result]:
    """Run the CLI in-process (Click's CliRunner), stdout and stderr apart."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        with runner.isolation(input=input) as streams:
            code = cli.run(list(args))
            sys.stdout.flush()
            sys.stderr.flush()
            out, err = streams[0].getvalue(), streams[1].getvalue()
        return Result(code, out.decode(), err.decode())

    return invoke


@pytest.fixture
def kjob_proc(home: Path) -> Callable[..., Result]:
    """Run the CLI as a real process, the way a user's shell does."""

    def invoke(*args: str, input: str | None = None, timeout: float = 60) -> Result:
        proc = subprocess.run(
            [sys.executable, "-m", "kjob", *args],
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "KJOB_HOME": str(home), "PYTHONPATH": str(ROOT)},
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    return invoke


def wait_until(predicate: Callable[[], object], timeout: float = 20.0, interval: float = 0.05) -> object:
    """Poll a condition with a bound, as pueue's wait_for_task_condition does."""
    deadline = time.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


def modules_loaded_by(
    args: list[str], home: Path | str, watched: set[str]
) -> tuple[list[str], list[str], str]:
    """Run kjob with `args` in a fresh interpreter: which of the `watched` modules it imported, then
    the lines kjob printed and its stderr. A watched module the interpreter loaded before kjob (an
    editable install's import hook loads pathlib) is dropped first, so kjob's own import counts."""
    code = (
        f"import sys; [sys.modules.pop(m, None) for m in {sorted(watched)!r}]; "
        f"before = set(sys.modules); from kjob.cli import run; run({args!r}); "
        f"print(sorted(set({sorted(watched)!r}) & (set(sys.modules) - before)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "KJOB_HOME": str(home)},
    )
    *printed, loaded = out.stdout.splitlines() or ["['<nothing printed>']"]
    return ast.literal_eval(loaded), printed, out.stderr


def write_manifest(directory: Path, text: str, name: str = "job.yaml") -> Path:
    path = directory / name
    path.write_text(text)
    return path


JOB_TEMPLATE = """\
apiVersion: batch/v1
kind: Job
metadata:
  name: {name}
spec:
{extra}  template:
    spec:
      containers:
      - name: c
        image: busybox:1.36
        command: ["sh", "-c", {command}]
      restartPolicy: {policy}
"""


def job_manifest(name: str, command: str, policy: str = "Never", **spec: object) -> str:
    extra = "".join(f"  {k}: {json.dumps(v)}\n" for k, v in spec.items())
    return JOB_TEMPLATE.format(name=name, command=json.dumps(command), policy=policy, extra=extra)
