"""The kubelet's decisions for one pod: which container runs to start or stop, and the pod status that
follows from what the runs report. Runs are observed through a callable, so this is testable without
processes."""

from __future__ import annotations

import contextlib
import math
import os
import re
from collections.abc import Callable
from typing import Any

from kjob.objects import (
    Obj,
    Record,
    container_named,
    format_time,
    is_deleting,
    meta,
    name_of,
    namespace_of,
    parse_time,
    pod_is_stopping,
    uid_of,
)
from kjob.runtime import RunState

LOOPBACK = "127.0.0.1"
# CrashLoopBackOff: restarts after the first wait 10 s, doubling up to 5 minutes.
RESTART_BACKOFF = 10.0
MAX_RESTART_BACKOFF = 300.0
# A launched run whose host (launcher or shim) never reported back within this long is taken as lost.
LAUNCH_TIMEOUT = 10.0
# The kubelet's active deadline handler (pkg/kubelet/active_deadline.go).
DEADLINE_REASON = "DeadlineExceeded"
DEADLINE_MESSAGE = "Pod was active on the node longer than the specified deadline"


class Launch(Record):
    __slots__ = ("attempt", "container", "init")

    def __init__(self, container: str, attempt: int, init: bool) -> None:
        self.container = container
        self.attempt = attempt
        self.init = init


class Stop(Record):
    __slots__ = ("attempt", "container", "grace")

    def __init__(self, container: str, attempt: int, grace: float) -> None:
        self.container = container
        self.attempt = attempt
        self.grace = grace


class PodEvent(Record):
    __slots__ = ("field_path", "message", "reason", "source", "type")

    def __init__(
        self, type: str, reason: str, message: str, source: str = "kubelet", field_path: str = ""
    ) -> None:
        self.type = type
        self.reason = reason
        self.message = message
        self.source = source
        self.field_path = field_path


class PodSync(Record):
    __slots__ = (
        "backoff_scale",
        "events",
        "launch",
        "launched",
        "lost",
        "node_name",
        "requeue_at",
        "status",
        "stop",
    )

    def __init__(self, status: Obj, backoff_scale: float = 1.0) -> None:
        self.status = status
        self.node_name: str | None = None  # set when the pod is bound to this machine now
        self.launch: list[Launch] = []
        self.stop: list[Stop] = []
        self.events: list[PodEvent] = []
        self.requeue_at: float | None = None
        # Containers whose current attempt has a run (launched earlier or in this pass).
        self.launched: set[str] = set()
        self.backoff_scale = backoff_scale
        # Runs whose host vanished without a word: whatever is left of them must be killed.
        self.lost: list[tuple[str, int]] = []

    def wake_at(self, when: float) -> None:
        self.requeue_at = when if self.requeue_at is None else min(self.requeue_at, when)


Observe = Callable[[str, int], RunState]


def go_duration(seconds: float) -> str:
    """Whole seconds as Go's Duration.String() writes them: `10s`, `1m20s`, `5m0s`, `1h0m0s`."""
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"


def restart_backoff(restart_count: int) -> float:
    if restart_count <= 0:
        return 0.0
    return min(RESTART_BACKOFF * 2 ** (restart_count - 1), MAX_RESTART_BACKOFF)


def container_id(pod: Obj, container: str, attempt: int) -> str:
    return f"kjob://{uid_of(pod)}/{container}/{attempt}"


def _field_path(init: bool, name: str) -> str:
    return f"spec.{'initContainers' if init else 'containers'}{{{name}}}"


