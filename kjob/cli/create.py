"""kjob create (-f and `create job`), kjob apply and kjob patch."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any, TypeVar

import click

from kjob import commands, objects
from kjob.cli.base import (
    CONTEXT,
    Failed,
    bool_flag,
    err,
    flags_after_subcommand,
    help_option,
    long_spellings,
    namespace_option,
    open_store,
    out,
    type_and_names,
)
from kjob.errors import PlainError, UsageError
from kjob.objects import Obj

F = TypeVar("F", bound=Callable[..., Any])

# What kubectl's PrintFlags offer for create and apply; kjob prints the ones it implements.
PRINTER_FORMATS = (
    "go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,"
    "template,templatefile,yaml"
)


# ---------------------------------------------------------------- shared flags


def output_option(f: F) -> F:
    return click.option(
        "-o",
        "--output",
        default="",
        help="Output format. One of: (json, yaml, name, jsonpath, jsonpath-as-json, jsonpath-file).",
    )(f)


def dry_run_option(f: F) -> F:
    return click.option(
        "--dry-run",
        "dry_run",
        default=commands.DRY_RUN_NONE,
        is_flag=False,
        flag_value=commands.DRY_RUN_BARE,
        help='Must be "none", "server", or "client". If client strategy, only print the object that would be '
        "sent, without sending it. If server strategy, submit server-side request without persisting the "
        "resource.",
    )(f)


def validate_option(f: F) -> F:
    return click.option(
        "--validate",
        default="strict",
        is_flag=False,
        flag_value="strict",
        help='Must be one of: strict (or true), warn, ignore (or false). "true" or "strict" will use a '
        'schema to validate the input and fail the request if invalid. "warn" will warn about unknown or '
        'duplicate fields without blocking the request. "false" or "ignore" will not perform any schema '
        "validation, silently dropping any unknown or duplicate fields.",
    )(f)


def field_manager_option(default: str) -> Callable[[F], F]:
    return click.option(
        "--field-manager", default=default, help="Name of the manager used to track field ownership."
    )


def save_config_option(f: F) -> F:
    return bool_flag(
        "--save-config",
        False,
        "If true, the configuration of current object will be saved in its annotation. Otherwise, the "
        "annotation will be unchanged. This flag is useful when you want to perform kjob apply on this "
        "object in the future.",
        dest="save_config",
    )(f)


def _dry_run(value: str) -> str:
    strategy, warning = commands.dry_run_strategy(value)
    if warning is not None:
        _klog_warning(warning)
    return strategy


def _klog_warning(text: str) -> None:
    # kubectl's deprecation notes go through klog, with its header.
    now = time.time()
    stamp = time.strftime("%m%d %H:%M:%S", time.localtime(now)) + f".{int(now % 1 * 1e6):06d}"
    err(f"W{stamp} {os.getpid():>7} helpers.go:702] {text}")


def _check_output(output: str) -> None:
    if output in ("", "name", "yaml", "json") or output.split("=", 1)[0] in ("jsonpath", "jsonpath-as-json"):
        return
    raise PlainError(
        f'unable to match a printer suitable for the output format "{output}", allowed formats are: '
        + PRINTER_FORMATS
    )


def _render(obj: Obj, output: str, typed: bool = False) -> str:
    from kjob import printers

    if output == "name":
        return printers.name_line(obj) + "\n"
    if output == "json":
        if typed:
            from kjob.apply import go_json

            return go_json(commands.struct_ordered(obj), indent=4, sort_keys=False) + "\n"
        return printers.to_json(obj)
    if output == "yaml":
        return printers.to_yaml(obj)
    from kjob import jsonpath

    kind, _, template = output.partition("=")
    parsed = jsonpath.parse(jsonpath.relaxed(template))
    return parsed.execute(obj) if kind == "jsonpath" else parsed.execute_as_json(obj)


def _print_outcomes(
    outcomes: list[commands.Outcome], output: str, typed: bool = False, lines: bool = True
) -> bool:
    """Each object as it is done, kubectl's way: warnings first, errors on stderr; True if any failed."""
    failed = False
    printed = 0
    for outcome in outcomes:
        for warning in outcome.warnings:
            err(warning)
        if outcome.error is not None:
            err(outcome.error.message)
            failed = True
        elif outcome.obj is not None and output:
            separator = "---\n" if output == "yaml" and printed else ""
            out(separator + _render(outcome.obj, output, typed))
            printed += 1
        elif lines:
            out(outcome.line + "\n")
        sys.stdout.flush()
    return failed


