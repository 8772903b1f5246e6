"""Tests for kjob.selectors: label/field selector parsing, matching, printing and error text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kjob.errors import BadRequest, KjobError, PlainError
from kjob.selectors import (
    FieldSelector,
    LabelSelector,
    client_selector_error,
    describe_label_selector,
    format_label_selector,
    go_quote,
    parse_field_selector,
    parse_label_selector,
    parse_list_selectors,
    selector_from_label_selector,
)

# Where the expectations come from:
# * KUBECTL_PARSE_ERRORS, KUBECTL_VALID and MATCH_CASES were produced by kubectl v1.32.4 itself:
#   `kubectl create -f job.json -l SEL --dry-run=client` parses -l client-side with labels.Parse and
#   filters the objects of the file by it, so it is an oracle for both the error text and matching
#   (tables captured from ~3000 generated selectors, 0 differences).
# * The selector_from_label_selector/describe cases were checked with `kubectl describe job` against a
#   stub API server; the "Unable to find ..." wrapping with `kubectl get` against the same stub.
# * Field selector behaviour is from the Go source only (fields/selector.go, the batch/v1 and core/v1
#   field-label conversion funcs, the job and pod strategies): kubectl never parses field selectors.

NAME_RULE = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
VALUE_RULE = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used "
    "for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)

# (selector, the text labels.Parse returns), verbatim from kubectl v1.32.4.
KUBECTL_PARSE_ERRORS: list[tuple[str, str]] = [
    ("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"),
    ("app=x y", "found 'y', expected: ',' or 'end of string'"),
    ("!", "unable to parse requirement: found '', expected: identifier"),
    ("a=b,", "found '', expected: identifier after ','"),
    (
        "a>x",
        "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer",
    ),
    ("-a", 'unable to parse requirement: <nil>: Invalid value: "-a": ' + NAME_RULE),
    (
        "a/b/c",
        "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ),
    ("/a", 'unable to parse requirement: <nil>: Invalid value: "/a": prefix part must be non-empty'),
    (
        "a/",
        'unable to parse requirement: <nil>: Invalid value: "a/": name part must be non-empty; ' + NAME_RULE,
    ),
    (
        "Example.com/a",
        "unable to parse requirement: <nil>: Invalid value: \"Example.com/a\": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    ),
    ("app=-x", 'unable to parse requirement: values[0][app]: Invalid value: "-x": ' + VALUE_RULE),
    (
        "a<1,a>b",
        "unable to parse requirement: values[0]: Invalid value: \"b\": for 'Gt', 'Lt' operators, the value must be an integer",
    ),
    ("a in (b", "unable to parse requirement: found '', expected: ',' or ')'"),
    ("a in b", "unable to parse requirement: found 'b' expected: '('"),
    (",a", "found ',', expected: !, identifier, or 'end of string'"),
    ("a=b=c", "found '=', expected: ',' or 'end of string'"),
    ("a=!b", "unable to parse requirement: found '!', expected: identifier"),
    ("!a=b", "found '=', expected: ',' or 'end of string'"),
    ("!a in (b)", "found 'in', expected: ',' or 'end of string'"),
    (
        "a>-x",
        "unable to parse requirement: [values[0]: Invalid value: \"-x\": for 'Gt', 'Lt' operators, the value must be an integer, values[0][a]: Invalid value: \"-x\": "
        + VALUE_RULE
        + "]",
    ),
    (
        "a in (-x,-y)",
        'unable to parse requirement: [values[0][a]: Invalid value: "-x": '
        + VALUE_RULE
        + ', values[1][a]: Invalid value: "-y": '
        + VALUE_RULE
        + "]",
    ),
    ("a>-1", 'unable to parse requirement: values[0][a]: Invalid value: "-1": ' + VALUE_RULE),
    ("!!a", "unable to parse requirement: found '!', expected: identifier"),
    ("a in (,", "unable to parse requirement: found '', expected: ',', or identifier"),
    ("a in in", "unable to parse requirement: found 'in' expected: '('"),
    ("x=é", 'unable to parse requirement: values[0][x]: Invalid value: "é": ' + VALUE_RULE),
    ("é", 'unable to parse requirement: <nil>: Invalid value: "é": ' + NAME_RULE),
    ("a=b,,c", "found ',', expected: identifier after ','"),
    ("a in (b c)", "unable to parse requirement: found 'c', expected: ',' or ')'"),
    (
        "a<99999999999999999999",
        "unable to parse requirement: values[0]: Invalid value: \"99999999999999999999\": for 'Gt', 'Lt' operators, the value must be an integer",
    ),
    ("a>+5", 'unable to parse requirement: values[0][a]: Invalid value: "+5": ' + VALUE_RULE),
    (
        "a>1_0",
        "unable to parse requirement: values[0]: Invalid value: \"1_0\": for 'Gt', 'Lt' operators, the value must be an integer",
    ),
    (
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=b",
        'unable to parse requirement: <nil>: Invalid value: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa": name part must be no more than 63 characters',
    ),
    (
        "a=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        'unable to parse requirement: values[0][a]: Invalid value: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa": must be no more than 63 characters',
    ),
    (
        "a=-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        'unable to parse requirement: values[0][a]: Invalid value: "-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa": must be no more than 63 characters; '
        + VALUE_RULE,
    ),
    (
        "a..b/c=d",
        "unable to parse requirement: <nil>: Invalid value: \"a..b/c\": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    ),
    (
        "a_b/c",
        "unable to parse requirement: <nil>: Invalid value: \"a_b/c\": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    ),
    (
        "A.com/c",
        "unable to parse requirement: <nil>: Invalid value: \"A.com/c\": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    ),
    (
        "-a/b",
        "unable to parse requirement: <nil>: Invalid value: \"-a/b\": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    ),
    ("a/-b", 'unable to parse requirement: <nil>: Invalid value: "a/-b": ' + NAME_RULE),
    (
        "a/b/",
        "unable to parse requirement: <nil>: Invalid value: \"a/b/\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ),
    ("(", "found '(', expected: !, identifier, or 'end of string'"),
    ("()", "found '(', expected: !, identifier, or 'end of string'"),
    (")", "found ')', expected: !, identifier, or 'end of string'"),
    ("a(", "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt"),
    ("a)", "unable to parse requirement: found ')', expected: in, notin, =, ==, !=, gt, lt"),
    ("=a", "found '=', expected: !, identifier, or 'end of string'"),
    ("a=(b)", "unable to parse requirement: found '(', expected: identifier"),
    ("a in (b))", "found ')', expected: ',' or 'end of string'"),
    ("a in ((b)", "unable to parse requirement: found '(', expected: ',', ')' or identifier"),
    ("a notin", "unable to parse requirement: found '' expected: '('"),
    ("a in", "unable to parse requirement: found '' expected: '('"),
    ("a=b c", "found 'c', expected: ',' or 'end of string'"),
    ("!a !b", "found '!', expected: ',' or 'end of string'"),
    (
        "a<b",
        "unable to parse requirement: values[0]: Invalid value: \"b\": for 'Gt', 'Lt' operators, the value must be an integer",
    ),
    ("a<-1", 'unable to parse requirement: values[0][a]: Invalid value: "-1": ' + VALUE_RULE),
    ("a<=1", "unable to parse requirement: found '=', expected: identifier"),
    ("a>=1", "unable to parse requirement: found '=', expected: identifier"),
    ("a=>1", "unable to parse requirement: found '>', expected: identifier"),
    ("a!==b", "unable to parse requirement: found '=', expected: identifier"),
    ("a===b", "unable to parse requirement: found '=', expected: identifier"),
    ("a=!", "unable to parse requirement: found '!', expected: identifier"),
    ("a in (b,c", "unable to parse requirement: found '', expected: ',' or ')'"),
    (".a", 'unable to parse requirement: <nil>: Invalid value: ".a": ' + NAME_RULE),
    ("a.", 'unable to parse requirement: <nil>: Invalid value: "a.": ' + NAME_RULE),
    ("a/b.", 'unable to parse requirement: <nil>: Invalid value: "a/b.": ' + NAME_RULE),
    (
        "ex..com/a",
        "unable to parse requirement: <nil>: Invalid value: \"ex..com/a\": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    ),
    ("a\xa0=b", 'unable to parse requirement: <nil>: Invalid value: "a\\u00a0": ' + NAME_RULE),
]

# Selectors kubectl v1.32.4 accepts.
KUBECTL_VALID: list[str] = [
    "a in ()",
    "a in (,)",
    "a notin (in,notin)",
    "in in (in)",
    "a==b",
    "a!=b",
    "a,b",
    "!a,b=c",
    "a  =  b",
    "\ta\t=\tb\n",
    "a in(b,c)",
    "a in ( b , c )",
    "a=",
    "a!=",
    "a==",
    "a>1",
    "a in (b,b,c)",
    "a in (a,,b)",
    "a in (,a)",
    "a in (a,)",
    "a=b,b=c,a=d",
    "batch.kubernetes.io/job-name=pi",
    "batch.kubernetes.io/job-name in (pi,pi-2)",
    "v=1.2.3",
    "k=a_b-c.d",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=b",
    "a notin ()",
    "a =",
    "a,!b,c in (d)",
    "a>01",
    "1a=2b",
    "ex.com/a=b",
    "ex.com/A_b.c-d",
    "\xa0a",
    "a=b\u3000",
]

JOB_LABELS = {"app": "web", "tier": "3", "batch.kubernetes.io/job-name": "pi", "v": "1.2.3", "empty": ""}
MATCH_CASES: list[tuple[str, dict[str, str], bool]] = [
    ("", JOB_LABELS, True),
    ("app=web", JOB_LABELS, True),
    ("app==web", JOB_LABELS, True),
    ("app=api", JOB_LABELS, False),
    ("app!=api", JOB_LABELS, True),
    ("app!=web", JOB_LABELS, False),
    ("missing!=x", JOB_LABELS, True),
    ("missing=", JOB_LABELS, False),
    ("empty=", JOB_LABELS, True),
    ("empty!=", JOB_LABELS, False),
    ("app", JOB_LABELS, True),
    ("missing", JOB_LABELS, False),
    ("!missing", JOB_LABELS, True),
    ("!app", JOB_LABELS, False),
    ("app in (api,web)", JOB_LABELS, True),
    ("app in (api)", JOB_LABELS, False),
    ("app notin (api)", JOB_LABELS, True),
    ("app notin (web,api)", JOB_LABELS, False),
    ("missing notin (x)", JOB_LABELS, True),
    ("missing in (x)", JOB_LABELS, False),
    ("empty in ()", JOB_LABELS, True),
    ("app in ()", JOB_LABELS, False),
    ("missing in ()", JOB_LABELS, False),
    ("missing notin ()", JOB_LABELS, True),
    ("empty notin (,x)", JOB_LABELS, False),
    ("tier>2", JOB_LABELS, True),
    ("tier>3", JOB_LABELS, False),
    ("tier<4", JOB_LABELS, True),
    ("tier<3", JOB_LABELS, False),
    ("tier>02", JOB_LABELS, True),
    ("app>0", JOB_LABELS, False),
    ("missing<10", JOB_LABELS, False),
    ("v=1.2.3", JOB_LABELS, True),
    ("batch.kubernetes.io/job-name=pi", JOB_LABELS, True),
    ("batch.kubernetes.io/job-name in (pi,pi-2),app", JOB_LABELS, True),
    ("batch.kubernetes.io/job-name=pi,app=api", JOB_LABELS, False),
    ("app=web,app=api", JOB_LABELS, False),
    ("app=web,app!=api", JOB_LABELS, True),
    (" app = web , tier in ( 1 , 3 ) ", JOB_LABELS, True),
    ("\tapp\t=\tweb\n", JOB_LABELS, True),
    ("in in (in)", {"in": "in"}, True),
    ("notin notin (in)", {"notin": "x"}, True),
    ("app", {}, False),
    ("!app", {}, True),
    ("tier>5", {"tier": "10"}, True),
    ("tier>5", {"tier": "+10"}, True),
    ("tier>5", {"tier": "1_0"}, False),
    ("tier>5", {"tier": "99999999999999999999"}, False),
    ("tier<0", {"tier": "-3"}, True),
]


@pytest.mark.parametrize(("text", "message"), KUBECTL_PARSE_ERRORS)
def test_parse_errors_match_kubectl(text: str, message: str) -> None:
    with pytest.raises(BadRequest) as info:
        parse_label_selector(text)
    assert info.value.text == message
    assert info.value.message == "Error from server (BadRequest): " + message


@pytest.mark.parametrize("text", KUBECTL_VALID)
def test_kubectl_valid_selectors_parse(text: str) -> None:
    parse_label_selector(text.strip())


@pytest.mark.parametrize(("text", "labels", "expected"), MATCH_CASES)
def test_matches(text: str, labels: dict[str, str], expected: bool) -> None:
    assert parse_label_selector(text.strip()).matches(labels) is expected


def test_client_side_error_shape() -> None:
    # kubectl create/delete -f FILE -l SEL prints exactly this (captured).
    with pytest.raises(BadRequest) as info:
        parse_label_selector("a b")
    err = client_selector_error("a b", info.value)
    assert isinstance(err, PlainError)
    assert err.message == (
        'error: the provided selector "a b" is not valid: unable to parse requirement: '
        "found 'b', expected: in, notin, =, ==, !=, gt, lt"
    )


@pytest.mark.parametrize(
    ("text", "rendered"),
    [
        ("", ""),
        ("b=2,a=1", "a=1,b=2"),
        ("a==b", "a==b"),
        ("a!=b", "a!=b"),
        ("a=", "a="),
        ("x,!y", "x,!y"),
        ("z notin (c,a,b,a)", "z notin (a,b,c)"),
        ("a in ()", "a in ()"),
        ("a in (,)", "a in ()"),
        ("a in (x,,y)", "a in (,x,y)"),
        ("a in (x,)", "a in (,x)"),
        ("a>1,a<5", "a>1,a<5"),
        ("  k  in  ( b , a )  ", "k in (a,b)"),
        ("in in (in,notin)", "in in (in,notin)"),
        ("app=b,app=a", "app=b,app=a"),  # same key: stable, as Go's insertion sort is for short lists
        ("batch.kubernetes.io/job-name=pi,app=web", "app=web,batch.kubernetes.io/job-name=pi"),
        ("v=1.2.3", "v=1.2.3"),
    ],
)
def test_string_is_sorted_canonical_form(text: str, rendered: str) -> None:
    selector = parse_label_selector(text)
    assert str(selector) == rendered
    assert parse_label_selector(str(selector)) == selector


def test_empty_selector() -> None:
    everything = parse_label_selector("")
    assert everything.empty()
    assert everything.matches({}) and everything.matches({"a": "b"})
    nothing = selector_from_label_selector(None)
    assert nothing.is_nothing and not nothing.empty()
    assert not nothing.matches({}) and str(nothing) == ""


def test_nul_ends_the_input_like_the_go_lexer() -> None:
    # The Go lexer returns byte 0 for end of input, so a NUL where a token starts ends the selector.
    assert str(parse_label_selector("a \x00b")) == "a"


def test_key_length_and_prefix_limits() -> None:
    parse_label_selector("a" * 63)
    parse_label_selector("p" * 253 + "/n")
    with pytest.raises(BadRequest, match="prefix part must be no more than 253 characters"):
        parse_label_selector("p" * 254 + "/n")
    with pytest.raises(BadRequest, match="name part must be no more than 63 characters"):
        parse_label_selector("a" * 64)


# ---------------------------------------------------------------- metav1.LabelSelector dicts


@pytest.mark.parametrize(
    ("sel", "described", "wide"),
    [
        (None, "", "<none>"),
        ({}, "", "<none>"),
        ({"matchLabels": {}}, "", "<none>"),
        (
            {"matchLabels": {"b": "2", "a": "1", "batch.kubernetes.io/controller-uid": "u-1"}},
            "a=1,b=2,batch.kubernetes.io/controller-uid=u-1",
            "a=1,b=2,batch.kubernetes.io/controller-uid=u-1",
        ),
        (
            {
                "matchExpressions": [
                    {"key": "z", "operator": "In", "values": ["c", "a", "b", "a"]},
                    {"key": "m", "operator": "NotIn", "values": ["y", "x"]},
                ]
            },
            "m notin (x,y),z in (a,a,b,c)",
            "m notin (x,y),z in (a,a,b,c)",
        ),
        (
            {
                "matchExpressions": [
                    {"key": "e", "operator": "Exists"},
                    {"key": "d", "operator": "DoesNotExist"},
                ]
            },
            "!d,e",
            "!d,e",
        ),
        (
            {
                "matchLabels": {"k": "v"},
                "matchExpressions": [
                    {"key": "k", "operator": "In", "values": ["w"]},
                    {"key": "k", "operator": "Exists"},
                ],
            },
            "k=v,k in (w),k",
            "k=v,k in (w),k",
        ),
        ({"matchExpressions": [{"key": "k", "operator": "In", "values": [""]}]}, "k in ()", "k in ()"),
    ],
)
def test_format_and_describe(sel: dict[str, object] | None, described: str, wide: str) -> None:
    assert describe_label_selector(sel) == described
    assert format_label_selector(sel) == wide


@pytest.mark.parametrize(
    ("sel", "error"),
    [
        (
            {"matchExpressions": [{"key": "k", "operator": "Gt", "values": ["1"]}]},
            '"Gt" is not a valid label selector operator',
        ),
        (
            {"matchExpressions": [{"key": "k", "operator": "In"}]},
            "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty",
        ),
        (
            {"matchExpressions": [{"key": "k", "operator": "NotIn", "values": []}]},
            "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty",
        ),
        ({"matchLabels": {"-bad": "v"}}, 'key: Invalid value: "-bad": ' + NAME_RULE),
        ({"matchLabels": {"k": "bad value"}}, 'values[0][k]: Invalid value: "bad value": ' + VALUE_RULE),
        (
            {"matchExpressions": [{"key": "k", "operator": "Exists", "values": ["x"]}]},
            'values: Invalid value: []string{"x"}: values set must be empty for exists and does not exist',
        ),
    ],
)
def test_label_selector_dict_errors(sel: dict[str, object], error: str) -> None:
    with pytest.raises(PlainError) as info:
        selector_from_label_selector(sel)
    assert info.value.message == "error: " + error
    assert describe_label_selector(sel) == "Failed to get selector: " + error
    assert format_label_selector(sel) == "<error>"


def test_label_selector_dict_matches() -> None:
    sel = selector_from_label_selector(
        {
            "matchLabels": {"batch.kubernetes.io/controller-uid": "u1"},
            "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]}],
        }
    )
    assert sel.matches({"batch.kubernetes.io/controller-uid": "u1"})
    assert sel.matches({"batch.kubernetes.io/controller-uid": "u1", "tier": "web"})
    assert not sel.matches({"batch.kubernetes.io/controller-uid": "u1", "tier": "db"})
    assert not sel.matches({"controller-uid": "u1"})
    assert selector_from_label_selector({}).matches({"anything": "x"})


# ---------------------------------------------------------------- field selectors


def job(name: str = "pi", namespace: str = "default", succeeded: int | None = None) -> dict[str, object]:
    obj: dict[str, object] = {"metadata": {"name": name, "namespace": namespace}, "spec": {}}
    if succeeded is not None:
        obj["status"] = {"succeeded": succeeded}
    return obj


def pod(**overrides: object) -> dict[str, object]:
    spec: dict[str, object] = {
        "nodeName": "node-1",
        "restartPolicy": "Never",
        "schedulerName": "default-scheduler",
    }
    spec["serviceAccountName"] = "default"
    status: dict[str, object] = {"phase": "Running", "podIP": "10.0.0.7", "podIPs": [{"ip": "10.0.0.7"}]}
    for key, value in overrides.items():
        (status if key in ("phase", "podIP", "podIPs", "nominatedNodeName") else spec)[key] = value
    return {"metadata": {"name": "pi-x7k2p", "namespace": "default"}, "spec": spec, "status": status}


@pytest.mark.parametrize(
    ("text", "obj", "expected"),
    [
        ("", job(), True),
        (",", job(), True),
        ("metadata.name=pi", job(), True),
        ("metadata.name==pi", job(), True),
        ("metadata.name=other", job(), False),
        ("metadata.name!=other", job(), True),
        ("metadata.namespace=default,metadata.name=pi", job(), True),
        ("metadata.namespace=kube-system", job(), False),
        ("status.successful=0", job(), True),  # no status at all reads as 0
        ("status.successful=0", job(succeeded=0), True),
        ("status.successful=2", job(succeeded=2), True),
        ("status.successful!=0", job(succeeded=1), True),
        ("status.successful=1", job(succeeded=2), False),
        ("status.successful=", job(), False),
        ("metadata.name=a\\,b", job(name="a,b"), True),
        ("metadata.name=a\\=b", job(name="a=b"), True),
        ("metadata.name=a\\\\b", job(name="a\\b"), True),
    ],
)
def test_job_field_selectors(text: str, obj: dict[str, object], expected: bool) -> None:
    assert parse_field_selector(text, "jobs").matches(obj) is expected


@pytest.mark.parametrize(
    ("text", "obj", "expected"),
    [
        ("status.phase=Running", pod(), True),
        ("status.phase!=Running", pod(), False),
        ("status.phase=Succeeded", pod(phase="Succeeded"), True),
        ("spec.nodeName=node-1", pod(), True),
        ("spec.nodeName=", pod(nodeName=""), True),
        ("spec.host=node-1", pod(), True),  # legacy alias of spec.nodeName
        ("spec.restartPolicy=Never", pod(), True),
        ("spec.restartPolicy=OnFailure", pod(restartPolicy="OnFailure"), True),
        ("spec.schedulerName=default-scheduler", pod(), True),
        ("spec.serviceAccountName=default", pod(), True),
        ("spec.hostNetwork=false", pod(), True),
        ("spec.hostNetwork=true", pod(hostNetwork=True), True),
        ("spec.hostNetwork=false", pod(hostNetwork=True), False),
        ("status.podIP=10.0.0.7", pod(), True),
        ("status.podIP=10.0.0.9", pod(podIP="", podIPs=[{"ip": "10.0.0.9"}]), True),
        ("status.podIP=", pod(podIP=None, podIPs=None), True),
        ("status.podIPs=10.0.0.7", pod(), False),  # accepted, but the pod strategy never sets it
        ("status.podIPs!=10.0.0.7", pod(), True),
        ("status.nominatedNodeName=", pod(), True),
        ("status.nominatedNodeName=node-2", pod(nominatedNodeName="node-2"), True),
        ("metadata.name=pi-x7k2p,metadata.namespace=default,status.phase=Running", pod(), True),
    ],
)
def test_pod_field_selectors(text: str, obj: dict[str, object], expected: bool) -> None:
    assert parse_field_selector(text, "pods").matches(obj) is expected


_EVENT = {
    "metadata": {"name": "p.18ee3aea9dfe428a", "namespace": "default"},
    "involvedObject": {"kind": "Pod", "namespace": "default", "name": "p", "uid": "u1", "apiVersion": "v1"},
    "reason": "Started",
    "type": "Normal",
    "source": {"component": "kubelet", "host": "node"},
    "reportingComponent": "kubelet",
}


@pytest.mark.parametrize(
    ("text", "obj", "expected"),
    [
        ("involvedObject.kind=Pod", _EVENT, True),
        ("involvedObject.kind=Job", _EVENT, False),
        ("involvedObject.name=p,reason=Started", _EVENT, True),
        ("involvedObject.uid=u1,involvedObject.apiVersion=v1", _EVENT, True),
        ("involvedObject.fieldPath=", _EVENT, True),
        ("type!=Warning", _EVENT, True),
        ("source=kubelet,reportingComponent=kubelet", _EVENT, True),
        ("metadata.name=p.18ee3aea9dfe428a,metadata.namespace=default", _EVENT, True),
        # ToSelectableFields: an event without source.component selects by its reporting controller.
        ("source=job-controller", {**_EVENT, "source": {}, "reportingComponent": "job-controller"}, True),
    ],
)
def test_event_field_selectors(text: str, obj: dict[str, object], expected: bool) -> None:
    assert parse_field_selector(text, "events").matches(obj) is expected
    assert parse_field_selector(text, "ev").matches(obj) is expected


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [
        ("status.succeeded=1", "jobs", 'field label "status.succeeded" not supported for Job'),
        ("spec.nodeName=x", "jobs", 'field label "spec.nodeName" not supported for Job'),
        (" metadata.name=pi", "jobs", 'field label " metadata.name" not supported for Job'),
        ("=x", "jobs", 'field label "" not supported for Job'),
        ("foo=bar", "pods", "field label not supported: foo"),
        ("status.successful=1", "pods", "field label not supported: status.successful"),
        ("=x", "pods", "field label not supported: "),
        ("status.phase=Running", "events", "field label not supported: status.phase"),
        ("involvedObject.Kind=Pod", "events", "field label not supported: involvedObject.Kind"),
        # Terms are sorted before conversion, so the alphabetically first bad label is reported.
        ("zzz=1,aaa=2", "jobs", 'field label "aaa" not supported for Job'),
        ("foo", "jobs", "invalid selector: 'foo'; can't understand 'foo'"),
        ("metadata.name=pi,foo", "pods", "invalid selector: 'metadata.name=pi,foo'; can't understand 'foo'"),
        ("b,a", "pods", "invalid selector: 'b,a'; can't understand 'a'"),
        ("metadata.name=a=b", "jobs", "invalid field selector: unescaped character in value: 61"),
        ("a!=b=c", "pods", "invalid field selector: unescaped character in value: 61"),
        ("metadata.name=a\\x", "jobs", "invalid field selector: invalid escape sequence: \\x"),
        ("metadata.name=a\\", "jobs", "invalid field selector: invalid escape sequence: \\"),
    ],
)
def test_field_selector_errors(text: str, kind: str, message: str) -> None:
    with pytest.raises(BadRequest) as info:
        parse_field_selector(text, kind)
    assert info.value.text == message
    assert info.value.message == "Error from server (BadRequest): " + message


def test_field_selector_string_and_aliases() -> None:
    selector = parse_field_selector("status.phase==Running,spec.host=n1,metadata.name=a\\,b", "pods")
    assert str(selector) == "metadata.name=a\\,b,spec.nodeName=n1,status.phase=Running"
    assert selector.requires_exact_match("spec.nodeName") == "n1"
    assert isinstance(selector, FieldSelector) and selector.kind == "pods"
    assert parse_field_selector("", "job").empty()
    with pytest.raises(ValueError):
        parse_field_selector("", "deployments")


# ---------------------------------------------------------------- kubectl get/delete wording


def test_list_errors_are_wrapped_like_kubectl() -> None:
    # Wrapping, trimming and quoting checked with kubectl v1.32.4 against a stub server answering 400.
    with pytest.raises(BadRequest) as info:
        parse_list_selectors("  a b ", " metadata.name=pi ", "jobs")
    assert info.value.message == (
        'Error from server (BadRequest): Unable to find "batch/v1, Resource=jobs" that match label selector '
        '"a b", field selector "metadata.name=pi": unable to parse requirement: found \'b\', expected: in, '
        "notin, =, ==, !=, gt, lt"
    )
    with pytest.raises(BadRequest) as info:
        parse_list_selectors("", 'x"y=1', "pods")
    assert info.value.message == (
        'Error from server (BadRequest): Unable to find "/v1, Resource=pods" that match label selector "", '
        'field selector "x\\"y=1": field label not supported: x"y'
    )
    # The label selector is decoded first, so its error wins over a bad field selector.
    with pytest.raises(BadRequest, match="found 'b'"):
        parse_list_selectors("a b", "nope", "jobs")
    labels, fields = parse_list_selectors(" app=web ", "", "jobs")
    assert str(labels) == "app=web" and fields.empty()


def test_go_quote() -> None:
    assert go_quote('a"b\\c') == '"a\\"b\\\\c"'
    assert go_quote("\t\n\x01\x7f\u00a0é") == '"\\t\\n\\x01\\x7f\\u00a0é"'


# ---------------------------------------------------------------- properties


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab=!(),<> \tin0-./é")) | st.characters(), max_size=40))
def test_label_parse_only_raises_kjob_errors(text: str) -> None:
    try:
        selector = parse_label_selector(text)
    except KjobError as exc:
        assert isinstance(exc, BadRequest)
        return
    # Whatever parses prints to a string that parses back to the same selector.
    assert parse_label_selector(str(selector)) == selector
    assert isinstance(selector, LabelSelector)


_FIELD_PIECES = st.sampled_from(
    ["=", "!=", "==", ",", "\\", "a", ".", "metadata.name", "status.phase", "spec.host"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_FIELD_PIECES | st.characters(), max_size=12).map("".join))
def test_field_parse_only_raises_kjob_errors(text: str) -> None:
    for kind in ("jobs", "pods"):
        try:
            selector = parse_field_selector(text, kind)
        except KjobError as exc:
            assert isinstance(exc, BadRequest)
            continue
        again = parse_field_selector(str(selector), kind)
        assert set(again.terms) == set(selector.terms)
