"""kjob logs: streams of either log format, which pods and containers, kubectl's texts, follow."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, job_manifest, wait_until

from kjob import containerlog, logs, worker
from kjob.errors import BadRequest, PlainError
from kjob.store import Store

T0 = "2026-12-04T19:38:09.000000000Z"
T1 = "2026-12-04T19:38:10.500000000Z"
T2 = "2026-12-04T19:38:11.000000001Z"
CRI = (
    f"{T0} stdout F one\n"
    f"{T0} stderr F err one\n"
    f"{T1} stdout P par\n"
    f"{T1} stdout P t\n"
    f"{T1} stdout F ial\n"
    f"{T2} stdout F \n"
    f"{T2} stdout F last\n"
).encode()


# ---------------------------------------------------------------- tail and streams


def write_log(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "0.log"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("block", [5, 50, 1 << 20])
def test_streams_read_in_blocks_with_a_prefix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    monkeypatch.setattr(containerlog, "BLOCK", block)
    out = io.BytesIO()
    request = logs.LogRequest({}, "c", prefix=b"[pod/p/c] ")
    stream = logs._Stream(
        request, write_log(tmp_path, CRI + f"{T2} stdout P end".encode()), logs.LogOptions(), False
    )
    stream.pump(out, final=True)
    assert (
        out.getvalue()
        == b"[pod/p/c] one\n[pod/p/c] err one\n[pod/p/c] partial\n[pod/p/c] \n[pod/p/c] last\n[pod/p/c] end"
    )


def test_a_growing_file_is_read_as_it_grows(tmp_path: Path) -> None:
    path = write_log(tmp_path, f"{T0} stdout F a\n{T0} stdout F b".encode())
    out = io.BytesIO()
    stream = logs._Stream(logs.LogRequest({}, "c"), path, logs.LogOptions(follow=True), False)
    stream.pump(out, final=False)
    assert out.getvalue() == b"a\n"  # the record being written waits for its newline
    with open(path, "ab") as f:
        f.write(f"c\n{T1} stdout F d\n".encode())
    stream.pump(out, final=False)
    assert out.getvalue() == b"a\nbc\nd\n"
    stream.pump(out, final=True)
    assert stream.done
    stream.close()


def test_parallel_streams_hold_a_line_until_it_ends(tmp_path: Path) -> None:
    path = write_log(tmp_path, f"{T0} stdout P half\n".encode())
    out = io.BytesIO()
    stream = logs._Stream(logs.LogRequest({}, "c", prefix=b"[x] "), path, logs.LogOptions(follow=True), True)
    stream.pump(out, final=False)
    assert out.getvalue() == b""
    with open(path, "ab") as f:
        f.write(f"{T1} stdout F  done\n{T1} stdout P tail\n".encode())
    stream.pump(out, final=False)
    assert out.getvalue() == b"[x] half done\n"
    stream.pump(out, final=True)
    assert out.getvalue() == b"[x] half done\n[x] tail"
    stream.close()


def test_a_growing_raw_log_is_read_as_it_grows(tmp_path: Path) -> None:
    path, now = tmp_path / "0.log", [logs.parse_rfc3339(T0)]
    writer = containerlog.LogWriter(path, lambda: now[0])
    writer.write("stdout", b"a\nb")
    out = io.BytesIO()
    stream = logs._Stream(
        logs.LogRequest({}, "c"), path, logs.LogOptions(follow=True, timestamps=True), False
    )
    stream.pump(out, final=False)
    assert out.getvalue() == f"{T0} a\n".encode()  # the line being written waits for its newline
    now[0] = logs.parse_rfc3339(T1)
    writer.write("stdout", b"c\nd\n")
    stream.pump(out, final=False)
    assert out.getvalue() == f"{T0} a\n{T1} bc\n{T1} d\n".encode()
    writer.close()
    stream.pump(out, final=True)
    assert stream.done
    stream.close()


def test_parallel_raw_streams_hold_a_line_until_it_ends(tmp_path: Path) -> None:
    path = tmp_path / "0.log"
    writer = containerlog.LogWriter(path)
    writer.write("stdout", b"half")
    writer.flush("stdout")  # a stream that ended without a newline...
    out = io.BytesIO()
    stream = logs._Stream(logs.LogRequest({}, "c", prefix=b"[x] "), path, logs.LogOptions(follow=True), True)
    stream.pump(out, final=False)
    assert out.getvalue() == b""
    writer.write("stderr", b" done\ntail")  # ...and another that goes on with the line
    writer.flush("stderr")
    stream.pump(out, final=False)
    assert out.getvalue() == b"[x] half done\n"
    stream.pump(out, final=True)
    assert out.getvalue() == b"[x] half done\n[x] tail"
    stream.close()
    writer.close()


def test_a_raw_log_goes_to_a_file_descriptor_in_the_kernel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plain output of a format-2 log is sent, not read: after what `out` buffered, in order."""
    path = tmp_path / "0.log"
    write_format2(path, CRI)
    reads: list[int] = []
    real_read = containerlog.RawLog.read
    monkeypatch.setattr(
        containerlog.RawLog, "read", lambda self, final: reads.append(1) or real_read(self, final)
    )
    with open(tmp_path / "out", "wb") as out:
        out.write(b"before\n")
        stream = logs._Stream(logs.LogRequest({}, "c"), path, logs.LogOptions(), False)
        stream.pump(out, final=True)
        stream.close()
        out.write(b"after\n")
    assert (tmp_path / "out").read_bytes() == b"before\none\nerr one\npartial\n\nlast\nafter\n"
    assert len(reads) == 1  # the one read that finds the end