def sync_pod(
    pod: Obj,
    observe: Observe,
    now: float,
    node: str,
    stopping: set[str] | None = None,
    backoff_scale: float = 1.0,
) -> PodSync:
    """One kubelet pass over a pod. `stopping` names the containers already told to stop;
    `backoff_scale` shortens CrashLoopBackOff for tests (KJOB_BACKOFF_SCALE)."""
    spec = pod.get("spec") or {}
    # The pod is left as it is (the caller tells a change by comparing): the status and each container
    # status are copied before any of their keys is set, and nothing deeper is ever changed in place,
    # only replaced. (A deep copy of the status cost ~16 us, a third of a sync that changes nothing.)
    status: Obj = dict(pod.get("status") or {})
    result = PodSync(status=status, backoff_scale=backoff_scale)
    stopping = stopping if stopping is not None else set()
    if status.get("phase") in ("Succeeded", "Failed") and not pod_is_stopping(pod):
        return result

    if not spec.get("nodeName"):
        result.node_name = node
        result.events.append(
            PodEvent(
                "Normal",
                "Scheduled",
                f"Successfully assigned {namespace_of(pod)}/{name_of(pod)} to {node}",
                source="default-scheduler",
            )
        )
        _set_pod_condition(status, "PodScheduled", "True", now)
    if not status.get("startTime"):
        status["startTime"] = format_time(now)
        status["hostIP"] = LOOPBACK
        status["hostIPs"] = [{"ip": LOOPBACK}]
        status["podIP"] = LOOPBACK
        status["podIPs"] = [{"ip": LOOPBACK}]
        _set_pod_condition(status, "PodReadyToStartContainers", "True", now)

    restart_policy = spec.get("restartPolicy", "Never")
    inits = list(spec.get("initContainers") or [])
    regulars = list(spec.get("containers") or [])
    init_status = _statuses(status, "initContainerStatuses", inits, pod, now)
    main_status = _statuses(status, "containerStatuses", regulars, pod, now)

    # -- fold in what the runs report
    for group, init in ((init_status, True), (main_status, False)):
        for cs in group:
            _observe(pod, cs, observe, now, result, init)

    deleting = is_deleting(pod)
    exceeded = _past_deadline(spec, status, now, result)
    if exceeded and status.get("reason") != DEADLINE_REASON:
        # Recorded as the pod is found past it, before its containers are told to stop.
        result.events.append(PodEvent("Normal", DEADLINE_REASON, DEADLINE_MESSAGE))
    if deleting or exceeded:
        # A pod past its deadline is killed as a deleted one is, with its own grace period.
        grace = float(
            meta(pod).get("deletionGracePeriodSeconds", spec.get("terminationGracePeriodSeconds", 30))
        )
        for cs, init in [(c, True) for c in init_status] + [(c, False) for c in main_status]:
            # A run that was launched but not yet seen running must be stopped too.
            if "running" in cs["state"] or (
                cs["name"] in result.launched and "terminated" not in cs["state"]
            ):
                if cs["name"] not in stopping:
                    result.events.append(
                        PodEvent(
                            "Normal",
                            "Killing",
                            f"Stopping container {cs['name']}",
                            field_path=_field_path(init, cs["name"]),
                        )
                    )
                result.stop.append(Stop(cs["name"], int(cs.get("restartCount") or 0), grace))
    else:
        # Once the regular containers are done for good, sidecars are only stopped, never restarted.
        mains_done = bool(main_status) and all(
            "terminated" in cs["state"]
            and (restart_policy == "Never" or cs["state"]["terminated"].get("exitCode") == 0)
            for cs in main_status
        )
        initialized = _sync_init(pod, inits, init_status, restart_policy, now, result, observe, mains_done)
        if initialized:
            _sync_main(pod, regulars, main_status, restart_policy, now, result, observe)

    _set_phase(pod, status, init_status, main_status, restart_policy, deleting or exceeded, now)
    if exceeded:
        # Failed at once, its containers still stopping (ShouldEvict in generateAPIPodStatus).
        status.update(phase="Failed", reason=DEADLINE_REASON, message=DEADLINE_MESSAGE)
        _set_terminal_conditions(status, [*init_status, *main_status], "Failed", now)
    conditions = status.get("conditions") or ()
    if any(c.get("type") not in _CONDITION_RANK for c in conditions) and status != pod.get("status"):
        # mergePodStatus: the conditions others set (a user's, through the status subresource) go
        # first, as they were, then the kubelet's; only a status the kubelet changed is sent.
        status["conditions"] = [
            *(c for c in conditions if c.get("type") not in _CONDITION_RANK),
            *(c for c in conditions if c.get("type") in _CONDITION_RANK),
        ]
    return result


def _past_deadline(spec: Obj, status: Obj, now: float, result: PodSync) -> bool:
    """Whether the pod has been active longer than its activeDeadlineSeconds, counted from its
    startTime; if not yet, the pass is asked back for the moment it will have."""
    seconds = spec.get("activeDeadlineSeconds")
    if not isinstance(seconds, int) or isinstance(seconds, bool):
        return False  # most pods: no time parsed
    start = parse_time(status.get("startTime"))
    if start is None:
        return False
    if status.get("reason") == DEADLINE_REASON or now >= start + seconds:
        return True
    result.wake_at(start + seconds)
    return False


