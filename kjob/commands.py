"""One function per verb over the store: they return objects and results, and never print."""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Iterator
from typing import IO, Any

from kjob import worker
from kjob.errors import AlreadyExists, BadRequest, KjobError, NotFound, PlainError, UsageError
from kjob.objects import (
    JOB_RESOURCE,
    POD_RESOURCE,
    SERVER_RESOURCE,
    Obj,
    Record,
    kind_prefix,
    name_of,
    now,
    resolve_resource,
)
from kjob.store import Store

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


class Outcome(Record):
    """The result of acting on one object: a line for stdout, or an error for stderr. (A plain class:
    a dataclass cost `create`, `apply` and `delete` ~0.8 ms at start-up, dataclasses' import and the
    class's building.)"""

    __slots__ = ("error", "line", "obj", "warnings")

    def __init__(
        self,
        line: str = "",
        error: KjobError | None = None,
        obj: Obj | None = None,
        warnings: list[str] | None = None,
    ) -> None:
        self.line = line
        self.error = error
        self.obj = obj
        self.warnings = [] if warnings is None else warnings


# ---------------------------------------------------------------- create


def read_sources(paths: list[str], stdin: IO[str] | None) -> list[tuple[str, str]]:
    """(name, text) for each manifest: files, every .yaml/.yml/.json of a directory, or `-`."""
    from kjob.manifest import MAX_MANIFEST_BYTES

    out: list[tuple[str, str]] = []
    for path in paths:
        if path == "-":
            # Never more than the server would take, then refused (load_documents): `yes | kjob create
            # -f -` grew without end. Its bytes are read as a file's are (a byte order mark, bytes
            # that are no UTF-8).
            raw = getattr(stdin, "buffer", None)
            if raw is not None:
                out.append(("STDIN", _decode_manifest(raw.read(2 * MAX_MANIFEST_BYTES + 3))))
            else:
                out.append(("STDIN", stdin.read(MAX_MANIFEST_BYTES + 1) if stdin is not None else ""))
            continue
        if os.path.isdir(path):
            names = sorted(os.listdir(path))
            files = [
                os.path.join(path, n)
                for n in names
                if os.path.isfile(os.path.join(path, n)) and os.path.splitext(n)[1] in MANIFEST_SUFFIXES
            ]
        elif os.path.exists(path):
            files = [path]
        else:
            raise PlainError(f'the path "{path}" does not exist')
        for f in files:
            try:
                with open(f, "rb") as stream:
                    # Enough for the limit in UTF-16 too (/dev/zero is read no further).
                    data = stream.read(2 * MAX_MANIFEST_BYTES + 3)
                out.append((f, _decode_manifest(data)))
            except OSError as e:
                raise PlainError(f"error reading {f}: {getattr(e, 'strerror', None) or e}") from e
    return out


def _decode_manifest(data: bytes) -> str:
    """kubectl reads a manifest that starts with a UTF-16 byte order mark as UTF-16 (the decoder's
    BOMOverride: what PowerShell writes by default), any other as UTF-8. Bytes that are no UTF-8 stay
    in the text as U+FFFD, as kubectl's YAML reader lets them through (a control character among
    them is refused by the parse, as there)."""
    utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))
    return data.decode("utf-16" if utf16 else "utf-8", errors="replace")


DRY_RUN_NONE, DRY_RUN_CLIENT, DRY_RUN_SERVER = "none", "client", "server"
# kubectl's --dry-run without a value (NoOptDefVal): the deprecated spelling of --dry-run=client.
DRY_RUN_BARE = "unchanged"
_GO_TRUE = ("1", "t", "T", "TRUE", "true", "True")
_GO_FALSE = ("0", "f", "F", "FALSE", "false", "False")


