"""The Job controller's decisions, as tables over a fake clock: no disk, no processes."""

from __future__ import annotations

import copy
import itertools
from typing import Any

import pytest

from kjob import controller
from kjob.controller import format_indexes, parse_indexes, sync_job
from kjob.objects import (
    COMPLETION_INDEX_KEY,
    NAME_ALPHABET,
    TRACKING_FINALIZER,
    find_condition,
    format_time,
)

T0 = 1_800_000_000.0
UID = "11111111-2222-4333-8444-555555555555"


def make_job(**spec: Any) -> dict[str, Any]:
    labels = {"batch.kubernetes.io/controller-uid": UID, "batch.kubernetes.io/job-name": "job"}
    base: dict[str, Any] = {
        "parallelism": 1,
        "completions": 1,
        "backoffLimit": 6,
        "completionMode": "NonIndexed",
        "suspend": False,
        "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": UID}},
        "template": {
            "metadata": {"labels": labels},
            "spec": {
                "containers": [{"name": "c", "image": "busybox", "command": ["true"]}],
                "restartPolicy": "Never",
            },
        },
    }
    base.update(spec)
    for key in [k for k, v in base.items() if v is None]:
        del base[key]
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "job", "namespace": "default", "uid": UID, "creationTimestamp": format_time(T0)},
        "spec": base,
        "status": {},
    }


_counter = itertools.count()


def suffix() -> str:
    return f"p{next(_counter):04d}"


def finish(pod: dict[str, Any], phase: str, at: float, exit_code: int = 0) -> dict[str, Any]:
    pod = copy.deepcopy(pod)
    pod["status"]["phase"] = phase
    pod["status"]["containerStatuses"] = [
        {"name": "c", "state": {"terminated": {"exitCode": exit_code, "finishedAt": format_time(at)}}}
    ]
    return pod


def run(job: dict[str, Any], pods: list[dict[str, Any]], now: float) -> controller.JobSync:
    result = sync_job(job, pods, now, suffix)
    job["status"] = result.status
    return result


def settle(job: dict[str, Any], pods: list[dict[str, Any]], now: float) -> controller.JobSync:
    """Sync, apply finalizer removal as the worker would, and sync again until nothing moves."""
    result = run(job, pods, now)
    for _ in range(5):
        if not result.strip_finalizers:
            break
        for pod in pods:
            if pod["metadata"]["name"] in result.strip_finalizers:
                pod["metadata"]["finalizers"] = []
        result = run(job, pods, now)
    return result


def conditions(job: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(c["type"], c["status"], c.get("reason", "")) for c in job["status"].get("conditions", [])]


def test_sync_creates_one_pod_and_sets_start_time() -> None:
    job = make_job()
    result = run(job, [], T0)
    assert len(result.create) == 1
    pod = result.create[0]
    assert pod["metadata"]["generateName"] == "job-"
    assert pod["metadata"]["ownerReferences"][0]["uid"] == UID
    assert TRACKING_FINALIZER in pod["metadata"]["finalizers"]
    assert pod["metadata"]["labels"]["batch.kubernetes.io/job-name"] == "job"
    assert [(e.reason, e.message) for e in result.events] == [
        ("SuccessfulCreate", f"Created pod: {pod['metadata']['name']}")
    ]
    assert job["status"]["startTime"] == format_time(T0)
    assert job["status"]["active"] == 1
    assert job["status"]["ready"] == 0 and job["status"]["terminating"] == 0


def test_pod_names_use_the_api_server_alphabet() -> None:
    job = make_job(parallelism=40, completions=40)
    pods = sync_job(job, [], T0).create
    assert len(pods) == 40
    for pod in pods:
        suffix_part = pod["metadata"]["name"][len("job-") :]
        assert len(suffix_part) == 5
        assert set(suffix_part) <= set(NAME_ALPHABET)