# ---------------------------------------------------------------- flags


def test_since_rounds_like_go() -> None:
    assert [logs.since_seconds(x) for x in (1.5, 2.5, 0.4, 3600.0, -1.5)] == [2, 3, 0, 3600, -2]
    # --since-time goes to the server at whole seconds.
    assert logs.since_from_time("2024-01-01T00:00:00.999+02:00") == logs.parse_rfc3339("2023-12-31T22:00:00Z")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("bad", 'parsing time "bad" as "2006-01-02T15:04:05Z07:00": cannot parse "bad" as "2006"'),
        ("2024-13-01T00:00:00Z", 'parsing time "2024-13-01T00:00:00Z": month out of range'),
        ("2024-01-01", 'parsing time "2024-01-01" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "T"'),
        (
            "2024-01-01T00:00:00",
            'parsing time "2024-01-01T00:00:00" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "Z07:00"',
        ),
        ("2024-01-01T25:00:00Z", 'parsing time "2024-01-01T25:00:00Z": hour out of range'),
        ("2024-01-01T00:00:00Zjunk", 'parsing time "2024-01-01T00:00:00Zjunk": extra text: "junk"'),
        ("2024-02-30T00:00:00Z", 'parsing time "2024-02-30T00:00:00Z": day out of range'),
    ],
)
def test_since_time_errors_are_gos(text: str, message: str) -> None:
    with pytest.raises(PlainError) as e:
        logs.parse_rfc3339(text)
    assert e.value.message == f"error: {message}"


def test_since_time_values() -> None:
    assert logs.parse_rfc3339("1970-01-01T00:00:01.5Z") == 1_500_000_000
    assert logs.parse_rfc3339("1970-01-01T01:00:00+01:00") == 0
    assert logs.parse_rfc3339("1970-01-01T00:00:00-00:30") == 1800 * 10**9


# ---------------------------------------------------------------- pods, containers, runs


def pod(
    name: str,
    containers: tuple[str, ...] = ("c",),
    init: tuple[str, ...] = (),
    *,
    phase: str = "Succeeded",
    node: str = "kjob",
    labels: dict[str, str] | None = None,
    created: str = "2026-12-04T19:38:00Z",
    restarts: int = 0,
    ready_at: str | None = None,
    annotations: dict[str, str] | None = None,
    state: dict[str, Any] | None = None,
) -> dict[str, Any]:
    def status(c: str) -> dict[str, Any]:
        cid = f"kjob://uid-{name}/{c}/{restarts}"
        return {
            "name": c,
            "restartCount": restarts,
            "state": state
            if state is not None
            else {"terminated": {"exitCode": 0, "reason": "Completed", "containerID": cid}},
            "lastState": {},
            "containerID": cid,
        }

    meta: dict[str, Any] = {
        "name": name,
        "namespace": "default",
        "uid": f"uid-{name}",
        "labels": labels if labels is not None else {"job-name": "j"},
        "creationTimestamp": created,
    }
    if annotations:
        meta["annotations"] = annotations
    conditions = [{"type": "Ready", "status": "True", "lastTransitionTime": ready_at}] if ready_at else []
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": {
            **({"nodeName": node} if node else {}),
            "containers": [{"name": c, "image": "busybox", "command": ["true"]} for c in containers],
            **(
                {"initContainers": [{"name": c, "image": "busybox", "command": ["true"]} for c in init]}
                if init
                else {}
            ),
        },
        "status": {
            "phase": phase,
            "conditions": conditions,
            "containerStatuses": [status(c) for c in containers],
            "initContainerStatuses": [status(c) for c in init],
        },
    }