def dry_run_strategy(value: str) -> tuple[str, str | None]:
    """cmdutil.GetDryRunStrategy: the strategy, and the deprecation warning klog would print."""
    if value == DRY_RUN_BARE:
        return DRY_RUN_CLIENT, "--dry-run is deprecated and can be replaced with --dry-run=client."
    if value in (DRY_RUN_CLIENT, DRY_RUN_SERVER, DRY_RUN_NONE):
        return value, None
    if value in _GO_TRUE or value in _GO_FALSE:
        to = DRY_RUN_CLIENT if value in _GO_TRUE else DRY_RUN_NONE
        return to, f"--dry-run={value} is deprecated (boolean value) and can be replaced with --dry-run={to}."
    raise PlainError(f'Invalid dry-run value ({value}). Must be "none", "server", or "client".')


def dry_run_suffix(strategy: str) -> str:
    return {DRY_RUN_CLIENT: " (dry run)", DRY_RUN_SERVER: " (server dry run)"}.get(strategy, "")


VALIDATE_STRICT, VALIDATE_WARN, VALIDATE_IGNORE = "Strict", "Warn", "Ignore"


def validation_directive(value: str) -> str:
    """cmdutil.GetValidationDirective: the fieldValidation the API server is asked for."""
    if value in _GO_TRUE:
        return VALIDATE_STRICT
    if value in _GO_FALSE:
        return VALIDATE_IGNORE
    directive = {"strict": VALIDATE_STRICT, "warn": VALIDATE_WARN, "ignore": VALIDATE_IGNORE}.get(value)
    if directive is None:
        raise PlainError(
            f'invalid - validate option "{value}"; must be one of: strict (or true), warn, ignore (or false)'
        )
    return directive


_UNKNOWN_FIELD = re.compile(r'unknown field "((?:[^"\\]|\\.)*)"')


def check_fields(
    manifest: Any, obj: Obj, source: str, verb: str, validation: str, kind: str = "Job"
) -> list[str]:
    """The API server's field validation under a fieldValidation directive.

    Strict raises what the server answers; Warn and Ignore drop unknown fields from obj (Warn also
    returns the server's `Warning: unknown field "..."` lines). Type errors fail in every mode.
    """
    try:
        manifest.check_fields(obj, source, verb=verb, kind=kind)
        return []
    except BadRequest as e:
        if validation == VALIDATE_STRICT or "strict decoding error: " not in e.text:
            raise
        paths = _UNKNOWN_FIELD.findall(e.text.split("strict decoding error: ", 1)[1])
    for path in paths:
        _drop_path(obj, path)
    return [f'Warning: unknown field "{p}"' for p in paths] if validation == VALIDATE_WARN else []


def _drop_path(obj: Any, path: str) -> None:
    """Remove the field at a strict-decoding path (`spec.template.spec.containers[0].x`)."""
    parts = [p for p in re.split(r"\.|(\[\d+\])", path) if p]
    node = obj
    i = 0
    while i < len(parts) - 1 and node is not None:
        part = parts[i]
        if part.startswith("[") and isinstance(node, list):
            index = int(part[1:-1])
            node = node[index] if index < len(node) else None
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            return
        i += 1
    if isinstance(node, dict):
        node.pop(parts[-1], None)


def each_document(sources: list[tuple[str, str]]) -> Iterator[tuple[str, Obj | Outcome]]:
    """(source, object) for every document of every manifest; a source that cannot be read or
    parsed yields its error as an Outcome, and the others go on."""
    from kjob import manifest

    for source, text in sources:
        try:
            docs = manifest.load_documents(text, source)
        except KjobError as e:
            yield source, Outcome(error=e)
            continue
        for doc in docs:
            yield source, doc


