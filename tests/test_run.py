"""kjob run: create, stream prefixed output, progress on a terminal, exit with the outcome."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kjob import containerlog, worker
from kjob.run import Follower
from kjob.store import Store
from tests.conftest import ROOT, job_manifest, write_manifest

pytestmark = pytest.mark.integration


def test_run_streams_prefixed_output_and_exits_0(kjob_proc, tmp_path: Path) -> None:
    path = write_manifest(
        tmp_path, job_manifest("count", "for i in 3 2 1; do echo $i; sleep 0.1; done", completions=2)
    )
    r = kjob_proc("run", "-f", str(path))
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 6
    pods = {re.match(r"\[(count-\w{5})/c\] ", line).group(1) for line in lines}
    assert len(pods) == 2
    for pod in pods:
        assert [line.split("] ")[1] for line in lines if line.startswith(f"[{pod}/c]")] == ["3", "2", "1"]
    assert r.stderr.splitlines()[0] == "job.batch/count created"
    assert re.fullmatch(r"job\.batch/count complete: 2 succeeded in \d+s", r.stderr.splitlines()[-1])
    assert "\x1b[" not in r.stderr  # not a terminal: no colour, no progress line


def test_run_exits_1_when_the_job_fails(kjob_proc) -> None:
    r = kjob_proc("run", "-f", "-", input=job_manifest("broken", "echo oops >&2; exit 3", backoffLimit=0))
    assert r.exit_code == 1
    assert re.fullmatch(r"\[broken-\w{5}/c\] oops\n", r.stdout)
    assert r.stderr.splitlines()[-1] == (
        "job.batch/broken failed: BackoffLimitExceeded: Job has reached the specified backoff limit"
    )


def test_run_points_validation_errors_at_line_and_column(kjob_proc, tmp_path: Path) -> None:
    text = (
        job_manifest("bad", "true")
        .replace("restartPolicy: Never", "restartPolicy: Always")
        .replace("name: c\n", "name: Main\n")
    )
    path = write_manifest(tmp_path, text)
    r = kjob_proc("run", "-f", str(path))
    assert r.exit_code == 1
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert lines[0].startswith(f'{path}:9:9: spec.template.spec.containers[0].name: Invalid value: "Main": ')
    assert (
        lines[1]
        == f'{path}:12:7: spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"'
    )
    assert kjob_proc("get", "jobs").stderr == "No resources found in default namespace.\n"  # nothing created


def test_run_points_unknown_fields_at_their_line(kjob_proc, tmp_path: Path) -> None:
    text = job_manifest("odd", "true").replace(
        "image: busybox:1.36\n", "image: busybox:1.36\n        colour: blue\n"
    )
    path = write_manifest(tmp_path, text)
    r = kjob_proc("run", "-f", str(path))
    assert (r.exit_code, r.stderr) == (
        1,
        f"{path}:11:9: spec.template.spec.containers[0].colour: unknown field\n",
    )


def test_run_refuses_an_existing_job(kjob_proc) -> None:
    text = job_manifest("twice", "true", suspend=True)
    assert kjob_proc("create", "-f", "-", input=text).exit_code == 0
    r = kjob_proc("run", "-f", "-", input=text)
    assert (r.exit_code, r.stderr) == (
        1,
        'Error from server (AlreadyExists): jobs.batch "twice" already exists\n',
    )


def _run_on_terminal(home: Path, manifest: Path, extra_env: dict[str, str]) -> str:
    """Run `kjob run` with stderr on a pseudo-terminal; return what the terminal showed."""
    master, slave = pty.openpty()
    env = {**os.environ, "KJOB_HOME": str(home), "PYTHONPATH": str(ROOT), **extra_env}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kjob", "run", "-f", str(manifest)],
        stdout=subprocess.DEVNULL,
        stderr=slave,
        env=env,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(master)
    return b"".join(chunks).decode()


def test_run_shows_progress_and_colour_on_a_terminal(home: Path, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, job_manifest("tty", "sleep 0.6; echo done"))
    screen = _run_on_terminal(home, manifest, {"NO_COLOR": ""})
    assert re.search(r"tty: 0/1 complete, 1 active, 0 failed, \ds", screen)
    assert "\r\x1b[K" in screen
    assert "\x1b[32mjob.batch/tty complete: 1 succeeded in" in screen


def test_run_has_no_colour_with_no_color(home: Path, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, job_manifest("plain", "true"))
    screen = _run_on_terminal(home, manifest, {"NO_COLOR": "1"})
    assert "\x1b[32m" not in screen and "job.batch/plain complete" in screen


# ---------------------------------------------------------------- reading the logs of the runs

T0 = "2026-12-04T19:38:09.000000000Z"


def _append(log: str, fmt: int, records: list[tuple[str, bytes, bool]]) -> None:
    """Records (stream, text, ends its line) appended as the shim of either format wrote them."""
    path = Path(log)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == 1:
        with open(path, "ab") as f:
            for stream, text, full in records:
                f.write(f"{T0} {stream} {'F' if full else 'P'} ".encode() + text + b"\n")
        return
    writer = containerlog.LogWriter(path)
    for stream, text, full in records:
        writer.write(stream, text + b"\n" if full else text)
        if not full:
            writer.flush(stream)
    writer.close()


@pytest.mark.parametrize("fmt", [1, 2], ids=["cri", "raw"])
def test_follower_prints_whole_prefixed_lines_of_every_run(tmp_path: Path, fmt: int) -> None:
    store = Store(tmp_path / "home")
    p = {
        "metadata": {"name": "p-x1", "namespace": "default", "uid": "uid-p"},
        "status": {"containerStatuses": [{"name": "c", "restartCount": 1}]},
    }
    out: list[bytes] = []
    follower = Follower(store, "default", [], out.append)
    follower.pump([p])
    assert out == []  # no run has written yet
    _append(worker.log_path(store, p, "c", 0), fmt, [("stdout", b"one", True), ("stderr", b"two", True)])
    _append(worker.log_path(store, p, "c", 0), fmt, [("stdout", b"thr", False)])
    follower.pump([p])
    assert b"".join(out) == b"[p-x1/c] one\n[p-x1/c] two\n"
    _append(worker.log_path(store, p, "c", 1), fmt, [("stdout", b"ee", False), ("stdout", b" again", True)])
    follower.pump([p])
    assert b"".join(out) == b"[p-x1/c] one\n[p-x1/c] two\n[p-x1/c] ee again\n"
    follower.pump([p], final=True)
    assert b"".join(out) == b"[p-x1/c] one\n[p-x1/c] two\n[p-x1/c] ee again\n[p-x1/c] thr\n"


def test_follower_waits_for_a_cri_record_being_written(tmp_path: Path) -> None:
    store = Store(tmp_path / "home")
    p = {
        "metadata": {"name": "p", "namespace": "default", "uid": "u"},
        "status": {"initContainerStatuses": [{"name": "i"}]},
    }
    path = Path(worker.log_path(store, p, "i", 0))
    path.parent.mkdir(parents=True)
    path.write_bytes(f"{T0} stdout F half".encode())
    out: list[bytes] = []
    follower = Follower(store, "default", [], out.append)
    follower.pump([p])
    assert out == []
    with open(path, "ab") as f:
        f.write(b" done\n")
    follower.pump([p], final=True)
    assert out == [b"[p/i] half done\n"]
