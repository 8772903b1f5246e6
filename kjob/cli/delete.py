"""kjob delete."""

from __future__ import annotations

import click

from kjob import commands, removal
from kjob.cli.base import (
    CONTEXT,
    Failed,
    bool_flag,
    err,
    namespace_option,
    open_store,
    report,
)
from kjob.errors import PlainError, UsageError

# ---------------------------------------------------------------- delete


@click.command(context_settings=CONTEXT)
@click.argument("args", nargs=-1)
@bool_flag("--wait", True, "If true, wait for the objects to be gone before returning.", "wait_")
@namespace_option
def delete_command(args: tuple[str, ...], wait_: bool, namespace: str | None) -> None:
    """Delete jobs or pods by name.

    Deleting a job deletes its pods too: their processes get SIGTERM, and SIGKILL after the pod's
    terminationGracePeriodSeconds.

    \b
    Examples:
      # Delete a job and its pods
      kjob delete jobs job-count
    """
    if not args:
        raise UsageError("You must provide one or more resources by argument or filename.", "delete")
    kind = commands.resolve_resource(args[0])
    names = list(args[1:])
    if not names:
        raise PlainError("resource(s) were provided, but no name was specified")
    store = open_store()
    ns, _ = commands.default_namespace(namespace)
    if kind == "jobs":
        outcomes = removal.delete_jobs(store, ns, names)
    elif kind == "pods":
        outcomes = removal.delete_pods(store, ns, names)
    else:
        raise PlainError("kjob deletes jobs and pods")
    failed = report(outcomes)
    if kind == "pods" and wait_:
        gone = [o.obj for o in outcomes if o.obj is not None]
        left = removal.wait_gone(store, "pods", ns, [str(o["metadata"]["name"]) for o in gone], 7 * 86400)
        for name in left:
            err(f"error: timed out waiting for the condition on pods/{name}")
            failed = True
    if failed:
        raise Failed
