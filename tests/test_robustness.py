"""Nothing lost, nothing left running, nothing let in: kjob under concurrency, a killed worker,
interrupted writes, a full or read-only disk, and load."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from kjob.store import Store
from tests.conftest import ROOT, job_manifest, wait_until

pytestmark = pytest.mark.integration
FIXTURE_STATE = Path(__file__).parent / "fixtures" / "state-v1"


def kjob_popen(home: Path, *args: str, stdin: str | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "kjob", *args],
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "KJOB_HOME": str(home), "PYTHONPATH": str(ROOT)},
    )


def job_status(kjob_proc: Any, name: str) -> dict[str, Any]:
    r = kjob_proc("get", "job", name, "-o", "json")
    return json.loads(r.stdout)["status"] if r.exit_code == 0 else {}


def finished(status: dict[str, Any]) -> str | None:
    for cond in status.get("conditions", []):
        if cond["type"] in ("Complete", "Failed") and cond["status"] == "True":
            return str(cond["type"])
    return None


def worker_pid(home: Path) -> int | None:
    try:
        pid = int((home / "worker.lock").read_text().strip())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


# ---------------------------------------------------------------- concurrency


def test_fifty_creates_at_once_all_exist_and_run(kjob_proc, home: Path) -> None:
    procs = [
        kjob_popen(home, "create", "-f", "-", stdin=job_manifest(f"many-{i:02d}", "true")) for i in range(50)
    ]
    for i, proc in enumerate(procs):
        out, err = proc.communicate(input=job_manifest(f"many-{i:02d}", "true"), timeout=60)
        assert (proc.returncode, out) == (0, f"job.batch/many-{i:02d} created\n"), err
    names = [
        j["metadata"]["name"] for j in json.loads(kjob_proc("get", "jobs", "-o", "json").stdout)["items"]
    ]
    assert names == [f"many-{i:02d}" for i in range(50)]
    wait_until(
        lambda: all(finished(job_status(kjob_proc, f"many-{i:02d}")) == "Complete" for i in range(50)),
        timeout=90,
    )
    pods = json.loads(kjob_proc("get", "pods", "-o", "json").stdout)["items"]
    assert len(pods) == 50


def test_ten_creates_of_one_name_one_wins(kjob_proc, home: Path) -> None:
    text = job_manifest("contested", "true", suspend=True)
    procs = [kjob_popen(home, "create", "-f", "-", stdin=text) for _ in range(10)]
    results = [(p.communicate(input=text, timeout=60), p.returncode) for p in procs]
    wins = [out for (out, _), code in results if code == 0]
    losses = [err for (_, err), code in results if code == 1]
    assert wins == ["job.batch/contested created\n"]
    assert (
        losses
        == [
            'Error from server (AlreadyExists): error when creating "STDIN": jobs.batch "contested" already exists\n'
        ]
        * 9
    )


def test_patches_racing_the_worker_lose_no_update(kjob_proc, home: Path) -> None:
    kjob_proc("create", "-f", "-", input=job_manifest("racy", "sleep 0.05", parallelism=4, completions=40))
    patches = [
        kjob_popen(
            home,
            "patch",
            "job",
            "racy",
            "--type=merge",
            "-p",
            json.dumps({"metadata": {"labels": {f"k{i}": "v"}}}),
        )
        for i in range(12)
    ]
    for p in patches:
        p.communicate(timeout=60)
        assert p.returncode == 0
    wait_until(lambda: finished(job_status(kjob_proc, "racy")) == "Complete", timeout=90)
    job = json.loads(kjob_proc("get", "job", "racy", "-o", "json").stdout)
    assert {f"k{i}" for i in range(12)} <= set(job["metadata"]["labels"])  # every patch landed
    assert job["status"]["succeeded"] == 40  # and every status write too


# ---------------------------------------------------------------- a killed worker


def test_worker_killed_again_and_again_changes_no_outcome(
    kjob_proc, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KJOB_BACKOFF_SCALE", "0.01")
    # Every index fails once, then succeeds: whatever happens to the worker, 8 failed and 8 succeeded.
    marker = f"{tmp_path}/seen-$JOB_COMPLETION_INDEX"
    # Each run lasts long enough that the job spans several kills (16 runs of 0.5 s in 3 slots: ~3 s).
    script = f"sleep 0.5; if [ -e {marker} ]; then exit 0; fi; touch {marker}; exit 1"
    kjob_proc(
        "create",
        "-f",
        "-",
        input=job_manifest(
            "chaos", script, completionMode="Indexed", completions=8, parallelism=3, backoffLimit=20
        ),
    )
    rng = random.Random(7)
    kills = 0
    deadline = time.time() + 120
    while not finished(job_status(kjob_proc, "chaos")):
        assert time.time() < deadline, job_status(kjob_proc, "chaos")
        time.sleep(rng.uniform(0.02, 0.25))
        pid = worker_pid(home)
        if pid:
            os.kill(pid, signal.SIGKILL)
            kills += 1
        kjob_proc("get", "pods")  # finds unfinished work and no worker: starts one
    assert kills >= 5
    status = job_status(kjob_proc, "chaos")
    assert finished(status) == "Complete"
    assert (status["succeeded"], status["failed"], status["completedIndexes"]) == (8, 8, "0-7")
    pods = json.loads(kjob_proc("get", "pods", "-o", "json").stdout)["items"]
    phases = sorted(
        (p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"], p["status"]["phase"])
        for p in pods
    )
    assert phases == sorted(
        [(str(i), "Failed") for i in range(8)] + [(str(i), "Succeeded") for i in range(8)]
    )


def test_a_lost_container_result_ends_as_container_status_unknown(kjob_proc, home: Path) -> None:
    kjob_proc("create", "-f", "-", input=job_manifest("lost", "sleep 300", backoffLimit=0))
    wait_until(lambda: "Running" in kjob_proc("get", "pods").stdout)
    record = next((home / "run").glob("*/c.0.run"))
    shim = json.loads(record.read_text().splitlines()[0])
    container = shim["pid"]
    os.kill(shim["shim"], signal.SIGKILL)  # the result can no longer be recorded
    wait_until(lambda: finished(job_status(kjob_proc, "lost")) == "Failed", timeout=30)
    pod = json.loads(kjob_proc("get", "pods", "-o", "json").stdout)["items"][0]
    term = pod["status"]["containerStatuses"][0]["state"]["terminated"]
    assert (term["reason"], term["exitCode"]) == ("ContainerStatusUnknown", 137)
    assert job_status(kjob_proc, "lost")["failed"] == 1
    wait_until(
        lambda: (
            not Path(f"/proc/{container}").exists()
            or "Z" in Path(f"/proc/{container}/stat").read_text().split(") ")[1][:1]
        )
    )


@pytest.mark.skipif(not __import__("kjob.cgroups").cgroups.can_enter(), reason="runs have shims here")
def test_a_lost_run_takes_what_it_left_in_its_cgroup_with_it(kjob_proc, home: Path) -> None:
    """Its launcher killed, a run's daemon in a session of its own is found through the cgroup its
    record names (a launcher's kept one), and killed."""
    script = "setsid sleep 300 & echo $! > daemon.pid; sleep 300"
    kjob_proc("create", "-f", "-", input=job_manifest("lostdaemon", script, backoffLimit=0))
    wait_until(
        lambda: list((home / "run").glob("*/fs/daemon.pid")) and "Running" in kjob_proc("get", "pods").stdout
    )
    daemon = int(next((home / "run").glob("*/fs/daemon.pid")).read_text())
    shim = json.loads(next((home / "run").glob("*/c.0.run")).read_text().splitlines()[0])
    assert shim["cgroup"]
    os.kill(shim["shim"], signal.SIGKILL)
    wait_until(lambda: finished(job_status(kjob_proc, "lostdaemon")) == "Failed", timeout=30)
    wait_until(
        lambda: not Path(f"/proc/{daemon}").exists() or "Z" in Path(f"/proc/{daemon}/stat").read_text()
    )


# ---------------------------------------------------------------- the store


# A job is a file replaced whole; a pod, a line appended to its namespace's log (smaller: many are kept).
_PADDING = {"jobs": 50_000, "pods": 5_000}


def _writer(home: str, kind: str) -> None:
    store = Store(home)
    n = 0
    while True:
        n += 1
        with store.lock():
            obj = store.get(kind, "default", "torn") or {
                "apiVersion": "batch/v1" if kind == "jobs" else "v1",
                "kind": "Job" if kind == "jobs" else "Pod",
                "metadata": {"name": "torn", "namespace": "default"},
            }
            obj["spec"] = {"version": n, "padding": "x" * (_PADDING[kind] + n % 997)}
            if "resourceVersion" in obj["metadata"]:
                store.update(kind, obj)
            else:
                store.create(kind, obj)


@pytest.mark.parametrize("kind", ["jobs", "pods"])
def test_interrupted_writes_leave_old_or_new_never_torn(tmp_path: Path, kind: str) -> None:
    import multiprocessing

    home = str(tmp_path / "store")
    ctx = multiprocessing.get_context("fork")
    last = 0
    for _ in range(40):
        proc = ctx.Process(target=_writer, args=(home, kind))
        proc.start()
        time.sleep(random.uniform(0.005, 0.05))
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
        for obj in (Store(home).get(kind, "default", "torn"), *Store(home).list(kind)):
            if obj is None:
                continue
            padding = _PADDING[kind] + obj["spec"]["version"] % 997
            assert len(obj["spec"]["padding"]) == padding  # whole, never torn
            assert int(obj["metadata"]["resourceVersion"]) >= last  # never back, even after a crash
            last = int(obj["metadata"]["resourceVersion"])
    assert Store(home).corrupt == []


def test_state_written_by_this_release_keeps_loading(kjob_proc, home: Path) -> None:
    shutil.copytree(FIXTURE_STATE, home)
    r = kjob_proc("get", "jobs")
    assert r.stdout.splitlines()[1].split()[:3] == ["job-count", "1/1", "1s"], r.stderr
    pods = json.loads(kjob_proc("get", "pods", "-o", "json").stdout)["items"]
    assert [p["status"]["phase"] for p in pods] == ["Succeeded"]
    assert kjob_proc("logs", pods[0]["metadata"]["name"]).stdout == "3\n2\n1\n"
    assert (
        "Pods Statuses:    0 Running / 1 Succeeded / 0 Failed"
        in kjob_proc("describe", "job", "job-count").stdout
    )


# ---------------------------------------------------------------- a full or read-only disk


@pytest.fixture
def small_disk(tmp_path: Path) -> Any:
    mount = tmp_path / "disk"
    mount.mkdir()
    if (
        os.geteuid() != 0
        or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)], capture_output=True
        ).returncode
        != 0
    ):
        pytest.skip("cannot mount a small tmpfs here")
    yield mount
    from tests.conftest import stop_everything

    stop_everything(mount / "home")
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_full_disk_fails_cleanly_and_keeps_objects(small_disk: Path) -> None:
    home = small_disk / "home"
    env = {**os.environ, "KJOB_HOME": str(home), "PYTHONPATH": str(ROOT)}

    def kjob(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "kjob", *args], input=stdin, capture_output=True, text=True, env=env
        )

    assert kjob("create", "-f", "-", stdin=job_manifest("first", "true", suspend=True)).returncode == 0
    (small_disk / "filler").write_bytes(b"\0" * (small_disk.stat().st_size or 0))
    # Unbuffered: a buffered file's close would write what the last failed write left, and fail too.
    with open(small_disk / "filler", "ab", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    r = kjob("create", "-f", "-", stdin=job_manifest("second", "true", suspend=True))
    assert r.returncode == 1
    assert (
        len(r.stderr.splitlines()) == 1
        and "No space left on device" in r.stderr
        and "Traceback" not in r.stderr
    )
    assert kjob("get", "jobs", "first").returncode == 0
    assert kjob("get", "jobs", "second").returncode == 1


def _no_worker(home: Path) -> bool:
    from tests.conftest import _pids_of

    return not _pids_of(home)


def test_read_only_disk_fails_cleanly(small_disk: Path) -> None:
    home = small_disk / "home"
    env = {**os.environ, "KJOB_HOME": str(home), "PYTHONPATH": str(ROOT)}
    subprocess.run(
        [sys.executable, "-m", "kjob", "create", "-f", "-"],
        input=job_manifest("kept", "true", suspend=True),
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    wait_until(lambda: _no_worker(home))  # an idle worker exits; a busy mount cannot be remounted
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    r = subprocess.run(
        [sys.executable, "-m", "kjob", "delete", "jobs", "kept"], capture_output=True, text=True, env=env
    )
    assert r.returncode == 1
    assert len(r.stderr.splitlines()) == 1 and r.stderr.startswith("error: ") and "Traceback" not in r.stderr
    r = subprocess.run(
        [sys.executable, "-m", "kjob", "get", "jobs", "kept"], capture_output=True, text=True, env=env
    )
    assert r.returncode == 0 and "kept" in r.stdout


def test_logs_on_a_full_disk_do_not_stop_the_worker(small_disk: Path) -> None:
    home = small_disk / "home"
    env = {**os.environ, "KJOB_HOME": str(home), "PYTHONPATH": str(ROOT)}

    def kjob(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "kjob", *args], input=stdin, capture_output=True, text=True, env=env
        )

    # ~300 KB of output: more than the ~200 KB left free, less than what the test frees again later.
    script = "yes 0123456789012345678901234567890123456789 | head -n 7500; sleep 2; echo done"
    assert kjob("create", "-f", "-", stdin=job_manifest("chatty", script, suspend=True)).returncode == 0
    filler = small_disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)
    # Leave room for the objects of a pass (on tmpfs every file takes at least a 4 KiB page, and a pass
    # writes the job, the pod, half a dozen events and their temp copies); the logs still overflow it.
    filler.write_bytes(b"\0" * max(0, filler.stat().st_size - 200 * 1024))
    assert kjob("patch", "job", "chatty", "-p", '{"spec":{"suspend":false}}').returncode == 0
    # The container has started once its log exists; once its output overflows the disk the worker
    # cannot even record "Running", and must neither crash nor lose the run.
    wait_until(lambda: any((home / "run").rglob("*.log")), timeout=30)
    time.sleep(1)
    filler.unlink()
    wait_until(
        lambda: (
            finished(json.loads(kjob("get", "job", "chatty", "-o", "json").stdout)["status"]) == "Complete"
        ),
        timeout=60,
    )
    assert "worker crashed" not in (home / "worker.log").read_text()


