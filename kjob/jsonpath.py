"""kubectl's JSONPath template language (k8s.io/client-go/util/jsonpath), reproduced byte for byte."""

from __future__ import annotations

import json
import re
from typing import Any

from kjob.errors import PlainError

__all__ = [
    "JSONPathError",
    "Template",
    "execute_as_json",
    "go_json",
    "go_sprint",
    "parse",
    "relaxed",
]


class JSONPathError(PlainError):
    """A jsonpath failure. `message` is kubectl's full text; `reason` is the bare Go error underneath.

    kubectl wraps the same Go error differently per command (`-o jsonpath` adds "error parsing
    jsonpath ...", custom-columns and --sort-by print it bare), so callers pick what they need.
    """

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = message if reason is None else reason


class _NoValue:
    """Go's zero reflect.Value: what a range body sees for a null item or an empty range."""

    _instance: _NoValue | None = None

    def __new__(cls) -> _NoValue:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NO_VALUE"


NO_VALUE = _NoValue()


class _GoInt(int):
    """An integer literal from the template: Go `int`, which error texts name differently from int64."""


class _GoByte(int):
    """One byte of a string, as `*` and `..` produce them (Go uint8)."""


# --------------------------------------------------------------------------- nodes


class _Node:
    __slots__ = ()


class _List(_Node):
    __slots__ = ("nodes",)

    def __init__(self) -> None:
        self.nodes: list[_Node] = []


class _Text(_Node):
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class _Field(_Node):
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class _Identifier(_Node):
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class _Param:
    __slots__ = ("derived", "known", "value")

    def __init__(self, value: int = 0, known: bool = False, derived: bool = False) -> None:
        self.value = value
        self.known = known
        self.derived = derived


class _Array(_Node):
    __slots__ = ("params",)

    def __init__(self, params: list[_Param]) -> None:
        self.params = params


class _Filter(_Node):
    __slots__ = ("left", "op", "right")

    def __init__(self, left: _List, right: _List, op: str) -> None:
        self.left = left
        self.right = right
        self.op = op


