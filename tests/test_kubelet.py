"""The kubelet's decisions for one pod, with container runs observed through a fake: no processes."""

from __future__ import annotations

import copy
import os
from typing import Any

import pytest

from kjob import kubelet
from kjob.kubelet import (
    container_argv,
    container_env,
    container_vars,
    expand,
    go_duration,
    restart_backoff,
    sync_pod,
)
from kjob.objects import format_time
from kjob.runtime import RunState, process_start_time

T0 = 1_800_000_000.0
ME = os.getpid()
MY_START = process_start_time(ME)


def make_pod(
    policy: str = "Never", containers: list[dict[str, Any]] | None = None, **spec: Any
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "job-abcde", "namespace": "default", "uid": "u-1", "labels": {"app": "x"}},
        "spec": {
            "containers": containers or [{"name": "c", "image": "busybox", "command": ["true"]}],
            "restartPolicy": policy,
            **spec,
        },
        "status": {"phase": "Pending"},
    }


class Runs:
    """A fake runtime: which (container, attempt) runs exist, and how they ended."""

    def __init__(self) -> None:
        self.states: dict[tuple[str, int], RunState] = {}

    def launched(self, name: str, attempt: int = 0) -> None:
        self.states[(name, attempt)] = RunState(launched=True, launched_at=T0)

    def running(self, name: str, attempt: int = 0) -> None:
        self.states[(name, attempt)] = RunState(
            launched=True, launched_at=T0, shim_pid=ME, shim_start=MY_START, pid=ME, started_at=T0
        )

    def exited(self, name: str, code: int, at: float, attempt: int = 0) -> None:
        self.states[(name, attempt)] = RunState(
            launched=True,
            launched_at=T0,
            pid=1,
            started_at=T0,
            exit={
                "exitCode": code,
                "reason": "Completed" if code == 0 else "Error",
                "finishedAt": at,
                "startedAt": T0,
            },
        )

    def __call__(self, name: str, attempt: int) -> RunState:
        return self.states.get((name, attempt), RunState(launched=False))


def step(pod: dict[str, Any], runs: Runs, now: float) -> kubelet.PodSync:
    before = copy.deepcopy(pod)
    result = sync_pod(pod, runs, now, "node-1")
    assert pod == before, "sync_pod changed the pod it was given"  # the worker compares the two
    pod["status"] = result.status
    if result.node_name:
        pod["spec"]["nodeName"] = result.node_name
    return result


def state_of(pod: dict[str, Any], i: int = 0) -> dict[str, Any]:
    return pod["status"]["containerStatuses"][i]["state"]


def test_new_pod_is_bound_and_its_container_launched() -> None:
    pod, runs = make_pod(), Runs()
    result = step(pod, runs, T0)
    assert result.node_name == "node-1"
    assert [(launch.container, launch.attempt) for launch in result.launch] == [("c", 0)]
    assert [e.reason for e in result.events] == ["Scheduled", "Pulled", "Created", "Started"]
    assert result.events[0].source == "default-scheduler"
    assert result.events[0].message == "Successfully assigned default/job-abcde to node-1"
    assert pod["status"]["phase"] == "Pending"
    assert state_of(pod) == {"waiting": {"reason": "ContainerCreating"}}
    assert pod["status"]["podIP"] == "127.0.0.1" and pod["status"]["hostIP"] == "127.0.0.1"


def test_running_then_succeeded() -> None:
    pod, runs = make_pod(), Runs()
    step(pod, runs, T0)
    runs.running("c")
    result = step(pod, runs, T0 + 1)
    assert result.launch == []
    assert pod["status"]["phase"] == "Running"
    assert state_of(pod) == {"running": {"startedAt": format_time(T0)}}
    ready = {c["type"]: c["status"] for c in pod["status"]["conditions"]}
    assert ready["Ready"] == "True" and ready["ContainersReady"] == "True"
    runs.exited("c", 0, T0 + 5)
    step(pod, runs, T0 + 6)
    assert pod["status"]["phase"] == "Succeeded"
    term = state_of(pod)["terminated"]
    assert (term["exitCode"], term["reason"], term["finishedAt"]) == (0, "Completed", format_time(T0 + 5))
    conds = {c["type"]: (c["status"], c.get("reason")) for c in pod["status"]["conditions"]}
    assert conds["Ready"] == ("False", "PodCompleted")


