"""kjob label and kjob annotate: kubectl's label and annotation updates on jobs and pods."""

from __future__ import annotations

import copy
import json
import sys
from dataclasses import dataclass, field

import click

from kjob import removal, worker
from kjob.cli.base import CONTEXT, Failed, bool_flag, namespace_option, open_store, out
from kjob.cli.delete import (
    dry_run_option,
    parse_dry_run,
    print_errors,
    select_targets,
    selection_options,
)
from kjob.cli.wait import output_printer, render
from kjob.errors import Conflict, Invalid, KjobError, PlainError
from kjob.objects import SERVER_RESOURCE, Obj, meta
from kjob.selectors import go_quote
from kjob.store import Store


class Several(PlainError):
    """Several problems with one object, which kubectl prints one per line (or as `[a, b]` among others)."""

    def __init__(self, parts: list[str]) -> None:
        self.parts = parts
        super().__init__(parts[0])
        if len(parts) > 1:
            self.message = "\n".join(parts)


@dataclass
class Update:
    """What one `kjob label` or `kjob annotate` asks: the field, the pairs to set and the keys to remove."""

    section: str  # "labels" | "annotations"
    new: dict[str, str] = field(default_factory=dict)
    remove: list[str] = field(default_factory=list)
    overwrite: bool = False
    resource_version: str = ""

    @property
    def noun(self) -> str:
        return "label" if self.section == "labels" else "annotation"


# ---------------------------------------------------------------- arguments


def split_resources_and_pairs(args: tuple[str, ...], pair_type: str) -> tuple[list[str], list[str]]:
    """cmdutil.GetResourcesAndPairs: every `KEY=VALUE` or `KEY-` comes after every resource argument."""
    resources: list[str] = []
    pairs: list[str] = []
    for arg in args:
        is_pair = ("=" in arg and not arg.startswith("=")) or (arg.endswith("-") and arg != "-")
        if is_pair:
            pairs.append(arg)
        elif pairs:
            raise PlainError(f"all resources must be specified before {pair_type} changes: {arg}")
        else:
            resources.append(arg)
    return resources, pairs


def parse_labels(specs: list[str]) -> tuple[dict[str, str], list[str]]:
    """kubectl label's parseLabels: values are checked here, keys by the API server."""
    from kjob.selectors import _label_value_errors

    labels: dict[str, str] = {}
    remove: list[str] = []
    for spec in specs:
        if "=" in spec:
            parts = spec.split("=")
            if len(parts) != 2:
                raise PlainError(f"invalid label spec: {spec}")
            errs = _label_value_errors(parts[1])
            if errs:
                raise PlainError(f"invalid label value: {go_quote(spec)}: {';'.join(errs)}")
            labels[parts[0]] = parts[1]
        elif spec.endswith("-"):
            remove.append(spec[:-1])
        else:
            raise PlainError(f"unknown label spec: {spec}")
    if any(key in labels for key in remove):
        raise PlainError("can not both modify and remove a label in the same command")
    return labels, remove


def parse_annotations(specs: list[str]) -> tuple[dict[str, str], list[str]]:
    """cmdutil.ParsePairs plus annotate's modify-and-remove check."""
    new: dict[str, str] = {}
    remove: list[str] = []
    invalid: list[str] = []
    for spec in specs:
        if "=" in spec and not spec.startswith("="):
            key, _, value = spec.partition("=")
            new[key] = value
        elif spec.endswith("-") and spec != "-":
            remove.append(spec[:-1])
        else:
            invalid.append(spec)
    if invalid:
        raise PlainError(f"invalid annotation format: {', '.join(invalid)}")
    both = [key for key in remove if key in new]
    if both:
        raise PlainError(
            "can not both modify and remove the following annotation(s) in the same command: "
            + ", ".join(both)
        )
    return new, remove


# ---------------------------------------------------------------- the update


def apply_update(obj: Obj, update: Update) -> None:
    """labelFunc / updateAnnotations on an object in memory."""
    current: dict[str, str] = meta(obj).get(update.section) or {}
    if not update.overwrite:
        clashes = [(k, current[k]) for k in update.new if k in current and current[k] != update.new[k]]
        if clashes and update.section == "labels":
            raise Several([f"'{k}' already has a value ({v}), and --overwrite is false" for k, v in clashes])
        if clashes:
            raise PlainError(
                "--overwrite is false but found the following declared annotation(s): "
                + "; ".join(f"'{k}' already has a value ({v})" for k, v in clashes)
            )
    values = dict(current)
    values.update(update.new)
    for key in update.remove:
        values.pop(key, None)
    obj.setdefault("metadata", {})[update.section] = values
    if update.resource_version:
        obj["metadata"]["resourceVersion"] = update.resource_version


