"""The Job controller as a pure function: (job, its pods, now) -> what to do. No disk, no processes."""

from __future__ import annotations

from collections.abc import Callable, Set

from kjob import policies
from kjob.objects import (
    COMPLETION_INDEX_KEY,
    TRACKING_FINALIZER,
    Obj,
    Record,
    clone,
    find_condition,
    format_indexes,
    format_time,
    has_condition,
    is_deleting,
    is_job_finished,
    make_condition,
    meta,
    name_of,
    namespace_of,
    new_uid,
    parse_indexes,
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
MSG_MAX_FAILED_INDEXES = "Job has exceeded the specified maximal number of failed indexes"
MSG_FAILED_INDEXES = "Job has failed indexes"


class Event(Record):
    __slots__ = ("message", "reason", "type")

    def __init__(self, type: str, reason: str, message: str) -> None:
        self.type = type
        self.reason = reason
        self.message = message


class PodDeletion(Record):
    __slots__ = ("count", "name")

    def __init__(self, name: str, count: bool) -> None:
        self.name = name
        # Pods removed by suspend or a lowered parallelism are not counted as failed; the controller
        # drops their tracking finalizer first, as the real one does.
        self.count = count


class JobSync(Record):
    """What one sync of a job decided. The worker applies it: status first, then pods, then events."""

    __slots__ = ("create", "delete", "events", "requeue_at", "status", "strip_finalizers")

    def __init__(self, status: Obj) -> None:
        self.status = status
        self.create: list[Obj] = []
        self.delete: list[PodDeletion] = []
        self.strip_finalizers: list[str] = []
        self.events: list[Event] = []
        self.requeue_at: float | None = None


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
    pod_spec = clone(template.get("spec") or {})
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
    _default_requests(pod_spec)
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


def _default_requests(pod_spec: Obj) -> None:
    """SetDefaults_Pod: a container with limits requests what it limits, where it requests nothing of
    its own for that resource. (A Pod's defaulting, not a template's: the job's template keeps what it
    says.)"""
    for group in ("initContainers", "containers"):
        for container in pod_spec.get(group) or []:
            resources = container.get("resources")
            limits = resources.get("limits") if isinstance(resources, dict) else None
            if not isinstance(limits, dict) or not limits:
                continue
            requests = resources.get("requests")
            if not isinstance(requests, dict):
                requests = resources["requests"] = {}
            for name, value in limits.items():
                requests.setdefault(name, value)


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


JOB_CONTROLLER = "kubernetes.io/job-controller"


class _Counts(Record):
    """What the pods say, merged with what the status already counted."""

    __slots__ = (
        "completed",
        "fail_job",
        "failed",
        "failed_indexes",
        "succeeded",
        "unc_failed",
        "unc_succeeded",
    )

    def __init__(
        self,
        succeeded: int,
        failed: int,
        completed: set[int],
        failed_indexes: set[int] | None,
        unc_succeeded: list[str],
        unc_failed: list[str],
        fail_job: str | None,  # the message of a FailJob podFailurePolicy match
    ) -> None:
        self.succeeded = succeeded
        self.failed = failed
        self.completed = completed
        self.failed_indexes = failed_indexes
        self.unc_succeeded = unc_succeeded
        self.unc_failed = unc_failed
        self.fail_job = fail_job


def sync_job(
    job: Obj,
    pods: list[Obj],
    now: float,
    suffix: Callable[[], str] = random_suffix,
    backoff_scale: float = 1.0,
    spared: Set[str] = frozenset(),
) -> JobSync:
    """One pass of the Job controller over one job and the pods it owns. `spared`: the uids of pods this
    controller deleted itself, uncounted (suspended, scaled down), which are no failures for the
    back-off however they end (the real one takes their tracking finalizer off first, and counts into
    its back-off record only pods that have one)."""
    status: Obj = clone(job.get("status") or {})
    result = JobSync(status=status)
    spec = spec_of(job)
    if is_job_finished(job) or spec.get("managedBy", JOB_CONTROLLER) != JOB_CONTROLLER:
        return result

    suspended = bool(spec.get("suspend"))
    completions = spec.get("completions")

    # -- start time and suspend bookkeeping
    suspended_cond = find_condition(job, "Suspended")
    # Recorded after the pods this pass deletes or creates, as syncJob records it after manageJob.
    suspend_event: Event | None = None
    if suspended:
        if not (suspended_cond and suspended_cond.get("status") == "True"):
            _set_condition(status, make_condition("Suspended", "True", "JobSuspended", "Job suspended", now))
            suspend_event = Event("Normal", "Suspended", "Job suspended")
    else:
        if suspended_cond and suspended_cond.get("status") == "True":
            _set_condition(status, make_condition("Suspended", "False", "JobResumed", "Job resumed", now))
            suspend_event = Event("Normal", "Resumed", "Job resumed")
            status["startTime"] = format_time(now)
        status.setdefault("startTime", format_time(now))

    counts = _count_pods(job, pods, status, result)
    if is_indexed(job):
        status["completedIndexes"] = format_indexes(counts.completed)
        if counts.failed_indexes is not None:
            status["failedIndexes"] = format_indexes(counts.failed_indexes)
    counted_succeeded = counts.succeeded + (0 if is_indexed(job) else len(counts.unc_succeeded))
    counted_failed = counts.failed + len(counts.unc_failed)

    active = [p for p in pods if not pod_is_terminal(p) and not is_deleting(p)]
    terminating = [p for p in pods if not pod_is_terminal(p) and is_deleting(p)]

    finish = _decide_finish(job, status, counts, counted_succeeded, counted_failed, active, now, result)
    if finish is None and not suspended:
        done = (
            (counted_succeeded > 0 and not active)
            if completions is None
            else (counted_succeeded >= int(completions) and not active)
        )
        if done:
            finish = ("SuccessCriteriaMet", "CompletionsReached", MSG_COMPLETIONS)

    if finish is not None:
        interim, reason, message = finish
        if not has_condition(job, interim):
            _set_condition(status, make_condition(interim, "True", reason, message, now))
        if interim == "FailureTarget":
            _count_unfinished_as_failed(job, [*active, *terminating], counts, result)
        for pod in active:
            result.delete.append(PodDeletion(name_of(pod), count=interim == "FailureTarget"))
            result.events.append(Event("Normal", "SuccessfulDelete", f"Deleted pod: {name_of(pod)}"))
        if not active and not terminating and not counts.unc_succeeded and not counts.unc_failed:
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
            job,
            pods,
            active,
            terminating,
            counted_succeeded,
            counts,
            now,
            result,
            suffix,
            backoff_scale,
            spared,
        )
    if suspend_event is not None:
        result.events.append(suspend_event)

    status["active"] = active_after
    status["ready"] = sum(1 for p in active if is_pod_ready(p)) if finish is None else 0
    status["terminating"] = len(terminating) + sum(1 for d in result.delete if d.count)
    status["succeeded"] = counts.succeeded
    status["failed"] = counts.failed
    status["uncountedTerminatedPods"] = {
        k: v for k, v in (("succeeded", counts.unc_succeeded), ("failed", counts.unc_failed)) if v
    }
    for key in ("active", "succeeded", "failed"):
        if not status.get(key):
            status.pop(key, None)
    return result


