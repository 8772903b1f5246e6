"""kjob get: every flag of issue 4 item 1 against real kubectl v1.32's output for the same objects.

The goldens in golden/get/cases.json hold what kubectl v1.32.4 printed (stdout, stderr, exit code) for
each command below, run against a stand-in API server serving build_objects(T0) (T0 in the file) with
TZ=UTC. The stand-in was /work/shared/tools/fakeapi.py extended to answer `as=Table` requests with the
server-side cells computed by kjob.printers, and to list pods and jobs in the `all` category; so for the
default tables kubectl's own code decided everything around the cells (widths, separators, kind
prefixes, NAMESPACE/-L/LABELS columns, --sort-by, errors, "No resources found"), while the cells are
also held against kubectl-output.md by tests/test_printers.py. Every time stamp is a whole number of
seconds before T0 and far enough from a HumanDuration boundary that the ages kubectl computed
seconds after T0 are those kjob computes at T0. "kubectl" in messages reads "kjob", and describe's
`Pods Statuses:` line is rewritten to the walkthrough's legacy wording (printers.PODS_STATUSES_LEGACY).

The live tests at the end run the installed kubectl against /work/shared/tools/fakeapi.py (plain lists,
no tables) for every -o format and compare with kjob on the same objects; they skip without kubectl.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kjob.objects import format_time
from kjob.store import STORE_FORMAT, Store, atomic_write
from tests.conftest import modules_loaded_by, wait_until

GOLDEN = Path(__file__).parent / "golden" / "get" / "cases.json"
FAKEAPI = Path("/work/shared/tools/fakeapi.py")
ROOT = Path(__file__).resolve().parent.parent
Obj = dict[str, Any]
DAY = 86400


def build_objects(t0: float) -> list[Obj]:
    def t(before: float) -> str:
        return format_time(t0 - before)

    def job(
        name: str,
        ns: str,
        n: int,
        labels: dict[str, str],
        created: float,
        start: float,
        end: float | None,
        succeeded: int,
        failed: int,
        completions: int,
        cond: str,
        cpu: str,
        annotations: dict[str, str] | None = None,
    ) -> Obj:
        uid = f"{n:08d}-aaaa-4bbb-8ccc-000000000000"
        status: Obj = {
            "startTime": t(start),
            "conditions": [
                {
                    "type": cond,
                    "status": "True",
                    "lastProbeTime": t(end or start - 60),
                    "lastTransitionTime": t(end or start - 60),
                }
            ],
        }
        if succeeded:
            status["succeeded"] = succeeded
        if failed:
            status["failed"] = failed
        if end is not None:
            status["completionTime"] = t(end)
        meta: Obj = {
            "name": name,
            "namespace": ns,
            "uid": uid,
            "resourceVersion": str(100 + n),
            "generation": 1,
            "creationTimestamp": t(created),
            "labels": {"batch.kubernetes.io/job-name": name, **labels},
        }
        if annotations:
            meta["annotations"] = annotations
        return {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": meta,
            "spec": {
                "backoffLimit": 2,
                "completions": completions,
                "parallelism": 1,
                "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}},
                "template": {
                    "metadata": {"creationTimestamp": None, "labels": {"batch.kubernetes.io/job-name": name}},
                    "spec": {
                        "containers": [
                            {
                                "name": "main",
                                "image": "busybox:1.36",
                                "command": ["sh", "-c", "echo a<b && echo done"],
                                "resources": {"requests": {"cpu": cpu}},
                            }
                        ],
                        "restartPolicy": "Never",
                    },
                },
            },
            "status": status,
        }

    def pod(
        name: str,
        ns: str,
        n: int,
        job_name: str,
        job_n: int,
        created: float,
        phase: str,
        code: int,
        cpu: str,
        labels: dict[str, str] | None = None,
    ) -> Obj:
        job_uid = f"{job_n:08d}-aaaa-4bbb-8ccc-000000000000"
        reason = "Completed" if code == 0 else "Error"
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": name,
                "namespace": ns,
                "uid": f"{n:08d}-dddd-4eee-8fff-000000000000",
                "resourceVersion": str(200 + n),
                "creationTimestamp": t(created),
                "generateName": job_name + "-",
                "labels": {"batch.kubernetes.io/job-name": job_name, **(labels or {})},
                "ownerReferences": [
                    {
                        "apiVersion": "batch/v1",
                        "kind": "Job",
                        "name": job_name,
                        "uid": job_uid,
                        "controller": True,
                        "blockOwnerDeletion": True,
                    }
                ],
            },
            "spec": {
                "containers": [
                    {
                        "name": "main",
                        "image": "busybox:1.36",
                        "command": ["sh", "-c", "true"],
                        "resources": {"requests": {"cpu": cpu}},
                    }
                ],
                "restartPolicy": "Never",
                "nodeName": "kjob",
            },
            "status": {
                "phase": phase,
                "podIP": f"10.0.0.{n}",
                "podIPs": [{"ip": f"10.0.0.{n}"}],
                "startTime": t(created - 1),
                "containerStatuses": [
                    {
                        "name": "main",
                        "image": "busybox:1.36",
                        "ready": False,
                        "restartCount": 0,
                        "started": False,
                        "state": {
                            "terminated": {
                                "exitCode": code,
                                "reason": reason,
                                "startedAt": t(created - 2),
                                "finishedAt": t(created - 30),
                            }
                        },
                    }
                ],
            },
        }

    return [
        job(
            "job-a",
            "default",
            1,
            {"app": "web", "tier": "back"},
            3 * DAY + 7300,
            3 * DAY + 7290,
            3 * DAY + 7200,
            1,
            0,
            1,
            "Complete",
            "500m",
        ),
        job(
            "job-b",
            "default",
            2,
            {"app": "db"},
            2 * DAY + 3700,
            2 * DAY + 3690,
            None,
            0,
            3,
            1,
            "Failed",
            "2",
            {"note": "x&y"},
        ),
        job(
            "job-c10",
            "default",
            3,
            {"app": "web", "tier": "front", "a-b": "1"},
            5 * DAY + 100,
            5 * DAY + 90,
            5 * DAY - 1000,
            3,
            0,
            3,
            "Complete",
            "1",
        ),
        job(
            "job-c9",
            "default",
            4,
            {},
            4 * DAY + 100,
            4 * DAY + 90,
            4 * DAY - 500,
            2,
            0,
            2,
            "Complete",
            "250m",
        ),
        job(
            "job-z",
            "other",
            5,
            {"app": "web"},
            6 * DAY + 100,
            6 * DAY + 90,
            6 * DAY - 60,
            1,
            0,
            1,
            "Complete",
            "100m",
        ),
        pod("job-a-x7k2p", "default", 1, "job-a", 1, 3 * DAY + 7280, "Succeeded", 0, "500m", {"app": "web"}),
        pod("job-b-q9w8e", "default", 2, "job-b", 2, 2 * DAY + 3680, "Failed", 1, "2", {"app": "db"}),
        pod("job-c10-0-abcde", "default", 3, "job-c10", 3, 5 * DAY + 80, "Succeeded", 0, "1"),
        pod("job-z-fghjk", "other", 5, "job-z", 5, 6 * DAY + 80, "Succeeded", 0, "100m", {"app": "web"}),
    ]


def build_events(t0: float, objects: list[Obj]) -> list[Obj]:
    """One `Completed` event for job-a and job-c10, three days old."""
    events = []
    for o in objects:
        m = o["metadata"]
        if o["kind"] == "Job" and m["name"] in ("job-a", "job-c10"):
            events.append({
                "apiVersion": "v1", "kind": "Event", "metadata": {"name": m["name"] + ".1", "namespace": m["namespace"]},
                "involvedObject": {"apiVersion": "batch/v1", "kind": "Job", "name": m["name"],
                                   "namespace": m["namespace"], "uid": m["uid"]},
                "reason": "Completed", "message": "Job completed", "type": "Normal",
                "source": {"component": "job-controller"}, "count": 1,
                "firstTimestamp": format_time(t0 - 3 * DAY), "lastTimestamp": format_time(t0 - 3 * DAY),
            })  # fmt: skip
    return events


def world(t0: float) -> list[Obj]:
    objects = build_objects(t0)
    return objects + build_events(t0, objects)


def seed(home: Path, objects: list[Obj]) -> None:
    """Write objects straight into a state directory, as the worker would have left them."""
    store = Store(home)
    store.ensure()
    kinds = {"Job": "jobs", "Pod": "pods", "Event": "events"}
    for o in objects:
        m = o["metadata"]
        path = store.path(kinds[o["kind"]], m["namespace"], m["name"])
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, json.dumps({"format": STORE_FORMAT, "object": o}).encode())


A_YAML = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: job-a\n"
CC_FILE = "NAME  DONE\n.metadata.name  {.status.succeeded}\n"
JP_FILE = '{range .items[*]}{.metadata.name}{"\\n"}{end}'


def files(directory: Path) -> dict[str, str]:
    paths = {"a_yaml": "a.yaml", "cc_file": "cc.txt", "jp_file": "jp.txt"}
    for key, text in (("a_yaml", A_YAML), ("cc_file", CC_FILE), ("jp_file", JP_FILE)):
        (directory / paths[key]).write_text(text)
    return {k: str(directory / v) for k, v in paths.items()}


def argv(case: str, paths: dict[str, str]) -> list[str]:
    return [a.format(**paths) if "{" + "a_yaml" in a or "_file}" in a else a for a in case.split(" ")]


TABLE_CASES = [
    "get jobs",
    "get jobs -o wide",
    "get jobs,pods",
    "get all",
    "get job/job-a pod/job-b-q9w8e job/job-c9",
    "get jobs,pods -A",
    "get jobs,pods --no-headers",
    "get jobs -L app -L tier,a-b --show-labels",
    "get pods -A -L app,tier -o wide",
    "get jobs --show-kind",
    "get jobs --sort-by=.spec.nothere",
    "get jobs,pods --sort-by=.spec.nothere",
    "get jobs --sort-by=.spec.template.spec.containers[0].resources.requests.cpu",
    "get jobs,pods --sort-by=.metadata.creationTimestamp",
    "get jobs job-c9 job-a --sort-by=.metadata.name",
    "get jobs job-a nope",
    "get jobs,pods job-a",
    "get jobs -n nons",
    "get jobs,pods -n other",
    "get jobs -l app=nope",
    "get jobs -A -l app=nope",
    "get jobs nope --ignore-not-found",
    "get -f {a_yaml}",
    "get jobs --sort-by={.metadata.name",
    "describe jobs job-a",
    "describe jobs job-a job-c10",
    "describe jobs job-c",
    "describe jobs job-c nope",
    "describe job/job-a job/nope",
    "describe pods -A",
    "describe jobs -l app=web --show-events=false",
    "describe jobs -l app=nope",
    "describe jobs -A -l app=nope",
    "describe pods job-",
    "describe job/job-a",
    "describe jobs -A job-a",
]
GENERIC_CASES = [
    "get jobs -o json",
    "get jobs -o yaml",
    "get job job-a -o yaml",
    "get job/job-a -o json",
    "get jobs,pods -o yaml",
    "get all -o name",
    "get jobs nope -o json",
    "get jobs job-a nope -o name",
    "get jobs nope job-a --ignore-not-found -o name",
    "get jobs -l app=nope -o json --ignore-not-found",
    "get jobs -l app=nope -o json",
    "get jobs -l app=web job-a",
    "get jobs -A job-a",
    "get jobs --show-labels -o json",
    "get jobs -o bogus",
    "get jobs -o jsonpath",
    "get jobs -o custom-columns",
    "get jobs -o custom-columns=NAME",
    "get jobs -o jsonpath-file=/nonexistent",
    "get jobs -o custom-columns-file=/nonexistent",
    "get jobs --output-watch-events",
    "get foo",
    "get jobs,foo",
    "get jobs job-a pod/x",
    "get job/job-a jobs",
    "get job/ -o name",
    "get jobs, -o name",
    "get jobs,jobs -o name",
    "get jobs -o jsonpath={.metadata}",
    "get jobs -o jsonpath={.items[*].metadata.name}",
    "get jobs -o jsonpath-as-json={.items[*].metadata.name}",
    "get jobs -o jsonpath={.items[*].spec.nothere} --allow-missing-template-keys=false",
    'get jobs -o jsonpath={range.items[*]}{.metadata.name}{"\\t"}{.status.succeeded}{"\\n"}{end}',
    "get pods -A -o name",
    "get jobs job-a -o name --show-kind",
    "get jobs -o name --sort-by=.metadata.labels.app",
    "get jobs -o name --sort-by=.status.succeeded",
    "get jobs -o name --sort-by=.status.failed",
    "get jobs -o name --sort-by=.spec.manualSelector",
    "get jobs -o name --sort-by={.metadata.name",
    "get jobs,pods -o name --sort-by=.metadata.creationTimestamp",
    "get pods,jobs -A --sort-by=.metadata.name -o name",
    "get jobs -o name --sort-by=.spec.template.spec.containers[0].resources.requests.cpu",
    "get jobs -o custom-columns=N:.metadata.name,L:.metadata.labels,C:.spec.template.spec.containers[*].name,X:.nope",
    "get jobs,pods -o custom-columns=N:.metadata.name,K:kind --sort-by=.metadata.name",
    "get jobs -l app=nope -o custom-columns=N:.metadata.name",
    "get jobs -o custom-columns=N:.metadata.name --no-headers",
    "get jobs -o custom-columns-file={cc_file}",
    "get jobs -o jsonpath-file={jp_file}",
    "get -f {a_yaml} -o json",
    "get -f {a_yaml} jobs",
    "get -f /nonexistent.yaml",
    "get job job-a -o jsonpath={.metadata.annotations}{.spec.template.spec.containers[0].command}",
    "get job job-b -o json",
]


# ---------------------------------------------------------------- against kubectl's recorded output


def _golden() -> dict[str, Any]:
    return json.loads(GOLDEN.read_text())


def as_kjob(text: str, legacy: bool = True) -> str:
    """kubectl's text as kjob words it: its own name in messages, and the walkthrough's Pods Statuses."""
    text = text.replace("kubectl", "kjob")
    from kjob import printers

    if legacy and printers.PODS_STATUSES_LEGACY:
        text = re.sub(r"Pods Statuses:(\s+)(\d+) Active / ", r"Pods Statuses:\1\2 Running / ", text)
    return text


@pytest.fixture
def fixed_world(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The golden's objects in the store, its clock, UTC, and the manifest files the cases name."""
    t0 = _golden()["t0"]
    seed(home, world(t0))
    monkeypatch.setattr("kjob.cli.get.now", lambda: t0 + 0.5)
    monkeypatch.setattr("kjob.cli.describe.now", lambda: t0 + 0.5)
    monkeypatch.setattr("kjob.objects.now", lambda: t0 + 0.5)  # the events' expiry runs on it too
    # Its events are three days old, which the goldens show: as a cluster with a longer --event-ttl.
    monkeypatch.setattr("kjob.store.EVENT_TTL", 4 * DAY)
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield files(tmp_path)
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize("case", [c for c in TABLE_CASES + GENERIC_CASES if c.startswith("get")])
def test_get_matches_kubectl(kjob, fixed_world: dict[str, str], case: str) -> None:
    expected = _golden()["cases"][case]
    r = kjob(*argv(case, fixed_world))
    assert (r.stdout, r.stderr, r.exit_code) == (
        as_kjob(expected["stdout"]),
        as_kjob(expected["stderr"]),
        expected["code"],
    )