def test_pods_are_ranked_as_kubectl_ranks_them() -> None:
    pods = [
        pod("unscheduled", node=""),
        pod("pending", phase="Pending"),
        pod("old", created="2026-12-04T19:00:00Z"),
        pod("new", created="2026-12-04T20:00:00Z"),
        pod("restarted", restarts=3),
        pod("ready-late", phase="Running", ready_at="2026-12-04T19:50:00Z"),
        pod("ready-early", phase="Running", ready_at="2026-12-04T19:40:00Z"),
    ]
    assert [p["metadata"]["name"] for p in logs.rank_pods(pods)] == [
        "ready-early",
        "ready-late",
        "restarted",
        "old",
        "new",
        "pending",
        "unscheduled",
    ]


def test_container_choice_and_its_notes() -> None:
    notes: list[str] = []
    multi = pod("m", ("a", "b"), ("i",))
    assert [r.container for r in logs.pod_requests(multi, None, False, False, notes.append)] == ["a"]
    assert notes == ['Defaulted container "a" out of: a, b, i (init)']
    notes.clear()
    assert [r.container for r in logs.pod_requests(multi, None, True, False, notes.append)] == ["i", "a", "b"]
    assert [r.container for r in logs.pod_requests(multi, None, False, True, notes.append)] == ["a"]
    assert notes == []
    annotated = pod("n", ("a", "b"), annotations={logs.DEFAULT_CONTAINER_ANNOTATION: "b"})
    assert [r.container for r in logs.pod_requests(annotated, None, False, False, notes.append)] == ["b"]
    assert notes == []
    wrong = pod("w", ("a", "b"), annotations={logs.DEFAULT_CONTAINER_ANNOTATION: "zz"})
    logs.pod_requests(wrong, None, False, False, notes.append)
    assert notes == ['Default container name "zz" not found in pod w', 'Defaulted container "a" out of: a, b']
    with pytest.raises(PlainError) as e:
        logs.pod_requests(multi, "nope", False, False, notes.append)
    assert e.value.message == "error: container nope is not valid for pod m"


@pytest.mark.parametrize(
    ("changes", "previous", "message"),
    [
        ({"node": ""}, False, "pod p does not have a host assigned"),
        (
            {"state": {"waiting": {"reason": "ContainerCreating"}}},
            False,
            'container "c" in pod "p" is waiting to start: ContainerCreating',
        ),
        (
            {"state": {"waiting": {"reason": "PodInitializing"}}},
            False,
            'container "c" in pod "p" is waiting to start: PodInitializing',
        ),
        ({"state": {}}, False, 'container "c" in pod "p" is waiting to start - no logs yet'),
        ({}, True, 'previous terminated container "c" in pod "p" not found'),
    ],
)
def test_runs_that_cannot_be_read(home: Path, changes: dict[str, Any], previous: bool, message: str) -> None:
    with pytest.raises(BadRequest) as e:
        logs.resolve_run(Store(home), logs.LogRequest(pod("p", **changes), "c"), previous)
    assert e.value.message == f"Error from server (BadRequest): {message}"


# ---------------------------------------------------------------- the CLI over a fixed store


def put(home: Path, p: dict[str, Any], runs: dict[str, list[bytes]] | None = None, fmt: int = 1) -> None:
    """A finished pod and its containers' log files (run 0, 1, ...), as the worker leaves them: given as
    CRI records, written in that format (1, older stores) or as today's shim writes the same records (2)."""
    store = Store(home)
    with store.lock():
        store.create("pods", p)
    for container in [c["name"] for c in p["spec"]["containers"] + p["spec"].get("initContainers", [])]:
        for attempt, data in enumerate(
            (runs or {}).get(container, [f"{T0} stdout F {p['metadata']['name']} {container}\n".encode()])
        ):
            path = Path(worker.log_path(store, p, container, attempt))
            path.parent.mkdir(parents=True, exist_ok=True)
            if fmt == 1:
                path.write_bytes(data)
            else:
                write_format2(path, data)


def write_format2(path: Path, cri: bytes) -> None:
    """CRI records as the shim writes them now: each P record a chunk that ends without a newline."""
    now = [0]
    writer = containerlog.LogWriter(path, lambda: now[0])
    for line in cri.splitlines():
        record = containerlog.parse_record(line)
        assert record is not None
        stamp, stream, full, text = record
        now[0] = containerlog.parse_rfc3339_ns(stamp.decode())
        writer.write(stream.decode(), text + b"\n" if full else text)
        if not full:
            writer.flush(stream.decode())
    writer.close()


