"""The real detached worker, real processes: the walkthrough end to end, delete, a killed worker."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from kjob.objects import NAME_ALPHABET
from kjob.store import Store
from tests.conftest import ROOT, _pids_of, job_manifest, wait_until, write_manifest

pytestmark = pytest.mark.integration

COUNT_JOB = (ROOT / "configs" / "jobs" / "job.yaml").read_text().replace("sleep 3", "sleep 0.1")
POD_NAME = re.compile(rf"job-count-[{NAME_ALPHABET}]{{5}}")


def worker_pid(home: Path) -> int | None:
    try:
        pid = int((home / "worker.lock").read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except OSError:
        return None
    return pid


def cmdline(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")


def processes_with(marker: str) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                text = Path(f"/proc/{entry}/cmdline").read_bytes().decode(errors="replace")
                state = Path(f"/proc/{entry}/stat").read_text().split(") ")[1].split()[0]
            except OSError:
                continue
            if marker in text and state != "Z":
                out.append(int(entry))
    return out


def test_walkthrough_end_to_end(kjob_proc, tmp_path: Path, home: Path) -> None:
    manifest = write_manifest(tmp_path, COUNT_JOB)
    r = kjob_proc("create", "-f", str(manifest))
    assert (r.exit_code, r.stdout) == (0, "job.batch/job-count created\n")
    r = kjob_proc("wait", "--for=condition=complete", "job/job-count", "--timeout=60s")
    assert (r.exit_code, r.stdout) == (0, "job.batch/job-count condition met\n"), r.stderr

    r = kjob_proc("get", "jobs")
    lines = r.stdout.splitlines()
    assert lines[0] == "NAME        COMPLETIONS   DURATION   AGE"
    assert re.fullmatch(r"job-count   1/1           \d+s +\d+s", lines[1])

    r = kjob_proc("get", "pods")
    lines = r.stdout.splitlines()
    assert lines[0] == "NAME              READY   STATUS      RESTARTS   AGE"
    assert re.fullmatch(rf"({POD_NAME.pattern})   0/1     Completed   0          \d+s", lines[1])
    pod = re.match(POD_NAME, lines[1]).group(0)

    r = kjob_proc("describe", "jobs", "job-count")
    text = r.stdout
    uid = json.loads(kjob_proc("get", "job", "job-count", "-o", "json").stdout)["metadata"]["uid"]
    assert text.startswith(
        "Name:             job-count\n"
        "Namespace:        default\n"
        f"Selector:         batch.kubernetes.io/controller-uid={uid}\n"
        f"Labels:           batch.kubernetes.io/controller-uid={uid}\n"
        "                  batch.kubernetes.io/job-name=job-count\n"
        f"                  controller-uid={uid}\n"
        "                  job-name=job-count\n"
        "Annotations:      <none>\n"
        "Parallelism:      1\n"
        "Completions:      1\n"
        "Completion Mode:  NonIndexed\n"
        "Suspend:          false\n"
        "Backoff Limit:    6\n"
    )
    assert "Pods Statuses:    0 Running / 1 Succeeded / 0 Failed\n" in text
    assert re.search(r"\nStart Time:       \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}\n", text)
    assert re.search(r"\nCompleted At:     \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}\n", text)
    assert (
        "  Containers:\n"
        "   client:\n"
        "    Image:      melhiades/alpine-curl:latest\n"
        "    Port:       <none>\n"
        "    Host Port:  <none>\n"
        "    Command:\n"
        "      sh\n"
        "      -c\n"
        "      for i in 9 8 7 6 5 4 3 2 1; do echo $i; sleep 0.1; done\n"
        "    Environment:   <none>\n"
        "    Mounts:        <none>\n"
        "  Volumes:         <none>\n"
    ) in text
    assert re.search(rf"  Normal  SuccessfulCreate  \d+s +job-controller  Created pod: {pod}\n", text)
    assert re.search(r"  Normal  Completed +\d+s +job-controller  Job completed\n", text)

    r = kjob_proc("logs", pod)
    assert (r.exit_code, r.stdout, r.stderr) == (0, "".join(f"{i}\n" for i in range(9, 0, -1)), "")
    # The log lies beside the run's files, in the pod's run directory.
    uid = json.loads(kjob_proc("get", "pod", pod, "-o", "json").stdout)["metadata"]["uid"]
    assert (home / "run" / uid / "client.0.log").read_text() == r.stdout

    r = kjob_proc("delete", "jobs", "job-count")
    assert (r.exit_code, r.stdout) == (0, 'job.batch "job-count" deleted\n')
    assert kjob_proc("get", "jobs").stderr == "No resources found in default namespace.\n"
    wait_until(lambda: kjob_proc("get", "pods").stderr == "No resources found in default namespace.\n")
    wait_until(lambda: not (home / "run" / uid).exists())
    assert not (home / "logs").exists()


def test_worker_is_detached_single_and_named(kjob_proc, home: Path) -> None:
    kjob_proc("create", "-f", "-", input=job_manifest("a", "sleep 2"))
    pid = wait_until(lambda: worker_pid(home))
    assert isinstance(pid, int)
    args = cmdline(pid)
    assert "kjob.worker" in args and str(home) in args
    stat = Path(f"/proc/{pid}/stat").read_text().split(") ")[1].split()
    assert int(stat[3]) == pid  # session leader: its own session
    assert stat[4] == "0"  # no controlling terminal
    assert (home / "worker.log").exists()
    # More CLIs that want a worker must not start a second one.
    for _ in range(5):
        kjob_proc("create", "-f", "-", input=job_manifest(f"b{_}", "true"))
    found = [p for p in processes_with("kjob.worker") if str(home) in cmdline(p)]
    # The launcher and the shims carry the worker's command line too (forks of it); a shim takes
    # its own name a moment after its fork, so only the worker's name is counted.
    names = [Path(f"/proc/{p}/comm").read_text().strip() for p in found]
    assert names.count("kjob-worker") == 1


def test_worker_exits_when_no_work_is_left(kjob_proc, home: Path) -> None:
    kjob_proc("create", "-f", "-", input=job_manifest("quick", "true"))
    kjob_proc("wait", "--for=condition=complete", "job/quick", "--timeout=20s")
    wait_until(lambda: worker_pid(home) is None, timeout=10)


def processes_with_env(marker: str) -> list[int]:
    """Live processes whose environment carries the marker (children and daemons inherit it)."""
    out = []
    needle = f"KJOB_TEST_MARKER={marker}".encode()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                environ = Path(f"/proc/{entry}/environ").read_bytes()
                state = Path(f"/proc/{entry}/stat").read_text().split(") ")[1].split()[0]
            except OSError:
                continue
            if needle in environ.split(b"\0") and state != "Z":
                out.append(int(entry))
    return out


def test_delete_job_stops_every_process_of_it(kjob_proc, home: Path) -> None:
    marker = f"{os.getpid()}-{time.time_ns()}"
    script = (
        "sleep 300 & "  # a background child
        "(setsid sh -c 'sleep 301 &') ; "  # a double-forked daemon in its own session
        "sh -c \"trap '' TERM; sleep 302\" & "  # a grandchild that ignores SIGTERM
        "sleep 303"
    )
    text = job_manifest("tree", script).replace(
        "        image: busybox:1.36\n",
        f"        image: busybox:1.36\n        env:\n        - name: KJOB_TEST_MARKER\n          value: '{marker}'\n",
    )
    kjob_proc("create", "-f", "-", input=text)
    wait_until(lambda: len(processes_with_env(marker)) >= 5)
    r = kjob_proc("delete", "jobs", "tree")
    assert r.stdout == 'job.batch "tree" deleted\n'
    wait_until(lambda: not processes_with_env(marker), timeout=40)
    wait_until(lambda: kjob_proc("get", "pods").stderr == "No resources found in default namespace.\n")


def test_a_job_deleted_as_its_containers_start_leaves_none_running(kjob_proc, home: Path) -> None:
    """A pod deleted while a launcher is starting its run (asked, not yet answered) is removed only
    once that run can be stopped, and a run whose pod directory went before its launcher read the stop
    asked of it stops all the same. (Each let a container run on for no pod.) Another job keeps the
    worker up throughout: nothing here waits for it to exit."""
    import random

    marker = f"{os.getpid()}-{time.time_ns()}"
    kjob_proc("create", "-f", "-", input=job_manifest("keep", "sleep 120"))
    text = job_manifest("race", "sleep 300", completions=16, parallelism=16).replace(
        "        image: busybox:1.36\n",
        f"        image: busybox:1.36\n        env:\n        - name: KJOB_TEST_MARKER\n          value: '{marker}'\n",
    )
    env = {**os.environ, "KJOB_HOME": str(home), "PYTHONPATH": str(ROOT)}
    for _ in range(12):
        create = subprocess.Popen(
            [sys.executable, "-m", "kjob", "create", "-f", "-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            text=True,
        )
        assert create.stdin is not None
        create.stdin.write(text)
        create.stdin.close()
        # Both commands start up together, the delete landing around the pass that starts the pods.
        time.sleep(random.uniform(0.0, 0.03))
        kjob_proc("delete", "job", "race", "--wait=false")
        create.wait(timeout=30)
    kjob_proc("delete", "job", "race", "--ignore-not-found")
    wait_until(lambda: not processes_with_env(marker), timeout=20)
    wait_until(lambda: not [d for d in os.listdir(home / "run") if d not in _run_dirs_of(kjob_proc)])
    kjob_proc("delete", "job", "keep")


def _run_dirs_of(kjob_proc) -> set[str]:  # type: ignore[no-untyped-def]
    pods = json.loads(kjob_proc("get", "pods", "-o", "json").stdout)["items"]
    return {p["metadata"]["uid"] for p in pods}


@pytest.mark.parametrize("command", [["wait", "--for=condition=complete", "job/w", "--timeout=30s"], ["run"]])
def test_a_command_waiting_on_a_worker_that_dies_starts_it_again(
    kjob_proc, home: Path, tmp_path: Path, command: list[str]
) -> None:
    """Any command starts a worker that died with work left as it starts; one that waits on the worker
    looks for that too while it waits (a `wait` timed out with the job at 1/3, a `run` hung)."""
    text = job_manifest("w", "sleep 1", completions=3)
    if command == ["run"]:
        path = tmp_path / "w.yaml"
        path.write_text(text)
        command = ["run", "-f", str(path)]
    else:
        kjob_proc("create", "-f", "-", input=text)

    def kill_the_worker() -> None:
        pid = wait_until(lambda: worker_pid(home))
        time.sleep(1.3)  # the first pod running
        os.kill(int(pid), signal.SIGKILL)  # type: ignore[call-overload]

    import threading

    killer = threading.Thread(target=kill_the_worker)
    killer.start()
    r = kjob_proc(*command, timeout=40)
    killer.join()
    assert r.exit_code == 0, r.stderr
    job = json.loads(kjob_proc("get", "job", "w", "-o", "json").stdout)
    assert job["status"]["succeeded"] == 3
    assert (home / "worker.log").read_text().count(" started for ") >= 2  # a second worker


def test_a_resumed_job_starts_its_pods_while_the_suspended_ones_still_terminate(
    kjob_proc, home: Path
) -> None:
    """Pods the controller deleted for a suspend are no failures: resumed, the job starts new pods at
    once, not after its back-off (10 s x 2^2 for three), nor once the old ones are gone."""
    text = job_manifest("sr", "trap '' TERM; sleep 20", completions=10, parallelism=3).replace(
        "      restartPolicy: Never\n", "      restartPolicy: Never\n      terminationGracePeriodSeconds: 8\n"
    )
    kjob_proc("create", "-f", "-", input=text)

    def running() -> list[str]:
        pods = json.loads(kjob_proc("get", "pods", "-o", "json").stdout)["items"]
        return [
            p["metadata"]["name"]
            for p in pods
            if p["status"].get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")
        ]

    first = set(wait_until(lambda: len(running()) == 3 and running()))  # type: ignore[arg-type]
    assert kjob_proc("patch", "job", "sr", "-p", '{"spec":{"suspend":true}}').exit_code == 0
    wait_until(lambda: not running())
    resumed = time.monotonic()
    assert kjob_proc("patch", "job", "sr", "-p", '{"spec":{"suspend":false}}').exit_code == 0
    wait_until(lambda: len(running()) == 3, timeout=6)
    assert time.monotonic() - resumed < 6  # the suspended pods, ignoring SIGTERM, go at 8 s
    assert not first & set(running())
    kjob_proc("delete", "job", "sr", "--grace-period=0", "--force")


def test_container_outlives_a_killed_worker(kjob_proc, home: Path) -> None:
    kjob_proc("create", "-f", "-", input=job_manifest("survivor", "sleep 1.5; echo done; exit 0"))
    wait_until(lambda: "Running" in kjob_proc("get", "pods").stdout)
    pid = worker_pid(home)
    assert pid
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: worker_pid(home) is None)
    # The container keeps running; the next command finds unfinished work and starts a worker.
    r = kjob_proc("wait", "--for=condition=complete", "job/survivor", "--timeout=30s")
    assert r.exit_code == 0, r.stderr
    pods = json.loads(kjob_proc("get", "pods", "-o", "json").stdout)["items"]
    assert len(pods) == 1
    term = pods[0]["status"]["containerStatuses"][0]["state"]["terminated"]
    assert (term["exitCode"], term["reason"]) == (0, "Completed")
    assert kjob_proc("logs", pods[0]["metadata"]["name"]).stdout == "done\n"


def test_failed_pod_counts_and_no_command_pod_waits(kjob_proc) -> None:
    kjob_proc("create", "-f", "-", input=job_manifest("bad", "exit 3", backoffLimit=0))
    r = kjob_proc("wait", "--for=condition=failed", "job/bad", "--timeout=30s")
    assert r.stdout == "job.batch/bad condition met\n", r.stderr
    job = json.loads(kjob_proc("get", "job", "bad", "-o", "json").stdout)
    assert job["status"]["failed"] == 1
    assert [c["type"] for c in job["status"]["conditions"]] == ["FailureTarget", "Failed"]
    assert re.search(r"\n\S+ +0/1 +Error +0 ", kjob_proc("get", "pods").stdout)

    text = job_manifest("nocmd", "true").replace('        command: ["sh", "-c", "true"]\n', "")
    r = kjob_proc("create", "-f", "-", input=text)
    assert 'container "c" has no command' in r.stderr
    wait_until(lambda: "CreateContainerError" in kjob_proc("get", "pods").stdout)
    pod = json.loads(kjob_proc("get", "pods", "-o", "json").stdout)["items"]
    waiting = next(p for p in pod if p["metadata"]["name"].startswith("nocmd-"))
    state = waiting["status"]["containerStatuses"][0]["state"]["waiting"]
    assert state["reason"] == "CreateContainerError" and "no command" in state["message"]


def test_container_gets_env_and_hostname(kjob_proc) -> None:
    text = job_manifest("envy", 'echo "$HOSTNAME $MY_NAME $GREETING"').replace(
        "        image: busybox:1.36\n",
        "        image: busybox:1.36\n"
        "        env:\n"
        "        - name: WHO\n"
        "          value: world\n"
        "        - name: GREETING\n"
        "          value: hello-$(WHO)\n"
        "        - name: MY_NAME\n"
        "          valueFrom: {fieldRef: {fieldPath: metadata.name}}\n",
    )
    kjob_proc("create", "-f", "-", input=text)
    kjob_proc("wait", "--for=condition=complete", "job/envy", "--timeout=30s")
    pod = kjob_proc("get", "pods", "-o", "name").stdout.strip().split("/")[1]
    assert kjob_proc("logs", pod).stdout == f"{pod} {pod} hello-world\n"


def _differs_only_in_ages(diff: str) -> bool:
    """Whether a unified diff's removed and added lines are the same once every age (`1s`, `2m3s`,
    `5h`) is blanked out."""
    age = re.compile(r"(?<![\w.])\d+[smhd](\d+[smh])?(?![\w.])")
    changed = [line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("---", "+++")]
    removed = [age.sub("AGE", line[1:]) for line in changed if line[0] == "-"]
    added = [age.sub("AGE", line[1:]) for line in changed if line[0] == "+"]
    return bool(changed) and removed == added


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_describe_matches_real_kubectl(kjob_proc, home: Path, tmp_path: Path) -> None:
    """The workplace's oracle: kubectl's own describe of kjob's objects, served by a stand-in API."""
    tool = Path(__file__).resolve().parents[2] / "shared" / "tools" / "kubectl-describe-diff"
    if not tool.exists():
        pytest.skip("the kubectl-describe-diff tool is not beside this checkout")
    kjob_proc("create", "-f", "-", input=COUNT_JOB)
    kjob_proc("wait", "--for=condition=complete", "job/job-count", "--timeout=60s")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "kjob").write_text(f'#!/bin/sh\nexec {os.sys.executable} -m kjob "$@"\n')
    (bin_dir / "kjob").chmod(0o755)
    env = {
        **os.environ,
        "KJOB_HOME": str(home),
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT),
    }
    pod = kjob_proc("get", "pods", "-o", "name").stdout.strip().split("/")[1]
    diff = subprocess.run([str(tool), "pods", pod], capture_output=True, text=True, env=env)
    # kubectl and kjob render a moment apart: an event's age may have crossed a second between them.
    assert diff.returncode == 0 or _differs_only_in_ages(diff.stdout), diff.stdout + diff.stderr
    diff = subprocess.run([str(tool), "jobs", "job-count"], capture_output=True, text=True, env=env)
    changed = [
        line for line in diff.stdout.splitlines() if line[:1] in "+-" and line[:3] not in ("---", "+++")
    ]
    # kubectl and kjob describe a second apart, so an event's Age may tick between them.
    ages = re.compile(r"^([-+])(  (?:Normal|Warning)  \S+ +)\d+s( +.*)$")
    minus = [ages.sub(r"\2Ns\3", line) for line in changed if line.startswith("-") and ages.match(line)]
    plus = [ages.sub(r"\2Ns\3", line) for line in changed if line.startswith("+") and ages.match(line)]
    assert minus == plus, diff.stdout
    changed = [line for line in changed if not ages.match(line)]
    # The one line that differs on purpose: the walkthrough's older Pods Statuses wording.
    assert changed == [
        "-Pods Statuses:    0 Active (0 Ready) / 1 Succeeded / 0 Failed",
        "+Pods Statuses:    0 Running / 1 Succeeded / 0 Failed",
    ], diff.stdout