def create_from_sources(
    store: Store,
    sources: list[tuple[str, str]],
    namespace: str,
    namespace_explicit: bool,
    dry_run: str = DRY_RUN_NONE,
    validation: str = VALIDATE_STRICT,
    save_config: bool = False,
) -> list[Outcome]:
    """kubectl create -f: every Job of every source, each created (or dry-run) on its own."""
    if dry_run == DRY_RUN_NONE:
        worker.start_early(store)  # its start-up goes on while the manifests are parsed and checked
    from kjob import manifest

    outcomes = [
        doc
        if isinstance(doc, Outcome)
        else _create_one(
            store, manifest, doc, source, namespace, namespace_explicit, dry_run, validation, save_config
        )
        for source, doc in each_document(sources)
    ]
    if not outcomes:
        outcomes.append(Outcome(error=PlainError("no objects passed to create")))
    if dry_run == DRY_RUN_NONE and any(o.obj is not None for o in outcomes):
        worker.ensure_running(store)
    return outcomes


def _create_one(
    store: Store,
    manifest: Any,
    doc: Obj,
    source: str,
    namespace: str,
    explicit: bool,
    dry_run: str,
    validation: str,
    save_config: bool,
) -> Outcome:
    from kjob import apply

    context = f'error when creating "{source}": '
    warnings: list[str] = []
    try:
        # The builder fills in the namespace and checks an explicit one before anything is sent.
        job = manifest.prepare_job(doc, namespace, now(), namespace_explicit=explicit, context=context)
        sent = copy.deepcopy(doc)
        sent.setdefault("metadata", {})["namespace"] = name_space(job)
        if save_config:
            sent = apply.with_last_applied(sent)
        if dry_run == DRY_RUN_CLIENT:
            # Nothing reaches the server: no field validation, no defaults.
            return Outcome(line=f"{kind_prefix(sent)}/{name_of(sent)} created (dry run)", obj=sent)
        warnings = check_fields(manifest, sent, source, "creating", validation)
        job = manifest.prepare_job(sent, namespace, now(), namespace_explicit=explicit, context=context)
        manifest.validate_job_or_raise(job)
        if dry_run == DRY_RUN_NONE:
            with store.lock():
                store.create("jobs", job)
    except AlreadyExists as e:
        return Outcome(error=AlreadyExists(e.resource, e.name, context), warnings=warnings)
    except KjobError as e:
        return Outcome(error=e, warnings=warnings)
    warnings += [
        f'Warning: container "{c}" has no command: kjob runs containers on this machine, without the '
        "image's entrypoint, so it cannot start"
        for c in manifest.missing_command_containers(job)
    ]
    line = f"{kind_prefix(job)}/{name_of(job)} created{dry_run_suffix(dry_run)}"
    return Outcome(line=line, obj=job, warnings=warnings)


def name_space(obj: Obj) -> str:
    meta = obj.get("metadata")
    return str(meta.get("namespace") or "") if isinstance(meta, dict) else ""


# ---------------------------------------------------------------- create job (the imperative form)

_CRONJOB_TYPES = ("cronjob", "cronjobs", "cj", "cronjob.batch", "cronjobs.batch", "cronjobs.v1.batch")
_GO_TYPES = {"jobs": "*v1.Job", "pods": "*v1.Pod", "events": "*v1.Event"}


def job_from_image(name: str, image: str, command: list[str], namespace: str, explicit: bool) -> Obj:
    """createJob of kubectl create job: one container named after the job, restartPolicy Never, and
    the zero values a typed batchv1.Job serialises (`creationTimestamp: null`, `resources: {}`)."""
    container: Obj = {"name": name, "image": image}
    if command:
        container["command"] = list(command)
    container["resources"] = {}
    meta: Obj = {"name": name}
    if explicit:
        meta["namespace"] = namespace
    meta["creationTimestamp"] = None
    return {
        "kind": "Job",
        "apiVersion": "batch/v1",
        "metadata": meta,
        "spec": {
            "template": {
                "metadata": {"creationTimestamp": None},
                "spec": {"containers": [container], "restartPolicy": "Never"},
            }
        },
        "status": {},
    }


