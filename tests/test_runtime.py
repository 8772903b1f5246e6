"""The container shim: exit codes, start errors, stopping whole process trees."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from kjob import runtime
from kjob.runtime import RunSpec, launch, read_state, request_stop


def spec(tmp_path: Path, script: str, attempt: int = 0, grace: float = 30, cwd: str | None = None) -> RunSpec:
    return RunSpec(
        run_dir=tmp_path / "run",
        container="c",
        attempt=attempt,
        argv=["sh", "-c", script],
        env={"PATH": os.environ["PATH"], "GREETING": "hello"},
        cwd=cwd or str(tmp_path),
        log_path=tmp_path / "logs" / f"{attempt}.log",
        grace=grace,
    )


def wait_exit(s: RunSpec, timeout: float = 15) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        state = read_state(s.run_dir, s.container, s.attempt)
        if state.exit is not None:
            return state.exit
        time.sleep(0.02)
    raise AssertionError("the shim recorded no exit")


def reap(pid: int | None) -> None:
    if pid:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize(("script", "code", "reason"), [("exit 0", 0, "Completed"), ("exit 3", 3, "Error")])
def test_exit_codes_are_recorded(tmp_path: Path, script: str, code: int, reason: str) -> None:
    s = spec(tmp_path, script)
    reap(launch(s))
    record = wait_exit(s)
    assert (record["exitCode"], record["reason"]) == (code, reason)
    assert record["finishedAt"] >= record["startedAt"]


def test_missing_executable_is_start_error_128(tmp_path: Path) -> None:
    s = spec(tmp_path, "")
    s.argv = ["/no/such/binary"]
    reap(launch(s))
    record = wait_exit(s)
    assert record["exitCode"] == 128 and record["reason"] == "StartError"
    assert 'exec: "/no/such/binary": executable file not found in $PATH' in record["message"]


def test_launch_is_idempotent_per_attempt(tmp_path: Path) -> None:
    s = spec(tmp_path, "exit 0")
    first = launch(s)
    assert first is not None
    assert launch(s) is None
    reap(first)


def test_container_outlives_the_process_that_started_it(tmp_path: Path) -> None:
    """Like the worker being killed: the shim is its own session and still records the exit."""
    s = spec(tmp_path, "sleep 0.5; exit 7")
    marker = tmp_path / "parent-done"
    pid = os.fork()
    if pid == 0:
        launch(s)
        marker.write_text("x")
        os.kill(os.getpid(), signal.SIGKILL)
    os.waitpid(pid, 0)
    assert marker.exists()
    assert wait_exit(s)["exitCode"] == 7


def test_stop_terms_the_tree_then_kills_after_grace(tmp_path: Path) -> None:
    # The child ignores SIGTERM and double-forks a daemon: both must be gone after the grace period.
    script = (
        "trap '' TERM; (setsid sh -c 'sleep 300 & echo $! > daemon.pid') ; "
        "sh -c 'sleep 301' & echo $! > child.pid; wait"
    )
    s = spec(tmp_path, script, grace=1)
    shim = launch(s)
    deadline = time.time() + 5
    while not ((tmp_path / "daemon.pid").exists() and (tmp_path / "child.pid").exists()):
        assert time.time() < deadline
        time.sleep(0.02)
    daemon = int((tmp_path / "daemon.pid").read_text())
    child = int((tmp_path / "child.pid").read_text())
    assert alive(daemon) and alive(child)
    started = time.time()
    assert request_stop(s.run_dir, "c", 0, 1.0)
    record = wait_exit(s)
    reap(shim)
    assert record["exitCode"] == 137  # SIGKILL after the grace period: 128 + 9
    assert time.time() - started >= 0.9
    assert not alive(daemon) and not alive(child)


def test_sigterm_exit_is_143(tmp_path: Path) -> None:
    s = spec(tmp_path, "sleep 300", grace=30)
    shim = launch(s)
    while read_state(s.run_dir, "c", 0).pid is None:
        time.sleep(0.01)
    request_stop(s.run_dir, "c", 0, 30)
    record = wait_exit(s)
    reap(shim)
    assert record["exitCode"] == 143 and record["signal"] == signal.SIGTERM


def test_descendants_of_a_finished_container_are_killed(tmp_path: Path) -> None:
    s = spec(tmp_path, "sleep 300 & echo $! > bg.pid")
    reap(launch(s))
    wait_exit(s)
    assert not alive(int((tmp_path / "bg.pid").read_text()))


def test_a_shims_container_runs_in_its_cgroup_and_the_shim_does_not(tmp_path: Path) -> None:
    from kjob.cgroups import can_enter

    if not can_enter():
        pytest.skip("cgroups cannot be entered here")
    s = spec(tmp_path, "cat /proc/self/cgroup > cgroup.txt; cat /proc/$PPID/cgroup > shim-cgroup.txt")
    reap(launch(s))
    assert wait_exit(s)["exitCode"] == 0
    assert f"/kjob/{s.run_id}" in (tmp_path / "cgroup.txt").read_text()
    assert f"/kjob/{s.run_id}" not in (tmp_path / "shim-cgroup.txt").read_text()


def test_wake_ups_survive_a_fork_that_closed_every_descriptor(tmp_path: Path) -> None:
    """A host keeps one socket for its wake-ups; a shim forked from it closes every inherited
    descriptor, and its own wake-ups must neither be lost nor close a file that took the number."""
    from kjob import runtime

    path = str(tmp_path / "worker.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind(path)
        listener.settimeout(5)
        runtime._notify(path)
        runtime._notify(path)
        assert listener.recv(8) + listener.recv(8) == b"ss"
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                os.closerange(3, 65536)  # as a shim does
                fds = [os.open(os.devnull, os.O_RDONLY) for _ in range(16)]  # their numbers are others' now
                runtime._notify(path)
                for fd in fds:
                    os.fstat(fd)  # still open
                code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert listener.recv(8) == b"s"


@pytest.mark.parametrize(
    ("script", "files"), [("echo hi", ["c.0.index", "c.0.log", "c.0.run"]), ("true", ["c.0.run"])]
)
def test_the_record_is_the_launch_marker(tmp_path: Path, script: str, files: list[str]) -> None:
    run_dir = tmp_path / "run"
    s = RunSpec(
        run_dir=str(run_dir),
        container="c",
        attempt=0,
        argv=["sh", "-c", script],
        env={"PATH": os.environ["PATH"]},
        cwd=str(tmp_path),
        log_path=f"{run_dir}/c.0.log",
        grace=30,
    )
    reap(launch(s))
    assert wait_exit(s)["exitCode"] == 0
    # Claimed and recorded in one file, logged in two only once there is output to log.
    assert sorted(p.name for p in run_dir.iterdir()) == files
    start, end = (json.loads(line) for line in (run_dir / "c.0.run").read_text().splitlines())
    assert start["pid"] > 0 and start["shim"] > 0 and end["exitCode"] == 0
    if "c.0.log" in files:
        assert (run_dir / "c.0.log").read_bytes() == b"hi\n"
    assert read_state(s.run_dir, "c", 0).launched
    assert launch(s) is None  # the record marks it launched


def test_a_claimed_run_reads_as_launched_since_its_claim(tmp_path: Path) -> None:
    s = spec(tmp_path, "true")
    assert runtime.claim(s)
    state = read_state(s.run_dir, "c", 0)
    assert state.launched and state.launched_at is not None and state.pid is None
    assert not runtime.claim(s)


@pytest.mark.parametrize("marker", [".index", ".launch"])
def test_a_run_claimed_by_an_earlier_kjob_is_not_claimed_again(tmp_path: Path, marker: str) -> None:
    """Both earlier layouts' markers: a run claimed before kjob was upgraded is not started twice."""
    s = spec(tmp_path, "true")
    Path(s.run_dir).mkdir(parents=True, exist_ok=True)
    Path(s.run_dir, f"{s.key}{marker}").touch()
    assert read_state(s.run_dir, "c", 0).launched
    assert not runtime.claim(s)
    assert not Path(s.run_dir, f"{s.key}.run").exists()


