"""kjob wait."""

from __future__ import annotations

import sys

import click

from kjob import waiting
from kjob.cli.base import CONTEXT, Failed, bool_flag, help_option, namespace_option, open_store, out
from kjob.cli.delete import parse_timeout, print_errors, select_targets, selection_options
from kjob.errors import KjobError, PlainError
from kjob.objects import Obj

# kubectl's printer flags for wait, in the order its error message lists them.
KUBECTL_FORMATS = (
    "go-template",
    "go-template-file",
    "json",
    "jsonpath",
    "jsonpath-as-json",
    "jsonpath-file",
    "name",
    "template",
    "templatefile",
    "yaml",
)


def output_printer(output: str, operation: str) -> tuple[str, str]:
    """Check -o as kubectl's PrintFlags do; returns (format, jsonpath template)."""
    fmt, _, arg = output.partition("=")
    if fmt in ("", "name", "json", "yaml"):
        return fmt, ""
    if fmt == "jsonpath" and arg:
        from kjob import jsonpath

        jsonpath.parse(arg)
        return fmt, arg
    if fmt in KUBECTL_FORMATS:
        raise PlainError(f"kjob {operation} does not support --output={fmt}")
    raise PlainError(
        f'unable to match a printer suitable for the output format "{output}", allowed formats are: '
        + ",".join(KUBECTL_FORMATS)
    )


def render(obj: Obj, line: str, fmt: str, template: str) -> str:
    """An object as kubectl's printer for `-o` prints it: `line` is the default (name + operation)."""
    from kjob import printers

    if fmt == "name":
        return printers.name_line(obj) + "\n"
    if fmt == "json":
        return printers.to_json(obj)
    if fmt == "yaml":
        return printers.to_yaml(obj)
    if fmt == "jsonpath":
        from kjob import jsonpath

        return jsonpath.parse(template).execute(obj)
    return line + "\n"


@click.command(context_settings=CONTEXT, add_help_option=False)
@click.argument("args", nargs=-1)
@selection_options
@bool_flag("--all", False, "Select all resources in the namespace of the specified resource types", "all_")
@click.option(
    "--for",
    "for_",
    default="",
    help="The condition to wait on: [create|delete|condition=condition-name[=condition-value]|"
    "jsonpath='{JSONPath expression}'=[JSONPath value]]. The default condition-value is true. Condition "
    "values are compared after Unicode simple case folding, which is a more general form of "
    "case-insensitivity.",
)
@click.option(
    "--timeout",
    default="30s",
    help="The length of time to wait before giving up. Zero means check once and don't wait, negative means "
    "wait for a week.",
)
@click.option("-o", "--output", default="", help="Output format: name, json, yaml or jsonpath=TEMPLATE.")
@namespace_option
@help_option
def wait_command(
    args: tuple[str, ...],
    filename: tuple[str, ...],
    selector: str,
    field_selector: str,
    all_namespaces: bool,
    all_: bool,
    for_: str,
    timeout: str,
    output: str,
    namespace: str | None,
) -> None:
    """Wait for a specific condition on one or many jobs or pods.

    The command takes several objects and waits until the condition is seen in the Status field of every
    one of them, or until they are created or deleted (--for=create, --for=delete). A line for each
    object is printed when its condition is met.

    \b
    Examples:
      # Wait for a job to complete, at most a minute
      kjob wait --for=condition=complete job/job-count --timeout=60s

    \b
      # Wait for a job to fail (a failed job never meets condition=complete)
      kjob wait --for=condition=failed job/job-count

    \b
      # Wait for three pods of a job to have succeeded
      kjob wait --for=jsonpath='{.status.succeeded}'=3 job/job-par

    \b
      # Wait for every job labelled app=batch to complete
      kjob wait --for=condition=complete jobs -l app=batch

    \b
      # Wait for a job to be gone after deleting it
      kjob delete job/job-count --wait=false
      kjob wait --for=delete job/job-count --timeout=60s
    """
    seconds = parse_timeout(timeout, "wait")
    fmt, template = output_printer(output, "wait")
    spec = waiting.parse_wait_for(for_)
    store = open_store()
    selection = select_targets(
        store, list(args), namespace, filename, selector, field_selector, all_, all_namespaces
    )
    errors: list[KjobError] = []
    met = 0
    for outcome in waiting.wait_for(store, selection.targets, spec, seconds):
        if outcome.error is not None:
            errors.append(outcome.error)
        elif outcome.obj is not None:
            met += 1
            out(render(outcome.obj, outcome.line, fmt, template))
            sys.stdout.flush()
    if not errors and not met and not selection.targets and spec.mode != "delete":
        errors.append(PlainError("no matching resources found"))
    if errors:
        print_errors(errors)
        raise Failed