def test_failed_container_with_never_fails_the_pod() -> None:
    pod, runs = make_pod(), Runs()
    step(pod, runs, T0)
    runs.exited("c", 2, T0 + 1)
    result = step(pod, runs, T0 + 2)
    assert pod["status"]["phase"] == "Failed"
    assert result.launch == []


def test_multi_container_pod_fails_only_after_all_stop() -> None:
    two = [
        {"name": "a", "image": "x", "command": ["false"]},
        {"name": "b", "image": "x", "command": ["sleep", "9"]},
    ]
    pod, runs = make_pod(containers=two), Runs()
    step(pod, runs, T0)
    runs.exited("a", 1, T0 + 1)
    runs.running("b")
    step(pod, runs, T0 + 2)
    assert pod["status"]["phase"] == "Running"
    runs.exited("b", 0, T0 + 3)
    step(pod, runs, T0 + 4)
    assert pod["status"]["phase"] == "Failed"


def test_on_failure_restarts_at_once_then_backs_off() -> None:
    pod, runs = make_pod("OnFailure"), Runs()
    step(pod, runs, T0)
    runs.exited("c", 1, T0 + 1)
    first = step(pod, runs, T0 + 1)
    # The first restart is immediate; the image is looked at again for it (EnsureImageExists runs before
    # every start of a container).
    assert [(launch.container, launch.attempt) for launch in first.launch] == [("c", 1)]
    assert [e.reason for e in first.events] == ["Pulled", "Created", "Started"]
    cs = pod["status"]["containerStatuses"][0]
    assert cs["restartCount"] == 1
    assert cs["lastState"]["terminated"]["exitCode"] == 1
    runs.exited("c", 1, T0 + 2, attempt=1)
    second = step(pod, runs, T0 + 2)
    assert second.launch == []
    waiting = state_of(pod)["waiting"]
    assert waiting["reason"] == "CrashLoopBackOff"
    assert waiting["message"] == "back-off 10s restarting failed container=c pod=job-abcde_default(u-1)"
    assert second.requeue_at == T0 + 12
    assert [e.reason for e in second.events] == ["BackOff"]
    assert pod["status"]["phase"] == "Running"
    # The status names the last container that ran, as its lastState does, though none was seen running.
    cs = pod["status"]["containerStatuses"][0]
    assert (
        cs["containerID"] == cs["lastState"]["terminated"]["containerID"] == kubelet.container_id(pod, "c", 1)
    )
    third = step(pod, runs, T0 + 12)
    assert [(launch.container, launch.attempt) for launch in third.launch] == [("c", 2)]


@pytest.mark.parametrize(("restarts", "delay"), [(0, 0), (1, 10), (2, 20), (5, 160), (6, 300), (9, 300)])
def test_restart_backoff_doubles_to_five_minutes(restarts: int, delay: float) -> None:
    assert restart_backoff(restarts) == delay


def test_go_duration() -> None:
    assert [go_duration(s) for s in (10, 80, 300, 3600)] == ["10s", "1m20s", "5m0s", "1h0m0s"]


def test_deleted_pod_stops_running_containers_once() -> None:
    pod, runs = make_pod(), Runs()
    step(pod, runs, T0)
    runs.running("c")
    step(pod, runs, T0 + 1)
    pod["metadata"]["deletionTimestamp"] = format_time(T0 + 31)
    pod["metadata"]["deletionGracePeriodSeconds"] = 30
    stopping: set[str] = set()
    result = sync_pod(pod, runs, T0 + 2, "node-1", stopping)
    assert [(s.container, s.grace) for s in result.stop] == [("c", 30.0)]
    assert [(e.reason, e.message) for e in result.events] == [("Killing", "Stopping container c")]
    stopping.add("c")
    again = sync_pod(copy.deepcopy(pod), runs, T0 + 3, "node-1", stopping)
    assert again.events == []