def test_on_failure_restarts_the_container_in_the_same_pod(kjob_proc) -> None:
    # The pod's working directory outlives a container restart, like an emptyDir.
    script = "if [ -f tried ]; then echo second; exit 0; fi; touch tried; echo first; exit 1"
    kjob_proc("create", "-f", "-", input=job_manifest("retry", script, policy="OnFailure"))
    r = kjob_proc("wait", "--for=condition=complete", "job/retry", "--timeout=30s")
    assert r.exit_code == 0, r.stderr
    pods = json.loads(kjob_proc("get", "pods", "-o", "json").stdout)["items"]
    assert len(pods) == 1
    cs = pods[0]["status"]["containerStatuses"][0]
    assert cs["restartCount"] == 1
    assert cs["lastState"]["terminated"]["exitCode"] == 1
    assert cs["state"]["terminated"]["exitCode"] == 0
    assert re.search(r" 0/1 +Completed +1 \(\d+s ago\) ", kjob_proc("get", "pods").stdout)
    assert kjob_proc("logs", pods[0]["metadata"]["name"]).stdout == "second\n"


def _edit(home: Path, kind: str, name: str, change) -> None:  # type: ignore[no-untyped-def]
    """Change a stored object as an API client would, then nudge the worker."""
    from kjob import worker

    store = Store(home)
    with store.lock():
        obj = store.must_get(kind, "default", name)
        change(obj)
        store.update(kind, obj)
    worker.ensure_running(store)