def job_from_resource(store: Store, namespace: str, text: str) -> Obj:
    """--from=TYPE/NAME: kubectl only copies CronJobs, and kjob has none."""
    kind_text, _, name = text.partition("/")
    if kind_text.lower() in _CRONJOB_TYPES:
        if not name:
            raise PlainError("resource(s) were provided, but no name was specified")
        raise NotFound("cronjobs.batch", name)
    kind = resolve_resource(kind_text)
    if not name:
        raise PlainError("resource(s) were provided, but no name was specified")
    if store.get(kind, namespace, name) is None:
        raise NotFound(SERVER_RESOURCE[kind], name)
    raise PlainError(f"unknown object type {_GO_TYPES[kind]}")


def create_job(store: Store, job: Obj, namespace: str, dry_run: str) -> Outcome:
    """The Create call of kubectl create job; the server's errors come back wrapped as kubectl wraps them."""
    from kjob import manifest

    try:
        stored = manifest.prepare_job(job, namespace, now())
        causes = manifest.validate_job(stored)
        if causes:
            shown = causes[0] if len(causes) == 1 else "[" + ", ".join(causes) + "]"
            raise PlainError(f'Job.batch "{name_of(stored)}" is invalid: {shown}')
        if dry_run == DRY_RUN_NONE:
            with store.lock():
                store.create("jobs", stored)
    except (AlreadyExists, NotFound, BadRequest) as e:
        return Outcome(error=PlainError(f"failed to create job: {e.text}"))
    except PlainError as e:
        return Outcome(error=PlainError(f"failed to create job: {e.message.removeprefix('error: ')}"))
    if dry_run == DRY_RUN_NONE:
        worker.ensure_running(store)
    line = f"job.batch/{name_of(stored)} created{dry_run_suffix(dry_run)}"
    return Outcome(line=line, obj=typed_job(stored))


def typed_job(job: Obj) -> Obj:
    """A stored Job as a typed batchv1.Job serialises: Go's zero values written out."""
    out = copy.deepcopy(job)
    template = out.setdefault("spec", {}).setdefault("template", {})
    template.setdefault("metadata", {}).setdefault("creationTimestamp", None)
    pod_spec = template.setdefault("spec", {})
    for key in ("initContainers", "containers"):
        for ctr in pod_spec.get(key) or []:
            if isinstance(ctr, dict):
                ctr.setdefault("resources", {})
    out.setdefault("status", {})
    return out


# The Go struct field order of the types a created Job holds: typed objects are printed in it.
# fmt: off
_STRUCT_ORDER: dict[str, tuple[str, ...]] = {
    "Job": (
        "kind", "apiVersion", "metadata", "spec", "status",
    ),
    "ObjectMeta": (
        "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
        "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations",
        "ownerReferences", "finalizers", "managedFields",
    ),
    "JobSpec": (
        "parallelism", "completions", "activeDeadlineSeconds", "podFailurePolicy", "successPolicy",
        "backoffLimit", "backoffLimitPerIndex", "maxFailedIndexes", "selector", "manualSelector", "template",
        "ttlSecondsAfterFinished", "completionMode", "suspend", "podReplacementPolicy", "managedBy",
    ),
    "LabelSelector": (
        "matchLabels", "matchExpressions",
    ),
    "PodTemplateSpec": (
        "metadata", "spec",
    ),
    "PodSpec": (
        "volumes", "initContainers", "containers", "ephemeralContainers", "restartPolicy",
        "terminationGracePeriodSeconds", "activeDeadlineSeconds", "dnsPolicy", "nodeSelector",
        "serviceAccountName", "serviceAccount", "automountServiceAccountToken", "nodeName", "hostNetwork",
        "hostPID", "hostIPC", "shareProcessNamespace", "securityContext", "imagePullSecrets", "hostname",
        "subdomain", "affinity", "schedulerName", "tolerations", "hostAliases", "priorityClassName",
        "priority", "dnsConfig", "readinessGates", "runtimeClassName", "enableServiceLinks",
        "preemptionPolicy", "overhead", "topologySpreadConstraints", "setHostnameAsFQDN", "os", "hostUsers",
        "schedulingGates", "resourceClaims", "resources",
    ),
    "Container": (
        "name", "image", "command", "args", "workingDir", "ports", "envFrom", "env", "resources",
        "resizePolicy", "restartPolicy", "volumeMounts", "volumeDevices", "livenessProbe", "readinessProbe",
        "startupProbe", "lifecycle", "terminationMessagePath", "terminationMessagePolicy", "imagePullPolicy",
        "securityContext", "stdin", "stdinOnce", "tty",
    ),
    "JobStatus": (
        "conditions", "startTime", "completionTime", "active", "succeeded", "failed", "terminating",
        "completedIndexes", "failedIndexes", "uncountedTerminatedPods", "ready",
    ),
}
# fmt: on
# Which struct each field of a struct holds.
_STRUCT_FIELDS: dict[tuple[str, str], str] = {
    ("Job", "metadata"): "ObjectMeta",
    ("Job", "spec"): "JobSpec",
    ("Job", "status"): "JobStatus",
    ("JobSpec", "selector"): "LabelSelector",
    ("JobSpec", "template"): "PodTemplateSpec",
    ("PodTemplateSpec", "metadata"): "ObjectMeta",
    ("PodTemplateSpec", "spec"): "PodSpec",
    ("PodSpec", "initContainers"): "Container",
    ("PodSpec", "containers"): "Container",
}


