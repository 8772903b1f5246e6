"""kjob's command line: `kjob.cli:main` is the console script."""

from __future__ import annotations

import gc
import sys
from typing import IO, Any, NoReturn

# The verbs that write work for the worker (`run` and `apply` create jobs too).
_WRITING = frozenset({"create", "apply", "run"})


def main(argv: list[str] | None = None, prog_name: str = "kjob") -> NoReturn:
    # A command lives for a few dozen milliseconds and makes next to no cyclic garbage: the collector
    # would only walk its imports' objects, over and over (~1.6 ms of `kjob get jobs`'s ~31 ms). A
    # command that waits on the worker turns it back on (worker.Watcher), as it may run for hours.
    gc.disable()
    _start_worker_early(sys.argv[1:] if argv is None else argv)
    from kjob.cli.base import main as cli_main

    cli_main(argv, prog_name)


def run(argv: list[str] | None = None, prog_name: str = "kjob", stdin: IO[str] | None = None) -> int:
    from kjob.cli.base import run as cli_run

    return cli_run(argv, prog_name, stdin)


def __getattr__(name: str) -> Any:
    if name == "cli":
        from kjob.cli.base import cli

        return cli
    raise AttributeError(name)


def _start_worker_early(args: list[str]) -> None:
    """Start the worker of a command that will write work for it before the command loads its own
    code: Click and the command's modules take ~25 ms to import, which the worker's start-up (an
    interpreter, its imports, its launchers) now overlaps too. The command itself then counts on this
    worker (see worker.start_early). Only where the verb is plain to see: the first word, unless it
    is a dry run or a call for help; anything else starts its worker later, as before."""
    verb = next((a for a in args if not a.startswith("-")), None)
    if verb not in _WRITING or any(a.startswith("--dry-run") or a in ("-h", "--help") for a in args):
        return
    from kjob import worker
    from kjob.store import Store

    worker.start_early(Store())