def change_message(old: Obj, new: Obj, update: Update) -> str:
    """updateDataChangeMsg: compares the JSON kubectl would send, so even its length counts."""
    if update.section == "annotations":
        return "annotated"
    before, after = _go_json(old), _go_json(new)
    if before == after:
        return "not labeled"
    if not update.overwrite and len(after) < len(before):
        return "unlabeled"
    return "labeled"


def _go_json(obj: Obj) -> str:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def validate(obj: Obj, update: Update) -> list[str]:
    """The API server's ObjectMeta checks for the field that changed."""
    from kjob import manifest

    if update.section == "labels":
        return manifest._validate_labels(meta(obj).get("labels"), "metadata.labels")
    return manifest._validate_annotations(meta(obj).get("annotations"), "metadata.annotations")


@dataclass
class Result:
    target: removal.Target
    obj: Obj | None = None
    message: str = ""
    notes: list[str] = field(default_factory=list)  # `label "x" not found.` lines
    error: KjobError | None = None


def update_object(
    store: Store, target: removal.Target, update: Update, dry_run: str, listing: bool
) -> Result:
    """Read, change and write one object under the store's lock, as the merge patch kubectl sends would."""
    with store.lock():
        stored = store.get(target.kind, target.namespace, target.name)
        if stored is None:
            return Result(target, error=removal.not_found(target))
        base = copy.deepcopy(stored)
        if update.resource_version:
            # kubectl clears it from the starting JSON so that the patch always carries it.
            base["metadata"].pop("resourceVersion", None)
        changed = copy.deepcopy(base)
        try:
            apply_update(changed, update)
        except KjobError as e:
            return Result(target, error=e)
        message = change_message(base, changed, update)
        if dry_run == "client" or listing:
            return Result(target, changed, message)
        notes = [
            f"label {go_quote(key)} not found."
            for key in update.remove
            if update.section == "labels" and key not in (meta(stored).get("labels") or {})
        ]
        current_version = str(meta(stored).get("resourceVersion", ""))
        if update.resource_version and update.resource_version != current_version:
            return Result(target, error=_conflict(target), notes=notes)
        result = copy.deepcopy(stored)
        values = meta(changed).get(update.section) or {}
        if values:
            result["metadata"][update.section] = values
        else:
            result["metadata"].pop(update.section, None)
        causes = validate(result, update)
        if causes:
            return Result(
                target, error=Invalid(str(stored.get("kind", "")), target.name, causes), notes=notes
            )
        if result == stored or dry_run == "server":
            return Result(target, result, message, notes)
        try:
            written = store.update(target.kind, result)
        except KjobError as e:
            return Result(target, error=e, notes=notes)
    return Result(target, written, message, notes)


def _conflict(target: removal.Target) -> Conflict:
    return Conflict(
        f"Operation cannot be fulfilled on {SERVER_RESOURCE[target.kind]} {go_quote(target.name)}: the "
        "object has been modified; please apply your changes to the latest version and try again"
    )


# ---------------------------------------------------------------- the commands


def run_update(
    args: tuple[str, ...],
    field_name: str,
    filename: tuple[str, ...],
    selector: str,
    field_selector: str,
    all_namespaces: bool,
    all_: bool,
    overwrite: bool,
    list_: bool,
    resource_version: str,
    output: str,
    dry_run: str,
    namespace: str | None,
) -> None:
    noun = "label" if field_name == "labels" else "annotation"
    strategy = parse_dry_run(dry_run)
    if field_name == "annotations" and list_ and output:
        raise PlainError("--list and --output may not be specified together")
    resources, pairs = split_resources_and_pairs(args, noun)
    new, remove = parse_labels(pairs) if field_name == "labels" else parse_annotations(pairs)
    if field_name == "labels" and list_ and output:
        raise PlainError("--list and --output may not be specified together")
    fmt, template = output_printer(output, noun)
    if all_ and selector:
        raise PlainError("cannot set --all and --selector at the same time")
    if all_ and field_selector:
        raise PlainError("cannot set --all and --field-selector at the same time")
    if not resources and not filename:
        raise PlainError("one or more resources must be specified as <resource> <name> or <resource>/<name>")
    if not new and not remove and not list_:
        raise PlainError(f"at least one {noun} update is required")
    update = Update(field_name, new, remove, overwrite, resource_version)

    store = open_store()
    selection = select_targets(
        store, resources, namespace, filename, selector, field_selector, all_, all_namespaces
    )
    if not selection.single and resource_version:
        raise PlainError("--resource-version may only be used with a single resource")

    operation = "labeled" if field_name == "labels" else "annotated"
    suffix = {"client": " (dry run)", "server": " (server dry run)"}.get(strategy, "")
    errors: list[KjobError] = []
    wrote = False
    for target in selection.targets:
        result = update_object(store, target, update, strategy, list_)
        for note in result.notes:
            out(note + "\n")
        if result.error is not None:
            errors.append(result.error)
            continue
        assert result.obj is not None
        if list_:
            out(_listing(result.obj, field_name, selection.single))
            continue
        wrote = wrote or strategy == "none"
        message = result.message if field_name == "labels" else operation
        line = f"{removal.kind_string(target.kind)}/{target.name} {message}{suffix}"
        out(render(result.obj, line, fmt, template))
        sys.stdout.flush()
    if wrote:
        # A pod whose labels changed may no longer match its job's selector.
        worker.ensure_running(store)
    if errors:
        print_errors(errors)
        raise Failed