def struct_ordered(value: Any, struct: str = "Job") -> Any:
    """Dicts re-keyed in Go struct order (fields kjob does not know follow, sorted), for typed output."""
    if isinstance(value, list):
        return [struct_ordered(v, struct) for v in value]
    if not isinstance(value, dict):
        return value
    order = _STRUCT_ORDER.get(struct)
    if order is None:
        return {k: struct_ordered(value[k], "") for k in sorted(value)}
    keys = [k for k in order if k in value] + sorted(k for k in value if k not in order)
    return {k: struct_ordered(value[k], _STRUCT_FIELDS.get((struct, k), "")) for k in keys}


# ---------------------------------------------------------------- patch

PATCH_TYPES = ("json", "merge", "strategic")


def parse_patch(text: str) -> Any:
    """A patch given with -p: JSON, or YAML as kubectl also accepts."""
    import json

    from kjob.manifest import MAX_DEPTH, within_budgets

    # Nested past what the patch code (recursive, as the server's is) should walk: refused as a
    # manifest is, where it was an internal RecursionError.
    deep = f'unable to parse "{text}": yaml: exceeded max depth of {MAX_DEPTH}'
    try:
        return within_budgets(json.loads(text), text)
    except ValueError:
        pass
    except RecursionError:
        raise PlainError(deep) from None
    from kjob.yamllib import yaml

    try:
        return within_budgets(yaml.safe_load(text), text)
    except yaml.YAMLError as e:
        raise PlainError(f'unable to parse "{text}": {str(e).splitlines()[0]}') from e
    except RecursionError:
        raise PlainError(deep) from None


