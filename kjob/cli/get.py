"""kjob get: kubectl's tables and output formats for jobs, pods and events, and its watch."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterable, Iterator

import click

from kjob import printers, query
from kjob.cli.base import (
    CONTEXT,
    Failed,
    bool_flag,
    chunk_size_option,
    ensure_worker,
    err,
    help_option,
    namespace_option,
    open_store,
    out,
)
from kjob.errors import KjobError, PlainError
from kjob.objects import Obj, default_namespace, needs_worker, now
from kjob.store import Store

MISSING_TYPE = (
    'You must specify the type of resource to get. Use "kjob api-resources" for a complete list of supported '
    "resources.\n\nerror: Required resource not specified.\n"
    'Use "kjob explain <resource>" for a detailed description of that resource (e.g. kjob explain pods).'
)


@click.command(context_settings=CONTEXT, add_help_option=False)
@click.argument("args", nargs=-1)
@click.option(
    "-o",
    "--output",
    default="",
    help="Output format: wide, name, json, yaml, jsonpath=..., jsonpath-file=..., jsonpath-as-json=..., "
    "custom-columns=..., custom-columns-file=...",
)
@click.option(
    "--no-headers",
    is_flag=True,
    help="When using the default or custom-column output format, don't print headers.",
)
@click.option("--show-labels", is_flag=True, help="When printing, show all labels as the last column.")
@click.option(
    "-L",
    "--label-columns",
    multiple=True,
    help="Accepts a comma separated list of labels that are going to be presented as columns. Repeatable.",
)
@click.option(
    "--show-kind", is_flag=True, help="If present, list the resource type for the requested object(s)."
)
@click.option(
    "--sort-by", default="", help="Sort list types using this field specification (a JSONPath expression)."
)
@click.option(
    "-l",
    "--selector",
    default="",
    help="Selector (label query) to filter on, e.g. -l key1=value1,key2=value2.",
)
@click.option(
    "--field-selector", default="", help="Selector (field query) to filter on, e.g. status.phase=Running."
)
@click.option(
    "-A", "--all-namespaces", is_flag=True, help="List the requested object(s) across all namespaces."
)
@click.option(
    "--ignore-not-found",
    is_flag=True,
    help="If the requested object does not exist the command will return exit code 0.",
)
@click.option("-f", "--filename", "filenames", multiple=True, help="Manifest naming the objects to get.")
@click.option(
    "-w", "--watch", is_flag=True, help="After listing/getting the requested object, watch for changes."
)
@click.option(
    "--watch-only", is_flag=True, help="Watch for changes to the requested object(s), without listing first."
)
@click.option(
    "--output-watch-events",
    is_flag=True,
    help="Output watch event objects when --watch or --watch-only is used.",
)
@bool_flag(
    "--allow-missing-template-keys",
    True,
    "If true, ignore any errors in templates when a field or map key is missing in the template.",
    "allow_missing",
)
@chunk_size_option
@bool_flag(
    "--show-managed-fields",
    False,
    "If true, keep the managedFields when printing objects in JSON or YAML format (kjob keeps none).",
    "show_managed_fields",
)
@namespace_option
@help_option
def get_command(
    args: tuple[str, ...],
    output: str,
    no_headers: bool,
    show_labels: bool,
    label_columns: tuple[str, ...],
    show_kind: bool,
    sort_by: str,
    selector: str,
    field_selector: str,
    all_namespaces: bool,
    ignore_not_found: bool,
    filenames: tuple[str, ...],
    watch: bool,
    watch_only: bool,
    output_watch_events: bool,
    allow_missing: bool,
    chunk_size: int,
    show_managed_fields: bool,
    namespace: str | None,
) -> None:
    """Display one or many jobs or pods.

    \b
    Examples:
      # List all jobs, then all pods with more columns
      kjob get jobs
      kjob get pods -o wide

    \b
      # One job, as JSON; jobs and pods in one go
      kjob get job job-count -o json
      kjob get jobs,pods

    \b
      # Names only, by label, across namespaces
      kjob get pods -l batch.kubernetes.io/job-name=job-count -A -o name

    \b
      # Columns of your own, sorted
      kjob get jobs -o custom-columns=NAME:.metadata.name,DONE:.status.succeeded --sort-by=.metadata.name

    \b
      # Follow the pods of a job as they change
      kjob get pods -l batch.kubernetes.io/job-name=job-count -w
    """
    if show_labels and output not in ("", "wide"):
        raise PlainError(f"--show-labels option cannot be used with {output} printer")
    if output_watch_events and not (watch or watch_only):
        raise PlainError("--output-watch-events option can only be used with --watch or --watch-only")
    watching = watch or watch_only
    if watching and sort_by:
        err("warning: --watch requested, --sort-by will be ignored for watch events received")
    if not args and not filenames:
        raise KjobError(MISSING_TYPE + "\nSee 'kjob get -h' for help and examples")
    ns, explicit = default_namespace(namespace)
    if filenames:
        if args:
            raise PlainError(
                "when paths, URLs, or stdin is provided as input, "
                "you may not specify resource arguments as well"
            )
        requests, single = query.manifest_requests(list(filenames), ns, explicit)
    else:
        requests, single = query.parse_resource_args(list(args), None if all_namespaces else ns)
        named = any(r.name is not None for r in requests)
        if named and selector:
            raise PlainError("name cannot be provided when a selector is specified")
        if named and all_namespaces:
            raise PlainError("a resource cannot be retrieved by name across all namespaces")
        if named:
            for r in requests:
                r.namespace = ns
    filters = query.Filters(selector, field_selector)
    columns = tuple(k for spec in label_columns for k in spec.split(",") if k)
    store = open_store()
    if watching:
        _watch(
            store,
            requests,
            filters,
            output,
            allow_missing,
            no_headers,
            show_labels,
            columns,
            all_namespaces,
            watch_only,
            output_watch_events,
        )
        return
    fmt = printers.parse_output(output) if not output or output == "wide" else None
    # A table keeps only its rows, so it reads the store as it makes them (unless --sort-by needs
    # every object first): holding thousands of objects costs more than parsing them.
    results = query.run_requests(store, requests, filters, lazy=fmt is not None and not sort_by)
    errors = [r.error for r in results if r.error is not None and not ignore_not_found]
    if fmt is None:
        objects = [o for r in results for o in r.objects]
        ensure_worker(store, objects)
        for message in store.corrupt:
            err(message)
        _print_generic(objects, errors, single, output, sort_by, allow_missing, no_headers, ignore_not_found)
    else:
        busy: list[Obj] = []
        tables = _tables(
            results,
            busy,
            fmt.kind == "wide",
            sort_by,
            no_headers,
            show_labels,
            columns,
            show_kind,
            all_namespaces,
        )
        ensure_worker(store, busy)
        for message in store.corrupt:
            err(message)
        for text in tables:
            out(text)
        for e in errors:
            err(e.message)
        if not tables and not errors and not ignore_not_found:
            err("No resources found" if all_namespaces else f"No resources found in {ns} namespace.")
    if errors:
        raise Failed


def _noting_work(objects: Iterable[Obj], busy: list[Obj]) -> Iterator[Obj]:
    """`objects` as they are read, keeping the first that leaves the worker work in `busy`."""
    for obj in objects:
        if not busy and needs_worker(obj):
            busy.append(obj)
        yield obj


def _print_generic(
    objects: list[Obj],
    errors: list[KjobError],
    single: bool,
    output: str,
    sort_by: str,
    allow_missing: bool,
    no_headers: bool,
    ignore_not_found: bool,
) -> None:
    """printGeneric: one named object alone, anything else in kubectl's `List` wrapper."""
    if single and errors:
        raise errors[0]
    if not objects and ignore_not_found:
        return
    fmt = printers.parse_output(output)
    if single and len(objects) == 1:
        doc = objects[0]
    else:
        if sort_by and objects:
            objects = printers.sort_objects(objects, sort_by)
        doc = printers.list_wrapper(objects)
    try:
        out(printers.print_generic(fmt, doc, allow_missing, no_headers))
    finally:
        for e in errors:
            err(e.message)