class _Literal(_Node):
    """IntNode, FloatNode and BoolNode: each yields its value once per input."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class _Wildcard(_Node):
    __slots__ = ()


class _Recursive(_Node):
    __slots__ = ()


class _Union(_Node):
    __slots__ = ("lists",)

    def __init__(self, lists: list[_List]) -> None:
        self.lists = lists


# --------------------------------------------------------------------------- parser

_EOF = ""
_DICT_KEY = re.compile(r"'([^']*)'")
# Go's \d is ASCII only.
_SLICE = re.compile(r"(-?[0-9]*)(:-?[0-9]*)?(:-?[0-9]*)?")
_FILTER = re.compile(r"([^!<>=]+)([!<>=]+)(.+?)")
_INT = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)")
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


class _ParseError(Exception):
    pass


def _is_alnum(r: str) -> bool:
    # unicode.IsLetter / IsDigit are categories L* and Nd, as are isalpha / isdecimal.
    return r == "_" or r.isalpha() or r.isdecimal()


def _is_terminator(r: str) -> bool:
    return r == _EOF or r in " \t\r\n.,[]$@{}"


def _go_atoi(text: str) -> int | None:
    if not _INT.fullmatch(text):
        return None
    value = int(text)
    return value if _INT64_MIN <= value <= _INT64_MAX else None


class _Parser:
    """A line-by-line port of parser.go, with its tail calls turned into loops."""

    def __init__(self, text: str) -> None:
        self.input = text
        self.pos = 0
        self.start = 0
        self.width = 0
        self.root = _List()

    def parse(self) -> _List:
        text = self.input
        while True:
            brace = text.find("{", self.pos)
            if brace < 0:
                self.pos = len(text)
                if self.pos > self.start:
                    self.root.nodes.append(_Text(self._consume()))
                return self.root
            self.pos = brace
            if self.pos > self.start:
                self.root.nodes.append(_Text(self._consume()))
            self.pos += 1
            self._consume()
            action = _List()
            self.root.nodes.append(action)
            self._inside_action(action)

    def _consume(self) -> str:
        value = self.input[self.start : self.pos]
        self.start = self.pos
        return value

    def _next(self) -> str:
        if self.pos >= len(self.input):
            self.width = 0
            return _EOF
        r = self.input[self.pos]
        self.width = 1
        self.pos += 1
        return r

    def _peek(self) -> str:
        r = self._next()
        self._backup()
        return r

    def _backup(self) -> None:
        self.pos -= self.width

    def _inside_action(self, cur: _List) -> None:
        while True:
            if self.input.startswith("}", self.pos):
                self.pos += 1
                self._consume()
                return
            if self.input.startswith("[?(", self.pos):
                self._filter(cur)
                continue
            if self.input.startswith("..", self.pos):
                self._recursive(cur)
                continue
            r = self._next()
            if r == _EOF or r in "\r\n":
                raise _ParseError("unclosed action")
            if r in " @$":
                self._consume()
            elif r == "[":
                self._array(cur)
            elif r in "\"'":
                self._quote(cur, r)
            elif r == ".":
                self._field(cur)
            elif r in "+-" or r.isdecimal():
                self._backup()
                self._number(cur)
            elif _is_alnum(r):
                self._backup()
                self._identifier(cur)
            else:
                raise _ParseError(f"unrecognized character in action: {_go_unicode(r)}")

    def _identifier(self, cur: _List) -> None:
        while not _is_terminator(self._next()):
            pass
        self._backup()
        value = self._consume()
        cur.nodes.append(_Literal(value == "true") if value in ("true", "false") else _Identifier(value))

    def _recursive(self, cur: _List) -> None:
        if cur.nodes and isinstance(cur.nodes[-1], _Recursive):
            raise _ParseError("invalid multiple recursive descent")
        self.pos += 2
        self._consume()
        cur.nodes.append(_Recursive())
        if _is_alnum(self._peek()):
            self._field(cur)

    def _number(self, cur: _List) -> None:
        if self._peek() in ("+", "-"):
            self._next()
        while True:
            r = self._next()
            if r != "." and not r.isdecimal():
                self._backup()
                break
        value = self._consume()
        as_int = _go_atoi(value)
        if as_int is not None:
            cur.nodes.append(_Literal(_GoInt(as_int)))
            return
        if _FLOAT.fullmatch(value):
            as_float = float(value)
            # strconv.ParseFloat reports overflow as an error.
            if as_float not in (float("inf"), float("-inf")):
                cur.nodes.append(_Literal(as_float))
                return
        raise _ParseError(f"cannot parse number {value}")

    def _array(self, cur: _List) -> None:
        while True:
            r = self._next()
            if r == _EOF or r == "\n":
                raise _ParseError("unterminated array")
            if r == "]":
                break
        text = self._consume()[1:-1]
        if text == "*":
            text = ":"
        parts = text.split(",")
        if len(parts) > 1:
            cur.nodes.append(_Union([_parse_action(f"[{part.strip(' ')}]") for part in parts]))
            return
        key = _DICT_KEY.fullmatch(text)
        if key:
            # kubectl re-parses the key as `.key`, so dots inside it still split fields.
            cur.nodes.extend(_parse_action("." + key.group(1)).nodes)
            return
        match = _SLICE.fullmatch(text)
        if match is None:
            raise _ParseError(f"invalid array index {text}")
        params = [_Param(), _Param(), _Param()]
        for i, group in enumerate(match.groups()):
            group = group or ""
            if group:
                if i > 0:
                    group = group[1:]
                if i > 0 and not group:
                    params[i].known = False
                else:
                    number = _go_atoi(group)
                    if number is None:
                        raise _ParseError(f"array index {group} is not a number")
                    params[i].known = True
                    params[i].value = number
            elif i == 1:
                params[1] = _Param(params[0].value + 1, known=True, derived=True)
        cur.nodes.append(_Array(params))

    def _filter(self, cur: _List) -> None:
        self.pos += 3
        self._consume()
        begin = end = False
        pair = ""
        while True:
            r = self._next()
            if r == _EOF or r == "\n":
                raise _ParseError("unterminated filter")
            if r in "\"'":
                if not begin:
                    begin = True
                    pair = r
                    continue
                if self.input[self.pos - 2] != "\\" and r == pair:
                    end = True
            elif r == ")" and begin == end:
                break
        if self._next() != "]":
            raise _ParseError("unclosed array expect ]")
        text = self._consume()[:-2]
        match = _FILTER.fullmatch(text)
        if match is None:
            cur.nodes.append(_Filter(_parse_action(text), _List(), "exists"))
        else:
            left = _parse_action(match.group(1))
            right = _parse_action(match.group(3))
            cur.nodes.append(_Filter(left, right, match.group(2)))

    def _quote(self, cur: _List, end: str) -> None:
        while True:
            r = self._next()
            if r == _EOF or r == "\n":
                raise _ParseError("unterminated quoted string")
            if r == end and self.input[self.pos - 2] != "\\":
                break
        value = self._consume()
        try:
            text = _unquote_extend(value)
        except _ParseError as e:
            raise _ParseError(f"unquote string {value} error {e}") from None
        cur.nodes.append(_Text(text))

    def _field(self, cur: _List) -> None:
        self._consume()
        while True:
            r = self._next()
            if r == "\\":
                self._next()
            elif _is_terminator(r):
                self._backup()
                break
        value = self._consume()
        cur.nodes.append(_Wildcard() if value == "*" else _Field(value.replace("\\", "")))


def _parse_action(text: str) -> _List:
    root = _Parser("{" + text + "}").parse()
    first = root.nodes[0]
    assert isinstance(first, _List)
    return first


_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}
_HEX = "0123456789abcdefABCDEF"


def _unquote_extend(s: str) -> str:
    """strconv.Unquote, but single-quoted strings are strings too (UnquoteExtend)."""
    if len(s) < 2 or s[0] != s[-1] or s[0] not in "\"'":
        raise _ParseError("invalid syntax")
    quote, s = s[0], s[1:-1]
    if "\\" not in s and quote not in s:
        return s
    out: list[str] = []
    while s:
        text, s = _unquote_char(s, quote)
        out.append(text)
    return "".join(out)


def _unquote_char(s: str, quote: str) -> tuple[str, str]:
    c = s[0]
    if c == quote:
        raise _ParseError("invalid syntax")
    if c != "\\":
        return c, s[1:]
    if len(s) <= 1:
        raise _ParseError("invalid syntax")
    c, s = s[1], s[2:]
    if c in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[c], s
    if c in "xuU":
        size = {"x": 2, "u": 4, "U": 8}[c]
        digits = s[:size]
        if len(digits) < size or any(d not in _HEX for d in digits):
            raise _ParseError("invalid syntax")
        value = int(digits, 16)
        if c != "x" and (value > 0x10FFFF or 0xD800 <= value <= 0xDFFF):
            raise _ParseError("invalid syntax")
        # Go emits \x80-\xff as raw (non-UTF-8) bytes; a str can only carry the code point.
        return chr(value), s[size:]
    if "0" <= c <= "7":
        digits = c + s[:2]
        if len(digits) < 3 or any(not "0" <= d <= "7" for d in digits):
            raise _ParseError("invalid syntax")
        value = int(digits, 8)
        if value > 255:
            raise _ParseError("invalid syntax")
        return chr(value), s[2:]
    if c in "'\"" and c == quote:
        return c, s
    raise _ParseError("invalid syntax")


# --------------------------------------------------------------------------- evaluation


class _EvalError(Exception):
    """A Go evaluation error plus the partial value Go returned beside it, which filters still use."""

    def __init__(self, reason: str, partial: list[Any]) -> None:
        super().__init__(reason)
        self.reason = reason
        self.partial = partial


class _Panic(Exception):
    """Where kubectl's Go code panics (reflect on a zero Value) instead of returning an error."""


