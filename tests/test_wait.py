"""kjob wait: --for forms, shared timeouts, several objects and kubectl's messages (kubectl v1.32 texts)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kjob import waiting
from kjob.errors import PlainError
from kjob.store import Store
from tests.conftest import job_manifest, write_manifest


def suspended(kjob, *names: str, **labels: str) -> None:
    for name in names:
        text = job_manifest(name, "true", suspend=True)
        if labels:
            text = text.replace(f"  name: {name}\n", f"  name: {name}\n  labels: {json.dumps(labels)}\n")
        assert kjob("create", "-f", "-", input=text).exit_code == 0


def set_status(home: Path, name: str, status: dict, generation: int | None = None) -> None:
    """Write a job's status as the worker would (the jobs here are suspended: the worker leaves them be)."""
    store = Store(home)
    with store.lock():
        job = store.must_get("jobs", "default", name)
        job["status"] = status
        if generation is not None:
            job["metadata"]["generation"] = generation
        store.update("jobs", job)


COMPLETE = {"conditions": [{"type": "Complete", "status": "True"}], "succeeded": 3}


@pytest.fixture
def jobs(kjob, home: Path) -> None:
    suspended(kjob, "done", "run", app="a")
    suspended(kjob, "other", app="b")
    set_status(home, "done", COMPLETE)


# ---------------------------------------------------------------- --for parsing


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("foo", 'error: unrecognized condition: "foo"'),
        ("", 'error: unrecognized condition: ""'),
        ("Condition=complete", 'error: unrecognized condition: "Condition=complete"'),
        (
            "jsonpath={.status.succeeded}=",
            "error: jsonpath wait has to have a value after equal sign, like "
            "--for=jsonpath='{.status.readyReplicas}'=3",
        ),
        (
            "jsonpath={.status.succeeded}=3=4",
            "error: jsonpath wait format must be "
            "--for=jsonpath='{.status.readyReplicas}'=3 or --for=jsonpath='{.status.readyReplicas}'",
        ),
        ("jsonpath=", "error: jsonpath expression cannot be empty"),
        (
            "jsonpath={.status",
            "error: unexpected path string, expected a 'name1.name2' or '.name1.name2' or "
            "'{name1.name2}' or '{.name1.name2}'",
        ),
        (
            "jsonpath={.metadata.name}{.metadata.name}",
            "error: unexpected path string, expected a 'name1.name2' or "
            "'.name1.name2' or '{name1.name2}' or '{.name1.name2}'",
        ),
    ],
)
def test_parse_wait_for_errors(text: str, message: str) -> None:
    with pytest.raises(PlainError) as e:
        waiting.parse_wait_for(text)
    assert e.value.message == message


def test_parse_wait_for_forms() -> None:
    assert waiting.parse_wait_for("DELETE").mode == "delete"
    assert waiting.parse_wait_for("Create").mode == "create"
    spec = waiting.parse_wait_for("condition=Complete=False")
    assert (spec.mode, spec.condition, spec.value) == ("condition", "Complete", "False")
    assert waiting.parse_wait_for("condition=complete").value == "true"
    spec = waiting.parse_wait_for('jsonpath={.status.conditions[?(@.type=="Complete")].status}=True')
    assert (spec.mode, spec.value) == ("jsonpath", "True")
    assert waiting.parse_wait_for("jsonpath=.status.succeeded").match_any
    assert waiting.parse_wait_for("jsonpath={.status.succeeded}='3'").value == "3"


def test_condition_met_rules() -> None:
    spec = waiting.parse_wait_for("condition=complete")
    job = {"metadata": {"generation": 2}, "status": {"conditions": [{"type": "Complete", "status": "True"}]}}
    assert waiting.condition_met(job, spec)
    stale = {
        "metadata": {"generation": 2},
        "status": {"conditions": [{"type": "Complete", "status": "True", "observedGeneration": 1}]},
    }
    assert not waiting.condition_met(stale, spec)
    by_status = {
        "metadata": {"generation": 2},
        "status": {"observedGeneration": 1, "conditions": [{"type": "Complete", "status": "True"}]},
    }
    assert not waiting.condition_met(by_status, spec)
    assert waiting.condition_met(job, waiting.parse_wait_for("condition=COMPLETE=true"))
    assert not waiting.condition_met(job, waiting.parse_wait_for("condition=complete=false"))
    # The first condition of the type decides.
    twice = {
        "status": {
            "conditions": [{"type": "Failed", "status": "False"}, {"type": "Failed", "status": "True"}]
        }
    }
    assert not waiting.condition_met(twice, waiting.parse_wait_for("condition=failed"))


# ---------------------------------------------------------------- the command


