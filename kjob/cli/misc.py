"""kjob version, api-resources, explain and completion: the rest of a kubectl user's habits."""

from __future__ import annotations

import json
import os
import platform
import sys
from typing import Any

import click

from kjob import __version__, objects
from kjob.cli.base import CONTEXT, bool_flag, cli, help_option, out
from kjob.errors import PlainError, UsageError

# The kubectl release whose behaviour and output kjob reproduces.
KUBECTL_MAJOR, KUBECTL_MINOR = "1", "32"
LOCAL_LINE = "Server: none (kjob runs jobs as local processes on this machine)"

# ---------------------------------------------------------------- version


def client_version() -> dict[str, str]:
    """kubectl's version.Info shape, describing kjob."""
    machine = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine().lower())
    return {
        "major": KUBECTL_MAJOR,
        "minor": KUBECTL_MINOR,
        "gitVersion": f"v{KUBECTL_MAJOR}.{KUBECTL_MINOR}.0-kjob.{__version__}",
        "gitCommit": "",
        "gitTreeState": "",
        "buildDate": "",
        "goVersion": f"python{platform.python_version()}",
        "compiler": platform.python_implementation().lower(),
        "platform": f"{sys.platform}/{machine or platform.machine().lower()}",
    }


@click.command(context_settings=CONTEXT)
@bool_flag("--client", False, "If true, shows client version only (no server required).")
@click.option("-o", "--output", default="", help="One of 'yaml' or 'json'.")
def version_command(client: bool, output: str) -> None:
    """Print the client version information.

    kjob has no server: its jobs run as processes on this machine, and the version line says so.

    \b
    Examples:
      # Print the client version
      kjob version

    \b
      # The version as JSON, as kubectl version --client -o json prints it
      kjob version --client -o json
    """
    if output not in ("", "yaml", "json"):
        raise PlainError("--output must be 'yaml' or 'json'")
    info = {"clientVersion": client_version()}
    if output == "json":
        from kjob.apply import go_json

        out(go_json(info, indent=2, sort_keys=False) + "\n")
    elif output == "yaml":
        from kjob import printers

        out(printers.to_yaml(info))
    else:
        out(f"Client Version: {info['clientVersion']['gitVersion']}\n{LOCAL_LINE}\n")


# ---------------------------------------------------------------- api-resources

ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
# As the API server's discovery lists them: the core group first, each group in its own order.
API_RESOURCES: list[dict[str, Any]] = [
    {"name": "events", "short": ["ev"], "group": "", "version": "v1", "kind": "Event", "categories": []},
    {"name": "pods", "short": ["po"], "group": "", "version": "v1", "kind": "Pod", "categories": ["all"]},
    {"name": "jobs", "short": [], "group": "batch", "version": "v1", "kind": "Job", "categories": ["all"]},
]