def _interface(value: Any) -> Any:
    # reflect.ValueOf(v.Interface()): a null becomes the zero Value.
    if value is NO_VALUE:
        raise _Panic("reflect: call of reflect.Value.Interface on zero Value")
    return NO_VALUE if value is None else value


def _children(value: Any) -> list[Any]:
    # Go walks maps in random order; sorted keys are one of its orders, and a stable one.
    if isinstance(value, dict):
        return [value[k] for k in sorted(value)]
    if isinstance(value, list):
        return list(value)
    if isinstance(value, str):
        return [_GoByte(b) for b in value.encode("utf-8", "surrogatepass")]
    return []


_BAD_TYPE = "invalid type for comparison"
_INCOMPATIBLE = "incompatible types for comparison"


def _basic_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    raise _EvalError(_BAD_TYPE, [])


def _equal(a: Any, b: Any) -> bool:
    if _basic_kind(a) != _basic_kind(b):
        raise _EvalError(_INCOMPATIBLE, [])
    return bool(a == b)


def _less(a: Any, b: Any) -> bool:
    kind = _basic_kind(a)
    if kind != _basic_kind(b):
        raise _EvalError(_INCOMPATIBLE, [])
    if kind == "bool":
        raise _EvalError(_BAD_TYPE, [])
    return bool(a < b)