def test_foreground_deletion_removes_pods_then_the_job(kjob_proc, home: Path) -> None:
    kjob_proc("create", "-f", "-", input=job_manifest("fg", "sleep 300", parallelism=2, completions=2))
    wait_until(lambda: kjob_proc("get", "pods").stdout.count("Running") == 2)

    def foreground(job: dict) -> None:
        job["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
        job["metadata"]["finalizers"] = ["foregroundDeletion"]

    _edit(home, "jobs", "fg", foreground)
    wait_until(lambda: kjob_proc("get", "jobs", "fg").exit_code == 1)
    assert kjob_proc("get", "pods").stderr == "No resources found in default namespace.\n"


def test_orphans_are_adopted_and_non_matching_pods_released(kjob_proc, home: Path) -> None:
    # e2e "should adopt matching orphans and release non-matching pods", with a manual selector.
    text = (
        job_manifest("adopt", "sleep 300", parallelism=2, completions=4)
        .replace("spec:\n", "spec:\n  manualSelector: true\n  selector:\n    matchLabels: {app: adopt}\n", 1)
        .replace(
            "  template:\n    spec:\n",
            "  template:\n    metadata:\n      labels: {app: adopt}\n    spec:\n",
            1,
        )
    )
    r = kjob_proc("create", "-f", "-", input=text)
    assert r.exit_code == 0, r.stderr
    wait_until(lambda: kjob_proc("get", "pods").stdout.count("Running") == 2)
    job_uid = json.loads(kjob_proc("get", "job", "adopt", "-o", "json").stdout)["metadata"]["uid"]
    pod = json.loads(kjob_proc("get", "pods", "-o", "json").stdout)["items"][0]["metadata"]["name"]

    _edit(home, "pods", pod, lambda p: p["metadata"].pop("ownerReferences"))

    def owner() -> list:
        return json.loads(kjob_proc("get", "pod", pod, "-o", "json").stdout)["metadata"].get(
            "ownerReferences", []
        )

    wait_until(
        lambda: (
            [(r["kind"], r["name"], r["uid"], r["controller"]) for r in owner()]
            == [("Job", "adopt", job_uid, True)]
        )
    )

    _edit(home, "pods", pod, lambda p: p["metadata"].__setitem__("labels", {"app": "other"}))
    wait_until(lambda: owner() == [])
    kjob_proc("delete", "jobs", "adopt")
    kjob_proc("delete", "pod", pod, "--wait=false")


def test_a_generated_pod_name_that_is_taken_is_drawn_again(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os as os_module

    from kjob import manifest, objects

    store = Store(home)
    job = manifest.prepare_job(
        json.loads(json.dumps(__import__("yaml").safe_load(job_manifest("j", "true")))),
        "default",
        objects.now(),
    )
    taken = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "j-bbbbb", "namespace": "default", "uid": "x"},
        "spec": {"containers": []},
        "status": {"phase": "Succeeded"},
    }
    with store.lock():
        store.create("jobs", job)
        store.create("pods", taken)
    real = os_module.urandom
    draws = iter([b"\0" * 5])  # the controller's draw lands on the taken name
    monkeypatch.setattr(objects.os, "urandom", lambda n: next(draws, None) or real(n))
    _one_pass(store)
    pods = {p["metadata"]["name"] for p in store.list("pods")}
    assert "j-bbbbb" in pods and len(pods) == 2
    created = next(p for p in pods if p != "j-bbbbb")
    messages = [e["message"] for e in store.list("events") if e["reason"] == "SuccessfulCreate"]
    assert messages == [f"Created pod: {created}"]