@click.command(context_settings=CONTEXT)
@click.argument("args", nargs=-1)
@bool_flag(
    "--no-headers",
    False,
    "When using the default or custom-column output format, don't print headers (default print headers).",
    dest="no_headers",
)
@click.option("-o", "--output", default="", help="Output format. One of: (wide, name).")
@click.option("--api-group", default=None, help="Limit to resources in the specified API group.")
@bool_flag(
    "--namespaced",
    True,
    "If false, non-namespaced resources will be returned, otherwise returning namespaced resources by "
    "default.",
)
@click.option("--verbs", multiple=True, help="Limit to resources that support the specified verbs.")
@click.option(
    "--sort-by",
    default="",
    help="If non-empty, sort list of resources using specified field. The field can be either 'name' or "
    "'kind'.",
)
@bool_flag("--cached", False, "Use the cached list of resources if available.")
@click.pass_context
def api_resources_command(
    ctx: click.Context,
    args: tuple[str, ...],
    no_headers: bool,
    output: str,
    api_group: str | None,
    namespaced: bool,
    verbs: tuple[str, ...],
    sort_by: str,
    cached: bool,
) -> None:
    """Print the supported API resources.

    kjob serves jobs, the pods that run them, and their events.

    \b
    Examples:
      # Print the supported API resources
      kjob api-resources

    \b
      # Print the supported API resources with more information
      kjob api-resources -o wide

    \b
      # Print the supported API resources sorted by a column
      kjob api-resources --sort-by=name

    \b
      # Print the supported namespaced resources
      kjob api-resources --namespaced=true

    \b
      # Print the supported API resources with a specific APIGroup
      kjob api-resources --api-group=batch
    """
    if args:
        raise UsageError(f"unexpected arguments: [{' '.join(args)}]", "api-resources")
    if output not in ("", "wide", "name"):
        raise PlainError(f"--output {output} is not available")
    if sort_by and sort_by not in ("name", "kind"):
        raise PlainError("--sort-by accepts only name or kind")
    wanted = {v for spec in verbs for v in spec.split(",") if v}
    namespaced_set = ctx.get_parameter_source("namespaced") is not click.core.ParameterSource.DEFAULT
    rows = [
        r
        for r in API_RESOURCES
        if (api_group is None or r["group"] == api_group)
        and (not namespaced_set or namespaced)
        and wanted <= set(ALL_VERBS)
    ]
    # sort.Stable by the group (or the chosen field), then by name.
    rows.sort(
        key=lambda r: (r["kind"] if sort_by == "kind" else r["name"] if sort_by else r["group"], r["name"])
    )
    if output == "name":
        out("".join(r["name"] + (f".{r['group']}" if r["group"] else "") + "\n" for r in rows))
        return
    from kjob import printers

    headers = ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
    if output == "wide":
        headers += ["VERBS", "CATEGORIES"]
    table = []
    for r in rows:
        api_version = f"{r['group']}/{r['version']}" if r["group"] else r["version"]
        row = [r["name"], ",".join(r["short"]), api_version, "true", r["kind"]]
        if output == "wide":
            row += [",".join(ALL_VERBS), ",".join(r["categories"])]
        table.append(row)
    if not table:
        # The header is written before any row, so it stands alone when nothing matches.
        out("" if no_headers else printers.format_table(None, [headers]))
        return
    out(printers.format_table(None if no_headers else headers, table))


# ---------------------------------------------------------------- explain

SCHEMA_DIR = "v1.32.0-local"
# resource -> (group, version, kind, definition)
EXPLAINED = {
    "jobs": ("batch", "v1", "Job", "io.k8s.api.batch.v1.Job"),
    "pods": ("", "v1", "Pod", "io.k8s.api.core.v1.Pod"),
    "events": ("", "v1", "Event", "io.k8s.api.core.v1.Event"),
}


def _definitions() -> dict[str, Any]:
    """The upstream OpenAPI definitions shipped with kubernetes-validate (data files only)."""
    import importlib.util

    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        raise PlainError("the kubernetes-validate package (schema data) is not installed")
    base = next(iter(spec.submodule_search_locations))
    path = os.path.join(base, "kubernetes-json-schema", SCHEMA_DIR, "_definitions.json")
    try:
        with open(path, encoding="utf-8") as fh:
            defs: dict[str, Any] = json.load(fh)["$defs"]
    except (OSError, ValueError, KeyError) as e:
        raise PlainError(f"cannot read the OpenAPI schema: {e}") from None
    return defs


def _v3(node: Any, field: str = "") -> Any:
    """A JSON-schema node in the shape the API server's OpenAPI v3 document gives it: a described
    reference becomes allOf [ref], types lose their `null`, apiVersion/kind lose the added enum."""
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "type" and isinstance(value, list):
            out[key] = next((t for t in value if t != "null"), "object")
        elif key == "properties":
            out[key] = {k: _v3(v, k) for k, v in value.items()}
        elif key in ("items", "additionalProperties"):
            out[key] = _v3(value)
        elif key == "enum" and field in ("apiVersion", "kind"):
            continue
        elif key != "$ref":
            out[key] = value
    if "$ref" in node:
        out["allOf"] = [{"$ref": node["$ref"]}]
    return out


