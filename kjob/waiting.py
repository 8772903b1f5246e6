"""kubectl wait: `--for` parsed as kubectl parses it, and conditions on objects checked each time the worker
reports a change."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from kjob import worker
from kjob.commands import Outcome
from kjob.errors import KjobError, PlainError
from kjob.jsonpath import JSONPathError, Template, go_sprint
from kjob.objects import Obj, meta, uid_of
from kjob.removal import RECHECK, Target, kind_string, not_found
from kjob.store import Store

# kubectl polls every half second while it waits for objects to be created.
CREATE_POLL = 0.5


@dataclass(frozen=True)
class WaitFor:
    mode: str  # "condition" | "jsonpath" | "delete" | "create"
    condition: str = ""
    value: str = ""
    template: Template | None = None

    @property
    def match_any(self) -> bool:
        return self.mode == "jsonpath" and not self.value


def parse_wait_for(text: str | None) -> WaitFor:
    """--for as kubectl reads it: `delete` and `create` in any case, `condition=` and `jsonpath=` as typed."""
    raw = text or ""
    if raw.lower() == "delete":
        return WaitFor("delete")
    if raw.lower() == "create":
        return WaitFor("create")
    if raw.startswith("condition="):
        name, sep, value = raw[len("condition=") :].partition("=")
        return WaitFor("condition", name, value if sep else "true")
    if raw.startswith("jsonpath="):
        return _parse_jsonpath(raw[len("jsonpath=") :])
    raise PlainError(f'unrecognized condition: "{raw}"')


def _split_jsonpath_input(text: str) -> list[str]:
    """Split on single `=`; `==` (a filter's comparison) stays in the expression."""
    parts: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "=":
            if i + 1 < len(text) and text[i + 1] == "=":
                current.append("==")
                i += 2
                continue
            parts.append("".join(current))
            current = []
        else:
            current.append(text[i])
        i += 1
    parts.append("".join(current))
    return parts


def _parse_jsonpath(text: str) -> WaitFor:
    from kjob import jsonpath

    parts = _split_jsonpath_input(text)
    if len(parts) > 2:
        raise PlainError(
            "jsonpath wait format must be --for=jsonpath='{.status.readyReplicas}'=3 or "
            "--for=jsonpath='{.status.readyReplicas}'"
        )
    expression = jsonpath.relaxed(parts[0])
    value = ""
    if len(parts) == 2:
        value = parts[1].strip("'\"")
        if not value:
            raise PlainError(
                "jsonpath wait has to have a value after equal sign, like "
                "--for=jsonpath='{.status.readyReplicas}'=3"
            )
    if not expression:
        raise PlainError("jsonpath expression cannot be empty")
    try:
        template = jsonpath.parse(expression)
    except JSONPathError as e:
        raise PlainError(e.reason) from None
    return WaitFor("jsonpath", value=value, template=template)


# ---------------------------------------------------------------- checks


def _equal_fold(a: str, b: str) -> bool:
    """Go's strings.EqualFold: equal under simple Unicode case folding."""
    return len(a) == len(b) and all(
        x == y or x.lower() == y.lower() or x.upper() == y.upper() for x, y in zip(a, b, strict=True)
    )


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def condition_met(obj: Obj, spec: WaitFor) -> bool:
    """kubectl's ConditionalWait: the first condition of that type decides; one observed for an older
    generation does not count."""
    conditions = (obj.get("status") or {}).get("conditions")
    if not isinstance(conditions, list):
        return False
    for cond in conditions:
        if not isinstance(cond, dict):
            return False
        ctype, status = cond.get("type"), cond.get("status")
        if (
            not isinstance(ctype, str)
            or not _equal_fold(ctype, spec.condition)
            or not isinstance(status, str)
        ):
            continue
        generation = _int(meta(obj).get("generation"))
        if generation is not None:
            observed = _int(cond.get("observedGeneration"))
            if observed is None:
                observed = _int((obj.get("status") or {}).get("observedGeneration"))
            if observed is not None and observed < generation:
                return False
        return _equal_fold(status, spec.value)
    return False


def jsonpath_met(obj: Obj, spec: WaitFor) -> bool:
    """kubectl's JSONPathWait: exactly one value, compared as fmt's %v text, spaces trimmed."""
    assert spec.template is not None
    try:
        results = spec.template.find(obj, allow_missing=True)
    except JSONPathError as e:
        raise PlainError(e.reason) from None
    if not results or not results[0]:
        return False
    if len(results) > 1:
        raise PlainError("given jsonpath expression matches more than one list")
    if len(results[0]) > 1:
        raise PlainError("given jsonpath expression matches more than one value")
    if spec.match_any:
        return True
    value = results[0][0]
    if isinstance(value, (dict, list)):
        raise PlainError("jsonpath leads to a nested object or list which is not supported")
    return go_sprint(value).strip() == spec.value.strip()


def is_met(obj: Obj, spec: WaitFor) -> bool:
    return jsonpath_met(obj, spec) if spec.mode == "jsonpath" else condition_met(obj, spec)


def met_line(target: Target) -> str:
    return f"{kind_string(target.kind)}/{target.name} condition met"


# ---------------------------------------------------------------- waiting


class _Clock:
    """One timeout shared by every object, and the worker's change notifications to sleep on."""

    def __init__(self, store: Store, timeout: float, jobs_only: bool = False) -> None:
        self.store = store
        self.timeout = timeout
        self.jobs_only = jobs_only  # woken only by passes that move a job (see worker.JOBS_ONLY)
        self.deadline = time.monotonic() + timeout
        self.watcher: worker.Watcher | None = None

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def sleep(self, at_most: float | None = None) -> bytes:
        """Until the worker's next change, at most RECHECK; what its wake-ups said (see Watcher.wait)."""
        if self.watcher is None:
            self.watcher = worker.Watcher(self.store, self.jobs_only)
        limit = min(RECHECK if at_most is None else at_most, self.remaining())
        return self.watcher.wait(limit)

    def close(self) -> None:
        if self.watcher is not None:
            self.watcher.close()


def _moves_with_jobs(spec: WaitFor, kind: str) -> bool:
    """Whether what is waited for changes only in the worker's passes that say a job moved (see
    worker.JOBS_MOVED): a job's condition. The other passes' wake-ups are not read for."""
    return spec.mode == "condition" and kind == "jobs"


def wait_for(store: Store, targets: list[Target], spec: WaitFor, timeout: float) -> Iterator[Outcome]:
    """kubectl wait over the targets in order: an outcome as each is met or fails, sharing one timeout.

    A negative timeout waits a week; zero checks once.
    """
    if timeout < 0:
        timeout = 168 * 3600.0
    jobs_only = all(_moves_with_jobs(spec, t.kind) for t in targets)
    clock = _Clock(store, timeout, jobs_only)
    try:
        # A watcher before the first look, so that no change between look and sleep is missed.
        if timeout > 0:
            clock.watcher = worker.Watcher(store, jobs_only)
        present = [o for t in targets if (o := t.obj or store.get(t.kind, t.namespace, t.name)) is not None]
        worker.ensure_running(store, present)
        if spec.mode == "create":
            failed = _wait_created(store, targets, clock)
            if failed:
                yield from failed
                return
        for target in targets:
            yield _wait_one(store, target, spec, clock)
    finally:
        clock.close()


def _wait_created(store: Store, targets: list[Target], clock: _Clock) -> list[Outcome]:
    """kubectl's create poll: done when every named object exists. kubectl keeps waiting while one object
    is missing but gives up at once when several are (their errors come back together)."""
    while True:
        missing = [t for t in targets if t.obj is None and store.get(t.kind, t.namespace, t.name) is None]
        if not missing:
            return []
        if len(missing) > 1:
            return [Outcome(error=not_found(t)) for t in missing]
        if clock.remaining() <= 0:
            return [Outcome(error=PlainError("timed out waiting for the condition"))]
        clock.sleep(CREATE_POLL)


def _wait_one(store: Store, target: Target, spec: WaitFor, clock: _Clock) -> Outcome:
    obj = store.get(target.kind, target.namespace, target.name)
    if obj is None:
        # For delete, an object that is already gone is skipped without a word.
        return Outcome() if spec.mode == "delete" else Outcome(error=not_found(target))
    if spec.mode == "create":
        return Outcome(line=met_line(target), obj=obj)
    if spec.mode == "delete":
        return _wait_deleted(store, target, obj, clock)
    try:
        if clock.timeout == 0:
            if is_met(obj, spec):
                return Outcome(line=met_line(target), obj=obj)
            return Outcome(error=PlainError(f"condition not met for {target.object_name}"))
        if clock.remaining() <= 0:
            # kubectl's watch cannot even start once the shared timeout is spent.
            return Outcome(error=timed_out(target))
        jobs_only = _moves_with_jobs(spec, target.kind)
        while True:
            if obj is not None and is_met(obj, spec):
                return Outcome(line=met_line(target), obj=obj)
            if clock.remaining() <= 0:
                return Outcome(error=timed_out(target))
            said = clock.sleep()
            if jobs_only and said and not said.strip(worker.OTHERS_MOVED):
                continue
            # An object deleted while watched is waited for, in case it comes back.
            obj = store.get(target.kind, target.namespace, target.name)
    except KjobError as e:
        return Outcome(error=e)


def _wait_deleted(store: Store, target: Target, obj: Obj, clock: _Clock) -> Outcome:
    if clock.timeout == 0:
        return Outcome(error=PlainError(f"condition not met for {target.object_name}"))
    uid = uid_of(obj)
    while True:
        current = store.get(target.kind, target.namespace, target.name)
        if current is None or uid_of(current) != uid:
            return Outcome(line=met_line(target), obj=obj)
        if clock.remaining() <= 0:
            return Outcome(error=timed_out(target))
        clock.sleep()


def timed_out(target: Target) -> PlainError:
    return PlainError(f"timed out waiting for the condition on {target.object_name}")
