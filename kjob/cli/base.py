"""The CLI's shared plumbing: the lazy command group, kubectl-style options, output, and the one error
funnel. kjob.cli is the only package that imports click."""

from __future__ import annotations

import contextlib
import errno
import importlib
import io
import os
import sys
from collections.abc import Callable, Iterable
from typing import IO, TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from kjob.errors import KjobError, PlainError
from kjob.objects import Obj, needs_worker, resolve_resource
from kjob.store import WORKER_LOCK, Store

if TYPE_CHECKING:
    # Not imported at run time: kjob.commands (and with it dataclasses and the worker)
    # would cost every command several ms of start-up, and the reading ones never need it.
    from kjob import commands

F = TypeVar("F", bound=Callable[..., Any])
CONTEXT = {"help_option_names": ["-h", "--help"]}

# Each verb lives in its own module, imported only when that verb runs: start-up stays small.
COMMANDS = {
    "annotate": "kjob.cli.label",
    "api-resources": "kjob.cli.misc",
    "apply": "kjob.cli.create",
    "completion": "kjob.cli.misc",
    "create": "kjob.cli.create",
    "delete": "kjob.cli.delete",
    "describe": "kjob.cli.describe",
    "explain": "kjob.cli.misc",
    "get": "kjob.cli.get",
    "help": "kjob.cli.misc",
    "label": "kjob.cli.label",
    "logs": "kjob.cli.logs",
    "patch": "kjob.cli.create",
    "run": "kjob.cli.runner",
    "version": "kjob.cli.misc",
    "wait": "kjob.cli.wait",
}


# Flags every command takes that kubectl users put before the command's name (`kjob -n dev get pods`).
GLOBAL_VALUE_FLAGS = frozenset({"-n", "--namespace"})


def flags_after_subcommand(
    group: click.Group, ctx: click.Context, args: list[str], takes_value: Iterable[str]
) -> list[str]:
    """Cobra reads every flag a command is given, before its name or after it: `kjob -n dev get pods`
    is `kjob get -n dev pods`, and `kjob create --dry-run=client job NAME` is `kjob create job
    --dry-run=client NAME`. The flags before the subcommand's name go right after it; `takes_value`
    names those whose value is the next word (a value that happens to be a command's name stays a
    value)."""
    valued = frozenset(takes_value)
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg.startswith("-") or (i and args[i - 1] in valued):
            continue  # a flag, or the value of the one before
        if not i or group.get_command(ctx, arg) is None:
            break  # nothing before it to move; or a word that is no command, left for Click to refuse
        # Right after the name: ahead of the command's own words, so none of them takes one of these
        # as its value (`kjob -n dev get pods -l` must still say -l has no value).
        return [arg, *args[:i], *args[i + 1 :]]
    return args


# kubectl's commands in the order it lists them (and suggests them for a typo), as far as kjob has them.
KUBECTL_ORDER = (
    "create",
    "run",
    "explain",
    "get",
    "delete",
    "describe",
    "logs",
    "apply",
    "patch",
    "wait",
    "label",
    "annotate",
    "completion",
    "version",
    "api-resources",
)


def _distance(a: str, b: str) -> int:
    """Levenshtein distance, as cobra measures a typo against each command's name."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def unknown_command(name: str) -> str:
    """Cobra's error for a command it does not have, with its suggestions: a name within two edits,
    or one that starts with what was typed."""
    typed = name.lower()
    near = [c for c in KUBECTL_ORDER if _distance(typed, c) <= 2 or c.startswith(typed)]
    text = f'Error: unknown command "{name}" for "kjob"'
    if near:
        text += "\n\nDid you mean this?\n" + "".join(f"\t{c}\n" for c in near)
    return text + "\n"


class LazyGroup(click.Group):
    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, flags_after_subcommand(self, ctx, args, GLOBAL_VALUE_FLAGS))

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        module = COMMANDS.get(name)
        if module is None:
            return None
        command = getattr(importlib.import_module(module), name.replace("-", "_") + "_command", None)
        return command if isinstance(command, click.Command) else None

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0][:1] != "-" and self.get_command(ctx, args[0]) is None:
            raise KjobError(unknown_command(args[0]))
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None:
            rest = long_spellings(command, _rewrite_bools(command, rest, name or ""))
        return name, command, rest


def _show_help(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(ctx.get_help(), color=ctx.color)
        ctx.exit()


def help_option(f: F) -> F:
    """-h/--help as Click's own, with its text spelled out: Click's looks the text up in gettext's
    catalogues on every run, which imports locale (~1 ms of a read command's start-up). Goes with
    `add_help_option=False`, below every other option so that it is listed last, as Click's is."""
    return click.option(
        "-h",
        "--help",
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=_show_help,
        help="Show this message and exit.",
    )(f)


@click.group(cls=LazyGroup, context_settings=CONTEXT, add_help_option=False)
@help_option
def cli() -> None:
    """kjob runs Kubernetes Jobs on this machine, with kubectl's commands and output.

    Find more information in kjob's README.
    """


def namespace_option(f: F) -> F:
    return click.option(
        "-n", "--namespace", default=None, help="If present, the namespace scope for this CLI request."
    )(f)


def chunk_size_option(f: F) -> F:
    """kubectl's paging of long lists: taken, and nothing to do, as kjob reads its store at once."""
    return click.option(
        "--chunk-size",
        type=int,
        default=500,
        help="Return large lists in chunks rather than all at once (kjob reads its store at once).",
    )(f)


GO_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
GO_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})