class Explainer:
    """kubectl explain's plaintext template (explain/v2/templates/plaintext.tmpl) over the definitions."""

    def __init__(self, defs: dict[str, Any]) -> None:
        self.defs = defs

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        ref = schema.get("$ref")
        if isinstance(ref, str):
            name = ref.rsplit("/", 1)[-1]
            if name in self.defs:
                return _v3(self.defs[name])  # type: ignore[no-any-return]
        return schema

    def type_guess(self, schema: dict[str, Any]) -> str:
        if "items" in schema:
            return "[]" + self.type_guess(schema["items"])
        ap = schema.get("additionalProperties")
        if isinstance(ap, dict) and ap:
            return "map[string]" + self.type_guess(ap)
        all_of = schema.get("allOf")
        if all_of and "properties" not in schema and len(all_of) == 1:
            return self.type_guess(all_of[0])
        ref = schema.get("$ref")
        if isinstance(ref, str):
            target = self.resolve(schema)
            target_type = target.get("type") if target is not schema else None
            if not target_type or target_type == "object":
                return ref.rsplit("/", 1)[-1].rsplit(".", 1)[-1] or "Object"
            return str(target_type)
        kind = schema.get("type")
        return "Object" if kind == "object" or not kind else str(kind)

    def description(self, schema: dict[str, Any]) -> str:
        node = self.resolve(schema)
        text = str(node["description"]) + "\n" if node.get("description") else ""
        for sub in node.get("allOf") or []:
            text += self.description(sub)
        if "items" in node:
            text += self.description(node["items"])
        ap = node.get("additionalProperties")
        if isinstance(ap, dict) and ap:
            text += self.description(ap)
        return text

    def field_list(self, schema: dict[str, Any], level: int, recursive: bool, history: frozenset[str]) -> str:
        ref = schema.get("$ref") or ""
        if ref and ref in history:
            return ""
        history = history | {ref}
        node = self.resolve(schema)
        text = ""
        for name in sorted(node.get("properties") or {}):
            sub = node["properties"][name]
            text += self.field_detail(node, name, level, recursive)
            if recursive:
                text += self.field_list(sub, level + 1, recursive, history)
        for sub in node.get("allOf") or []:
            text += self.field_list(sub, level, recursive, history)
        if "items" in node:
            text += self.field_list(node["items"], level, recursive, history)
        ap = node.get("additionalProperties")
        if isinstance(ap, dict) and ap:
            text += self.field_list(ap, level, recursive, history)
        return text

    def field_detail(self, parent: dict[str, Any], name: str, level: int, short: bool) -> str:
        indent = level * 2
        field = parent["properties"][name]
        text = " " * indent + name + "\t<" + self.type_guess(field) + ">"
        if name in (parent.get("required") or []):
            text += " -required-"
        text += _enum(field, long_view=False, limit=4, indent=indent) + "\n"
        if not short:
            text += _indent(
                _wrap(str(field.get("description") or "<no description>"), 78 - indent), indent + 2
            )
            text += "\n\n"
        return text

    def output(
        self, schema: dict[str, Any], path: list[str], recursive: bool, history: frozenset[str]
    ) -> str:
        ref = schema.get("$ref") or ""
        resolved = self.resolve(schema)
        if not path:
            text = "DESCRIPTION:\n" + _indent(_wrap(self.description(resolved) or "<empty>", 76), 4) + "\n"
            fields = self.field_list(resolved, 1, recursive, frozenset())
            return text + ("FIELDS:\n" + fields if fields else "")
        if ref and ref in history:
            return ""
        history = history | {ref}
        props = resolved.get("properties") or {}
        if path[0] in props:
            sub = props[path[0]]
            text = ""
            if len(path) == 1:
                text = f"FIELD: {path[0]} <{self.type_guess(sub)}>\n"
                text += _enum(sub, long_view=True, limit=-1, indent=0) + "\n\n"
            return text + self.output(sub, path[1:], recursive, frozenset())
        if "items" in resolved:
            return self.output(resolved["items"], path, recursive, history)
        ap = resolved.get("additionalProperties")
        if isinstance(ap, dict) and ap:
            return self.output(ap, path, recursive, history)
        for sub in resolved.get("allOf") or []:
            found = self.output(sub, path, recursive, history)
            if found:
                return found
        return ""


