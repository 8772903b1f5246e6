"""The Kubernetes e2e Job suite's scenarios (test/e2e/apps/job.go), run by kjob's real worker.

State a scenario keeps in a volume (failOnce's marker) lives in a per-test directory instead.
KJOB_BACKOFF_SCALE shortens the pod-failure and CrashLoopBackOff delays; nothing else is scaled."""

from __future__ import annotations

import json
import re
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KJOB_BACKOFF_SCALE", "0.02")


def job(
    name: str,
    command: str,
    policy: str = "Never",
    spec: str = "",
    pod: str = "",
    container: str = "",
    extra_containers: list[dict[str, Any]] | None = None,
) -> str:
    """A Job manifest (as JSON, which is YAML too) built from YAML snippets of its spec, pod and container."""
    main: dict[str, Any] = {"name": "c", "image": "busybox", "command": ["/bin/sh", "-c", command]}
    main.update(yaml.safe_load(textwrap.dedent(container)) or {})
    pod_spec: dict[str, Any] = {"restartPolicy": policy, "containers": [main, *(extra_containers or [])]}
    pod_spec.update(yaml.safe_load(textwrap.dedent(pod)) or {})
    job_spec: dict[str, Any] = yaml.safe_load(textwrap.dedent(spec)) or {}
    job_spec["template"] = {"metadata": {"labels": {"job": name}}, "spec": pod_spec}
    return json.dumps({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name}, "spec": job_spec})


SUCCEED = "exit 0"
FAIL = "exit 1"
NOT_TERMINATE = "sleep 1000000"
FAIL_ODD_SUCCEED_EVEN = "if [ $(expr ${JOB_COMPLETION_INDEX} % 2) -ne 0 ]; then exit 1; else exit 0; fi"


def fail_once(directory: Path) -> str:
    return f"if [ -r {directory}/foo ]; then exit 0; else touch {directory}/foo; exit 1; fi"


def fail_once_per_index(directory: Path) -> str:
    marker = f"{directory}/foo-$JOB_COMPLETION_INDEX"
    return f"if [ -r {marker} ]; then exit 0; else touch {marker}; exit 42; fi"


class Cluster:
    def __init__(self, kjob_proc: Any) -> None:
        self.kjob = kjob_proc

    def create(self, text: str) -> None:
        r = self.kjob("create", "-f", "-", input=text)
        assert r.exit_code == 0, r.stderr

    def job(self, name: str) -> dict[str, Any]:
        return json.loads(self.kjob("get", "job", name, "-o", "json").stdout)

    def pods(self, name: str | None = None) -> list[dict[str, Any]]:
        items = json.loads(self.kjob("get", "pods", "-o", "json").stdout)["items"]
        if name is None:
            return items
        return [p for p in items if p["metadata"]["labels"].get("job") == name]

    def wait(self, name: str, condition: str, timeout: str = "60s") -> dict[str, Any]:
        r = self.kjob("wait", f"--for=condition={condition}", f"job/{name}", f"--timeout={timeout}")
        assert r.exit_code == 0, f"{r.stderr}\n{json.dumps(self.job(name).get('status'), indent=1)}"
        return self.job(name)

    def patch(self, name: str, patch: str) -> None:
        r = self.kjob("patch", "job", name, "-p", patch)
        assert r.exit_code == 0, r.stderr


@pytest.fixture
def k(kjob_proc: Any) -> Cluster:
    return Cluster(kjob_proc)


def reason(job: dict[str, Any], ctype: str) -> str:
    return next(c["reason"] for c in job["status"]["conditions"] if c["type"] == ctype)


def condition_types(job: dict[str, Any]) -> list[str]:
    return [c["type"] for c in job["status"].get("conditions", [])]


def counts(job: dict[str, Any]) -> tuple[int, int, int, int, int]:
    s = job["status"]
    return (
        s.get("active", 0),
        s.get("ready", 0),
        s.get("terminating", 0),
        s.get("succeeded", 0),
        s.get("failed", 0),
    )


# 1
def test_run_to_completion_when_tasks_succeed(k: Cluster) -> None:
    k.create(job("all-succeed", SUCCEED, spec="parallelism: 2\ncompletions: 4\nbackoffLimit: 6"))
    done = k.wait("all-succeed", "complete")
    assert reason(done, "Complete") == "CompletionsReached"
    assert done["status"]["succeeded"] == 4
    pods = k.pods("all-succeed")
    assert len(pods) == 4 and {p["status"]["phase"] for p in pods} == {"Succeeded"}


