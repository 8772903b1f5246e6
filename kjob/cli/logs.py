"""kjob logs: kubectl's flags, their parsing and validation order, and its messages."""

from __future__ import annotations

import os
import sys

import click

from kjob import commands, logs, objects, worker
from kjob.cli.base import CONTEXT, bool_flag, err, flag_error, namespace_option, open_store
from kjob.errors import PlainError, UsageError

USAGE = (
    "expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\n"
    "POD or TYPE/NAME is a required argument for the logs command"
)


def go_int(value: str, flag: str) -> int:
    """strconv.ParseInt(value, 0, 64), as pflag parses integer flags, with its error text."""
    text = value
    sign = 1
    if text[:1] in "+-" and text:
        sign = -1 if text[0] == "-" else 1
        text = text[1:]
    base, digits = 10, text
    lower = text.lower()
    if lower.startswith(("0x", "0o", "0b")):
        base, digits = {"x": 16, "o": 8, "b": 2}[lower[1]], text[2:]
    elif len(text) > 1 and text.startswith("0"):
        base, digits = 8, text[1:]
    ok = bool(digits) and not digits.startswith("_") and not digits.endswith("_") and "__" not in digits
    if base == 10 and "_" in digits:
        ok = False
    try:
        number = sign * int(digits.replace("_", ""), base) if ok else None
    except ValueError:
        number = None
    if number is None:
        raise flag_error(value, flag, f'strconv.ParseInt: parsing "{value}": invalid syntax', "logs")
    if not -(2**63) <= number < 2**63:
        raise flag_error(value, flag, f'strconv.ParseInt: parsing "{value}": value out of range', "logs")
    return number


def go_duration(value: str, flag: str) -> float:
    try:
        return commands.parse_duration(value)
    except ValueError as e:
        raise flag_error(value, flag, str(e), "logs") from None