def _enum(schema: dict[str, Any], long_view: bool, limit: int, indent: int) -> str:
    values = schema.get("enum")
    if not values:
        return ""
    text = "ENUM:" if long_view else "\n" + " " * indent + "enum: "
    for i, value in enumerate(values):
        if limit > -1 and i >= limit:
            text += ", ...."
            break
        if i > 0 and not long_view:
            text += ", "
        elif long_view:
            text += "\n    "
        text += '""' if value == "" else str(value)
    return text


def _indent(text: str, amount: int) -> str:
    pad = " " * amount
    return pad + text.replace("\n", "\n" + pad)


def _wrap(text: str, limit: int) -> str:
    """kubectl explain's wrap: newlines dropped, then go-wordwrap's WrapString."""
    text = text.replace("\n", "")
    out: list[str] = []
    current = 0
    word: list[str] = []
    space: list[str] = []
    for ch in text:
        if ch.isspace() and ch != "\u00a0":
            if not space or word:
                current += len(space) + len(word)
                out.extend(space)
                out.extend(word)
                space, word = [], []
            space.append(ch)
        else:
            word.append(ch)
            if current + len(space) + len(word) > limit and len(word) < limit:
                out.append("\n")
                current = 0
                space = []
    if not word:
        if current + len(space) <= limit:
            out.extend(space)
    else:
        out.extend(space)
        out.extend(word)
    return "".join(out)


def explain(path_text: str, recursive: bool) -> str:
    resource_text, *path = path_text.split(".")
    resource = objects.resolve_resource(resource_text)
    group, version, kind, definition = EXPLAINED[resource]
    defs = _definitions()
    explainer = Explainer(defs)
    body = explainer.output({"$ref": "#/$defs/" + definition}, [p for p in path if p], recursive, frozenset())
    if not body:
        raise PlainError(f'field "{path[-1]}" does not exist')
    head = (f"GROUP:      {group}\n" if group else "") + f"KIND:       {kind}\nVERSION:    {version}\n\n"
    return head + body + "\n"


@click.command(context_settings=CONTEXT)
@click.argument("args", nargs=-1)
@bool_flag("--recursive", False, "When true, print the name of all the fields recursively.")
@click.option("--api-version", default="", help="Use given api-version (group/version) of the resource.")
@click.option("--output", default="plaintext", help="Format in which to render the schema (plaintext).")
def explain_command(args: tuple[str, ...], recursive: bool, api_version: str, output: str) -> None:
    """Describe fields and structure of jobs, pods and events.

    This command describes the fields associated with each supported API resource. Fields are
    identified via a simple JSONPath identifier:

    \b
      <type>.<fieldName>[.<fieldName>]

    Information about each field is retrieved from the upstream Kubernetes API schema (v1.32).

    \b
    Examples:
      # Get the documentation of the resource and its fields
      kjob explain jobs

    \b
      # Get the documentation of a specific field of a resource
      kjob explain job.spec.completions

    \b
      # Get all the fields in the resource
      kjob explain pods --recursive
    """
    if not args:
        raise UsageError(
            'You must specify the type of resource to explain. Use "kjob api-resources" for a complete '
            "list of supported resources.",
            "explain",
        )
    if len(args) > 1:
        raise UsageError(
            f"We accept only this format: explain RESOURCE, received {' '.join(args)}", "explain"
        )
    if output != "plaintext":
        raise PlainError(f"unsupported output format: {output}")
    if api_version and api_version not in ("v1", "batch/v1"):
        raise PlainError(f'couldn\'t find resource for "{args[0]}" in api version "{api_version}"')
    out(explain(args[0], recursive))