def test_success_is_two_steps_then_complete() -> None:
    job = make_job()
    pod = run(job, [], T0).create[0]
    done = finish(pod, "Succeeded", T0 + 5)
    pods = [done]
    first = run(job, pods, T0 + 6)
    # The pod is first recorded as uncounted, then its finalizer is removed.
    assert job["status"]["uncountedTerminatedPods"] == {"succeeded": [pod["metadata"]["uid"]]}
    assert first.strip_finalizers == [pod["metadata"]["name"]]
    assert "Complete" not in [c[0] for c in conditions(job)]
    pods[0]["metadata"]["finalizers"] = []
    second = run(job, pods, T0 + 7)
    assert job["status"]["succeeded"] == 1
    assert conditions(job) == [
        ("SuccessCriteriaMet", "True", "CompletionsReached"),
        ("Complete", "True", "CompletionsReached"),
    ]
    assert find_condition(job, "Complete")["message"] == "Reached expected number of succeeded pods"
    assert job["status"]["completionTime"] == format_time(T0 + 7)
    assert [e.reason for e in second.events] == ["Completed"]
    assert "active" not in job["status"]
    assert job["status"]["uncountedTerminatedPods"] == {}


def test_finished_job_is_left_alone() -> None:
    job = make_job()
    pod = run(job, [], T0).create[0]
    settle(job, [finish(pod, "Succeeded", T0 + 1)], T0 + 2)
    before = copy.deepcopy(job["status"])
    result = run(job, [], T0 + 100)
    assert result.create == [] and result.events == [] and job["status"] == before


@pytest.mark.parametrize(
    ("parallelism", "completions", "expected"), [(3, 5, 3), (5, 2, 2), (2, None, 2), (0, 4, 0)]
)
def test_never_more_active_pods_than_parallelism(
    parallelism: int, completions: int | None, expected: int
) -> None:
    job = make_job(parallelism=parallelism, completions=completions)
    assert len(run(job, [], T0).create) == expected


def test_completions_zero_completes_at_once_without_pods() -> None:
    job = make_job(completions=0)
    result = run(job, [], T0)
    assert result.create == []
    assert [c[0] for c in conditions(job)] == ["SuccessCriteriaMet", "Complete"]


def test_parallelism_zero_idles_running_without_condition() -> None:
    job = make_job(parallelism=0, completions=3)
    result = run(job, [], T0)
    assert result.create == [] and conditions(job) == []


def test_work_queue_stops_creating_after_first_success() -> None:
    job = make_job(parallelism=2, completions=None)
    first, second = run(job, [], T0).create
    pods = [finish(first, "Succeeded", T0 + 1), second]
    result = settle(job, pods, T0 + 2)
    assert result.create == []
    assert "Complete" not in [c[0] for c in conditions(job)]
    pods[1] = finish(second, "Succeeded", T0 + 3)
    settle(job, pods, T0 + 4)
    assert [c[0] for c in conditions(job)] == ["SuccessCriteriaMet", "Complete"]
    assert job["status"]["succeeded"] == 2


def test_failed_pod_is_replaced_after_backoff() -> None:
    job = make_job()
    pod = run(job, [], T0).create[0]
    pods = [finish(pod, "Failed", T0 + 1, exit_code=1)]
    result = settle(job, pods, T0 + 2)
    assert result.create == []
    assert result.requeue_at == T0 + 1 + 10
    assert job["status"]["failed"] == 1
    later = run(job, pods, T0 + 11)
    assert len(later.create) == 1


@pytest.mark.parametrize(("failures", "delay"), [(1, 10), (2, 20), (3, 40), (6, 320), (7, 600), (12, 600)])
def test_pod_failure_backoff_doubles_and_caps(failures: int, delay: float) -> None:
    assert controller.pod_failure_backoff(failures) == delay


def test_backoff_limit_exceeded_fails_after_limit_plus_one() -> None:
    job = make_job(backoffLimit=1)
    pods: list[dict[str, Any]] = []
    now = T0
    for _ in range(2):
        created = settle(job, pods, now).create
        assert len(created) == 1, conditions(job)
        pods.append(finish(created[0], "Failed", now + 1, exit_code=1))
        now += 1000
    result = settle(job, pods, now)
    assert job["status"]["failed"] == 2
    assert conditions(job) == [
        ("FailureTarget", "True", "BackoffLimitExceeded"),
        ("Failed", "True", "BackoffLimitExceeded"),
    ]
    assert find_condition(job, "Failed")["message"] == "Job has reached the specified backoff limit"
    assert "completionTime" not in job["status"]
    assert ("Warning", "BackoffLimitExceeded") in [(e.type, e.reason) for e in result.events]