def _count_pods(job: Obj, pods: list[Obj], status: Obj, result: JobSync) -> _Counts:
    """Count finished pods through the tracking finalizer, crash-safe as uncountedTerminatedPods is:
    a finished pod is first listed as uncounted, then loses its finalizer, then moves into the counts."""
    spec = spec_of(job)
    indexed = is_indexed(job)
    completions = int(spec.get("completions") or 0)
    has_pfp = bool(spec.get("podFailurePolicy"))
    per_index = spec.get("backoffLimitPerIndex")
    uncounted = status.get("uncountedTerminatedPods") or {}

    def in_range(text: str | None) -> set[int]:
        # An Indexed job scaled down forgets what it did beyond its completions (as
        # succeededIndexesFromString reads them): that work is no longer asked for.
        return {i for i in parse_indexes(text) if i < completions}

    counts = _Counts(
        succeeded=int(status.get("succeeded") or 0),
        failed=int(status.get("failed") or 0),
        completed=in_range(status.get("completedIndexes")) if indexed else set(),
        failed_indexes=in_range(status.get("failedIndexes")) if per_index is not None else None,
        unc_succeeded=list(uncounted.get("succeeded") or []),
        unc_failed=list(uncounted.get("failed") or []),
        fail_job=None,
    )
    by_uid = {uid_of(p): p for p in pods}

    def finalized(uid: str) -> bool:
        pod = by_uid.get(uid)
        return pod is None or TRACKING_FINALIZER not in (meta(pod).get("finalizers") or [])

    for uid in [u for u in counts.unc_succeeded if finalized(u)]:
        counts.unc_succeeded.remove(uid)
        counts.succeeded += 0 if indexed else 1
    for uid in [u for u in counts.unc_failed if finalized(u)]:
        counts.unc_failed.remove(uid)
        counts.failed += 1

    for pod in pods:
        if TRACKING_FINALIZER not in (meta(pod).get("finalizers") or []):
            continue
        uid = uid_of(pod)
        if uid in counts.unc_succeeded or uid in counts.unc_failed:
            result.strip_finalizers.append(name_of(pod))
            continue
        phase = (pod.get("status") or {}).get("phase")
        idx = pod_index(pod)
        if phase == "Succeeded":
            index_open = counts.failed_indexes is None or idx not in counts.failed_indexes
            if indexed and idx is not None and idx < completions and index_open:
                counts.completed.add(idx)
            counts.unc_succeeded.append(uid)
            result.strip_finalizers.append(name_of(pod))
            continue
        deleted_counts = is_deleting(pod) and not _only_replaces_failed(job)
        if phase != "Failed" and not deleted_counts:
            continue
        match = policies.match_pod_failure_policy(job, pod) if has_pfp and phase == "Failed" else None
        result.strip_finalizers.append(name_of(pod))
        if match is not None and match.action == "Ignore":
            continue  # not counted toward any limit
        counts.unc_failed.append(uid)
        if match is not None and match.action == "FailJob" and counts.fail_job is None:
            counts.fail_job = match.message
        if counts.failed_indexes is not None and idx is not None:
            exhausted = policies.failure_count(pod) >= int(per_index or 0)
            if (match is not None and match.action == "FailIndex") or exhausted:
                counts.failed_indexes.add(idx)
                counts.completed.discard(idx)
    if indexed:
        counts.succeeded = len(counts.completed)
    return counts