def patch_object(
    store: Store,
    kind: str,
    namespace: str,
    name: str,
    text: str,
    patch_type: str,
    subresource: str = "",
    dry_run: str = DRY_RUN_NONE,
) -> Outcome:
    """Apply a patch to a job or a pod as the API server would: status ignored, immutable fields
    refused; through the status subresource, only status (and labels and annotations) change. A
    client dry run patches the object as read, with none of the server's checks; a server dry run
    checks it all and writes nothing."""
    import copy

    from kjob import manifest, patches

    if patch_type not in PATCH_TYPES:
        raise PlainError(f'--type must be one of [json merge strategic], not "{patch_type}"')
    patch = parse_patch(text)
    resource, shown = (JOB_RESOURCE, "job.batch") if kind == "jobs" else (POD_RESOURCE, "pod")
    with store.lock():
        old = store.get(kind, namespace, name)
        if old is None:
            return Outcome(error=NotFound(resource, name))
        new = patches.apply_patch(old, patch, patch_type)
        if not isinstance(new, dict):
            raise PlainError("the patch must result in an object")
        suffix = dry_run_suffix(dry_run)
        if dry_run == DRY_RUN_CLIENT:
            done = "patched" if new != old else "patched (no change)"
            return Outcome(line=f"{shown}/{name} {done}{suffix}", obj=new)
        # kubectl patch asks for no fieldValidation, and the server's default is Warn: the patched
        # object's unknown fields are dropped as it is decoded, each one said in a warning.
        try:
            warnings = check_fields(manifest, new, name, "patching", VALIDATE_WARN, str(old.get("kind")))
        except BadRequest as e:
            return Outcome(error=BadRequest(e.text))
        if subresource == "status":
            # The status strategy keeps the spec; labels and annotations may change alongside (and a
            # pod's owners stay: the pods/status endpoint may not touch them).
            new["spec"] = copy.deepcopy(old.get("spec") or {})
            if kind == "pods" and isinstance(new.get("metadata"), dict):
                owners = (old.get("metadata") or {}).get("ownerReferences")
                new["metadata"].pop("ownerReferences", None)
                if owners is not None:
                    new["metadata"]["ownerReferences"] = copy.deepcopy(owners)
        elif subresource:
            raise PlainError(f'invalid subresource value: "{subresource}". Must be one of [status scale]')
        else:
            # status has its own subresource; identity fields are the server's.
            new["status"] = copy.deepcopy(old.get("status") or {})
        error = _patched_identity(old, new, name, resource)
        if error is not None:
            return Outcome(error=error, warnings=warnings)
        new_meta = new["metadata"]
        if kind == "jobs":
            manifest.default_job_update(new)
        causes = manifest.validate_meta_update(old, new)
        if kind == "pods":
            update = manifest.validate_pod_status_update if subresource else manifest.validate_pod_update
            causes += update(old, new)
        elif subresource == "status":
            causes += manifest.validate_job_status_update(old, new)
        else:
            causes += manifest.validate_job_update(old, new) + manifest.validate_job(new)
        if causes:
            from kjob.errors import Invalid

            return Outcome(
                error=Invalid(str(old.get("kind")), name, list(dict.fromkeys(causes))), warnings=warnings
            )
        if new == old:
            # A read all the same: a worker that died with the object's work left is started again.
            worker.ensure_running(store, [old])
            return Outcome(line=f"{shown}/{name} patched (no change){suffix}", obj=old, warnings=warnings)
        if kind == "jobs" and new.get("spec") != old.get("spec"):
            new_meta["generation"] = int(new_meta.get("generation") or 1) + 1
        if dry_run == DRY_RUN_SERVER:
            return Outcome(line=f"{shown}/{name} patched{suffix}", obj=new, warnings=warnings)
        if kind == "jobs":
            store_update(store, new)
        else:
            store.update("pods", new)
    worker.ensure_running(store)
    return Outcome(line=f"{shown}/{name} patched", obj=new, warnings=warnings)


def store_update(store: Store, job: Obj) -> None:
    """Write an updated job, as the API server's update does: one being deleted whose last finalizer
    the update took off is deleted."""
    from kjob.objects import is_deleting, namespace_of

    if is_deleting(job) and not (job.get("metadata") or {}).get("finalizers"):
        store.delete("jobs", namespace_of(job), name_of(job))
    else:
        store.update("jobs", job)


