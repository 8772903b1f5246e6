"""kjob describe."""

from __future__ import annotations

import click

from kjob import commands, printers, query, worker
from kjob.cli.base import (
    CONTEXT,
    Failed,
    bool_flag,
    err,
    namespace_option,
    open_store,
    out,
)
from kjob.errors import PlainError
from kjob.objects import now

# ---------------------------------------------------------------- describe


@click.command(context_settings=CONTEXT)
@click.argument("kind_arg", metavar="TYPE")
@click.argument("names", nargs=-1)
@bool_flag("--show-events", True, "If true, display events related to the object.", "show_events")
@namespace_option
def describe_command(kind_arg: str, names: tuple[str, ...], show_events: bool, namespace: str | None) -> None:
    """Show details of jobs or pods.

    \b
    Examples:
      # Describe a job
      kjob describe jobs job-count

    \b
      # Describe every pod whose name starts with job-count
      kjob describe pods job-count
    """
    kind = commands.resolve_resource(kind_arg)
    if kind == "events":
        raise PlainError("kjob describes jobs and pods")
    store = open_store()
    ns, _ = commands.default_namespace(namespace)
    objects, errors = query.describe_targets(store, kind, ns, list(names))
    worker.ensure_running(store, objects)
    t = now()
    texts = []
    for obj in objects:
        events = query.events_for(store, obj) if show_events else []
        if kind == "jobs":
            texts.append(printers.describe_job(obj, events, t, show_events=show_events))
        else:
            texts.append(printers.describe_pod(obj, events, t, show_events=show_events))
    out("\n\n".join(texts))
    if not objects and not errors:
        err(f"No resources found in {ns} namespace.")
    for e in errors:
        err(e.message)
    if errors:
        raise Failed