# ---------------------------------------------------------------- completion

COMPLETE_VAR = "_KJOB_COMPLETE"


@click.command(context_settings=CONTEXT)
@click.argument("shell", required=False)
def completion_command(shell: str | None) -> None:
    """Output shell completion code for the specified shell (bash, zsh or fish).

    The shell code must be evaluated to provide interactive completion of kjob commands. This can
    be done by sourcing it from the .bash_profile.

    \b
    Examples:
      # Load the kjob completion code for bash into the current shell
      source <(kjob completion bash)

    \b
      # Write bash completion code to a file and source it from .bash_profile
      kjob completion bash > ~/.kube/kjob_completion.bash.inc
      printf "source '$HOME/.kube/kjob_completion.bash.inc'\\n" >> $HOME/.bash_profile

    \b
      # Load the kjob completion code for zsh into the current shell
      source <(kjob completion zsh)

    \b
      # Load the kjob completion code for fish into the current shell
      kjob completion fish | source
    """
    from click.shell_completion import get_completion_class

    if shell is None:
        raise UsageError("Shell not specified.", "completion")
    cls = get_completion_class(shell) if shell in ("bash", "zsh", "fish") else None
    if cls is None:
        raise UsageError(f'Unsupported shell type "{shell}".', "completion")
    out(cls(cli, {}, "kjob", COMPLETE_VAR).source())


def complete_names(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """Shell completion for `TYPE [NAME...]` arguments: resource types first, then names from the store.

    For commands to attach with `shell_complete=complete_names` on their nargs=-1 argument."""
    from kjob.cli.base import open_store

    args = list(ctx.params.get(param.name or "") or [])
    if not args:
        return [t for t in ("events", "jobs", "pods") if t.startswith(incomplete)]
    try:
        kind = objects.resolve_resource(args[0].partition("/")[0])
        ns, _ = objects.default_namespace(ctx.params.get("namespace"))
        names = [str((o.get("metadata") or {}).get("name", "")) for o in open_store().list(kind, ns)]
    except Exception:
        # Completion must never print a traceback into the user's prompt.
        return []
    return [n for n in names if n.startswith(incomplete) and n not in args[1:]]


# ---------------------------------------------------------------- help


@click.command(context_settings=CONTEXT, hidden=True, add_help_option=False)
@click.argument("topic", nargs=-1)
@help_option
@click.pass_context
def help_command(ctx: click.Context, topic: tuple[str, ...]) -> None:
    """Help about any command.

    Help provides help for any command in the application. Simply type kjob help [path to command]
    for full details.

    \b
    Examples:
      # The help of kjob get, as kjob get --help shows it
      kjob help get

    \b
      # The help of a subcommand
      kjob help create job
    """
    # Cobra's help command, hidden as kubectl's is: `kjob help get` is `kjob get --help`.
    command: click.Command = cli
    at = ctx.find_root()
    for word in topic:
        found = command.get_command(at, word) if isinstance(command, click.Group) else None
        if found is None and command is cli:
            # Cobra's `%#q` of the words, then the root's usage; and no failure.
            out("Unknown help topic [" + " ".join(f"`{w}`" for w in topic) + "]\n")
            out(at.get_help() + "\n")
            return
        if found is None:
            break  # the rest are the command's arguments (`kjob help get pods`): its help all the same
        command, at = found, click.Context(found, info_name=word, parent=at)
    out(at.get_help() + "\n")
