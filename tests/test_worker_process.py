"""The worker's processes: the launcher that hosts container runs, and a worker that waits a little for more
work."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kjob.cgroups import can_enter
from kjob.runtime import Launcher, RunSpec, process_start_time, read_state, request_stop, shim_alive
from kjob.worker import LAUNCHERS, LINGER
from tests.conftest import job_manifest

# Whether this machine lets the launcher start runs in their cgroups (then it hosts them itself).
HOSTED = can_enter()


def spec(tmp_path: Path, script: str, name: str = "c") -> RunSpec:
    return RunSpec(
        run_dir=tmp_path / "run",
        container=name,
        attempt=0,
        argv=["sh", "-c", script],
        env={"PATH": os.environ["PATH"]},
        cwd=str(tmp_path),
        log_path=tmp_path / "logs" / f"{name}.log",
        grace=30,
    )


def gone(pid: int) -> bool:
    return process_start_time(pid) is None or _state(pid) == "Z"


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(") ", 1)[1].split()[0]
    except OSError:
        return "?"


def wait_for(what: str, predicate, timeout: float = 15):  # type: ignore[no-untyped-def]
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def replies(launcher: Launcher, count: int, timeout: float = 15) -> list[int]:
    pids: list[int] = []
    deadline = time.time() + timeout
    while len(pids) < count and time.time() < deadline:
        select.select([launcher.fileno()], [], [], 0.1)
        pids += launcher.replies()
    return pids


@pytest.fixture
def launcher():  # type: ignore[no-untyped-def]
    started = Launcher()
    started.start()
    yield started
    pid = started.pid
    started.close()
    if pid:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)  # its runs stop with it
        with contextlib.suppress(AssertionError):
            wait_for("the launcher to stop its runs", lambda: gone(pid), timeout=5)
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def test_the_launcher_hosts_runs_and_records_exits(tmp_path: Path, launcher: Launcher) -> None:
    runs = [spec(tmp_path, f"echo out{i}; exit {i}", name=f"c{i}") for i in range(5)]
    assert launcher.launch(runs) == []  # nothing forked by the caller itself
    pids = replies(launcher, len(runs))
    assert len(pids) == len(runs)
    for pid in pids:
        assert pid != os.getpid()
        # Where it can start a run inside the run's cgroup, the launcher hosts it; else a shim does.
        assert (pid == launcher.pid) == HOSTED
    for i, run in enumerate(runs):
        state = wait_for("the exit record", lambda run=run: read_state(run.run_dir, run.container, 0).exit)
        assert state["exitCode"] == i
        assert read_state(run.run_dir, run.container, 0).shim_pid in pids
        assert run.log_path.read_bytes() == f"out{i}\n".encode()
    # It stepped into each run's cgroup for the spawn, and back out.
    assert "/kjob/" not in Path(f"/proc/{launcher.pid}/cgroup").read_text()


@pytest.mark.skipif(not can_enter(), reason="cgroups cannot be entered here: every run has a shim")
def test_a_hosted_container_starts_as_popen_would_start_it(tmp_path: Path, launcher: Launcher) -> None:
    """The launcher spawns its runs with posix_spawn, not Popen: each still gets its own session, umask
    022, SIGPIPE and SIGXFSZ at their defaults (Python ignores them), /dev/null for stdin, no descriptor
    of the launcher's, and its working directory, while the launcher keeps its own."""
    work = tmp_path / "work"
    work.mkdir()
    script = (
        'read -r _ _ _ _ _ sid _ < /proc/$$/stat; echo "session=$((sid == $$)) umask=$(umask) pwd=$(pwd)"; '
        # `ls` alone, not in a pipeline: the shell holds the pipes of one while it forks its members.
        "grep SigIgn /proc/$$/status; readlink /proc/$$/fd/0; ls /proc/$$/fd"
    )
    run = spec(tmp_path, script)
    run.cwd = str(work)
    os.umask(old := os.umask(0o077))  # the launcher's own umask stays whatever it was
    launcher.launch([run])
    assert replies(launcher, 1) == [launcher.pid]
    record = wait_for("the exit record", lambda: read_state(run.run_dir, "c", 0).exit)
    assert record["exitCode"] == 0, record
    lines = run.log_path.read_text().splitlines()
    assert lines[0] == f"session=1 umask=0022 pwd={work}"
    ignored = int(lines[1].removeprefix("SigIgn:\t"), 16)
    assert not ignored & (1 << (signal.SIGPIPE - 1) | 1 << (signal.SIGXFSZ - 1)), lines[1]
    assert lines[2] == "/dev/null"
    assert sorted(map(int, lines[3:])) == [0, 1, 2]
    assert os.readlink(f"/proc/{launcher.pid}/cwd") == os.getcwd()
    assert old == os.umask(old)

    # A working directory that is not there fails the start, as runc's chdir does; the next run starts.
    missing = spec(tmp_path, "true", name="m")
    missing.cwd = str(tmp_path / "nowhere")
    denied = spec(tmp_path, "true", name="d")
    tool = tmp_path / "tool"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o644)
    denied.argv, denied.env = ["tool"], {"PATH": str(tmp_path)}
    after = spec(tmp_path, "pwd", name="a")
    launcher.launch([missing, denied, after])
    assert replies(launcher, 3) == [launcher.pid] * 3
    record = wait_for("the exit record", lambda: read_state(missing.run_dir, "m", 0).exit)
    assert (record["exitCode"], record["reason"]) == (128, "StartError")
    assert f'chdir to cwd ("{missing.cwd}") set in config.json failed: no such file' in record["message"]
    record = wait_for("the exit record", lambda: read_state(denied.run_dir, "d", 0).exit)
    assert (record["exitCode"], record["reason"]) == (128, "StartError")
    assert 'exec: "tool": permission denied' in record["message"]
    assert wait_for("the exit record", lambda: read_state(after.run_dir, "a", 0).exit)["exitCode"] == 0
    assert after.log_path.read_text() == f"{tmp_path}\n"