# ---------------------------------------------------------------- files are the user's alone


def test_state_files_are_private(kjob_proc, home: Path) -> None:
    kjob_proc("create", "-f", "-", input=job_manifest("private", "echo secret"))
    wait_until(lambda: finished(job_status(kjob_proc, "private")) == "Complete")
    assert (home.stat().st_mode & 0o777) == 0o700
    for path in home.rglob("*"):
        if path.is_symlink() or path.is_socket():
            continue
        mode = path.stat().st_mode & 0o777
        if (
            path.is_dir()
            or path.suffix in (".json", ".log")
            or path.name in ("store.lock", "worker.log", "resourceversion")
        ):
            assert mode & 0o077 == 0, path


def test_a_worker_leaves_each_log_with_only_what_lives_in_it(kjob_proc, home: Path) -> None:
    """A pod is written three times or so as it runs; once the worker is done, the commands that read
    the pods' log parse each pod once."""
    kjob_proc("create", "-f", "-", input=job_manifest("three", "true", completions=3, parallelism=3))
    r = kjob_proc("wait", "--for=condition=complete", "job/three", "--timeout=60s")
    assert r.exit_code == 0, r.stderr
    wait_until(lambda: _no_worker(home), timeout=30)
    lines = (home / "pods" / "default" / ".log").read_bytes().splitlines()
    assert sorted(json.loads(line)["name"] for line in lines) == sorted(
        p["metadata"]["name"] for p in Store(home).list("pods")
    )
    assert len(lines) == 3