def _tables(
    results: list[query.Result],
    busy: list[Obj],
    wide: bool,
    sort_by: str,
    no_headers: bool,
    show_labels: bool,
    label_columns: tuple[str, ...],
    show_kind: bool,
    all_namespaces: bool,
) -> list[str]:
    """The human-readable path: one table per run of one kind, an empty line between tables. The
    first object read that leaves the worker work is kept in `busy`."""
    kinds = [r.request.kind for r in results if r.error is None]
    with_kind = show_kind or len(set(kinds)) > 1
    if sort_by and len(results) > 1:
        # kubectl sorts the server's Table objects themselves when there are several, before their rows.
        printers.sort_objects([_server_table() for r in results if r.error is None], sort_by)
    runs: list[tuple[str, list[Iterable[Obj]]]] = []
    for r in results:
        if r.error is not None:
            continue
        objects: Iterable[Obj] = _noting_work(r.objects, busy)
        if sort_by:
            loaded = list(objects)
            if len(loaded) > 1:
                try:
                    loaded = printers.sort_objects(loaded, sort_by, table=True)
                except PlainError:
                    loaded = []  # kubectl drops a table whose rows it cannot sort, and says nothing
            objects = loaded
        if runs and runs[-1][0] == r.request.kind:
            runs[-1][1].append(objects)
        else:
            runs.append((r.request.kind, [objects]))
    t = now()
    texts: list[str] = []
    for kind, parts in runs:
        table: Iterable[Obj] = itertools.chain.from_iterable(parts)
        headers, rows = printers.get_table(
            kind,
            table,
            t,
            wide=wide,
            with_namespace=all_namespaces,
            with_kind=with_kind,
            label_columns=label_columns,
            show_labels=show_labels,
        )
        text = printers.format_table(None if no_headers else headers, rows)
        if text:
            texts.append(("\n" if texts and not no_headers else "") + text)
    return texts


