"""kjob version, api-resources, explain, completion, and kubectl-style help for every command."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT

from kjob.cli import base

# ---------------------------------------------------------------- version


def test_version_names_kubectl_release_and_says_jobs_run_locally(kjob) -> None:
    r = kjob("version")
    assert (r.exit_code, r.stderr) == (0, "")
    assert r.stdout == (
        "Client Version: v1.32.0-kjob.0.1.0\nServer: none (kjob runs jobs as local processes on this machine)\n"
    )
    assert kjob("version", "--client").stdout == r.stdout


def test_version_json_and_yaml_have_kubectls_shape(kjob) -> None:
    doc = json.loads(kjob("version", "--client", "-o", "json").stdout)
    assert list(doc) == ["clientVersion"]
    assert list(doc["clientVersion"]) == [
        "major",
        "minor",
        "gitVersion",
        "gitCommit",
        "gitTreeState",
        "buildDate",
        "goVersion",
        "compiler",
        "platform",
    ]
    assert (doc["clientVersion"]["major"], doc["clientVersion"]["minor"]) == ("1", "32")
    text = kjob("version", "-o", "yaml").stdout
    assert text.startswith('clientVersion:\n  buildDate: ""\n') and '  minor: "32"\n' in text


def test_version_bad_output(kjob) -> None:
    r = kjob("version", "-o", "wide")
    assert (r.exit_code, r.stdout, r.stderr) == (1, "", "error: --output must be 'yaml' or 'json'\n")


# ---------------------------------------------------------------- api-resources

VERBS = "create,delete,deletecollection,get,list,patch,update,watch"


def test_api_resources_table(kjob) -> None:
    r = kjob("api-resources")
    assert (r.exit_code, r.stderr) == (0, "")
    assert r.stdout == (
        "NAME     SHORTNAMES   APIVERSION   NAMESPACED   KIND\n"
        "events   ev           v1           true         Event\n"
        "pods     po           v1           true         Pod\n"
        "jobs                  batch/v1     true         Job\n"
    )


def test_api_resources_wide_name_and_filters(kjob) -> None:
    # Recorded from kubectl v1.32 against a stand-in API server serving these three resources.
    assert kjob("api-resources", "-o", "wide").stdout == (
        "NAME     SHORTNAMES   APIVERSION   NAMESPACED   KIND    VERBS" + " " * 56 + "CATEGORIES\n"
        f"events   ev           v1           true         Event   {VERBS}   \n"
        f"pods     po           v1           true         Pod     {VERBS}   all\n"
        f"jobs                  batch/v1     true         Job     {VERBS}   all\n"
    )
    assert kjob("api-resources", "-o", "name").stdout == "events\npods\njobs.batch\n"
    assert (
        kjob("api-resources", "--namespaced=false").stdout
        == "NAME   SHORTNAMES   APIVERSION   NAMESPACED   KIND\n"
    )
    assert kjob("api-resources", "--namespaced").stdout == kjob("api-resources").stdout
    assert kjob("api-resources", "--api-group=batch").stdout == (
        "NAME   SHORTNAMES   APIVERSION   NAMESPACED   KIND\njobs                batch/v1     true         Job\n"
    )
    assert kjob("api-resources", "--api-group=", "-o", "name").stdout == "events\npods\n"
    assert kjob("api-resources", "--no-headers").stdout == (
        "events   ev    v1         true   Event\npods     po    v1         true   Pod\njobs           batch/v1   true   Job\n"
    )
    assert kjob("api-resources", "--sort-by=kind", "-o", "name").stdout == "events\njobs.batch\npods\n"
    assert kjob("api-resources", "--verbs=get,watch", "-o", "name").stdout == "events\npods\njobs.batch\n"
    assert kjob("api-resources", "--verbs=proxy", "-o", "name").stdout == ""


@pytest.mark.parametrize(
    ("args", "stderr"),
    [
        (["-o", "json"], "error: --output json is not available\n"),
        (["--sort-by=x"], "error: --sort-by accepts only name or kind\n"),
        (["foo"], "error: unexpected arguments: [foo]\nSee 'kjob api-resources -h' for help and examples\n"),
    ],
)
def test_api_resources_errors(kjob, args: list[str], stderr: str) -> None:
    r = kjob("api-resources", *args)
    assert (r.exit_code, r.stdout, r.stderr) == (1, "", stderr)


# ---------------------------------------------------------------- explain


def test_explain_a_field(kjob) -> None:
    r = kjob("explain", "job.spec.completions")
    assert (r.exit_code, r.stderr) == (0, "")
    assert r.stdout == (
        "GROUP:      batch\nKIND:       Job\nVERSION:    v1\n\n"
        "FIELD: completions <integer>\n\n\n"
        "DESCRIPTION:\n"
        "    Specifies the desired number of successfully finished pods the job should be\n"
        "    run with.  Setting to null means that the success of any pod signals the\n"
        "    success of all pods, and allows parallelism to have any positive value.\n"
        "    Setting to 1 means that parallelism is limited to 1 and the success of that\n"
        "    pod signals the success of the job. More info:\n"
        "    https://kubernetes.io/docs/concepts/workloads/controllers/jobs-run-to-completion/\n\n"
    )


def test_explain_a_resource_lists_its_fields(kjob) -> None:
    r = kjob("explain", "jobs")
    assert r.stdout.startswith(
        "GROUP:      batch\nKIND:       Job\nVERSION:    v1\n\n"
        "DESCRIPTION:\n    Job represents the configuration of a single job.\nFIELDS:\n  apiVersion\t<string>\n"
    )
    assert "\n  spec\t<JobSpec>\n    Specification of the desired behavior of a job. More info:\n" in r.stdout
    pods = kjob("explain", "pod").stdout
    assert pods.startswith("KIND:       Pod\nVERSION:    v1\n\nDESCRIPTION:\n")


def test_explain_types_of_nested_fields(kjob) -> None:
    r = kjob("explain", "job.spec.template.spec.containers")
    assert "FIELD: containers <[]Container>\n" in r.stdout
    assert "\n  name\t<string> -required-\n" in r.stdout
    assert "FIELD: labels <map[string]string>\n" in kjob("explain", "jobs.metadata.labels").stdout
    assert "FIELD: template <PodTemplateSpec> -required-" not in kjob("explain", "job.spec").stdout
    assert "\n  template\t<PodTemplateSpec> -required-\n" in kjob("explain", "job.spec").stdout


def test_explain_recursive_prints_names_only(kjob) -> None:
    r = kjob("explain", "job.spec.selector", "--recursive")
    assert r.stdout.endswith(
        "FIELDS:\n  matchExpressions\t<[]LabelSelectorRequirement>\n    key\t<string> -required-\n"
        "    operator\t<string> -required-\n    values\t<[]string>\n  matchLabels\t<map[string]string>\n\n"
    )


@pytest.mark.parametrize(
    ("args", "stderr"),
    [
        (["job.spec.nope"], 'error: field "nope" does not exist\n'),
        (["deployments"], 'error: the server doesn\'t have a resource type "deployments"\n'),
        (
            [],
            'error: You must specify the type of resource to explain. Use "kjob api-resources" for a complete list '
            "of supported resources.\nSee 'kjob explain -h' for help and examples\n",
        ),
    ],
)
def test_explain_errors(kjob, args: list[str], stderr: str) -> None:
    r = kjob("explain", *args)
    assert (r.exit_code, r.stdout, r.stderr) == (1, "", stderr)


# ---------------------------------------------------------------- completion


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_use_kjobs_variable(kjob, shell: str) -> None:
    r = kjob("completion", shell)
    assert r.exit_code == 0 and "_KJOB_COMPLETE" in r.stdout and "kjob" in r.stdout


def test_completion_errors(kjob) -> None:
    r = kjob("completion")
    assert (r.exit_code, r.stderr) == (
        1,
        "error: Shell not specified.\nSee 'kjob completion -h' for help and examples\n",
    )
    r = kjob("completion", "powershell")
    assert (
        r.stderr
        == "error: Unsupported shell type \"powershell\".\nSee 'kjob completion -h' for help and examples\n"
    )


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completion_completes_verbs(kjob, tmp_path: Path, home: Path) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    wrapper = bindir / "kjob"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m kjob "$@"\n')
    wrapper.chmod(0o755)
    script = tmp_path / "kjob.bash"
    script.write_text(kjob("completion", "bash").stdout)

    def complete(*words: str) -> list[str]:
        line = " ".join(f'"{w}"' for w in words)
        program = (
            f'source "{script}"; COMP_WORDS=({line}); COMP_CWORD={len(words) - 1}; '
            f'_kjob_completion kjob "{words[-1]}" "{words[-2]}"; printf "%s\\n" "${{COMPREPLY[@]}}"'
        )
        env = {
            **os.environ,
            "PATH": f"{bindir}:{os.environ['PATH']}",
            "PYTHONPATH": str(ROOT),
            "KJOB_HOME": str(home),
        }
        proc = subprocess.run(["bash", "-c", program], capture_output=True, text=True, env=env, timeout=60)
        return [w for w in proc.stdout.splitlines() if w]

    assert complete("kjob", "ge") == ["get"]
    assert complete("kjob", "ap") == ["api-resources", "apply"]
    assert complete("kjob", "completion", "--he") == ["--help"]


# ---------------------------------------------------------------- help


@pytest.mark.parametrize("verb", sorted(base.COMMANDS))
def test_every_command_has_kubectl_style_examples(verb: str) -> None:
    runner = CliRunner()
    with runner.isolation() as streams:
        code = base.run([verb, "-h"])
        text = streams[0].getvalue().decode()
    assert code == 0
    # Click indents the help text by two spaces; the layout under it is kubectl's.
    assert "\n  Examples:\n" in text
    examples = text.split("Examples:", 1)[1]
    assert "\n    # " in examples
    assert f"\n    kjob {verb}" in examples


def test_create_job_has_examples() -> None:
    runner = CliRunner()
    with runner.isolation() as streams:
        assert base.run(["create", "job", "-h"]) == 0
        text = streams[0].getvalue().decode()
    assert "  Examples:\n    # Create a job\n    kjob create job my-job --image=busybox\n" in text


DURATIONS = ["60s", "1m30s", "500ms", "0", "-1.5h", ".5s", "1.s", "+0", "2h45m", "1µs", "3us", "1h2m3.5s"]
BAD_DURATIONS = ["5", "5x", "", "99999999999h", "abc", ".s", "1h5", "s"]


@pytest.mark.parametrize("text", DURATIONS)
def test_go_durations_parse(text: str) -> None:
    from kjob.commands import parse_duration

    expected = {"60s": 60, "1m30s": 90, "500ms": 0.5, "0": 0, "-1.5h": -5400, ".5s": 0.5, "1.s": 1, "+0": 0}
    expected |= {"2h45m": 9900, "1µs": 1e-6, "3us": 3e-6, "1h2m3.5s": 3723.5}
    assert parse_duration(text) == pytest.approx(expected[text])


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
@pytest.mark.parametrize("text", BAD_DURATIONS)
def test_bad_durations_are_refused_with_gos_words(kjob, text: str) -> None:
    """The same text kubectl's flag parsing gives (time.ParseDuration): `missing unit`, `unknown unit`,
    `invalid duration` (an overflow too)."""
    theirs = subprocess.run(
        ["kubectl", "logs", "x", f"--since={text}"],
        capture_output=True,
        text=True,
        env={**os.environ, "KUBECONFIG": "/dev/null"},
    ).stderr.splitlines()
    ours = kjob("logs", "x", f"--since={text}").stderr.splitlines()
    assert ours[0] == next(line for line in theirs if line.startswith("Error: invalid argument"))
