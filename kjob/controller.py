"""The Job controller as a pure function: (job, its pods, now) -> what to do. No disk, no processes."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

from kjob.objects import (
    COMPLETION_INDEX_KEY,
    TRACKING_FINALIZER,
    Obj,
    find_condition,
    format_time,
    has_condition,
    is_deleting,
    is_job_finished,
    make_condition,
    meta,
    name_of,
    namespace_of,
    new_uid,
    parse_time,
    pod_is_terminal,
    random_suffix,
    uid_of,
)

# Pod-failure back-off for replacement pods (pkg/controller/job: DefaultJobPodFailureBackOff,
# MaxJobPodFailureBackOff).
POD_FAILURE_BACKOFF = 10.0
MAX_POD_FAILURE_BACKOFF = 600.0

MSG_BACKOFF = "Job has reached the specified backoff limit"
MSG_DEADLINE = "Job was active longer than specified deadline"
MSG_COMPLETIONS = "Reached expected number of succeeded pods"


@dataclass
class Event:
    type: str
    reason: str
    message: str


@dataclass
class PodDeletion:
    name: str
    # Pods removed by suspend or a lowered parallelism are not counted as failed; the controller
    # drops their tracking finalizer first, as the real one does.
    count: bool


@dataclass
class JobSync:
    """What one sync of a job decided. The worker applies it: status first, then pods, then events."""

    status: Obj
    create: list[Obj] = field(default_factory=list)
    delete: list[PodDeletion] = field(default_factory=list)
    strip_finalizers: list[str] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    requeue_at: float | None = None


# ---------------------------------------------------------------- small readers


def spec_of(job: Obj) -> Obj:
    spec = job.get("spec")
    return spec if isinstance(spec, dict) else {}


def is_indexed(job: Obj) -> bool:
    return spec_of(job).get("completionMode") == "Indexed"


def restart_policy(job: Obj) -> str:
    return str(((spec_of(job).get("template") or {}).get("spec") or {}).get("restartPolicy", "Never"))


def pod_index(pod: Obj) -> int | None:
    raw = (meta(pod).get("annotations") or {}).get(COMPLETION_INDEX_KEY)
    if raw is None:
        raw = (meta(pod).get("labels") or {}).get(COMPLETION_INDEX_KEY)
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def pod_finish_time(pod: Obj) -> float:
    """When a pod finished, for back-off purposes (the controller's getFinishedTime)."""
    status = pod.get("status") or {}
    finishes: list[float] = []
    for cs in status.get("containerStatuses") or []:
        t = parse_time(((cs.get("state") or {}).get("terminated") or {}).get("finishedAt"))
        if t is None:
            finishes = []
            break
        finishes.append(t)
    if finishes:
        return max(finishes)
    ready = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), None)
    if ready and ready.get("status") == "False":
        t = parse_time(ready.get("lastTransitionTime"))
        if t is not None:
            return t
    deleted = parse_time(meta(pod).get("deletionTimestamp"))
    if deleted is not None:
        return deleted - float(meta(pod).get("deletionGracePeriodSeconds") or 0)
    return parse_time(meta(pod).get("creationTimestamp")) or 0.0


def is_pod_ready(pod: Obj) -> bool:
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return cond.get("status") == "True"
    return False


def parse_indexes(text: str | None) -> set[int]:
    out: set[int] = set()
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            lo, hi = part.split("-", 1)
            out.update(range(int(lo), int(hi) + 1))
        else:
            out.add(int(part))
    return out


def format_indexes(indexes: set[int]) -> str:
    """Kubernetes' interval format: runs of three or more as `a-b`, pairs as `a,b` (`1,3-5,7`)."""
    ordered = sorted(indexes)
    parts: list[str] = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        if j - i >= 2:
            parts.append(f"{ordered[i]}-{ordered[j]}")
        else:
            parts.extend(str(x) for x in ordered[i : j + 1])
        i = j + 1
    return ",".join(parts)


def pod_failure_backoff(failures: int) -> float:
    if failures <= 0:
        return 0.0
    return min(POD_FAILURE_BACKOFF * 2 ** (failures - 1), MAX_POD_FAILURE_BACKOFF)


# ---------------------------------------------------------------- pod construction