@pytest.fixture(params=[1, 2], ids=["cri", "raw"])
def log_format(request: pytest.FixtureRequest) -> int:
    return int(request.param)


def put_job(home: Path, name: str = "j") -> None:
    store = Store(home)
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}"},
        "spec": {"selector": {"matchLabels": {"job-name": name}}, "template": {"spec": {"containers": []}}},
        "status": {"conditions": [{"type": "Complete", "status": "True"}], "succeeded": 1},
    }
    with store.lock():
        store.create("jobs", job)


def many_lines(n: int) -> bytes:
    return b"".join(f"{T0} stdout F line {i}\n".encode() for i in range(1, n + 1))


def test_logs_of_a_pod_with_every_output_flag(kjob, home: Path, log_format: int) -> None:
    put(home, pod("p"), {"c": [CRI]}, fmt=log_format)
    assert kjob("logs", "p").stdout == "one\nerr one\npartial\n\nlast\n"
    assert kjob("logs", "pod/p", "c").stdout == "one\nerr one\npartial\n\nlast\n"
    assert kjob("logs", "p", "--tail=2").stdout == "\nlast\n"
    assert kjob("logs", "p", "--tail", "0").stdout == ""
    assert kjob("logs", "p", "--timestamps", "--tail=1").stdout == f"{T2} last\n"
    assert kjob("logs", "p", "--prefix", "--tail=2").stdout == "[pod/p/c] \n[pod/p/c] last\n"
    assert kjob("logs", "p", "--limit-bytes=5").stdout == "one\ne"
    assert kjob("logs", "p", f"--since-time={T2}").stdout == "\nlast\n"
    assert kjob("logs", "p", "--since-time=2026-12-04T19:38:10.9Z").stdout == "partial\n\nlast\n"
    assert kjob("logs", "p", "--since=1h").stdout == ""  # written long ago (in 2026's December)
    r = kjob("logs", "p", "--timestamps=false", "-f=false", "--prefix=true", "--tail=1")
    assert (r.exit_code, r.stdout) == (0, "[pod/p/c] last\n")


def test_logs_of_a_finished_container_with_follow_returns(kjob, home: Path, log_format: int) -> None:
    put(home, pod("p"), {"c": [CRI]}, fmt=log_format)
    r = kjob("logs", "-f", "p")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "one\nerr one\npartial\n\nlast\n", "")


def test_logs_imports_neither_pathlib_nor_dataclasses(home: Path) -> None:
    """`kjob logs` works on strings and plain classes: importing pathlib and dataclasses cost its
    start-up ~3-10 and ~1.5 ms, a tenth of the 200 MB log figure's margin."""
    from conftest import modules_loaded_by

    put(home, pod("p"), {"c": [CRI]}, fmt=2)
    loaded, printed, stderr = modules_loaded_by(["logs", "p", "--tail=1"], home, {"pathlib", "dataclasses"})
    assert printed == ["last"], stderr
    assert loaded == [], stderr


def test_logs_previous_run(kjob, home: Path, log_format: int) -> None:
    p = pod("p", restarts=1)
    p["status"]["containerStatuses"][0]["lastState"] = {
        "terminated": {"exitCode": 1, "containerID": "kjob://uid-p/c/0"}
    }
    put(
        home,
        p,
        {"c": [f"{T0} stdout F first\n".encode(), f"{T1} stdout F second\n".encode()]},
        fmt=log_format,
    )
    assert kjob("logs", "p").stdout == "second\n"
    assert kjob("logs", "-p", "p").stdout == "first\n"
    assert kjob("logs", "--previous=true", "p", "--timestamps").stdout == f"{T0} first\n"


def test_logs_of_a_job_picks_one_pod(kjob, home: Path, log_format: int) -> None:
    put_job(home)
    put(home, pod("j-new", created="2026-12-04T19:39:00Z"), fmt=log_format)
    put(home, pod("j-old", created="2026-12-04T19:30:00Z"), fmt=log_format)
    put(home, pod("j-pending", phase="Pending", node=""), fmt=log_format)
    r = kjob("logs", "job/j")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "j-old c\n", "Found 3 pods, using pod/j-old\n")
    r = kjob("logs", "jobs/j", "--all-pods")
    assert (r.exit_code, r.stdout, r.stderr) == (
        1,
        "[pod/j-old/c] j-old c\n[pod/j-new/c] j-new c\n",
        "Error from server (BadRequest): pod j-pending does not have a host assigned\n",
    )


def test_logs_of_a_job_with_one_pod_says_nothing(kjob, home: Path) -> None:
    put_job(home)
    put(home, pod("j-only"))
    assert (kjob("logs", "job.batch/j").stdout, kjob("logs", "job/j").stderr) == ("j-only c\n", "")