# ---------------------------------------------------------------- create


class CreateGroup(click.Group):
    """`kjob create -f FILE` and `kjob create job NAME`: a command with one subcommand."""

    moves_flags = True  # see flags_after_subcommand

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        takes_value = {
            name
            for p in self.params
            if isinstance(p, click.Option) and not p.is_flag and not p._flag_needs_value
            for name in p.opts
        }
        return super().parse_args(ctx, flags_after_subcommand(self, ctx, args, takes_value))

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and self.get_command(ctx, args[0]) is None:
            raise UsageError(f"Unexpected args: [{' '.join(args)}]", "create")
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None:
            rest = long_spellings(command, rest)  # `create job` reads `-n=NAME` as kubectl does too
        return name, command, rest


@click.group(cls=CreateGroup, context_settings=CONTEXT, invoke_without_command=True, add_help_option=False)
@click.option(
    "-f", "--filename", "filenames", multiple=True, help="Filename, directory, or - (stdin) to use to create."
)
@dry_run_option
@output_option
@save_config_option
@validate_option
@field_manager_option("kubectl-create")
@namespace_option
@help_option
@click.pass_context
def create_command(
    ctx: click.Context,
    filenames: tuple[str, ...],
    dry_run: str,
    output: str,
    save_config: bool,
    validate: str,
    field_manager: str,
    namespace: str | None,
) -> None:
    """Create a job from a file or from stdin.

    JSON and YAML formats are accepted.

    \b
    Examples:
      # Create the job in job.yaml
      kjob create -f ./job.yaml

    \b
      # Create jobs from every manifest in a directory, and from stdin
      kjob create -f ./configs/jobs/ -f -

    \b
      # Show what would be created, without creating it
      kjob create -f ./job.yaml --dry-run=client -o yaml

    \b
      # Create a job running a command in an image
      kjob create job my-job --image=busybox -- date
    """
    if ctx.invoked_subcommand is not None:
        return
    if not filenames:
        raise PlainError("must specify one of -f and -k")
    strategy = _dry_run(dry_run)
    _check_output(output)
    validation = commands.validation_directive(validate)
    store = open_store()
    ns, explicit = objects.default_namespace(namespace)
    sources = commands.read_sources(list(filenames), sys.stdin)
    outcomes = commands.create_from_sources(
        store, sources, ns, explicit, dry_run=strategy, validation=validation, save_config=save_config
    )
    if _print_outcomes(outcomes, output):
        raise Failed


class DashCommand(click.Command):
    """Keeps what follows `--` apart, as cobra's ArgsLenAtDash does: it is the container's command."""

    reads_as_click = True  # before `--`: options may be spelled long (see base.long_spellings)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if "--" in args:
            at = args.index("--")
            ctx.meta["kjob.after_dash"] = args[at + 1 :]
            args = args[:at]
        return super().parse_args(ctx, args)


