"""Label and field selectors as apimachinery parses, matches and prints them, with its exact error text."""

# Sources (read, not copied): apimachinery pkg/labels/selector.go (lexer, parser, Requirement, String),
# pkg/util/validation/validation.go (IsQualifiedName, IsValidLabelValue), pkg/util/validation/field
# (Error.Error, ErrorList.ToAggregate), pkg/fields/selector.go (splitTerms, splitTerm, UnescapeValue),
# pkg/apis/meta/v1/helpers.go (LabelSelectorAsSelector, FormatLabelSelector), kubernetes
# pkg/apis/batch/v1/conversion.go + pkg/apis/core/v1/conversion.go (which field labels a kind accepts),
# pkg/registry/batch/job/strategy.go + pkg/registry/core/pod/strategy.go (the values they select on),
# cli-runtime resource/helper.go EnhanceListError and builder.go (how kubectl wraps the failures).
#
# Which error class, and why:
# * parse_label_selector / parse_field_selector raise BadRequest. `kubectl get|delete -l/--field-selector`
#   parses nothing itself: it sends both strings to the API server, which answers 400 BadRequest with
#   the parser's text. BadRequest.text keeps that bare text so a caller can re-wrap it.
# * parse_list_selectors (and list_error) raise BadRequest with kubectl's EnhanceListError wording,
#   `Unable to find "batch/v1, Resource=jobs" that match label selector "..", field selector "..": ..`,
#   which is what a user actually sees from `kubectl get jobs -l ..`.
# * client_selector_error gives a PlainError: with -f files kubectl's builder parses the label selector
#   client-side and prints `error: the provided selector "..." is not valid: ...` (verified with kubectl
#   v1.32.4 `create -f job.yaml -l '...'`).
# * selector_from_label_selector raises PlainError: LabelSelectorAsSelector runs in the client/controller,
#   not as an API answer (a stored Job's selector was validated on create, so it is not expected).

from __future__ import annotations

import re

from kjob.errors import BadRequest, PlainError

__all__ = [
    "FieldSelector",
    "LabelSelector",
    "Requirement",
    "client_selector_error",
    "describe_label_selector",
    "format_label_selector",
    "go_quote",
    "go_trim_space",
    "list_error",
    "parse_field_selector",
    "parse_label_selector",
    "parse_list_selectors",
    "selector_from_label_selector",
]

# ---------------------------------------------------------------- Go formatting helpers

_GO_ESCAPES = {"\a": r"\a", "\b": r"\b", "\f": r"\f", "\n": r"\n", "\r": r"\r", "\t": r"\t", "\v": r"\v"}


def go_quote(s: str) -> str:
    """Go's %q (strconv.Quote) of a valid UTF-8 string; str.isprintable stands in for unicode.IsPrint."""
    out = ['"']
    for ch in s:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch in _GO_ESCAPES:
            out.append(_GO_ESCAPES[ch])
        elif ch == " " or ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


# unicode.IsSpace; Python's str.strip() would also eat \x1c-\x1f, which Go keeps.
_GO_SPACE = (
    "\t\n\v\f\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"
)


def go_trim_space(s: str) -> str:
    """strings.TrimSpace, which kubectl applies to -l and --field-selector before using them."""
    return s.strip(_GO_SPACE)


def _go_string_slice(values: list[str] | None) -> str:
    """%#v of a []string, as field.Error prints a bad value that is a list."""
    if values is None:
        return "[]string(nil)"
    return "[]string{" + ", ".join(go_quote(v) for v in values) + "}"


def _invalid(path: str, value: str, detail: str) -> str:
    # field.Invalid(...).Error(); a nil *field.Path prints as "<nil>", which is what the parser passes
    # when it validates a key, hence kubectl's odd `<nil>: Invalid value: ...`.
    return f"{path}: Invalid value: {go_quote(value)}: {detail}"


def _aggregate(messages: list[str]) -> str:
    """ErrorList.ToAggregate().Error(): duplicates dropped, one message bare, several in [a, b]."""
    unique = list(dict.fromkeys(messages))
    return unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"


def _go_len(s: str) -> int:
    # Go's len() counts UTF-8 bytes, and the "no more than N characters" checks use it.
    return len(s.encode("utf-8", "surrogatepass"))