def test_wait_condition_met_and_exit_codes(kjob, jobs) -> None:
    r = kjob("wait", "--for=condition=complete", "job/done")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "job.batch/done condition met\n", "")
    r = kjob("wait", "--for=condition=Complete=True", "jobs", "done")
    assert (r.exit_code, r.stdout) == (0, "job.batch/done condition met\n")
    r = kjob("wait", "--for=condition=complete", "job/done", "-o", "name")
    assert (r.exit_code, r.stdout) == (0, "job.batch/done\n")
    r = kjob("wait", "--for=condition=complete", "job/done", "-o", "jsonpath={.status.succeeded}")
    assert (r.exit_code, r.stdout) == (0, "3")
    r = kjob("wait", "--for=condition=complete", "job/done", "-o", "json")
    assert json.loads(r.stdout)["metadata"]["name"] == "done"


def test_wait_timeouts_one_and_several(kjob, jobs) -> None:
    r = kjob("wait", "--for=condition=complete", "job/run", "--timeout=0")
    assert (r.exit_code, r.stdout, r.stderr) == (1, "", "error: condition not met for jobs/run\n")
    r = kjob("wait", "--for=condition=complete", "job/done", "job/run", "--timeout=300ms")
    assert (r.exit_code, r.stdout) == (1, "job.batch/done condition met\n")
    assert r.stderr == "error: timed out waiting for the condition on jobs/run\n"
    # The timeout is shared: once spent, the next object fails at once; several errors lose `error: `.
    r = kjob("wait", "--for=condition=complete", "job/done", "job/run", "job/other", "--timeout=300ms")
    assert (r.exit_code, r.stdout) == (1, "job.batch/done condition met\n")
    assert r.stderr == (
        "timed out waiting for the condition on jobs/run\ntimed out waiting for the condition on jobs/other\n"
    )
    r = kjob("wait", "--for=condition=complete", "job/run", "job/other", "--timeout=0")
    assert r.stderr == "condition not met for jobs/run\ncondition not met for jobs/other\n"
    r = kjob("wait", "--for=condition=complete", "job", "done", "run", "--timeout=0")
    assert (r.stdout, r.stderr) == (
        "job.batch/done condition met\n",
        "error: condition not met for jobs/run\n",
    )


def test_wait_negative_timeout_is_a_week(kjob, jobs) -> None:
    r = kjob("wait", "--for=condition=complete", "job/done", "--timeout=-1s")
    assert (r.exit_code, r.stdout) == (0, "job.batch/done condition met\n")


def test_wait_not_found(kjob, jobs) -> None:
    r = kjob("wait", "--for=condition=complete", "job/nope")
    assert (r.exit_code, r.stderr) == (1, 'Error from server (NotFound): jobs.batch "nope" not found\n')
    r = kjob("wait", "--for=condition=complete", "job/nope", "job/nope2", "job/done")
    assert (r.exit_code, r.stdout) == (1, "job.batch/done condition met\n")
    assert r.stderr == (
        'Error from server (NotFound): jobs.batch "nope" not found\n'
        'Error from server (NotFound): jobs.batch "nope2" not found\n'
    )


def test_wait_selectors_and_all(kjob, jobs) -> None:
    r = kjob("wait", "--for=condition=complete", "jobs", "-l", "app=zzz")
    assert (r.exit_code, r.stderr) == (1, "error: no matching resources found\n")
    r = kjob("wait", "--for=condition=complete", "jobs", "-l", "app=a", "--timeout=0")
    assert (r.exit_code, r.stdout, r.stderr) == (
        1,
        "job.batch/done condition met\n",
        "error: condition not met for jobs/run\n",
    )
    r = kjob("wait", "--for=condition=complete", "jobs", "--all", "--timeout=0")
    assert r.stdout == "job.batch/done condition met\n"
    assert r.stderr == "condition not met for jobs/other\ncondition not met for jobs/run\n"
    # wait, unlike delete, takes --all and -l together.
    r = kjob(
        "wait",
        "--for=condition=complete",
        "jobs",
        "--all",
        "-l",
        "app=a",
        "--field-selector=metadata.name=done",
    )
    assert (r.exit_code, r.stdout) == (0, "job.batch/done condition met\n")


def test_wait_usage_errors(kjob) -> None:
    r = kjob("wait", "--for=condition=complete")
    assert r.stderr == (
        "error: You must provide one or more resources by argument or filename.\n"
        "Example resource specifications include:\n"
        "   '-f rsrc.yaml'\n"
        "   '--filename=rsrc.json'\n"
        "   '<resource> <name>'\n"
        "   '<resource>'\n"
    )
    r = kjob("wait", "--for=condition=complete", "jobs")
    assert (r.exit_code, r.stderr) == (1, "error: resource(s) were provided, but no name was specified\n")
    r = kjob("wait", "job/done")
    assert r.stderr == 'error: unrecognized condition: ""\n'
    r = kjob("wait", "--for=condition=complete", "job/done", "--timeout=bad")
    assert r.stderr == (
        'Error: invalid argument "bad" for "--timeout" flag: time: invalid duration "bad"\n'
        "See 'kjob wait --help' for usage.\n"
    )
    r = kjob("wait", "--for=condition=complete", "job/done", "-o", "bogus")
    assert r.stderr == (
        'error: unable to match a printer suitable for the output format "bogus", allowed formats are: '
        "go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,yaml\n"
    )