# ---------------------------------------------------------------- live kubectl (skipped without it)


@pytest.fixture(scope="module")
def stand_in(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, float]]:
    """The shared stand-in API server with build_objects(now) and a kubeconfig for it."""
    if shutil.which("kubectl") is None or not FAKEAPI.exists():
        pytest.skip("kubectl or the stand-in API server is not installed")
    d = tmp_path_factory.mktemp("stand-in")
    t0 = float(int(time.time()))
    (d / "objs.json").write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": world(t0)}))
    srv = subprocess.Popen([sys.executable, str(FAKEAPI), str(d / "objs.json"), str(d / "port")])
    try:
        deadline = time.time() + 10
        while not ((d / "port").exists() and (d / "port").read_text()) and time.time() < deadline:
            time.sleep(0.05)
        port = (d / "port").read_text()
        (d / "kubeconfig").write_text(
            "apiVersion: v1\nkind: Config\n"
            f"clusters:\n- cluster: {{server: 'http://127.0.0.1:{port}'}}\n  name: s\n"
            "contexts:\n- context: {cluster: s, namespace: default, user: u}\n  name: s\n"
            "current-context: s\nusers:\n- name: u\n  user: {}\n"
        )
        yield d, t0
    finally:
        srv.kill()
        srv.wait()