def test_logs_by_selector_tail_ten_per_container(kjob, home: Path, log_format: int) -> None:
    put(home, pod("a", labels={"app": "x"}), {"c": [many_lines(12)]}, fmt=log_format)
    put(home, pod("b", ("c", "d"), labels={"app": "x"}), fmt=log_format)
    put(home, pod("other", labels={"app": "y"}), fmt=log_format)
    r = kjob("logs", "-l", "app=x")
    lines = [f"line {i}" for i in range(3, 13)]
    assert (r.exit_code, r.stdout, r.stderr) == (
        0,
        "\n".join([*lines, "b c"]) + "\n",
        'Defaulted container "c" out of: c, d\n',
    )
    assert kjob("logs", "-l", "app=x", "--tail=1", "--all-containers", "--prefix").stdout == (
        "[pod/a/c] line 12\n[pod/b/c] b c\n[pod/b/d] b d\n"
    )
    assert kjob("logs", "-l", "app=x", "--tail=-1").stdout.count("line") == 12
    r = kjob("logs", "-l", "app=nope")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", "No resources found in default namespace.\n")
    r = kjob("logs", "-l", "app=x", "-n", "other")
    assert r.stderr == "No resources found in other namespace.\n"


def test_all_containers_are_init_then_containers(kjob, home: Path, log_format: int) -> None:
    put(home, pod("p", ("a", "b"), ("i",)), fmt=log_format)
    r = kjob("logs", "p", "--all-containers", "--prefix")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "[pod/p/i] p i\n[pod/p/a] p a\n[pod/p/b] p b\n", "")
    r = kjob("logs", "p")
    assert (r.stdout, r.stderr) == ("p a\n", 'Defaulted container "a" out of: a, b, i (init)\n')
    assert kjob("logs", "p", "-c", "i").stdout == "p i\n"


def test_follow_limits_and_errors_of_several_streams(kjob, home: Path, log_format: int) -> None:
    put(home, pod("a", labels={"app": "x"}), fmt=log_format)
    put(home, pod("b", labels={"app": "x"}), fmt=log_format)
    r = kjob("logs", "-l", "app=x", "-f", "--max-log-requests=1")
    assert (r.exit_code, r.stderr) == (
        1,
        "error: you are attempting to follow 2 log streams, but maximum allowed concurrency is 1, "
        "use --max-log-requests to increase the limit\n",
    )
    r = kjob("logs", "-l", "app=x", "-f", "--prefix")
    assert (r.exit_code, sorted(r.stdout.splitlines())) == (0, ["[pod/a/c] a c", "[pod/b/c] b c"])


def test_ignore_errors_writes_them_in_the_output(kjob, home: Path, log_format: int) -> None:
    put(
        home,
        pod("a", labels={"app": "x"}, state={"waiting": {"reason": "ContainerCreating"}}),
        {"c": []},
        fmt=log_format,
    )
    put(home, pod("b", labels={"app": "x"}), fmt=log_format)
    r = kjob("logs", "-l", "app=x")
    assert (r.exit_code, r.stdout, r.stderr) == (
        1,
        "",
        'Error from server (BadRequest): container "c" in pod "a" is waiting to start: ContainerCreating\n',
    )
    for follow in ([], ["-f"]):
        r = kjob("logs", "-l", "app=x", "--ignore-errors", *follow)
        assert (r.exit_code, r.stdout, r.stderr) == (
            0,
            'error: container "c" in pod "a" is waiting to start: ContainerCreating\nb c\n',
            "",
        )


