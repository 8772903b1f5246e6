"""Click commands only: parse arguments, call kjob.commands, print. The one module that imports click."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import IO, Any, NoReturn, TypeVar

import click

from kjob import commands, printers, worker
from kjob.errors import KjobError, PlainError, UsageError
from kjob.objects import Obj, now
from kjob.store import Store

F = TypeVar("F", bound=Callable[..., Any])
CONTEXT = {"help_option_names": ["-h", "--help"]}


def namespace_option(f: F) -> F:
    return click.option(
        "-n", "--namespace", default=None, help="If present, the namespace scope for this CLI request."
    )(f)


def bool_flag(name: str, default: bool, help: str, dest: str | None = None) -> Callable[[F], F]:
    """A kubectl boolean flag: `--name`, `--name=true` or `--name=false`."""

    def decorate(f: F) -> F:
        decls = [name] if dest is None else [name, dest]
        return click.option(
            *decls,
            type=click.BOOL,
            default=default,
            is_flag=False,
            flag_value=True,
            show_default=True,
            help=help,
        )(f)

    return decorate


def _store() -> Store:
    return Store()


def _out(text: str) -> None:
    if text:
        sys.stdout.write(text)


def _err(text: str) -> None:
    sys.stderr.write(text if text.endswith("\n") else text + "\n")


class Failed(Exception):
    """Errors were already printed; exit 1."""


@click.group(context_settings=CONTEXT)
def cli() -> None:
    """kjob runs Kubernetes Jobs on this machine, with kubectl's commands and output.

    Find more information at the README of kjob.
    """


# ---------------------------------------------------------------- create


@cli.command(context_settings=CONTEXT)
@click.option(
    "-f", "--filename", "filenames", multiple=True, help="Files, directories or - (stdin) to create."
)
@namespace_option
def create(filenames: tuple[str, ...], namespace: str | None) -> None:
    """Create a job from a file or from stdin.

    \b
    Examples:
      # Create the job in job.yaml
      kjob create -f ./configs/jobs/job.yaml

    \b
      # Create jobs from every manifest in a directory, and from stdin
      kjob create -f ./configs/jobs/ -f -
    """
    if not filenames:
        raise UsageError("must specify one of -f and -k", "create")
    store = _store()
    ns, explicit = commands.default_namespace(namespace)
    sources = commands.read_sources(list(filenames), sys.stdin)
    failed = False
    for outcome in commands.create_from_sources(store, sources, ns, explicit):
        for warning in outcome.warnings:
            _err(warning)
        if outcome.error is not None:
            _err(outcome.error.message)
            failed = True
        else:
            _out(outcome.line + "\n")
    if failed:
        raise Failed


# ---------------------------------------------------------------- get


OUTPUTS = ("wide", "json", "yaml", "name")


@cli.command(context_settings=CONTEXT)
@click.argument("args", nargs=-1)
@click.option("-o", "--output", default="", help="Output format: wide, json, yaml or name.")
@click.option("--no-headers", is_flag=True, help="Don't print headers.")
@namespace_option
def get(args: tuple[str, ...], output: str, no_headers: bool, namespace: str | None) -> None:
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
    store = _store()
    ns, _ = commands.default_namespace(namespace)
    errors: list[KjobError] = []
    if names:
        objects, errors = commands.get_named(store, kind, ns, names)
    else:
        objects = commands.list_objects(store, kind, ns)
    worker.ensure_running(store, objects)
    for message in store.corrupt:
        _err(message)
    _print_objects(kind, objects, output, no_headers, single=len(names) == 1, namespace=ns, names=bool(names))
    for e in errors:
        _err(e.message)
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
        _out(printers.to_json(doc) if output == "json" else printers.to_yaml(doc))
        return
    if output == "name":
        _out("".join(printers.name_line(o) + "\n" for o in objects))
        return
    if not objects:
        if not names:
            _err(f"No resources found in {namespace} namespace.")
        return
    wide = output == "wide"
    t = now()
    if kind == "jobs":
        headers, rows = printers.job_headers(wide), [printers.job_row(o, t, wide) for o in objects]
    elif kind == "pods":
        headers, rows = printers.pod_headers(wide), [printers.pod_row(o, t, wide) for o in objects]
    else:
        headers, rows = _event_table(objects, t)
    _out(printers.format_table(None if no_headers else headers, rows))


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


# ---------------------------------------------------------------- describe


@cli.command(context_settings=CONTEXT)
@click.argument("kind_arg", metavar="TYPE")
@click.argument("names", nargs=-1)
@bool_flag("--show-events", True, "If true, display events related to the object.", "show_events")
@namespace_option
def describe(kind_arg: str, names: tuple[str, ...], show_events: bool, namespace: str | None) -> None:
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
    store = _store()
    ns, _ = commands.default_namespace(namespace)
    objects, errors = commands.describe_targets(store, kind, ns, list(names))
    worker.ensure_running(store, objects)
    t = now()
    texts = []
    for obj in objects:
        events = commands.events_for(store, obj) if show_events else []
        if kind == "jobs":
            texts.append(printers.describe_job(obj, events, t, show_events=show_events))
        else:
            texts.append(printers.describe_pod(obj, events, t, show_events=show_events))
    _out("\n\n".join(texts))
    if not objects and not errors:
        _err(f"No resources found in {ns} namespace.")
    for e in errors:
        _err(e.message)
    if errors:
        raise Failed


# ---------------------------------------------------------------- logs


@cli.command(context_settings=CONTEXT)
@click.argument("pod", required=False)
@click.argument("container_arg", required=False, metavar="[CONTAINER]")
@click.option("-c", "--container", default=None, help="Print the logs of this container.")
@click.option("-p", "--previous", is_flag=True, help="Print the logs of the previous run of the container.")
@namespace_option
def logs(
    pod: str | None, container_arg: str | None, container: str | None, previous: bool, namespace: str | None
) -> None:
    """Print the logs for a container in a pod.

    \b
    Examples:
      # Print the output of the only container of a pod
      kjob logs job-count-jx82v

    \b
      # The output of the run before the last restart
      kjob logs -p job-count-jx82v
    """
    if not pod:
        raise PlainError(
            "expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\n"
            "POD or TYPE/NAME is a required argument for the logs command\n"
            "See 'kjob logs -h' for help and examples"
        )
    if container and container_arg:
        raise PlainError("only one of -c or an inline [CONTAINER] arg is allowed")
    store = _store()
    ns, _ = commands.default_namespace(namespace)
    request = commands.pick_log_container(store, ns, pod, container or container_arg, previous)
    worker.ensure_running(store, [request.pod])
    for note in request.notes:
        _err(note)
    out = sys.stdout.buffer
    for chunk in commands.read_log(store, request):
        out.write(chunk)
    out.flush()


# ---------------------------------------------------------------- delete


@cli.command(context_settings=CONTEXT)
@click.argument("args", nargs=-1)
@bool_flag("--wait", True, "If true, wait for the objects to be gone before returning.", "wait_")
@namespace_option
def delete(args: tuple[str, ...], wait_: bool, namespace: str | None) -> None:
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
    store = _store()
    ns, _ = commands.default_namespace(namespace)
    if kind == "jobs":
        outcomes = commands.delete_jobs(store, ns, names)
    elif kind == "pods":
        outcomes = commands.delete_pods(store, ns, names)
    else:
        raise PlainError("kjob deletes jobs and pods")
    failed = _report(outcomes)
    if kind == "pods" and wait_:
        gone = [o.obj for o in outcomes if o.obj is not None]
        left = commands.wait_gone(store, "pods", ns, [str(o["metadata"]["name"]) for o in gone], 7 * 86400)
        for name in left:
            _err(f"error: timed out waiting for the condition on pods/{name}")
            failed = True
    if failed:
        raise Failed


def _report(outcomes: list[commands.Outcome]) -> bool:
    failed = False
    for o in outcomes:
        if o.error is not None:
            _err(o.error.message)
            failed = True
        else:
            _out(o.line + "\n")
            sys.stdout.flush()
    return failed


# ---------------------------------------------------------------- patch


@cli.command(context_settings=CONTEXT)
@click.argument("args", nargs=-1)
@click.option("-p", "--patch", "patch_text", default=None, help="The patch to apply, as JSON or YAML.")
@click.option("--type", "patch_type", default="strategic", help="json, merge or strategic (the default).")
@namespace_option
def patch(args: tuple[str, ...], patch_text: str | None, patch_type: str, namespace: str | None) -> None:
    """Update fields of a job with a merge, JSON or strategic merge patch.

    \b
    Examples:
      # Resume a suspended job
      kjob patch job job-count -p '{"spec":{"suspend":false}}'

    \b
      # Raise the parallelism with a JSON patch
      kjob patch job job-count --type=json -p '[{"op":"replace","path":"/spec/parallelism","value":3}]'
    """
    if patch_text is None:
        raise UsageError("must specify -p to patch", "patch")
    kind, names = _type_and_names(args) if args else ("", [])
    if not names:
        raise UsageError("You must provide one or more resources by argument or filename.", "patch")
    if kind != "jobs":
        raise PlainError("kjob patches jobs")
    store = _store()
    ns, _ = commands.default_namespace(namespace)
    if _report([commands.patch_job(store, ns, name, patch_text, patch_type) for name in names]):
        raise Failed


# ---------------------------------------------------------------- wait


@cli.command(context_settings=CONTEXT)
@click.argument("args", nargs=-1)
@click.option(
    "--for", "for_", default=None, help="condition=complete, condition=failed, condition=NAME=VALUE."
)
@click.option("--timeout", default="30s", help="How long to wait: 30s, 5m, 0 to check once.")
@namespace_option
def wait(args: tuple[str, ...], for_: str | None, timeout: str, namespace: str | None) -> None:
    """Wait for a condition on one or more jobs.

    \b
    Examples:
      # Wait for a job to complete, at most a minute
      kjob wait --for=condition=complete job/job-count --timeout=60s
    """
    spec = commands.parse_wait_for(for_)
    try:
        seconds = commands.parse_duration(timeout)
    except ValueError as e:
        raise PlainError(f'invalid argument "{timeout}" for "--timeout" flag: {e}') from e
    if not args:
        raise UsageError("resource(s) were provided, but no name was specified", "wait")
    kind, names = _type_and_names(args)
    store = _store()
    ns, _ = commands.default_namespace(namespace)
    outcomes = commands.wait_for_condition(store, kind, ns, names, spec, seconds)
    if _report(outcomes):
        raise Failed


def _type_and_names(args: tuple[str, ...]) -> tuple[str, list[str]]:
    if "/" in args[0]:
        kinds = set()
        names = []
        for arg in args:
            t, _, n = arg.partition("/")
            kinds.add(commands.resolve_resource(t))
            names.append(n)
        if len(kinds) > 1:
            raise PlainError("kjob waits on one type at a time")
        return kinds.pop(), names
    kind = commands.resolve_resource(args[0])
    if len(args) < 2:
        raise PlainError("resource(s) were provided, but no name was specified")
    return kind, list(args[1:])


# ---------------------------------------------------------------- the funnel


def main(argv: list[str] | None = None, prog_name: str = "kjob") -> NoReturn:
    """Run the CLI; every error leaves through here as one kubectl-style message and exit code."""
    code = run(argv, prog_name)
    sys.stdout.flush()
    sys.exit(code)


def run(argv: list[str] | None = None, prog_name: str = "kjob", stdin: IO[str] | None = None) -> int:
    try:
        cli.main(args=argv, prog_name=prog_name, standalone_mode=False)
        return 0
    except Failed:
        return 1
    except KjobError as e:
        _err(e.message)
        return e.exit_code
    except click.exceptions.NoSuchOption as e:
        _err(f"error: unknown flag: {e.option_name}")
        _err(f"See '{prog_name} {_subcommand(e)} -h' for help and examples".replace("  ", " "))
        return 1
    except click.UsageError as e:
        _err(f"error: {e.format_message()}")
        return 1
    except click.exceptions.Abort:
        return 1
    except click.exceptions.Exit as e:
        return int(e.exit_code or 0)
    except BrokenPipeError:
        # A closed pipe (`kjob get pods | head -1`) is the reader's choice, not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return 1
    except Exception as e:
        if os.environ.get("KJOB_DEBUG") == "1":
            raise
        _err(f"error: internal error: {type(e).__name__}: {e} (set KJOB_DEBUG=1 for a traceback)")
        return 1


def _subcommand(e: click.UsageError) -> str:
    ctx = e.ctx
    return ctx.info_name if ctx is not None and ctx.parent is not None and ctx.info_name else ""