def test_a_launcher_that_cannot_contain_runs_gives_each_a_shim(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kjob import cgroups

    monkeypatch.setattr(cgroups, "can_enter", lambda: False)  # inherited by the launcher's fork
    launcher = Launcher()
    launcher.start()
    try:
        runs = [spec(tmp_path, f"echo out{i}; exit {i}", name=f"c{i}") for i in range(3)]
        launcher.launch(runs)
        pids = replies(launcher, len(runs))
        assert len(pids) == len(runs) and launcher.pid not in pids
        for i, run in enumerate(runs):
            record = wait_for(
                "the exit record", lambda run=run: read_state(run.run_dir, run.container, 0).exit
            )
            assert record["exitCode"] == i
            state = read_state(run.run_dir, run.container, 0)
            assert state.shim_pid in pids and not state.shared
            assert run.log_path.read_bytes() == f"out{i}\n".encode()
    finally:
        launcher.close()


hosted_only = pytest.mark.skipif(not HOSTED, reason="cgroups cannot be entered here: every run has a shim")


@hosted_only
def test_a_hosted_run_is_stopped_alone(tmp_path: Path, launcher: Launcher) -> None:
    first, second = spec(tmp_path, "sleep 30", name="a"), spec(tmp_path, "sleep 30", name="b")
    launcher.launch([first, second])
    assert replies(launcher, 2) == [launcher.pid, launcher.pid]
    wait_for("both to start", lambda: all(read_state(r.run_dir, r.container, 0).pid for r in (first, second)))
    assert request_stop(first.run_dir, "a", 0, 30)
    record = wait_for("the stopped run's exit", lambda: read_state(first.run_dir, "a", 0).exit)
    assert (record["exitCode"], record["signal"]) == (143, signal.SIGTERM)
    other = read_state(second.run_dir, "b", 0)
    assert other.exit is None and not gone(other.pid or 0)
    assert request_stop(second.run_dir, "b", 0, 0)
    assert wait_for("the other run's exit", lambda: read_state(second.run_dir, "b", 0).exit)


@hosted_only
def test_a_hosted_runs_leftovers_go_with_it(tmp_path: Path, launcher: Launcher) -> None:
    """A daemon double-forked into its own session leaves the process tree, not the run's cgroup."""
    run = spec(tmp_path, "(setsid sh -c 'sleep 300 & echo $! > daemon.pid'); sleep 300 & echo $! > bg.pid")
    launcher.launch([run])
    assert replies(launcher, 1) == [launcher.pid]
    assert wait_for("the exit record", lambda: read_state(run.run_dir, "c", 0).exit)["exitCode"] == 0
    for name in ("daemon.pid", "bg.pid"):
        pid = int((tmp_path / name).read_text())
        wait_for(f"{name} to be gone", lambda pid=pid: gone(pid))


def _kept_parent() -> Path:
    from kjob import cgroups

    return Path(cgroups._v2_root() or "/") / cgroups.PARENT


def _run_to_end(launcher: Launcher, run: RunSpec) -> tuple[list[int], str | None]:
    """Launch one run and wait for its end: the launcher's reply, and the kept cgroup it ran in."""
    launcher.launch([run])
    hosts = replies(launcher, 1)
    wait_for("the exit record", lambda: read_state(run.run_dir, run.container, 0).exit)
    return hosts, read_state(run.run_dir, run.container, 0).cgroup


@hosted_only
def test_a_launcher_keeps_an_emptied_cgroup_for_its_next_run(tmp_path: Path, launcher: Launcher) -> None:
    """A run without limits starts in a cgroup its launcher keeps: one an earlier run left empty, not
    one made and removed for each run. One a run left processes in is not kept. The launcher removes
    what it kept as it ends."""
    from kjob import cgroups

    def run_to_end(run: RunSpec) -> str:
        hosts, name = _run_to_end(launcher, run)
        assert hosts == [launcher.pid]
        assert name and name.startswith(f"{cgroups.KEPT}.{launcher.pid}.")
        return name

    parent = _kept_parent()
    first = run_to_end(spec(tmp_path, "true", name="a"))
    assert (parent / first).is_dir()  # kept, empty
    second = spec(tmp_path, "cat /proc/self/cgroup", name="b")
    assert run_to_end(second) == first
    assert f"/{cgroups.PARENT}/{first}\n" in second.log_path.read_text()  # born in it
    # Left with a daemon in it: killed, removed, and the next run gets another.
    left = spec(tmp_path, "(setsid sh -c 'sleep 300 & echo $! > left.pid')", name="l")
    assert run_to_end(left) == first
    wait_for("the leftover to be gone", lambda: gone(int((tmp_path / "left.pid").read_text())))
    wait_for("its cgroup to be removed", lambda: not (parent / first).exists())
    third = run_to_end(spec(tmp_path, "true", name="c"))
    assert third != first and (parent / third).is_dir()
    pid = launcher.pid
    launcher.close()
    wait_for("the launcher to end", lambda: gone(pid or 0))
    assert not (parent / third).exists()


@hosted_only
def test_a_kept_cgroup_removed_meanwhile_is_not_run_in(tmp_path: Path, launcher: Launcher) -> None:
    from kjob import cgroups

    parent = _kept_parent()
    _, kept = _run_to_end(launcher, spec(tmp_path, "true", name="a"))
    assert kept
    (parent / kept).rmdir()  # by someone else: empty, it can be
    second = spec(tmp_path, "cat /proc/self/cgroup", name="b")
    _, name = _run_to_end(launcher, second)
    assert name and name != kept
    assert f"/{cgroups.PARENT}/{name}\n" in second.log_path.read_text()


@hosted_only
def test_a_new_launcher_removes_what_a_killed_one_kept(tmp_path: Path, launcher: Launcher) -> None:
    """A launcher killed cannot remove the cgroups it kept: the next one to start does."""

    parent = _kept_parent()
    _, kept = _run_to_end(launcher, spec(tmp_path, "true", name="a"))
    assert kept and (parent / kept).is_dir()
    os.kill(launcher.pid or 0, signal.SIGKILL)
    os.waitpid(launcher.pid or 0, 0)  # reaped, as its worker would
    assert (parent / kept).is_dir()  # left behind
    after = Launcher()
    after.start()
    try:
        hosts, _ = _run_to_end(after, spec(tmp_path, "true", name="b"))
        assert hosts == [after.pid]  # started, so it has warmed up
        assert not (parent / kept).exists()
    finally:
        pid = after.pid
        after.close()
        wait_for("the new launcher to end", lambda: gone(pid or 0))


@hosted_only
def test_the_launcher_outlives_its_worker_while_it_hosts_runs(tmp_path: Path) -> None:
    run = spec(tmp_path, "sleep 0.5; exit 7")
    read_end, write_end = os.pipe()
    worker = os.fork()
    if worker == 0:
        child = Launcher()
        child.start()
        child.launch([run])
        os.write(write_end, f"{child.pid}\n".encode())
        os.kill(os.getpid(), signal.SIGKILL)
    os.close(write_end)
    launcher_pid = int(os.read(read_end, 64))
    os.close(read_end)
    os.waitpid(worker, 0)
    assert wait_for("the exit record", lambda: read_state(run.run_dir, "c", 0).exit)["exitCode"] == 7
    assert read_state(run.run_dir, "c", 0).shim_pid == launcher_pid
    wait_for("the launcher to exit once its run is done", lambda: gone(launcher_pid))


@hosted_only
def test_sigterm_to_the_launcher_stops_every_run(tmp_path: Path, launcher: Launcher) -> None:
    runs = [spec(tmp_path, "sleep 300", name=f"c{i}") for i in range(3)]
    launcher.launch(runs)
    replies(launcher, len(runs))
    wait_for("the runs to start", lambda: all(read_state(r.run_dir, r.container, 0).pid for r in runs))
    assert launcher.pid is not None
    os.kill(launcher.pid, signal.SIGTERM)
    for run in runs:
        record = wait_for("the exit record", lambda run=run: read_state(run.run_dir, run.container, 0).exit)
        assert record["exitCode"] == 143
    os.waitpid(launcher.pid, 0)


def test_a_run_is_launched_once(tmp_path: Path, launcher: Launcher) -> None:
    run = spec(tmp_path, "exit 0")
    launcher.launch([run])
    launcher.launch([run])
    assert len(replies(launcher, 2, timeout=1)) == 1


def test_the_launcher_ends_with_its_worker_and_keeps_none_of_its_files(tmp_path: Path) -> None:
    """The worker's singleton lock must not outlive the worker in the launcher."""
    lock = tmp_path / "worker.lock"
    read_end, write_end = os.pipe()
    worker = os.fork()
    if worker == 0:
        import fcntl

        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        child = Launcher()
        child.start()
        os.write(write_end, f"{child.pid}\n".encode())
        time.sleep(60)
        os._exit(0)
    os.close(write_end)
    launcher_pid = int(os.read(read_end, 64))
    os.close(read_end)
    os.kill(worker, signal.SIGKILL)
    os.waitpid(worker, 0)
    # The launcher sees its socket close and exits: nobody is left holding the lock.
    wait_for("the launcher to exit", lambda: gone(launcher_pid))
    import fcntl

    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        os.close(fd)


def test_without_a_launcher_the_caller_forks_the_shim(tmp_path: Path, launcher: Launcher) -> None:
    assert launcher.pid is not None
    os.kill(launcher.pid, signal.SIGKILL)
    os.waitpid(launcher.pid, 0)
    run = spec(tmp_path, "exit 3")
    pids = launcher.launch([run])
    assert len(pids) == 1  # forked here, the launcher being gone
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pids[0], 0)
    assert read_state(run.run_dir, "c", 0).exit["exitCode"] == 3  # type: ignore[index]
    assert launcher.fileno() == -1