def _compare(op: str, a: Any, b: Any) -> bool:
    if op == "<":
        return _less(a, b)
    if op == ">":
        return not (_less(a, b) or _equal(a, b))
    if op == "==":
        return _equal(a, b)
    if op == "!=":
        return not _equal(a, b)
    if op == "<=":
        return _less(a, b) or _equal(a, b)
    if op == ">=":
        return not _less(a, b)
    raise _EvalError(f"unrecognized filter operator {op}", [])


def _go_type(value: Any) -> str:
    if isinstance(value, dict):
        return "map[string]interface {}"
    if isinstance(value, list):
        return "[]interface {}"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, _GoByte):
        return "uint8"
    if isinstance(value, _GoInt):
        return "int"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "float64"
    return "string"


class _Engine:
    """One run of JSONPath.FindResults: the range bookkeeping lives here, as in Go's struct."""

    def __init__(self, nodes: list[_Node], allow_missing: bool) -> None:
        self.nodes = nodes
        self.allow_missing = allow_missing
        self.begin_range = 0
        self.in_range = 0
        self.end_range = 0
        self.last_end: int | None = None

    def find(self, data: Any, start: int = 0) -> list[list[Any]]:
        cur = [data]
        full: list[list[Any]] = []
        i = start
        n = len(self.nodes)
        while i < n:
            try:
                results = self.walk(cur, self.nodes[i])
            except _EvalError as e:
                raise _EvalError(e.reason, []) from None
            if self.end_range > 0 and self.end_range <= self.in_range:
                self.end_range -= 1
                self.last_end = i
                break
            if self.begin_range > 0:
                self.begin_range -= 1
                self.in_range += 1
                if results:
                    for value in results:
                        full.extend(self.find(_interface(value), i + 1))
                else:
                    # The body still runs once so that its `end` is found; its output is dropped.
                    self.find(NO_VALUE, i + 1)
                self.in_range -= 1
                for k in range(i + 1, n):
                    if k == self.last_end:
                        i = k
                        break
                i += 1
                continue
            full.append(results)
            i += 1
        return full

    def walk(self, values: list[Any], node: _Node) -> list[Any]:
        if isinstance(node, _List):
            return self.eval_list(values, node)
        if isinstance(node, _Text):
            return [node.text]
        if isinstance(node, _Field):
            return self.eval_field(values, node.name)
        if isinstance(node, _Array):
            return self.eval_array(values, node)
        if isinstance(node, _Filter):
            return self.eval_filter(values, node)
        if isinstance(node, _Literal):
            return [node.value for _ in values]
        if isinstance(node, _Wildcard):
            return [child for v in values if v is not None for child in _children(v)]
        if isinstance(node, _Recursive):
            return self.eval_recursive(values)
        if isinstance(node, _Union):
            return self.eval_union(values, node)
        assert isinstance(node, _Identifier)
        return self.eval_identifier(values, node.name)

    def eval_list(self, values: list[Any], node: _List) -> list[Any]:
        for child in node.nodes:
            values = self.walk(values, child)
        return values

    def eval_identifier(self, values: list[Any], name: str) -> list[Any]:
        if name == "range":
            self.begin_range += 1
            return values
        if name == "end":
            if self.in_range > 0:
                self.end_range += 1
                return []
            raise _EvalError("not in range, nothing to end", [])
        raise _EvalError(f"unrecognized identifier {name}", values)

    def eval_field(self, values: list[Any], name: str) -> list[Any]:
        if not values:
            return []
        results = [v[name] for v in values if isinstance(v, dict) and name in v]
        if not results and not self.allow_missing:
            raise _EvalError(f"{name} is not found", [])
        return results

    def eval_array(self, values: list[Any], node: _Array) -> list[Any]:
        result: list[Any] = []
        for value in values:
            if value is None:
                continue
            if value is NO_VALUE:
                raise _Panic("reflect: call of reflect.Value.Type on zero Value")
            if not isinstance(value, list):
                raise _EvalError(f"{_go_type(value)} is not array or slice", values)
            length = len(value)
            start, end, step = node.params
            lo = start.value if start.known else 0
            if lo < 0:
                lo += length
            hi = end.value if end.known else length
            if hi < 0 or (hi == 0 and end.derived):
                hi += length
            if hi == lo:
                # Go returns here, dropping whatever the remaining inputs would have given.
                return result
            if lo >= length or lo < 0:
                raise _EvalError(f"array index out of bounds: index {lo}, length {length}", values)
            if hi > length or hi < 0:
                raise _EvalError(f"array index out of bounds: index {hi - 1}, length {length}", values)
            if lo > hi:
                raise _EvalError(f"starting index {lo} is greater than ending index {hi}", values)
            stride = 1
            if step.known:
                if step.value <= 0:
                    raise _EvalError("step must be > 0", values)
                stride = step.value
            result.extend(value[lo:hi:stride])
        return result

    def eval_union(self, values: list[Any], node: _Union) -> list[Any]:
        result: list[Any] = []
        for branch in node.lists:
            try:
                result.extend(self.eval_list(values, branch))
            except _EvalError as e:
                raise _EvalError(e.reason, values) from None
        return result

    def eval_recursive(self, values: list[Any]) -> list[Any]:
        result: list[Any] = []
        for value in values:
            if value is None:
                continue
            children = _children(value)
            if children:
                result.append(value)
                result.extend(self.eval_recursive(children))
        return result

    def eval_filter(self, values: list[Any], node: _Filter) -> list[Any]:
        results: list[Any] = []
        for value in values:
            if not isinstance(value, list):
                raise _EvalError(f"{go_sprint(value)} is not array or slice and cannot be filtered", values)
            for item in value:
                try:
                    lefts = self.eval_list([item], node.left)
                    left_error: _EvalError | None = None
                except _EvalError as e:
                    lefts, left_error = e.partial, e
                if node.op == "exists":
                    # Go ignores the error here and trusts whatever partial value came back.
                    if lefts:
                        results.append(item)
                    continue
                if left_error is not None:
                    raise _EvalError(left_error.reason, values)
                if not lefts:
                    continue
                if len(lefts) > 1:
                    raise _EvalError("can only compare one element at a time", values)
                try:
                    rights = self.eval_list([item], node.right)
                except _EvalError as e:
                    raise _EvalError(e.reason, values) from None
                if not rights:
                    continue
                if len(rights) > 1:
                    raise _EvalError("can only compare one element at a time", values)
                left, right = _operand(lefts[0]), _operand(rights[0])
                try:
                    passed = _compare(node.op, left, right)
                except _EvalError as e:
                    raise _EvalError(e.reason, results) from None
                if passed:
                    results.append(item)
        return results