def test_deadline_fails_job_and_deletes_running_pods_as_failed() -> None:
    job = make_job(parallelism=2, completions=4, activeDeadlineSeconds=5)
    created = run(job, [], T0).create
    assert run(job, created, T0 + 1).requeue_at == T0 + 5
    result = run(job, created, T0 + 5)
    assert [c[0] for c in conditions(job)] == ["FailureTarget"]
    assert sorted(d.name for d in result.delete) == sorted(p["metadata"]["name"] for p in created)
    assert all(d.count for d in result.delete)
    # Once the deleted pods are gone and counted, the terminal condition follows.
    gone = [finish(p, "Failed", T0 + 6, exit_code=143) for p in created]
    for pod in gone:
        pod["metadata"]["deletionTimestamp"] = format_time(T0 + 35)
    settle(job, gone, T0 + 7)
    assert [c[0] for c in conditions(job)] == ["FailureTarget", "Failed"]
    assert find_condition(job, "Failed")["reason"] == "DeadlineExceeded"
    assert job["status"]["failed"] == 2


@pytest.mark.parametrize("policy", ["Failed", "TerminatingOrFailed"])
def test_a_failing_jobs_unfinished_pods_count_as_failed_at_once_whatever_they_end_with(policy: str) -> None:
    """trackJobStatusAndRemoveFinalizers: with the job to fail, a pod still running is counted failed
    and let go in that very sync; that it then traps SIGTERM and exits 0 is no success of the job's."""
    job = make_job(parallelism=1, completions=1, activeDeadlineSeconds=5, podReplacementPolicy=policy)
    created = run(job, [], T0).create
    result = run(job, created, T0 + 5)
    assert [c[0] for c in conditions(job)] == ["FailureTarget"]
    uid = created[0]["metadata"]["uid"]
    assert job["status"]["uncountedTerminatedPods"] == {"failed": [uid]}
    assert result.strip_finalizers == [created[0]["metadata"]["name"]]
    ended = finish(created[0], "Succeeded", T0 + 6)
    ended["metadata"]["finalizers"] = []
    ended["metadata"]["deletionTimestamp"] = format_time(T0 + 35)
    settle(job, [ended], T0 + 7)
    assert [c[0] for c in conditions(job)] == ["FailureTarget", "Failed"]
    assert (job["status"].get("succeeded", 0), job["status"]["failed"]) == (0, 1)


def test_suspended_job_makes_no_pods_and_has_condition() -> None:
    job = make_job(suspend=True)
    result = run(job, [], T0)
    assert result.create == []
    assert conditions(job) == [("Suspended", "True", "JobSuspended")]
    assert "startTime" not in job["status"]
    assert [e.reason for e in result.events] == ["Suspended"]


def test_resume_flips_condition_and_resets_start_time() -> None:
    job = make_job(suspend=True)
    run(job, [], T0)
    job["spec"]["suspend"] = False
    result = run(job, [], T0 + 50)
    assert conditions(job) == [("Suspended", "False", "JobResumed")]
    assert job["status"]["startTime"] == format_time(T0 + 50)
    # After the pods it makes, as syncJob records it once manageJob has run.
    assert [e.reason for e in result.events] == ["SuccessfulCreate", "Resumed"]
    assert len(result.create) == 1


def test_suspending_running_job_deletes_pods_without_counting() -> None:
    job = make_job(parallelism=2, completions=2)
    created = run(job, [], T0).create
    job["spec"]["suspend"] = True
    result = run(job, created, T0 + 1)
    assert len(result.delete) == 2 and not any(d.count for d in result.delete)
    assert [e.reason for e in result.events] == ["SuccessfulDelete", "SuccessfulDelete", "Suspended"]