# ---------------------------------------------------------------- a state directory damaged by hand


def test_a_job_file_that_no_longer_parses_is_passed_over_never_taken_for_gone(
    kjob_proc, home: Path, tmp_path: Path
) -> None:
    """Its pods, their processes and their logs stay (the worker took its pods for orphans of a
    deleted job and deleted them), other jobs run on, and `delete` can still remove it; then its pods
    go as a deleted job's do."""
    alive = tmp_path / "alive"
    kjob_proc(
        "create",
        "job",
        "run",
        "--image=x",
        "--",
        "sh",
        "-c",
        f"echo out; while true; do touch {alive}; sleep 0.1; done",
    )
    kjob_proc("create", "job", "done", "--image=x", "--", "echo", "finished")
    assert kjob_proc("wait", "--for=condition=complete", "job/done", "--timeout=30s").exit_code == 0
    wait_until(lambda: alive.exists())
    for name in ("run", "done"):
        path = home / "jobs" / "default" / f"{name}.json"
        path.write_bytes(path.read_bytes()[:200])
    kjob_proc("create", "job", "other", "--image=x", "--", "true")
    assert kjob_proc("wait", "--for=condition=complete", "job/other", "--timeout=30s").exit_code == 0
    pods = kjob_proc("get", "pods", "-o", "name").stdout.split()
    assert sum(p.startswith("pod/run-") for p in pods) == sum(p.startswith("pod/done-") for p in pods) == 1
    done_pod = next(p for p in pods if p.startswith("pod/done-"))
    assert kjob_proc("logs", done_pod).stdout == "finished\n"
    alive.unlink()
    wait_until(lambda: alive.exists())  # its container still runs
    listing = kjob_proc("get", "jobs")
    assert "other" in listing.stdout and "corrupt object file" in listing.stderr
    r = kjob_proc("delete", "job", "run")
    assert (r.exit_code, r.stdout) == (0, 'job.batch "run" deleted\n')
    assert r.stderr.startswith("warning: corrupt object file ") and r.stderr.endswith(": removing it\n")
    wait_until(
        lambda: (
            not any(p.startswith("pod/run-") for p in kjob_proc("get", "pods", "-o", "name").stdout.split())
        )
    )
    alive.unlink()
    time.sleep(0.5)
    assert not alive.exists()  # and its container with it


