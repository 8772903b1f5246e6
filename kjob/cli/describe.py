"""kjob describe: kubectl's detailed view of jobs and pods, one or many, by name, prefix or label."""

from __future__ import annotations

import click

from kjob import printers, query
from kjob.cli.base import (
    CONTEXT,
    Failed,
    bool_flag,
    chunk_size_option,
    ensure_worker,
    err,
    namespace_option,
    open_store,
    out,
)
from kjob.errors import KjobError, NotFound, PlainError
from kjob.objects import Obj, default_namespace, now
from kjob.store import Store


@click.command(context_settings=CONTEXT)
@click.argument("args", nargs=-1)
@click.option(
    "-l", "--selector", default="", help="Selector (label query) to filter on, e.g. -l key1=value1."
)
@click.option(
    "-A", "--all-namespaces", is_flag=True, help="List the requested object(s) across all namespaces."
)
@bool_flag("--show-events", True, "If true, display events related to the object.", "show_events")
@click.option("-f", "--filename", "filenames", multiple=True, help="Manifest naming the objects to describe.")
@chunk_size_option
@namespace_option
def describe_command(
    args: tuple[str, ...],
    selector: str,
    all_namespaces: bool,
    show_events: bool,
    filenames: tuple[str, ...],
    chunk_size: int,
    namespace: str | None,
) -> None:
    """Show details of jobs or pods.

    Prints a detailed description of the selected objects. With TYPE NAME_PREFIX, when no object is named
    NAME_PREFIX exactly, every object whose name starts with it is described.

    \b
    Examples:
      # Describe a job
      kjob describe jobs job-count
      kjob describe job/job-count

    \b
      # Describe every pod whose name starts with job-count
      kjob describe pods job-count

    \b
      # Describe the pods of a job, without their events
      kjob describe pods -l batch.kubernetes.io/job-name=job-count --show-events=false

    \b
      # Describe the job a manifest names
      kjob describe -f job.yaml
    """
    if filenames:
        if args:
            raise PlainError(
                "when paths, URLs, or stdin is provided as input, "
                "you may not specify resource arguments as well"
            )
        _describe_files(filenames, namespace, show_events)
        return
    if not args:
        raise PlainError(
            'You must specify the type of resource to describe. Use "kjob api-resources" for a complete list '
            "of supported resources.\n"
        )
    ns, _ = default_namespace(namespace)
    requests, _ = query.parse_resource_args(list(args), None if all_namespaces else ns)
    if any(r.kind == "events" for r in requests):
        raise PlainError("kjob describes jobs and pods")
    named = any(r.name is not None for r in requests)
    if named and all_namespaces:
        raise PlainError("a resource cannot be retrieved by name across all namespaces")
    if named and selector:
        raise PlainError("name cannot be provided when a selector is specified")
    for r in requests:
        if r.name is not None:
            r.namespace = ns
    store = open_store()
    results = query.run_requests(store, requests, query.Filters(selector))
    objects = [o for r in results for o in r.objects]
    errors = [r.error for r in results if r.error is not None]
    if errors and len(args) == 2 and all(isinstance(e, NotFound) for e in errors):
        _describe_prefix(store, args[0], args[1], ns, errors, show_events)
        return
    _print_described(store, objects, errors, show_events)
    if not objects:
        err("No resources found" if all_namespaces else f"No resources found in {ns} namespace.")


def _describe_files(filenames: tuple[str, ...], namespace: str | None, show_events: bool) -> None:
    """describe -f: each object a manifest names, as by name; the ones not found are errors."""
    ns, explicit = default_namespace(namespace)
    requests, _ = query.manifest_requests(list(filenames), ns, explicit)
    store = open_store()
    results = query.run_requests(store, requests, query.Filters())
    objects = [o for r in results for o in r.objects]
    _print_described(store, objects, [r.error for r in results if r.error is not None], show_events)


def _print_described(store: Store, objects: list[Obj], errors: list[KjobError], show_events: bool) -> None:
    """The objects described, a blank line between them, then the lookups' errors (exit 1)."""
    ensure_worker(store, objects)
    for message in store.corrupt:
        err(message)  # passed over, as get says so too
    t = now()
    out("\n\n".join(_describe(store, o, t, show_events) for o in objects))
    for e in errors:
        err(e.message)
    if errors:
        raise Failed


def _describe_prefix(
    store: Store, resource: str, prefix: str, ns: str, errors: list[KjobError], show_events: bool
) -> None:
    """kubectl's DescribeMatchingResources: TYPE PREFIX describes every object whose name starts with
    PREFIX, each followed by an empty line; with no match, the lookup's own error stands."""
    requests, _ = query.parse_resource_args([resource], ns)
    for req in requests:
        req.namespace = ns
    results = query.run_requests(store, requests, query.Filters())
    for result in results:
        if result.error is not None:
            raise result.error
    matches = [o for r in results for o in r.objects if str(o["metadata"].get("name", "")).startswith(prefix)]
    ensure_worker(store, matches)
    if not matches:
        for e in errors:
            err(e.message)
        raise Failed
    t = now()
    out("".join(_describe(store, o, t, show_events) + "\n" for o in matches))


def _describe(store: Store, obj: Obj, t: float, show_events: bool) -> str:
    events = query.events_for(store, obj) if show_events else []
    if obj.get("kind") == "Job":
        return printers.describe_job(obj, events, t, show_events=show_events)
    return printers.describe_pod(obj, events, t, show_events=show_events)