def _statuses(status: Obj, key: str, containers: list[Obj], pod: Obj, now: float) -> list[Obj]:
    existing = {cs.get("name"): cs for cs in status.get(key) or []}
    out = []
    waiting = (
        "PodInitializing"
        if key == "containerStatuses" and (pod.get("spec") or {}).get("initContainers")
        else "ContainerCreating"
    )
    for c in containers:
        cs = existing.get(c.get("name"))
        if cs is not None:
            cs = dict(cs)  # see sync_pod
        else:
            cs = {
                "name": c.get("name"),
                "image": c.get("image", ""),
                "imageID": "",
                "ready": False,
                "started": False,
                "restartCount": 0,
                "state": {"waiting": {"reason": waiting}},
                "lastState": {},
            }
        out.append(cs)
    if out:
        status[key] = out
    return out


def _observe(pod: Obj, cs: Obj, observe: Observe, now: float, result: PodSync, init: bool) -> None:
    """Update a container status from its current run's files."""
    state = cs["state"]
    if "terminated" in state:
        return
    attempt = int(cs.get("restartCount") or 0)
    if (state.get("waiting") or {}).get("reason") == "CrashLoopBackOff":
        return
    run = observe(cs["name"], attempt)
    if not run.launched:
        return
    result.launched.add(cs["name"])
    if run.exit is not None:
        reason = run.exit.get("reason") or ("Completed" if run.exit.get("exitCode") == 0 else "Error")
        # A container that never started has no start time: the runtime reports zero, the Unix epoch
        # (describe's `Started: Thu, 01 Jan 1970 00:00:00 +0000`, kubernetes#120331).
        started = 0.0 if reason == "StartError" else run.exit.get("startedAt") or run.started_at or now
        term: Obj = {
            "exitCode": int(run.exit.get("exitCode", 0)),
            "reason": reason,
            "startedAt": format_time(float(started)),
            "finishedAt": format_time(float(run.exit.get("finishedAt") or now)),
            "containerID": container_id(pod, cs["name"], attempt),
        }
        if run.exit.get("message"):
            term["message"] = run.exit["message"]
        cs["state"] = {"terminated": term}
        # The status names the latest container, this one, though no sync saw it running.
        cs["containerID"] = term["containerID"]
        # A regular init container counts as ready once it has succeeded.
        cs["ready"] = init and not _is_sidecar(pod, cs["name"]) and term["exitCode"] == 0
        cs["started"] = False
        return
    if run.pid is not None and _alive(run):
        if "running" not in state:
            if any("cgroup" not in note for note in run.limits):
                # Limits enforced another way than a cgroup are said where users look: describe's events.
                result.events.append(
                    PodEvent(
                        "Warning",
                        "ResourceLimits",
                        "; ".join(run.limits),
                        field_path=_field_path(init, cs["name"]),
                    )
                )
            cs["state"] = {"running": {"startedAt": format_time(float(run.started_at or now))}}
            cs["ready"] = not init or _is_sidecar(pod, cs["name"])
            cs["started"] = True
            cs["containerID"] = container_id(pod, cs["name"], attempt)
        return
    launched_at = run.launched_at or now
    if _alive(run) or (run.pid is None and now - launched_at < LAUNCH_TIMEOUT):
        if run.pid is None:
            result.wake_at(launched_at + LAUNCH_TIMEOUT)
        return
    # The run's host is gone without a word: the kubelet's answer when a container cannot be found.
    result.lost.append((cs["name"], attempt))
    cs["state"] = {
        "terminated": {
            "exitCode": 137,
            "reason": "ContainerStatusUnknown",
            "message": "The container could not be located when the pod was terminated",
            "startedAt": format_time(float(run.started_at or launched_at)),
            "finishedAt": format_time(now),
        }
    }
    cs["ready"] = False
    cs["started"] = False


def _is_sidecar(pod: Obj, name: str) -> bool:
    for c in (pod.get("spec") or {}).get("initContainers") or []:
        if c.get("name") == name:
            return c.get("restartPolicy") == "Always"
    return False


def _alive(run: RunState) -> bool:
    from kjob.runtime import shim_alive

    return shim_alive(run)


