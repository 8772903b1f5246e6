"""kjob get: kubectl's tables and output formats for jobs, pods and events."""

from __future__ import annotations

import click

from kjob import commands, printers, query, worker
from kjob.cli.base import (
    CONTEXT,
    Failed,
    err,
    namespace_option,
    open_store,
    out,
)
from kjob.errors import KjobError, PlainError, UsageError
from kjob.objects import Obj, now

# ---------------------------------------------------------------- get


OUTPUTS = ("wide", "json", "yaml", "name")


@click.command(context_settings=CONTEXT)
@click.argument("args", nargs=-1)
@click.option("-o", "--output", default="", help="Output format: wide, json, yaml or name.")
@click.option("--no-headers", is_flag=True, help="Don't print headers.")
@namespace_option
def get_command(args: tuple[str, ...], output: str, no_headers: bool, namespace: str | None) -> None:
    """Display one or many jobs or pods.

    \b
    Examples:
      # List all jobs, then all pods
      kjob get jobs
      kjob get pods -o wide

    \b
      # One job, as JSON
      kjob get job job-count -o json
    """
    if not args:
        raise UsageError(
            'You must specify the type of resource to get. Use "kjob api-resources" for a complete list of '
            "supported resources.\n\nerror: Required resource not specified.",
            "get",
        )
    if output and output not in OUTPUTS:
        raise PlainError(
            f'unable to match a printer suitable for the output format "{output}", allowed formats are: '
            + ",".join(sorted(OUTPUTS))
        )
    kind = commands.resolve_resource(args[0])
    names = list(args[1:])
    store = open_store()
    ns, _ = commands.default_namespace(namespace)
    errors: list[KjobError] = []
    if names:
        objects, errors = query.get_named(store, kind, ns, names)
    else:
        objects = query.list_objects(store, kind, ns)
    worker.ensure_running(store, objects)
    for message in store.corrupt:
        err(message)
    _print_objects(kind, objects, output, no_headers, single=len(names) == 1, namespace=ns, names=bool(names))
    for e in errors:
        err(e.message)
    if errors:
        raise Failed


def _print_objects(
    kind: str, objects: list[Obj], output: str, no_headers: bool, single: bool, namespace: str, names: bool
) -> None:
    if output in ("json", "yaml"):
        if single and objects:
            doc = objects[0]
        elif single:
            return
        else:
            doc = printers.list_wrapper(objects)
        out(printers.to_json(doc) if output == "json" else printers.to_yaml(doc))
        return
    if output == "name":
        out("".join(printers.name_line(o) + "\n" for o in objects))
        return
    if not objects:
        if not names:
            err(f"No resources found in {namespace} namespace.")
        return
    wide = output == "wide"
    t = now()
    if kind == "jobs":
        headers, rows = printers.job_headers(wide), [printers.job_row(o, t, wide) for o in objects]
    elif kind == "pods":
        headers, rows = printers.pod_headers(wide), [printers.pod_row(o, t, wide) for o in objects]
    else:
        headers, rows = _event_table(objects, t)
    out(printers.format_table(None if no_headers else headers, rows))


def _event_table(events: list[Obj], t: float) -> tuple[list[str], list[list[str]]]:
    from kjob.objects import parse_time

    def last_seen(ev: Obj) -> float:
        return parse_time(ev.get("lastTimestamp")) or parse_time(ev.get("firstTimestamp")) or 0.0

    rows = []
    for ev in sorted(events, key=last_seen):
        inv = ev.get("involvedObject") or {}
        obj = f"{str(inv.get('kind', '')).lower()}/{inv.get('name', '')}"
        rows.append(
            [
                printers.human_duration(t - last_seen(ev)),
                str(ev.get("type", "")),
                str(ev.get("reason", "")),
                obj,
                str(ev.get("message", "")).strip(),
            ]
        )
    return ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"], rows