def _operand(value: Any) -> Any:
    if value is NO_VALUE:
        raise _Panic("reflect: call of reflect.Value.Interface on zero Value")
    return value


# --------------------------------------------------------------------------- Go formatting


def _go_unicode(r: str) -> str:
    """fmt's %#U: `U+0041 'A'`, or just `U+0009` when the rune is not printable."""
    code = f"U+{ord(r):04X}"
    return f"{code} '{r}'" if r.isprintable() else code


def _float_digits(f: float) -> tuple[str, int]:
    """Shortest round-trip digits d1d2... and dp, with |f| == 0.d1d2... * 10**dp (strconv's decimal)."""
    text = repr(abs(f))
    mantissa, _, exp = text.partition("e")
    whole, _, frac = mantissa.partition(".")
    digits = whole + frac
    stripped = digits.lstrip("0")
    dp = len(whole) + (int(exp) if exp else 0) - (len(digits) - len(stripped))
    return stripped.rstrip("0"), dp


def _format_e(digits: str, dp: int) -> str:
    exp = dp - 1
    text = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{text}e{'-' if exp < 0 else '+'}{abs(exp):02d}"


def _format_f(digits: str, dp: int) -> str:
    if dp <= 0:
        return "0." + "0" * -dp + digits
    if dp >= len(digits):
        return digits + "0" * (dp - len(digits))
    return digits[:dp] + "." + digits[dp:]