def test_a_run_claimed_by_an_earlier_kjob_reads_as_launched(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "c.0.launch").touch()
    state = read_state(tmp_path / "run", "c", 0)
    assert state.launched and state.launched_at is not None
    assert not read_state(tmp_path / "run", "c", 1).launched


def test_a_half_written_record_reads_as_not_written_yet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A host adds a line to a run's record when the run starts and one when it ends: a reader that
    meets a line half-written takes it as not there yet, and a write that fails leaves none behind."""
    from kjob import runtime

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "c.0.run").touch()  # made empty when the run was claimed
    start = {"shim": os.getpid(), "shimStart": runtime.process_start_time(os.getpid()), "pid": 7}
    runtime._append_record(str(run_dir / "c.0.run"), start)
    started = (run_dir / "c.0.run").read_text()
    record = runtime._exit_record(3, None, "Error", "", time.time())
    whole = runtime.json.dumps(record) + "\n"
    for cut in (0, 1, len(whole) // 2, len(whole) - 1):
        (run_dir / "c.0.run").write_text(started + whole[:cut])
        state = read_state(run_dir, "c", 0)
        assert (state.pid, state.alive, state.exit) == (7, True, None), cut
    (run_dir / "c.0.run").write_text(started)
    runtime._append_record(str(run_dir / "c.0.run"), record)
    assert read_state(run_dir, "c", 0).exit == record

    def full(fd: int, data: bytes) -> None:
        os.write(fd, data[:5])
        raise OSError(28, "No space left on device")

    # A record that is gone went with its pod's directory: it is not made again.
    with pytest.raises(FileNotFoundError):
        runtime._append_record(str(run_dir / "c.1.run"), start)
    assert not (run_dir / "c.1.run").exists()
    (run_dir / "c.1.run").touch()
    monkeypatch.setattr(runtime, "write_all", full)
    with pytest.raises(OSError):
        runtime._append_record(str(run_dir / "c.1.run"), start)
    assert (run_dir / "c.1.run").read_bytes() == b""
    with pytest.raises(OSError):
        runtime._append_record(str(run_dir / "c.0.run"), record)
    assert (run_dir / "c.0.run").read_text() == started + whole
    assert runtime.run_keys(run_dir) == [("c", 0), ("c", 1)]


def test_a_run_recorded_by_an_earlier_kjob_reads_as_it_wrote_it(tmp_path: Path) -> None:
    """A run launched by a kjob from before the run record (its host may outlive it) has its start
    and its end in a file each."""
    from kjob import runtime

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "c.0.index").touch()
    me = {"shim": os.getpid(), "shimStart": runtime.process_start_time(os.getpid()), "pid": 7}
    (run_dir / "c.0.pid").write_text(json.dumps({**me, "startedAt": 5.0, "shared": True}))
    state = read_state(run_dir, "c", 0)
    assert (state.launched, state.pid, state.started_at, state.alive, state.shared) == (
        True,
        7,
        5.0,
        True,
        True,
    )
    assert state.exit is None
    record = runtime._exit_record(0, None, "Completed", "", time.time())
    (run_dir / "c.0.exit").write_text(json.dumps(record))
    assert read_state(run_dir, "c", 0).exit == record
    assert runtime.run_keys(run_dir) == [("c", 0)]


def test_a_host_seen_gone_is_asked_for_its_end_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A host writes a run's end, then exits: a reader that read no end, then found the host gone,
    reads again before it takes the result as lost."""
    from kjob import runtime

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    path = str(run_dir / "c.0.run")
    Path(path).touch()  # claimed
    runtime._append_record(path, {"shim": 1, "shimStart": -1, "pid": 7})
    record = runtime._exit_record(0, None, "Completed", "", time.time())
    alive = runtime._alive

    def ended_meanwhile(*args: Any) -> bool:
        if not (run_dir / "ended").exists():
            (run_dir / "ended").touch()
            runtime._append_record(path, record)  # between the reader's read and its look at the host
        return alive(*args)

    monkeypatch.setattr(runtime, "_alive", ended_meanwhile)
    state = read_state(run_dir, "c", 0)
    assert (state.alive, state.exit) == (False, record)