def _go_parse_int(s: str) -> int | None:
    """strconv.ParseInt(s, 10, 64): optional sign, ASCII digits, int64 range; no spaces or underscores."""
    if not re.fullmatch(r"[+-]?[0-9]+", s):
        return None
    n = int(s)
    return n if -(2**63) <= n < 2**63 else None


# ---------------------------------------------------------------- key and value validation

_QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_QUALIFIED_NAME_RE = re.compile(_QUALIFIED_NAME_FMT)
_QUALIFIED_NAME_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character"
)
_LABEL_VALUE_FMT = "(" + _QUALIFIED_NAME_FMT + ")?"
_LABEL_VALUE_RE = re.compile(_LABEL_VALUE_FMT)
_LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character"
)
_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN_FMT = _DNS1123_LABEL_FMT + "(\\." + _DNS1123_LABEL_FMT + ")*"
_DNS1123_SUBDOMAIN_RE = re.compile(_DNS1123_SUBDOMAIN_FMT)
_DNS1123_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character"
)


def _regex_error(msg: str, fmt: str, *examples: str) -> str:
    # validation.RegexError; the doubled space in "'MyName',  or" is upstream's and kubectl shows it.
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    text = msg + " (e.g. "
    for i, example in enumerate(examples):
        if i:
            text += " or "
        text += f"'{example}', "
    return text + f"regex used for validation is '{fmt}')"


