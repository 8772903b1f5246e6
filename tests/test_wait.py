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


def _wake_watchers(home: Path, said: bytes) -> int:
    """Send every watcher a wake-up, as the worker does after a pass; how many there were."""
    import socket

    sent = 0
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        for path in (home / "watch").glob("*.sock"):
            sock.sendto(said, str(path))
            sent += 1
    return sent


def test_a_condition_wait_reads_its_job_again_only_when_a_pass_says_a_job_moved(
    jobs, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker's wake-ups say whether a job's conditions changed (or a job went) in the pass;
    `wait --for=condition` on a job reads it again only then, or when a wake-up says neither (an
    older worker's), or after RECHECK without one."""
    import threading
    import time

    from kjob import worker
    from kjob.removal import Target

    reads: list[str] = []
    real_get = Store.get

    def get(self: Store, kind: str, namespace: str, name: str):  # type: ignore[no-untyped-def]
        reads.append(name)
        return real_get(self, kind, namespace, name)

    monkeypatch.setattr(Store, "get", get)
    monkeypatch.setattr(waiting, "RECHECK", 30.0)
    seen: dict[str, int] = {}

    def worker_passes() -> None:
        while not _wake_watchers(home, worker.OTHERS_MOVED):
            time.sleep(0.01)  # the wait has not made its watcher yet
        # Nor read the job it watches: settled once no read comes for a while (a loaded machine is
        # slow to make its first looks).
        deadline, last = time.monotonic() + 10, -1
        while reads.count("run") != last and time.monotonic() < deadline:
            last = reads.count("run")
            time.sleep(0.2)
        seen["before"] = reads.count("run")
        for _ in range(20):
            time.sleep(0.005)
            _wake_watchers(home, worker.OTHERS_MOVED)
        time.sleep(0.05)
        seen["after others"] = reads.count("run")
        _wake_watchers(home, b"c")  # an older worker's: read again
        time.sleep(0.05)
        seen["after old"] = reads.count("run")
        set_status(home, "run", COMPLETE)
        seen["completed"] = reads.count("run")  # set_status read it too
        _wake_watchers(home, worker.JOBS_MOVED)

    thread = threading.Thread(target=worker_passes)
    thread.start()
    outcomes = list(
        waiting.wait_for(
            Store(home), [Target("jobs", "default", "run")], waiting.parse_wait_for("condition=complete"), 10
        )
    )
    thread.join()
    assert [o.line for o in outcomes] == ["job.batch/run condition met"]
    assert seen["after others"] == seen["before"]  # twenty wake-ups, no read
    assert seen["after old"] == seen["before"] + 1
    assert reads.count("run") == seen["completed"] + 1


def test_the_worker_says_when_a_jobs_conditions_changed(kjob, home: Path) -> None:
    """A pass that changes only pods (or a job's counts) wakes watchers with OTHERS_MOVED; one that
    changes a job's conditions, or removes a job, with JOBS_MOVED. A watcher for jobs only (`kjob
    wait --for=condition` on jobs) is woken by the second kind alone."""
    import yaml

    from kjob import manifest, objects
    from kjob.worker import JOBS_MOVED, OTHERS_MOVED, Watcher, Worker

    store = Store(home)
    job = manifest.prepare_job(
        yaml.safe_load(job_manifest("w", "true", suspend=True)), "default", objects.now()
    )
    with store.lock():
        store.create("jobs", job)
    w = Worker(store)
    assert w.acquire()
    said: list[bytes] = []
    with Watcher(store) as watcher, Watcher(store, jobs_only=True) as jobs_watcher:
        with store.lock(), store.cached():
            w.run_pass()  # the Suspended condition
        w.notify_watchers()
        said += [watcher.wait(1), jobs_watcher.wait(1)]
        with store.lock(), store.cached():
            current = store.must_get("jobs", "default", "w")
            store.update("jobs", dict(current, status=dict(current["status"], active=0)))
        with store.lock(), store.cached():
            w.run_pass()  # the counts put right again: no condition moves
        w.notify_watchers()
        said += [watcher.wait(1), jobs_watcher.wait(0.2)]
        with store.lock():
            current = store.must_get("jobs", "default", "w")
            store.update(
                "jobs",
                dict(
                    current,
                    metadata=dict(
                        current["metadata"], deletionTimestamp="x", finalizers=["foregroundDeletion"]
                    ),
                ),
            )
        with store.lock(), store.cached():
            w.run_pass()  # no pods: the job goes
        w.notify_watchers()
        said += [watcher.wait(1), jobs_watcher.wait(1)]
    w.release()
    assert store.get("jobs", "default", "w") is None
    assert said == [JOBS_MOVED, JOBS_MOVED, OTHERS_MOVED, b"", JOBS_MOVED, JOBS_MOVED]