def new_pod(job: Obj, now: float, index: int | None, suffix: Callable[[], str] = random_suffix) -> Obj:
    """A pod from the job's template, as the controller and the API server would create it."""
    spec = spec_of(job)
    template = spec.get("template") or {}
    tmeta = template.get("metadata") or {}
    job_name = name_of(job)
    prefix = f"{job_name}-" if index is None else f"{job_name}-{index}-"
    if len(prefix) > 58:
        prefix = prefix[:58] if index is None else f"{job_name[: 58 - len(str(index)) - 2]}-{index}-"
    labels = dict(tmeta.get("labels") or {})
    annotations = dict(tmeta.get("annotations") or {})
    pod_spec = copy.deepcopy(template.get("spec") or {})
    if index is not None:
        annotations[COMPLETION_INDEX_KEY] = str(index)
        labels[COMPLETION_INDEX_KEY] = str(index)
        pod_spec["hostname"] = f"{job_name}-{index}"
        for group in ("initContainers", "containers"):
            for container in pod_spec.get(group) or []:
                env = container.setdefault("env", [])
                if not any(e.get("name") == "JOB_COMPLETION_INDEX" for e in env):
                    env.append(
                        {
                            "name": "JOB_COMPLETION_INDEX",
                            "valueFrom": {
                                "fieldRef": {
                                    "apiVersion": "v1",
                                    "fieldPath": f"metadata.labels['{COMPLETION_INDEX_KEY}']",
                                }
                            },
                        }
                    )
    pod_meta: Obj = {
        "name": prefix + suffix(),
        "generateName": prefix,
        "namespace": namespace_of(job),
        "uid": new_uid(),
        "creationTimestamp": format_time(now),
        "labels": labels,
        "ownerReferences": [
            {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "name": job_name,
                "uid": uid_of(job),
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ],
        "finalizers": [*(tmeta.get("finalizers") or []), TRACKING_FINALIZER],
    }
    if annotations:
        pod_meta["annotations"] = annotations
    pod_spec.setdefault("serviceAccountName", "default")
    pod_spec.setdefault("serviceAccount", pod_spec["serviceAccountName"])
    pod_spec.setdefault("priority", 0)
    pod_spec.setdefault("enableServiceLinks", True)
    pod_spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": pod_meta,
        "spec": pod_spec,
        "status": {"phase": "Pending", "qosClass": qos_class(pod_spec)},
    }


def qos_class(pod_spec: Obj) -> str:
    """BestEffort, Burstable or Guaranteed, as the API server computes status.qosClass."""
    containers = [*(pod_spec.get("initContainers") or []), *(pod_spec.get("containers") or [])]
    any_set = False
    guaranteed = True
    for c in containers:
        res = c.get("resources") or {}
        limits, requests = res.get("limits") or {}, res.get("requests") or {}
        if limits or requests:
            any_set = True
        for r in ("cpu", "memory"):
            lim = limits.get(r)
            req = requests.get(r, lim)
            if lim is None or str(req) != str(lim):
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


# ---------------------------------------------------------------- the sync


def _set_condition(status: Obj, cond: Obj) -> None:
    conds = status.setdefault("conditions", [])
    for i, existing in enumerate(conds):
        if existing.get("type") == cond["type"]:
            conds[i] = cond
            return
    conds.append(cond)