def test_a_pod_past_its_active_deadline_fails_and_its_containers_are_stopped() -> None:
    """The kubelet's active deadline handler: counted from the pod's startTime; the pod is Failed at
    once with DeadlineExceeded, its containers killed with its grace period, and never restarted."""
    pod, runs = make_pod("OnFailure", activeDeadlineSeconds=5, terminationGracePeriodSeconds=3), Runs()
    step(pod, runs, T0)
    runs.running("c")
    before = step(pod, runs, T0 + 1)
    assert pod["status"]["phase"] == "Running" and before.requeue_at == T0 + 5  # asked back at the deadline
    stopping: set[str] = set()
    result = sync_pod(copy.deepcopy(pod), runs, T0 + 5, "node-1", stopping)
    pod["status"] = result.status
    assert (pod["status"]["phase"], pod["status"]["reason"], pod["status"]["message"]) == (
        "Failed",
        "DeadlineExceeded",
        "Pod was active on the node longer than the specified deadline",
    )
    assert [(e.type, e.reason) for e in result.events] == [
        ("Normal", "DeadlineExceeded"),
        ("Normal", "Killing"),
    ]
    assert [(s.container, s.grace) for s in result.stop] == [("c", 3.0)]
    conds = {c["type"]: (c["status"], c.get("reason")) for c in pod["status"]["conditions"]}
    assert conds["Ready"] == ("False", "PodFailed")
    # Still the kubelet's while its container stops: the exit is recorded, nothing restarts.
    stopping.add("c")
    runs.exited("c", 143, T0 + 6)
    result = step(pod, runs, T0 + 7)
    assert (result.launch, result.events) == ([], [])
    assert pod["status"]["phase"] == "Failed" and state_of(pod)["terminated"]["exitCode"] == 143
    assert step(pod, runs, T0 + 8).status == pod["status"]  # done: nothing moves


def _conditions(pod: dict[str, Any]) -> dict[str, tuple[str, str | None, str | None]]:
    return {c["type"]: (c["status"], c.get("reason"), c.get("message")) for c in pod["status"]["conditions"]}


def test_pod_conditions_say_which_containers_hold_them_back() -> None:
    """GeneratePodInitializedCondition and GenerateContainersReadyCondition: reasons and messages,
    a succeeded pod Initialized with PodCompleted; a transition time moves with the status only."""
    inits = [
        {"name": "i1", "image": "x", "command": ["true"]},
        {"name": "i2", "image": "x", "command": ["true"]},
    ]
    pod, runs = make_pod(initContainers=inits), Runs()
    step(pod, runs, T0)
    assert _conditions(pod)["Initialized"] == (
        "False",
        "ContainersNotInitialized",
        "containers with incomplete status: [i1 i2]",
    )
    assert _conditions(pod)["Ready"] == ("False", "ContainersNotReady", "containers with unready status: [c]")
    for name in ("i1", "i2"):
        runs.exited(name, 0, T0 + 1)
    step(pod, runs, T0 + 2)
    runs.running("c")
    step(pod, runs, T0 + 3)
    assert _conditions(pod)["Initialized"] == ("True", None, None)
    assert _conditions(pod)["ContainersReady"] == ("True", None, None)
    runs.exited("c", 0, T0 + 4)
    step(pod, runs, T0 + 5)
    assert _conditions(pod)["Initialized"] == ("True", "PodCompleted", None)
    assert _conditions(pod)["Ready"] == ("False", "PodCompleted", None)
    initialized = next(c for c in pod["status"]["conditions"] if c["type"] == "Initialized")
    assert initialized["lastTransitionTime"] == format_time(T0 + 2)  # True since then: only its reason moved