def _count_unfinished_as_failed(job: Obj, pods: list[Obj], counts: _Counts, result: JobSync) -> None:
    """trackJobStatusAndRemoveFinalizers: once a job is to fail, every pod of it not finished yet is
    counted failed at once and let go, whatever it ends with (a pod that traps SIGTERM and exits 0
    is no success of the job's)."""
    completions = int(spec_of(job).get("completions") or 0)
    for pod in pods:
        uid = uid_of(pod)
        if TRACKING_FINALIZER not in (meta(pod).get("finalizers") or []):
            continue
        if uid in counts.unc_failed or uid in counts.unc_succeeded:
            continue
        index = pod_index(pod)
        if is_indexed(job) and (index is None or index >= completions):
            continue
        counts.unc_failed.append(uid)
        result.strip_finalizers.append(name_of(pod))


def _decide_finish(
    job: Obj,
    status: Obj,
    counts: _Counts,
    succeeded: int,
    failed: int,
    active: list[Obj],
    now: float,
    result: JobSync,
) -> tuple[str, str, str] | None:
    """Whether the job has finished, in syncJob's order: an interim condition already set, a FailJob
    rule, the backoff limit, the deadline, failed indexes, then the success policy."""
    spec = spec_of(job)
    for interim in ("SuccessCriteriaMet", "FailureTarget"):
        if has_condition(job, interim):
            cond = find_condition(job, interim) or {}
            return (interim, cond.get("reason", ""), cond.get("message", ""))
    if counts.fail_job is not None:
        return ("FailureTarget", "PodFailurePolicy", counts.fail_job)
    backoff_limit = int(spec.get("backoffLimit", 6))
    restarts = _restarts(active)
    if failed > backoff_limit or (
        restart_policy(job) == "OnFailure" and restarts > 0 and restarts >= backoff_limit
    ):
        return ("FailureTarget", "BackoffLimitExceeded", MSG_BACKOFF)
    if not spec.get("suspend") and spec.get("activeDeadlineSeconds") is not None:
        start = parse_time(status.get("startTime")) or now
        deadline = start + float(spec["activeDeadlineSeconds"])
        if now >= deadline:
            return ("FailureTarget", "DeadlineExceeded", MSG_DEADLINE)
        result.requeue_at = deadline
    if counts.failed_indexes:
        max_failed = spec.get("maxFailedIndexes")
        if max_failed is not None and len(counts.failed_indexes) > int(max_failed):
            return ("FailureTarget", "MaxFailedIndexesExceeded", MSG_MAX_FAILED_INDEXES)
        if (
            len(counts.failed_indexes) + len(counts.completed) >= int(spec.get("completions") or 0)
            and not active
        ):
            return ("FailureTarget", "FailedIndexes", MSG_FAILED_INDEXES)
    if is_indexed(job) and spec.get("successPolicy"):
        rule = policies.success_policy_match(job, counts.completed)
        if rule is not None:
            return ("SuccessCriteriaMet", "SuccessPolicy", f"Matched rules at index {rule}")
    return None


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
    counts: _Counts,
    now: float,
    result: JobSync,
    suffix: Callable[[], str],
    backoff_scale: float,
    spared: Set[str],
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
    indexed = is_indexed(job)
    if completions is None:
        if succeeded > 0:
            return len(active)  # work queue: let the running ones finish, create nothing new
        wanted = parallelism
    elif indexed:
        done = counts.completed | (counts.failed_indexes or set())
        wanted = min(parallelism, int(completions) - len(done))
    else:
        wanted = min(parallelism, int(completions) - succeeded)
    wanted = max(0, wanted)

    if indexed:
        # A second pod for an index, or a pod for a finished or out-of-range index, goes first.
        seen: set[int] = set()
        doomed = []
        for pod in sorted(active, key=lambda p: parse_time(meta(p).get("creationTimestamp")) or 0.0):
            idx = pod_index(pod)
            finished = counts.completed | (counts.failed_indexes or set())
            if idx is None or idx in seen or idx in finished or idx >= int(completions or 0):
                doomed.append(pod)
            else:
                seen.add(idx)
        if doomed:
            for pod in doomed:
                result.delete.append(PodDeletion(name_of(pod), count=False))
                result.events.append(Event("Normal", "SuccessfulDelete", f"Deleted pod: {name_of(pod)}"))
            return len(active) - len(doomed)

    occupied = len(active) + (len(terminating) if _only_replaces_failed(job) else 0)

    if len(active) > wanted:
        surplus = sorted(active, key=_deletion_rank)[: len(active) - wanted]
        for pod in surplus:
            result.delete.append(PodDeletion(name_of(pod), count=False))
            result.events.append(Event("Normal", "SuccessfulDelete", f"Deleted pod: {name_of(pod)}"))
        return wanted

    missing = wanted - occupied
    if missing <= 0:
        return len(active)

    per_index = spec.get("backoffLimitPerIndex") is not None
    if not per_index:
        ready_at = _backoff_ready_at(job, [p for p in pods if uid_of(p) not in spared], backoff_scale)
        if ready_at > now:
            result.requeue_at = ready_at if result.requeue_at is None else min(result.requeue_at, ready_at)
            return len(active)

    plans: list[tuple[int | None, dict[str, str]]] = []
    if indexed:
        busy = {pod_index(p) for p in active} | counts.completed | (counts.failed_indexes or set())
        if _only_replaces_failed(job):
            busy |= {pod_index(p) for p in terminating}
        for i in range(int(completions or 0)):
            if len(plans) >= missing:
                break
            if i in busy:
                continue
            annotations: dict[str, str] = {}
            if per_index:
                last = _last_failed_for_index(job, pods, i)
                if last is not None:
                    pod, ignored = last
                    fails = policies.failure_count(pod) + (0 if ignored else 1)
                    ignores = policies.failure_count(pod, policies.IGNORED_FAILURE_COUNT_KEY) + (
                        1 if ignored else 0
                    )
                    ready_at = pod_finish_time(pod) + backoff_scale * pod_failure_backoff(fails + ignores)
                    if ready_at > now:
                        result.requeue_at = (
                            ready_at if result.requeue_at is None else min(result.requeue_at, ready_at)
                        )
                        continue
                    annotations[policies.FAILURE_COUNT_KEY] = str(fails)
                    if ignores:
                        annotations[policies.IGNORED_FAILURE_COUNT_KEY] = str(ignores)
                else:
                    annotations[policies.FAILURE_COUNT_KEY] = "0"
            plans.append((i, annotations))
    else:
        plans = [(None, {}) for _ in range(missing)]
    for index, annotations in plans:
        pod = new_pod(job, now, index, suffix)
        if annotations:
            pod["metadata"].setdefault("annotations", {}).update(annotations)
        result.create.append(pod)
        result.events.append(Event("Normal", "SuccessfulCreate", f"Created pod: {name_of(pod)}"))
    return len(active) + len(plans)