@create_command.command("job", cls=DashCommand, context_settings=CONTEXT)
@click.argument("args", nargs=-1)
@click.option("--image", default="", help="Image name to run.")
@click.option(
    "--from",
    "from_",
    default="",
    help="The name of the resource to create a Job from (only CronJob is supported).",
)
@dry_run_option
@output_option
@save_config_option
@validate_option
@field_manager_option("kubectl-create")
@namespace_option
@click.pass_context
def create_job_command(
    ctx: click.Context,
    args: tuple[str, ...],
    image: str,
    from_: str,
    dry_run: str,
    output: str,
    save_config: bool,
    validate: str,
    field_manager: str,
    namespace: str | None,
) -> None:
    """Create a job with the specified name.

    kjob runs the command on this machine; the image is recorded, not pulled.

    \b
    Usage:
      kjob create job NAME --image=image [--from=cronjob/name] -- [COMMAND] [args...]

    \b
    Examples:
      # Create a job
      kjob create job my-job --image=busybox

    \b
      # Create a job with a command
      kjob create job my-job --image=busybox -- date

    \b
      # Print the job that would be created, as kubectl create job prints it
      kjob create job my-job --image=busybox --dry-run=client -o yaml -- echo hello
    """
    after_dash: list[str] | None = ctx.meta.get("kjob.after_dash")
    if len(args) != 1:
        raise UsageError(f"exactly one NAME is required, got {len(args)}", "create job")
    name = args[0]
    command = after_dash or []
    strategy = _dry_run(dry_run)
    _check_output(output)
    commands.validation_directive(validate)
    if bool(image) == bool(from_):
        raise PlainError("either --image or --from must be specified")
    if command and from_:
        raise PlainError("cannot specify --from and command")
    store = open_store()
    ns, explicit = objects.default_namespace(namespace)
    if from_:
        commands.job_from_resource(store, ns, from_)
    job = commands.job_from_image(name, image, command, ns, explicit)
    if save_config:
        from kjob.apply import LAST_APPLIED, go_json

        annotation = go_json(commands.struct_ordered(job), sort_keys=False) + "\n"
        meta = job["metadata"]
        job["metadata"] = {
            **{k: v for k, v in meta.items() if k != "creationTimestamp"},
            "annotations": {LAST_APPLIED: annotation},
            "creationTimestamp": meta["creationTimestamp"],
        }
    if strategy == commands.DRY_RUN_CLIENT:
        outcome = commands.Outcome(line=f"job.batch/{name} created (dry run)", obj=job)
    else:
        outcome = commands.create_job(store, job, ns, strategy)
    if _print_outcomes([outcome], output, typed=True):
        raise Failed


# ---------------------------------------------------------------- apply


@click.command(context_settings=CONTEXT)
@click.argument("args", nargs=-1)
@click.option(
    "-f",
    "--filename",
    "filenames",
    multiple=True,
    help="The files that contain the configurations to apply.",
)
@dry_run_option
@output_option
@validate_option
@bool_flag(
    "--server-side",
    False,
    "If true, apply runs in the server instead of the client.",
    dest="server_side",
)
@bool_flag(
    "--force-conflicts",
    False,
    "If true, server-side apply will force the changes against conflicts.",
    dest="force_conflicts",
)
@field_manager_option("kubectl-client-side-apply")
@namespace_option
def apply_command(
    args: tuple[str, ...],
    filenames: tuple[str, ...],
    dry_run: str,
    output: str,
    validate: str,
    server_side: bool,
    force_conflicts: bool,
    field_manager: str,
    namespace: str | None,
) -> None:
    """Apply a configuration to a job by file name or stdin.

    The job will be created if it doesn't exist yet. To use 'apply', always create the job initially
    with either 'apply' or 'create --save-config'.

    JSON and YAML formats are accepted.

    \b
    Examples:
      # Apply the configuration in job.yaml
      kjob apply -f ./job.yaml

    \b
      # Apply the YAML passed into stdin
      cat job.yaml | kjob apply -f -

    \b
      # Show what would change, without changing it
      kjob apply -f ./job.yaml --dry-run=server
    """
    strategy = _dry_run(dry_run)
    if force_conflicts and not server_side:
        raise PlainError("--force-conflicts only works with --server-side")
    if strategy == commands.DRY_RUN_CLIENT and server_side:
        raise PlainError(
            "--dry-run=client doesn't work with --server-side (did you mean --dry-run=server instead?)"
        )
    _check_output(output)
    if not filenames:
        raise PlainError("must specify one of -f and -k")
    if args:
        raise UsageError(f"Unexpected args: [{' '.join(args)}]", "apply")
    validation = commands.validation_directive(validate)
    from kjob import apply

    store = open_store()
    ns, explicit = objects.default_namespace(namespace)
    sources = commands.read_sources(list(filenames), sys.stdin)
    outcomes = apply.apply_from_sources(
        store, sources, ns, explicit, dry_run=strategy, validation=validation, server_side=server_side
    )
    objects_out = output not in ("", "name")
    failed = _print_outcomes(outcomes, "" if objects_out else output, lines=not objects_out)
    if objects_out:
        # kubectl prints the objects after applying them all: one alone, several as a List.
        done = [o.obj for o in outcomes if o.error is None and o.obj is not None]
        if done:
            shown = (
                done[0]
                if len(done) == 1
                else {"apiVersion": "v1", "items": done, "kind": "List", "metadata": {}}
            )
            out(_render(shown, output))
    if failed:
        raise Failed