def test_events_are_selected_by_their_fields(kjob_proc) -> None:  # type: ignore[no-untyped-def]
    """`kubectl get events --field-selector involvedObject.name=...` is how one looks at one object's
    events; a job of 12 pods shows what a cluster's correlator keeps of its SuccessfulCreate events."""
    manifest = job_manifest("sel", "true", completions=12, parallelism=4)
    assert kjob_proc("create", "-f", "-", input=manifest).exit_code == 0
    assert kjob_proc("wait", "--for=condition=complete", "job/sel", "--timeout=60s").exit_code == 0
    out = kjob_proc("get", "events", "--field-selector", "involvedObject.kind=Job,involvedObject.name=sel")
    assert out.exit_code == 0, out.stderr
    rows = out.stdout.splitlines()[1:]
    assert all(" job/sel " in row for row in rows)
    created = [row for row in rows if "SuccessfulCreate" in row]
    assert len(created) == 10 and sum("(combined from similar events)" in row for row in created) == 1
    assert sum(" Completed " in row for row in rows) == 1
    started = kjob_proc("get", "ev", "--field-selector", "reason=Started,source=kubelet", "-o", "name")
    assert len(started.stdout.split()) == 12
    bad = kjob_proc("get", "events", "--field-selector", "status.phase=Running")
    assert bad.exit_code == 1
    assert bad.stderr == (
        'Error from server (BadRequest): Unable to find "/v1, Resource=events" that match label selector "", '
        'field selector "status.phase=Running": field label not supported: status.phase\n'
    )


def test_a_pass_counts_the_back_off_of_a_failure_from_the_last_success(home: Path) -> None:
    """The worker leaves counted successes out of what the job controller sees, except where the
    job has a failed pod: a failure before the last success then starts no back-off, and the next
    pod is created at once."""
    from kjob import controller, manifest, objects

    now = objects.now()
    job = manifest.prepare_job(
        json.loads(json.dumps(__import__("yaml").safe_load(job_manifest("j", "true", completions=3)))),
        "default",
        now - 30,
    )
    failed, succeeded = (controller.new_pod(job, now - 30, None) for _ in range(2))
    for pod, phase, at, code in ((failed, "Failed", now - 5, 1), (succeeded, "Succeeded", now - 2, 0)):
        pod["metadata"].pop("finalizers", None)  # counted in the job's status
        pod["status"] = {
            "phase": phase,
            "containerStatuses": [
                {
                    "name": "c",
                    "state": {"terminated": {"exitCode": code, "finishedAt": objects.format_time(at)}},
                }
            ],
        }
    job["status"] = {"startTime": objects.format_time(now - 30), "succeeded": 1, "failed": 1}
    store = Store(home)
    with store.lock():
        store.create("jobs", job)
        store.create("pods", failed)
        store.create("pods", succeeded)
    _one_pass(store)
    assert len(store.list("pods")) == 3  # no 10 s back-off: the failure came before the last success