def test_a_failed_pod_whose_sidecar_still_runs_stays_failed() -> None:
    """Only a pod failed past its deadline is synced again while a container runs: any other failed
    pod's phase is settled, and a sidecar still running does not make it Running again."""
    sidecar = {"name": "side", "image": "x", "command": ["sleep", "60"], "restartPolicy": "Always"}
    pod, runs = make_pod(initContainers=[sidecar]), Runs()
    pod["status"] = {
        "phase": "Failed",
        "initContainerStatuses": [{"name": "side", "state": {"running": {"startedAt": format_time(T0)}}}],
        "containerStatuses": [{"name": "c", "state": {"terminated": {"exitCode": 1}}}],
    }
    pod["spec"]["nodeName"] = "node-1"
    result = sync_pod(copy.deepcopy(pod), runs, T0 + 1, "node-1")
    assert result.status == pod["status"] and (result.launch, result.events) == ([], [])


def test_container_without_command_waits_with_create_container_error() -> None:
    pod, runs = make_pod(containers=[{"name": "c", "image": "busybox"}]), Runs()
    result = step(pod, runs, T0)
    assert result.launch == []
    waiting = state_of(pod)["waiting"]
    assert waiting["reason"] == "CreateContainerError"
    assert 'container "c" has no command' in waiting["message"]
    assert pod["status"]["phase"] == "Pending"


def test_missing_secret_is_create_container_config_error() -> None:
    c = {"name": "c", "image": "x", "command": ["true"]}
    c["env"] = [{"name": "T", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "t"}}}]
    pod, runs = make_pod(containers=[c]), Runs()
    result = step(pod, runs, T0)
    assert state_of(pod)["waiting"] == {
        "reason": "CreateContainerConfigError",
        "message": 'secret "creds" not found',
    }
    # The image is looked at first, then the config fails (startContainer's order); said once.
    assert [(e.reason, e.message) for e in result.events[1:]] == [
        ("Pulled", 'Container image "x" already present on machine'),
        ("Failed", 'Error: secret "creds" not found'),
    ]
    assert step(pod, runs, T0 + 1).events == []


@pytest.mark.parametrize(
    ("ref", "value"),
    [
        ({"resource": "limits.cpu"}, "1"),  # 200m, rounded up to whole cores
        ({"resource": "limits.cpu", "divisor": "1m"}, "200"),
        ({"resource": "limits.memory"}, "67108864"),
        ({"resource": "limits.memory", "divisor": "1Mi"}, "64"),
        ({"resource": "requests.cpu", "divisor": "1m"}, "100"),
        ({"resource": "requests.memory"}, "67108864"),  # no request: its limit
        ({"resource": "limits.memory", "containerName": "side", "divisor": "1Ki"}, "32"),
        ({"resource": "requests.cpu", "containerName": "side"}, "0"),
        ({"resource": "limits.cpu", "containerName": "side"}, str(os.cpu_count() or 1)),  # the node's
    ],
)
def test_resource_field_refs_are_the_kubelets_numbers(ref: dict[str, str], value: str) -> None:
    main = {
        "name": "c",
        "image": "x",
        "command": ["true"],
        "resources": {"limits": {"cpu": "200m", "memory": "64Mi"}, "requests": {"cpu": "100m"}},
        "env": [{"name": "V", "valueFrom": {"resourceFieldRef": ref}}],
    }
    side = {"name": "side", "image": "x", "resources": {"limits": {"memory": "32Ki"}}}
    pod = make_pod(containers=[main, side])
    assert container_env(pod, main)["V"] == value


def test_vanished_shim_is_container_status_unknown() -> None:
    pod, runs = make_pod(), Runs()
    step(pod, runs, T0)
    runs.states[("c", 0)] = RunState(launched=True, launched_at=T0, shim_pid=2**22 + 7, shim_start=1, pid=5)
    step(pod, runs, T0 + 1)
    term = state_of(pod)["terminated"]
    assert (term["exitCode"], term["reason"]) == (137, "ContainerStatusUnknown")
    assert pod["status"]["phase"] == "Failed"