ERRORS = [
    (
        [],
        "error: expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\n"
        "POD or TYPE/NAME is a required argument for the logs command\n"
        "See 'kjob logs -h' for help and examples\n",
    ),
    (
        ["a", "b", "c"],
        "error: expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\n"
        "POD or TYPE/NAME is a required argument for the logs command\n"
        "See 'kjob logs -h' for help and examples\n",
    ),
    (
        ["p", "-l", "a=b"],
        "error: only a selector (-l) or a POD name is allowed\nSee 'kjob logs -h' for help and examples\n",
    ),
    (["nope"], 'error: error from server (NotFound): pods "nope" not found in namespace "default"\n'),
    (
        ["pod/nope", "-n", "ns"],
        'error: error from server (NotFound): pods "nope" not found in namespace "ns"\n',
    ),
    (
        ["job/nope"],
        'error: error from server (NotFound): jobs.batch "nope" not found in namespace "default"\n',
    ),
    (["deploy/x"], 'error: the server doesn\'t have a resource type "deploy"\n'),
    # Not-found comes before flag validation, as kubectl looks the object up first.
    (
        ["nope", "--tail=-2"],
        'error: error from server (NotFound): pods "nope" not found in namespace "default"\n',
    ),
    (["p", "--tail=-2"], "error: --tail must be greater than or equal to -1\n"),
    (
        ["p", "--since=1h", "--since-time=2024-01-01T00:00:00Z"],
        "error: at most one of `sinceTime` or `sinceSeconds` may be specified\n",
    ),
    (["p", "--since=-1s"], "error: --since must be greater than 0\n"),
    (["p", "--limit-bytes=-1"], "error: --limit-bytes must be greater than 0\n"),
    (
        ["p", "--all-containers", "-c", "a"],
        "error: --all-containers=true should not be specified with container name a\n",
    ),
    (
        ["p", "a", "--all-containers"],
        "error: --all-containers=true should not be specified with container name a\n",
    ),
    (["p", "a", "-c", "b"], "error: only one of -c or an inline [CONTAINER] arg is allowed\n"),
    (["p", "-c", "nope"], "error: container nope is not valid for pod p\n"),
    (["p", "nope"], "error: container nope is not valid for pod p\n"),
    (["p", "-p"], 'Error from server (BadRequest): previous terminated container "c" in pod "p" not found\n'),
    (["p", "--pod-running-timeout=0"], "error: --pod-running-timeout must be higher than zero\n"),
    (
        ["p", "--since-time=bad"],
        'error: parsing time "bad" as "2006-01-02T15:04:05Z07:00": cannot parse "bad" as "2006"\n',
    ),
    (
        ["p", "--since=x"],
        'Error: invalid argument "x" for "--since" flag: time: invalid duration "x"\n'
        "See 'kjob logs --help' for usage.\n",
    ),
    (
        ["p", "--tail=abc"],
        'Error: invalid argument "abc" for "--tail" flag: strconv.ParseInt: parsing "abc": invalid syntax\n'
        "See 'kjob logs --help' for usage.\n",
    ),
    (
        ["p", "--max-log-requests=x"],
        'Error: invalid argument "x" for "--max-log-requests" flag: strconv.ParseInt: parsing "x": invalid syntax\n'
        "See 'kjob logs --help' for usage.\n",
    ),
    (
        ["p", "--follow=maybe"],
        'Error: invalid argument "maybe" for "-f, --follow" flag: strconv.ParseBool: parsing "maybe": invalid syntax\n'
        "See 'kjob logs --help' for usage.\n",
    ),
]


@pytest.mark.parametrize(("args", "stderr"), ERRORS, ids=[" ".join(a) or "no-args" for a, _ in ERRORS])
def test_logs_error_texts(kjob, home: Path, args: list[str], stderr: str) -> None:
    put(home, pod("p"))
    r = kjob("logs", *args)
    assert (r.exit_code, r.stdout, r.stderr) == (1, "", stderr)


def test_errors_after_the_defaulted_note(kjob, home: Path) -> None:
    put(home, pod("w", ("a", "b"), state={"waiting": {"reason": "PodInitializing"}}), {"a": [], "b": []})
    put(home, pod("u", ("a", "b"), node="", state={"waiting": {"reason": "Pending"}}), {"a": [], "b": []})
    r = kjob("logs", "w")
    assert (r.exit_code, r.stderr) == (
        1,
        'Defaulted container "a" out of: a, b\n'
        'Error from server (BadRequest): container "a" in pod "w" is waiting to start: PodInitializing\n',
    )
    r = kjob("logs", "u")
    assert (
        r.stderr
        == 'Defaulted container "a" out of: a, b\nError from server (BadRequest): pod u does not have a host assigned\n'
    )


def test_logs_of_a_job_without_pods_times_out(kjob, home: Path) -> None:
    put_job(home, "empty")
    started = time.monotonic()
    r = kjob("logs", "job/empty", "--pod-running-timeout=300ms")
    assert (r.exit_code, r.stderr) == (1, "error: timed out waiting for the condition\n")
    assert time.monotonic() - started < 5