def test_a_worker_killed_right_after_asking_loses_no_run(tmp_path: Path) -> None:
    """The launcher serves every request it was sent, though nobody hears its answers any more."""
    runs = [spec(tmp_path, f"exit {i}", name=f"c{i}") for i in range(20)]
    worker = os.fork()
    if worker == 0:
        child = Launcher()
        child.start()
        child.launch(runs)
        os.kill(os.getpid(), signal.SIGKILL)
    os.waitpid(worker, 0)
    for i, run in enumerate(runs):
        record = wait_for("the exit record", lambda run=run: read_state(run.run_dir, run.container, 0).exit)
        assert record["exitCode"] == i


def test_a_run_asked_for_counts_as_launched_until_answered(tmp_path: Path, launcher: Launcher) -> None:
    run = spec(tmp_path, "sleep 0.2")
    assert launcher.asked_at(run.run_dir, "c", 0) is None
    before = time.time()
    launcher.launch([run])
    asked = launcher.asked_at(run.run_dir, "c", 0)
    assert asked is not None and before <= asked <= time.time()
    assert len(replies(launcher, 1)) == 1
    assert launcher.asked_at(run.run_dir, "c", 0) is None
    assert read_state(run.run_dir, "c", 0).launched  # the launcher claimed it before it answered