# ---------------------------------------------------------------- patch


@click.command(context_settings=CONTEXT)
@click.argument("args", nargs=-1)
@click.option("-p", "--patch", "patch_text", default=None, help="The patch to apply, as JSON or YAML.")
@click.option("--type", "patch_type", default="strategic", help="json, merge or strategic (the default).")
@click.option("--patch-file", default="", help="A file containing a patch to be applied to the resource.")
@click.option("--subresource", default="", help="status: patch the object's status instead of its spec.")
@dry_run_option
@output_option
@namespace_option
def patch_command(
    args: tuple[str, ...],
    patch_text: str | None,
    patch_type: str,
    patch_file: str,
    subresource: str,
    dry_run: str,
    output: str,
    namespace: str | None,
) -> None:
    """Update fields of a job or a pod with a merge, JSON or strategic merge patch.

    \b
    Examples:
      # Resume a suspended job
      kjob patch job job-count -p '{"spec":{"suspend":false}}'

    \b
      # Raise the parallelism with a JSON patch
      kjob patch job job-count --type=json -p '[{"op":"replace","path":"/spec/parallelism","value":3}]'

    \b
      # Add a condition through the status subresource
      kjob patch job job-count --subresource=status --type=merge -p '{"status":{"conditions":[...]}}'

    \b
      # Give a pod a condition of your own, for a podFailurePolicy rule's onPodConditions
      kjob patch pod job-count-abcde --subresource=status --type=strategic \\
        -p '{"status":{"conditions":[{"type":"ConfigIssue","status":"True"}]}}'

    \b
      # See what a patch from a file would make of the job, without writing it
      kjob patch job job-count --patch-file=patch.yaml --dry-run=server -o yaml
    """
    if patch_text is not None and patch_file:
        raise PlainError("cannot specify --patch and --patch-file together")
    if patch_file:
        try:
            with open(patch_file, encoding="utf-8") as f:
                patch_text = f.read()
        except OSError as e:
            raise PlainError(
                f"unable to read patch file: open {patch_file}: {(e.strerror or str(e)).lower()}"
            ) from None
    if patch_text is None:
        raise PlainError("must specify --patch or --patch-file containing the contents of the patch")
    strategy = _dry_run(dry_run)
    _check_output(output)
    kind, names = type_and_names(args) if args else ("", [])
    if not names:
        raise UsageError("You must provide one or more resources by argument or filename.", "patch")
    if kind not in ("jobs", "pods"):
        raise PlainError("kjob patches jobs and pods")
    store = open_store()
    ns, _ = objects.default_namespace(namespace)
    outcomes = [
        commands.patch_object(store, kind, ns, name, patch_text, patch_type, subresource, strategy)
        for name in names
    ]
    if _print_outcomes(outcomes, output):
        raise Failed
