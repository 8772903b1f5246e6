"""Tests for kjob.jsonpath, held byte for byte against kubectl v1.32's own jsonpath output.

The oracle: `kubectl label --local -f FIXTURE no-such-label- -o jsonpath=TEMPLATE` evaluates a template
on any object with no cluster. (A root-level `items` list makes kubectl flatten the file into its items,
so list-shaped templates run on golden/jsonpath/fixtures/bundle.json, whose list is called `objects`;
and label adds `metadata.labels: {}` when missing, so every fixture already carries labels.)

`PYTHONPATH=. python tests/test_jsonpath.py` re-runs kubectl for every case in CASES and rewrites
golden/jsonpath/cases.json with its stdout, stderr and exit code. Each case runs several times: Go
walks maps in random order, so a case whose output changes between runs is stored as `unordered`
and compared as a multiset of space-separated words. The tests read only the goldens;
test_live_kubectl_agrees re-asks kubectl itself when it is installed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kjob import jsonpath
from kjob.errors import PlainError
from kjob.jsonpath import JSONPathError, go_json, go_sprint, parse, relaxed

GOLDEN = Path(__file__).parent / "golden" / "jsonpath"
FIXTURES = GOLDEN / "fixtures"
CASES_FILE = GOLDEN / "cases.json"
RUNS_PER_CASE = 6

# (fixture, template, output format, allow missing keys)
Case = tuple[str, str, str, bool]


def _cases() -> list[Case]:
    jp, js = "jsonpath", "jsonpath-as-json"
    job = [
        "{.metadata.name}",
        "{.kind}/{.apiVersion}",
        "{.metadata.labels}",
        "{.metadata.annotations}",
        "{.metadata.labels.batch\\.kubernetes\\.io/job-name}",
        # kubectl re-parses a bracketed key as `.key`, so the dots still split it: prints nothing.
        "{.metadata.labels['batch.kubernetes.io/job-name']}",
        "{.metadata.labels['app']}",
        "{.metadata['name','namespace']}",
        "{.metadata.labels['app','batch.kubernetes.io/job-name']}",
        "{.spec.completions}",
        "{.spec.suspend}",
        "{.status.succeeded}/{.spec.completions}",
        '{.status.conditions[?(@.type=="Complete")].status}',
        "{.status.conditions[?(@.type=='Complete')].reason}",
        '{.status.conditions[?(@.type!="Complete")].type}',
        '{.status.conditions[?(@.status=="True")].type}',
        "{.status.conditions[?(@.reason)].type}",
        '{.status.conditions[?(@.type == "Complete")].message}',
        '{.status.conditions[?(@.type=="Complete")]}',
        "{.status.conditions[*].type}",
        '{range .status.conditions[*]}{.type}{"\\t"}{.status}{"\\n"}{end}',
        "{.status.conditions[0]}",
        "{.status.conditions[-1].type}",
        "{.status.conditions[0:1].type}",
        "{.status.conditions[5]}",
        "{.status.uncountedTerminatedPods}",
        "{.spec.template.spec.containers[*].name}",
        "{.spec.template.spec.containers[0].command}",
        "{.spec.template.spec.containers[0].command[*]}",
        "{.spec.template.spec.containers[0].command[2]}",
        '{.spec.template.spec.containers[?(@.name=="sidecar")].args}',
        '{.spec.template.spec.containers[?(@.image=="busybox")].name}',
        "{.spec.template.spec.containers[0].resources.requests.cpu}",
        "{.spec.template.spec.containers[0].resources}",
        "{.spec.template.spec.containers[1,0].name}",
        "{.spec.template.spec.containers[*]['name','image']}",
        '{range .spec.template.spec.containers[*]}{.name}:{.image}{"\\n"}{end}',
        '{range .spec.template.spec.containers[*]}{.name}[{range .command[*]}<{@}>{end}]{"\\n"}{end}',
        "{range .status.conditions[*]}{$.metadata.name},{end}",
        "{..image}",
        "{..name}",
        "{.metadata.labels.*}",
        "{.metadata.name.*}",
        "{.metadata.creationTimestamp}",
        "{.status.nothere}",
        "name: {.metadata.name}\nns: {.metadata.namespace}\n",
        "{\"\\t\"}{.metadata.name}{'\\n'}",
        "{.metadata.name}}",
        "{ .metadata.name }",
        "{@.metadata.name} {$.metadata.namespace}",
        "{.metadata.name, unclosed",
        '{.metadata.name}{"\\n"',
        '{.status.conditions[?(@.type=="Complete")',
        '{range .status.conditions[*]}{.type}{"\\n"}',
        "{range .status.conditions[*]}{.type}{end}{end}",
        "{end}",
        "{foo}",
        "{metadata.name}",
        "{range}",
    ]
    pod = [
        "{.status.containerStatuses[*].restartCount}",
        '{range .status.containerStatuses[*]}{.name}{"\\t"}{.ready}{"\\t"}{.restartCount}{"\\n"}{end}',
        "{.status.containerStatuses[?(@.restartCount>1)].name}",
        "{.status.containerStatuses[?(@.restartCount>=2)].name}",
        "{.status.containerStatuses[?(@.restartCount<1)].name}",
        "{.status.containerStatuses[?(@.restartCount<=0)].name}",
        "{.status.containerStatuses[?(@.ready==true)].name}",
        "{.status.containerStatuses[?(@.ready!=true)].name}",
        "{.status.containerStatuses[?(@.ready<true)].name}",
        '{.status.containerStatuses[?(@.restartCount=="2")].name}',
        "{.status.containerStatuses[*].state.terminated.exitCode}",
        "{.status.containerStatuses[?(@.state.terminated)].name}",
        "{.status.containerStatuses[?(@.state.terminated.exitCode!=0)].name}",
        '{.status.containerStatuses[?(@.name=="sidecar")].state.terminated.reason}',
        "{.status.containerStatuses[0].state}",
        "{.status.podIP} {.status.phase} {.status.qosClass}",
        "{.spec.containers[*].ports[*].containerPort}",
        "{.spec.containers[-1:].name}",
        "{.spec.containers[:1].name}",
        "{.spec.containers[1:].name}",
        "{.metadata.ownerReferences[0].controller}",
        "{.metadata.ownerReferences[?(@.kind=='Job')].name}",
        "{.spec.terminationGracePeriodSeconds}",
        "{.metadata.labels.job-name}",
    ]
    bundle = [
        "{.objects[*].metadata.name}",
        '{range .objects[*]}{.kind}/{.metadata.name}{"\\n"}{end}',
        '{range .objects[*]}{.metadata.name}{"\\t"}{.status.succeeded}{"\\n"}{end}',
        '{range .objects[?(@.kind=="Job")]}{.metadata.name}{" "}{end}',
        "{.objects[?(@.status.failed>0)].metadata.name}",
        '{range .objects[*]}{range .status.conditions[*]}{.type},{end}{"\\n"}{end}',
        '{range .objects[*]}{.metadata.name}: {.status.conditions[?(@.type=="Complete")].status}{"\\n"}{end}',
        "{.objects[0:2].metadata.name}",
        "{.objects[::2].metadata.name}",
        "{.objects[-1].kind}",
        "{.objects[1:1].kind}after",
        "{range .objects[*]}{@.metadata.name}{end}",
        "{.objects[*].metadata.labels.app}",
        "{.objects[*].spec.template.spec.containers[*].image}",
        "{range .objects[*]}[{.metadata.name}]{end}END",
        "{range .nothing[*]}x{end}after",
        "{range .objects[*]}{.status.phase}",
        '{.objects[?(@.metadata.labels.app=="demo")].metadata.name}',
        '{.objects[*].status.conditions[?(@.type=="Failed")].message}',
        "{range .objects[*]}{range .spec.template.spec.containers[*]}{.name}{end};{end}",
        "{.objects[0,2].metadata.name}",
    ]
    odd = [
        "{.spec.one} {.spec.mil} {.spec.big} {.spec.huge} {.spec.small} {.spec.tiny} {.spec.neg}",
        "{.spec}",
        "{.spec.floats}",
        "{.spec.n[*]}",
        "{.spec.n}",
        "{range .spec.n[*]}[{@}]{end}",
        "[{.spec.nul}] [{.spec.empty}] {.spec.flag}",
        "{.spec.s}",
        "{.spec.bs}",
        "{.spec.m}",
        "{..k}",
        "{.spec.e[0]}",
        "{.spec.e[*]}|{.spec.e}",
        "{.spec.n[?(@==1)]}",
        "{.spec.n[?(@)]}",
        "{.spec.list[?(@<2.5)]}",
        "{.spec.floats[?(@>1.2)]}",
        "{.spec.list[?(@ >= 3)]}",
        '{.spec.list[?(@=="1")]}',
        '{.spec.list[?(@ = "x")]}',
        "{true}{false}{3}{-2}{1.5}",
        '{"\\x41\\101\\u00e9"}',
        '{"\\q"}',
        "{'it\\'s'}",
        "{'\"'}",
        '{"a}',
        "{.metadata.name[0]}",
        "{.metadata.labels[0]}",
        "{.spec.flag[0]}",
        "{.spec.one[0]}",
        '{"abc"[0]}',
        "{3[0]}",
        "{.spec.nul[0]}",
        "{.spec.nul[?(@.a)]}",
        "{.spec.m[?(@.a)]}",
        "{.metadata.name[?(@.a)]}",
        "{.spec.list[::2]}",
        "{.spec.list[::0]}",
        "{.spec.list[3:1]}",
        "{.spec.list[1:-1]}",
        "{.spec.list[-2:]}",
        "{.spec.list[-9]}",
        "{.spec.list[7]}",
        "{.spec.list[]}",
        "{.spec.list[0, 4 ,1]}",
        "{.spec.list[0:2:]}",
        "{.spec.list[-]}",
        "{.spec.list[a]}",
        "{.spec.list[0,x]}",
        '{.metadata["name"]}',
        "{.metadata[ 'name' ]}",
        "{..*}",
        "{...name}",
        "{....name}",
        "{.}",
        "{$}",
        "{@}",
        "{\t.metadata.name}",
        "{{.metadata.name}}",
        "{+}",
        "{1.2.3}",
        "x}y",
        "{range .spec.e[*]}{[0]}{end}",
        "{range .spec.e[*]}{.x[0]}{end}done",
        "{.spec.e[?(@.a)]}none",
    ]
    as_json = [
        "{.spec.n}",
        "{.spec.list[*]}",
        '{.metadata.name}{"\\n"}',
        "{.nothing}",
        "{range .spec.list[*]}{@}{end}",
        "{.spec}",
        "{.spec.m}{.spec.e}",
        "{.metadata.name",
    ]
    strict = [
        ("job.json", "{.spec.nothere}"),
        ("job.json", "{.metadata.name}"),
        ("job.json", '{.status.conditions[?(@.reason=="CompletionsReached")].type}'),
        ("job.json", "{.status.conditions[?(@.reason)].type}"),
        ("bundle.json", "{range .objects[*]}{.status.succeeded}{end}"),
        ("bundle.json", "{range .nothing[*]}{.x}{end}"),
        ("odd.json", "{.spec.nul.x}"),
    ]
    cases: list[Case] = []
    cases += [("job.json", t, jp, True) for t in job]
    cases += [("pod.json", t, jp, True) for t in pod]
    cases += [("bundle.json", t, jp, True) for t in bundle]
    cases += [("odd.json", t, jp, True) for t in odd]
    cases += [("odd.json", t, js, True) for t in as_json]
    cases += [(f, t, jp, False) for f, t in strict]
    return cases


CASES = _cases()


def _fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


def _run_kubectl(case: Case) -> dict[str, Any]:
    fixture, template, fmt, allow_missing = case
    argv = ["kubectl", "label", "--local", "-f", str(FIXTURES / fixture), "no-such-label-"]
    argv += ["-o", f"{fmt}={template}", f"--allow-missing-template-keys={str(allow_missing).lower()}"]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    return {"stdout": proc.stdout, "stderr": proc.stderr, "rc": proc.returncode}


def _ours(case: Case) -> dict[str, Any]:
    """What kjob would print for the case, in the shape _run_kubectl reports."""
    fixture, template, fmt, allow_missing = case
    obj = _fixture(fixture)
    try:
        tmpl = parse(template)
        if fmt == "jsonpath":
            out = tmpl.execute(obj, allow_missing=allow_missing)
        else:
            out = tmpl.execute_as_json(obj, allow_missing=allow_missing)
    except JSONPathError as e:
        return {"stdout": "", "stderr": e.message, "rc": 1, "reason": e.reason}
    return {"stdout": out, "stderr": "", "rc": 0}


def _words(text: str) -> list[str]:
    return sorted(text.split(" "))


def _assert_same(case: Case, ours: dict[str, Any], expected: dict[str, Any]) -> None:
    if expected["stderr"].startswith("panic: "):
        # Go crashed with a stack trace; kjob raises an error naming the same panic.
        assert ours["rc"] != 0, case
        assert ours["reason"] == expected["stderr"].splitlines()[0].removeprefix("panic: "), case
        return
    assert ours["rc"] == expected["rc"], (case, ours, expected)
    assert ours["stderr"] == expected["stderr"], case
    if expected.get("unordered"):
        assert _words(ours["stdout"]) == _words(expected["stdout"]), case
    else:
        assert ours["stdout"] == expected["stdout"], case


def _load_golden() -> list[dict[str, Any]]:
    # Absent only while the generator below is writing it for the first time.
    if not CASES_FILE.exists():
        return []
    data: list[dict[str, Any]] = json.loads(CASES_FILE.read_text())
    return data


def _case_of(entry: dict[str, Any]) -> Case:
    return (entry["fixture"], entry["template"], entry["format"], entry["allow_missing"])


# --------------------------------------------------------------------------- golden tests


def test_golden_covers_every_case() -> None:
    stored = [_case_of(e) for e in _load_golden()]
    assert stored == CASES, "CASES changed: regenerate with `PYTHONPATH=. python tests/test_jsonpath.py`"
    assert len(stored) >= 60


@pytest.mark.parametrize("entry", _load_golden(), ids=lambda e: f"{e['fixture']}:{e['template']}")
def test_matches_kubectl_golden(entry: dict[str, Any]) -> None:
    case = _case_of(entry)
    _assert_same(case, _ours(case), entry)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_live_kubectl_agrees() -> None:
    failures = []
    entries = {_case_of(e): e for e in _load_golden()}
    for case in CASES:
        live = _run_kubectl(case)
        live["unordered"] = entries.get(case, {}).get("unordered", False)
        try:
            _assert_same(case, _ours(case), live)
        except AssertionError:
            failures.append(case)
    assert not failures, failures


# --------------------------------------------------------------------------- API details


def test_error_is_a_plain_error_with_kubectl_wording() -> None:
    with pytest.raises(JSONPathError) as info:
        parse("{.metadata.name")
    assert isinstance(info.value, PlainError)
    assert info.value.message == "error: error parsing jsonpath {.metadata.name, unclosed action\n"
    assert info.value.reason == "unclosed action"


def test_missing_key_error_first_line() -> None:
    with pytest.raises(JSONPathError) as info:
        parse("{.spec.nothere}").execute({"spec": {}}, allow_missing=False)
    first = info.value.message.splitlines()[0]
    assert first == (
        'error: error executing jsonpath "{.spec.nothere}": Error executing template: '
        "nothere is not found. Printing more information for debugging the template:"
    )
    assert info.value.reason == "nothere is not found"


def test_find_returns_raw_values_per_group() -> None:
    obj = _fixture("job.json")
    found = parse("{.spec.completions}{.status.conditions[*].type}x").find(obj)
    assert found == [[3], ["SuccessCriteriaMet", "Complete"], ["x"]]
    assert parse("{.nothere}").find(obj) == [[]]
    ranged = parse("{range .status.conditions[*]}{.type}{end}").find(obj)
    assert ranged == [["SuccessCriteriaMet"], ["Complete"]]


def test_find_errors_are_bare() -> None:
    with pytest.raises(JSONPathError) as info:
        parse("{.a[3]}").find({"a": [1]})
    assert info.value.message == "error: array index out of bounds: index 3, length 1"


def test_template_is_reusable() -> None:
    tmpl = parse("{range .a[*]}[{@}]{end}|")
    assert tmpl.execute({"a": [1, 2]}) == "[1][2]|"
    assert tmpl.execute({"a": [3]}) == "[3]|"


def test_execute_as_json_accepts_text_or_template() -> None:
    assert jsonpath.execute_as_json("{.a}", {"a": [1]}) == "[\n    [\n        1\n    ]\n]\n"
    assert jsonpath.execute_as_json(parse("{.b}"), {"a": 1}) == "[]\n"


@pytest.mark.parametrize(
    ("expr", "want"),
    [
        (".metadata.name", "{.metadata.name}"),
        ("metadata.name", "{.metadata.name}"),
        ("{metadata.name}", "{.metadata.name}"),
        ("{.metadata.name}", "{.metadata.name}"),
        (
            '.status.conditions[?(@.type=="Complete")].status',
            '{.status.conditions[?(@.type=="Complete")].status}',
        ),
        ("{.}", "{..}"),
        ("", ""),
    ],
)
def test_relaxed(expr: str, want: str) -> None:
    assert relaxed(expr) == want


@pytest.mark.parametrize("expr", ["{.a}{.b}", "{.a", "a}"])
def test_relaxed_rejects(expr: str) -> None:
    with pytest.raises(JSONPathError) as info:
        relaxed(expr)
    assert info.value.message == (
        "error: unexpected path string, expected a 'name1.name2' or '.name1.name2' or "
        "'{name1.name2}' or '{.name1.name2}'"
    )


@pytest.mark.parametrize(
    ("value", "want"),
    [
        ({"b": 1, "a": {"c": None}}, "map[a:map[c:<nil>] b:1]"),
        (["worker", "sidecar"], "[worker sidecar]"),
        (1.0, "1"),
        (1e6, "1e+06"),
        (0.5, "0.5"),
        (-0.0, "-0"),
        (True, "true"),
        (None, "<nil>"),
        ("500m", "500m"),
    ],
)
def test_go_sprint(value: Any, want: str) -> None:
    assert go_sprint(value) == want


@pytest.mark.parametrize(
    ("value", "want"),
    [
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1.5e-7, "1.5e-7"),
        (0.000001, "0.000001"),
        (3.0, "3"),
        ("<a&b>\u2028\x00", '"\\u003ca\\u0026b\\u003e\\u2028\\u0000"'),
        ({"b": [], "a": {}}, '{"a":{},"b":[]}'),
    ],
)
def test_go_json(value: Any, want: str) -> None:
    assert go_json(value) == want


# --------------------------------------------------------------------------- golden generation


def _generate() -> None:
    entries = []
    for case in CASES:
        runs = [_run_kubectl(case) for _ in range(RUNS_PER_CASE)]
        first = runs[0]
        fixture, template, fmt, allow_missing = case
        entry: dict[str, Any] = {
            "fixture": fixture,
            "template": template,
            "format": fmt,
            "allow_missing": allow_missing,
            **first,
        }
        if first["stderr"].startswith("panic: "):
            # Keep the panic line, not the stack trace with its addresses.
            entry["stderr"] = first["stderr"].splitlines()[0] + "\n"
        elif any(run != first for run in runs):
            if any(_words(run["stdout"]) != _words(first["stdout"]) for run in runs):
                raise SystemExit(f"kubectl output varies beyond word order for {case}")
            entry["unordered"] = True
        entries.append(entry)
    CASES_FILE.write_text(json.dumps(entries, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {len(entries)} cases to {CASES_FILE}", file=sys.stderr)


if __name__ == "__main__":
    _generate()