def test_many_launches_at_once_do_not_deadlock(tmp_path: Path, launcher: Launcher) -> None:
    """More requests than the socket holds, while its replies pile up unread."""
    runs = [spec(tmp_path, "exit 0", name=f"c{i}") for i in range(400)]
    assert launcher.launch(runs) == []
    assert len(replies(launcher, len(runs), timeout=60)) == len(runs)


def test_a_finished_run_never_reads_as_lost(tmp_path: Path, launcher: Launcher) -> None:
    """Shims are reaped as soon as they exit. A run read while its shim ends must show either a live
    shim or the exit record, never a shim gone without a record (the kubelet would call it lost)."""
    runs = [spec(tmp_path, "exit 0", name=f"c{i}") for i in range(100)]
    launcher.launch(runs)
    pending = {run.container: run for run in runs}
    deadline = time.time() + 30
    while pending and time.time() < deadline:
        for name, run in list(pending.items()):
            state = read_state(run.run_dir, name, 0)
            if state.exit is not None:
                del pending[name]
            elif state.pid is not None:
                assert shim_alive(state), f"{name} looked lost"
    assert not pending


# ---------------------------------------------------------------- the worker waits a little before it exits


def _worker_pid(home: Path) -> int | None:
    try:
        pid = int((home / "worker.lock").read_text().strip())
    except (OSError, ValueError):
        return None
    return None if gone(pid) else pid


def test_a_command_soon_after_the_last_reuses_the_worker(kjob_proc, home: Path) -> None:  # type: ignore[no-untyped-def]

    assert kjob_proc("create", "-f", "-", input=job_manifest("first", "true")).exit_code == 0
    assert kjob_proc("wait", "--for=condition=complete", "job/first").exit_code == 0
    first = _worker_pid(home)
    assert first is not None  # finished, and still there for the next command
    assert kjob_proc("create", "-f", "-", input=job_manifest("second", "true")).exit_code == 0
    assert kjob_proc("wait", "--for=condition=complete", "job/second").exit_code == 0
    assert _worker_pid(home) == first
    # With nothing more to do it goes once it has waited LINGER seconds.
    idle = time.time()
    wait_for("the idle worker to exit", lambda: gone(first), timeout=LINGER + 15)
    assert time.time() - idle >= LINGER - 0.5