def test_an_exit_record_whose_run_directory_is_gone_is_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run directory goes with its pod, or with the whole state directory: the exit record has no
    one left to tell and is not tried again for ten minutes, as one that meets a full disk is."""
    from types import SimpleNamespace

    from kjob import runtime

    def host(run_dir: Path) -> SimpleNamespace:
        run = SimpleNamespace(spec=SimpleNamespace(run_dir=str(run_dir), key="c.0", notify="sock"))
        return SimpleNamespace(records=[(run, {"exitCode": 0}, 0)], retry_at=0.0, notices=set())

    gone = host(tmp_path / "gone")
    runtime.Host._write_records(gone)  # type: ignore[arg-type]
    assert gone.records == [] and gone.notices == set()

    def full(fd: int, data: bytes) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(runtime, "write_all", full)
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "c.0.run").touch()  # claimed
    stuck = host(tmp_path / "run")
    runtime.Host._write_records(stuck)  # type: ignore[arg-type]
    assert [tries for _, _, tries in stuck.records] == [1]  # kept, to be tried again


# ---------------------------------------------------------------- specs and PATH lookups


def test_a_run_spec_crosses_to_its_host_whole_and_compares_by_value(tmp_path: Path) -> None:
    """A spec goes to the launcher pickled: it arrives equal, field for field (a plain class with
    __slots__, not a dataclass: see kjob.objects.Record)."""
    import pickle

    from kjob.cgroups import Limits

    sent = spec(tmp_path, "true")
    sent.limits, sent.notify, sent.make_cwd = Limits(memory=2**20), "/tmp/sock", True
    got = pickle.loads(pickle.dumps(sent))
    assert got == sent and got is not sent
    assert got.limits == Limits(memory=2**20) and got.notify == "/tmp/sock" and got.make_cwd
    got.attempt = 1
    assert got != sent
    assert repr(sent).startswith("RunSpec(") and "container='c'" in repr(sent)


def test_a_command_is_found_in_path_as_shutil_finds_it(tmp_path: Path) -> None:
    import shutil

    from kjob.runtime import _which

    plain, directory, runnable, other = (tmp_path / d for d in ("plain", "directory", "runnable", "other"))
    for d in (plain, directory, runnable, other):
        d.mkdir()
    (plain / "tool").write_text("not executable")
    (directory / "tool").mkdir()
    for d in (runnable, other):
        (d / "tool").write_text("#!/bin/sh\n")
        (d / "tool").chmod(0o755)
    dirs = [str(plain), str(directory), str(runnable), str(other), str(runnable)]
    assert _which("tool", dirs) == str(runnable / "tool") == shutil.which("tool", path=os.pathsep.join(dirs))
    assert _which("tool", dirs[:2]) is None is shutil.which("tool", path=os.pathsep.join(dirs[:2]))
    assert _which("absent", dirs) is None