def _qualified_name_errors(value: str) -> list[str]:
    """validation.IsQualifiedName as of Kubernetes 1.32 (the label key rules)."""
    errs: list[str] = []
    parts = value.split("/")
    if len(parts) > 2:
        return [
            "a qualified name "
            + _regex_error(_QUALIFIED_NAME_MSG, _QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    name = parts[-1]
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            if _go_len(prefix) > 253:
                errs.append("prefix part must be no more than 253 characters")
            if not _DNS1123_SUBDOMAIN_RE.fullmatch(prefix):
                errs.append(
                    "prefix part "
                    + _regex_error(_DNS1123_SUBDOMAIN_MSG, _DNS1123_SUBDOMAIN_FMT, "example.com")
                )
    if not name:
        errs.append("name part must be non-empty")
    elif _go_len(name) > 63:
        errs.append("name part must be no more than 63 characters")
    if not _QUALIFIED_NAME_RE.fullmatch(name):
        errs.append(
            "name part "
            + _regex_error(_QUALIFIED_NAME_MSG, _QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
        )
    return errs


def _label_value_errors(value: str) -> list[str]:
    """validation.IsValidLabelValue."""
    errs: list[str] = []
    if _go_len(value) > 63:
        errs.append("must be no more than 63 characters")
    if not _LABEL_VALUE_RE.fullmatch(value):
        errs.append(_regex_error(_LABEL_VALUE_MSG, _LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return errs


def _key_error(key: str, path: str) -> str | None:
    errs = _qualified_name_errors(key)
    return _invalid(path, key, "; ".join(errs)) if errs else None


# ---------------------------------------------------------------- label selectors

# selection.Operator spellings; also the order of "expected: in, notin, =, ==, !=, gt, lt".
IN, NOT_IN, EQUALS, DOUBLE_EQUALS, NOT_EQUALS, GREATER_THAN, LESS_THAN = (
    "in",
    "notin",
    "=",
    "==",
    "!=",
    "gt",
    "lt",
)
EXISTS, DOES_NOT_EXIST = "exists", "!"
_BINARY_OPERATORS = (IN, NOT_IN, EQUALS, DOUBLE_EQUALS, NOT_EQUALS, GREATER_THAN, LESS_THAN)
_OPERATOR_TEXT = {
    EQUALS: "=",
    DOUBLE_EQUALS: "==",
    NOT_EQUALS: "!=",
    IN: " in ",
    NOT_IN: " notin ",
    GREATER_THAN: ">",
    LESS_THAN: "<",
}


class Requirement:
    """One `key op values` term. Built only through _new_requirement, which validates like NewRequirement."""

    __slots__ = ("key", "operator", "values")

    def __init__(self, key: str, operator: str, values: tuple[str, ...]) -> None:
        self.key = key
        self.operator = operator
        self.values = values

    def __repr__(self) -> str:
        return f"Requirement({self.key!r}, {self.operator!r}, {self.values!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Requirement):
            return NotImplemented
        return (self.key, self.operator, self.values) == (other.key, other.operator, other.values)

    def __hash__(self) -> int:
        return hash((self.key, self.operator, self.values))

    def matches(self, labels: dict[str, str]) -> bool:
        op = self.operator
        if op in (IN, EQUALS, DOUBLE_EQUALS):
            return self.key in labels and labels[self.key] in self.values
        if op in (NOT_IN, NOT_EQUALS):
            # An absent key satisfies != and notin: `app!=web` selects unlabelled objects too.
            return self.key not in labels or labels[self.key] not in self.values
        if op == EXISTS:
            return self.key in labels
        if op == DOES_NOT_EXIST:
            return self.key not in labels
        if op in (GREATER_THAN, LESS_THAN):
            if self.key not in labels or len(self.values) != 1:
                return False
            have, want = _go_parse_int(labels[self.key]), _go_parse_int(self.values[0])
            if have is None or want is None:
                return False
            return have > want if op == GREATER_THAN else have < want
        return False

    def __str__(self) -> str:
        if self.operator == DOES_NOT_EXIST:
            return "!" + self.key
        if self.operator == EXISTS:
            return self.key
        # Values print sorted (safeSort) but are not de-duplicated: matchExpressions may repeat one.
        values = self.values[0] if len(self.values) == 1 else ",".join(sorted(self.values))
        if self.operator in (IN, NOT_IN):
            values = f"({values})"
        return self.key + _OPERATOR_TEXT[self.operator] + values


def _new_requirement(key: str, op: str, values: list[str] | None, key_path: str = "key") -> Requirement:
    """labels.NewRequirement; raises ValueError carrying the aggregated field errors."""
    errs: list[str] = []
    key_err = _key_error(key, key_path)
    if key_err:
        errs.append(key_err)
    vals = values or []
    if op in (IN, NOT_IN):
        if not vals:
            errs.append(
                f"values: Invalid value: {_go_string_slice(values)}: "
                "for 'in', 'notin' operators, values set can't be empty"
            )
    elif op in (EQUALS, DOUBLE_EQUALS, NOT_EQUALS):
        if len(vals) != 1:
            errs.append(
                f"values: Invalid value: {_go_string_slice(values)}: "
                "exact-match compatibility requires one single value"
            )
    elif op in (EXISTS, DOES_NOT_EXIST):
        if vals:
            errs.append(
                f"values: Invalid value: {_go_string_slice(values)}: "
                "values set must be empty for exists and does not exist"
            )
    elif op in (GREATER_THAN, LESS_THAN):
        if len(vals) != 1:
            errs.append(
                f"values: Invalid value: {_go_string_slice(values)}: "
                "for 'Gt', 'Lt' operators, exactly one value is required"
            )
        for i, v in enumerate(vals):
            if _go_parse_int(v) is None:
                errs.append(
                    _invalid(f"values[{i}]", v, "for 'Gt', 'Lt' operators, the value must be an integer")
                )
    for i, v in enumerate(vals):
        value_errs = _label_value_errors(v)
        if value_errs:
            errs.append(_invalid(f"values[{i}][{key}]", v, "; ".join(value_errs)))
    if errs:
        raise ValueError(_aggregate(errs))
    return Requirement(key, op, tuple(vals))


class LabelSelector:
    """A parsed label selector: requirements ANDed, kept sorted by key as apimachinery keeps them."""

    __slots__ = ("_nothing", "requirements")

    def __init__(self, requirements: list[Requirement] | tuple[Requirement, ...] = (), nothing: bool = False):
        # Python's sort is stable; Go's sort.Sort is too for the <= 12 requirements it insertion-sorts.
        self.requirements: tuple[Requirement, ...] = tuple(sorted(requirements, key=lambda r: r.key))
        # labels.Nothing(): what a nil metav1.LabelSelector becomes; matches nothing, prints "".
        self._nothing = nothing

    @property
    def is_nothing(self) -> bool:
        return self._nothing

    def empty(self) -> bool:
        """True when the selector does not restrict anything (labels.Everything())."""
        return not self._nothing and not self.requirements

    def matches(self, labels: dict[str, str] | None) -> bool:
        if self._nothing:
            return False
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)

    def __repr__(self) -> str:
        return f"LabelSelector({str(self)!r})" if not self._nothing else "LabelSelector(<nothing>)"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LabelSelector):
            return NotImplemented
        return (self._nothing, self.requirements) == (other._nothing, other.requirements)

    def __hash__(self) -> int:
        return hash((self._nothing, self.requirements))


# Lexer tokens.
_ERROR, _EOS, _CLOSE, _COMMA, _NOT, _DEQ, _EQ, _GT, _ID, _IN, _LT, _NEQ, _NOTIN, _OPEN = range(14)
_STRING_TO_TOKEN = {
    ")": _CLOSE,
    ",": _COMMA,
    "!": _NOT,
    "==": _DEQ,
    "=": _EQ,
    ">": _GT,
    "in": _IN,
    "<": _LT,
    "!=": _NEQ,
    "notin": _NOTIN,
    "(": _OPEN,
}
_SPECIAL = frozenset("=!(),><")
_WHITESPACE = frozenset(" \t\r\n")
# The Go lexer reads bytes and returns 0 at the end, so a NUL in the text also acts as end-of-input.
_END = "\0"


def _lex(text: str) -> list[tuple[int, str]]:
    pos = 0
    items: list[tuple[int, str]] = []

    def read() -> str:
        nonlocal pos
        if pos < len(text):
            pos += 1
            return text[pos - 1]
        return _END

    while True:
        ch = read()
        while ch in _WHITESPACE:
            ch = read()
        if ch == _END:
            items.append((_EOS, ""))
            return items
        pos -= 1
        buf = ""
        if ch in _SPECIAL:
            # Longest operator that is a prefix: "!=" beats "!", and "=!" lexes as "=" then "!".
            last: tuple[int, str] | None = None
            while True:
                c = read()
                if c == _END:
                    break
                if c in _SPECIAL:
                    buf += c
                    if buf in _STRING_TO_TOKEN:
                        last = (_STRING_TO_TOKEN[buf], buf)
                    elif last is not None:
                        pos -= 1
                        break
                else:
                    pos -= 1
                    break
            # Every single special character is a token, so the ErrorToken branch cannot trigger.
            items.append(last if last is not None else (_ERROR, f"error expected: keyword found '{buf}'"))
        else:
            while True:
                c = read()
                if c == _END:
                    break
                if c in _SPECIAL or c in _WHITESPACE:
                    pos -= 1
                    break
                buf += c
            items.append((_STRING_TO_TOKEN.get(buf, _ID), buf))


class _SelectorSyntaxError(Exception):
    pass


class _Parser:
    """Recursive descent over the token list, mirroring labels.Parser including its error wording."""

    def __init__(self, text: str) -> None:
        self.items = _lex(text)
        self.position = 0

    def _at(self, index: int, values: bool) -> tuple[int, str]:
        tok, lit = self.items[min(index, len(self.items) - 1)]
        # In a values context the keywords are plain identifiers: `in in (in)` is a valid selector.
        if values and tok in (_IN, _NOTIN):
            tok = _ID
        return tok, lit

    def lookahead(self, values: bool = True) -> tuple[int, str]:
        return self._at(self.position, values)

    def consume(self, values: bool = True) -> tuple[int, str]:
        self.position += 1
        return self._at(self.position - 1, values)

    def parse(self) -> list[Requirement]:
        requirements: list[Requirement] = []
        while True:
            tok, lit = self.lookahead()
            if tok in (_ID, _NOT):
                try:
                    requirements.append(self.parse_requirement())
                except (_SelectorSyntaxError, ValueError) as exc:
                    raise _SelectorSyntaxError(f"unable to parse requirement: {exc}") from None
                tok, lit = self.consume()
                if tok == _EOS:
                    return requirements
                if tok == _COMMA:
                    tok2, lit2 = self.lookahead()
                    if tok2 not in (_ID, _NOT):
                        raise _SelectorSyntaxError(f"found '{lit2}', expected: identifier after ','")
                else:
                    raise _SelectorSyntaxError(f"found '{lit}', expected: ',' or 'end of string'")
            elif tok == _EOS:
                return requirements
            else:
                raise _SelectorSyntaxError(f"found '{lit}', expected: !, identifier, or 'end of string'")

    def parse_requirement(self) -> Requirement:
        key, operator = self.parse_key_and_infer_operator()
        if operator in (EXISTS, DOES_NOT_EXIST):
            return _new_requirement(key, operator, [])
        operator = self.parse_operator()
        values = self.parse_values() if operator in (IN, NOT_IN) else self.parse_exact_value()
        # The parser collects values in a set, so they reach NewRequirement sorted and unique.
        return _new_requirement(key, operator, sorted(values))

    def parse_key_and_infer_operator(self) -> tuple[str, str]:
        operator = ""
        tok, literal = self.consume()
        if tok == _NOT:
            operator = DOES_NOT_EXIST
            tok, literal = self.consume()
        if tok != _ID:
            raise _SelectorSyntaxError(f"found '{literal}', expected: identifier")
        err = _key_error(literal, "<nil>")
        if err:
            raise _SelectorSyntaxError(err)
        if self.lookahead()[0] in (_EOS, _COMMA) and operator != DOES_NOT_EXIST:
            operator = EXISTS
        return literal, operator

    def parse_operator(self) -> str:
        tok, lit = self.consume(values=False)
        ops = {_IN: IN, _EQ: EQUALS, _DEQ: DOUBLE_EQUALS, _GT: GREATER_THAN, _LT: LESS_THAN, _NOTIN: NOT_IN}
        ops[_NEQ] = NOT_EQUALS
        if tok not in ops:
            raise _SelectorSyntaxError(f"found '{lit}', expected: {', '.join(_BINARY_OPERATORS)}")
        return ops[tok]

    def parse_values(self) -> set[str]:
        tok, lit = self.consume()
        if tok != _OPEN:
            raise _SelectorSyntaxError(f"found '{lit}' expected: '('")
        tok, lit = self.lookahead()
        if tok in (_ID, _COMMA):
            values = self.parse_identifiers_list()
            if self.consume()[0] != _CLOSE:  # unreachable: the list only returns before a ')'
                raise _SelectorSyntaxError(f"found '{lit}', expected: ')'")
            return values
        if tok == _CLOSE:
            # `in ()` means "in the empty-string value", not an empty set.
            self.consume()
            return {""}
        raise _SelectorSyntaxError(f"found '{lit}', expected: ',', ')' or identifier")

    def parse_identifiers_list(self) -> set[str]:
        values: set[str] = set()
        while True:
            tok, lit = self.consume()
            if tok == _ID:
                values.add(lit)
                tok2, lit2 = self.lookahead()
                if tok2 == _COMMA:
                    continue
                if tok2 == _CLOSE:
                    return values
                raise _SelectorSyntaxError(f"found '{lit2}', expected: ',' or ')'")
            if tok == _COMMA:
                # An empty slot between commas, or at either end, is the empty-string value.
                if not values:
                    values.add("")
                tok2 = self.lookahead()[0]
                if tok2 == _CLOSE:
                    values.add("")
                    return values
                if tok2 == _COMMA:
                    values.add("")
                continue
            raise _SelectorSyntaxError(f"found '{lit}', expected: ',', or identifier")

    def parse_exact_value(self) -> set[str]:
        if self.lookahead()[0] in (_EOS, _COMMA):
            return {""}
        tok, lit = self.consume()
        if tok == _ID:
            return {lit}
        raise _SelectorSyntaxError(f"found '{lit}', expected: identifier")


def _label_parse_message(text: str) -> tuple[LabelSelector | None, str]:
    try:
        return LabelSelector(_Parser(text).parse()), ""
    except _SelectorSyntaxError as exc:
        return None, str(exc)


def parse_label_selector(text: str) -> LabelSelector:
    """labels.Parse. Raises BadRequest whose .text is the server's message, e.g.
    `unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt`."""
    selector, message = _label_parse_message(text)
    if selector is None:
        raise BadRequest(message)
    return selector


def selector_from_label_selector(sel: dict[str, object] | None) -> LabelSelector:
    """metav1.LabelSelectorAsSelector: None selects nothing, {} selects everything. Raises PlainError."""
    if sel is None:
        return LabelSelector(nothing=True)
    match_labels = sel.get("matchLabels") or {}
    match_expressions = sel.get("matchExpressions") or []
    if not isinstance(match_labels, dict) or not isinstance(match_expressions, list):
        raise PlainError("invalid label selector")
    requirements: list[Requirement] = []
    try:
        for key, value in match_labels.items():
            requirements.append(_new_requirement(str(key), EQUALS, [str(value)]))
        for expr in match_expressions:
            expr = expr if isinstance(expr, dict) else {}
            operator = expr.get("operator", "")
            op = {"In": IN, "NotIn": NOT_IN, "Exists": EXISTS, "DoesNotExist": DOES_NOT_EXIST}.get(
                str(operator)
            )
            if op is None:
                raise ValueError(f"{go_quote(str(operator))} is not a valid label selector operator")
            raw = expr.get("values")
            # append([]string(nil), values...) is nil when there are none: the error then says []string(nil).
            values = [str(v) for v in raw] if isinstance(raw, list) and raw else None
            requirements.append(_new_requirement(str(expr.get("key", "")), op, values))
    except ValueError as exc:
        raise PlainError(str(exc)) from None
    return LabelSelector(requirements)


def format_label_selector(sel: dict[str, object] | None) -> str:
    """metav1.FormatLabelSelector, the `-o wide` SELECTOR cell: `<none>` when empty, `<error>` if invalid."""
    try:
        text = str(selector_from_label_selector(sel))
    except PlainError:
        return "<error>"
    return text or "<none>"


def describe_label_selector(sel: dict[str, object] | None) -> str:
    """The `Selector:` value of `kubectl describe job`: the same string, but empty instead of `<none>`,
    and `Failed to get selector: <why>` for a selector that does not convert."""
    try:
        return str(selector_from_label_selector(sel))
    except PlainError as exc:
        # describe prints the conversion error in place of the selector (kubectl v1.32.4, verified).
        return "Failed to get selector: " + exc.message.removeprefix("error: ")


# ---------------------------------------------------------------- field selectors


def _job_fields(obj: dict[str, object]) -> dict[str, str]:
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    status = obj.get("status") if isinstance(obj.get("status"), dict) else {}
    assert isinstance(meta, dict) and isinstance(status, dict)
    succeeded = status.get("succeeded") or 0
    return {
        "metadata.name": str(meta.get("name") or ""),
        "metadata.namespace": str(meta.get("namespace") or ""),
        # JobToSelectableFields: the label says "successful", the value is strconv.Itoa(status.succeeded).
        "status.successful": str(int(succeeded)) if isinstance(succeeded, (int, float)) else str(succeeded),
    }


def _pod_fields(obj: dict[str, object]) -> dict[str, str]:
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    status = obj.get("status") if isinstance(obj.get("status"), dict) else {}
    assert isinstance(meta, dict) and isinstance(spec, dict) and isinstance(status, dict)
    # The v1->internal conversion makes status.podIP authoritative and falls back to podIPs[0].
    pod_ip = status.get("podIP") or ""
    pod_ips = status.get("podIPs")
    if not pod_ip and isinstance(pod_ips, list) and pod_ips and isinstance(pod_ips[0], dict):
        pod_ip = pod_ips[0].get("ip") or ""
    return {
        "metadata.name": str(meta.get("name") or ""),
        "metadata.namespace": str(meta.get("namespace") or ""),
        "spec.nodeName": str(spec.get("nodeName") or ""),
        "spec.restartPolicy": str(spec.get("restartPolicy") or ""),
        "spec.schedulerName": str(spec.get("schedulerName") or ""),
        "spec.serviceAccountName": str(spec.get("serviceAccountName") or ""),
        "spec.hostNetwork": "true" if spec.get("hostNetwork") is True else "false",
        "status.phase": str(status.get("phase") or ""),
        "status.podIP": str(pod_ip),
        "status.nominatedNodeName": str(status.get("nominatedNodeName") or ""),
        # status.podIPs is accepted by the conversion func but never set here, so it reads "".
    }


def _job_label(label: str) -> str:
    """pkg/apis/batch/v1 conversion func for Job."""
    if label in ("metadata.name", "metadata.namespace", "status.successful"):
        return label
    raise ValueError(f"field label {go_quote(label)} not supported for Job")


_POD_LABELS = frozenset(
    {
        "metadata.name",
        "metadata.namespace",
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "spec.hostNetwork",
        "status.phase",
        "status.podIP",
        "status.podIPs",
        "status.nominatedNodeName",
    }
)


def _core_label(label: str, supported: frozenset[str]) -> str:
    """What pkg/apis/core/v1's conversion funcs do with a label: keep one they know, refuse the rest."""
    if label in supported:
        return label
    raise ValueError(f"field label not supported: {label}")


def _pod_label(label: str) -> str:
    """pkg/apis/core/v1 conversion func for Pod."""
    if label == "spec.host":
        # Kept upstream for pre-1.0 clients: silently means spec.nodeName.
        return "spec.nodeName"
    return _core_label(label, _POD_LABELS)


_EVENT_LABELS = frozenset(
    {
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
        "metadata.namespace",
        "metadata.name",
    }
)


def _event_label(label: str) -> str:
    """pkg/apis/core/v1 conversion func for Event."""
    return _core_label(label, _EVENT_LABELS)


def _event_fields(obj: dict[str, object]) -> dict[str, str]:
    """pkg/registry/core/event ToSelectableFields: `source` falls back to the reporting controller."""

    def part(key: str) -> dict[str, object]:
        value = obj.get(key)
        return value if isinstance(value, dict) else {}

    meta, involved, source = part("metadata"), part("involvedObject"), part("source")
    fields = {
        label: str(involved.get(label.removeprefix("involvedObject.")) or "")
        for label in _EVENT_LABELS
        if label.startswith("involvedObject.")
    }
    return {
        **fields,
        "reason": str(obj.get("reason") or ""),
        "reportingComponent": str(obj.get("reportingComponent") or ""),
        "source": str(source.get("component") or obj.get("reportingComponent") or ""),
        "type": str(obj.get("type") or ""),
        "metadata.name": str(meta.get("name") or ""),
        "metadata.namespace": str(meta.get("namespace") or ""),
    }


_KINDS = {
    "jobs": ("batch/v1, Resource=jobs", _job_label, _job_fields),
    "pods": ("/v1, Resource=pods", _pod_label, _pod_fields),
    "events": ("/v1, Resource=events", _event_label, _event_fields),
}
_KIND_ALIASES = {
    "job": "jobs",
    "jobs.batch": "jobs",
    "pod": "pods",
    "po": "pods",
    "event": "events",
    "ev": "events",
}


def _kind(kind: str) -> str:
    name = _KIND_ALIASES.get(kind, kind)
    if name not in _KINDS:
        raise ValueError(f"field selectors are only known for jobs, pods and events, not {kind!r}")
    return name


def _escape_field_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


class FieldSelector:
    """Parsed `field=value` / `field!=value` terms (ANDed), already converted for one kind."""

    __slots__ = ("kind", "terms")

    def __init__(self, kind: str, terms: list[tuple[str, str, str]] | tuple[tuple[str, str, str], ...] = ()):
        self.kind = _kind(kind)
        # (field, "=" or "!=", value); "==" is stored as "=" exactly as upstream's hasTerm does.
        self.terms: tuple[tuple[str, str, str], ...] = tuple(terms)

    def empty(self) -> bool:
        return not self.terms

    def fields_of(self, obj: dict[str, object]) -> dict[str, str]:
        return _KINDS[self.kind][2](obj)

    def matches(self, obj: dict[str, object]) -> bool:
        if not self.terms:
            return True
        fields = self.fields_of(obj)
        for field, op, value in self.terms:
            # fields.Set.Get gives "" for a field the kind does not expose (pods' status.podIPs).
            have = fields.get(field, "")
            if (have == value) != (op == "="):
                return False
        return True

    def requires_exact_match(self, field: str) -> str | None:
        for f, op, value in self.terms:
            if f == field and op == "=":
                return value
        return None

    def __str__(self) -> str:
        return ",".join(f"{f}{op}{_escape_field_value(v)}" for f, op, v in self.terms)

    def __repr__(self) -> str:
        return f"FieldSelector({self.kind!r}, {str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FieldSelector):
            return NotImplemented
        return (self.kind, self.terms) == (other.kind, other.terms)

    def __hash__(self) -> int:
        return hash((self.kind, self.terms))


def _split_terms(text: str) -> list[str]:
    # Commas split terms unless backslash-escaped; the backslash stays for _unescape to handle.
    if not text:
        return []
    terms: list[str] = []
    start = 0
    in_slash = False
    for i, c in enumerate(text):
        if in_slash:
            in_slash = False
        elif c == "\\":
            in_slash = True
        elif c == ",":
            terms.append(text[start:i])
            start = i + 1
    terms.append(text[start:])
    return terms


def _split_term(term: str) -> tuple[str, str, str] | None:
    # The first position where any operator starts wins, "!=" then "==" then "=" at that position.
    for i in range(len(term)):
        for op in ("!=", "==", "="):
            if term.startswith(op, i):
                return term[:i], op, term[i + len(op) :]
    return None


def _unescape(value: str) -> str:
    if not any(c in value for c in "\\,="):
        return value
    out: list[str] = []
    in_slash = False
    for c in value:
        if in_slash:
            if c not in "\\,=":
                raise ValueError(f"invalid field selector: invalid escape sequence: \\{c}")
            out.append(c)
            in_slash = False
        elif c == "\\":
            in_slash = True
        elif c in ",=":
            # Go prints the rune with %v, i.e. as its number: `=` shows as 61.
            raise ValueError(f"invalid field selector: unescaped character in value: {ord(c)}")
        else:
            out.append(c)
    if in_slash:
        raise ValueError("invalid field selector: invalid escape sequence: \\")
    return "".join(out)


def _field_parse_message(text: str, kind: str) -> tuple[FieldSelector | None, str]:
    """(selector, "") or (None, the server's error text)."""
    name = _kind(kind)
    parts = sorted(_split_terms(text))
    raw: list[tuple[str, str, str]] = []
    for part in parts:
        if not part:
            continue
        split = _split_term(part)
        if split is None:
            return None, f"invalid selector: '{text}'; can't understand '{part}'"
        lhs, op, rhs = split
        try:
            value = _unescape(rhs)
        except ValueError as exc:
            return None, str(exc)
        raw.append((lhs, "!=" if op == "!=" else "=", value))
    convert = _KINDS[name][1]
    terms: list[tuple[str, str, str]] = []
    for field, op, value in raw:
        try:
            terms.append((convert(field), op, value))
        except ValueError as exc:
            return None, str(exc)
    return FieldSelector(name, terms), ""


def parse_field_selector(text: str, kind: str) -> FieldSelector:
    """fields.ParseSelector plus the server's per-kind field-label conversion. Raises BadRequest whose
    .text is the server's message: `field label "foo" not supported for Job` (jobs),
    `field label not supported: foo` (pods), or a grammar error such as
    `invalid selector: 'foo'; can't understand 'foo'`. `kind` is "jobs" or "pods"; any other kind is a
    programming error (ValueError)."""
    selector, message = _field_parse_message(text, kind)
    if selector is None:
        raise BadRequest(message)
    return selector


# ---------------------------------------------------------------- kubectl's wrapping


def list_error(err: BadRequest, kind: str, label_selector: str, field_selector: str) -> BadRequest:
    """cli-runtime EnhanceListError: how `kubectl get|delete KIND -l .. --field-selector ..` shows a 400."""
    resource = _KINDS[_kind(kind)][0]
    if not label_selector and not field_selector:
        return BadRequest(f"Unable to list {go_quote(resource)}: {err.text}")
    return BadRequest(
        f"Unable to find {go_quote(resource)} that match label selector {go_quote(label_selector)}, "
        f"field selector {go_quote(field_selector)}: {err.text}"
    )


def parse_list_selectors(
    label_selector: str, field_selector: str, kind: str
) -> tuple[LabelSelector, FieldSelector]:
    """Both selectors of a list request, failing the way kubectl + the API server do.

    kubectl trims both flags (strings.TrimSpace) before sending them; the server decodes the label selector
    first, then the field selector, then converts the field labels, so the first failure in that order is
    reported, wrapped by list_error."""
    label_selector, field_selector = go_trim_space(label_selector), go_trim_space(field_selector)
    try:
        labels = parse_label_selector(label_selector)
        fields = parse_field_selector(field_selector, kind)
    except BadRequest as exc:
        raise list_error(exc, kind, label_selector, field_selector) from None
    return labels, fields


def client_selector_error(selector: str, err: BadRequest) -> PlainError:
    """The message kubectl's resource builder gives when it parses -l itself (input from -f files)."""
    return PlainError(f"the provided selector {go_quote(selector)} is not valid: {err.text}")