@click.command(context_settings=CONTEXT)
@click.argument("args", nargs=-1, metavar="(POD | TYPE/NAME) [CONTAINER]")
@bool_flag("--all-containers", False, "Get all containers' logs in the pod(s).")
@bool_flag("--all-pods", False, "Get logs from all pod(s). Sets prefix to true.")
@click.option("-c", "--container", default=None, help="Print the logs of this container")
@bool_flag("--follow", False, "Specify if the logs should be streamed.", short="-f")
@bool_flag(
    "--ignore-errors",
    False,
    "If watching / following pod logs, allow for any errors that occur to be non-fatal",
)
@bool_flag("--insecure-skip-tls-verify-backend", False, "Accepted for kubectl's sake; kjob has no kubelet.")
@click.option("--limit-bytes", default="0", help="Maximum bytes of logs to return. Defaults to no limit.")
@click.option(
    "--max-log-requests",
    default="5",
    help="Specify maximum number of concurrent logs to follow when using by a selector. Defaults to 5.",
)
@click.option(
    "--pod-running-timeout",
    default="20s",
    help="The length of time (like 5s, 2m, or 3h, higher than zero) to wait until at least one pod is "
    "running",
)
@bool_flag("--prefix", False, "Prefix each log line with the log source (pod name and container name)")
@bool_flag(
    "--previous",
    False,
    "If true, print the logs for the previous instance of the container in a pod if it exists.",
    short="-p",
)
@click.option(
    "-l",
    "--selector",
    default="",
    help="Selector (label query) to filter on, supports '=', '==', and '!='."
    "(e.g. -l key1=value1,key2=value2).",
)
@click.option(
    "--since",
    default="0s",
    help="Only return logs newer than a relative duration like 5s, 2m, or 3h. Defaults to all logs. "
    "Only one of since-time / since may be used.",
)
@click.option(
    "--since-time",
    default="",
    help="Only return logs after a specific date (RFC3339). Defaults to all logs. "
    "Only one of since-time / since may be used.",
)
@click.option(
    "--tail",
    default=None,
    help="Lines of recent log file to display. Defaults to -1 with no selector, showing all log lines "
    "otherwise 10, if a selector is provided.",
)
@bool_flag("--timestamps", False, "Include timestamps on each line in the log output")
@namespace_option
def logs_command(
    args: tuple[str, ...],
    all_containers: bool,
    all_pods: bool,
    container: str | None,
    follow: bool,
    ignore_errors: bool,
    insecure_skip_tls_verify_backend: bool,
    limit_bytes: str,
    max_log_requests: str,
    pod_running_timeout: str,
    prefix: bool,
    previous: bool,
    selector: str,
    since: str,
    since_time: str,
    tail: str | None,
    timestamps: bool,
    namespace: str | None,
) -> None:
    """Print the logs for a container in a pod or specified resource. If the pod has only one container,
    the container name is optional.

    \b
    Examples:
      # Return snapshot logs from pod job-count-jx82v with only one container
      kjob logs job-count-jx82v

    \b
      # Return snapshot logs from the first container of a job named hello
      kjob logs job/hello

    \b
      # Begin streaming the logs of the worker container in pod job-count-jx82v
      kjob logs -f -c worker job-count-jx82v

    \b
      # Return snapshot logs from all containers in pods defined by label app=nginx
      kjob logs -l app=nginx --all-containers=true

    \b
      # Return snapshot logs from all pods of the job hello, each line prefixed with its source
      kjob logs job/hello --all-pods=true

    \b
      # Display only the most recent 20 lines of output, with their timestamps
      kjob logs --tail=20 --timestamps job-count-jx82v

    \b
      # Show all logs written in the last hour
      kjob logs --since=1h job-count-jx82v

    \b
      # Return snapshot of the previous terminated run of the container
      kjob logs -p job-count-jx82v
    """
    # pflag parses every value before the command runs.
    tail_lines = go_int(tail, "--tail") if tail is not None else -1
    limit = go_int(limit_bytes, "--limit-bytes")
    max_requests = go_int(max_log_requests, "--max-log-requests")
    since_duration = go_duration(since, "--since")
    timeout = go_duration(pod_running_timeout, "--pod-running-timeout")

    # Complete: the arguments, then the objects they name.
    if not args and not selector:
        raise UsageError(USAGE, "logs")
    if len(args) == 1 and selector:
        raise UsageError("only a selector (-l) or a POD name is allowed", "logs")
    if len(args) > 2:
        raise UsageError(USAGE, "logs")
    chosen = args[1] if len(args) == 2 else container
    if timeout <= 0:
        raise PlainError("--pod-running-timeout must be higher than zero")
    options = logs.LogOptions(follow=follow, previous=previous, timestamps=timestamps, limit_bytes=limit)
    since_ns = logs.since_from_time(since_time) if since_time else None
    sinceseconds = logs.since_seconds(since_duration) if since_duration != 0 else None
    if selector and tail is None:
        options.tail = logs.SELECTOR_TAIL
    elif tail_lines != -1:
        options.tail = tail_lines
    store = open_store()
    ns, _ = objects.default_namespace(namespace)
    target = logs.find_target(store, ns, args[0] if args else None, selector if not args else None)
    if target.pods == [] and selector:
        err(f"No resources found in {ns} namespace.")

    # Validate.
    if since_time and since_duration != 0:
        raise PlainError("at most one of `sinceTime` or `sinceSeconds` may be specified")
    if all_containers and chosen:
        raise PlainError(f"--all-containers=true should not be specified with container name {chosen}")
    if container is not None and len(args) == 2:
        raise PlainError("only one of -c or an inline [CONTAINER] arg is allowed")
    if limit < 0:
        raise PlainError("--limit-bytes must be greater than 0")
    if sinceseconds is not None and sinceseconds < 0:
        raise PlainError("--since must be greater than 0")
    if options.tail < -1:
        raise PlainError("--tail must be greater than or equal to -1")

    # Run.
    requests = logs.plan_requests(store, target, chosen, all_containers, all_pods, timeout, err)
    if follow and len(requests) > 1 and len(requests) > max_requests:
        raise PlainError(
            f"you are attempting to follow {len(requests)} log streams, but maximum allowed concurrency is "
            f"{max_requests}, use --max-log-requests to increase the limit"
        )
    if prefix or all_pods:
        for request in requests:
            request.prefix = logs.prefix_of(request)
    if sinceseconds is not None:
        options.since_ns = logs.since_from_seconds(sinceseconds)
    elif since_ns is not None:
        options.since_ns = since_ns
    if requests:
        worker.ensure_running(store, [r.pod for r in requests])
    sys.stdout.flush()
    try:
        logs.stream_logs(store, requests, options, sys.stdout.buffer, ignore_errors)
    except BrokenPipeError:
        # `kjob logs POD | head` : the reader has what it wanted (Click would turn this into exit 1).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