def _one_pass(store: Store) -> None:
    """One pass of a worker over the store, as its loop makes it."""
    from kjob.worker import Worker

    worker = Worker(store)
    assert worker.acquire()
    try:
        with store.lock(), store.cached():
            worker.run_pass()
    finally:
        worker.release()


def _counted_pods(home: Path, count: int) -> tuple[Store, dict]:  # type: ignore[type-arg]
    """A finished job and its pods, each succeeded and counted (no tracking finalizer left): what a
    pass leaves alone unless the job goes."""
    from kjob import controller, manifest, objects

    now = objects.now()
    job = manifest.prepare_job(
        json.loads(json.dumps(__import__("yaml").safe_load(job_manifest("j", "true", completions=count)))),
        "default",
        now - 30,
    )
    pods = [controller.new_pod(job, now - 30, None) for _ in range(count)]
    for pod in pods:
        pod["metadata"].pop("finalizers", None)
        pod["spec"]["nodeName"] = "node"
        pod["status"] = {
            "phase": "Succeeded",
            "containerStatuses": [
                {
                    "name": "c",
                    "state": {"terminated": {"exitCode": 0, "finishedAt": objects.format_time(now - 5)}},
                }
            ],
        }
    job["status"] = {"startTime": objects.format_time(now - 30), "succeeded": count}
    store = Store(home)
    store.remember_reads()  # as the worker's own store does
    with store.lock():
        store.create("jobs", job)
        for pod in pods:
            store.create("pods", pod)
    return store, job


def _passes(worker, store: Store, until, most: int = 20) -> None:  # type: ignore[no-untyped-def]
    """Passes of one worker, as its loop makes them, until `until()` holds."""
    for _ in range(most):
        with store.lock(), store.cached():
            worker.run_pass()
        if until():
            return
    raise AssertionError(f"still not so after {most} passes")


def test_what_the_worker_knows_of_its_pods_is_what_the_store_lists(home: Path) -> None:
    """A pass takes the pods as the last pass left them, its own writes taken in, while no other
    process writes; after another process's write it lists them again. Either way they must be what
    the store lists, in its order, each object as the store holds it now."""
    from kjob.worker import Worker

    def pods_on_disk() -> list:  # type: ignore[type-arg]
        return Store(home).list("pods")

    store, job = _counted_pods(home, 3)
    worker = Worker(store)
    assert worker.acquire()
    try:
        with store.lock(), store.cached():
            first = worker._list_pods()
        assert [seen.pod for seen in first] == pods_on_disk()
        with store.lock(), store.cached():
            again = worker._list_pods()
        assert list(map(id, again)) == list(map(id, first))  # known, not worked out again

        # The pass's own writes: a pod changed, one created (between two others), one deleted.
        names = [seen.pod["metadata"]["name"] for seen in first]
        from kjob import controller, objects

        extra = controller.new_pod(job, objects.now(), None)
        extra["metadata"]["name"] = names[0] + "a"  # sorts right after the first
        with store.lock(), store.cached():
            pod = store.must_get("pods", "default", names[1])
            pod["metadata"].setdefault("labels", {})["changed"] = "here"
            store.update("pods", pod)
            store.create("pods", extra)
            store.delete("pods", "default", names[2])
            worker._take_in_writes()
        with store.lock(), store.cached():
            seens = worker._list_pods()
            assert store.kept_listing("pods") is worker.known_listing  # no listing read again
        assert [seen.pod for seen in seens] == pods_on_disk()
        assert [seen.pod["metadata"]["name"] for seen in seens] == [names[0], names[0] + "a", names[1]]
        assert seens[2].pod["metadata"]["labels"]["changed"] == "here"
        assert seens[0] is first[0] and seens[2] is not first[1]

        # Another process's write: listed again, and seen as it is now.
        other = Store(home)
        with other.lock():
            pod = other.must_get("pods", "default", names[0])
            pod["metadata"].setdefault("labels", {})["changed"] = "there"
            other.update("pods", pod)
        with store.lock(), store.cached():
            seens = worker._list_pods()
        assert [seen.pod for seen in seens] == pods_on_disk()
        assert seens[0].pod["metadata"]["labels"]["changed"] == "there"
        assert seens[1] is not first[0]
    finally:
        worker.release()


def test_counted_pods_of_a_job_deleted_by_another_process_are_collected(home: Path) -> None:
    """A pass looks only at pods it has business with, but a counted pod whose job has gone is one."""
    from kjob.worker import Worker

    store, _ = _counted_pods(home, 3)
    worker = Worker(store)
    assert worker.acquire()
    try:
        _passes(worker, store, lambda: not worker.removed)  # the first pass looks at everything
        other = Store(home)
        with other.lock():
            other.delete("jobs", "default", "j")  # `kjob delete job j`, background cascade
        _passes(worker, store, lambda: Store(home).list("pods") == [])
    finally:
        worker.release()


