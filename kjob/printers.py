"""Owns kubectl's text output for Jobs, Pods and Events: get tables, -o name/json/yaml, and describe."""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping
from functools import cmp_to_key
from json.encoder import encode_basestring as _encode_json_string
from typing import TYPE_CHECKING, Any

from kjob.objects import has_condition, parse_time, selector_string

if TYPE_CHECKING:
    from fractions import Fraction

Obj = dict[str, Any]

# A 1.30+ API server adds a STATUS column to `get jobs`, but kjob's founding walkthrough shows the
# 1.12-1.29 columns. Flip this when kjob follows the newer server.
JOB_STATUS_COLUMN = False

# The walkthrough's `describe job` reads `Pods Statuses:  1 Running / 0 Succeeded / 0 Failed`
# (kubectl <= 1.22) rather than kubectl 1.32's `1 Active (1 Ready) / 0 Succeeded / 0 Failed`.
PODS_STATUSES_LEGACY = True

LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration"
MAX_ANNOTATION_LEN = 140

# Go's time.RFC1123Z spells days and months in English whatever the locale.
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# ---------------------------------------------------------------- durations and times


def human_duration(seconds: float) -> str:
    """apimachinery's duration.HumanDuration: mixed units that get coarser as time goes by."""
    s = int(seconds)  # Go truncates toward zero
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m" if s % 60 == 0 else f"{minutes}m{s % 60}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        return f"{hours}h" if minutes % 60 == 0 else f"{hours}h{minutes % 60}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 192:
        return f"{hours // 24}d" if hours % 24 == 0 else f"{hours // 24}d{hours % 24}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if days == 0 else f"{hours // 24 // 365}y{days}d"
    return f"{hours // 24 // 365}y"


def _since(stamp: str | None, now: float) -> str:
    """translateTimestampSince: a zero (absent) time stamp is `<unknown>`."""
    ts = parse_time(stamp)
    if ts is None:
        return "<unknown>"
    return human_duration(now - ts)


def _rfc1123z(stamp: str | None) -> str:
    """Go's time.RFC1123Z in the process's local zone; a null metav1.Time stays Go's zero time in UTC."""
    ts = parse_time(stamp)
    if ts is None:
        return "Mon, 01 Jan 0001 00:00:00 +0000"
    tm = time.localtime(ts)
    off = tm.tm_gmtoff or 0
    sign = "-" if off < 0 else "+"
    off = abs(off) // 60
    return (
        f"{_DAYS[tm.tm_wday]}, {tm.tm_mday:02d} {_MONTHS[tm.tm_mon - 1]} {tm.tm_year:04d} "
        f"{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d} {sign}{off // 60:02d}{off % 60:02d}"
    )


# ---------------------------------------------------------------- Go text/tabwriter


def _tabwrite(text: str, minwidth: int, padding: int) -> str:
    """Go's text/tabwriter (pad char space, no flags) over tab-separated, newline-terminated text."""
    out: list[str] = []
    # A form feed ends a line and flushes, so formatting restarts after it.
    sections = text.replace("\v", "\t").split("\f")
    for i, section in enumerate(sections):
        raw = (section + "\n" if i < len(sections) - 1 else section).split("\n")
        tail = raw.pop()
        _tabwrite_lines([line.split("\t") for line in raw], minwidth, padding, out)
        out.append(tail)
    return "".join(out)


def _tabwrite_lines(lines: list[list[str]], minwidth: int, padding: int, out: list[str]) -> None:
    """Go's Writer.format: a column block is a run of consecutive lines that all have a tab-terminated
    cell in that column; its width is the widest such cell plus padding. The last cell of a line
    belongs to no column, so it is never padded."""
    widths: list[int] = []

    def write_lines(line0: int, line1: int) -> None:
        for line in lines[line0:line1]:
            for j, cell in enumerate(line):
                out.append(cell)
                if j < len(widths):
                    out.append(" " * (widths[j] - len(cell)))
            out.append("\n")

    def fmt(line0: int, line1: int) -> None:
        column = len(widths)
        this = line0
        while this < line1:
            if column >= len(lines[this]) - 1:
                this += 1
                continue
            write_lines(line0, this)
            line0 = this
            width = minwidth
            while this < line1 and column < len(lines[this]) - 1:
                width = max(width, len(lines[this][column]) + padding)
                this += 1
            widths.append(width)
            fmt(line0, this)
            widths.pop()
            line0 = this
        write_lines(line0, line1)

    fmt(0, len(lines))


def _escape_terminal(text: str) -> str:
    """cli-runtime's WriteEscaped: neutralise terminal escape sequences and carriage returns."""
    return text.replace("\x1b", "^[").replace("\r", "\\r")


# ---------------------------------------------------------------- get tables


def _table_cell(value: str) -> str:
    cut = min((i for i in (value.find("\n"), value.find("\r"), value.find("\f")) if i >= 0), default=-1)
    if cut >= 0:
        return _escape_terminal(value[:cut]) + "..."
    return _escape_terminal(value)


def format_table(headers: list[str] | None, rows: list[list[str]], widths: list[int] | None = None) -> str:
    """kubectl's human-readable table: minwidth 6, padding 3, headers count toward widths.

    `widths` is a watch's RememberWidths state: its columns never shrink, and it is updated in place.
    """
    if not rows:
        return ""
    lines = ([headers] if headers is not None else []) + rows
    if widths is not None:
        return tabulate([[_table_cell(str(c)) for c in line] for line in lines], widths)
    fast = _plain_table(lines)
    if fast is not None:
        return fast
    text = "".join("\t".join(_table_cell(str(c)) for c in line) + "\n" for line in lines)
    return _tabwrite(text, 6, 3)


def _plain_table(lines: list[list[str]]) -> str | None:
    """format_table for the usual table, in one pass: every line has the same cells, all strings
    with no control character. Then each column is one tabwriter column block, and no cell needs
    escaping or cutting. None for any other table."""
    n = len(lines[0])
    if not n:
        return None
    try:
        text = "".join(["".join(line) for line in lines])
    except TypeError:
        return None
    if not text.isprintable() or any(len(line) != n for line in lines):
        return None
    widths = [max(6, max(len(line[j]) for line in lines) + 3) for j in range(n - 1)]
    template = "".join(f"{{:<{w}}}" for w in widths) + "{}\n"
    return "".join([template.format(*line) for line in lines])


def tabulate(lines: list[list[str]], widths: list[int] | None = None) -> str:
    """kubectl's tab writer over cells as they are (custom columns); `widths` as in format_table."""
    if widths is None:
        return _tabwrite("".join("\t".join(line) + "\n" for line in lines), 6, 3)
    # Every line of a kubectl table has the same columns, so column blocks are whole columns here.
    for line in lines:
        for j, cell in enumerate(line[:-1]):
            if j == len(widths):
                widths.append(6)
            widths[j] = max(widths[j], len(cell) + 3)
    return "".join(
        "".join(cell.ljust(widths[j]) for j, cell in enumerate(line[:-1])) + (line[-1] if line else "") + "\n"
        for line in lines
    )


def _spec(obj: Mapping[str, Any]) -> Obj:
    spec = obj.get("spec")
    return spec if isinstance(spec, dict) else {}


def _status(obj: Mapping[str, Any]) -> Obj:
    status = obj.get("status")
    return status if isinstance(status, dict) else {}


def _meta(obj: Mapping[str, Any]) -> Obj:
    m = obj.get("metadata")
    return m if isinstance(m, dict) else {}


def job_headers(wide: bool) -> list[str]:
    headers = ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"]
    if not JOB_STATUS_COLUMN:
        headers.remove("STATUS")
    if wide:
        headers += ["CONTAINERS", "IMAGES", "SELECTOR"]
    return headers


def job_status(job: Mapping[str, Any]) -> str:
    """The 1.30+ STATUS cell; conditions are looked up by their first entry, as the server does."""
    if has_condition(job, "Complete"):
        return "Complete"
    if has_condition(job, "Failed"):
        return "Failed"
    if _meta(job).get("deletionTimestamp"):
        return "Terminating"
    if has_condition(job, "Suspended"):
        return "Suspended"
    if has_condition(job, "FailureTarget"):
        return "FailureTarget"
    return "Running"


def job_row(job: dict, now: float, wide: bool) -> list[str]:
    spec, status = _spec(job), _status(job)
    succeeded = status.get("succeeded") or 0
    if spec.get("completions") is not None:
        completions = f"{succeeded}/{spec['completions']}"
    elif (spec.get("parallelism") or 0) > 1:
        completions = f"{succeeded}/1 of {spec['parallelism']}"
    else:
        completions = f"{succeeded}/1"
    start, end = parse_time(status.get("startTime")), parse_time(status.get("completionTime"))
    if start is None:
        duration = ""
    elif end is None:
        # Only success sets completionTime, so a failed job's duration keeps growing.
        duration = human_duration(now - start)
    else:
        duration = human_duration(end - start)
    row = [str(_meta(job).get("name", ""))]
    if JOB_STATUS_COLUMN:
        row.append(job_status(job))
    row += [completions, duration, _since(_meta(job).get("creationTimestamp"), now)]
    if wide:
        containers = (_spec(spec.get("template") or {})).get("containers") or []
        row.append(",".join(str(c.get("name", "")) for c in containers))
        row.append(",".join(str(c.get("image", "")) for c in containers))
        row.append(selector_string(spec.get("selector")) or "<none>")
    return row


def pod_headers(wide: bool) -> list[str]:
    headers = ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    if wide:
        headers += ["IP", "NODE", "NOMINATED NODE", "READINESS GATES"]
    return headers


def _is_sidecar(container: Mapping[str, Any] | None) -> bool:
    return bool(container) and container.get("restartPolicy") == "Always"  # type: ignore[union-attr]


def _condition_true(pod: Mapping[str, Any], ctype: str) -> bool:
    return any(
        c.get("type") == ctype and c.get("status") == "True" for c in _status(pod).get("conditions") or []
    )


def pod_row(pod: dict, now: float, wide: bool) -> list[str]:
    """The API server's printPod: READY, the STATUS reason and RESTARTS with the last restart's age."""
    spec, status, meta = _spec(pod), _status(pod), _meta(pod)
    init_specs = {c.get("name"): c for c in spec.get("initContainers") or []}
    total = len(spec.get("containers") or []) + sum(1 for c in init_specs.values() if _is_sidecar(c))
    ready = 0
    restarts = 0
    sidecar_restarts = 0
    last_restart: float | None = None
    last_sidecar_restart: float | None = None
    phase = status.get("phase") or ""
    reason = status.get("reason") or phase
    for cond in status.get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"

    def finished_at(cs: Mapping[str, Any]) -> float | None:
        term = (cs.get("lastState") or {}).get("terminated")
        return None if term is None else (parse_time(term.get("finishedAt")) or 0.0)

    def later(a: float | None, b: float | None) -> float | None:
        if b is None or (a is not None and a >= b):
            return a
        return b

    initializing = False
    init_statuses = status.get("initContainerStatuses") or []
    for i, cs in enumerate(init_statuses):
        restarts += cs.get("restartCount") or 0
        last_restart = later(last_restart, finished_at(cs))
        sidecar = _is_sidecar(init_specs.get(cs.get("name")))
        if sidecar:
            sidecar_restarts += cs.get("restartCount") or 0
            last_sidecar_restart = later(last_sidecar_restart, finished_at(cs))
        state = cs.get("state") or {}
        term, waiting = state.get("terminated"), state.get("waiting")
        if term is not None and (term.get("exitCode") or 0) == 0:
            continue
        if sidecar and cs.get("started"):
            if cs.get("ready"):
                ready += 1
            continue
        if term is not None:
            if term.get("reason"):
                reason = "Init:" + term["reason"]
            elif term.get("signal"):
                reason = f"Init:Signal:{term['signal']}"
            else:
                reason = f"Init:ExitCode:{term.get('exitCode') or 0}"
        elif waiting is not None and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{i}/{len(spec.get('initContainers') or [])}"
        initializing = True
        break

    if not initializing or _condition_true(pod, "Initialized"):
        restarts = sidecar_restarts
        last_restart = last_sidecar_restart
        has_running = False
        for cs in reversed(status.get("containerStatuses") or []):
            restarts += cs.get("restartCount") or 0
            last_restart = later(last_restart, finished_at(cs))
            state = cs.get("state") or {}
            term, waiting = state.get("terminated"), state.get("waiting")
            if waiting is not None and waiting.get("reason"):
                reason = waiting["reason"]
            elif term is not None and term.get("reason"):
                reason = term["reason"]
            elif term is not None:
                reason = (
                    f"Signal:{term['signal']}"
                    if term.get("signal")
                    else f"ExitCode:{term.get('exitCode') or 0}"
                )
            elif cs.get("ready") and state.get("running") is not None:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if _condition_true(pod, "Ready") else "NotReady"

    if meta.get("deletionTimestamp") and status.get("reason") == "NodeLost":
        reason = "Unknown"
    elif meta.get("deletionTimestamp") and phase not in ("Succeeded", "Failed"):
        reason = "Terminating"

    restarts_cell = str(restarts)
    if restarts != 0 and last_restart:
        restarts_cell = f"{restarts} ({human_duration(now - last_restart)} ago)"
    row = [
        str(meta.get("name", "")),
        f"{ready}/{total}",
        reason,
        restarts_cell,
        _since(meta.get("creationTimestamp"), now),
    ]
    if wide:
        ips = status.get("podIPs") or []
        gates = spec.get("readinessGates") or []
        gates_cell = "<none>"
        if gates:
            true_count = 0
            for gate in gates:
                for cond in status.get("conditions") or []:
                    if cond.get("type") == gate.get("conditionType"):
                        true_count += cond.get("status") == "True"
                        break
            gates_cell = f"{true_count}/{len(gates)}"
        row += [
            (ips[0].get("ip") if ips else "") or "<none>",
            spec.get("nodeName") or "<none>",
            status.get("nominatedNodeName") or "<none>",
            gates_cell,
        ]
    return row


# ---------------------------------------------------------------- -o name, json, yaml


def name_line(obj: Mapping[str, Any]) -> str:
    """`-o name`: lower-case kind, then `.group` unless the group is core."""
    api_version = str(obj.get("apiVersion") or "")
    group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
    kind = str(obj.get("kind") or "").lower()
    return f"{kind}.{group}/{_meta(obj).get('name', '')}" if group else f"{kind}/{_meta(obj).get('name', '')}"


def list_wrapper(items: list[dict]) -> dict:
    """What `get` prints for anything but one named object: a plain `List`, not `JobList`."""
    return {"apiVersion": "v1", "items": list(items), "kind": "List", "metadata": {"resourceVersion": ""}}


def _strip_managed_fields(obj: Any) -> Any:
    if not isinstance(obj, dict):
        return obj
    out = dict(obj)
    meta = out.get("metadata")
    if isinstance(meta, dict) and "managedFields" in meta:
        out["metadata"] = {k: v for k, v in meta.items() if k != "managedFields"}
    if isinstance(out.get("items"), list):
        out["items"] = [_strip_managed_fields(item) for item in out["items"]]
    return out


def _indented_json(value: Any, newline: str, out: list[str]) -> None:
    """json.dumps(indent=4, sort_keys=True, ensure_ascii=False), byte for byte, appended to `out`.
    The standard library indents in pure-Python generators, ~4x slower than this. TypeError for
    anything but JSON's own types, which json.dumps is left to handle."""
    kind = type(value)
    if kind is str:
        out.append(_encode_json_string(value))
    elif kind is dict:
        if not value:
            out.append("{}")
            return
        inner = newline + "    "
        sep = "{" + inner
        for key in sorted(value):
            out.append(sep + _encode_json_string(key) + ": ")
            _indented_json(value[key], inner, out)
            sep = "," + inner
        out.append(newline + "}")
    elif kind is list or kind is tuple:
        if not value:
            out.append("[]")
            return
        inner = newline + "    "
        sep = "[" + inner
        for item in value:
            out.append(sep)
            _indented_json(item, inner, out)
            sep = "," + inner
        out.append(newline + "]")
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif kind is int:
        out.append(int.__repr__(value))
    elif kind is float:
        if value != value:
            out.append("NaN")
        elif value in (math.inf, -math.inf):
            out.append("Infinity" if value > 0 else "-Infinity")
        else:
            out.append(float.__repr__(value))
    else:
        raise TypeError(f"not a JSON type: {kind.__name__}")


def to_json(obj: Mapping[str, Any]) -> str:
    """`-o json`: Go's MarshalIndent with four spaces, sorted keys and HTML-safe escapes."""
    doc = _strip_managed_fields(obj)
    out: list[str] = []
    try:
        _indented_json(doc, "\n", out)
        text = "".join(out)
    except TypeError:
        text = json.dumps(doc, indent=4, sort_keys=True, ensure_ascii=False)
    for ch, esc in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(ch, esc)
    return text + "\n"


# Patterns as text, compiled (and cached by `re`) on first use: only -o yaml needs them.
_YAML_INT = r"^[-+]?(0[xX][0-9a-fA-F]+|0[oO]?[0-7]+|0[bB][01]+|[0-9]+)$"
_YAML_FLOAT = r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$"
_YAML_BASE60 = r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$"
_YAML_TIMESTAMP = (
    r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
    r"(?:[Tt][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]+)?(?:Z|[-+][0-9]{2}:[0-9]{2})"
    r"| [0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]+)?)?$"
)
_YAML_SPECIAL = frozenset(
    ["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"]
    + ["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"]
    + ["", "~", "null", "Null", "NULL"]
    + [p + s for p in ("", "+", "-") for s in (".inf", ".Inf", ".INF")]
    + [".nan", ".NaN", ".NAN"]
)


def _yaml_plain_is_string(s: str) -> bool:
    """Whether go-yaml v2 would read `s` back as a string if written unquoted (its resolve())."""
    if s in _YAML_SPECIAL or re.match(_YAML_BASE60, s):
        return False
    first = s[0]
    if first == ".":
        return not (re.match(_YAML_FLOAT, s) and "_" not in s)
    if first in "+-0123456789":
        if re.match(_YAML_TIMESTAMP, s):
            return False
        plain = s.replace("_", "")
        return not (
            re.match(_YAML_INT, plain) or re.match(_YAML_FLOAT, plain) or re.match(r"^-0[bB][01]+$", plain)
        )
    return True


def _yaml_key_cmp(a: str, b: str) -> int:
    """go-yaml v2's map key order: letters after other characters, digit runs compared as numbers."""
    for i in range(min(len(a), len(b))):
        ca, cb = a[i], b[i]
        if ca == cb:
            continue
        la, lb = ca.isalpha(), cb.isalpha()
        if la and lb:
            return -1 if ca < cb else 1
        if la or lb:
            return 1 if la else -1
        an = bn = 0
        if ca == "0" or cb == "0":
            j = i - 1
            while j >= 0 and a[j].isdigit():
                if a[j] != "0":
                    an = bn = 1
                    break
                j -= 1
        ai = i
        while ai < len(a) and a[ai].isdigit():
            an = an * 10 + int(a[ai])
            ai += 1
        bi = i
        while bi < len(b) and b[bi].isdigit():
            bn = bn * 10 + int(b[bi])
            bi += 1
        if an != bn:
            return -1 if an < bn else 1
        if ai != bi:
            return -1 if ai < bi else 1
        return -1 if ca < cb else 1
    return (len(a) > len(b)) - (len(a) < len(b))


def to_yaml(obj: Mapping[str, Any]) -> str:
    """`-o yaml` as sigs.k8s.io/yaml writes it: go-yaml v2 layout, quoting and key order."""
    from kjob.yamllib import yaml  # deferred: only -o yaml pays for it

    class _Dumper(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:
            # Go has no anchors: an object reachable twice is written out twice.
            return True

    def resolve(self: Any, kind: Any, value: str, implicit: tuple[bool, bool]) -> str:
        # Plain scalars resolve as go-yaml would, so ints/bools stay untagged and strings that
        # look like something else are the ones we quote.
        if kind is yaml.ScalarNode and implicit[0]:
            if _yaml_plain_is_string(value):
                return "tag:yaml.org,2002:str"
            if value in ("true", "false"):
                return "tag:yaml.org,2002:bool"
            if value == "null":
                return "tag:yaml.org,2002:null"
            return "tag:yaml.org,2002:int" if re.match(_YAML_INT, value) else "tag:yaml.org,2002:float"
        return yaml.SafeDumper.resolve(self, kind, value, implicit)

    def represent_str(dumper: Any, data: str) -> Any:
        if "\n" in data:
            style: str | None = "|"
        elif not _yaml_plain_is_string(data):
            style = '"'
        else:
            style = None
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)

    def represent_dict(dumper: Any, data: Mapping[Any, Any]) -> Any:
        keys = sorted(data, key=cmp_to_key(lambda a, b: _yaml_key_cmp(str(a), str(b))))
        return dumper.represent_mapping("tag:yaml.org,2002:map", [(k, data[k]) for k in keys])

    _Dumper.resolve = resolve  # type: ignore[method-assign]
    _Dumper.add_representer(str, represent_str)
    _Dumper.add_representer(dict, represent_dict)
    return yaml.dump(
        _strip_managed_fields(obj),
        Dumper=_Dumper,
        default_flow_style=False,
        allow_unicode=True,
        sort_keys=False,
        width=80,
    )


# ---------------------------------------------------------------- quantities


_BINARY_SUFFIXES = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL_SUFFIXES = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_QUANTITY = r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(.*)$"


def _parse_quantity(text: Any) -> tuple[Fraction, str] | None:
    """A resource.Quantity as (value, format), the value rounded up to nano units as the API does."""
    from fractions import Fraction  # deferred: only quantities need it

    m = re.match(_QUANTITY, str(text).strip())
    if not m:
        return None
    number, suffix = Fraction(m.group(1)), m.group(2)
    if suffix in _BINARY_SUFFIXES:
        value, fmt = number * 2 ** _BINARY_SUFFIXES[suffix], "BinarySI"
    elif suffix in _DECIMAL_SUFFIXES:
        value, fmt = number * Fraction(10) ** _DECIMAL_SUFFIXES[suffix], "DecimalSI"
    elif re.match(r"^[eE][+-]?[0-9]+$", suffix):
        value, fmt = number * Fraction(10) ** int(suffix[1:]), "DecimalExponent"
    else:
        return None
    return Fraction(math.ceil(value * 10**9), 10**9), fmt


def _quantity_string(text: Any) -> str:
    """Quantity.String(): the canonical form kubectl prints for limits and requests."""
    parsed = _parse_quantity(text)
    if parsed is None:
        return str(text)
    value, fmt = parsed
    if value == 0:
        return "0"
    if fmt == "BinarySI" and (-1024 < value < 1024 or value.denominator != 1):
        fmt = "DecimalSI"
    sign = "-" if value < 0 else ""
    mag = abs(value)
    if fmt == "BinarySI":
        whole, exp = int(mag), 0
        while whole % 1024 == 0 and exp < 60:
            whole //= 1024
            exp += 10
        suffix = {0: "", **{v: k for k, v in _BINARY_SUFFIXES.items()}}[exp]
        return f"{sign}{whole}{suffix}"
    # Nano rounding makes mag * 10**9 whole; take out thousands while the mantissa stays whole.
    exp = -9
    n = mag * 10**9
    while n % 1000 == 0 and exp < 18:
        n /= 1000
        exp += 3
    if fmt == "DecimalExponent":
        return f"{sign}{int(n)}" + (f"e{exp}" if exp else "")
    suffix = {v: k for k, v in _DECIMAL_SUFFIXES.items()}[exp]
    return f"{sign}{int(n)}{suffix}"


def _quantity_value(text: Any) -> Fraction:
    from fractions import Fraction  # deferred: only quantities need it

    parsed = _parse_quantity(text)
    return parsed[0] if parsed else Fraction(0)


# ---------------------------------------------------------------- describe


class _PrefixWriter:
    """kubectl's PrefixWriter: two spaces per level, terminal escaping, into one tab-aligned text."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, level: int, text: str) -> None:
        self.parts.append(_escape_terminal("  " * level + text))

    def line(self, text: str) -> None:
        self.parts.append(_escape_terminal(text + "\n"))

    def render(self) -> str:
        return _tabwrite("".join(self.parts), 0, 2)


def _labels_multiline(w: _PrefixWriter, title: str, labels: Mapping[str, Any] | None) -> None:
    w.write(0, f"{title}:\t")
    if not labels:
        w.line("<none>")
        return
    for i, key in enumerate(sorted(labels)):
        if i:
            w.write(0, "\t")
        w.write(0, f"{key}={labels[key]}\n")


def _go_len(s: str) -> int:
    return len(s.encode())


def _shorten(s: str, limit: int) -> str:
    raw = s.encode()
    if len(raw) > limit:
        return raw[:limit].decode(errors="ignore") + "..."
    return s


def _annotations_multiline(w: _PrefixWriter, title: str, annotations: Mapping[str, Any] | None) -> None:
    w.write(0, f"{title}:\t")
    keys = sorted(k for k in annotations or {} if k != LAST_APPLIED_ANNOTATION)
    if not keys:
        w.line("<none>")
        return
    assert annotations is not None
    for i, key in enumerate(keys):
        if i:
            w.write(0, "\t")
        value = str(annotations[key])
        value = value[:-1] if value.endswith("\n") else value
        if _go_len(value) + _go_len(key) + 2 > MAX_ANNOTATION_LEN or "\n" in value:
            w.write(0, f"{key}:\n")
            for part in value.split("\n"):
                w.write(0, f"\t  {_shorten(part, MAX_ANNOTATION_LEN - 2)}\n")
        else:
            w.write(0, f"{key}: {value}\n")


def _tolerations_multiline(w: _PrefixWriter, title: str, tolerations: list[Obj] | None) -> None:
    w.write(0, f"{title}:\t")
    if not tolerations:
        w.line("<none>")
        return
    for i, tol in enumerate(sorted(tolerations, key=lambda t: str(t.get("key") or ""))):
        if i:
            w.write(0, "\t")
        key, value, effect = tol.get("key") or "", tol.get("value") or "", tol.get("effect") or ""
        text = key + (f"={value}" if value else "") + (f":{effect}" if effect else "")
        if tol.get("operator") == "Exists" and not value:
            text += " op=Exists" if key or effect else "op=Exists"
        if tol.get("tolerationSeconds") is not None:
            text += f" for {tol['tolerationSeconds']}s"
        w.write(0, text + "\n")


def _controller_of(obj: Mapping[str, Any]) -> str:
    for ref in _meta(obj).get("ownerReferences") or []:
        if ref.get("controller"):
            return f"{ref.get('kind', '')}/{ref.get('name', '')}"
    return ""


def _ports(ports: list[Obj], field: str) -> str:
    # kubectl 1.32 shows no port names (later versions append ` (name)`).
    return ", ".join(f"{p.get(field) or 0}/{p.get('protocol') or ''}" for p in ports)


def _describe_probe(probe: Obj) -> str:
    attrs = (
        f"delay={probe.get('initialDelaySeconds') or 0}s timeout={probe.get('timeoutSeconds') or 0}s "
        f"period={probe.get('periodSeconds') or 0}s #success={probe.get('successThreshold') or 0} "
        f"#failure={probe.get('failureThreshold') or 0}"
    )
    if probe.get("exec") is not None:
        return f"exec [{' '.join(probe['exec'].get('command') or [])}] {attrs}"
    if probe.get("httpGet") is not None:
        get = probe["httpGet"]
        host, port = get.get("host") or "", str(get.get("port") or "")
        hostport = (f"[{host}]:{port}" if ":" in host else f"{host}:{port}") if port else host
        scheme = str(get.get("scheme") or "").lower()
        url = (f"{scheme}://" if scheme else "//" if hostport else "") + hostport + (get.get("path") or "")
        return f"http-get {url} {attrs}"
    if probe.get("tcpSocket") is not None:
        sock = probe["tcpSocket"]
        return f"tcp-socket {sock.get('host') or ''}:{sock.get('port') or ''} {attrs}"
    if probe.get("grpc") is not None:
        return f"grpc <pod>:{probe['grpc'].get('port') or 0} {probe['grpc'].get('service') or ''} {attrs}"
    return f"unknown {attrs}"


def _container_state(w: _PrefixWriter, name: str, state: Obj) -> None:
    if state.get("running") is not None:
        w.write(2, f"{name}:\tRunning\n")
        w.write(3, f"Started:\t{_rfc1123z(state['running'].get('startedAt'))}\n")
    elif state.get("waiting") is not None:
        w.write(2, f"{name}:\tWaiting\n")
        if state["waiting"].get("reason"):
            w.write(3, f"Reason:\t{state['waiting']['reason']}\n")
    elif state.get("terminated") is not None:
        term = state["terminated"]
        w.write(2, f"{name}:\tTerminated\n")
        if term.get("reason"):
            w.write(3, f"Reason:\t{term['reason']}\n")
        if term.get("message"):
            w.write(3, f"Message:\t{term['message']}\n")
        w.write(3, f"Exit Code:\t{term.get('exitCode') or 0}\n")
        if (term.get("signal") or 0) > 0:
            w.write(3, f"Signal:\t{term['signal']}\n")
        w.write(3, f"Started:\t{_rfc1123z(term.get('startedAt'))}\n")
        w.write(3, f"Finished:\t{_rfc1123z(term.get('finishedAt'))}\n")
    else:
        w.write(2, f"{name}:\tWaiting\n")


def _field_ref_value(pod: Mapping[str, Any], api_version: str, path: str) -> str:
    """kubectl's EnvValueRetriever: only metadata fields resolve; anything else shows empty."""
    # The path must pass the Pod field-label conversion and then be a metadata field the
    # fieldpath helper knows: only the name and the namespace survive both.
    if api_version != "v1" or path not in ("metadata.name", "metadata.namespace"):
        return ""
    return str(_meta(pod).get(path.split(".")[1]) or "")


def _resource_field_value(ref: Obj, container: Obj) -> str:
    from fractions import Fraction  # deferred: only quantities need it

    resource = str(ref.get("resource") or "")
    divisor = _quantity_value(ref.get("divisor")) if ref.get("divisor") else Fraction(0)
    if divisor == 0:
        divisor = Fraction(1)
    kind, _, name = resource.partition(".")
    if kind not in ("limits", "requests") or name not in ("cpu", "memory", "ephemeral-storage"):
        return ""
    amount = _quantity_value(((container.get("resources") or {}).get(kind) or {}).get(name, 0))
    if name == "cpu":
        value = math.ceil(math.ceil(amount * 1000) / math.ceil(divisor * 1000))
    else:
        value = math.ceil(math.ceil(amount) / math.ceil(divisor))
    text = str(value)
    if text == "0" and resource in ("limits.cpu", "limits.memory"):
        return "node allocatable"
    return text


def _describe_env(w: _PrefixWriter, container: Obj, resolve: Callable[[str, str], str] | None) -> None:
    env = container.get("env") or []
    w.write(2, "Environment:" + ("" if env else "\t<none>") + "\n")
    for e in env:
        name, source = e.get("name", ""), e.get("valueFrom")
        if source is None:
            for i, part in enumerate(str(e.get("value") or "").split("\n")):
                w.write(3, f"{name}:\t{part}\n" if i == 0 else f"\t{part}\n")
        elif source.get("fieldRef") is not None:
            ref = source["fieldRef"]
            api, path = ref.get("apiVersion") or "", ref.get("fieldPath") or ""
            value = resolve(api, path) if resolve else ""
            w.write(3, f"{name}:\t{value} ({api}:{path})\n")
        elif source.get("resourceFieldRef") is not None:
            ref = source["resourceFieldRef"]
            value = _resource_field_value(ref, container)
            w.write(3, f"{name}:\t{value} ({ref.get('resource') or ''})\n")
        elif source.get("secretKeyRef") is not None:
            ref = source["secretKeyRef"]
            optional = "true" if ref.get("optional") else "false"
            w.write(
                3,
                f"{name}:\t<set to the key '{ref.get('key', '')}' in secret '{ref.get('name', '')}'>"
                f"\tOptional: {optional}\n",
            )
        elif source.get("configMapKeyRef") is not None:
            ref = source["configMapKeyRef"]
            optional = "true" if ref.get("optional") else "false"
            w.write(
                3,
                f"{name}:\t<set to the key '{ref.get('key', '')}' of config map '{ref.get('name', '')}'>"
                f"\tOptional: {optional}\n",
            )


def _describe_containers(
    w: _PrefixWriter,
    label: str,
    containers: list[Obj],
    statuses: list[Obj] | None,
    resolve: Callable[[str, str], str] | None,
    space: str,
) -> None:
    by_name = {s.get("name"): s for s in statuses or []}
    w.write(0, f"{space}{label}:" + ("" if containers else " <none>") + "\n")
    name_indent = " " if space else ""
    for c in containers:
        status = by_name.get(c.get("name"))
        w.write(1, f"{name_indent}{c.get('name', '')}:\n")
        if status is not None:
            w.write(2, f"Container ID:\t{status.get('containerID') or ''}\n")
        w.write(2, f"Image:\t{c.get('image') or ''}\n")
        if status is not None:
            w.write(2, f"Image ID:\t{status.get('imageID') or ''}\n")
        ports = c.get("ports") or []
        port_text, host_text = _ports(ports, "containerPort"), _ports(ports, "hostPort")
        if "," in port_text:
            w.write(2, f"Ports:\t{port_text}\n")
        else:
            w.write(2, f"Port:\t{port_text or '<none>'}\n")
        if "," in host_text:
            w.write(2, f"Host Ports:\t{host_text}\n")
        else:
            w.write(2, f"Host Port:\t{host_text or '<none>'}\n")
        seccomp = (c.get("securityContext") or {}).get("seccompProfile")
        if seccomp is not None:
            w.write(2, f"SeccompProfile:\t{seccomp.get('type') or ''}\n")
            if seccomp.get("type") == "Localhost":
                w.write(3, f"LocalhostProfile:\t{seccomp.get('localhostProfile') or ''}\n")
        for title, key in (("Command", "command"), ("Args", "args")):
            if c.get(key):
                w.write(2, f"{title}:\n")
                for item in c[key]:
                    for part in str(item).split("\n"):
                        w.write(3, f"{part}\n")
        if status is not None:
            _container_state(w, "State", status.get("state") or {})
            last = status.get("lastState") or {}
            if last.get("terminated") is not None:
                _container_state(w, "Last State", last)
            w.write(2, f"Ready:\t{'True' if status.get('ready') else 'False'}\n")
            w.write(2, f"Restart Count:\t{status.get('restartCount') or 0}\n")
        _describe_resources(w, c.get("resources") or {}, 2)
        for title, key in (
            ("Liveness", "livenessProbe"),
            ("Readiness", "readinessProbe"),
            ("Startup", "startupProbe"),
        ):
            if c.get(key) is not None:
                w.write(2, f"{title}:\t{_describe_probe(c[key])}\n")
        if c.get("envFrom"):
            w.write(2, "Environment Variables from:\n")
            for e in c["envFrom"]:
                source, name, optional = "", "", False
                if e.get("configMapRef") is not None:
                    source, name = "ConfigMap", e["configMapRef"].get("name", "")
                    optional = bool(e["configMapRef"].get("optional"))
                elif e.get("secretRef") is not None:
                    source, name = "Secret", e["secretRef"].get("name", "")
                    optional = bool(e["secretRef"].get("optional"))
                opt = "true" if optional else "false"
                if e.get("prefix"):
                    w.write(3, f"{name}\t{source} with prefix '{e['prefix']}'\tOptional: {opt}\n")
                else:
                    w.write(3, f"{name}\t{source}\tOptional: {opt}\n")
        _describe_env(w, c, resolve)
        mounts = c.get("volumeMounts") or []
        w.write(2, "Mounts:" + ("" if mounts else "\t<none>") + "\n")
        for m in sorted(mounts, key=lambda m: str(m.get("mountPath") or "")):
            flags = ["ro" if m.get("readOnly") else "rw"]
            if m.get("subPath"):
                flags.append(f"path={json.dumps(m['subPath'], ensure_ascii=False)}")
            w.write(3, f"{m.get('mountPath', '')} from {m.get('name', '')} ({','.join(flags)})\n")
        devices = c.get("volumeDevices") or []
        if devices:
            w.write(2, "Devices:\n")
            for d in sorted(devices, key=lambda d: str(d.get("devicePath") or "")):
                w.write(3, f"{d.get('devicePath', '')} from {d.get('name', '')}\n")


def _describe_resources(w: _PrefixWriter, resources: Obj, level: int) -> None:
    for title, key in (("Limits", "limits"), ("Requests", "requests")):
        values = resources.get(key) or {}
        if values:
            w.write(level, f"{title}:\n")
        for name in sorted(values):
            w.write(level + 1, f"{name}:\t{_quantity_string(values[name])}\n")


def _go_bool(value: Any) -> str:
    return "true" if value else "false"


def _describe_volume(w: _PrefixWriter, vol: Obj) -> None:
    if vol.get("hostPath") is not None:
        src = vol["hostPath"]
        w.write(2, "Type:\tHostPath (bare host directory volume)\n")
        w.write(2, f"Path:\t{src.get('path') or ''}\n")
        w.write(2, f"HostPathType:\t{src['type'] if src.get('type') is not None else '<none>'}\n")
    elif vol.get("emptyDir") is not None:
        src = vol["emptyDir"]
        limit = src.get("sizeLimit")
        size = _quantity_string(limit) if limit is not None and _quantity_value(limit) > 0 else "<unset>"
        w.write(2, "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n")
        w.write(2, f"Medium:\t{src.get('medium') or ''}\n")
        w.write(2, f"SizeLimit:\t{size}\n")
    elif vol.get("secret") is not None:
        src = vol["secret"]
        w.write(2, "Type:\tSecret (a volume populated by a Secret)\n")
        w.write(2, f"SecretName:\t{src.get('secretName') or ''}\n")
        w.write(2, f"Optional:\t{_go_bool(src.get('optional'))}\n")
    elif vol.get("configMap") is not None:
        src = vol["configMap"]
        w.write(2, "Type:\tConfigMap (a volume populated by a ConfigMap)\n")
        w.write(2, f"Name:\t{src.get('name') or ''}\n")
        w.write(2, f"Optional:\t{_go_bool(src.get('optional'))}\n")
    elif vol.get("persistentVolumeClaim") is not None:
        src = vol["persistentVolumeClaim"]
        w.write(
            2, "Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n"
        )
        w.write(2, f"ClaimName:\t{src.get('claimName') or ''}\n")
        w.write(2, f"ReadOnly:\t{_go_bool(src.get('readOnly'))}\n")
    elif vol.get("downwardAPI") is not None:
        w.write(2, "Type:\tDownwardAPI (a volume populated by information about the pod)\n")
        w.write(2, "Items:\n")
        for item in vol["downwardAPI"].get("items") or []:
            if item.get("fieldRef") is not None:
                w.write(3, f"{item['fieldRef'].get('fieldPath', '')} -> {item.get('path', '')}\n")
            if item.get("resourceFieldRef") is not None:
                w.write(3, f"{item['resourceFieldRef'].get('resource', '')} -> {item.get('path', '')}\n")
    elif vol.get("projected") is not None:
        w.write(2, "Type:\tProjected (a volume that contains injected data from multiple sources)\n")
        for source in vol["projected"].get("sources") or []:
            if source.get("secret") is not None:
                # kubectl 1.32 prints the *bool itself here, so only an unset one reads sensibly.
                w.write(2, f"SecretName:\t{source['secret'].get('name') or ''}\n")
                w.write(2, f"SecretOptionalName:\t{_optional_ptr(source['secret'].get('optional'))}\n")
            elif source.get("downwardAPI") is not None:
                w.write(2, "DownwardAPI:\ttrue\n")
            elif source.get("configMap") is not None:
                w.write(2, f"ConfigMapName:\t{source['configMap'].get('name') or ''}\n")
                w.write(2, f"ConfigMapOptional:\t{_optional_ptr(source['configMap'].get('optional'))}\n")
            elif source.get("serviceAccountToken") is not None:
                seconds = source["serviceAccountToken"].get("expirationSeconds") or 0
                w.write(2, f"TokenExpirationSeconds:\t{seconds}\n")
    else:
        w.write(1, "<unknown>\n")


def _optional_ptr(value: Any) -> str:
    """Go's %v of a *bool: `<nil>` when unset."""
    return "<nil>" if value is None else _go_bool(value)


def _describe_volumes(w: _PrefixWriter, volumes: list[Obj] | None, space: str) -> None:
    if not volumes:
        w.write(0, f"{space}Volumes:\t<none>\n")
        return
    w.write(0, f"{space}Volumes:\n")
    for vol in volumes:
        w.write(1, f"{' ' if space else ''}{vol.get('name', '')}:\n")
        _describe_volume(w, vol)


def _describe_topology_spread(w: _PrefixWriter, constraints: list[Obj] | None, space: str) -> None:
    if not constraints:
        return
    w.write(0, f"{space}Topology Spread Constraints:\t")
    for i, tsc in enumerate(sorted(constraints, key=lambda t: str(t.get("topologyKey") or ""))):
        if i:
            w.write(0, f"{space}\t")
        text = f"{tsc.get('topologyKey', '')}:{tsc.get('whenUnsatisfiable', '')}"
        text += f" when max skew {tsc.get('maxSkew', 0)} is exceeded"
        if tsc.get("labelSelector") is not None:
            text += f" for selector {selector_string(tsc['labelSelector']) or '<none>'}"
        w.write(0, text + "\n")


def _describe_events(w: _PrefixWriter, events: list[Obj], now: float) -> None:
    if not events:
        w.write(0, "Events:\t<none>\n")
        return

    def last_seen(e: Obj) -> float:
        ts = parse_time(e.get("lastTimestamp"))
        return float("-inf") if ts is None else ts

    w.write(0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n")
    w.write(1, "----\t------\t----\t----\t-------\n")
    for e in sorted(events, key=last_seen):
        first = (
            _since(e.get("eventTime"), now) if e.get("eventTime") else _since(e.get("firstTimestamp"), now)
        )
        series = e.get("series")
        if series is not None:
            age = f"{_since(series.get('lastObservedTime'), now)} (x{series.get('count') or 0} over {first})"
        elif (e.get("count") or 0) > 1:
            age = f"{_since(e.get('lastTimestamp'), now)} (x{e['count']} over {first})"
        else:
            age = first
        source = (e.get("source") or {}).get("component") or e.get("reportingComponent") or ""
        message = str(e.get("message") or "").strip()
        w.write(1, f"{e.get('type', '')}\t{e.get('reason', '')}\t{age}\t{source}\t{message}\n")


def _describe_pod_template(w: _PrefixWriter, template: Obj) -> None:
    w.write(0, "Pod Template:\n")
    spec = _spec(template)
    _labels_multiline(w, "  Labels", _meta(template).get("labels"))
    if _meta(template).get("annotations"):
        _annotations_multiline(w, "  Annotations", _meta(template)["annotations"])
    if spec.get("serviceAccountName"):
        w.write(1, f"Service Account:\t{spec['serviceAccountName']}\n")
    if spec.get("initContainers"):
        _describe_containers(w, "Init Containers", spec["initContainers"], None, None, "  ")
    _describe_containers(w, "Containers", spec.get("containers") or [], None, None, "  ")
    _describe_volumes(w, spec.get("volumes"), "  ")
    _describe_topology_spread(w, spec.get("topologySpreadConstraints"), "  ")
    if spec.get("priorityClassName"):
        w.write(1, f"Priority Class Name:\t{spec['priorityClassName']}\n")
    _labels_multiline(w, "  Node-Selectors", spec.get("nodeSelector"))
    _tolerations_multiline(w, "  Tolerations", spec.get("tolerations"))


def _cap_indexes(indexes: str, soft_limit: int = 50) -> str:
    if not indexes:
        return "<none>"
    cut = indexes.find(",", soft_limit)
    return indexes if cut < 0 else indexes[: cut + 1] + "..."


def describe_job(job: dict, events: list[dict], now: float, show_events: bool = True) -> str:
    """`kubectl describe job` (v1.32 layout), with the walkthrough's Pods Statuses wording when legacy."""
    meta, spec, status = _meta(job), _spec(job), _status(job)
    w = _PrefixWriter()
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    w.write(0, f"Selector:\t{selector_string(spec.get('selector'))}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    controller = _controller_of(job)
    if controller:
        w.write(0, f"Controlled By:\t{controller}\n")
    if spec.get("parallelism") is not None:
        w.write(0, f"Parallelism:\t{spec['parallelism']}\n")
    completions = spec.get("completions")
    w.write(0, f"Completions:\t{completions if completions is not None else '<unset>'}\n")
    if spec.get("completionMode") is not None:
        w.write(0, f"Completion Mode:\t{spec['completionMode']}\n")
    if spec.get("suspend") is not None:
        w.write(0, f"Suspend:\t{_go_bool(spec['suspend'])}\n")
    if spec.get("backoffLimit") is not None:
        w.write(0, f"Backoff Limit:\t{spec['backoffLimit']}\n")
    if spec.get("ttlSecondsAfterFinished") is not None:
        w.write(0, f"TTL Seconds After Finished:\t{spec['ttlSecondsAfterFinished']}\n")
    start, end = status.get("startTime"), status.get("completionTime")
    if start:
        w.write(0, f"Start Time:\t{_rfc1123z(start)}\n")
    if end:
        w.write(0, f"Completed At:\t{_rfc1123z(end)}\n")
    if start and end:
        w.write(0, f"Duration:\t{human_duration((parse_time(end) or 0) - (parse_time(start) or 0))}\n")
    if spec.get("activeDeadlineSeconds") is not None:
        w.write(0, f"Active Deadline Seconds:\t{spec['activeDeadlineSeconds']}s\n")
    active, succeeded, failed = (
        status.get("active") or 0,
        status.get("succeeded") or 0,
        status.get("failed") or 0,
    )
    if PODS_STATUSES_LEGACY:
        w.write(0, f"Pods Statuses:\t{active} Running / {succeeded} Succeeded / {failed} Failed\n")
    elif status.get("ready") is None:
        w.write(0, f"Pods Statuses:\t{active} Active / {succeeded} Succeeded / {failed} Failed\n")
    else:
        ready = status["ready"]
        w.write(
            0, f"Pods Statuses:\t{active} Active ({ready} Ready) / {succeeded} Succeeded / {failed} Failed\n"
        )
    if spec.get("completionMode") == "Indexed":
        w.write(0, f"Completed Indexes:\t{_cap_indexes(str(status.get('completedIndexes') or ''))}\n")
    _describe_pod_template(w, spec.get("template") or {})
    if show_events:
        _describe_events(w, events, now)
    return w.render()


def _pod_qos(pod: Mapping[str, Any]) -> str:
    """qos.GetPodQOS: the recorded class, else computed from cpu/memory requests and limits."""
    from fractions import Fraction  # deferred: only quantities need it

    recorded = _status(pod).get("qosClass")
    if recorded:
        return str(recorded)
    spec = _spec(pod)
    requests: dict[str, Fraction] = {}
    limits: dict[str, Fraction] = {}
    guaranteed = True
    for c in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        res = c.get("resources") or {}
        for name, q in (res.get("requests") or {}).items():
            if name in ("cpu", "memory") and _quantity_value(q) > 0:
                requests[name] = requests.get(name, Fraction(0)) + _quantity_value(q)
        found = set()
        for name, q in (res.get("limits") or {}).items():
            if name in ("cpu", "memory") and _quantity_value(q) > 0:
                found.add(name)
                limits[name] = limits.get(name, Fraction(0)) + _quantity_value(q)
        if found != {"cpu", "memory"}:
            guaranteed = False
    if not requests and not limits:
        return "BestEffort"
    if guaranteed and any(limits.get(name) != value for name, value in requests.items()):
        guaranteed = False
    return "Guaranteed" if guaranteed and len(requests) == len(limits) else "Burstable"


def describe_pod(pod: dict, events: list[dict], now: float, show_events: bool = True) -> str:
    """`kubectl describe pod` (v1.32 layout)."""
    meta, spec, status = _meta(pod), _spec(pod), _status(pod)
    w = _PrefixWriter()
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    if spec.get("priority") is not None:
        w.write(0, f"Priority:\t{spec['priority']}\n")
    if spec.get("priorityClassName"):
        w.write(0, f"Priority Class Name:\t{spec['priorityClassName']}\n")
    if spec.get("runtimeClassName"):
        w.write(0, f"Runtime Class Name:\t{spec['runtimeClassName']}\n")
    if spec.get("serviceAccountName"):
        w.write(0, f"Service Account:\t{spec['serviceAccountName']}\n")
    if spec.get("nodeName"):
        w.write(0, f"Node:\t{spec['nodeName']}/{status.get('hostIP') or ''}\n")
    else:
        w.write(0, "Node:\t<none>\n")
    if status.get("startTime"):
        w.write(0, f"Start Time:\t{_rfc1123z(status['startTime'])}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    phase = status.get("phase") or ""
    if meta.get("deletionTimestamp") and phase not in ("Succeeded", "Failed"):
        w.write(0, f"Status:\tTerminating (lasts {_since(meta['deletionTimestamp'], now)})\n")
        w.write(0, f"Termination Grace Period:\t{meta.get('deletionGracePeriodSeconds') or 0}s\n")
    else:
        w.write(0, f"Status:\t{phase}\n")
    if status.get("reason"):
        w.write(0, f"Reason:\t{status['reason']}\n")
    if status.get("message"):
        w.write(0, f"Message:\t{status['message']}\n")
    seccomp = (spec.get("securityContext") or {}).get("seccompProfile")
    if seccomp is not None:
        w.write(0, f"SeccompProfile:\t{seccomp.get('type') or ''}\n")
        if seccomp.get("type") == "Localhost":
            w.write(0, f"LocalhostProfile:\t{seccomp.get('localhostProfile') or ''}\n")
    w.write(0, f"IP:\t{status.get('podIP') or ''}\n")
    ips = status.get("podIPs") or []
    if not ips:
        w.write(0, "IPs:\t<none>\n")
    else:
        w.write(0, "IPs:\n")
        for ip in ips:
            w.write(1, f"IP:\t{ip.get('ip') or ''}\n")
    controller = _controller_of(pod)
    if controller:
        w.write(0, f"Controlled By:\t{controller}\n")
    if status.get("nominatedNodeName"):
        w.write(0, f"NominatedNodeName:\t{status['nominatedNodeName']}\n")
    if spec.get("resources") is not None:
        w.write(0, "Resources:\n")
        _describe_resources(w, spec["resources"], 1)

    def resolve(api_version: str, path: str) -> str:
        return _field_ref_value(pod, api_version, path)

    if spec.get("initContainers"):
        _describe_containers(
            w, "Init Containers", spec["initContainers"], status.get("initContainerStatuses"), resolve, ""
        )
    _describe_containers(
        w, "Containers", spec.get("containers") or [], status.get("containerStatuses"), resolve, ""
    )
    if spec.get("ephemeralContainers"):
        _describe_containers(
            w,
            "Ephemeral Containers",
            spec["ephemeralContainers"],
            status.get("ephemeralContainerStatuses"),
            resolve,
            "",
        )
    conditions = status.get("conditions") or []
    if spec.get("readinessGates"):
        w.write(0, "Readiness Gates:\n  Type\tStatus\n")
        for gate in spec["readinessGates"]:
            value = next(
                (str(c.get("status")) for c in conditions if c.get("type") == gate.get("conditionType")),
                "<none>",
            )
            w.write(1, f"{gate.get('conditionType', '')} \t{value} \n")
    if conditions:
        w.write(0, "Conditions:\n  Type\tStatus\n")
        for c in conditions:
            w.write(1, f"{c.get('type', '')} \t{c.get('status', '')} \n")
    _describe_volumes(w, spec.get("volumes"), "")
    w.write(0, f"QoS Class:\t{_pod_qos(pod)}\n")
    _labels_multiline(w, "Node-Selectors", spec.get("nodeSelector"))
    _tolerations_multiline(w, "Tolerations", spec.get("tolerations"))
    _describe_topology_spread(w, spec.get("topologySpreadConstraints"), "")
    if show_events:
        _describe_events(w, events, now)
    return w.render()


# ---------------------------------------------------------------- get: columns around the server's cells

# `-o` values kubectl accepts, for its "unable to match a printer" message.
OUTPUT_FORMATS = (
    "custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-json,"
    "jsonpath-file,name,template,templatefile,wide,yaml"
)
_TEMPLATE_FORMATS = ("jsonpath", "jsonpath-file", "jsonpath-as-json")
_GO_TEMPLATE_FORMATS = ("go-template", "go-template-file", "template", "templatefile")


def event_headers(wide: bool = False) -> list[str]:
    if wide:
        return [
            "LAST SEEN",
            "TYPE",
            "REASON",
            "OBJECT",
            "SUBOBJECT",
            "SOURCE",
            "MESSAGE",
            "FIRST SEEN",
            "COUNT",
            "NAME",
        ]
    return ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]


def _event_last_seen(ev: Mapping[str, Any]) -> float:
    return parse_time(ev.get("lastTimestamp")) or parse_time(ev.get("firstTimestamp")) or 0.0


def event_row(ev: dict, now: float, wide: bool = False) -> list[str]:
    """printEvent: with -o wide, the container it is about, its source, when first seen, how often,
    and its name as well."""
    inv = ev.get("involvedObject") or {}
    kind = str(inv.get("kind", "")).lower()
    target = f"{kind}/{inv['name']}" if inv.get("name") else kind
    message = str(ev.get("message", "")).strip()
    if not wide:
        return [
            human_duration(now - _event_last_seen(ev)),
            str(ev.get("type", "")),
            str(ev.get("reason", "")),
            target,
            message,
        ]

    def since(stamp: float | None) -> str:
        return "<unknown>" if stamp is None else human_duration(now - stamp)

    first = since(parse_time(ev.get("firstTimestamp")) or parse_time(ev.get("eventTime")))
    last_stamp = parse_time(ev.get("lastTimestamp"))
    last = first if last_stamp is None else since(last_stamp)
    source = ev.get("source") or {}
    component = source.get("component") or ev.get("reportingComponent") or ""
    host = source.get("host") or ev.get("reportingInstance") or ""
    return [
        last,
        str(ev.get("type", "")),
        str(ev.get("reason", "")),
        target,
        str(inv.get("fieldPath") or ""),
        f"{component}, {host}" if host else str(component),
        message,
        first,
        str(ev.get("count") or 1),
        str((ev.get("metadata") or {}).get("name", "")),
    ]


def label_column_header(key: str) -> str:
    """`-L batch.kubernetes.io/job-name` heads its column JOB-NAME."""
    return key.rsplit("/", 1)[-1].upper()


def labels_cell(obj: Mapping[str, Any]) -> str:
    """--show-labels: whole `key=value` strings sorted, as labels.Set.String() does."""
    labels = _meta(obj).get("labels") or {}
    return ",".join(sorted(f"{k}={v}" for k, v in labels.items())) or "<none>"


def get_table(
    kind: str,
    objects: Iterable[dict],
    now: float,
    *,
    wide: bool = False,
    with_namespace: bool = False,
    with_kind: bool = False,
    label_columns: tuple[str, ...] = (),
    show_labels: bool = False,
    event_types: list[str] | None = None,
) -> tuple[list[str], list[list[str]]]:
    """The table `kubectl get` prints: the server's columns, plus the ones kubectl adds around them
    (EVENT, NAMESPACE first; -L columns, then LABELS, last) and the kind prefix on NAME.

    `objects` is read once, so it may be an iterator over the store: only the rows are kept."""
    row_of: Callable[[dict], list[str]]
    if kind == "jobs":
        headers, row_of = job_headers(wide), lambda o: job_row(o, now, wide)
    elif kind == "pods":
        headers, row_of = pod_headers(wide), lambda o: pod_row(o, now, wide)
    else:
        headers, row_of = event_headers(wide), lambda o: event_row(o, now, wide)
    with_kind = with_kind and kind != "events"
    if not (with_kind or label_columns or show_labels or with_namespace or event_types is not None):
        return headers, [row_of(o) for o in objects]
    if label_columns:
        headers = headers + [label_column_header(k) for k in label_columns]
    if show_labels:
        headers = [*headers, "LABELS"]
    if with_namespace:
        headers = ["NAMESPACE", *headers]
    if event_types is not None:
        headers = ["EVENT", *headers]
    rows = []
    pairs = zip(objects, event_types, strict=False) if event_types is not None else ((o, "") for o in objects)
    for o, event in pairs:
        row = row_of(o)
        if with_kind:
            row[0] = name_line(o)
        if label_columns:
            labels = _meta(o).get("labels") or {}
            row += [str(labels.get(k, "")) for k in label_columns]
        if show_labels:
            row.append(labels_cell(o))
        if with_namespace:
            row.insert(0, str(_meta(o).get("namespace", "")))
        if event_types is not None:
            row.insert(0, event.ljust(8))
        rows.append(row)
    return headers, rows


# ---------------------------------------------------------------- get: -o formats


class OutputFormat:
    """A parsed `-o`: kind is "", wide, name, json, yaml, jsonpath, jsonpath-as-json or custom-columns."""

    def __init__(self, kind: str, template: Any = None, columns: list[tuple[str, Any]] | None = None) -> None:
        self.kind = kind
        self.template = template
        self.columns = columns or []

    @property
    def human(self) -> bool:
        return self.kind in ("", "wide")


def _read_template_file(path: str, what: str) -> str:
    from kjob.errors import PlainError

    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as e:
        why = e.strerror or str(e)
        why = why[:1].lower() + why[1:]
        op = "read" if isinstance(e, IsADirectoryError) else "open"
        raise PlainError(f"error reading {what} {path}, {op} {path}: {why}") from None


def parse_output(text: str) -> OutputFormat:
    """`-o TEXT` as kubectl's PrintFlags reads it, with its error messages."""
    from kjob.errors import PlainError

    name, _eq, arg = text.partition("=")
    if text in ("", "wide", "name", "json", "yaml"):
        return OutputFormat(text)
    if name in _TEMPLATE_FORMATS:
        from kjob import jsonpath

        if not arg:
            raise PlainError("template format specified but no template given")
        if name == "jsonpath-file":
            arg = _read_template_file(arg, "--template")
        return OutputFormat(
            "jsonpath-as-json" if name == "jsonpath-as-json" else "jsonpath", jsonpath.parse(arg)
        )
    if name == "custom-columns":
        return OutputFormat("custom-columns", columns=_custom_columns_from_spec(arg))
    if name == "custom-columns-file":
        if not arg:
            raise PlainError("custom-columns format specified but no custom columns given")
        return OutputFormat(
            "custom-columns", columns=_custom_columns_from_file(_read_template_file(arg, "template"))
        )
    if name in _GO_TEMPLATE_FORMATS:
        raise PlainError("kjob does not support Go templates; use -o jsonpath=... or -o custom-columns=...")
    raise PlainError(
        f'unable to match a printer suitable for the output format "{text}", '
        f"allowed formats are: {OUTPUT_FORMATS}"
    )


def _column(header: str, path: str) -> tuple[str, Any]:
    from kjob import jsonpath
    from kjob.errors import PlainError

    expr = jsonpath.relaxed(path)
    try:
        return header, jsonpath.parse(expr)
    except jsonpath.JSONPathError as e:
        raise PlainError(e.reason) from None


def _custom_columns_from_spec(spec: str) -> list[tuple[str, Any]]:
    from kjob.errors import PlainError

    if not spec:
        raise PlainError("custom-columns format specified but no custom columns given")
    columns = []
    for part in spec.split(","):
        header, colon, path = part.partition(":")
        if not colon:
            raise PlainError(f"unexpected custom-columns spec: {part}, expected <header>:<json-path-expr>")
        columns.append(_column(header, path))
    return columns


def _custom_columns_from_file(text: str) -> list[tuple[str, Any]]:
    from kjob.errors import PlainError

    lines = text.split("\n")
    if len(lines) < 1 or (len(lines) == 1 and not lines[0]):
        raise PlainError(
            "invalid template, missing header line. Expected format is one line of space separated headers, "
            "one line of space separated column specs."
        )
    if len(lines) < 2 or (len(lines) == 2 and not lines[1] and text.endswith("\n")):
        raise PlainError(
            "invalid template, missing spec line. Expected format is one line of space separated headers, "
            "one line of space separated column specs."
        )
    headers, specs = lines[0].split(), lines[1].split()
    if len(headers) != len(specs):
        raise PlainError(
            f"number of headers ({len(headers)}) and field specifications ({len(specs)}) don't match"
        )
    return [_column(h, p) for h, p in zip(headers, specs, strict=False)]


def custom_column_rows(columns: list[tuple[str, Any]], objects: list[Any]) -> list[list[str]]:
    """One row per object: every value the path finds, fmt.Sprint'ed and joined by `,`; `<none>` if none."""
    from kjob import jsonpath

    rows = []
    for obj in objects:
        row = []
        for _, template in columns:
            values = [v for group in template.find(obj) for v in group]
            row.append(",".join(_escape_terminal(jsonpath.go_sprint(v)) for v in values) or "<none>")
        rows.append(row)
    return rows


def custom_columns(
    columns: list[tuple[str, Any]], objects: list[Any], no_headers: bool, widths: list[int] | None = None
) -> str:
    lines = [] if no_headers else [[h for h, _ in columns]]
    return tabulate(lines + custom_column_rows(columns, objects), widths)


def print_generic(fmt: OutputFormat, doc: dict, allow_missing: bool = True, no_headers: bool = False) -> str:
    """What a non-table printer writes for one object, or for the `List` wrapper of several."""
    items = doc["items"] if doc.get("kind") == "List" and isinstance(doc.get("items"), list) else [doc]
    if fmt.kind == "name":
        return "".join(name_line(o) + "\n" for o in items)
    if fmt.kind == "json":
        return to_json(doc)
    if fmt.kind == "yaml":
        return to_yaml(doc)
    if fmt.kind == "jsonpath":
        return str(fmt.template.execute(doc, allow_missing))
    if fmt.kind == "jsonpath-as-json":
        return str(fmt.template.execute_as_json(doc, allow_missing))
    return custom_columns(fmt.columns, items, no_headers)


# ---------------------------------------------------------------- get: --sort-by


class _Unsortable(Exception):
    pass


def _go_type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, dict):
        return "map[string]interface {}"
    if isinstance(value, list):
        return "[]interface {}"
    return type(value).__name__


def _is_quantity(text: str) -> bool:
    return _parse_quantity(text) is not None and text == text.strip() and text != ""


def _sort_less(a: Any, b: Any) -> bool:
    """kubectl's isLess for two values of an unstructured object (each one an interface{})."""
    if a is None and b is None:
        return False
    if a is None:
        return True
    if b is None:
        return False
    if isinstance(a, (bool, dict, list)):
        raise _Unsortable(f"unsortable type: {_go_type_name(a)}")
    if isinstance(a, str) and isinstance(b, str):
        if _is_quantity(a) and _is_quantity(b):
            return _quantity_value(a) < _quantity_value(b)
        return a.encode() < b.encode()
    # JSON integers decode as int64 and the rest as float64; other pairs do not compare.
    if isinstance(a, int) and isinstance(b, int) and not isinstance(b, bool):
        return a < b
    if isinstance(a, float) and isinstance(b, float):
        return a < b
    raise _Unsortable("unsortable interface: interface")


def _go_sort(items: list[Any], less: Callable[[Any, Any], bool]) -> list[Any]:
    """Go's sort.Sort, whose order of rows with equal keys kubectl prints (see kjob.gosort)."""
    from kjob.gosort import go_sort

    return go_sort(items, less)


def _klog_fatal(message: str) -> str:
    """klog's Fatal/Exit line, as kubectl's sorter writes it when a value cannot be compared."""
    import os

    t = time.time()
    tm = time.localtime(t)
    micro = int((t % 1) * 1_000_000)
    return (
        f"F{tm.tm_mon:02d}{tm.tm_mday:02d} {tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d}.{micro:06d} "
        f"{os.getpid():7d} sorter.go:329] {message}"
    )


def sort_objects(objects: list[dict], field: str, table: bool = False) -> list[dict]:
    """--sort-by over objects (kubectl's SortObjects; `table` for the rows of one server table,
    NewTableSorter). Raises PlainError as kubectl reports it."""
    from kjob import jsonpath
    from kjob.errors import KjobError, PlainError

    expr = field
    try:
        expr = jsonpath.relaxed(field)
    except jsonpath.JSONPathError as e:
        if not table:
            raise PlainError(e.reason) from None
    try:
        template = jsonpath.parse(expr)
    except jsonpath.JSONPathError as e:
        raise PlainError(("sorting error: " if table else "") + e.reason) from None
    keys: list[tuple[bool, Any]] = []
    for obj in objects:
        try:
            groups = template.find(obj)
        except jsonpath.JSONPathError as e:
            raise PlainError(e.reason) from None
        found = bool(groups) and bool(groups[0])
        keys.append((found, groups[0][0] if found else None))
    if objects and not any(found for found, _ in keys):
        raise PlainError(
            f"couldn't find any field with path {jsonpath.go_quote(expr)} in the list of objects"
        )

    def less(x: tuple[int, tuple[bool, Any]], y: tuple[int, tuple[bool, Any]]) -> bool:
        (xf, xv), (yf, yv) = x[1], y[1]
        if not xf:
            return True
        if not yf:
            return False
        try:
            return _sort_less(xv, yv)
        except _Unsortable as e:
            where = "[][][]reflect.Value" if table else "*unstructured.Unstructured"
            raise KjobError(
                _klog_fatal(f"Field {expr} in {where} is an unsortable type: interface, err: {e}")
            ) from None

    order = _go_sort(list(enumerate(keys)), less)
    return [objects[i] for i, _ in order]