def sync_job(job: Obj, pods: list[Obj], now: float, suffix: Callable[[], str] = random_suffix) -> JobSync:
    """One pass of the Job controller over one job and the pods it owns."""
    status: Obj = copy.deepcopy(job.get("status") or {})
    result = JobSync(status=status)
    if is_job_finished(job):
        return result

    spec = spec_of(job)
    suspended = bool(spec.get("suspend"))
    completions = spec.get("completions")
    backoff_limit = int(spec.get("backoffLimit", 6))
    policy = spec.get("podReplacementPolicy") or (
        "Failed" if spec.get("podFailurePolicy") else "TerminatingOrFailed"
    )
    indexed = is_indexed(job)

    # -- start time and suspend bookkeeping
    suspended_cond = find_condition(job, "Suspended")
    if suspended:
        if not (suspended_cond and suspended_cond.get("status") == "True"):
            _set_condition(status, make_condition("Suspended", "True", "JobSuspended", "Job suspended", now))
            result.events.append(Event("Normal", "Suspended", "Job suspended"))
    else:
        if suspended_cond and suspended_cond.get("status") == "True":
            _set_condition(status, make_condition("Suspended", "False", "JobResumed", "Job resumed", now))
            result.events.append(Event("Normal", "Resumed", "Job resumed"))
            status["startTime"] = format_time(now)
        status.setdefault("startTime", format_time(now))

    # -- count finished pods through the tracking finalizer (crash-safe, like uncountedTerminatedPods)
    uncounted = status.get("uncountedTerminatedPods") or {}
    unc_succeeded = list(uncounted.get("succeeded") or [])
    unc_failed = list(uncounted.get("failed") or [])
    by_uid = {uid_of(p): p for p in pods}
    completed = parse_indexes(status.get("completedIndexes")) if indexed else set()
    succeeded = int(status.get("succeeded") or 0)
    failed = int(status.get("failed") or 0)

    for uid in list(unc_succeeded):
        pod = by_uid.get(uid)
        if pod is None or TRACKING_FINALIZER not in (meta(pod).get("finalizers") or []):
            unc_succeeded.remove(uid)
            succeeded += 0 if indexed else 1
    for uid in list(unc_failed):
        pod = by_uid.get(uid)
        if pod is None or TRACKING_FINALIZER not in (meta(pod).get("finalizers") or []):
            unc_failed.remove(uid)
            failed += 1

    for pod in pods:
        if TRACKING_FINALIZER not in (meta(pod).get("finalizers") or []):
            continue
        uid = uid_of(pod)
        if uid in unc_succeeded or uid in unc_failed:
            result.strip_finalizers.append(name_of(pod))
            continue
        phase = (pod.get("status") or {}).get("phase")
        if phase == "Succeeded":
            idx = pod_index(pod)
            if indexed and idx is not None and idx < int(completions or 0):
                completed.add(idx)
            unc_succeeded.append(uid)
            result.strip_finalizers.append(name_of(pod))
        elif phase == "Failed" or (
            is_deleting(pod) and policy == "TerminatingOrFailed" and not spec.get("podFailurePolicy")
        ):
            unc_failed.append(uid)
            result.strip_finalizers.append(name_of(pod))

    if indexed:
        succeeded = len(completed)
        status["completedIndexes"] = format_indexes(completed)
    counted_succeeded = succeeded + (0 if indexed else len(unc_succeeded))
    counted_failed = failed + len(unc_failed)

    active = [p for p in pods if not pod_is_terminal(p) and not is_deleting(p)]
    terminating = [p for p in pods if not pod_is_terminal(p) and is_deleting(p)]

    # -- has the job finished? (order of syncJob: existing interim condition, backoff, deadline)
    finish: tuple[str, str, str] | None = None  # (interim type, reason, message)
    if has_condition(job, "SuccessCriteriaMet"):
        cond = find_condition(job, "SuccessCriteriaMet") or {}
        finish = ("SuccessCriteriaMet", cond.get("reason", ""), cond.get("message", ""))
    elif has_condition(job, "FailureTarget"):
        cond = find_condition(job, "FailureTarget") or {}
        finish = ("FailureTarget", cond.get("reason", ""), cond.get("message", ""))
    elif counted_failed > backoff_limit or (
        restart_policy(job) == "OnFailure" and _restarts(active) >= backoff_limit and _restarts(active) > 0
    ):
        finish = ("FailureTarget", "BackoffLimitExceeded", MSG_BACKOFF)
    elif not suspended and spec.get("activeDeadlineSeconds") is not None:
        start = parse_time(status.get("startTime")) or now
        deadline = start + float(spec["activeDeadlineSeconds"])
        if now >= deadline:
            finish = ("FailureTarget", "DeadlineExceeded", MSG_DEADLINE)
        else:
            result.requeue_at = deadline

    if finish is None:
        done = (
            (counted_succeeded > 0 and not active)
            if completions is None
            else (counted_succeeded >= int(completions) and not active)
        )
        if done and not suspended:
            finish = ("SuccessCriteriaMet", "CompletionsReached", MSG_COMPLETIONS)

    if finish is not None:
        interim, reason, message = finish
        if not has_condition(job, interim):
            _set_condition(status, make_condition(interim, "True", reason, message, now))
        for pod in active:
            result.delete.append(PodDeletion(name_of(pod), count=interim == "FailureTarget"))
            result.events.append(Event("Normal", "SuccessfulDelete", f"Deleted pod: {name_of(pod)}"))
        if not active and not terminating and not unc_succeeded and not unc_failed:
            if interim == "SuccessCriteriaMet":
                _set_condition(status, make_condition("Complete", "True", reason, message, now))
                status["completionTime"] = format_time(now)
                result.events.append(Event("Normal", "Completed", "Job completed"))
            else:
                _set_condition(status, make_condition("Failed", "True", reason, message, now))
                result.events.append(Event("Warning", reason, message))
        active_after = 0
    else:
        active_after = _manage_pods(
            job, pods, active, terminating, counted_succeeded, completed, now, result, suffix
        )
        active_after = max(active_after, 0)

    status["active"] = active_after if finish is None else 0
    status["ready"] = sum(1 for p in active if is_pod_ready(p)) if finish is None else 0
    status["terminating"] = len(terminating) + sum(1 for d in result.delete if d.count)
    if finish is not None and not active and not terminating:
        status["terminating"] = 0
    status["succeeded"] = succeeded
    status["failed"] = failed
    status["uncountedTerminatedPods"] = {
        k: v for k, v in (("succeeded", unc_succeeded), ("failed", unc_failed)) if v
    }
    for key in ("active", "succeeded", "failed"):
        if not status.get(key):
            status.pop(key, None)
    return result


