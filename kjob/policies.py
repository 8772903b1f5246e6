"""The Job's policies as pure rules: podFailurePolicy, backoffLimitPerIndex and successPolicy."""

from __future__ import annotations

from typing import Any

from kjob.objects import Obj, Record, meta, name_of, namespace_of, parse_indexes

FAILURE_COUNT_KEY = "batch.kubernetes.io/job-index-failure-count"
IGNORED_FAILURE_COUNT_KEY = "batch.kubernetes.io/job-index-ignored-failure-count"


class FailureMatch(Record):
    __slots__ = ("action", "message", "rule")

    def __init__(self, action: str, rule: int, message: str = "") -> None:
        self.action = action  # FailJob, Ignore, Count, FailIndex
        self.rule = rule
        self.message = message


def _exit_codes(pod: Obj, container: str | None) -> list[tuple[str, int]]:
    """Non-zero exit codes of terminated containers, regular ones first, then init containers."""
    status = pod.get("status") or {}
    out = []
    for key in ("containerStatuses", "initContainerStatuses"):
        for cs in status.get(key) or []:
            if container is not None and cs.get("name") != container:
                continue
            term = (cs.get("state") or {}).get("terminated")
            if term is not None and int(term.get("exitCode", 0)) != 0:
                out.append((str(cs.get("name")), int(term["exitCode"])))
    return out


def match_pod_failure_policy(job: Obj, pod: Obj) -> FailureMatch | None:
    """The first podFailurePolicy rule a failed pod matches (pod_failure_policy.go), or None."""
    policy = (job.get("spec") or {}).get("podFailurePolicy") or {}
    for i, rule in enumerate(policy.get("rules") or []):
        action = str(rule.get("action", ""))
        on_codes = rule.get("onExitCodes")
        if on_codes is not None:
            values = set(on_codes.get("values") or [])
            operator = on_codes.get("operator")
            for container, code in _exit_codes(pod, on_codes.get("containerName")):
                if (operator == "In" and code in values) or (operator == "NotIn" and code not in values):
                    message = (
                        f"Container {container} for pod {namespace_of(pod)}/{name_of(pod)} failed with exit "
                        f"code {code} matching {action} rule at index {i}"
                    )
                    return FailureMatch(action, i, message)
            continue
        for pattern in rule.get("onPodConditions") or []:
            wanted = pattern.get("status", "True")
            for cond in (pod.get("status") or {}).get("conditions") or []:
                if cond.get("type") == pattern.get("type") and cond.get("status") == wanted:
                    message = (
                        f"Pod {namespace_of(pod)}/{name_of(pod)} has condition {cond['type']} matching "
                        f"{action} rule at index {i}"
                    )
                    return FailureMatch(action, i, message)
    return None


def failure_count(pod: Obj, key: str = FAILURE_COUNT_KEY) -> int:
    try:
        return int((meta(pod).get("annotations") or {}).get(key, "0"))
    except ValueError:
        return 0


def success_policy_match(job: Obj, completed: set[int]) -> int | None:
    """The index of the first successPolicy rule the succeeded indexes satisfy (success_policy.go)."""
    policy = (job.get("spec") or {}).get("successPolicy") or {}
    for i, rule in enumerate(policy.get("rules") or []):
        raw: Any = rule.get("succeededIndexes")
        count = rule.get("succeededCount")
        indexes = parse_indexes(raw) if raw is not None else None
        if indexes is not None and count is None:
            matched = indexes <= completed
        elif indexes is None and count is not None:
            matched = len(completed) >= int(count)
        elif indexes is not None and count is not None:
            matched = len(indexes & completed) >= int(count)
        else:
            matched = False
        if matched:
            return i
    return None