def go_bool(text: str) -> bool | None:
    """strconv.ParseBool, or None for anything else."""
    return True if text in GO_TRUE else False if text in GO_FALSE else None


def bool_flag(
    name: str, default: bool | None, help: str, dest: str | None = None, short: str | None = None
) -> Callable[[F], F]:
    """A kubectl boolean flag: `--name`, `--name=true` or `--name=false` (and never the next word).

    Click's flags take no value, so the flag gets a hidden `--no-NAME` twin and the group rewrites
    `--name=VALUE` into one of the two before the command parses its arguments. A default of None
    lets a command tell "not given" from false.
    """
    param = dest or name.lstrip("-").replace("-", "_")
    decls = [short, name] if short else [name]

    def decorate(f: F) -> F:
        f = click.option(f"--no-{name.lstrip('-')}", param, flag_value=False, hidden=True)(f)
        f = click.option(*decls, param, flag_value=True, default=default, help=help)(f)
        f.__click_params__[-1].kubectl_bool = True  # type: ignore[attr-defined]
        return f

    return decorate


def flag_error(value: str, flag: str, reason: str, command: str) -> KjobError:
    """pflag's message for a flag value it cannot parse."""
    return KjobError(
        f'Error: invalid argument "{value}" for "{flag}" flag: {reason}\n'
        f"See 'kjob {command} --help' for usage."
    )


def _rewrite_bools(command: click.Command, args: list[str], verb: str) -> list[str]:
    flags: dict[str, tuple[str, str]] = {}  # spelling -> (long option, pflag's name for it)
    for p in command.params:
        if getattr(p, "kubectl_bool", False):
            long = next(o for o in p.opts if o.startswith("--"))
            shown = ", ".join(sorted(p.opts, key=len))
            flags.update({opt: (long, shown) for opt in p.opts})
    if not flags:
        return args
    out: list[str] = []
    for i, arg in enumerate(args):
        if arg == "--":
            return [*out, *args[i:]]
        flag, eq, value = arg.partition("=")
        if eq and flag in flags:
            long, shown = flags[flag]
            if value in GO_TRUE:
                out.append(long)
            elif value in GO_FALSE:
                out.append(f"--no-{long[2:]}")
            else:
                raise flag_error(value, shown, f'strconv.ParseBool: parsing "{value}": invalid syntax', verb)
            continue
        out.append(arg)
    return out