def _special_float(f: float) -> str | None:
    if f != f:
        return "NaN"
    if f in (float("inf"), float("-inf")):
        return "+Inf" if f > 0 else "-Inf"
    return None


def go_float(f: float) -> str:
    """fmt's %v for a float64 (strconv 'g', shortest): 1, 1.5, 1e+06, 1.23456789e+08, 1e-07."""
    special = _special_float(f)
    if special is not None:
        return special
    sign = "-" if repr(f).startswith("-") else ""
    digits, dp = _float_digits(f)
    if not digits:
        return sign + "0"
    exp = dp - 1
    return sign + (_format_e(digits, dp) if exp < -4 or exp >= 6 else _format_f(digits, dp))


def _json_float(f: float) -> str:
    # encoding/json: 'f' unless the magnitude needs an exponent, then e-07 is tidied to e-7.
    special = _special_float(f)
    if special is not None:
        raise ValueError(f"json: unsupported value: {special}")
    sign = "-" if repr(f).startswith("-") else ""
    digits, dp = _float_digits(f)
    if not digits:
        return sign + "0"
    if abs(f) < 1e-6 or abs(f) >= 1e21:
        text = _format_e(digits, dp)
        if text[-4:-1] == "e-0":
            text = text[:-2] + text[-1]
        return sign + text
    return sign + _format_f(digits, dp)


_JSON_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_JSON_SPECIAL = re.compile('["\\\\<>&\u2028\u2029\x00-\x1f\ud800-\udfff]')


def _json_string(s: str) -> str:
    def escape(m: re.Match[str]) -> str:
        c = m.group()
        if c in _JSON_ESCAPES:
            return _JSON_ESCAPES[c]
        if "\ud800" <= c <= "\udfff":
            return "\\ufffd"
        return f"\\u{ord(c):04x}"

    return '"' + _JSON_SPECIAL.sub(escape, s) + '"'


def go_json(value: Any, indent: str | None = None, _level: int = 0) -> str:
    """Go's json.Marshal (or MarshalIndent with prefix "" and `indent`): sorted keys, HTML-safe escapes."""
    if value is None or value is NO_VALUE:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return _json_float(value)
    if isinstance(value, str):
        return _json_string(value)
    if isinstance(value, dict):
        items = [(_json_string(str(k)), value[k]) for k in sorted(value)]
        if not items:
            return "{}"
        if indent is None:
            return "{" + ",".join(f"{k}:{go_json(v)}" for k, v in items) + "}"
        inner = "\n" + indent * (_level + 1)
        body = ",".join(f"{inner}{k}: {go_json(v, indent, _level + 1)}" for k, v in items)
        return "{" + body + "\n" + indent * _level + "}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        if indent is None:
            return "[" + ",".join(go_json(v) for v in value) + "]"
        inner = "\n" + indent * (_level + 1)
        body = ",".join(f"{inner}{go_json(v, indent, _level + 1)}" for v in value)
        return "[" + body + "\n" + indent * _level + "]"
    return json.dumps(value)


def go_sprint(value: Any) -> str:
    """fmt.Sprint of a decoded JSON value, as custom-columns prints cells: map[k:v], [a b], <nil>."""
    if value is None:
        return "<nil>"
    if value is NO_VALUE:
        return "<invalid reflect.Value>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return go_float(value)
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_sprint(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(go_sprint(v) for v in value) + "]"
    return str(value)


_QUOTE_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def go_quote(s: str) -> str:
    """strconv.Quote (fmt's %q)."""
    out = ['"']
    for c in s:
        if c in '"\\':
            out.append("\\" + c)
        elif c.isprintable():
            out.append(c)
        elif c in _QUOTE_ESCAPES:
            out.append(_QUOTE_ESCAPES[c])
        elif ord(c) < 0x20 or c == "\x7f":
            out.append(f"\\x{ord(c):02x}")
        elif ord(c) < 0x10000:
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(f"\\U{ord(c):08x}")
    out.append('"')
    return "".join(out)


def _go_sharp_v(value: Any) -> str:
    """fmt's %#v of a decoded JSON value held in an interface{}."""
    if value is None or value is NO_VALUE:
        return "interface {}(nil)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return go_float(value)
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, str):
        return go_quote(value)
    if isinstance(value, dict):
        body = ", ".join(f"{go_quote(str(k))}:{_go_sharp_v(value[k])}" for k in sorted(value))
        return "map[string]interface {}{" + body + "}"
    if isinstance(value, list):
        return "[]interface {}{" + ", ".join(_go_sharp_v(v) for v in value) + "}"
    return repr(value)