# The stand-in serves plain lists (no server-side tables, no `all` category), so only the -o formats and
# the errors kubectl finds on its own are compared live.
LIVE_CASES = [c for c in GENERIC_CASES if " all " not in c]


@pytest.mark.parametrize("case", LIVE_CASES)
def test_get_formats_match_live_kubectl(
    kjob, home: Path, stand_in: tuple[Path, float], tmp_path: Path, case: str
) -> None:
    d, t0 = stand_in
    seed(home, world(t0))
    paths = files(tmp_path)
    ref = subprocess.run(
        ["kubectl", *argv(case, paths)],
        capture_output=True,
        text=True,
        env={**os.environ, "KUBECONFIG": str(d / "kubeconfig")},
    )
    r = kjob(*argv(case, paths))
    assert (r.stdout, r.stderr, r.exit_code) == (as_kjob(ref.stdout), as_kjob(ref.stderr), ref.returncode)


# ---------------------------------------------------------------- watch, on the real worker


def _kjob_process(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    """kjob as a running process (a watch), its output read once it is interrupted."""
    return subprocess.Popen(
        [sys.executable, "-m", "kjob", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_get_watch_prints_a_row_per_change_and_exits_1_on_ctrl_c(home: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "w.yaml"
    manifest.write_text(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: w\nspec:\n  template:\n    spec:\n"
        "      containers:\n      - name: c\n        image: busybox\n        command: [sh, -c, 'sleep 0.3']\n"
        "      restartPolicy: Never\n"
    )
    env = {**os.environ, "KJOB_HOME": str(home), "PYTHONPATH": str(ROOT)}
    watch = _kjob_process(env, "get", "jobs", "-w", "--output-watch-events")
    try:
        time.sleep(0.5)
        subprocess.run([sys.executable, "-m", "kjob", "create", "-f", str(manifest)], env=env, check=True)
        deadline = time.time() + 20
        while time.time() < deadline:
            job = Store(home).get("jobs", "default", "w")
            if job and any(
                c.get("type") == "Complete" for c in (job.get("status") or {}).get("conditions") or []
            ):
                break
            time.sleep(0.1)
        # The worker's last pass before it exits wakes no watcher, so the watch's slow re-list (2s) shows it.
        time.sleep(2.5)
    finally:
        watch.send_signal(signal.SIGINT)
        stdout, stderr = watch.communicate(timeout=10)
    assert watch.returncode == 1
    assert stderr == ""
    lines = stdout.splitlines()
    assert lines[0].split() == ["EVENT", "NAME", "COMPLETIONS", "DURATION", "AGE"]
    assert lines[1].startswith("ADDED      w      0/1")
    assert all(line.startswith("MODIFIED   w ") for line in lines[2:])
    assert lines[-1].split()[2] == "1/1"


def test_get_watch_only_prints_nothing_until_a_change(kjob_proc, home: Path) -> None:
    seed(home, world(time.time()))
    env = {**os.environ, "KJOB_HOME": str(home), "PYTHONPATH": str(ROOT)}
    watch = _kjob_process(env, "get", "jobs", "--watch-only", "-o", "name")
    time.sleep(3.0)  # the watch must have made its first listing (slow on a loaded machine)
    store = Store(home)
    with store.lock():
        store.delete("jobs", "default", "job-c9")
    time.sleep(3.0)  # no worker runs for finished jobs: the watch's slow re-list sees the deletion
    watch.send_signal(signal.SIGINT)
    stdout, stderr = watch.communicate(timeout=10)
    assert (stdout, stderr, watch.returncode) == ("job.batch/job-c9\n", "", 1)


def test_get_watch_refuses_several_types(kjob) -> None:
    r = kjob("get", "jobs,pods", "-w", "--sort-by=.metadata.name")
    assert r.stderr == (
        "warning: --watch requested, --sort-by will be ignored for watch events received\n"
        "error: you may only specify a single resource type\n"
    )
    assert r.exit_code == 1


def test_get_jobs_stays_light(tmp_path: Path) -> None:
    """`get jobs` with selectors still imports no YAML, manifest or jsonpath machinery it does not use."""
    seed(tmp_path, world(time.time()))
    loaded, _, stderr = modules_loaded_by(
        ["get", "jobs", "--show-labels", "-L", "app", "-A"],
        tmp_path,
        {"yaml", "kjob.manifest", "kjob.jsonpath", "kjob.selectors"},
    )
    assert loaded == [], stderr


def _worker_objects() -> list[tuple[Obj, bool]]:
    def job(name: str, spec: dict[str, Any], status: dict[str, Any], **meta: Any) -> Obj:
        return {"kind": "Job", "metadata": {"name": name, **meta}, "spec": spec, "status": status}

    def pod(name: str, phase: str, **meta: Any) -> Obj:
        return {"kind": "Pod", "metadata": {"name": name, **meta}, "status": {"phase": phase}}

    complete = {"conditions": [{"type": "Complete", "status": "True"}]}
    return [
        (job("running", {}, {}), True),
        (job("suspended", {"suspend": True}, {}), False),
        (job("suspended-active", {"suspend": True}, {"active": 1}), True),  # its pods must stop
        (job("complete", {}, complete), False),
        (job("complete-ttl", {"ttlSecondsAfterFinished": 5}, complete), True),  # the TTL to keep
        (job("deleting", {}, complete, deletionTimestamp="2024-01-01T00:00:00Z"), True),
        (pod("pending", "Pending"), True),
        (pod("succeeded", "Succeeded"), False),
        (pod("failed", "Failed"), False),
        (pod("succeeded-deleting", "Succeeded", deletionTimestamp="2024-01-01T00:00:00Z"), True),
        ({"kind": "Event", "metadata": {"name": "e"}}, False),
    ]


@pytest.mark.parametrize(
    ("obj", "expected"),
    _worker_objects(),
    ids=lambda o: f"{o['kind']}-{o['metadata']['name']}" if isinstance(o, dict) else "",
)
def test_a_read_asks_the_worker_exactly_when_there_is_work(obj: Obj, expected: bool) -> None:
    """Reading commands decide with objects.needs_worker, without importing kjob.worker."""
    from kjob import objects, worker

    assert objects.needs_worker(obj) is expected
    assert worker.has_work([obj]) is expected


def test_get_jobs_starts_the_worker_for_unfinished_work_among_finished(kjob, home: Path) -> None:
    from kjob import worker

    t0 = time.time()
    finished = [o for o in build_objects(t0) if o["kind"] == "Job" and o["metadata"]["name"] != "job-b"]
    for o in finished:
        o["status"]["conditions"] = [{"type": "Complete", "status": "True"}]
        o["spec"].pop("ttlSecondsAfterFinished", None)
        o["metadata"].pop("deletionTimestamp", None)
    seed(home, finished)
    store = Store(home)
    assert kjob("get", "jobs", "-A").exit_code == 0
    assert not worker.worker_alive(store)
    unfinished = json.loads(json.dumps(finished[-1]))
    unfinished["metadata"].update(name="zz-unfinished", uid="u-unfinished")
    unfinished["status"] = {}
    unfinished["spec"]["suspend"] = True
    unfinished["status"]["active"] = 1  # a suspended job whose pods must still be stopped
    seed(home, [unfinished])
    r = kjob("get", "jobs", "-A")
    assert r.exit_code == 0 and "zz-unfinished" in r.stdout
    wait_until(lambda: worker.worker_alive(store), timeout=10)


def test_get_events_lists_them_as_the_server_does_by_name_unless_sorted(kjob, home: Path) -> None:
    """kubectl sorts only with --sort-by: the server lists events by name (`<object>.<hex time>`), so
    each object's events come together, which is why people sort by .lastTimestamp."""
    t0 = float(int(time.time()))

    def event(obj: str, stamp: float) -> Obj:
        return {
            "apiVersion": "v1", "kind": "Event", "metadata": {"name": f"{obj}.{int(stamp):x}", "namespace": "default"},
            "involvedObject": {"apiVersion": "v1", "kind": "Pod", "name": obj, "namespace": "default"},
            "reason": "Started", "message": f"at {int(t0 - stamp)}", "type": "Normal",
            "source": {"component": "kubelet"}, "count": 1,
            "firstTimestamp": format_time(stamp), "lastTimestamp": format_time(stamp),
        }  # fmt: skip

    seed(home, [event("a", t0 - 10), event("b", t0 - 30), event("a", t0 - 5)])
    rows = kjob("get", "events").stdout.splitlines()[1:]
    assert [row.split()[-1] for row in rows] == ["10", "5", "30"]  # a's two, then b's
    rows = kjob("get", "events", "--sort-by=.lastTimestamp").stdout.splitlines()[1:]
    assert [row.split()[-1] for row in rows] == ["30", "10", "5"]


def test_get_events_wide_adds_the_servers_wide_columns(kjob, home: Path) -> None:
    t0 = float(int(time.time()))
    ev = {
        "apiVersion": "v1", "kind": "Event", "metadata": {"name": "p.1", "namespace": "default"},
        "involvedObject": {"apiVersion": "v1", "kind": "Pod", "name": "p", "namespace": "default",
                           "fieldPath": "spec.containers{c}"},
        "reason": "Started", "message": "Started container c", "type": "Normal",
        "source": {"component": "kubelet", "host": "node-1"}, "count": 3,
        "firstTimestamp": format_time(t0 - 120), "lastTimestamp": format_time(t0 - 5),
    }  # fmt: skip
    seed(home, [ev])
    header, row = kjob("get", "events", "-o", "wide").stdout.splitlines()
    assert header.split() == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "SUBOBJECT", "SOURCE", "MESSAGE", "FIRST",
                              "SEEN", "COUNT", "NAME"]  # fmt: skip
    assert re.split(r"\s{2,}", row) == [
        "5s", "Normal", "Started", "pod/p", "spec.containers{c}", "kubelet, node-1", "Started container c", "2m",
        "3", "p.1",
    ]  # fmt: skip


def test_describe_of_a_manifest_is_the_describe_of_what_it_names(kjob, home: Path, tmp_path: Path) -> None:
    seed(home, world(float(int(time.time()))))
    paths = files(tmp_path)
    by_file, by_name = kjob("describe", "-f", paths["a_yaml"]), kjob("describe", "jobs", "job-a")
    assert (by_file.exit_code, by_file.stdout) == (0, by_name.stdout) and by_file.stdout.startswith("Name:")
    (tmp_path / "gone.yaml").write_text("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: gone\n")
    r = kjob("describe", "-f", str(tmp_path / "gone.yaml"))
    assert (r.exit_code, r.stderr) == (1, 'Error from server (NotFound): jobs.batch "gone" not found\n')


@pytest.mark.parametrize(
    "args",
    [["get", "jobs", "--chunk-size=10", "--show-managed-fields"], ["describe", "jobs", "--chunk-size=0"]],
)
def test_kubectls_paging_and_managed_fields_flags_are_taken(kjob, home: Path, args: list[str]) -> None:
    """kjob reads its store at once and keeps no managedFields: the flags change nothing, but a command
    line written for kubectl works."""
    seed(home, world(float(int(time.time()))))
    plain = [a for a in args if not a.startswith("--")]
    assert kjob(*args).stdout == kjob(*plain).stdout != ""


@pytest.mark.parametrize("output", ["name", "json"])
def test_get_watch_events_print_as_kubectls_printers_do(home: Path, output: str) -> None:
    """With --output-watch-events the name printer unwraps each event (kind/name alone) and the JSON
    printer writes it as json.Marshal does: one line, its type first."""
    seed(home, world(time.time()))
    env = {**os.environ, "KJOB_HOME": str(home), "PYTHONPATH": str(ROOT)}
    watch = _kjob_process(env, "get", "jobs", "-w", "--output-watch-events", "-o", output)
    try:
        time.sleep(1.5)
    finally:
        watch.send_signal(signal.SIGINT)
        stdout, _ = watch.communicate(timeout=10)
    lines = stdout.splitlines()
    names = sorted(
        o["metadata"]["name"]
        for o in world(time.time())
        if o["kind"] == "Job" and o["metadata"]["namespace"] == "default"
    )
    if output == "name":
        assert lines == [f"job.batch/{n}" for n in names]
    else:
        events = [json.loads(line) for line in lines]
        assert [(list(e), e["type"], e["object"]["metadata"]["name"]) for e in events] == [
            (["type", "object"], "ADDED", n) for n in names
        ]


@pytest.mark.parametrize(
    "extra", [[], ["--output-watch-events"], ["-o", "custom-columns=N:.metadata.name,C:.kind"]]
)
def test_a_watch_prints_its_first_listing_as_one_table(kjob, home: Path, extra: list[str]) -> None:
    """kubectl prints the objects a watch starts with, then flushes its tab writer once: they share
    one table's widths (a name longer than those before it does not shift its own row alone)."""
    seed(home, world(float(int(time.time()))))
    env = {**os.environ, "KJOB_HOME": str(home), "PYTHONPATH": str(ROOT)}
    watch = _kjob_process(env, "get", "jobs", "-w", *extra)
    try:
        time.sleep(2.0)
    finally:
        watch.send_signal(signal.SIGINT)
        stdout, _ = watch.communicate(timeout=10)
    if not extra or extra[0] == "-o":
        assert stdout == kjob("get", "jobs", *extra).stdout  # nothing changes: the same table
    lines = stdout.splitlines()
    assert len(lines) > 3 and len({len(n) for n in re.findall(r"job-\w+", stdout)}) > 1
    starts = {tuple(m.start() for m in re.finditer(r"(?<=  )\S", line)) for line in lines}
    assert len(starts) == 1, stdout


@pytest.mark.parametrize(
    "resource", ["jobs", "job", "jobs.batch", "job.batch", "jobs.v1.batch", "job.v1.batch"]
)
def test_every_spelling_kubectl_takes_for_jobs_names_them(kjob, home: Path, resource: str) -> None:
    seed(home, world(float(int(time.time()))))
    assert kjob("get", f"{resource}/job-a", "-o", "name").stdout == "job.batch/job-a\n"


@pytest.mark.parametrize(("resource", "prefix"), [("pods.v1.", "pod/"), ("pod.v1.", "pod/")])
def test_the_core_groups_fully_qualified_spelling_names_pods(
    kjob, home: Path, resource: str, prefix: str
) -> None:
    """resource.version.group with the core group, which is "": `pods.v1.` (kubectl reads `pods.v1`,
    one dot, as the group v1 and refuses it)."""
    seed(home, world(float(int(time.time()))))
    names = kjob("get", resource, "-o", "name").stdout.split()
    assert names and all(n.startswith(prefix) for n in names)
    assert names == kjob("get", resource.partition(".")[0], "-o", "name").stdout.split()
    r = kjob("get", resource.rstrip("."))
    assert (r.exit_code, r.stderr) == (
        1,
        f'error: the server doesn\'t have a resource type "{resource.rstrip(".")}"\n',
    )
