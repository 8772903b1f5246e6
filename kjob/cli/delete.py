"""kjob delete, and the flag parsing and error printing that delete, wait, label and annotate share."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from kjob import commands, objects, removal
from kjob.cli.base import (
    CONTEXT,
    Failed,
    bool_flag,
    err,
    flag_error,
    go_bool,
    namespace_option,
    open_store,
    out,
)
from kjob.errors import Invalid, KjobError, PlainError, UsageError
from kjob.objects import uid_of
from kjob.store import Store

F = TypeVar("F", bound=Callable[..., Any])

# ---------------------------------------------------------------- shared by delete, wait, label, annotate


def parse_timeout(text: str, command: str) -> float:
    try:
        return commands.parse_duration(text)
    except ValueError as e:
        raise flag_error(text, "--timeout", str(e), command) from None


def parse_dry_run(text: str) -> str:
    """cmdutil.GetDryRunStrategy: none, client or server; a bare --dry-run and legacy booleans still work."""
    if text in ("none", "client", "server"):
        return text
    if text == "unchanged":  # the flag given without a value
        return "client"
    legacy = go_bool(text)
    if legacy is None:
        raise PlainError(f'Invalid dry-run value ({text}). Must be "none", "server", or "client".')
    return "client" if legacy else "none"


def dry_run_option(f: F) -> F:
    return click.option(
        "--dry-run",
        default="none",
        is_flag=False,
        flag_value="unchanged",
        help='Must be "none", "server", or "client". If client strategy, only print the object that would be '
        "sent, without sending it. If server strategy, submit server-side request without persisting the "
        "resource.",
    )(f)


def selection_options(f: F) -> F:
    """-f, -l, --field-selector, -A: how kubectl's builder is told which objects to act on."""
    f = click.option(
        "-A",
        "--all-namespaces",
        is_flag=True,
        help="If present, act on the requested objects across all namespaces.",
    )(f)
    f = click.option(
        "--field-selector",
        default="",
        help="Selector (field query) to filter on, supports '=', '==', and '!='.(e.g. --field-selector "
        "key1=value1,key2=value2).",
    )(f)
    f = click.option(
        "-l",
        "--selector",
        default="",
        help="Selector (label query) to filter on, supports '=', '==', and '!='.(e.g. -l "
        "key1=value1,key2=value2)",
    )(f)
    return click.option(
        "-f",
        "--filename",
        multiple=True,
        help="Filename or directory of manifests naming the objects; - for stdin.",
    )(f)


def select_targets(
    store: Store,
    args: list[str],
    namespace: str | None,
    filename: tuple[str, ...],
    selector: str,
    field_selector: str,
    all_: bool,
    all_namespaces: bool,
    all_names_selector: bool = False,
) -> removal.Selection:
    """removal.select with what selection_options and --all were given, in the namespace -n (or
    KJOB_NAMESPACE) names."""
    ns, explicit = objects.default_namespace(namespace)
    return removal.select(
        store,
        args,
        ns,
        explicit,
        filenames=filename,
        stdin=sys.stdin,
        label_selector=selector,
        field_selector=field_selector,
        select_all=all_,
        all_names_selector=all_names_selector,
        all_namespaces=all_namespaces,
    )


def aggregate_text(e: KjobError) -> str:
    """How kubectl prints one error among several: without `error: `, API errors with their reason."""
    parts = getattr(e, "parts", None)
    if parts:
        return parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
    if isinstance(e, Invalid):
        kind = "Job.batch" if e.kind == "Job" else e.kind
        causes = e.causes[0] if len(e.causes) == 1 else "[" + ", ".join(e.causes) + "]"
        return f'Error from server (Invalid): {kind} "{e.name}" is invalid: {causes}'
    text = e.message
    return (
        text[len("error: ") :]
        if isinstance(e, (PlainError, UsageError)) and text.startswith("error: ")
        else text
    )


def print_errors(errors: list[KjobError]) -> None:
    """cmdutil.CheckErr on the errors a command collected: one as it is, several one per line."""
    if len(errors) == 1:
        err(errors[0].message)
    else:
        for e in errors:
            err(aggregate_text(e))


def print_outcomes(outcomes: list[commands.Outcome]) -> list[KjobError]:
    """Lines to stdout as they come; the errors are returned to be printed together at the end."""
    errors: list[KjobError] = []
    for o in outcomes:
        for warning in o.warnings:
            err(warning)
        if o.error is not None:
            errors.append(o.error)
        elif o.line:
            out(o.line + "\n")
            sys.stdout.flush()
    return errors


# ---------------------------------------------------------------- delete


def _confirmed(store: Store, targets: list[removal.Target]) -> bool:
    """kubectl's -i: the objects about to go, then a y/n question on stdin (anything but y is no). A
    name that is not there is not listed; it fails as it would without -i."""
    found = [t for t in targets if t.obj is not None or store.get(t.kind, t.namespace, t.name) is not None]
    if not found:
        return True
    listing = "".join(f"{removal.kind_string(t.kind)}/{t.name}\n" for t in found)
    out(f"You are about to delete the following {len(found)} resource(s):\n{listing}")
    out("Do you want to continue? (y/n): ")
    sys.stdout.flush()
    answer = sys.stdin.readline().split()
    return bool(answer) and answer[0].lower() == "y"


def _parse_cascade(text: str) -> str:
    legacy = go_bool(text)
    if legacy is None:
        if text not in removal.CASCADES:
            raise PlainError(
                f'invalid cascade value ({text}). Must be "background", "foreground", or "orphan"'
            )
        return text
    cascade = "background" if legacy else "orphan"
    err(
        f"warning: --cascade={text} is deprecated (boolean value) and can be replaced with "
        f"--cascade={cascade}."
    )
    return cascade