def _patched_identity(old: Obj, new: Obj, name: str, resource: str = JOB_RESOURCE) -> KjobError | None:
    """What the API server makes of the identity a patch leaves: the object must still be this Job
    (its decoding into one), under the name and namespace of the request (the handlers' checkName),
    at the version the patch may name (the optimistic lock). What a patch leaves out is the stored
    object's: its kind, and the fields the server owns (BeforeUpdate); validate_meta_update() then
    refuses what it changed of the rest."""
    import json

    from kjob.errors import Conflict, Invalid

    for key in ("apiVersion", "kind"):
        if not new.get(key):
            new[key] = old.get(key)
    version, kind = new.get("apiVersion"), new.get("kind")
    if (version, kind) != (old.get("apiVersion"), old.get("kind")):
        text = json.dumps(new, separators=(",", ":"))
        cause = (
            f"patch: Invalid value: {json.dumps(text)}: no kind {json.dumps(str(kind))} is registered for "
            f'version {json.dumps(str(version))} in scheme "pkg/api/legacyscheme/scheme.go:30"'
        )
        return Invalid("", "", [cause])
    md = new.get("metadata")
    if not isinstance(md, dict) or not md.get("name"):
        return BadRequest(
            f"the name of the object ({name} based on URL) was undeterminable: name must be provided"
        )
    old_md = old.get("metadata") or {}
    if md["name"] != name:
        return BadRequest(
            f"the name of the object ({md['name']}) does not match the name on the URL ({name})"
        )
    namespace = old_md.get("namespace")
    if md.get("namespace") and md["namespace"] != namespace:
        return BadRequest(
            f"the namespace of the object ({md['namespace']}) does not match the namespace on the request "
            f"({namespace})"
        )
    read_at = md.get("resourceVersion")
    if read_at and read_at != old_md.get("resourceVersion"):
        return Conflict.modified(resource, name)
    # An update can never remove or change a deletion, its grace period, or when the object was made.
    kept = ("namespace", "resourceVersion", "creationTimestamp", "generation", "deletionTimestamp")
    for key in (*kept, "deletionGracePeriodSeconds"):
        if key in old_md:
            md[key] = old_md[key]
    if not md.get("uid") and "uid" in old_md:
        md["uid"] = old_md["uid"]  # none given: the stored one
    return None


# ---------------------------------------------------------------- wait


# Go's time.ParseDuration: its units in nanoseconds, and the largest duration it holds.
_UNITS_NS = {
    "ns": 1,
    "us": 1_000,
    "\u00b5s": 1_000,
    "\u03bcs": 1_000,
    "ms": 10**6,
    "s": 10**9,
    "m": 60 * 10**9,
    "h": 3600 * 10**9,
}
_MAX_DURATION_NS = (1 << 63) - 1
_NUMBER = re.compile(r"([0-9]*)(?:\.([0-9]*))?")
_UNIT = re.compile(r"[^0-9.]*")


def parse_duration(text: str) -> float:
    """A Go duration (`60s`, `1m30s`, `500ms`, `0`) in seconds, with Go's errors: `time: missing unit
    in duration "5"`, `time: unknown unit "x" in duration "5x"`, `time: invalid duration "..."`."""
    quoted = f'"{text}"'
    body = text[1:] if text[:1] in ("+", "-") else text
    sign = -1 if text[:1] == "-" else 1
    if body == "0":
        return 0.0
    if not body:
        raise ValueError(f"time: invalid duration {quoted}")
    total, pos = 0, 0
    while pos < len(body):
        number = _NUMBER.match(body, pos)
        assert number is not None  # both parts may be empty
        whole, fraction = number.group(1), number.group(2)
        if not whole and not fraction:
            raise ValueError(f"time: invalid duration {quoted}")
        unit_match = _UNIT.match(body, number.end())
        assert unit_match is not None
        unit = unit_match.group(0)
        if not unit:
            raise ValueError(f"time: missing unit in duration {quoted}")
        if unit not in _UNITS_NS:
            raise ValueError(f'time: unknown unit "{unit}" in duration {quoted}')
        scale = _UNITS_NS[unit]
        part = int(whole or "0") * scale
        if fraction:
            part += int(fraction) * scale // 10 ** len(fraction)
        total += part
        if total > _MAX_DURATION_NS:
            raise ValueError(f"time: invalid duration {quoted}")
        pos = unit_match.end()
    return sign * total / 1e9


def usage(message: str, command: str) -> UsageError:
    return UsageError(message, command)