def test_logs_as_a_process_send_the_file(kjob_proc, home: Path) -> None:
    """Through a real stdout (a pipe): the sendfile path, with every option that keeps it."""
    put(home, pod("p"), {"c": [CRI]}, fmt=2)
    assert kjob_proc("logs", "p").stdout == "one\nerr one\npartial\n\nlast\n"
    assert kjob_proc("logs", "p", "--tail=2").stdout == "\nlast\n"
    assert kjob_proc("logs", "p", "--limit-bytes=5").stdout == "one\ne"
    assert kjob_proc("logs", "p", "-f").stdout == "one\nerr one\npartial\n\nlast\n"
    assert kjob_proc("logs", "p", "--timestamps", "--tail=1").stdout == f"{T2} last\n"
    put(
        home,
        pod("a", labels={"app": "x"}, state={"waiting": {"reason": "ContainerCreating"}}),
        {"c": []},
        fmt=2,
    )
    put(home, pod("b", labels={"app": "x"}), fmt=2)
    r = kjob_proc("logs", "-l", "app=x", "--ignore-errors")
    assert (r.exit_code, r.stdout) == (
        0,
        'error: container "c" in pod "a" is waiting to start: ContainerCreating\nb c\n',
    )


def test_logs_appended_to_a_file(home: Path, tmp_path: Path) -> None:
    """sendfile(2) refuses an O_APPEND output (`kjob logs p >> file`): the log is written instead."""
    put(home, pod("p"), {"c": [CRI]}, fmt=2)
    target = tmp_path / "out"
    target.write_bytes(b"earlier\n")
    env = {**os.environ, "KJOB_HOME": str(home), "PYTHONPATH": str(ROOT)}
    with open(target, "ab") as out:
        r = subprocess.run([sys.executable, "-m", "kjob", "logs", "p"], stdout=out, env=env, check=False)
    assert r.returncode == 0
    assert target.read_bytes() == b"earlier\none\nerr one\npartial\n\nlast\n"


