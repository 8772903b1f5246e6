"""kjob logs."""

from __future__ import annotations

import sys

import click

from kjob import commands, logs, worker
from kjob.cli.base import (
    CONTEXT,
    err,
    namespace_option,
    open_store,
)
from kjob.errors import PlainError

# ---------------------------------------------------------------- logs


@click.command(context_settings=CONTEXT)
@click.argument("pod", required=False)
@click.argument("container_arg", required=False, metavar="[CONTAINER]")
@click.option("-c", "--container", default=None, help="Print the logs of this container.")
@click.option("-p", "--previous", is_flag=True, help="Print the logs of the previous run of the container.")
@namespace_option
def logs_command(
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
    store = open_store()
    ns, _ = commands.default_namespace(namespace)
    request = logs.pick_log_container(store, ns, pod, container or container_arg, previous)
    worker.ensure_running(store, [request.pod])
    for note in request.notes:
        err(note)
    out = sys.stdout.buffer
    for chunk in logs.read_log(store, request):
        out.write(chunk)
    out.flush()