# 2
def test_pod_failure_policy_fails_the_job_early_on_exit_code(k: Cluster, tmp_path: Path) -> None:
    rules = "podFailurePolicy:\n  rules:\n  - action: FailJob\n    onExitCodes: {operator: In, values: [1]}"
    k.create(job("pfp-failjob", fail_once(tmp_path), spec=f"parallelism: 2\ncompletions: 4\n{rules}"))
    failed = k.wait("pfp-failjob", "failed")
    assert reason(failed, "Failed") == "PodFailurePolicy"
    assert condition_types(failed) == ["FailureTarget", "Failed"]
    assert re.fullmatch(
        r"Container c for pod default/pfp-failjob-\w{5} failed with exit code 1 matching FailJob rule at index 0",
        failed["status"]["conditions"][1]["message"],
    )


# 3
def test_pod_failure_policy_ignores_failures_matching_exit_code(k: Cluster, tmp_path: Path) -> None:
    rules = "podFailurePolicy:\n  rules:\n  - action: Ignore\n    onExitCodes: {operator: In, values: [42]}"
    spec = f"completionMode: Indexed\nparallelism: 3\ncompletions: 3\nbackoffLimit: 0\n{rules}"
    k.create(job("pfp-ignore", fail_once_per_index(tmp_path), spec=spec))
    done = k.wait("pfp-ignore", "complete")
    assert done["status"]["succeeded"] == 3 and done["status"].get("failed", 0) == 0


# 5
def test_no_pods_when_created_suspended_then_resume(k: Cluster) -> None:
    k.create(job("suspended", SUCCEED, spec="parallelism: 2\ncompletions: 4\nsuspend: true"))
    wait_until(lambda: "Suspended" in condition_types(k.job("suspended")))
    s = k.job("suspended")
    assert reason(s, "Suspended") == "JobSuspended" and "startTime" not in s["status"]
    assert k.pods("suspended") == []
    k.patch("suspended", '{"spec":{"suspend":false}}')
    done = k.wait("suspended", "complete")
    assert done["status"]["succeeded"] == 4
    assert done["status"]["conditions"][0]["type"] == "Suspended"
    assert (done["status"]["conditions"][0]["status"], reason(done, "Suspended")) == ("False", "JobResumed")


# 6 and 27
def test_suspend_deletes_pods_and_ready_follows(k: Cluster) -> None:
    k.create(job("to-suspend", NOT_TERMINATE, spec="parallelism: 2\ncompletions: 4"))
    wait_until(lambda: k.job("to-suspend")["status"].get("ready") == 2)
    k.patch("to-suspend", '{"spec":{"suspend":true}}')
    wait_until(
        lambda: (
            k.pods("to-suspend") == [] or all(p["status"]["phase"] == "Failed" for p in k.pods("to-suspend"))
        )
    )
    s = k.job("to-suspend")
    assert reason(s, "Suspended") == "JobSuspended"
    wait_until(lambda: counts(k.job("to-suspend"))[:3] == (0, 0, 0))
    assert k.job("to-suspend")["status"].get("failed", 0) == 0  # suspended pods are not counted
    k.patch("to-suspend", '{"spec":{"suspend":false}}')
    wait_until(lambda: k.job("to-suspend")["status"].get("ready") == 2)
    k.kjob("delete", "jobs", "to-suspend")


# 7
def test_replacement_only_after_failure_with_policy_failed(k: Cluster) -> None:
    script = "trap 'sleep 2; exit 143' TERM; sleep 1000000 & wait"
    k.create(job("replace-failed", script, spec="backoffLimit: 1\npodReplacementPolicy: Failed"))
    wait_until(lambda: k.job("replace-failed")["status"].get("ready") == 1)
    pod = k.pods("replace-failed")[0]["metadata"]["name"]
    k.kjob("delete", "pod", pod, "--wait=false")
    wait_until(
        lambda: (
            counts(k.job("replace-failed"))[:3] == (0, 0, 1)
            and k.job("replace-failed")["status"].get("failed", 0) == 0
        )
    )
    wait_until(lambda: counts(k.job("replace-failed"))[0] == 1 and counts(k.job("replace-failed"))[4] == 1)
    assert counts(k.job("replace-failed"))[2] == 0
    k.kjob("delete", "jobs", "replace-failed")