def test_pods_the_worker_changed_in_place_are_looked_at_anew(home: Path) -> None:
    """Foreground deletion marks the job's pods deleted in place: the next pass must not take them for
    the finished pods they were, or they are never removed and the job stays."""
    from kjob.worker import Worker

    store, _ = _counted_pods(home, 3)
    worker = Worker(store)
    assert worker.acquire()
    try:
        _passes(worker, store, lambda: not worker.removed)
        other = Store(home)
        with other.lock():
            job = other.must_get("jobs", "default", "j")
            job["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
            job["metadata"]["finalizers"] = ["foregroundDeletion"]
            other.update("jobs", job)
        _passes(worker, store, lambda: Store(home).get("jobs", "default", "j") is None)
        assert Store(home).list("pods") == []
    finally:
        worker.release()


def test_a_later_pass_counts_the_back_off_from_the_last_success_too(home: Path) -> None:
    """As above, but in a pass after the first, which looks only at the pods it has business with
    unless some pod of a job failed: the counted success must still reach the controller."""
    from kjob import objects
    from kjob.worker import Worker

    store, job = _counted_pods(home, 2)
    now = objects.now()
    with store.lock():
        job = store.must_get("jobs", "default", "j")
        job["spec"]["completions"] = 3
        job["spec"]["suspend"] = True
        job["status"].update(succeeded=1, failed=1)
        store.update("jobs", job)
        failed, succeeded = store.list("pods")
        failed["status"]["phase"] = "Failed"
        failed["status"]["containerStatuses"][0]["state"]["terminated"].update(
            exitCode=1, finishedAt=objects.format_time(now - 5)
        )
        store.update("pods", failed)
        succeeded["status"]["containerStatuses"][0]["state"]["terminated"]["finishedAt"] = (
            objects.format_time(now - 2)
        )
        store.update("pods", succeeded)
    worker = Worker(store)
    assert worker.acquire()
    try:
        _passes(worker, store, lambda: not worker.removed)
        assert len(store.list("pods")) == 2  # suspended: nothing created
        other = Store(home)
        with other.lock():
            job = other.must_get("jobs", "default", "j")
            job["spec"]["suspend"] = False
            other.update("jobs", job)
        with store.lock(), store.cached():
            worker.run_pass()
        # The failure (5 s ago) came before the last success (2 s ago): no 10 s back-off, a pod at once.
        assert len(store.list("pods")) == 3
    finally:
        worker.release()


def test_a_pass_that_removes_a_pod_keeps_the_events_of_the_pods_it_left_out(home: Path) -> None:
    """Events go with the objects they are about, which a pass that removes a pod works out: the
    counted pods it otherwise leaves alone still live, and keep theirs."""
    from kjob import objects
    from kjob.worker import Worker

    store, _ = _counted_pods(home, 2)
    kept = store.list("pods")[0]
    lone = json.loads(json.dumps(kept))  # a finished pod of no job, being deleted
    lone["metadata"].update(name="lone", uid="lone-uid", labels={"app": "other"}, ownerReferences=[])
    lone["metadata"]["deletionTimestamp"] = objects.format_time(objects.now())
    worker = Worker(store)
    assert worker.acquire()
    try:
        _passes(worker, store, lambda: not worker.removed)
        with store.lock(), store.cached():
            worker.record_event(kept, "Normal", "Started", "Started container c", "kubelet", objects.now())
        other = Store(home)
        with other.lock():
            other.create("pods", lone)
        _passes(worker, store, lambda: Store(home).get("pods", "default", "lone") is None)
        uids = [e["involvedObject"]["uid"] for e in Store(home).list("events")]
        assert kept["metadata"]["uid"] in uids
    finally:
        worker.release()


@pytest.mark.parametrize("made_again", [False, True])
def test_a_worker_whose_state_directory_is_removed_exits(kjob_proc, home: Path, made_again: bool) -> None:
    """`rm -rf ~/.kjob` under a running job: its worker can no longer be reached (its socket went
    with the directory) and must not stay, nor act on a directory made again, which has its own."""
    kjob_proc("create", "-f", "-", input=job_manifest("keep", "sleep 300"))
    wait_until(lambda: "Running" in kjob_proc("get", "pods").stdout)
    old = worker_pid(home)
    assert old is not None
    shutil.rmtree(home)
    if made_again:
        kjob_proc("create", "-f", "-", input=job_manifest("other", "sleep 300"))
        wait_until(lambda: "Running" in kjob_proc("get", "pods").stdout)
        assert worker_pid(home) != old
    wait_until(lambda: not Path(f"/proc/{old}").exists() or _zombie(old), timeout=10)
    if made_again:
        # The old worker left the new one's socket alone: a command still reaches it at once.
        assert (home / "worker.sock").exists()
        kjob_proc("delete", "job", "other")
        wait_until(lambda: kjob_proc("get", "pods").stderr.startswith("No resources"), timeout=5)


def test_a_pod_past_its_active_deadline_fails_its_job(kjob_proc, home: Path) -> None:
    text = job_manifest("late", "sleep 30", backoffLimit=0).replace(
        "    spec:\n      containers:", "    spec:\n      activeDeadlineSeconds: 1\n      containers:"
    )
    assert kjob_proc("create", "-f", "-", input=text).exit_code == 0
    done = kjob_proc("wait", "--for=condition=failed", "job/late", "--timeout=20s")
    assert done.exit_code == 0, done.stderr
    pod = json.loads(kjob_proc("get", "pods", "-o", "json").stdout)["items"][0]
    assert (pod["status"]["phase"], pod["status"]["reason"]) == ("Failed", "DeadlineExceeded")
    wait_until(lambda: "terminated" in kjob_proc("get", "pods", "-o", "json").stdout, timeout=10)
    events = kjob_proc("get", "events").stdout
    assert "DeadlineExceeded" in events and "BackoffLimitExceeded" in events


@pytest.mark.parametrize(
    ("policy", "code"), [("FallbackToLogsOnError", 3), ("File", 3), ("FallbackToLogsOnError", 0)]
)
def test_a_failed_containers_message_falls_back_to_its_log_when_asked(
    kjob_proc, home: Path, policy: str, code: int
) -> None:
    """readLastStringFromContainerLogs: under FallbackToLogsOnError a container that fails ends with
    its log's last 80 lines (2,048 bytes at most) as its message; one that succeeds, or another
    policy, with none."""
    script = f"for i in $(seq 1 100); do echo line $i; done; echo oops >&2; exit {code}"
    text = job_manifest("fb", script, backoffLimit=0).replace(
        "        image: busybox:1.36\n",
        f"        image: busybox:1.36\n        terminationMessagePolicy: {policy}\n",
    )
    assert kjob_proc("create", "-f", "-", input=text).exit_code == 0
    done = kjob_proc("wait", f"--for=condition={'failed' if code else 'complete'}", "job/fb", "--timeout=30s")
    assert done.exit_code == 0, done.stderr
    pod = json.loads(kjob_proc("get", "pods", "-o", "json").stdout)["items"][0]
    terminated = pod["status"]["containerStatuses"][0]["state"]["terminated"]
    if policy == "FallbackToLogsOnError" and code:
        lines = [f"line {i}" for i in range(22, 101)] + ["oops"]
        assert terminated["message"] == "\n".join(lines) + "\n"
        assert "Message:  line 22" in kjob_proc("describe", "pods").stdout
    else:
        assert "message" not in terminated


def test_a_removed_state_directory_takes_its_containers_with_it(kjob_proc, home: Path) -> None:
    """With the directory gone, no command can reach the job's containers any more: they stop as if
    their pods were deleted (SIGTERM, SIGKILL after the grace period), and their launchers end."""
    marker = f"{os.getpid()}-{time.time_ns()}"
    text = job_manifest(
        "forever", "trap '' TERM; while true; do sleep 0.2; done", parallelism=2, completions=2
    )
    text = text.replace(
        "        image: busybox:1.36\n",
        f"        image: busybox:1.36\n        env:\n        - name: KJOB_TEST_MARKER\n          value: '{marker}'\n",
    ).replace(
        "    spec:\n      containers:", "    spec:\n      terminationGracePeriodSeconds: 1\n      containers:"
    )
    assert kjob_proc("create", "-f", "-", input=text).exit_code == 0
    wait_until(lambda: kjob_proc("get", "pods").stdout.count("Running") == 2)
    assert len(processes_with_env(marker)) >= 2
    shutil.rmtree(home)
    wait_until(lambda: not processes_with_env(marker), timeout=15)
    wait_until(lambda: not _pids_of(home), timeout=10)


def _zombie(pid: int) -> bool:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].split()[0] == "Z"
    return True