def _mark_launch(
    pod: Obj, cs: Obj, container: Obj, attempt: int, now: float, result: PodSync, init: bool
) -> None:
    """Start a container run, or say why it cannot start."""
    name = cs["name"]
    path = _field_path(init, name)
    # The kubelet makes sure of the image before every start of a container (EnsureImageExists), and
    # says so each time: a restarted container shows `Pulled (x3 over 20s)`; one whose config cannot
    # be made shows it before its `Failed`.
    pulled = PodEvent(
        "Normal",
        "Pulled",
        f'Container image "{container.get("image", "")}" already present on machine',
        field_path=path,
    )
    problem = _cannot_start(pod, container)
    if problem is not None:
        reason, message = problem
        if (cs["state"].get("waiting") or {}).get("reason") != reason:
            result.events.append(pulled)
            result.events.append(PodEvent("Warning", "Failed", f"Error: {message}", field_path=path))
        cs["state"] = {"waiting": {"reason": reason, "message": message}}
        return
    result.events.append(pulled)
    result.events.append(PodEvent("Normal", "Created", f"Created container: {name}", field_path=path))
    result.events.append(PodEvent("Normal", "Started", f"Started container {name}", field_path=path))
    result.launch.append(Launch(name, attempt, init))
    result.launched.add(name)
    cs["restartCount"] = attempt
    # Until its host reports the process started, the new run is being created.
    cs["state"] = {"waiting": {"reason": "ContainerCreating"}}
    cs["ready"] = False


def _cannot_start(pod: Obj, container: Obj) -> tuple[str, str] | None:
    if not container.get("command"):
        return (
            "CreateContainerError",
            f'container "{container.get("name")}" has no command: kjob runs containers on this machine and '
            "cannot use the image's entrypoint; add a command to the container",
        )
    for env in container.get("env") or []:
        ref = env.get("valueFrom") or {}
        for kind, what in (("secretKeyRef", "secret"), ("configMapKeyRef", "configmap")):
            if kind in ref and not ref[kind].get("optional"):
                return ("CreateContainerConfigError", f'{what} "{ref[kind].get("name", "")}" not found')
    for src in container.get("envFrom") or []:
        for kind, what in (("secretRef", "secret"), ("configMapRef", "configmap")):
            if kind in src and not src[kind].get("optional"):
                return ("CreateContainerConfigError", f'{what} "{src[kind].get("name", "")}" not found')
    return None


def _maybe_restart(pod: Obj, cs: Obj, container: Obj, now: float, result: PodSync, init: bool) -> None:
    """Restart a failed container in place after the CrashLoopBackOff delay."""
    term = cs["state"].get("terminated") or (cs.get("lastState") or {}).get("terminated") or {}
    restarts = int(cs.get("restartCount") or 0)
    delay = restart_backoff(restarts) * result.backoff_scale
    finished = parse_time(term.get("finishedAt")) or now
    if "terminated" in cs["state"]:
        cs["lastState"] = {"terminated": cs["state"]["terminated"]}
    if now < finished + delay:
        message = (
            f"back-off {go_duration(delay)} restarting failed container={cs['name']} "
            f"pod={name_of(pod)}_{namespace_of(pod)}({uid_of(pod)})"
        )
        if (cs["state"].get("waiting") or {}).get("reason") != "CrashLoopBackOff":
            result.events.append(
                PodEvent(
                    "Warning",
                    "BackOff",
                    f"Back-off restarting failed container {cs['name']} in pod "
                    f"{name_of(pod)}_{namespace_of(pod)}({uid_of(pod)})",
                    field_path=_field_path(init, cs["name"]),
                )
            )
        cs["state"] = {"waiting": {"reason": "CrashLoopBackOff", "message": message}}
        cs["ready"] = False
        result.wake_at(finished + delay)
        return
    _mark_launch(pod, cs, container, restarts + 1, now, result, init)


def _needs_launch(cs: Obj, result: PodSync) -> bool:
    waiting = cs["state"].get("waiting")
    return bool(waiting) and cs["name"] not in result.launched and waiting.get("reason") != "CrashLoopBackOff"


