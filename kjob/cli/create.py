"""kjob create and kjob patch."""

from __future__ import annotations

import sys

import click

from kjob import commands
from kjob.cli.base import (
    CONTEXT,
    Failed,
    err,
    namespace_option,
    open_store,
    out,
    report,
    type_and_names,
)
from kjob.errors import PlainError, UsageError

# ---------------------------------------------------------------- create


@click.command(context_settings=CONTEXT)
@click.option(
    "-f", "--filename", "filenames", multiple=True, help="Files, directories or - (stdin) to create."
)
@namespace_option
def create_command(filenames: tuple[str, ...], namespace: str | None) -> None:
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
    store = open_store()
    ns, explicit = commands.default_namespace(namespace)
    sources = commands.read_sources(list(filenames), sys.stdin)
    failed = False
    for outcome in commands.create_from_sources(store, sources, ns, explicit):
        for warning in outcome.warnings:
            err(warning)
        if outcome.error is not None:
            err(outcome.error.message)
            failed = True
        else:
            out(outcome.line + "\n")
    if failed:
        raise Failed


# ---------------------------------------------------------------- patch


@click.command(context_settings=CONTEXT)
@click.argument("args", nargs=-1)
@click.option("-p", "--patch", "patch_text", default=None, help="The patch to apply, as JSON or YAML.")
@click.option("--type", "patch_type", default="strategic", help="json, merge or strategic (the default).")
@namespace_option
def patch_command(
    args: tuple[str, ...], patch_text: str | None, patch_type: str, namespace: str | None
) -> None:
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
    kind, names = type_and_names(args) if args else ("", [])
    if not names:
        raise UsageError("You must provide one or more resources by argument or filename.", "patch")
    if kind != "jobs":
        raise PlainError("kjob patches jobs")
    store = open_store()
    ns, _ = commands.default_namespace(namespace)
    if report([commands.patch_job(store, ns, name, patch_text, patch_type) for name in names]):
        raise Failed
