"""kjob wait."""

from __future__ import annotations

import click

from kjob import commands, waiting
from kjob.cli.base import (
    CONTEXT,
    Failed,
    namespace_option,
    open_store,
    report,
    type_and_names,
)
from kjob.errors import PlainError, UsageError

# ---------------------------------------------------------------- wait


@click.command(context_settings=CONTEXT)
@click.argument("args", nargs=-1)
@click.option(
    "--for", "for_", default=None, help="condition=complete, condition=failed, condition=NAME=VALUE."
)
@click.option("--timeout", default="30s", help="How long to wait: 30s, 5m, 0 to check once.")
@namespace_option
def wait_command(args: tuple[str, ...], for_: str | None, timeout: str, namespace: str | None) -> None:
    """Wait for a condition on one or more jobs.

    \b
    Examples:
      # Wait for a job to complete, at most a minute
      kjob wait --for=condition=complete job/job-count --timeout=60s
    """
    spec = waiting.parse_wait_for(for_)
    try:
        seconds = commands.parse_duration(timeout)
    except ValueError as e:
        raise PlainError(f'invalid argument "{timeout}" for "--timeout" flag: {e}') from e
    if not args:
        raise UsageError("resource(s) were provided, but no name was specified", "wait")
    kind, names = type_and_names(args)
    store = open_store()
    ns, _ = commands.default_namespace(namespace)
    outcomes = waiting.wait_for_condition(store, kind, ns, names, spec, seconds)
    if report(outcomes):
        raise Failed