def long_spellings(command: click.Command, args: list[str]) -> list[str]:
    """Short options spelled long (`-o json` -> `--output json`, and pflag's `-o=json` too), which
    Click reads the same way.

    Click first tries every short option as a long one, and the NoSuchOption it raises and
    catches looks its message up in gettext, which imports locale: ~1.7 ms of `get pods -o json`.
    Only a plain command's own options standing alone are rewritten, and only as far as Click's
    reading is certain: up to `--`, an option whose value is optional or several words, or (when
    options must come first) the first positional argument; a value left out stays as typed,
    so that Click's error names it as the user did."""
    # A plain command, a group (whose own options come before its subcommand's name: the walk
    # below stops at the first word that is not an option), or a command that reads its arguments
    # as Click does up to `--` (see `create job`).
    plain = type(command) is click.Command or getattr(type(command), "reads_as_click", False)
    if not plain and not isinstance(command, click.Group):
        return args
    if isinstance(command, click.Group) and getattr(type(command), "moves_flags", False):
        valued = {
            n
            for p in command.params
            if isinstance(p, click.Option) and not p.is_flag and not p._flag_needs_value
            for n in p.opts
        }
        if flags_after_subcommand(command, click.Context(command), args, valued) is not args:
            # Flags before a subcommand's name are the subcommand's (`create -f x job j`): as typed, so
            # that one it does not have is refused in the user's words (`'f' in -f`), as pflag does.
            return args
    options: dict[str, tuple[click.Option, str | None]] = {}
    for p in command.params:
        if isinstance(p, click.Option):
            for names in (p.opts, p.secondary_opts):
                long = next((n for n in names if n.startswith("--")), None)
                options.update({n: (p, long) for n in names})
    interspersed = command.context_settings.get("allow_interspersed_args", command.allow_interspersed_args)
    out: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        known = options.get(arg)
        if known is None and arg[2:3] == "=" and arg[:2] in options:
            # pflag's `-n=NAME` (the value after `=`), which Click reads as the value `=NAME`.
            option, long = options[arg[:2]]
            if not option.is_flag and not option.count and not option._flag_needs_value and option.nargs == 1:
                out += [long or arg[:2], arg[3:]]
                i += 1
                continue
        if known is None:
            positional = arg[:1] != "-" or arg == "-"
            if arg == "--" or (positional and not interspersed):
                return [*out, *args[i:]]
            out.append(arg)
            i += 1
            continue
        option, long = known
        takes_value = not option.is_flag and not option.count
        if option._flag_needs_value or (takes_value and option.nargs != 1):
            return [*out, *args[i:]]
        if takes_value and i + 1 == len(args):
            return [*out, arg]
        out.append(long or arg)
        if takes_value:
            out.append(args[i + 1])
            i += 1
        i += 1
    return out


def open_store() -> Store:
    return Store()


def ensure_worker(store: Store, objects: Iterable[Obj]) -> None:
    """Start or nudge the worker when what a read command found leaves it work. Most reads find
    none, so they never import the worker's module."""
    busy = [o for o in objects if needs_worker(o)]
    if busy or _lock_names_a_worker(store):
        from kjob import worker

        # With nothing busy, a worker is started only if the last one died with work left: any
        # command picks up after a killed worker (see worker.died_at_work()).
        worker.ensure_running(store, busy)


def _lock_names_a_worker(store: Store) -> bool:
    """Whether the worker's lock holds a pid (one stat): a worker lives, or one died at work. Most
    reads find a worker that left cleanly, an empty lock, and never import the worker's module."""
    try:
        return os.stat(os.path.join(store.root, WORKER_LOCK)).st_size > 0
    except OSError:
        return False


def out(text: str) -> None:
    if text:
        sys.stdout.write(text)


def err(text: str) -> None:
    sys.stderr.write(text if text.endswith("\n") else text + "\n")


class Failed(Exception):
    """Errors were already printed; exit 1."""


def report(outcomes: list[commands.Outcome]) -> bool:
    failed = False
    for o in outcomes:
        if o.error is not None:
            err(o.error.message)
            failed = True
        else:
            out(o.line + "\n")
            sys.stdout.flush()
    return failed


def type_and_names(args: tuple[str, ...]) -> tuple[str, list[str]]:
    if "/" in args[0]:
        kinds = set()
        names = []
        for arg in args:
            t, _, n = arg.partition("/")
            kinds.add(resolve_resource(t))
            names.append(n)
        if len(kinds) > 1:
            raise PlainError("kjob waits on one type at a time")
        return kinds.pop(), names
    kind = resolve_resource(args[0])
    if len(args) < 2:
        raise PlainError("resource(s) were provided, but no name was specified")
    return kind, list(args[1:])


# ---------------------------------------------------------------- the funnel


def main(argv: list[str] | None = None, prog_name: str = "kjob") -> NoReturn:
    """Run the CLI; every error leaves through here as one kubectl-style message and exit code."""
    code = run(argv, prog_name)
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        pass  # a reader that went away (`| head`) had all it wanted
    except OSError as e:
        # What was left in the buffer did not go (`> /dev/full`): said, as kubectl's write error is.
        err(_stdout_error(e))
        code = code or 1
    with contextlib.suppress(OSError):
        sys.stderr.flush()
    # Out without the interpreter's teardown, which frees every module and object one by one: 6-9 ms
    # of a command that has printed all it will. kjob leaves nothing for atexit to do.
    os._exit(code)