# 8 and 9
def test_indexed_job_pods_carry_index_and_hostname(k: Cluster) -> None:
    k.create(
        job(
            "indexed",
            'echo "$HOSTNAME $JOB_COMPLETION_INDEX"',
            spec="completionMode: Indexed\nparallelism: 2\ncompletions: 4",
        )
    )
    done = k.wait("indexed", "complete")
    assert done["status"]["completedIndexes"] == "0-3"
    pods = k.pods("indexed")
    indexes = {p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"] for p in pods}
    assert indexes == {"0", "1", "2", "3"}
    for p in pods:
        i = p["metadata"]["labels"]["batch.kubernetes.io/job-completion-index"]
        assert p["spec"]["hostname"] == f"indexed-{i}"
        assert re.fullmatch(rf"indexed-{i}-[bcdfghjklmnpqrstvwxz2456789]{{5}}", p["metadata"]["name"])
        assert k.kjob("logs", p["metadata"]["name"]).stdout == f"indexed-{i} {i}\n"
    assert "Completed Indexes:  0-3\n" in k.kjob("describe", "job", "indexed").stdout


# 10
def test_success_policy_when_all_indexes_succeeded(k: Cluster) -> None:
    spec = "completionMode: Indexed\nparallelism: 2\ncompletions: 2\nsuccessPolicy:\n  rules:\n  - succeededCount: 2"
    k.create(job("sp-all", SUCCEED, spec=spec))
    done = k.wait("sp-all", "complete")
    assert condition_types(done) == ["SuccessCriteriaMet", "Complete"]
    assert reason(done, "Complete") == "SuccessPolicy"
    assert counts(done) == (0, 0, 0, 2, 0)


# 11 and 12
@pytest.mark.parametrize("rule", ['succeededIndexes: "0"', "succeededCount: 1"])
def test_success_policy_with_indexes_pending(k: Cluster, rule: str) -> None:
    spec = f"completionMode: Indexed\nparallelism: 2\ncompletions: 5\nbackoffLimit: 2147483647\nsuccessPolicy:\n  rules:\n  - {rule}"
    k.create(job("sp-some", FAIL_ODD_SUCCEED_EVEN, spec=spec))
    done = k.wait("sp-some", "complete")
    assert reason(done, "Complete") == "SuccessPolicy"
    assert done["status"]["conditions"][-1]["message"] == "Matched rules at index 0"
    assert done["status"]["completedIndexes"] == "0"
    assert counts(done)[:4] == (0, 0, 0, 1)


# 13
def test_backoff_limit_per_index_runs_all_indexes(k: Cluster) -> None:
    spec = "completionMode: Indexed\nparallelism: 2\ncompletions: 4\nbackoffLimitPerIndex: 1"
    k.create(job("per-index", FAIL_ODD_SUCCEED_EVEN, spec=spec))
    failed = k.wait("per-index", "failed")
    assert reason(failed, "Failed") == "FailedIndexes"
    assert (failed["status"]["failedIndexes"], failed["status"]["completedIndexes"]) == ("1,3", "0,2")
    assert (failed["status"]["failed"], failed["status"]["succeeded"]) == (4, 2)


# 14
def test_max_failed_indexes_terminates_the_job(k: Cluster) -> None:
    spec = "completionMode: Indexed\nparallelism: 1\ncompletions: 4\nbackoffLimitPerIndex: 0\nmaxFailedIndexes: 0"
    k.create(job("max-failed", FAIL, spec=spec))
    failed = k.wait("max-failed", "failed")
    assert reason(failed, "Failed") == "MaxFailedIndexesExceeded"
    assert (failed["status"]["failedIndexes"], failed["status"]["failed"]) == ("0", 1)


# 15
def test_failure_count_annotation_with_backoff_limit_per_index(k: Cluster) -> None:
    spec = "completionMode: Indexed\nparallelism: 2\ncompletions: 2\nbackoffLimitPerIndex: 1"
    k.create(job("fail-count", FAIL, spec=spec))
    failed = k.wait("fail-count", "failed")
    assert (failed["status"]["failedIndexes"], failed["status"]["completedIndexes"]) == ("0,1", "")
    assert (failed["status"]["failed"], failed["status"].get("succeeded", 0)) == (4, 0)
    for index in ("0", "1"):
        pods = [
            p
            for p in k.pods("fail-count")
            if p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"] == index
        ]
        pods.sort(key=lambda p: p["metadata"]["creationTimestamp"])
        assert sorted(
            p["metadata"]["annotations"]["batch.kubernetes.io/job-index-failure-count"] for p in pods
        ) == ["0", "1"]


# 16
def test_fail_index_rule_marks_index_failed(k: Cluster) -> None:
    rules = "podFailurePolicy:\n  rules:\n  - action: FailIndex\n    onExitCodes: {operator: In, values: [1]}"
    spec = f"completionMode: Indexed\nparallelism: 2\ncompletions: 2\nbackoffLimitPerIndex: 1\n{rules}"
    k.create(job("fail-index", FAIL_ODD_SUCCEED_EVEN, spec=spec))
    failed = k.wait("fail-index", "failed")
    assert (failed["status"]["failedIndexes"], failed["status"]["completedIndexes"]) == ("1", "0")
    assert (failed["status"]["failed"], failed["status"]["succeeded"]) == (1, 1)


# 17 and 21
def test_delete_job_removes_its_pods(k: Cluster) -> None:
    k.create(job("foo", NOT_TERMINATE, spec="parallelism: 2\ncompletions: 4"))
    wait_until(lambda: len([p for p in k.pods("foo") if p["status"]["phase"] == "Running"]) == 2)
    assert k.kjob("delete", "jobs", "foo").exit_code == 0
    r = k.kjob("get", "job", "foo")
    assert r.stderr == 'Error from server (NotFound): jobs.batch "foo" not found\n'
    wait_until(lambda: k.pods("foo") == [])


# 18
def test_complete_with_local_restarts(k: Cluster) -> None:
    # The marker lives in the pod's own directory, which a container restart keeps, like an emptyDir.
    script = "if [ -r foo ]; then exit 0; else touch foo; exit 1; fi"
    k.create(job("local-restarts", script, policy="OnFailure", spec="parallelism: 2\ncompletions: 4"))
    done = k.wait("local-restarts", "complete")
    assert done["status"]["succeeded"] == 4
    assert all(p["status"]["containerStatuses"][0]["restartCount"] == 1 for p in k.pods("local-restarts"))


# 19
def test_complete_when_tasks_fail_and_are_not_restarted_locally(k: Cluster, tmp_path: Path) -> None:
    k.create(job("not-local", fail_once(tmp_path), spec="parallelism: 2\ncompletions: 4"))
    done = k.wait("not-local", "complete")
    assert condition_types(done) == ["SuccessCriteriaMet", "Complete"]
    assert reason(done, "SuccessCriteriaMet") == "CompletionsReached"
    assert counts(done)[:4] == (0, 0, 0, 4)


# 20
def test_fail_when_exceeding_active_deadline(k: Cluster) -> None:
    k.create(job("deadline", NOT_TERMINATE, spec="parallelism: 2\ncompletions: 4\nactiveDeadlineSeconds: 1"))
    failed = k.wait("deadline", "failed")
    assert condition_types(failed) == ["FailureTarget", "Failed"]
    assert reason(failed, "Failed") == "DeadlineExceeded"
    assert failed["status"]["conditions"][1]["message"] == "Job was active longer than specified deadline"
    assert counts(failed)[:3] == (0, 0, 0)
    assert failed["status"]["failed"] == 2
    text = k.kjob("describe", "job", "deadline").stdout
    assert re.search(
        r"Warning  DeadlineExceeded +\d+s +job-controller  Job was active longer than specified deadline",
        text,
    )


# 23
def test_fail_to_exceed_backoff_limit(k: Cluster) -> None:
    k.create(job("backoff", FAIL, spec="parallelism: 1\ncompletions: 1\nbackoffLimit: 1"))
    failed = k.wait("backoff", "failed")
    assert condition_types(failed) == ["FailureTarget", "Failed"]
    assert reason(failed, "Failed") == "BackoffLimitExceeded"
    pods = k.pods("backoff")
    assert len(pods) == 2 and {p["status"]["phase"] for p in pods} == {"Failed"}
    assert counts(failed)[:3] == (0, 0, 0)


# 24, without capacity limits (every pod fits this machine)
def test_many_pods_to_completion(k: Cluster) -> None:
    k.create(job("wide", SUCCEED, spec="parallelism: 30\ncompletions: 30\nbackoffLimit: 0"))
    done = k.wait("wide", "complete")
    assert done["status"]["succeeded"] == 30
    assert len([p for p in k.pods("wide") if p["status"]["phase"] == "Succeeded"]) == 30


# 28
def test_managed_by_another_controller_is_left_alone(k: Cluster) -> None:
    k.create(job("external", SUCCEED, spec="managedBy: example.com/custom-job-controller"))
    r = k.kjob("wait", "--for=condition=complete", "job/external", "--timeout=1s")
    assert r.exit_code == 1
    assert k.job("external")["status"] == {}
    assert k.pods("external") == []


# issue 3: TTL, OnFailure backoff limit, restarts shown, previous logs, kubelet details


def test_ttl_deletes_the_finished_job_and_its_pods(k: Cluster) -> None:
    # The pod takes a moment, so that `wait` is watching when the job completes: completionTime has
    # whole seconds, so the TTL of 1 s can fire within milliseconds of completion, before a `wait`
    # started afterwards has looked. (Not k.wait(), which reads the job afterwards: gone by then.)
    k.create(job("ttl", "sleep 0.5", spec="ttlSecondsAfterFinished: 1"))
    done = k.kjob("wait", "--for=condition=complete", "job/ttl", "--timeout=60s")
    assert done.exit_code == 0, done.stderr
    wait_until(lambda: k.kjob("get", "job", "ttl").exit_code == 1, timeout=10)
    wait_until(lambda: k.pods("ttl") == [])


def test_on_failure_fails_when_restarts_reach_the_limit(k: Cluster) -> None:
    k.create(job("crashy", "echo run; exit 2", policy="OnFailure", spec="backoffLimit: 2"))
    failed = k.wait("crashy", "failed")
    assert reason(failed, "Failed") == "BackoffLimitExceeded"
    assert failed["status"]["failed"] == 1
    wait_until(lambda: k.pods("crashy") == [])  # the failed job's pod is deleted, as on a cluster


def test_crash_loop_shows_restarts_and_previous_logs(k: Cluster) -> None:
    k.create(job("loop", 'echo "run at $(date +%s%N)"; exit 3', policy="OnFailure", spec="backoffLimit: 100"))
    wait_until(
        lambda: any(
            cs["restartCount"] >= 2 for p in k.pods("loop") for cs in p["status"].get("containerStatuses", [])
        )
    )
    pod = k.pods("loop")[0]
    name = pod["metadata"]["name"]
    assert re.search(rf"{name}   [01]/1     \S+ +\d+ \(\d+s ago\)   ", k.kjob("get", "pods").stdout)
    cs = pod["status"]["containerStatuses"][0]
    assert cs["lastState"]["terminated"]["exitCode"] == 3
    previous = k.kjob("logs", "--previous", name)
    assert previous.exit_code == 0 and previous.stdout.startswith("run at ")
    text = k.kjob("describe", "pod", name).stdout
    assert "    Last State:     Terminated\n" in text
    # A repeated event's age reads like `7s (x3 over 9s)`.
    assert re.search(
        r"Warning  BackOff +\d+s( \(x\d+ over \d+s\))? +kubelet +Back-off restarting failed container c in pod",
        text,
    )
    k.kjob("delete", "jobs", "loop")


def test_previous_logs_without_a_restart(k: Cluster) -> None:
    k.create(job("once", "echo hi"))
    k.wait("once", "complete")
    pod = k.pods("once")[0]["metadata"]["name"]
    r = k.kjob("logs", "-p", pod)
    assert (r.exit_code, r.stderr) == (
        1,
        f'Error from server (BadRequest): previous terminated container "c" in pod "{pod}" not found\n',
    )


def test_init_containers_then_containers(k: Cluster, tmp_path: Path) -> None:
    pod = f"""\
    initContainers:
    - name: first
      image: busybox
      command: ["sh", "-c", "echo init >> {tmp_path}/order"]
    """
    k.create(job("inits", f"echo main >> {tmp_path}/order", pod=pod))
    k.wait("inits", "complete")
    assert (tmp_path / "order").read_text() == "init\nmain\n"
    env = json.loads(k.kjob("get", "job", "inits", "-o", "json").stdout)
    assert env["spec"]["template"]["spec"]["initContainers"][0]["name"] == "first"


def test_failed_init_container_fails_the_pod(k: Cluster) -> None:
    pod = """\
    initContainers:
    - name: setup
      image: busybox
      command: ["sh", "-c", "exit 5"]
    """
    k.create(job("bad-init", SUCCEED, pod=pod, spec="backoffLimit: 0"))
    k.wait("bad-init", "failed")
    assert re.search(r"bad-init-\w{5} +0/1 +Init:Error +0 ", k.kjob("get", "pods").stdout)


def test_missing_executable_is_start_error(k: Cluster) -> None:
    k.create(job("no-exe", SUCCEED, spec="backoffLimit: 0", container='command: ["/no/such/program"]'))
    k.wait("no-exe", "failed")
    term = k.pods("no-exe")[0]["status"]["containerStatuses"][0]["state"]["terminated"]
    assert (term["exitCode"], term["reason"]) == (128, "StartError")
    # It never started: the runtime reports a zero start time (kubernetes#120331).
    assert term["startedAt"] == "1970-01-01T00:00:00Z"
    epoch = time.strftime("%a, %d %b %Y %H:%M:%S %z", time.localtime(0))  # describe's local time
    assert f"Started:      {epoch}" in k.kjob("describe", "pods").stdout


def test_killed_process_exit_code_is_128_plus_signal(k: Cluster) -> None:
    # Kubernetes turns `$$` into `$` in a command (its $(VAR) escape), so the shell's PID is `$$$$`.
    k.create(job("sig", "kill -KILL $$$$", spec="backoffLimit: 0"))
    k.wait("sig", "failed")
    term = k.pods("sig")[0]["status"]["containerStatuses"][0]["state"]["terminated"]
    assert (term["exitCode"], term["reason"]) == (137, "Error")


def test_several_containers_succeed_only_if_all_do(k: Cluster) -> None:
    second = {"name": "d", "image": "busybox", "command": ["sh", "-c", "sleep 0.3; exit 4"]}
    k.create(job("two", SUCCEED, spec="backoffLimit: 0", extra_containers=[second]))
    k.wait("two", "failed")
    pod = k.pods("two")[0]
    codes = {cs["name"]: cs["state"]["terminated"]["exitCode"] for cs in pod["status"]["containerStatuses"]}
    assert codes == {"c": 0, "d": 4}
    assert pod["status"]["phase"] == "Failed"


def test_env_field_refs_and_working_dir(k: Cluster, tmp_path: Path) -> None:
    container = f"""\
    workingDir: {tmp_path}
    env:
    - name: NS
      valueFrom: {{fieldRef: {{fieldPath: metadata.namespace}}}}
    - name: NODE
      valueFrom: {{fieldRef: {{fieldPath: spec.nodeName}}}}
    - name: IP
      valueFrom: {{fieldRef: {{fieldPath: status.podIP}}}}
    - name: APP
      valueFrom: {{fieldRef: {{fieldPath: "metadata.labels['job']"}}}}
    """
    k.create(job("envs", 'echo "$NS $NODE $IP $APP $(pwd)"', container=container))
    k.wait("envs", "complete")
    pod = k.pods("envs")[0]
    node = pod["spec"]["nodeName"]
    assert pod["status"]["hostIP"] == pod["status"]["podIP"] == "127.0.0.1"
    assert k.kjob("logs", pod["metadata"]["name"]).stdout == f"default {node} 127.0.0.1 envs {tmp_path}\n"
    assert re.search(
        rf" 127\.0\.0\.1 +{re.escape(node)} +<none> +<none>\n", k.kjob("get", "pods", "-o", "wide").stdout
    )


def test_events_listed_with_kubectl_columns(k: Cluster) -> None:
    k.create(job("evented", SUCCEED))
    k.wait("evented", "complete")
    out = k.kjob("get", "events").stdout.splitlines()
    assert re.fullmatch(r"LAST SEEN +TYPE +REASON +OBJECT +MESSAGE", out[0])
    reasons = [line.split()[2] for line in out[1:]]
    for wanted in ("SuccessfulCreate", "Scheduled", "Pulled", "Created", "Started", "Completed"):
        assert wanted in reasons
    assert any(re.search(r"job/evented +Job completed$", line) for line in out)


def test_a_deleted_jobs_events_stay_as_on_a_cluster(k: Cluster) -> None:
    """Events have no owner for the garbage collector: deleting their job and its pods leaves them, to
    go an hour after they were last written (the API server's --event-ttl)."""
    k.create(job("evgone", SUCCEED))
    k.wait("evgone", "complete")
    pod = k.pods("evgone")[0]["metadata"]["name"]
    before = k.kjob("get", "events", "-o", "name").stdout.split()
    assert len(before) >= 6
    k.kjob("delete", "job", "evgone")
    wait_until(lambda: "No resources found" in k.kjob("get", "pods").stderr)
    k.kjob("get", "jobs")  # a read after the worker's last pass, which took the pod away
    out = k.kjob("get", "events").stdout
    assert re.search(r"job/evgone +Job completed$", out, re.M)
    assert re.search(rf"pod/{pod} +Started container c$", out, re.M)
    assert set(before) <= set(k.kjob("get", "events", "-o", "name").stdout.split())


def test_a_condition_a_user_gives_a_pod_fails_the_job_through_its_pod_failure_policy(k: Cluster) -> None:
    """The Job docs' pod-failure-policy task, "using Pod failure policy to avoid unnecessary Pod retries
    based on custom Pod Conditions": pods that cannot start (there, an image that does not exist; here,
    a container with no command), one given a ConfigIssue condition and deleted, the Job Failed."""
    manifest = textwrap.dedent(
        """\
        apiVersion: batch/v1
        kind: Job
        metadata:
          name: job-pod-failure-policy-config-issue
        spec:
          completions: 8
          parallelism: 2
          template:
            spec:
              restartPolicy: Never
              containers:
              - name: main
                image: "non-existing-repo/non-existing-image:example"
          backoffLimit: 6
          podFailurePolicy:
            rules:
            - action: FailJob
              onPodConditions:
              - type: ConfigIssue
        """
    )
    k.kjob("create", "-f", "-", input=manifest)
    wait_until(lambda: len(k.pods()) == 2)
    pod = k.pods()[0]["metadata"]["name"]
    patch = '{"status":{"conditions":[{"type":"ConfigIssue","status":"True","reason":"NonExistingImage"}]}}'
    assert k.kjob("patch", "pod", pod, "--subresource=status", "-p", patch).stdout == f"pod/{pod} patched\n"
    k.kjob("delete", "pod", pod)
    k.wait("job-pod-failure-policy-config-issue", "failed")
    job = json.loads(k.kjob("get", "job", "job-pod-failure-policy-config-issue", "-o", "json").stdout)
    failed = next(c for c in job["status"]["conditions"] if c["type"] == "Failed")
    assert (failed["reason"], failed["message"]) == (
        "PodFailurePolicy",
        f"Pod default/{pod} has condition ConfigIssue matching FailJob rule at index 0",
    )


def test_sidecar_starts_first_and_stops_after_the_main_container(k: Cluster, tmp_path: Path) -> None:
    pod = f"""\
    initContainers:
    - name: side
      image: busybox
      restartPolicy: Always
      command: ["sh", "-c", "trap 'echo stop >> {tmp_path}/order; exit 0' TERM; echo side >> {tmp_path}/order; while true; do sleep 0.05; done"]
    """
    k.create(job("sidecar", f"sleep 0.5; echo main >> {tmp_path}/order", pod=pod))
    wait_until(lambda: re.search(r"sidecar-\w{5} +2/2 +Running", k.kjob("get", "pods").stdout))
    k.wait("sidecar", "complete")
    assert (tmp_path / "order").read_text() == "side\nmain\nstop\n"
    pod_obj = k.pods("sidecar")[0]
    side = pod_obj["status"]["initContainerStatuses"][0]
    assert side["restartCount"] == 0 and "terminated" in side["state"]
    assert re.search(r"sidecar-\w{5} +0/2 +Completed +0 ", k.kjob("get", "pods").stdout)


def test_deleting_a_job_stops_its_sidecar(k: Cluster) -> None:
    pod = """\
    initContainers:
    - {name: side, image: busybox, restartPolicy: Always, command: ["sh", "-c", "while true; do sleep 0.05; done"]}
    """
    k.create(job("side-del", NOT_TERMINATE, pod=pod))
    wait_until(lambda: re.search(r"side-del-\w{5} +2/2 +Running", k.kjob("get", "pods").stdout))
    k.kjob("delete", "jobs", "side-del")
    wait_until(lambda: k.pods("side-del") == [], timeout=40)


def test_user_deleted_pod_is_replaced_and_counted_failed(k: Cluster) -> None:
    k.create(job("replaced", NOT_TERMINATE, spec="backoffLimit: 3"))
    wait_until(lambda: k.job("replaced")["status"].get("ready") == 1)
    first = k.pods("replaced")[0]["metadata"]["name"]
    assert k.kjob("delete", "pod", first).stdout == f'pod "{first}" deleted\n'
    wait_until(lambda: k.job("replaced")["status"].get("failed") == 1)
    wait_until(lambda: [p["metadata"]["name"] for p in k.pods("replaced")] not in ([], [first]))
    k.kjob("delete", "jobs", "replaced")


def test_logs_of_a_waiting_container_names_the_default_first(k: Cluster) -> None:
    pod = """\
    initContainers:
    - {name: slow, image: busybox, command: ["sh", "-c", "sleep 30"]}
    """
    k.create(job("waiting", SUCCEED, pod=pod))
    wait_until(lambda: "Init:0/1" in k.kjob("get", "pods").stdout)
    name = k.pods("waiting")[0]["metadata"]["name"]
    r = k.kjob("logs", name)
    assert r.exit_code == 1
    assert r.stderr == (
        f'Defaulted container "c" out of: c, slow (init)\n'
        f'Error from server (BadRequest): container "c" in pod "{name}" is waiting to start: PodInitializing\n'
    )
    k.kjob("delete", "jobs", "waiting")


# 25
def test_apply_changes_to_a_job_status(k: Cluster) -> None:
    k.create(job("status-patch", NOT_TERMINATE, spec="parallelism: 2\ncompletions: 4"))
    wait_until(lambda: k.job("status-patch")["status"].get("active") == 2)
    condition = {
        "type": "CustomConditionType",
        "status": "True",
        "lastTransitionTime": "2026-01-01T00:00:00Z",
        "reason": "Custom",
        "message": "set through /status",
    }
    patch = json.dumps(
        {"metadata": {"annotations": {"patchedstatus": "true"}}, "status": {"conditions": [condition]}}
    )
    r = k.kjob("patch", "job", "status-patch", "--subresource=status", "--type=merge", "-p", patch)
    assert (r.exit_code, r.stdout) == (0, "job.batch/status-patch patched\n"), r.stderr
    patched = k.job("status-patch")
    assert patched["metadata"]["annotations"]["patchedstatus"] == "true"
    assert [c["type"] for c in patched["status"]["conditions"]] == ["CustomConditionType"]
    # Update it again: a later transition time is kept, and the controller leaves the condition alone.
    moved = [{**condition, "lastTransitionTime": "2026-01-02T00:00:00Z"}]
    k.kjob(
        "patch",
        "job",
        "status-patch",
        "--subresource=status",
        "--type=merge",
        "-p",
        json.dumps({"status": {"conditions": moved}}),
    )
    time.sleep(0.3)
    again = k.job("status-patch")
    assert again["status"]["conditions"][0]["lastTransitionTime"] == "2026-01-02T00:00:00Z"
    assert again["metadata"]["uid"] == patched["metadata"]["uid"]
    k.kjob("delete", "jobs", "status-patch")


# 26
def test_manage_the_lifecycle_of_a_job(k: Cluster) -> None:
    name = "lifecycle"
    k.create(
        job(name, SUCCEED, spec="parallelism: 2\ncompletions: 4\nsuspend: true").replace(
            '"metadata": {"name": "lifecycle"}',
            '"metadata": {"name": "lifecycle", "labels": {"e2e-job-label": "lifecycle"}}',
        )
    )
    before = int(k.job(name)["metadata"]["resourceVersion"])
    r = k.kjob("patch", "job", name, "-p", json.dumps({"metadata": {"labels": {name: "patched"}}}))
    assert r.exit_code == 0, r.stderr
    assert k.job(name)["metadata"]["labels"][name] == "patched"
    assert int(k.job(name)["metadata"]["resourceVersion"]) > before
    k.patch(name, json.dumps({"metadata": {"annotations": {"updated": "true"}}, "spec": {"suspend": False}}))
    listed = k.kjob("get", "jobs", "-A", "-l", f"e2e-job-label={name}", "-o", "name")
    assert listed.stdout == f"job.batch/{name}\n"
    done = k.wait(name, "complete")
    assert done["status"]["succeeded"] == 4
    r = k.kjob("delete", "jobs", "-l", f"e2e-job-label={name}", "--cascade=background")
    assert r.stdout == f'job.batch "{name}" deleted\n'
    assert k.kjob("get", "jobs", "-A", "-l", f"e2e-job-label={name}").stderr == "No resources found\n"