def test_an_object_edited_into_another_shape_is_reported_and_the_rest_listed(kjob_proc, home: Path) -> None:
    kjob_proc("create", "job", "good", "--image=x", "--", "true")
    kjob_proc("create", "job", "bad", "--image=x", "--", "true")
    assert (
        kjob_proc("wait", "--for=condition=complete", "job/good", "job/bad", "--timeout=30s").exit_code == 0
    )
    path = home / "jobs" / "default" / "bad.json"
    doc = json.loads(path.read_text())
    doc["object"]["spec"] = 5
    path.write_text(json.dumps(doc))
    for args, bad in (
        (["get", "jobs"], "\nbad "),
        (["get", "all"], "job.batch/bad "),
        (["describe", "jobs"], "Name:           bad\n"),
    ):
        r = kjob_proc(*args)
        assert "good" in r.stdout and bad not in r.stdout, args
        assert r.stderr == f"error: corrupt object file {path}: spec is not an object\n", args


def test_a_state_directory_deeper_than_a_socket_address_holds_runs_jobs(tmp_path: Path) -> None:
    """A Unix socket's address holds 107 bytes: the worker's socket and the watchers' are reached
    through their directory's descriptor when their paths are longer (the worker never started)."""
    from tests.conftest import stop_everything

    home = tmp_path / ("deep-" * 24) / "kjob-home"
    assert len(str(home / "watch" / "12345.jobs.sock")) > 107
    env = {**os.environ, "KJOB_HOME": str(home), "PYTHONPATH": str(ROOT)}

    def kjob(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "kjob", *args], capture_output=True, text=True, env=env, timeout=60
        )

    try:
        assert (
            kjob("create", "job", "deep", "--image=x", "--", "sh", "-c", "sleep 0.5; echo deep").returncode
            == 0
        )
        r = kjob("wait", "--for=condition=complete", "job/deep", "--timeout=30s")
        assert (r.returncode, r.stdout, r.stderr) == (0, "job.batch/deep condition met\n", "")
        assert kjob("logs", "-f", "job/deep").stdout == "deep\n"
        assert (home / "worker.sock").exists()
    finally:
        stop_everything(home)