def test_the_worker_never_runs_code_from_the_users_directory(home: Path, tmp_path: Path) -> None:
    """`python -m` puts its working directory first on sys.path: a `kjob/` package where the user
    runs kjob must not become the worker's code."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    evil = tmp_path / "project"
    (evil / "kjob").mkdir(parents=True)
    marker = tmp_path / "ran-evil-code"
    (evil / "kjob" / "__init__.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    (evil / "kjob" / "worker.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    # As the `kjob` console script runs: its own directory, not the working one, on sys.path.
    cli = "import sys; del sys.path[0]; from kjob.cli import main; sys.exit(main())"
    env = {**os.environ, "KJOB_HOME": str(home), "PYTHONPATH": str(ROOT)}

    def run(*args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", cli, *args], cwd=evil, env=env, input=input, capture_output=True, text=True
        )

    assert run("create", "-f", "-", input=job_manifest("safe", "true")).returncode == 0
    done = run("wait", "--for=condition=complete", "job/safe", "--timeout=30s")
    assert done.returncode == 0, done.stderr
    assert not marker.exists()


def _launchers(home: Path) -> list[int]:
    from tests.conftest import _comm, _pids_of

    return [pid for pid in _pids_of(home) if _comm(pid) == "kjob-launcher"]


def test_a_killed_launcher_is_replaced(kjob_proc, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Its runs are lost, as on a node whose runtime died; the pods after them get a new launcher."""
    monkeypatch.setenv("KJOB_BACKOFF_SCALE", "0.01")  # the lost run's pod fails: no 10 s back-off here
    manifest = job_manifest("relaunch", "sleep 0.3", completions=6, parallelism=1, backoffLimit=6)
    assert kjob_proc("create", "-f", "-", input=manifest).exit_code == 0
    wait_for("the worker's launchers", lambda: len(_launchers(home)) == LAUNCHERS)

    def hosting() -> int | None:
        runs = (home / "run").iterdir() if (home / "run").exists() else []
        states = [read_state(d, "c", 0) for d in runs if (d / "c.0.run").exists()]
        return next((s.shim_pid for s in states if s.exit is None and s.shim_pid), None)

    first = wait_for("a launcher hosting a run", hosting)
    if HOSTED:
        assert first in _launchers(home)
    os.kill(first, signal.SIGKILL)
    done = kjob_proc("wait", "--for=condition=complete", "job/relaunch", "--timeout=60s")
    assert done.exit_code == 0, done.stderr
    states = [read_state(d, "c", 0) for d in (home / "run").iterdir() if (d / "c.0.run").exists()]
    hosts = {s.shim_pid for s in states}
    if HOSTED:
        # The killed one, the others, and the one started in its place: launchers all, no shims.
        assert first in hosts and len(hosts) <= LAUNCHERS + 1
        assert all(s.shared for s in states)


@pytest.mark.skipif(LAUNCHERS < 2 or not HOSTED, reason="one launcher on a single core, or runs in shims")
def test_the_worker_shares_runs_among_its_launchers(kjob_proc, home: Path) -> None:  # type: ignore[no-untyped-def]
    manifest = job_manifest("spread", "sleep 0.2", completions=6, parallelism=3)
    assert kjob_proc("create", "-f", "-", input=manifest).exit_code == 0
    done = kjob_proc("wait", "--for=condition=complete", "job/spread", "--timeout=60s")
    assert done.exit_code == 0, done.stderr
    states = [read_state(d, "c", 0) for d in (home / "run").iterdir()]
    assert len(states) == 6 and all(s.shared and s.exit and s.exit["exitCode"] == 0 for s in states)
    hosts = [s.shim_pid for s in states]
    assert len(set(hosts)) == LAUNCHERS  # each launcher started its share: runs taken in turn
    assert max(hosts.count(h) for h in set(hosts)) <= 6 // LAUNCHERS + 1


def _workers(home: Path) -> list[int]:
    from tests.conftest import _comm, _pids_of

    return [pid for pid in _pids_of(home) if _comm(pid) != "kjob-launcher"]


def test_create_starts_its_worker_ahead_of_its_write_and_only_one(kjob_proc, home: Path) -> None:  # type: ignore[no-untyped-def]
    dry = kjob_proc("create", "-f", "-", "--dry-run=client", input=job_manifest("dry", "true"))
    assert dry.exit_code == 0
    time.sleep(0.3)
    assert _workers(home) == []  # a dry run writes nothing: no worker
    assert kjob_proc("create", "-f", "-", input=job_manifest("early", "sleep 1")).exit_code == 0
    wait_for("the worker", lambda: _workers(home))
    time.sleep(0.3)  # a second worker, had the command started one after its write, would be here now
    assert len(_workers(home)) == 1
    done = kjob_proc("wait", "--for=condition=complete", "job/early", "--timeout=30s")
    assert done.exit_code == 0, done.stderr