def test_user_deleted_pod_counts_failed_and_is_replaced_after_the_back_off() -> None:
    """isPodFailed takes a pod deleted unfinished for a failure: counted, and its replacement waits out
    the back-off from when it was deleted (its deletionTimestamp less its grace period)."""
    job = make_job()
    pod = run(job, [], T0).create[0]
    pod["metadata"].update(deletionTimestamp=format_time(T0 + 31), deletionGracePeriodSeconds=30)
    result = run(job, [pod], T0 + 2)
    assert job["status"]["uncountedTerminatedPods"] == {"failed": [pod["metadata"]["uid"]]}
    assert (result.create, result.requeue_at) == ([], T0 + 11)
    assert len(run(job, [pod], T0 + 11).create) == 1


def test_indexed_job_fills_lowest_indexes_and_tracks_completed() -> None:
    job = make_job(completionMode="Indexed", parallelism=2, completions=5)
    created = run(job, [], T0).create
    assert [p["metadata"]["annotations"][COMPLETION_INDEX_KEY] for p in created] == ["0", "1"]
    assert created[0]["metadata"]["name"].startswith("job-0-")
    assert created[0]["spec"]["hostname"] == "job-0"
    env = created[0]["spec"]["containers"][0]["env"]
    assert env[-1]["name"] == "JOB_COMPLETION_INDEX"
    pods = [finish(created[1], "Succeeded", T0 + 1), created[0]]
    result = settle(job, pods, T0 + 2)
    assert job["status"]["completedIndexes"] == "1"
    assert job["status"]["succeeded"] == 1
    assert [p["metadata"]["annotations"][COMPLETION_INDEX_KEY] for p in result.create] == ["2"]


def test_an_indexed_job_scaled_down_forgets_the_indexes_beyond_its_completions() -> None:
    """Indexes 2 and 3 done, 0 and 1 still running; scaled down to two completions, the job has done
    none of what is now asked (succeededIndexesFromString reads only indexes below completions): it
    keeps its running pods and is not complete."""
    job = make_job(completionMode="Indexed", parallelism=4, completions=4)
    created = run(job, [], T0).create
    pods = [
        created[0],
        created[1],
        finish(created[2], "Succeeded", T0 + 1),
        finish(created[3], "Succeeded", T0 + 1),
    ]
    settle(job, pods, T0 + 2)
    assert (job["status"]["completedIndexes"], job["status"]["succeeded"]) == ("2,3", 2)
    job["spec"].update(completions=2, parallelism=2)
    result = settle(job, pods, T0 + 3)
    assert (job["status"]["completedIndexes"], job["status"].get("succeeded", 0)) == ("", 0)
    assert conditions(job) == []
    assert created[0]["metadata"]["name"] not in [d.name for d in result.delete]
    assert created[1]["metadata"]["name"] not in [d.name for d in result.delete]
    done = [finish(created[0], "Succeeded", T0 + 4), finish(created[1], "Succeeded", T0 + 4), *pods[2:]]
    settle(job, done, T0 + 5)
    assert (job["status"]["completedIndexes"], job["status"]["succeeded"]) == ("0,1", 2)
    assert ("Complete", "True", "CompletionsReached") in conditions(job)


@pytest.mark.parametrize(
    ("indexes", "text"),
    [(set(), ""), ({0, 1}, "0,1"), ({1, 3, 4, 5, 7}, "1,3-5,7"), ({0, 1, 2}, "0-2"), ({2, 0}, "0,2")],
)
def test_completed_indexes_interval_format(indexes: set[int], text: str) -> None:
    assert format_indexes(indexes) == text
    assert parse_indexes(text) == indexes


def test_on_failure_job_fails_when_restarts_reach_backoff_limit() -> None:
    job = make_job(backoffLimit=2)
    job["spec"]["template"]["spec"]["restartPolicy"] = "OnFailure"
    pod = run(job, [], T0).create[0]
    pod["status"] = {"phase": "Running", "containerStatuses": [{"name": "c", "restartCount": 2, "state": {}}]}
    run(job, [pod], T0 + 30)
    assert conditions(job)[0][:2] == ("FailureTarget", "True")
    assert conditions(job)[0][2] == "BackoffLimitExceeded"