def run(argv: list[str] | None = None, prog_name: str = "kjob", stdin: IO[str] | None = None) -> int:
    # Everything kjob writes (state, logs, sockets) is the user's alone; containers get 022 back.
    os.umask(0o077)
    if sys.stdout is None:
        sys.stdout = _ClosedStdout()  # started with its stdout closed (`>&-`)
    try:
        cli.main(args=argv, prog_name=prog_name, standalone_mode=False)
        return 0
    except Failed:
        return 1
    except KjobError as e:
        err(e.message)
        return e.exit_code
    except click.exceptions.NoSuchOption as e:
        # Cobra's words, not kubectl's usage errors': `Error: ...`, and a pointer to --help.
        err(f"Error: {_unknown_flag(e.option_name)}")
        err(f"See '{prog_name} {_subcommand(e)} --help' for usage.".replace("  ", " "))
        return 1
    except click.exceptions.BadOptionUsage as e:
        if not e.message.endswith("requires an argument."):
            err(f"error: {e.format_message()}")
            return 1
        err(f"Error: flag needs an argument: {_flag_words(e.option_name)}")
        # Click's parser raises this one without its context: the command is found from the words.
        words = sys.argv[1:] if argv is None else argv
        typed = _subcommand(e) if e.ctx is not None else _typed_command(words)
        err(f"See '{prog_name} {typed} --help' for usage.".replace("  ", " "))
        return 1
    except click.UsageError as e:
        if type(e).__name__ == "NoArgsIsHelpError" and e.ctx is not None:
            # `kjob` alone prints its help and succeeds, as kubectl does (Click >= 8.2 raises this).
            out(e.ctx.get_help() + "\n")
            return 0
        err(f"error: {e.format_message()}")
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
    except OSError as e:
        if e.errno not in _STDOUT_ERRNOS:
            return _internal_error(e)
        err(_stdout_error(e))
        return 1
    except Exception as e:
        return _internal_error(e)


# How a write to stdout fails (a full disk, a closed descriptor, a device gone); others are kjob's.
_STDOUT_ERRNOS = frozenset({errno.ENOSPC, errno.EBADF, errno.EIO, errno.EDQUOT, errno.EFBIG})


def _stdout_error(e: OSError) -> str:
    """Go's words for a failed write to stdout: `error: write /dev/stdout: no space left on device`."""
    detail = e.strerror or str(e)
    return f"error: write /dev/stdout: {detail[:1].lower()}{detail[1:]}"


class _ClosedStdout(io.StringIO):
    """stdout for a command started without one: each write fails as a write to a closed descriptor."""

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, os.strerror(errno.EBADF))

    @property
    def buffer(self) -> Any:
        return self


def _internal_error(e: Exception) -> int:
    if os.environ.get("KJOB_DEBUG") == "1":
        raise e
    err(f"error: internal error: {type(e).__name__}: {e} (set KJOB_DEBUG=1 for a traceback)")
    return 1


def _subcommand(e: click.UsageError) -> str:
    """The command as typed after `kjob` (`create job`), for kubectl's pointer to its help."""
    ctx = e.ctx
    return ctx.command_path.partition(" ")[2] if ctx is not None and ctx.parent is not None else ""


def _typed_command(args: list[str]) -> str:
    """The command among the words typed (`create job`): those that name a command, then a
    subcommand of it, flags and their values aside."""
    path: list[str] = []
    command: click.Command = cli
    ctx = click.Context(cli)
    for arg in args:
        if arg == "--" or not isinstance(command, click.Group):
            break
        found = None if arg.startswith("-") else command.get_command(ctx, arg)
        if found is not None:
            path.append(arg)
            command = found
        elif path and not arg.startswith("-"):
            break  # the command's own arguments begin
    return " ".join(path)


def _unknown_flag(name: str) -> str:
    """pflag's message for a flag the command does not have."""
    if name.startswith("--"):
        return f"unknown flag: {name}"
    return f"unknown shorthand flag: {_flag_words(name)}"


def _flag_words(name: str) -> str:
    """A flag as pflag names it in an error: `--output` as it is, a shorthand as `'o' in -o`."""
    return name if name.startswith("--") else f"{name[1:2]!r} in {name}"