def test_init_containers_run_one_by_one_before_the_main_ones() -> None:
    inits = [
        {"name": "i1", "image": "x", "command": ["true"]},
        {"name": "i2", "image": "x", "command": ["true"]},
    ]
    pod, runs = make_pod(initContainers=inits), Runs()
    assert [launch.container for launch in step(pod, runs, T0).launch] == ["i1"]
    assert state_of(pod) == {"waiting": {"reason": "PodInitializing"}}
    runs.exited("i1", 0, T0 + 1)
    assert [launch.container for launch in step(pod, runs, T0 + 1).launch] == ["i2"]
    runs.exited("i2", 0, T0 + 2)
    assert [launch.container for launch in step(pod, runs, T0 + 2).launch] == ["c"]


def test_env_expansion_and_field_refs() -> None:
    c = {
        "name": "c",
        "image": "x",
        "command": ["echo", "$(A)", "$$(A)", "$(NOPE)"],
        "env": [
            {"name": "A", "value": "one"},
            {"name": "B", "value": "$(A)-two"},
            {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "APP", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}},
            {"name": "IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
        ],
    }
    pod = make_pod(containers=[c])
    env = container_env(pod, c)
    assert (env["A"], env["B"], env["POD"], env["APP"], env["IP"]) == (
        "one",
        "one-two",
        "job-abcde",
        "x",
        "127.0.0.1",
    )
    assert env["HOSTNAME"] == "job-abcde"
    assert container_argv(c, env) == ["echo", "one", "$(A)", "$(NOPE)"]
    assert expand("a$$b", {}) == "a$b"


def test_init_container_is_ready_only_once_it_succeeded() -> None:
    inits = [{"name": "i1", "image": "x", "command": ["true"]}]
    pod, runs = make_pod(initContainers=inits), Runs()
    step(pod, runs, T0)
    runs.running("i1")
    step(pod, runs, T0 + 1)
    assert pod["status"]["initContainerStatuses"][0]["ready"] is False
    runs.exited("i1", 0, T0 + 2)
    step(pod, runs, T0 + 2)
    assert pod["status"]["initContainerStatuses"][0]["ready"] is True


def test_terminated_state_has_no_signal_field() -> None:
    pod, runs = make_pod(), Runs()
    step(pod, runs, T0)
    runs.exited("c", 137, T0 + 1)
    runs.states[("c", 0)].exit["signal"] = 9  # the shim records it; the API status does not carry it
    step(pod, runs, T0 + 2)
    assert "signal" not in state_of(pod)["terminated"]
    assert state_of(pod)["terminated"]["exitCode"] == 137


def test_deleting_stops_a_run_not_yet_seen_running() -> None:
    pod, runs = make_pod(), Runs()
    step(pod, runs, T0)
    runs.launched("c")  # launched, but the shim has not reported the start yet
    pod["metadata"]["deletionTimestamp"] = format_time(T0 + 30)
    result = sync_pod(pod, runs, T0 + 1, "node-1", set())
    assert [s.container for s in result.stop] == ["c"]


def test_pod_conditions_keep_the_kubelets_order_and_change_only_when_they_must() -> None:
    """Whatever order they are set in, a pod's conditions list as the kubelet lists them, any other
    type after those; one set again to what it says keeps its transition time, and the list is not
    even replaced (a sync leaves an unchanged status as it was)."""
    from kjob.kubelet import _set_pod_condition

    status: dict[str, Any] = {}
    for ctype in ("DisruptionTarget", "PodScheduled", "Ready", "Initialized", "PodReadyToStartContainers"):
        _set_pod_condition(status, ctype, "True", T0)
    _set_pod_condition(status, "ContainersReady", "False", T0, "ContainersNotReady")
    assert [c["type"] for c in status["conditions"]] == [
        "PodReadyToStartContainers",
        "Initialized",
        "Ready",
        "ContainersReady",
        "PodScheduled",
        "DisruptionTarget",
    ]
    before = status["conditions"]
    _set_pod_condition(status, "Ready", "True", T0 + 60)
    _set_pod_condition(status, "ContainersReady", "False", T0 + 60, "ContainersNotReady")
    assert status["conditions"] is before
    _set_pod_condition(status, "Ready", "False", T0 + 60, "PodCompleted")
    after = {c["type"]: c for c in status["conditions"]}
    assert after["Ready"] == {
        "type": "Ready",
        "status": "False",
        "lastProbeTime": None,
        "lastTransitionTime": format_time(T0 + 60),
        "reason": "PodCompleted",
    }
    assert after["Initialized"]["lastTransitionTime"] == format_time(T0)
    assert len(status["conditions"]) == 6
    assert before[2]["status"] == "True"  # replaced, not changed in place