def test_logs_into_a_closed_pipe_end_quietly(home: Path) -> None:
    """`kjob logs p | head`: the reader leaves early, and kjob ends with no error."""
    put(home, pod("p"), {"c": [b"".join([f"{T0} stdout F {'x' * 1000}\n".encode()] * 5000)]}, fmt=2)
    env = {**os.environ, "KJOB_HOME": str(home), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kjob", "logs", "p"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(10) == b"x" * 10
    proc.stdout.close()
    assert (proc.wait(timeout=30), proc.stderr.read()) == (0, b"")


# ---------------------------------------------------------------- with the real worker


def test_follow_streams_until_the_container_ends(kjob_proc, home: Path) -> None:
    script = "for i in 1 2 3 4 5; do echo tick $i; sleep 0.3; done; echo done >&2"
    assert kjob_proc("create", "-f", "-", input=job_manifest("ticker", script)).exit_code == 0
    wait_until(lambda: "Running" in kjob_proc("get", "pods").stdout)
    r = kjob_proc("logs", "-f", "job/ticker", "--prefix", timeout=30)
    name = json.loads(kjob_proc("get", "pods", "-o", "json").stdout)["items"][0]["metadata"]["name"]
    p = f"[pod/{name}/c] "
    assert (r.exit_code, r.stderr) == (0, "")
    assert r.stdout == "".join(f"{p}tick {i}\n" for i in range(1, 6)) + f"{p}done\n"


def _running_gated_pod(
    home: Path, before: str, after: str
) -> tuple[list[str], dict[str, str], dict[str, Any]]:
    """A job whose container runs `before`, waits for the file `home.parent / "gate"`, then runs
    `after`; once its pod runs: kjob's command line, its environment, and the pod. (Real processes,
    not the in-process runner: `logs -f` is followed as a user runs it.)"""
    gate = home.parent / "gate"
    script = f"{before} while [ ! -e {gate} ]; do sleep 0.05; done; {after}"
    env = {"KJOB_HOME": str(home), "PYTHONPATH": str(ROOT)}
    run = [sys.executable, "-m", "kjob"]
    subprocess.run(
        [*run, "create", "-f", "-"], input=job_manifest("gated", script), text=True, env=env, check=True
    )
    wait_until(
        lambda: (
            "Running" in subprocess.run([*run, "get", "pods"], capture_output=True, text=True, env=env).stdout
        )
    )
    pods = json.loads(
        subprocess.run([*run, "get", "pods", "-o", "json"], capture_output=True, env=env).stdout
    )
    return run, env, pods["items"][0]


def test_follow_shows_lines_as_they_are_written(home: Path) -> None:
    """A line appears while the container still runs (it waits for a file the test writes afterwards)."""
    gate = home.parent / "gate"
    run, env, pod = _running_gated_pod(home, "echo first;", "echo second")
    name = pod["metadata"]["name"]
    proc = subprocess.Popen([*run, "logs", "-f", name], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "first\n"
        assert proc.poll() is None
        gate.touch()
        assert proc.stdout.readline() == "second\n"
        assert proc.wait(timeout=20) == 0
    finally:
        proc.kill()
        proc.wait()


def test_follow_a_run_that_has_written_nothing_yet(home: Path) -> None:
    """A run's log is made with its first output: a follower waits for the file to appear and reads
    all of it, and the run that wrote nothing is not taken for one still waiting to start."""
    gate = home.parent / "gate"
    run, env, pod = _running_gated_pod(home, "", "echo late; echo later >&2")
    name, run_dir = pod["metadata"]["name"], home / "run" / pod["metadata"]["uid"]
    assert not (run_dir / "c.0.log").exists() and (run_dir / "c.0.run").exists()
    before = subprocess.run([*run, "logs", name], capture_output=True, text=True, env=env)
    assert (before.returncode, before.stdout, before.stderr) == (0, "", "")
    proc = subprocess.Popen([*run, "logs", "-f", name], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        time.sleep(0.3)
        assert proc.poll() is None
        gate.touch()
        assert proc.stdout.readline() == "late\n"
        assert proc.stdout.readline() == "later\n"
        assert proc.wait(timeout=20) == 0
    finally:
        proc.kill()
        proc.wait()


def test_logs_of_a_container_that_wrote_nothing(kjob_proc, home: Path) -> None:
    assert kjob_proc("create", "-f", "-", input=job_manifest("silent", "true")).exit_code == 0
    assert kjob_proc("wait", "--for=condition=complete", "job/silent", "--timeout=30s").exit_code == 0
    pod = json.loads(kjob_proc("get", "pods", "-o", "json").stdout)["items"][0]
    # No file for a log it never wrote: its record and its working directory only.
    run_dir = home / "run" / pod["metadata"]["uid"]
    assert sorted(p.name for p in run_dir.iterdir()) == ["c.0.run", "fs"]
    for args in ([], ["-f"], ["--timestamps"], ["--tail=1"]):
        r = kjob_proc("logs", pod["metadata"]["name"], *args)
        assert (r.exit_code, r.stdout, r.stderr) == (0, "", ""), args


def test_logs_on_the_real_worker(kjob_proc, home: Path) -> None:
    pod_spec = """\
apiVersion: batch/v1
kind: Job
metadata:
  name: two
spec:
  completions: 2
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      initContainers:
      - {name: setup, image: busybox, command: ["sh", "-c", "echo setting up"]}
      containers:
      - {name: main, image: busybox, command: ["sh", "-c", "echo main of $HOSTNAME"]}
      - {name: side, image: busybox, command: ["sh", "-c", "echo side >&2"]}
"""
    assert kjob_proc("create", "-f", "-", input=pod_spec).exit_code == 0
    assert kjob_proc("wait", "--for=condition=complete", "job/two", "--timeout=30s").exit_code == 0
    names = sorted(
        p["metadata"]["name"] for p in json.loads(kjob_proc("get", "pods", "-o", "json").stdout)["items"]
    )
    r = kjob_proc("logs", "job/two")
    assert r.exit_code == 0
    chosen = r.stderr.splitlines()[0].removeprefix("Found 2 pods, using pod/")
    assert chosen in names
    assert r.stderr.splitlines()[1:] == ['Defaulted container "main" out of: main, side, setup (init)']
    assert r.stdout == f"main of {chosen}\n"
    r = kjob_proc("logs", "-l", "job-name=two", "--all-containers", "--prefix")
    expected = "".join(
        f"[pod/{n}/setup] setting up\n[pod/{n}/main] main of {n}\n[pod/{n}/side] side\n" for n in names
    )
    assert (r.exit_code, r.stdout, r.stderr) == (0, expected, "")
    r = kjob_proc("logs", names[0], "-c", "side", "--timestamps")
    assert r.stdout.endswith("Z side\n") and len(r.stdout.split(" ")[0]) == 30


def test_logs_of_a_waiting_container(kjob_proc, home: Path) -> None:
    manifest = job_manifest("slow", "true").replace(
        "      containers:",
        "      initContainers:\n      - {name: wait, image: busybox, command: [sleep, '30']}\n      containers:",
    )
    assert kjob_proc("create", "-f", "-", input=manifest).exit_code == 0
    wait_until(lambda: "Init:0/1" in kjob_proc("get", "pods").stdout)
    name = json.loads(kjob_proc("get", "pods", "-o", "json").stdout)["items"][0]["metadata"]["name"]
    r = kjob_proc("logs", name, "-f")
    assert (r.exit_code, r.stdout, r.stderr) == (
        1,
        "",
        f'Defaulted container "c" out of: c, wait (init)\n'
        f'Error from server (BadRequest): container "c" in pod "{name}" is waiting to start: PodInitializing\n',
    )
    kjob_proc("delete", "jobs", "slow")