def _listing(obj: Obj, field_name: str, single: bool) -> str:
    values: dict[str, str] = meta(obj).get(field_name) or {}
    if single:
        return "".join(f"{k}={values[k]}\n" for k in sorted(values))
    group = "batch" if obj.get("kind") == "Job" else ""
    head = f"Listing {field_name} for {obj.get('kind')}.{group}/{meta(obj).get('name')}:\n"
    return head + "".join(f" {k}={values[k]}\n" for k in sorted(values))


def _update_options(noun: str):  # type: ignore[no-untyped-def]
    def decorate(f):  # type: ignore[no-untyped-def]
        f = namespace_option(f)
        f = dry_run_option(f)
        f = click.option(
            "-o", "--output", default="", help="Output format: name, json, yaml or jsonpath=TEMPLATE."
        )(f)
        f = click.option(
            "--resource-version",
            default="",
            help=f"If non-empty, the {noun} update will only succeed if this is the current resource-version "
            "for the object. Only valid when specifying a single resource.",
        )(f)
        f = bool_flag("--list", False, f"If true, display the {noun}s for a given resource.", "list_")(f)
        f = bool_flag(
            "--overwrite",
            False,
            f"If true, allow {noun}s to be overwritten, otherwise reject {noun} updates that overwrite "
            f"existing {noun}s.",
        )(f)
        f = bool_flag(
            "--all", False, "Select all resources, in the namespace of the specified resource types", "all_"
        )(f)
        f = selection_options(f)
        return click.argument("args", nargs=-1)(f)

    return decorate


@click.command(context_settings=CONTEXT)
@_update_options("label")
def label_command(
    args: tuple[str, ...],
    filename: tuple[str, ...],
    selector: str,
    field_selector: str,
    all_namespaces: bool,
    all_: bool,
    overwrite: bool,
    list_: bool,
    resource_version: str,
    output: str,
    dry_run: str,
    namespace: str | None,
) -> None:
    """Update the labels on a job or pod.

    \b
     *  A label key and value must begin with a letter or number, and may contain letters, numbers, hyphens,
        dots, and underscores, up to 63 characters each.
     *  Optionally, the key can begin with a DNS subdomain prefix and a single '/', like example.com/my-app.
     *  If --overwrite is true, then existing labels can be overwritten, otherwise attempting to overwrite a
        label will result in an error.
     *  If --resource-version is specified, then updates will use this resource version, otherwise the
        existing resource-version will be used.

    \b
    Examples:
      # Update job 'job-count' with the label 'team' and the value 'data'
      kjob label jobs job-count team=data

    \b
      # Overwrite a label's value
      kjob label --overwrite jobs job-count team=infra

    \b
      # Label every pod in the namespace
      kjob label pods --all checked=true

    \b
      # Update job 'job-count' only if it is unchanged from version 1
      kjob label jobs job-count team=data --resource-version=1

    \b
      # Remove the label 'team' if it exists (no --overwrite needed)
      kjob label jobs job-count team-
    """
    run_update(
        args, "labels", filename, selector, field_selector, all_namespaces, all_, overwrite, list_,
        resource_version, output, dry_run, namespace,
    )  # fmt: skip


@click.command(context_settings=CONTEXT)
@_update_options("annotation")
def annotate_command(
    args: tuple[str, ...],
    filename: tuple[str, ...],
    selector: str,
    field_selector: str,
    all_namespaces: bool,
    all_: bool,
    overwrite: bool,
    list_: bool,
    resource_version: str,
    output: str,
    dry_run: str,
    namespace: str | None,
) -> None:
    """Update the annotations on one or more jobs or pods.

    Annotations are key/value pairs that can be larger than labels and include arbitrary string values such
    as structured JSON. Attempting to set an annotation that already exists will fail unless --overwrite is
    set. If --resource-version is specified and does not match the current resource version the command
    will fail.

    \b
    Examples:
      # Annotate job 'job-count' with a description
      kjob annotate jobs job-count description='nightly export'

    \b
      # Overwrite an annotation's value
      kjob annotate --overwrite jobs job-count description='weekly export'

    \b
      # Annotate every job labelled app=batch
      kjob annotate jobs -l app=batch owner=data-team

    \b
      # Remove the annotation 'description' if it exists (no --overwrite needed)
      kjob annotate jobs job-count description-
    """
    run_update(
        args, "annotations", filename, selector, field_selector, all_namespaces, all_, overwrite, list_,
        resource_version, output, dry_run, namespace,
    )  # fmt: skip
