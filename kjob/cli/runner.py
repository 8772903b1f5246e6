"""kjob run: one command for CI and for people: create, stream the output, exit with the outcome."""

from __future__ import annotations

import os
import sys
import time

import click

from kjob import commands, objects
from kjob.cli.base import CONTEXT, Failed, err, namespace_option, open_store


def _colour(text: str, code: str, stream: object) -> str:
    """ANSI colour only on a terminal, and never with NO_COLOR set (no-color.org)."""
    if os.environ.get("NO_COLOR") or not getattr(stream, "isatty", lambda: False)():
        return text
    return f"\x1b[{code}m{text}\x1b[0m"


@click.command(context_settings=CONTEXT)
@click.option(
    "-f", "--filename", "filenames", multiple=True, required=True, help="The manifest(s) of the jobs to run."
)
@namespace_option
def run_command(filenames: tuple[str, ...], namespace: str | None) -> None:
    """Create jobs, stream their pods' output as it is written, and exit 0 when all complete, 1 if one fails.

    Each output line is prefixed `[pod/container]`. On a terminal a progress line shows completions,
    active and failed pods, and the time so far. Validation errors name the line and column of the
    manifest where the bad field stands.

    \b
    Examples:
      # Run the walkthrough's job and watch it count down
      kjob run -f ./configs/jobs/job.yaml

    \b
      # In CI: the exit code says whether the job completed
      kjob run -f job.yaml > job.log
    """
    from kjob import run

    store = open_store()
    ns, explicit = objects.default_namespace(namespace)
    sources = commands.read_sources(list(filenames), sys.stdin)
    jobs = run.prepare_jobs(store, sources, ns, explicit)
    run.create_jobs(store, jobs)
    for job in jobs:
        err(f"job.batch/{job['metadata']['name']} created")

    live = sys.stderr.isatty()
    shown = [False]

    def clear() -> None:
        if shown[0]:
            sys.stderr.write("\r\x1b[K")
            shown[0] = False

    def emit(data: bytes) -> None:
        clear()
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()

    started = time.monotonic()

    def progress(states: list[run.Progress]) -> None:
        if not live:
            return
        clear()
        sys.stderr.write("; ".join(s.line(started) for s in states))
        sys.stderr.flush()
        shown[0] = True

    try:
        states = run.follow(store, ns, [j["metadata"]["name"] for j in jobs], emit, progress)
    except KeyboardInterrupt:
        clear()
        err("interrupted: the jobs go on running; `kjob delete jobs NAME` stops them")
        raise Failed from None
    clear()
    failed = False
    for state in states:
        ok = state.finished == "Complete"
        err(_colour(state.summary(), "32" if ok else "31", sys.stderr))
        failed = failed or not ok
    if failed:
        raise Failed