def test_wait_jsonpath(kjob, jobs, home: Path) -> None:
    r = kjob("wait", "--for=jsonpath={.status.succeeded}=3", "job/done")
    assert (r.exit_code, r.stdout) == (0, "job.batch/done condition met\n")
    r = kjob("wait", "--for=jsonpath=.status.succeeded='3'", "job/done")
    assert (r.exit_code, r.stdout) == (0, "job.batch/done condition met\n")
    r = kjob("wait", "--for=jsonpath={.status.succeeded}", "job/done")
    assert (r.exit_code, r.stdout) == (0, "job.batch/done condition met\n")
    r = kjob("wait", "--for=jsonpath={.status.succeeded}", "job/run", "--timeout=0")
    assert (r.exit_code, r.stderr) == (1, "error: condition not met for jobs/run\n")
    r = kjob("wait", "--for=jsonpath={.status.succeeded}=4", "job/done", "--timeout=0")
    assert r.stderr == "error: condition not met for jobs/done\n"
    r = kjob(
        "wait",
        '--for=jsonpath={.status.conditions[?(@.type=="Complete")].status}=True',
        "job/done",
        "--timeout=0",
    )
    assert (r.exit_code, r.stdout) == (0, "job.batch/done condition met\n")
    r = kjob("wait", "--for=jsonpath={.metadata.generation}= 1 ", "job/done", "--timeout=0")
    assert r.exit_code == 0
    r = kjob("wait", "--for=jsonpath={.status}", "job/done", "--timeout=0")
    assert r.exit_code == 0
    r = kjob("wait", "--for=jsonpath={.status}=x", "job/done", "--timeout=5s")
    assert (r.exit_code, r.stderr) == (
        1,
        "error: jsonpath leads to a nested object or list which is not supported\n",
    )
    r = kjob("wait", "--for=jsonpath={.spec.template.metadata.labels.*}", "job/done", "--timeout=0")
    assert (r.exit_code, r.stderr) == (1, "error: given jsonpath expression matches more than one value\n")


def test_wait_for_delete_and_create(kjob, jobs) -> None:
    r = kjob("wait", "--for=delete", "job/nope")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", "")
    r = kjob("wait", "--for=delete", "job/done", "--timeout=0")
    assert (r.exit_code, r.stderr) == (1, "error: condition not met for jobs/done\n")
    r = kjob("wait", "--for=delete", "job/done", "--timeout=300ms")
    assert (r.exit_code, r.stderr) == (1, "error: timed out waiting for the condition on jobs/done\n")
    r = kjob("wait", "--for=delete", "jobs", "-l", "app=zzz")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", "")
    r = kjob("wait", "--for=create", "job/done")
    assert (r.exit_code, r.stdout) == (0, "job.batch/done condition met\n")
    r = kjob("wait", "--for=create", "job/nope", "--timeout=300ms")
    assert (r.exit_code, r.stderr) == (1, "error: timed out waiting for the condition\n")
    r = kjob("wait", "--for=create", "job/nope", "job/done", "--timeout=0")
    assert (r.exit_code, r.stdout, r.stderr) == (1, "", "error: timed out waiting for the condition\n")
    # kubectl gives up at once when several objects are missing.
    r = kjob("wait", "--for=create", "job/nope", "job/nope2", "--timeout=30s")
    assert r.stderr == (
        'Error from server (NotFound): jobs.batch "nope" not found\n'
        'Error from server (NotFound): jobs.batch "nope2" not found\n'
    )


def test_wait_from_file(kjob, jobs, tmp_path: Path) -> None:
    path = write_manifest(tmp_path, job_manifest("done", "true"))
    r = kjob("wait", "--for=condition=complete", "-f", str(path))
    assert (r.exit_code, r.stdout) == (0, "job.batch/done condition met\n")
    missing = write_manifest(tmp_path, job_manifest("nope", "true"), "nope.yaml")
    r = kjob("wait", "--for=delete", "-f", str(missing))
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", "")


def test_wait_sees_the_worker_complete_jobs(kjob_proc) -> None:
    kjob_proc("create", "-f", "-", input=job_manifest("quick", "true", completions=2))
    r = kjob_proc("wait", "--for=condition=complete", "job/quick", "--timeout=30s")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "job.batch/quick condition met\n", "")
    r = kjob_proc("wait", "--for=jsonpath={.status.succeeded}=2", "job/quick", "--timeout=0")
    assert (r.exit_code, r.stdout) == (0, "job.batch/quick condition met\n")
    kjob_proc("create", "-f", "-", input=job_manifest("bad", "exit 3", backoffLimit=0))
    r = kjob_proc("wait", "--for=condition=failed", "job/bad", "--timeout=30s")
    assert (r.exit_code, r.stdout) == (0, "job.batch/bad condition met\n")
    r = kjob_proc("delete", "job", "quick", "--wait=false")
    assert r.exit_code == 0
    r = kjob_proc("wait", "--for=delete", "job/quick", "--timeout=30s")
    assert r.exit_code == 0