def _sync_init(
    pod: Obj,
    inits: list[Obj],
    statuses: list[Obj],
    policy: str,
    now: float,
    result: PodSync,
    observe: Observe,
    mains_done: bool = False,
) -> bool:
    """Init containers one by one; True once all have succeeded (sidecars only need to have started)."""
    for container, cs in zip(inits, statuses, strict=False):
        sidecar = container.get("restartPolicy") == "Always"
        term = cs["state"].get("terminated")
        if sidecar and mains_done:
            continue
        if sidecar:
            if _needs_launch(cs, result) and not cs.get("lastState"):
                _mark_launch(pod, cs, container, int(cs.get("restartCount") or 0), now, result, True)
            elif term is not None or (cs["state"].get("waiting") or {}).get("reason") == "CrashLoopBackOff":
                _maybe_restart(pod, cs, container, now, result, True)
            if not (cs.get("started") or cs["name"] in result.launched):
                return False
            continue
        if term is not None and term.get("exitCode") == 0:
            continue
        if term is not None or (cs["state"].get("waiting") or {}).get("reason") == "CrashLoopBackOff":
            if policy == "OnFailure":
                _maybe_restart(pod, cs, container, now, result, True)
            return False
        if _needs_launch(cs, result):
            _mark_launch(pod, cs, container, int(cs.get("restartCount") or 0), now, result, True)
        return False
    return True


def _sync_main(
    pod: Obj,
    containers: list[Obj],
    statuses: list[Obj],
    policy: str,
    now: float,
    result: PodSync,
    observe: Observe,
) -> None:
    for container, cs in zip(containers, statuses, strict=False):
        waiting = cs["state"].get("waiting") or {}
        if waiting.get("reason") == "PodInitializing":
            cs["state"] = {"waiting": {"reason": "ContainerCreating"}}
        term = cs["state"].get("terminated")
        if term is not None or waiting.get("reason") == "CrashLoopBackOff":
            failed = term is None or term.get("exitCode") != 0
            if policy == "OnFailure" and failed:
                _maybe_restart(pod, cs, container, now, result, False)
            continue
        if _needs_launch(cs, result):
            _mark_launch(pod, cs, container, int(cs.get("restartCount") or 0), now, result, False)
    # Sidecars stop once every regular container has finished.
    if statuses and all("terminated" in cs["state"] for cs in statuses):
        spec = pod.get("spec") or {}
        inits = zip(spec.get("initContainers") or [], pod_status_list(result.status, True), strict=False)
        for container, cs in inits:
            if container.get("restartPolicy") == "Always" and "running" in cs["state"]:
                grace = float(spec.get("terminationGracePeriodSeconds", 30))
                result.stop.append(Stop(cs["name"], int(cs.get("restartCount") or 0), grace))


def pod_status_list(status: Obj, init: bool) -> list[Obj]:
    return list(status.get("initContainerStatuses" if init else "containerStatuses") or [])


# The order the kubelet lists a pod's conditions in; any other type after these as they are set (once
# the kubelet changes the status, sync_pod puts those another set first, as mergePodStatus does).
_CONDITION_ORDER = ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")
_CONDITION_RANK = {t: i for i, t in enumerate(_CONDITION_ORDER)}
_OTHER_RANK = len(_CONDITION_ORDER)


def _set_pod_condition(
    status: Obj, ctype: str, value: str, now: float, reason: str | None = None, message: str | None = None
) -> None:
    """Set one condition, keeping the kubelet's order. The list is replaced, never changed in place
    (see sync_pod), and left as it is when the condition already says so: a sync sets four or five
    conditions, and most of them again as they were. Its lastTransitionTime moves only when its
    status does (the status manager's updateLastTransitionTime)."""
    conditions: list[Obj] = status.get("conditions") or []
    rank = _CONDITION_RANK.get(ctype, _OTHER_RANK)
    at, replace, since = len(conditions), 0, None
    for i, cur in enumerate(conditions):
        kind = cur.get("type", "")
        if kind == ctype:
            if cur.get("status") == value:
                if cur.get("reason") == reason and cur.get("message") == message:
                    return
                since = cur.get("lastTransitionTime")
            at, replace = i, 1
            break
        if at > i and _CONDITION_RANK.get(kind, _OTHER_RANK) > rank:
            at = i  # where it goes if it is not there yet
    cond: Obj = {
        "type": ctype,
        "status": value,
        "lastProbeTime": None,
        "lastTransitionTime": since or format_time(now),
    }
    if reason:
        cond["reason"] = reason
    if message:
        cond["message"] = message
    status["conditions"] = [*conditions[:at], cond, *conditions[at + replace :]]