@pytest.mark.parametrize("source", ["/dev/zero", "-"])
def test_an_endless_manifest_is_refused_once_it_passes_the_servers_limit(home: Path, source: str) -> None:
    """`yes | kjob create -f -` and `kjob create -f /dev/zero` read on without end (gigabytes of memory);
    no more than the API server would take is read before the request is refused."""
    env = {**os.environ, "KJOB_HOME": str(home), "PYTHONPATH": str(ROOT)}
    feed = subprocess.Popen(["yes"], stdout=subprocess.PIPE) if source == "-" else None
    try:
        r = subprocess.run(
            [sys.executable, "-m", "kjob", "create", "-f", source],
            stdin=feed.stdout if feed else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=env,
            timeout=30,
        )
    finally:
        if feed:
            feed.kill()
            feed.wait()
    name = "STDIN" if source == "-" else source
    assert (r.returncode, r.stderr) == (1, f"error: {name}: Request entity too large: limit is 3145728\n")


def test_commands_that_wait_look_again_when_they_cannot_be_woken(kjob_proc, home: Path) -> None:
    """A state directory they cannot make their socket in (mounted read-only, or, here, `watch` a
    file): wait, logs -f and get -w poll instead of failing with an internal error."""
    kjob_proc("create", "job", "ro", "--image=x", "--", "sh", "-c", "sleep 1; echo done")
    shutil.rmtree(home / "watch", ignore_errors=True)
    (home / "watch").write_text("not a directory")
    r = kjob_proc("wait", "--for=condition=complete", "job/ro", "--timeout=30s")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "job.batch/ro condition met\n", "")
    r = kjob_proc("logs", "-f", "job/ro")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "done\n", "")
    watch = kjob_popen(home, "get", "jobs", "-w")
    time.sleep(1.5)
    watch.send_signal(signal.SIGINT)
    out, errors = watch.communicate(timeout=10)
    assert (watch.returncode, errors) == (1, "")
    assert out.splitlines()[1].startswith("ro ")


def test_a_run_that_cannot_be_claimed_is_asked_for_once_then_found_lost(kjob_proc, home: Path) -> None:
    """A state directory whose `run` is a file: no run directory can be made. The launcher's answer
    keeps the run asked for (it was asked for again on every pass: the worker at ~87% of a core, and
    Created/Started recorded each time) until LAUNCH_TIMEOUT finds it lost, as a cluster's kubelet
    finds a container it cannot locate."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "run").write_text("not a directory")
    kjob_proc("create", "-f", "-", input=job_manifest("unrun", "echo hi", backoffLimit=0))
    wait_until(lambda: "ContainerStatusUnknown" in kjob_proc("get", "pods").stdout, timeout=30)
    events = json.loads(kjob_proc("get", "events", "-o", "json").stdout)["items"]
    started = [e for e in events if e["reason"] == "Started"]
    assert [e["count"] for e in started] == [1]
    assert kjob_proc("wait", "--for=condition=failed", "job/unrun", "--timeout=30s").exit_code == 0
