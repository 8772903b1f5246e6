"""kjob label and kjob annotate on jobs and pods, with kubectl v1.32's outputs and errors."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from kjob.store import Store
from tests.conftest import job_manifest, write_manifest
from tests.test_delete import put_pod, suspended

LABEL_VALUE_ERROR = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
    "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)
KEY_ERROR = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)


def labels(home: Path, kind: str, name: str, section: str = "labels") -> dict[str, str]:
    obj = Store(home).must_get(kind, "default", name)
    return obj["metadata"].get(section) or {}


def version(home: Path, kind: str, name: str) -> str:
    return Store(home).must_get(kind, "default", name)["metadata"]["resourceVersion"]


@pytest.fixture(autouse=True)
def verbs(monkeypatch: pytest.MonkeyPatch) -> None:
    """label and annotate live in kjob.cli.label (a no-op once base.COMMANDS maps them)."""
    from kjob.cli import base

    monkeypatch.setitem(base.COMMANDS, "label", "kjob.cli.label")
    monkeypatch.setitem(base.COMMANDS, "annotate", "kjob.cli.label")


@pytest.fixture
def objs(kjob, home: Path) -> None:
    suspended(kjob, "j", app="a")
    put_pod(home, "p1", app="a", b="2")
    put_pod(home, "p2", app="a")


def test_label_set_overwrite_and_remove(kjob, objs, home: Path) -> None:
    r = kjob("label", "pod", "p1", "x=1")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "pod/p1 labeled\n", "")
    before = version(home, "pods", "p1")
    r = kjob("label", "pod", "p1", "x=1")
    assert (r.exit_code, r.stdout) == (0, "pod/p1 not labeled\n")
    assert version(home, "pods", "p1") == before  # an empty patch writes nothing
    r = kjob("label", "pod", "p1", "x=2")
    assert (r.exit_code, r.stdout, r.stderr) == (
        1,
        "",
        "error: 'x' already has a value (1), and --overwrite is false\n",
    )
    r = kjob("label", "pod", "p1", "x=2", "b=3")
    assert r.stderr == (
        "'x' already has a value (1), and --overwrite is false\n'b' already has a value (2), and --overwrite is false\n"
    )
    r = kjob("label", "--overwrite", "pod", "p1", "x=2")
    assert (r.exit_code, r.stdout) == (0, "pod/p1 labeled\n")
    assert int(version(home, "pods", "p1")) > int(before)
    r = kjob("label", "pod", "p1", "x-", "nope-")
    assert (r.exit_code, r.stdout) == (0, 'label "nope" not found.\npod/p1 unlabeled\n')
    r = kjob("label", "pod", "p1", "nope-")
    assert r.stdout == 'label "nope" not found.\npod/p1 not labeled\n'
    r = kjob("label", "pod", "p1", "b-", "--overwrite")
    assert r.stdout == "pod/p1 labeled\n"
    assert labels(home, "pods", "p1") == {"app": "a"}


def test_label_jobs_several_and_all(kjob, objs, home: Path) -> None:
    r = kjob("label", "job", "j", "team=data")
    assert (r.exit_code, r.stdout) == (0, "job.batch/j labeled\n")
    assert labels(home, "jobs", "j") == {"app": "a", "team": "data"}
    r = kjob("label", "pod", "p1", "p2", "y=1")
    assert r.stdout == "pod/p1 labeled\npod/p2 labeled\n"
    r = kjob("label", "pod", "p1", "nope", "y=1")
    assert (r.exit_code, r.stdout, r.stderr) == (
        1,
        "pod/p1 not labeled\n",
        'Error from server (NotFound): pods "nope" not found\n',
    )
    r = kjob("label", "pods", "--all", "z=1")
    assert r.stdout == "pod/p1 labeled\npod/p2 labeled\n"
    r = kjob("label", "pods", "-l", "b=2", "w=1")
    assert r.stdout == "pod/p1 labeled\n"
    r = kjob("label", "pods", "-l", "app=zzz", "w=1")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", "")
    r = kjob("label", "job/j", "pod/p2", "v=1")
    assert r.stdout == "job.batch/j labeled\npod/p2 labeled\n"


def test_label_list(kjob, objs) -> None:
    r = kjob("label", "pod", "p1", "--list")
    assert (r.exit_code, r.stdout) == (0, "app=a\nb=2\n")
    r = kjob("label", "pods", "--all", "--list")
    assert r.stdout == "Listing labels for Pod./p1:\n app=a\n b=2\nListing labels for Pod./p2:\n app=a\n"
    r = kjob("label", "jobs", "--all", "--list")
    assert r.stdout == "Listing labels for Job.batch/j:\n app=a\n"
    # --list shows the change without making it.
    r = kjob("label", "pod", "p2", "new=1", "--list")
    assert r.stdout == "app=a\nnew=1\n"
    assert kjob("label", "pod", "p2", "--list").stdout == "app=a\n"


def test_label_output_and_dry_run(kjob, objs, home: Path) -> None:
    r = kjob("label", "pod", "p1", "x=1", "-o", "name")
    assert (r.exit_code, r.stdout) == (0, "pod/p1\n")
    r = kjob("label", "pod", "p1", "y=1", "-o", "json")
    obj = json.loads(r.stdout)
    assert obj["metadata"]["labels"] == {"app": "a", "b": "2", "x": "1", "y": "1"}
    assert obj["metadata"]["resourceVersion"] == version(home, "pods", "p1")
    r = kjob("label", "pod", "p1", "z=1", "-o", "yaml")
    assert '    z: "1"\n' in r.stdout
    r = kjob("label", "pod", "p1", "d=1", "--dry-run=client")
    assert r.stdout == "pod/p1 labeled (dry run)\n"
    r = kjob("label", "pod", "p1", "d=1", "--dry-run=server")
    assert r.stdout == "pod/p1 labeled (server dry run)\n"
    assert "d" not in labels(home, "pods", "p1")


def test_label_resource_version(kjob, objs, home: Path) -> None:
    current = version(home, "pods", "p1")
    r = kjob("label", "pod", "p1", "rv=1", "--resource-version=1")
    assert (r.exit_code, r.stderr) == (
        1,
        (
            'Error from server (Conflict): Operation cannot be fulfilled on pods "p1": the object has been modified; '
            "please apply your changes to the latest version and try again\n"
        ),
    )
    r = kjob("label", "pod", "p1", "rv=1", f"--resource-version={current}")
    assert (r.exit_code, r.stdout) == (0, "pod/p1 labeled\n")
    assert labels(home, "pods", "p1")["rv"] == "1"
    r = kjob("label", "pods", "--all", "rv=2", "--resource-version=1")
    assert r.stderr == "error: --resource-version may only be used with a single resource\n"


def test_label_argument_errors(kjob, objs) -> None:
    cases = {
        ("pod", "p1", "k=bad value"): f'error: invalid label value: "k=bad value": {LABEL_VALUE_ERROR}\n',
        ("pod", "p1", "k=a=b"): "error: invalid label spec: k=a=b\n",
        ("pod", "p1", "k=v", "k-"): "error: can not both modify and remove a label in the same command\n",
        ("pod", "p1", "a=b", "k"): "error: all resources must be specified before label changes: k\n",
        ("pod", "p1"): "error: at least one label update is required\n",
        ("pod",): "error: at least one label update is required\n",
        (): "error: one or more resources must be specified as <resource> <name> or <resource>/<name>\n",
        ("pods", "y=1"): "error: resource(s) were provided, but no name was specified\n",
        ("pod", "p1", "--list", "-o", "name"): "error: --list and --output may not be specified together\n",
        ("pods", "--all", "-l", "app=a", "y=1"): "error: cannot set --all and --selector at the same time\n",
        ("pods", "--all", "--field-selector", "metadata.name=p1", "y=1"): (
            "error: cannot set --all and --field-selector at the same time\n"
        ),
        ("pod", "nope", "y=1"): 'Error from server (NotFound): pods "nope" not found\n',
        (
            "pod",
            "p1",
            "bad key!=v",
        ): f'The Pod "p1" is invalid: metadata.labels: Invalid value: "bad key!": {KEY_ERROR}\n',
        (
            "job",
            "j",
            "bad key!=v",
        ): f'The Job "j" is invalid: metadata.labels: Invalid value: "bad key!": {KEY_ERROR}\n',
    }
    for args, stderr in cases.items():
        r = kjob("label", *args)
        assert (r.exit_code, r.stderr) == (1, stderr), args


def test_annotate(kjob, objs, home: Path) -> None:
    r = kjob("annotate", "pod", "p1", "n=1")
    assert (r.exit_code, r.stdout) == (0, "pod/p1 annotated\n")
    r = kjob("annotate", "pod", "p1", "n=1")
    assert (r.exit_code, r.stdout) == (0, "pod/p1 annotated\n")
    r = kjob("annotate", "pod", "p1", "n=2", "m=3")
    assert (r.exit_code, r.stderr) == (
        1,
        "error: --overwrite is false but found the following declared annotation(s): 'n' already has a value (1)\n",
    )
    r = kjob("annotate", "pod", "p1", "m=x=y", "n-")
    assert r.stdout == "pod/p1 annotated\n"
    assert labels(home, "pods", "p1", "annotations") == {"m": "x=y"}
    r = kjob("annotate", "--overwrite", "job", "j", "description=nightly export")
    assert r.stdout == "job.batch/j annotated\n"
    r = kjob("annotate", "job", "j", "description=x", "--overwrite", "--dry-run=client")
    assert r.stdout == "job.batch/j annotated (dry run)\n"
    assert labels(home, "jobs", "j", "annotations") == {"description": "nightly export"}
    r = kjob("annotate", "job", "j", "--list")
    assert r.stdout == "description=nightly export\n"
    r = kjob("annotate", "pods", "--all", "--list")
    assert r.stdout == "Listing annotations for Pod./p1:\n m=x=y\nListing annotations for Pod./p2:\n"
    r = kjob("annotate", "job", "j", "k=1", "-o", "name")
    assert r.stdout == "job.batch/j\n"


def test_annotate_errors(kjob, objs) -> None:
    cases = {
        (
            "pod",
            "p1",
            "m=3",
            "m-",
        ): "error: can not both modify and remove the following annotation(s) in the same command: m\n",
        ("pod", "p1", "m=3", "m-", "n=3", "n-"): (
            "error: can not both modify and remove the following annotation(s) in the same command: m, n\n"
        ),
        ("pod", "p1", "=x"): "error: at least one annotation update is required\n",
        ("pod", "p1", "a=b", "k"): "error: all resources must be specified before annotation changes: k\n",
        ("pod", "p1", "--list", "-o", "json"): "error: --list and --output may not be specified together\n",
        (
            "pod",
            "p1",
            "Bad Key=1",
        ): f'The Pod "p1" is invalid: metadata.annotations: Invalid value: "Bad Key": '
        f"{KEY_ERROR.replace('(e.g.', '(e.g.', 1)}\n",
    }
    for args, stderr in cases.items():
        r = kjob("annotate", *args)
        assert (r.exit_code, r.stderr) == (1, stderr), args


def test_label_from_file(kjob, objs, tmp_path: Path, home: Path) -> None:
    path = write_manifest(tmp_path, job_manifest("j", "true"))
    r = kjob("label", "-f", str(path), "f=1")
    assert (r.exit_code, r.stdout) == (0, "job.batch/j labeled\n")
    assert labels(home, "jobs", "j")["f"] == "1"


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
@pytest.mark.parametrize(
    "pairs",
    [
        ["app=y"],
        ["app=y", "b=3"],
        ["app=a"],
        ["app-"],
        ["nope-"],
        ["k=bad value"],
        ["k=a=b"],
        ["k=v", "k-"],
        ["new=1", "--overwrite"],
        ["app=z", "--overwrite"],
        ["new=1", "--dry-run=client"],
        ["--list"],
    ],
)
def test_label_matches_kubectl_local(kjob, home: Path, tmp_path: Path, pairs: list[str]) -> None:
    """`kubectl label --local -f POD.json` runs kubectl's client-side label logic offline."""
    put_pod(home, "p", app="a", b="2")
    pod = Store(home).must_get("pods", "default", "p")
    path = tmp_path / "pod.json"
    path.write_text(json.dumps(pod))
    want = subprocess.run(
        ["kubectl", "label", "--local", "-f", str(path), *pairs], capture_output=True, text=True, timeout=60
    )
    got = kjob("label", "pod", "p", *pairs)
    # Go walks maps in random order, so kubectl's several errors and --list lines come in any order; and
    # `label "x" not found.` is printed only on the path that talks to the server, not with --local.
    assert got.exit_code == want.returncode
    assert sorted(got.stderr.splitlines()) == sorted(want.stderr.splitlines())
    stdout = [line for line in got.stdout.splitlines() if not line.startswith('label "')]
    assert sorted(stdout) == sorted(want.stdout.splitlines())