def _set_phase(
    pod: Obj, status: Obj, inits: list[Obj], mains: list[Obj], policy: str, deleting: bool, now: float
) -> None:
    def exited(cs: Obj) -> bool:
        return "terminated" in cs["state"]

    def ok(cs: Obj) -> bool:
        return exited(cs) and cs["state"]["terminated"].get("exitCode") == 0

    regular_inits = [
        cs
        for cs, c in zip(inits, (pod.get("spec") or {}).get("initContainers") or [], strict=False)
        if c.get("restartPolicy") != "Always"
    ]
    init_failed = policy == "Never" and any(exited(cs) and not ok(cs) for cs in regular_inits)
    initialized = all(ok(cs) for cs in regular_inits)
    running_any = any("running" in cs["state"] for cs in [*inits, *mains])
    phase = status.get("phase", "Pending")
    if init_failed:
        phase = "Failed"
    elif mains and all(ok(cs) for cs in mains):
        phase = "Succeeded" if not running_any else "Running"
    elif mains and all(exited(cs) for cs in mains) and (policy == "Never" or deleting):
        phase = "Failed" if not running_any else "Running"
    elif deleting and not running_any:
        phase = "Failed"
    elif (
        initialized
        and mains
        and all(
            ("running" in cs["state"])
            or exited(cs)
            or (cs["state"].get("waiting") or {}).get("reason") == "CrashLoopBackOff"
            for cs in mains
        )
        and not all(exited(cs) for cs in mains)
    ) or (initialized and any("running" in cs["state"] for cs in mains)):
        phase = "Running"
    status["phase"] = phase

    # The kubelet's GeneratePodInitializedCondition and GenerateContainersReadyCondition: which
    # containers hold them back is named in the message, as Go prints a []string.
    incomplete = [
        cs["name"] for cs in inits if (not cs.get("started") if _is_sidecar(pod, cs["name"]) else not ok(cs))
    ]
    if phase == "Succeeded":
        _set_pod_condition(status, "Initialized", "True", now, "PodCompleted")
    elif not incomplete or any("running" in cs["state"] or exited(cs) for cs in mains):
        _set_pod_condition(status, "Initialized", "True", now)
    else:
        message = f"containers with incomplete status: [{' '.join(incomplete)}]"
        _set_pod_condition(status, "Initialized", "False", now, "ContainersNotInitialized", message)
    if phase in ("Succeeded", "Failed"):
        _set_terminal_conditions(status, [*inits, *mains], phase, now)
    else:
        unready = [cs["name"] for cs in inits if _is_sidecar(pod, cs["name"]) and not cs.get("ready")]
        unready += [cs["name"] for cs in mains if not ("running" in cs["state"] and cs.get("ready"))]
        value = "False" if unready or not mains else "True"
        reason = "ContainersNotReady" if value == "False" else None
        why = f"containers with unready status: [{' '.join(unready)}]" if unready else None
        _set_pod_condition(status, "Ready", value, now, reason, why)
        _set_pod_condition(status, "ContainersReady", value, now, reason, why)
    for cs in [*inits, *mains]:
        if not cs.get("lastState"):
            cs["lastState"] = {}


def _set_terminal_conditions(status: Obj, statuses: list[Obj], phase: str, now: float) -> None:
    reason = "PodCompleted" if phase == "Succeeded" else "PodFailed"
    _set_pod_condition(status, "Ready", "False", now, reason)
    _set_pod_condition(status, "ContainersReady", "False", now, reason)
    _set_pod_condition(status, "PodReadyToStartContainers", "False", now)
    for cs in statuses:
        cs["ready"] = False
        cs["started"] = False


# ---------------------------------------------------------------- what a container process gets

_REF = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")


def expand(text: str, env: dict[str, str]) -> str:
    """Kubernetes' $(VAR) expansion: defined names are replaced, `$$` escapes, the rest stays."""

    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group(1)
        return env[name] if name in env else m.group(0)

    return _REF.sub(sub, text)