def test_a_create_that_writes_nothing_leaves_no_worker_behind(kjob_proc, home: Path) -> None:  # type: ignore[no-untyped-def]
    bad = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: bad}\nspec: {}\n"
    assert kjob_proc("create", "-f", "-", input=bad).exit_code != 0
    wait_for(
        "the worker started ahead of the write to leave", lambda: not _workers(home), timeout=LINGER + 15
    )


def test_a_worker_started_early_is_counted_on_only_within_linger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker that found no work gives up its lock LINGER after its start at the soonest, and may
    still be there, exiting: a command that took longer to write must start another, not nudge it.
    And one started for another state directory is no worker for this one."""
    import subprocess

    from kjob import worker
    from kjob.store import Store

    store, other = Store(str(tmp_path / "a")), Store(str(tmp_path / "b"))
    child = subprocess.Popen(["sleep", "30"])
    try:
        monkeypatch.setattr(worker, "_STARTED_EARLY", {str(tmp_path / "a"): (child.pid, time.monotonic())})
        assert worker._early_worker_starting(store)
        assert not worker._early_worker_starting(other)
        monkeypatch.setattr(
            worker, "_STARTED_EARLY", {str(tmp_path / "a"): (child.pid, time.monotonic() - LINGER)}
        )
        assert not worker._early_worker_starting(store)
    finally:
        child.kill()
        child.wait()
    monkeypatch.setattr(worker, "_STARTED_EARLY", {str(tmp_path / "a"): (child.pid, time.monotonic())})
    assert not worker._early_worker_starting(store)  # gone


def _tool(directory: Path, says: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    tool = directory / "tool"
    tool.write_text(f"#!/bin/sh\necho {says}\n")
    tool.chmod(0o755)


def _run_tool(tmp_path: Path, launcher: Launcher, name: str, path: str, cwd: Path | None = None) -> dict:
    run = RunSpec(
        run_dir=str(tmp_path / "run"),
        container=name,
        attempt=0,
        argv=["tool"],
        env={"PATH": path},
        cwd=str(cwd or tmp_path),
        log_path=str(tmp_path / "run" / f"{name}.0.log"),
        grace=30,
    )
    launcher.launch([run])
    replies(launcher, 1)
    record = wait_for("the exit record", lambda: read_state(run.run_dir, name, 0).exit)
    record["log"] = (tmp_path / "run" / f"{name}.0.log").read_text() if record["exitCode"] == 0 else ""
    return record


def test_a_command_is_found_in_the_containers_path_as_it_is_now(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The launcher remembers where a command was found for a moment (FOUND_FOR), not for good: a
    command installed earlier in PATH is found after it, and one removed is not run from memory."""
    from kjob import runtime

    monkeypatch.setattr(runtime, "FOUND_FOR", 0.3)  # inherited by the launcher forked below
    first, second = tmp_path / "first", tmp_path / "second"
    path = f"{first}:{second}:{os.environ['PATH']}"
    _tool(second, "second")
    started = Launcher()
    started.start()
    try:
        assert _run_tool(tmp_path, started, "a", path)["log"] == "second\n"
        _tool(first, "first")
        time.sleep(0.5)
        assert _run_tool(tmp_path, started, "b", path)["log"] == "first\n"
        (first / "tool").unlink()  # remembered there a moment ago: PATH is searched anew at once
        assert _run_tool(tmp_path, started, "c", path)["log"] == "second\n"
        (second / "tool").unlink()
        gone = _run_tool(tmp_path, started, "d", path)
        assert gone["exitCode"] == 128 and gone["reason"] == "StartError"
        assert 'exec: "tool": executable file not found in $PATH' in gone["message"]
        # A relative directory in PATH is relative to the container's working directory.
        _tool(tmp_path / "work" / "bin", "relative")
        assert _run_tool(tmp_path, started, "e", f"bin:{path}", cwd=tmp_path / "work")["log"] == "relative\n"
    finally:
        pid = started.pid
        started.close()
        if pid:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)


@pytest.mark.parametrize(
    ("args", "early"),
    [
        (["create", "-f", "job.yaml"], True),
        (["apply", "-f", "-"], True),
        (["run", "-f", "job.yaml"], True),
        (["create", "job", "j", "--image=busybox", "--", "true"], True),
        (["get", "pods"], False),
        (["delete", "jobs", "--all"], False),
        (["create", "-f", "job.yaml", "--dry-run=client"], False),
        (["create", "-h"], False),
        (["-n", "default", "create", "-f", "job.yaml"], False),  # not plain to see: the command does it
        ([], False),
    ],
)
def test_a_writing_command_starts_its_worker_before_it_loads(
    monkeypatch: pytest.MonkeyPatch, args: list[str], early: bool
) -> None:
    from kjob import cli, worker

    started: list[str] = []
    monkeypatch.setattr(worker, "start_early", lambda store: started.append(store.root))
    cli._start_worker_early(args)
    assert bool(started) == early