@click.command(context_settings=CONTEXT)
@click.argument("args", nargs=-1)
@selection_options
@bool_flag("--all", False, "Delete all resources, in the namespace of the specified resource types.", "all_")
@click.option(
    "--cascade",
    default="background",
    is_flag=False,
    flag_value="background",
    help='Must be "background", "orphan", or "foreground". Selects the deletion cascading strategy for the '
    "dependents (the pods of a job). Defaults to background.",
)
@click.option(
    "--grace-period",
    default="-1",
    help="Period of time in seconds given to the resource to terminate gracefully. Ignored if negative. "
    "Set to 1 for immediate shutdown. Can only be set to 0 when --force is true (force deletion).",
)
@bool_flag(
    "--now", False, "If true, resources are signaled for immediate shutdown (same as --grace-period=1)."
)
@bool_flag(
    "--force",
    False,
    "If true, immediately remove resources from API and bypass graceful deletion. Note that immediate "
    "deletion of some resources may result in inconsistency or data loss and requires confirmation.",
)
@bool_flag(
    "--ignore-not-found",
    None,
    'Treat "resource not found" as a successful delete. Defaults to "true" when --all is specified.',
)
@bool_flag(
    "--wait",
    True,
    "If true, wait for resources to be gone before returning. This waits for finalizers.",
    "wait_",
)
@click.option(
    "--timeout",
    default="0s",
    help="The length of time to wait before giving up on a delete, zero means wait a week.",
)
@click.option(
    "-o", "--output", default="", help='Output mode. Use "-o name" for shorter output (resource/name).'
)
@bool_flag("--interactive", False, "If true, delete resource only when user confirms.", short="-i")
@dry_run_option
@namespace_option
def delete_command(
    args: tuple[str, ...],
    filename: tuple[str, ...],
    selector: str,
    field_selector: str,
    all_namespaces: bool,
    all_: bool,
    cascade: str,
    grace_period: str,
    now: bool,
    force: bool,
    ignore_not_found: bool | None,
    wait_: bool,
    timeout: str,
    output: str,
    interactive: bool,
    dry_run: str,
    namespace: str | None,
) -> None:
    """Delete jobs and pods by file names, stdin, names, or by label selector.

    Deleting a job deletes its pods too (--cascade=background, the default): their processes get SIGTERM,
    and SIGKILL after the pod's terminationGracePeriodSeconds. --cascade=foreground keeps the job,
    Terminating, until its pods are gone; --cascade=orphan leaves its pods running on their own.

    \b
    Examples:
      # Delete a job and its pods
      kjob delete jobs job-count

    \b
      # Delete the jobs a manifest names
      kjob delete -f job.yaml

    \b
      # Delete every job labelled app=batch, and wait until its pods are gone too
      kjob delete jobs -l app=batch --cascade=foreground

    \b
      # Delete a job but keep its pods running
      kjob delete job job-count --cascade=orphan

    \b
      # Delete a pod with minimal delay; force delete a pod
      kjob delete pod job-count-x7k2p --now
      kjob delete pod job-count-x7k2p --grace-period=0 --force
    """
    cascade = _parse_cascade(cascade)
    try:
        grace = int(grace_period)
    except ValueError:
        raise flag_error(
            grace_period,
            "--grace-period",
            f'strconv.ParseInt: parsing "{grace_period}": invalid syntax',
            "delete",
        ) from None
    seconds = parse_timeout(timeout, "delete")
    if ignore_not_found is None:
        ignore_not_found = bool(all_ or selector.strip() or field_selector.strip())
    if now:
        if grace != -1:
            raise PlainError("--now and --grace-period cannot be specified together")
        grace = 1
    if grace == 0 and not force:
        # kubectl's guard against accidental data loss: 0 means "now" only with --force.
        grace = 1
    if force and grace < 0:
        grace = 0
    strategy = parse_dry_run(dry_run)
    if all_ and (selector.strip() or field_selector.strip()):
        raise PlainError("setting 'all' parameter but found a non empty selector. ")
    store = open_store()
    selection = select_targets(
        store, list(args), namespace, filename, selector, field_selector, all_, all_namespaces,
        all_names_selector=True,
    )  # fmt: skip
    if output not in ("", "name"):
        raise PlainError(f"unexpected -o output mode: {output}. We only support '-o name'")
    if grace == 0 and force:
        err(
            "Warning: Immediate deletion does not wait for confirmation that the running resource has been "
            "terminated. The resource may continue to run on the cluster indefinitely."
        )
    elif grace > 0 and force:
        raise PlainError("--force and --grace-period greater than 0 cannot be specified together")

    if not selection.targets:
        out("No resources found\n")
        return
    if interactive and not _confirmed(store, selection.targets):
        out("deletion is cancelled\n")
        return
    opts = removal.DeleteOptions(cascade, grace, strategy, ignore_not_found, output)
    results = removal.delete(store, selection.targets, opts)
    errors = print_outcomes([o for _, o in results])
    if errors:
        print_errors(errors)
        raise Failed
    if not wait_ or strategy != "none":
        return
    deleted = [(t, uid_of(o.obj)) for t, o in results if o.obj is not None]
    failure = removal.wait_deleted(store, deleted, seconds if seconds != 0 else removal.WEEK)
    if failure is not None:
        err(failure.message)
        raise Failed