def field_ref(pod: Obj, path: str) -> str:
    m = re.fullmatch(r"metadata\.(labels|annotations)\['(.+)'\]", path)
    if m:
        return str((meta(pod).get(m.group(1)) or {}).get(m.group(2), ""))
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    values: dict[str, Any] = {
        "metadata.name": name_of(pod),
        "metadata.namespace": namespace_of(pod),
        "metadata.uid": uid_of(pod),
        "spec.nodeName": spec.get("nodeName", ""),
        "spec.serviceAccountName": spec.get("serviceAccountName", ""),
        "status.podIP": status.get("podIP", LOOPBACK),
        "status.hostIP": status.get("hostIP", LOOPBACK),
        "status.podIPs": LOOPBACK,
        "status.hostIPs": LOOPBACK,
    }
    return str(values.get(path, ""))


def container_vars(pod: Obj, container: Obj) -> dict[str, str]:
    """The container's own variables, as the kubelet makes them (makeEnvironmentVariables): its env in
    order, each value's $(VAR) expanded with those before it. An optional reference to what is not
    there (a Secret's or ConfigMap's key: there are none here) sets nothing, and $(VAR) of it stays
    as written; so does $(PATH): the image's and the runtime's variables are no part of this."""
    out: dict[str, str] = {}
    for item in container.get("env") or []:
        name = item.get("name")
        if not name:
            continue
        if "value" in item:
            out[name] = expand(str(item.get("value") or ""), out)
        elif "valueFrom" in item:
            ref = item["valueFrom"]
            if "fieldRef" in ref:
                out[name] = field_ref(pod, ref["fieldRef"].get("fieldPath", ""))
            elif "resourceFieldRef" in ref:
                out[name] = _resource_value(pod, container, ref["resourceFieldRef"])
        else:
            out[name] = ""
    return out


def container_env(pod: Obj, container: Obj, own: dict[str, str] | None = None) -> dict[str, str]:
    """The process environment: the base a container image and its runtime would give, then the
    container's own variables (`own`: container_vars(), if worked out already)."""
    spec = pod.get("spec") or {}
    env: dict[str, str] = {
        "PATH": os.environ.get("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
        "HOSTNAME": spec.get("hostname") or name_of(pod),
        "HOME": os.environ.get("HOME", "/root"),
    }
    env.update(container_vars(pod, container) if own is None else own)
    return env


def _resource_value(pod: Obj, container: Obj, ref: Obj) -> str:
    """A resourceFieldRef as the kubelet resolves it (ExtractContainerResourceValue): the quantity in
    units of its divisor (1 if none), rounded up (CPU counted in millicores: 200m is "1", or "200"
    with divisor 1m; 64Mi is "67108864"). Of the named container if one is named; a limit that is
    not set is the node's allocatable amount, a request not set its limit, or 0."""
    from kjob.cgroups import parse_quantity

    name = ref.get("containerName")
    if name:
        container = container_named(pod, str(name)) or container
    group, _, res = str(ref.get("resource", "")).partition(".")
    resources = container.get("resources") or {}
    given, limits = resources.get(group) or {}, resources.get("limits") or {}
    if res in given:
        value = parse_quantity(given[res])
    elif group == "requests":
        value = parse_quantity(limits[res]) if res in limits else 0.0
    else:
        value = None
    if value is None:
        value = _allocatable(res)
    divisor = parse_quantity(ref.get("divisor") or "1") or 1.0  # a zero divisor is the default, 1
    if res == "cpu":
        # MilliValue() of each, rounded up: a quantity finer than a millicore counts as one.
        return str(math.ceil(math.ceil(value * 1000 - 1e-9) / math.ceil(divisor * 1000 - 1e-9)))
    return str(math.ceil(math.ceil(value - 1e-9) / max(1, math.ceil(divisor - 1e-9))))


def _allocatable(resource: str) -> float:
    """What this machine offers a container with no limit: its CPUs, its memory, its disk."""
    if resource == "cpu":
        return float(os.cpu_count() or 1)
    if resource == "memory":
        with contextlib.suppress(OSError, ValueError, IndexError), open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return float(line.split()[1]) * 1024
        return 0.0
    if resource == "ephemeral-storage":
        with contextlib.suppress(OSError):
            st = os.statvfs("/")
            return float(st.f_blocks * st.f_frsize)
    return 0.0


def container_argv(container: Obj, own: dict[str, str]) -> list[str]:
    """The command and args, $(VAR) expanded with the container's own variables (container_vars())."""
    return [expand(str(a), own) for a in [*(container.get("command") or []), *(container.get("args") or [])]]