def test_a_condition_someone_else_set_goes_first_once_the_kubelet_changes_the_status() -> None:
    """mergePodStatus: conditions the kubelet does not own (a user's, through the status subresource)
    come first, then its own; it sends only a status it changed, so until then the order stays."""
    pod, runs = make_pod(), Runs()
    step(pod, runs, T0)
    runs.running("c")
    step(pod, runs, T0 + 1)
    mine = {"type": "ConfigIssue", "status": "True", "lastProbeTime": None, "lastTransitionTime": "x"}
    pod["status"]["conditions"] = [*pod["status"]["conditions"], mine]
    assert step(pod, runs, T0 + 2).status == pod["status"]  # nothing new: the order as it is
    assert pod["status"]["conditions"][-1] is mine
    runs.exited("c", 0, T0 + 3)
    step(pod, runs, T0 + 3)
    types = [c["type"] for c in pod["status"]["conditions"]]
    assert types == [
        "ConfigIssue",
        "PodReadyToStartContainers",
        "Initialized",
        "Ready",
        "ContainersReady",
        "PodScheduled",
    ]
    assert pod["status"]["conditions"][0] == mine and pod["status"]["phase"] == "Succeeded"


def test_an_optional_reference_to_what_is_not_there_sets_nothing() -> None:
    """makeEnvironmentVariables skips an optional secretKeyRef or configMapKeyRef it cannot resolve
    (there are no Secrets or ConfigMaps here): the variable is not set at all, and $(VAR) of it stays
    as written."""
    c = {
        "name": "c",
        "image": "x",
        "command": ["echo", "$(OPTC)"],
        "env": [
            {"name": "OPTS", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k", "optional": True}}},
            {"name": "OPTC", "valueFrom": {"configMapKeyRef": {"name": "m", "key": "k", "optional": True}}},
            {"name": "X2", "value": "$(OPTC)-$(OPTS)"},
            {"name": "EMPTY"},
        ],
    }
    pod = make_pod(containers=[c])
    env = container_env(pod, c)
    assert "OPTS" not in env and "OPTC" not in env
    assert (env["X2"], env["EMPTY"]) == ("$(OPTC)-$(OPTS)", "")
    assert container_argv(c, container_vars(pod, c)) == ["echo", "$(OPTC)"]


def test_the_images_and_runtimes_variables_are_not_expanded() -> None:
    """$(VAR) expands to the container's own env alone: PATH and HOME come with the image and HOSTNAME
    from the runtime, none of them in the kubelet's list, so $(PATH) stays as written in env values,
    the command and the args; the process still has all three."""
    c = {
        "name": "c",
        "image": "x",
        "command": ["echo", "$(HOSTNAME)", "$(P)"],
        "args": ["$(HOME)", "$(A)"],
        "env": [{"name": "P", "value": "$(PATH)"}, {"name": "A", "value": "a"}],
    }
    pod = make_pod(containers=[c])
    own = container_vars(pod, c)
    assert own == {"P": "$(PATH)", "A": "a"}
    assert container_argv(c, own) == ["echo", "$(HOSTNAME)", "$(PATH)", "$(HOME)", "a"]
    env = container_env(pod, c, own)
    assert env["HOSTNAME"] == "job-abcde" and env["PATH"] and env["HOME"] and env["P"] == "$(PATH)"