def _restarts(pods: list[Obj]) -> int:
    total = 0
    for pod in pods:
        status = pod.get("status") or {}
        if status.get("phase") not in ("Pending", "Running"):
            continue
        for cs in [*(status.get("initContainerStatuses") or []), *(status.get("containerStatuses") or [])]:
            total += int(cs.get("restartCount") or 0)
    return total


def _manage_pods(
    job: Obj,
    pods: list[Obj],
    active: list[Obj],
    terminating: list[Obj],
    succeeded: int,
    completed: set[int],
    now: float,
    result: JobSync,
    suffix: Callable[[], str],
) -> int:
    """Create or delete pods toward the wanted number of active ones; returns the active count."""
    spec = spec_of(job)
    if spec.get("suspend"):
        for pod in active:
            result.delete.append(PodDeletion(name_of(pod), count=False))
            result.events.append(Event("Normal", "SuccessfulDelete", f"Deleted pod: {name_of(pod)}"))
        return 0

    parallelism = int(spec.get("parallelism", 1) or 0)
    completions = spec.get("completions")
    if completions is None:
        wanted = 0 if succeeded > 0 else parallelism
        if succeeded > 0:
            return len(active)  # work queue: let the running ones finish, create nothing new
    else:
        wanted = max(0, min(parallelism, int(completions) - succeeded))

    policy = spec.get("podReplacementPolicy") or (
        "Failed" if spec.get("podFailurePolicy") else "TerminatingOrFailed"
    )
    occupied = len(active) + (len(terminating) if policy == "Failed" else 0)

    if len(active) > wanted:
        surplus = sorted(active, key=_deletion_rank)[: len(active) - wanted]
        for pod in surplus:
            result.delete.append(PodDeletion(name_of(pod), count=False))
            result.events.append(Event("Normal", "SuccessfulDelete", f"Deleted pod: {name_of(pod)}"))
        return wanted

    missing = wanted - occupied
    if missing <= 0:
        return len(active)

    ready_at = _backoff_ready_at(pods)
    if ready_at > now:
        result.requeue_at = ready_at if result.requeue_at is None else min(result.requeue_at, ready_at)
        return len(active)

    indexes: list[int | None]
    if is_indexed(job):
        busy = {pod_index(p) for p in active} | completed
        if policy == "Failed":
            busy |= {pod_index(p) for p in terminating}
        free = [i for i in range(int(completions or 0)) if i not in busy]
        indexes = list(free[:missing])
    else:
        indexes = [None] * missing
    for index in indexes:
        pod = new_pod(job, now, index, suffix)
        result.create.append(pod)
        result.events.append(Event("Normal", "SuccessfulCreate", f"Created pod: {name_of(pod)}"))
    return len(active) + len(indexes)


def _deletion_rank(pod: Obj) -> tuple[int, int, float]:
    """Which surplus pods go first: not yet running, then not ready, then the newest."""
    phase_rank = {"Pending": 0, "Running": 1}.get((pod.get("status") or {}).get("phase", ""), 0)
    created = parse_time(meta(pod).get("creationTimestamp")) or 0.0
    return (phase_rank, 1 if is_pod_ready(pod) else 0, -created)


def _backoff_ready_at(pods: list[Obj]) -> float:
    """When a replacement may be created: 10 s x 2^(n-1) after the last failure since the last success."""
    last_success = max(
        (pod_finish_time(p) for p in pods if (p.get("status") or {}).get("phase") == "Succeeded"),
        default=0.0,
    )
    failures = [
        pod_finish_time(p)
        for p in pods
        if (p.get("status") or {}).get("phase") == "Failed" and pod_finish_time(p) >= last_success
    ]
    if not failures:
        return 0.0
    return max(failures) + pod_failure_backoff(len(failures))


def job_needs_worker(job: Obj) -> bool:
    """Whether the worker has anything to do for this job (else it may exit)."""
    if is_job_finished(job):
        return spec_of(job).get("ttlSecondsAfterFinished") is not None
    spec = spec_of(job)
    return not spec.get("suspend") or bool((job.get("status") or {}).get("active"))