# ---------------------------------------------------------------- policies


def fail_job_rule(action: str, codes: list[int], operator: str = "In") -> dict[str, Any]:
    return {"rules": [{"action": action, "onExitCodes": {"operator": operator, "values": codes}}]}


def test_pod_failure_policy_fail_job_fails_at_once() -> None:
    job = make_job(parallelism=2, completions=4, podFailurePolicy=fail_job_rule("FailJob", [1]))
    first, second = run(job, [], T0).create
    pods = [finish(first, "Failed", T0 + 1, exit_code=1), second]
    result = settle(job, pods, T0 + 2)
    cond = find_condition(job, "FailureTarget")
    assert cond["reason"] == "PodFailurePolicy"
    assert cond["message"] == (
        f"Container c for pod default/{first['metadata']['name']} failed with exit code 1 matching FailJob rule at index 0"
    )
    assert [d.name for d in result.delete] == [second["metadata"]["name"]]


def test_pod_failure_policy_ignore_does_not_count_but_backs_off() -> None:
    """An ignored failure counts toward no limit, but its replacement still waits out the back-off
    (kubernetes#119378: fast retries would overwhelm the control plane)."""
    job = make_job(backoffLimit=0, podFailurePolicy=fail_job_rule("Ignore", [42]))
    pod = run(job, [], T0).create[0]
    pods = [finish(pod, "Failed", T0 + 1, exit_code=42)]
    result = settle(job, pods, T0 + 1)
    assert "failed" not in job["status"]
    assert conditions(job) == []
    assert result.create == [] and result.requeue_at == T0 + 11
    assert len(settle(job, pods, T0 + 11).create) == 1


def test_a_failure_no_later_than_the_last_success_does_not_back_off() -> None:
    """newBackoffRecord counts only failures after the last success (`!failedTime.After(lastSuccess)`)."""
    job = make_job(parallelism=2, completions=3)
    a, b = run(job, [], T0).create
    pods = [finish(a, "Succeeded", T0 + 5), finish(b, "Failed", T0 + 5, exit_code=1)]
    assert len(settle(job, pods, T0 + 6).create) == 2


def test_pod_failure_policy_count_and_unmatched_count_as_usual() -> None:
    job = make_job(backoffLimit=0, podFailurePolicy=fail_job_rule("Ignore", [42]))
    pod = run(job, [], T0).create[0]
    settle(job, [finish(pod, "Failed", T0 + 1, exit_code=3)], T0 + 2)
    assert job["status"]["failed"] == 1
    assert [c[0] for c in conditions(job)] == ["FailureTarget", "Failed"]


def test_pod_replacement_policy_failed_waits_for_the_pod_to_fail() -> None:
    job = make_job(backoffLimit=1, podReplacementPolicy="Failed")
    pod = run(job, [], T0).create[0]
    pod["status"] = {"phase": "Running"}
    pod["metadata"]["deletionTimestamp"] = format_time(T0 + 31)
    result = settle(job, [pod], T0 + 1)
    assert result.create == []
    assert (job["status"].get("active", 0), job["status"].get("failed", 0), job["status"]["terminating"]) == (
        0,
        0,
        1,
    )
    gone = finish(pod, "Failed", T0 + 6, exit_code=143)
    result = settle(job, [gone], T0 + 20)
    assert job["status"]["failed"] == 1
    assert len(result.create) == 1


def per_index_job(**spec: Any) -> dict[str, Any]:
    return make_job(completionMode="Indexed", backoffLimit=2147483647, **spec)