def test_the_worker_writes_its_objects_with_the_fast_encoder(kjob_proc, home: Path) -> None:
    """The worker encodes with orjson (see store.use_fast_encoding): its pod lines carry text beyond
    ASCII as UTF-8, where json escapes it, and every command reads them back the same."""
    manifest = job_manifest("enc", "true").replace(
        "  template:\n    spec:\n",
        "  template:\n    metadata:\n      annotations:\n        note: héllo ✓\n    spec:\n",
    )
    kjob_proc("create", "-f", "-", input=manifest)
    kjob_proc("wait", "--for=condition=complete", "job/enc", "--timeout=30s")
    assert "héllo ✓".encode() in (home / "pods" / "default" / ".log").read_bytes()
    pods = json.loads(kjob_proc("get", "pods", "-o", "json").stdout)["items"]
    assert [p["metadata"]["annotations"]["note"] for p in pods] == ["héllo ✓"]
    assert pods[0]["status"]["phase"] == "Succeeded"


class _SilentLauncher:
    """A launcher that takes requests and never answers them: runs asked for, none started."""

    def __init__(self) -> None:
        self.pid = None
        self.asked: dict[str, float] = {}

    def fileno(self) -> int:
        return 7

    def launch(self, specs) -> list[int]:  # type: ignore[no-untyped-def]
        for spec in specs:
            self.asked[f"{spec.run_dir}/{spec.key}"] = time.time()
        return []

    def replies(self) -> list[int]:
        return []

    def asked_at(self, run_dir: str, container: str, attempt: int) -> float | None:
        return self.asked.get(f"{run_dir}/{container}.{attempt}")

    def answer_all(self) -> None:
        self.asked.clear()

    def close(self) -> None:
        self.asked.clear()


def _worker_with_silent_launcher(home: Path, monkeypatch: pytest.MonkeyPatch, **spec: object):  # type: ignore[no-untyped-def]
    """A job's first pass by a worker whose launcher never answers; the worker, its launcher, the
    pods each later pass syncs (by name), and its store."""
    worker, launcher = _new_worker_with_a_job(home, **spec)
    store = worker.store
    synced: list[str] = []
    real = worker._sync_pod

    def sync_pod(pod, now, kubelet, fresh=False):  # type: ignore[no-untyped-def]
        if not fresh:
            synced.append(pod["metadata"]["name"])
        return real(pod, now, kubelet, fresh)

    monkeypatch.setattr(worker, "_sync_pod", sync_pod)
    assert worker.acquire()
    with store.lock(), store.cached():
        worker.run_pass()
    worker.start_launches()
    assert len(launcher.asked) == 1
    return worker, launcher, synced, store


def test_a_pass_starts_its_containers_before_its_other_writes_land(home: Path) -> None:
    """A pass writes the pods it starts containers for ahead of the rest (Store.write_ahead), starts
    them, and only then writes and syncs its job: the containers run while the worker syncs. No
    process without its pod: whatever sees a container can read its pod."""
    worker, launcher = _new_worker_with_a_job(home)
    store = worker.store
    at_launch: list[tuple[list[str], object]] = []
    asked = launcher.launch

    def launch(specs):  # type: ignore[no-untyped-def]
        reader = Store(home)
        pods = [pod["metadata"]["name"] for pod in reader.list("pods")]
        at_launch.append((pods, reader.must_get("jobs", "default", "j").get("status", {}).get("active")))
        return asked(specs)

    launcher.launch = launch  # type: ignore[method-assign]
    assert worker.acquire()
    try:
        with store.lock():
            with store.cached():
                worker.run_pass()
                worker.start_launches(ahead=True)
            worker.start_launches()
        assert len(at_launch) == 1
        pods, active = at_launch[0]
        assert len(pods) == 1 and pods[0].startswith("j-")
        assert active is None  # the job's count of it came after
        assert Store(home).must_get("jobs", "default", "j")["status"]["active"] == 1
    finally:
        worker.release()


def test_a_pod_that_lost_its_tracking_finalizer_in_the_pass_starts_after_the_pass_writes(
    home: Path,
) -> None:
    """A pod's line without its tracking finalizer must follow its job's record of it (Store.cached),
    so a run of such a pod is not started ahead of the pass's writes, but after them."""
    from kjob.objects import TRACKING_FINALIZER
    from kjob.runtime import RunSpec

    worker, launcher = _new_worker_with_a_job(home)
    store = worker.store
    assert worker.acquire()
    try:
        with store.lock(), store.cached():
            worker.run_pass()
        worker.start_launches()
        launcher.answer_all()
        with store.lock():
            with store.cached():
                pod = store.list("pods")[0]
                assert TRACKING_FINALIZER in pod["metadata"]["finalizers"]
                pod["metadata"]["finalizers"] = []
                store.update("pods", pod)
                spec = RunSpec(str(home / "run" / "x"), "c", 1, ["true"], {}, "/", "", 1.0)
                worker.launches = [(pod, spec)]
                worker.start_launches(ahead=True)
                assert launcher.asked == {}
                assert worker.launches == [(pod, spec)]
            worker.start_launches()
        assert list(launcher.asked) == [f"{home}/run/x/c.1"]
    finally:
        worker.release()