def _last_failed_for_index(job: Obj, pods: list[Obj], index: int) -> tuple[Obj, bool] | None:
    """The latest failed pod of an index, and whether the policy ignored its failure."""
    failed = [p for p in pods if pod_index(p) == index and (p.get("status") or {}).get("phase") == "Failed"]
    if not failed:
        return None
    last = max(failed, key=pod_finish_time)
    match = policies.match_pod_failure_policy(job, last) if spec_of(job).get("podFailurePolicy") else None
    return last, match is not None and match.action == "Ignore"


def _deletion_rank(pod: Obj) -> tuple[int, int, float]:
    """Which surplus pods go first: not yet running, then not ready, then the newest."""
    phase_rank = {"Pending": 0, "Running": 1}.get((pod.get("status") or {}).get("phase", ""), 0)
    created = parse_time(meta(pod).get("creationTimestamp")) or 0.0
    return (phase_rank, 1 if is_pod_ready(pod) else 0, -created)


def _backoff_ready_at(job: Obj, pods: list[Obj], scale: float = 1.0) -> float:
    """When a replacement may be created: 10 s x 2^(n-1) after the last failure since the last success
    (newBackoffRecord). A failure is any pod isPodFailed takes for one: failed, whatever a
    podFailurePolicy rule makes of it (issue #119378), or deleted unfinished unless only failed pods
    are replaced; one that ended no later than the last success does not count."""
    failed = [p for p in pods if _is_pod_failed(job, p)]
    if not failed:
        return 0.0  # the common case, and every pass: no finish time of the other pods to parse
    last_success = max(
        (pod_finish_time(p) for p in pods if (p.get("status") or {}).get("phase") == "Succeeded"),
        default=0.0,
    )
    failures = [t for t in map(pod_finish_time, failed) if t > last_success]
    if not failures:
        return 0.0
    return max(failures) + scale * pod_failure_backoff(len(failures))


def _is_pod_failed(job: Obj, pod: Obj) -> bool:
    phase = (pod.get("status") or {}).get("phase")
    if phase == "Failed":
        return True
    return not _only_replaces_failed(job) and is_deleting(pod) and phase != "Succeeded"


def _only_replaces_failed(job: Obj) -> bool:
    """onlyReplaceFailedPods: podReplacementPolicy Failed, which a podFailurePolicy implies."""
    spec = spec_of(job)
    return spec.get("podReplacementPolicy") == "Failed" or bool(spec.get("podFailurePolicy"))