def test_backoff_limit_per_index_marks_index_failed_and_annotates_counts() -> None:
    job = per_index_job(parallelism=2, completions=2, backoffLimitPerIndex=1)
    created = run(job, [], T0).create
    assert [p["metadata"]["annotations"]["batch.kubernetes.io/job-index-failure-count"] for p in created] == [
        "0",
        "0",
    ]
    pods = [finish(p, "Failed", T0 + 1, exit_code=1) for p in created]
    retry = settle(job, pods, T0 + 12).create
    assert [p["metadata"]["annotations"]["batch.kubernetes.io/job-index-failure-count"] for p in retry] == [
        "1",
        "1",
    ]
    pods += [finish(p, "Failed", T0 + 13, exit_code=1) for p in retry]
    settle(job, pods, T0 + 40)
    assert job["status"]["failedIndexes"] == "0,1"
    assert job["status"]["completedIndexes"] == ""
    assert job["status"]["failed"] == 4
    assert conditions(job) == [
        ("FailureTarget", "True", "FailedIndexes"),
        ("Failed", "True", "FailedIndexes"),
    ]
    assert find_condition(job, "Failed")["message"] == "Job has failed indexes"


def test_failed_indexes_run_the_rest_then_fail() -> None:
    # failOddSucceedEven, p=2 c=4, backoffLimitPerIndex 0: indexes 1 and 3 fail, 0 and 2 succeed.
    job = per_index_job(parallelism=2, completions=4, backoffLimitPerIndex=0)
    pods: list[dict[str, Any]] = []
    now = T0
    for _ in range(6):
        created = settle(job, pods, now).create
        for pod in created:
            idx = int(pod["metadata"]["annotations"][COMPLETION_INDEX_KEY])
            pods.append(finish(pod, "Failed" if idx % 2 else "Succeeded", now + 1, exit_code=idx % 2))
        now += 100
    assert job["status"]["failedIndexes"] == "1,3"
    assert job["status"]["completedIndexes"] == "0,2"
    assert (job["status"]["failed"], job["status"]["succeeded"]) == (2, 2)
    assert find_condition(job, "Failed")["reason"] == "FailedIndexes"


def test_max_failed_indexes_fails_early() -> None:
    job = per_index_job(parallelism=1, completions=4, backoffLimitPerIndex=0, maxFailedIndexes=0)
    pod = run(job, [], T0).create[0]
    settle(job, [finish(pod, "Failed", T0 + 1, exit_code=1)], T0 + 2)
    assert job["status"]["failedIndexes"] == "0"
    assert find_condition(job, "Failed")["reason"] == "MaxFailedIndexesExceeded"
    assert (
        find_condition(job, "Failed")["message"]
        == "Job has exceeded the specified maximal number of failed indexes"
    )


def test_fail_index_rule_fails_only_that_index() -> None:
    job = per_index_job(
        parallelism=2, completions=2, backoffLimitPerIndex=1, podFailurePolicy=fail_job_rule("FailIndex", [1])
    )
    zero, one = run(job, [], T0).create
    pods = [finish(zero, "Succeeded", T0 + 1), finish(one, "Failed", T0 + 1, exit_code=1)]
    result = settle(job, pods, T0 + 2)
    assert result.create == []  # no retry of index 1
    assert (job["status"]["failedIndexes"], job["status"]["completedIndexes"]) == ("1", "0")
    assert find_condition(job, "Failed")["reason"] == "FailedIndexes"


def test_success_policy_succeeded_indexes_finishes_with_pods_pending() -> None:
    job = make_job(
        completionMode="Indexed",
        parallelism=2,
        completions=5,
        successPolicy={"rules": [{"succeededIndexes": "0"}]},
    )
    zero, one = run(job, [], T0).create
    result = settle(job, [finish(zero, "Succeeded", T0 + 1), one], T0 + 2)
    assert find_condition(job, "SuccessCriteriaMet")["reason"] == "SuccessPolicy"
    assert find_condition(job, "SuccessCriteriaMet")["message"] == "Matched rules at index 0"
    assert [(d.name, d.count) for d in result.delete] == [(one["metadata"]["name"], False)]
    one_gone = finish(one, "Failed", T0 + 3, exit_code=143)
    one_gone["metadata"]["finalizers"] = []  # removed without counting, as the worker does
    settle(job, [finish(zero, "Succeeded", T0 + 1), one_gone], T0 + 4)
    assert [c[:3] for c in conditions(job)] == [
        ("SuccessCriteriaMet", "True", "SuccessPolicy"),
        ("Complete", "True", "SuccessPolicy"),
    ]
    assert job["status"]["succeeded"] == 1 and "failed" not in job["status"]