def test_a_pass_leaves_alone_a_pod_whose_run_the_launcher_has_not_taken_up(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing can be known of a run a launcher has not answered for: its pod is not synced until the
    answer comes (which wakes the worker), and the worker wakes by itself if it never does."""
    from kjob.worker import UNANSWERED_FOR

    worker, launcher, synced, store = _worker_with_silent_launcher(home, monkeypatch)
    try:
        worker.due = None
        with store.lock(), store.cached():
            _, work = worker.run_pass()
        assert synced == []
        assert work  # the pod still needs the worker
        asked = next(iter(launcher.asked.values()))
        assert worker.due == pytest.approx(asked + UNANSWERED_FOR)
        launcher.answer_all()
        with store.lock(), store.cached():
            worker.run_pass()
        assert len(synced) == 1
    finally:
        worker.release()


def test_a_pod_waiting_too_long_on_its_launcher_is_synced_again(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A launcher that never answers must not hide its runs for good: after a while the kubelet looks
    again (and, in time, calls the run lost)."""
    from kjob.worker import UNANSWERED_FOR

    worker, launcher, synced, store = _worker_with_silent_launcher(home, monkeypatch)
    try:
        for key in launcher.asked:
            launcher.asked[key] -= UNANSWERED_FOR + 0.1
        with store.lock(), store.cached():
            worker.run_pass()
        assert len(synced) == 1
    finally:
        worker.release()


@pytest.mark.parametrize("case", ["deleted", "deadline"])
def test_a_pod_waiting_on_its_launcher_is_still_synced_when_it_must_be(
    home: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    """A pod being deleted, or with a deadline of its own, is the kubelet's business at once."""
    from kjob import objects

    spec = {"activeDeadlineSeconds": 1} if case == "deadline" else {}
    worker, _, synced, store = _worker_with_silent_launcher(home, monkeypatch)
    try:
        with store.lock():
            pod = store.list("pods")[0]
            if case == "deleted":
                pod["metadata"]["deletionTimestamp"] = objects.format_time(objects.now() + 30)
            else:
                pod["spec"].update(spec)
            store.update("pods", pod)
        with store.lock(), store.cached():
            worker.run_pass()
        assert synced == [pod["metadata"]["name"]]
    finally:
        worker.release()


def _new_worker_with_a_job(home: Path, **spec: object) -> tuple[Any, _SilentLauncher]:
    """A worker driven pass by pass, a one-pod job waiting for it, and a launcher that only notes what
    it is asked."""
    import yaml

    from kjob import manifest, objects
    from kjob import worker as worker_module

    store = Store(home)
    store.remember_reads()
    job = manifest.prepare_job(yaml.safe_load(job_manifest("j", "true", **spec)), "default", objects.now())
    with store.lock():
        store.create("jobs", job)
    worker = worker_module.Worker(store)
    launcher = _SilentLauncher()
    worker.launchers = [launcher]
    return worker, launcher


def test_the_worker_turns_its_collector_on_once_its_first_pass_has_started_containers(
    home: Path, monkeypatch: pytest.MonkeyPatch, collector: None
) -> None:
    """The worker starts with the cyclic collector off (main()), so that nothing of its start-up is
    walked over and over before its first containers start; then it is on, the start-up's objects set
    aside for good, and its young generation collected every GC_YOUNG allocations, not every 700."""
    import gc

    from kjob import worker as worker_module

    worker, launcher = _new_worker_with_a_job(home)
    monkeypatch.setattr(worker, "wait", lambda timeout: None)
    turned_on: list[int] = []  # runs asked for when it was
    real = worker_module._collect_from_now

    def collect_from_now() -> None:
        turned_on.append(len(launcher.asked))
        real()

    monkeypatch.setattr(worker_module, "_collect_from_now", collect_from_now)
    assert worker.acquire()
    gc.disable()
    gc.unfreeze()
    try:
        assert not worker.cycle()
        assert gc.isenabled() and gc.get_threshold()[0] == worker_module.GC_YOUNG
        assert gc.get_freeze_count() > 1000
        assert not worker.cycle()
    finally:
        worker.release()
    assert turned_on == [1]


def test_the_worker_takes_up_orjson_once_its_first_pass_has_started_containers(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Importing orjson (~10 ms) waits until the first pass has asked for its containers' runs, so
    that a new worker's first container does not wait for it; and it happens once."""
    from kjob import worker as worker_module

    worker, launcher = _new_worker_with_a_job(home)
    taken_up: list[int] = []  # runs asked for when it was
    monkeypatch.setattr(worker_module, "use_fast_encoding", lambda: taken_up.append(len(launcher.asked)))
    monkeypatch.setattr(worker, "wait", lambda timeout: None)
    assert worker.acquire()
    try:
        assert not worker.cycle() and not worker.cycle()
    finally:
        worker.release()
    assert taken_up == [1]


def test_the_worker_deletes_events_whose_hour_is_up(home: Path) -> None:
    """The store hides an event an hour after its last write; the worker deletes it (a minute at most
    later), so that a worker that never rests still rewrites its events log instead of growing it."""
    from kjob import objects
    from kjob.store import EVENT_TTL
    from kjob.worker import Worker

    store = Store(home)
    with store.lock():
        for name, age in (("old", EVENT_TTL + 5), ("recent", 60)):
            stamp = objects.format_time(objects.now() - age)
            store.create(
                "events",
                {"kind": "Event", "metadata": {"name": name, "namespace": "default"}, "lastTimestamp": stamp},
            )
    assert store.expired_events() == [("default", "old")]
    worker = Worker(store)
    assert worker.acquire()
    try:
        _passes(worker, store, lambda: not store.expired_events())
    finally:
        worker.release()
    log = (home / "events" / "default" / ".log").read_text()
    assert '"deleted":"old"' in log.replace(" ", "")
    assert [e["metadata"]["name"] for e in Store(home).list("events")] == ["recent"]


def test_a_pod_whose_job_was_made_again_under_its_name_is_collected(home: Path) -> None:
    """A job whose file no longer parses is passed over (see test_robustness), but a job listed under
    the pod's job's name with another uid is another job: the pod's own is gone, and the pod goes."""
    from kjob import objects
    from kjob.worker import Worker

    store, job = _counted_pods(home, 1)
    pod = store.list("pods")[0]
    other = Store(home)
    with other.lock():
        other.delete("jobs", "default", "j")
        again = json.loads(json.dumps(job))
        again["metadata"]["uid"] = objects.new_uid()
        again["metadata"].pop("resourceVersion", None)
        other.create("jobs", again)
    worker = Worker(store)
    assert worker.acquire()
    try:
        _passes(worker, store, lambda: Store(home).get("pods", "default", pod["metadata"]["name"]) is None)
    finally:
        worker.release()