def test_the_console_script_starts_one_worker_for_a_create(home: Path, tmp_path: Path) -> None:
    """The worker started before the command loads is the one it counts on after its write: one
    worker, and the job runs."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    cli = "import sys; from kjob.cli import main; sys.exit(main())"
    env = {**os.environ, "KJOB_HOME": str(home), "PYTHONPATH": str(ROOT)}
    manifest = tmp_path / "job.yaml"
    manifest.write_text(job_manifest("early", "true"))
    done = subprocess.run(
        [sys.executable, "-c", cli, "create", "-f", str(manifest)], env=env, capture_output=True, text=True
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "job.batch/early created\n", "")
    wait_for("the worker", lambda: _workers(home))
    time.sleep(0.3)  # a second worker, had the command started another, would be here now
    assert len(_workers(home)) == 1
    waited = subprocess.run(
        [sys.executable, "-c", cli, "wait", "--for=condition=complete", "job/early", "--timeout=30s"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert waited.returncode == 0, waited.stderr


def test_the_command_counts_on_the_worker_started_before_it_loaded(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Started before the command loads, not again by the command itself (start_early), nor after
    its write (ensure_running), while it has not taken its lock yet."""
    import subprocess

    from kjob import cli, worker
    from kjob.store import Store

    monkeypatch.setenv("KJOB_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(worker, "_STARTED_EARLY", {})
    spawned: list[subprocess.Popen[bytes]] = []

    def spawn(store: Store) -> int:
        spawned.append(subprocess.Popen(["sleep", "30"]))  # a worker still coming up
        return spawned[-1].pid

    monkeypatch.setattr(worker, "spawn", spawn)
    nudged: list[str] = []
    monkeypatch.setattr(worker, "nudge", lambda store: nudged.append(store.root))
    try:
        cli._start_worker_early(["create", "-f", "job.yaml"])
        worker.start_early(Store())
        worker.ensure_running(Store())
        assert len(spawned) == 1
        assert nudged == [str(tmp_path / "home")]
    finally:
        for child in spawned:
            child.kill()
            child.wait()


def test_a_worker_that_exits_gives_back_the_versions_it_did_not_use(kjob_proc, home: Path) -> None:  # type: ignore[no-untyped-def]
    """The worker keeps a block of resourceVersions from pass to pass (see Store.next_resource_version)
    and gives back what is left of it as it exits: the next command's write carries the next version,
    one more than the largest any object has."""
    from kjob.store import Store

    kjob_proc("create", "-f", "-", input=job_manifest("dense", "true", completions=3))
    kjob_proc("wait", "--for=condition=complete", "job/dense", "--timeout=30s")
    wait_for("the idle worker to exit", lambda: not _workers(home), timeout=LINGER + 15)
    store = Store(home)
    objects = [o for kind in ("jobs", "pods", "events") for o in store.list(kind)]
    assert len(objects) > 3
    largest = max(int(o["metadata"]["resourceVersion"]) for o in objects)
    assert int((home / "resourceversion").read_text()) == largest
    kjob_proc("create", "-f", "-", input=job_manifest("next", "true", suspend=True))
    assert int(store.must_get("jobs", "default", "next")["metadata"]["resourceVersion"]) == largest + 1


# A worker whose every pass checks that the pods it knows without listing them are the store's.
_CHECKED_WORKER = """
import os, sys
from kjob import worker
from kjob.store import Store

home, tally = sys.argv[1], sys.argv[2]
list_pods = worker.Worker._list_pods
checks = {True: 0, False: 0}  # passes that took the pods their last pass left, and the others

def checked(self):
    listing = self.store.kept_listing("pods")
    unlisted = listing is not None and listing is self.known_listing
    seens = list_pods(self)
    if [seen.pod for seen in seens] != Store(home).list("pods"):
        worker.log("the pods known differ from the pods stored")
        os._exit(3)
    checks[unlisted] += 1
    with open(tally, "w") as f:
        f.write(f"{checks[True]} {checks[False]}")
    return seens

worker.Worker._list_pods = checked
sys.exit(worker.main([home]))
"""


def test_the_pods_a_worker_knows_without_listing_are_the_stored_ones(
    kjob_proc: Callable[..., Any], home: Path, tmp_path: Path
) -> None:
    """A job of many short pods, with commands writing pods meanwhile: on every pass, the pods the
    worker takes from what its last pass left are the pods the store lists."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    tally, said = tmp_path / "checks", tmp_path / "worker.err"
    home.mkdir(parents=True, exist_ok=True)
    with open(said, "w") as err:
        worker = subprocess.Popen(
            [sys.executable, "-c", _CHECKED_WORKER, str(home), str(tally)],
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stderr=err,
        )
    try:
        from kjob.store import Store
        from kjob.worker import worker_alive

        wait_for("the checked worker", lambda: worker_alive(Store(home)))
        text = job_manifest("many", "true", completions=60, parallelism=6)
        assert kjob_proc("create", "-f", "-", input=text).exit_code == 0
        labelled = 0
        while worker.poll() is None and labelled < 10:
            pods = kjob_proc("get", "pods", "-o", "name").stdout.split()
            if pods:  # another process's write: the next pass lists the pods again
                assert kjob_proc("label", pods[-1], f"turn={labelled}", "--overwrite").exit_code == 0
                labelled += 1
        r = kjob_proc("wait", "--for=condition=complete", "job/many", "--timeout=60s")
        assert r.exit_code == 0, r.stderr
        assert worker.wait(timeout=LINGER + 30) == 0, said.read_text()
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    unlisted, listed = map(int, tally.read_text().split())
    assert unlisted > 5  # most passes
    assert listed > 1  # the first, and those after a command's write
    assert kjob_proc("get", "job", "many", "-o", "jsonpath={.status.succeeded}").stdout == "60"


def test_a_launcher_that_fails_says_why_in_the_workers_log(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """A launcher's output is the worker's log: one that dies of an error leaves its traceback there."""
    from kjob import runtime

    def broken(sock: object) -> None:
        raise RuntimeError("no cgroup for you")

    monkeypatch.setattr(runtime, "_launcher_main", broken)
    launcher = Launcher()
    launcher.start()
    pid = launcher.pid
    assert pid is not None
    _, status = os.waitpid(pid, 0)
    launcher.close()
    assert os.waitstatus_to_exitcode(status) == 1
    err = capfd.readouterr().err
    assert f"launcher failed (pid {pid})" in err
    assert "RuntimeError: no cgroup for you" in err


def test_a_worker_starting_while_a_command_looks_at_its_lock_still_takes_it(home: Path) -> None:
    """worker_alive() takes the lock for a moment to see whether anyone holds it. A worker that tried
    to take it just then gave up, as if another worker held it, and the job it was started for waited
    for the next command: the one CI flake of test_a_killed_launcher_is_replaced."""
    import fcntl
    import threading

    from kjob.store import WORKER_LOCK, Store
    from kjob.worker import Worker

    store = Store(home)
    store.ensure()
    fd = os.open(home / WORKER_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    threading.Timer(0.02, os.close, [fd]).start()  # a look lasts microseconds; a slow one, this
    worker = Worker(store)
    try:
        assert worker.acquire()
    finally:
        worker.release()


@pytest.mark.parametrize(
    "command", [["get", "pods"], ["patch", "job", "st", "--type=merge", "-p", '{"spec":{"backoffLimit":1}}']]
)
def test_any_command_picks_up_after_a_killed_worker(  # type: ignore[no-untyped-def]
    kjob_proc, home: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    """A failed pod's replacement waits out a back-off that only a worker counts down: `get pods`
    reads finished pods alone, yet starts a worker, since the last one left its pid in its lock (and
    so does a patch that changes nothing, a read all the same). One that leaves with nothing to do
    empties it, and reads then start none."""
    from kjob.store import WORKER_LOCK

    monkeypatch.setenv("KJOB_BACKOFF_SCALE", "0.2")  # a 2 s back-off
    manifest = job_manifest("st", "exit 1", backoffLimit=1)
    assert kjob_proc("create", "-f", "-", input=manifest).exit_code == 0
    wait_for("the first pod's failure", lambda: "Error" in kjob_proc("get", "pods").stdout)
    for pid in _workers(home):
        os.kill(pid, signal.SIGKILL)
    wait_for("the worker's end", lambda: not _workers(home))
    assert (home / WORKER_LOCK).stat().st_size > 0
    r = kjob_proc(*command)
    assert r.exit_code == 0 and "Running" not in r.stdout and "Pending" not in r.stdout
    assert command[0] == "get" or r.stdout == "job.batch/st patched (no change)\n"
    wait_for(f"a worker started by `{command[0]}`", lambda: _workers(home), timeout=5)
    done = kjob_proc("wait", "--for=condition=failed", "job/st", "--timeout=60s")
    assert done.exit_code == 0, done.stderr
    wait_for("the worker's clean exit", lambda: not _workers(home), timeout=LINGER + 15)
    assert (home / WORKER_LOCK).stat().st_size == 0
    kjob_proc("get", "pods")
    time.sleep(0.3)
    assert not _workers(home)