def _to_text(value: Any) -> str:
    """PrintResults for one value: maps and slices as compact JSON, anything else as fmt.Fprint."""
    if isinstance(value, (dict, list)):
        return go_json(value)
    if value is NO_VALUE:
        return "<no value>"
    if value is None:
        return "null"
    return go_sprint(value)


# --------------------------------------------------------------------------- public API


class Template:
    """A parsed jsonpath template. Every call starts with clean range state.

    Go's JSONPath keeps its range counters and a truncated node list between FindResults calls,
    which leaks into later objects only when one printer prints several objects with a `range`
    template (e.g. `get -w`); kjob deliberately does not reproduce that leak.
    """

    def __init__(self, raw: str, root: _List) -> None:
        self.raw = raw
        self._root = root

    def _find(self, obj: Any, allow_missing: bool) -> list[list[Any]]:
        try:
            return _Engine(self._root.nodes, allow_missing).find(NO_VALUE if obj is None else obj)
        except _Panic as e:
            raise JSONPathError(f"panic: {e}", str(e)) from None

    def find(self, obj: Any, allow_missing: bool = True) -> list[list[Any]]:
        """FindResults: one list of raw values per top-level node or range iteration.

        Errors carry the bare Go text, which is what custom-columns and --sort-by print.
        """
        try:
            results = self._find(obj, allow_missing)
        except _EvalError as e:
            raise JSONPathError(e.reason) from None
        return [[None if v is NO_VALUE else v for v in group] for group in results]

    def execute(self, obj: Any, allow_missing: bool = True) -> str:
        """The text `kubectl ... -o jsonpath=TEMPLATE` prints for obj (no newline added)."""
        return "".join(" ".join(_to_text(v) for v in group) for group in self._results(obj, allow_missing))

    def execute_as_json(self, obj: Any, allow_missing: bool = True) -> str:
        """`-o jsonpath-as-json`: each result group as an indented JSON array on its own lines."""
        return "".join(go_json(group, "    ") + "\n" for group in self._results(obj, allow_missing))

    def _results(self, obj: Any, allow_missing: bool) -> list[list[Any]]:
        try:
            return self._find(obj, allow_missing)
        except _EvalError as e:
            raise JSONPathError(self._execution_message(e.reason, obj), e.reason) from None

    def _execution_message(self, reason: str, obj: Any) -> str:
        # cli-runtime's JSONPathPrinter wording, including its trailing blank lines.
        return (
            f"error executing jsonpath {go_quote(self.raw)}: Error executing template: {reason}. "
            "Printing more information for debugging the template:\n"
            f"\ttemplate was:\n\t\t{self.raw}\n"
            f"\tobject given to jsonpath engine was:\n\t\t{_go_sharp_v(obj)}\n\n\n"
        )


def parse(template: str) -> Template:
    """Parse a template; errors read as `kubectl get -o jsonpath=...` prints them."""
    try:
        root = _Parser(template).parse()
    except _ParseError as e:
        raise JSONPathError(f"error parsing jsonpath {template}, {e}\n", str(e)) from None
    return Template(template, root)


def execute_as_json(template: str | Template, obj: Any, allow_missing: bool = True) -> str:
    """`kubectl ... -o jsonpath-as-json=TEMPLATE` output for obj."""
    parsed = parse(template) if isinstance(template, str) else template
    return parsed.execute_as_json(obj, allow_missing)


_RELAXED = re.compile(r"\{\.?([^{}]+)\}|\.?([^{}]+)")


def relaxed(expr: str) -> str:
    """RelaxedJSONPathExpression: `.a.b`, `a.b` and `{a.b}` all become `{.a.b}` (custom-columns, sort-by)."""
    if not expr:
        return expr
    match = _RELAXED.fullmatch(expr)
    if match is None:
        raise JSONPathError(
            "unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' "
            "or '{.name1.name2}'"
        )
    return "{." + (match.group(1) or match.group(2)) + "}"