def test_success_policy_succeeded_count() -> None:
    job = make_job(
        completionMode="Indexed",
        parallelism=2,
        completions=5,
        successPolicy={"rules": [{"succeededCount": 1}]},
    )
    zero, one = run(job, [], T0).create
    settle(job, [finish(one, "Succeeded", T0 + 1), zero], T0 + 2)
    assert find_condition(job, "SuccessCriteriaMet")["message"] == "Matched rules at index 0"


def test_job_managed_elsewhere_is_left_alone() -> None:
    job = make_job(managedBy="example.com/custom-job-controller")
    result = run(job, [], T0)
    assert result.create == [] and job["status"] == {}


def test_duplicate_pod_of_an_index_is_deleted() -> None:
    job = make_job(completionMode="Indexed", parallelism=1, completions=2)
    pod = run(job, [], T0).create[0]
    twin = copy.deepcopy(pod)
    twin["metadata"]["name"] += "x"
    twin["metadata"]["uid"] += "x"
    twin["metadata"]["creationTimestamp"] = format_time(T0 + 1)
    result = run(job, [pod, twin], T0 + 2)
    assert [(d.name, d.count) for d in result.delete] == [(twin["metadata"]["name"], False)]


def test_backoff_scale_shortens_the_delay() -> None:
    job = make_job()
    pod = run(job, [], T0).create[0]
    pods = [finish(pod, "Failed", T0 + 1, exit_code=1)]
    result = sync_job(job, pods, T0 + 1, suffix, backoff_scale=0.01)
    assert result.requeue_at == pytest.approx(T0 + 1.1)


def test_a_pods_containers_request_what_they_limit_unless_they_say() -> None:
    """SetDefaults_Pod: limits without requests become requests too, per resource, for init and main
    containers; a request given stays; the job's template is not touched (a template is not
    defaulted so)."""
    job = make_job()
    spec = job["spec"]["template"]["spec"]
    spec["initContainers"] = [{"name": "i", "image": "x", "resources": {"limits": {"memory": "10Mi"}}}]
    spec["containers"][0]["resources"] = {
        "limits": {"cpu": "1", "memory": "100Mi"},
        "requests": {"cpu": "250m"},
    }
    spec["containers"].append({"name": "d", "image": "x"})
    template = copy.deepcopy(job["spec"]["template"])
    pod = controller.new_pod(job, T0, None, suffix)
    init, main, plain = pod["spec"]["initContainers"][0], *pod["spec"]["containers"]
    assert init["resources"] == {"limits": {"memory": "10Mi"}, "requests": {"memory": "10Mi"}}
    assert main["resources"]["requests"] == {"cpu": "250m", "memory": "100Mi"}
    assert "resources" not in plain
    assert pod["status"]["qosClass"] == "Burstable"
    assert job["spec"]["template"] == template


def test_pods_the_controller_deleted_itself_are_no_failures_for_the_back_off() -> None:
    """Suspended, then resumed while the pods it deleted still terminate: the real controller took
    their tracking finalizer off as it deleted them, and counts into its back-off record only pods
    that have one, so the new pods come at once (the worker passes those pods' uids as `spared`). A
    pod deleted by someone else is a failure, and waits out the back-off as before."""
    job = make_job(parallelism=3, completions=10)
    pods = run(job, [], T0).create
    for pod in pods:
        pod["metadata"]["finalizers"] = []
        pod["metadata"]["deletionTimestamp"] = format_time(T0 + 31)
        pod["metadata"]["deletionGracePeriodSeconds"] = 30
    uids = frozenset(p["metadata"]["uid"] for p in pods)
    result = sync_job(job, pods, T0 + 2, suffix, spared=uids)
    assert (len(result.create), result.requeue_at) == (3, None)
    result = sync_job(job, pods, T0 + 2, suffix)
    assert result.create == [] and result.requeue_at is not None