def _server_table() -> Obj:
    return {"apiVersion": "meta.k8s.io/v1", "kind": "Table", "metadata": {"resourceVersion": ""}}


def _watch_document(
    fmt: printers.OutputFormat, event: str, obj: Obj, with_events: bool, allow_missing: bool, after: bool
) -> str:
    """One object of a watch in a format that is not a table: `after` another one already printed."""
    if with_events and fmt.kind == "json":
        # The JSON printer writes a watch event as json.Marshal does: one line, type first.
        from kjob.jsonpath import go_json

        return f'{{"type":{go_json(event)},"object":{go_json(obj)}}}\n'
    # The name printer unwraps a watch event: kind/name alone.
    doc = {"object": obj, "type": event} if with_events and fmt.kind != "name" else obj
    text = printers.print_generic(fmt, doc, allow_missing)
    return "---\n" + text if fmt.kind == "yaml" and after else text


def _watch(
    store: Store,
    requests: list[query.Request],
    filters: query.Filters,
    output: str,
    allow_missing: bool,
    no_headers: bool,
    show_labels: bool,
    label_columns: tuple[str, ...],
    all_namespaces: bool,
    watch_only: bool,
    with_events: bool,
) -> None:
    """kubectl get -w: the current objects, then a row per change until interrupted (exit 1, like kubectl)."""
    if len({r.kind for r in requests}) > 1:
        raise PlainError("you may only specify a single resource type")
    fmt = printers.parse_output(output)
    results = query.run_requests(store, requests, filters)
    for r in results:
        if r.error is not None:
            raise r.error
    start = [o for r in results for o in r.objects]
    ensure_worker(store, start)
    kind = requests[0].kind
    widths: list[int] = []
    state = {"headers": no_headers, "printed": 0}

    def show(event: str, objs: list[Obj]) -> None:
        """Print objects as one write: the listing a watch starts with shares one table's widths, as
        kubectl prints it all before it flushes its tab writer once; each change after it is a row."""
        if fmt.human:
            headers, rows = printers.get_table(
                kind,
                objs,
                now(),
                wide=fmt.kind == "wide",
                with_namespace=all_namespaces,
                label_columns=label_columns,
                show_labels=show_labels,
                event_types=[event] * len(objs) if with_events else None,
            )
            lines_headers = None if state["headers"] else headers
            state["headers"] = True
            out(printers.format_table(lines_headers, rows, widths))
        elif fmt.kind == "custom-columns":
            docs = [{"type": event, "object": obj} for obj in objs] if with_events else objs
            out(printers.custom_columns(fmt.columns, docs, bool(state["headers"]), widths))
            state["headers"] = True
        else:
            for obj in objs:
                out(_watch_document(fmt, event, obj, with_events, allow_missing, bool(state["printed"])))
                state["printed"] += 1
        sys.stdout.flush()

    try:
        if not watch_only and start:
            show("ADDED", start)
        for event, obj in query.watch(store, requests, filters, start):
            show(event, [obj])
    except KeyboardInterrupt:
        # kubectl's interrupt handler ends a watch with exit 1 and says nothing.
        raise Failed from None
