"""The CLI through Click's runner: exact stdout and stderr, exit codes, kubectl's messages."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from kjob.cli import base as cli
from tests.conftest import job_manifest, modules_loaded_by, wait_until, write_manifest


def test_create_prints_created_and_stores_api_shape(kjob, home: Path, tmp_path: Path) -> None:
    path = write_manifest(tmp_path, job_manifest("job-count", "echo hi"))
    r = kjob("create", "-f", str(path))
    assert (r.exit_code, r.stdout, r.stderr) == (0, "job.batch/job-count created\n", "")
    stored = json.loads((home / "jobs" / "default" / "job-count.json").read_text())["object"]
    meta = stored["metadata"]
    assert meta["namespace"] == "default" and meta["generation"] == 1
    assert re.fullmatch(r"[0-9a-f-]{36}", meta["uid"])
    assert meta["resourceVersion"].isdigit()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", meta["creationTimestamp"])
    assert stored["spec"]["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": meta["uid"]}}
    assert stored["spec"]["template"]["metadata"]["labels"] == {
        "batch.kubernetes.io/controller-uid": meta["uid"],
        "batch.kubernetes.io/job-name": "job-count",
        "controller-uid": meta["uid"],
        "job-name": "job-count",
    }
    assert stored["spec"]["backoffLimit"] == 6 and stored["spec"]["completions"] == 1


def test_create_twice_is_already_exists_with_file_context(kjob, tmp_path: Path) -> None:
    path = write_manifest(tmp_path, job_manifest("job-count", "true"))
    assert kjob("create", "-f", str(path)).exit_code == 0
    r = kjob("create", "-f", str(path))
    assert r.exit_code == 1
    assert r.stdout == ""
    assert r.stderr == (
        f'Error from server (AlreadyExists): error when creating "{path}": jobs.batch "job-count" already exists\n'
    )


def test_create_missing_restart_policy_is_invalid(kjob, tmp_path: Path) -> None:
    text = job_manifest("x", "true").replace("      restartPolicy: Never\n", "")
    r = kjob("create", "-f", str(write_manifest(tmp_path, text)))
    assert r.exit_code == 1
    assert r.stderr == (
        'The Job "x" is invalid: spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"\n'
    )


def test_create_from_directory_stdin_and_multidoc(kjob, tmp_path: Path) -> None:
    d = tmp_path / "many"
    d.mkdir()
    write_manifest(d, job_manifest("a", "true"), "a.yaml")
    write_manifest(d, job_manifest("b", "true") + "---\n" + job_manifest("c", "true"), "b.yml")
    write_manifest(d, "not a manifest", "notes.txt")
    r = kjob("create", "-f", str(d), "-f", "-", input=job_manifest("d", "true"))
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "".join(f"job.batch/{n} created\n" for n in "abcd")


def test_create_keeps_going_after_a_bad_document(kjob, tmp_path: Path) -> None:
    bad = job_manifest("Bad_Name", "true")
    r = kjob("create", "-f", "-", input=bad + "---\n" + job_manifest("good", "true"))
    assert r.exit_code == 1
    assert r.stdout == "job.batch/good created\n"
    assert r.stderr.startswith('The Job "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name"')


def test_create_warns_about_a_container_without_command(kjob, tmp_path: Path) -> None:
    text = job_manifest("nocmd", "true").replace('        command: ["sh", "-c", "true"]\n', "")
    r = kjob("create", "-f", str(write_manifest(tmp_path, text)))
    assert r.exit_code == 0
    assert r.stdout == "job.batch/nocmd created\n"
    assert 'container "c" has no command' in r.stderr
    assert r.stderr.count("\n") == 1


def test_create_unknown_field_is_rejected_strictly(kjob, tmp_path: Path) -> None:
    text = job_manifest("x", "true").replace("spec:\n", "spec:\n  bogusField: 1\n", 1)
    path = write_manifest(tmp_path, text)
    r = kjob("create", "-f", str(path))
    assert r.exit_code == 1
    assert r.stderr == (
        f'Error from server (BadRequest): error when creating "{path}": Job in version "v1" cannot be handled '
        'as a Job: strict decoding error: unknown field "spec.bogusField"\n'
    )


def test_create_without_filename_is_a_usage_error(kjob) -> None:
    r = kjob("create")
    assert r.exit_code == 1 and r.stderr.startswith("error: ")


def test_get_with_nothing_says_no_resources_on_stderr(kjob) -> None:
    for args in (("get", "jobs"), ("get", "pods"), ("get", "po"), ("get", "jobs.batch")):
        r = kjob(*args)
        assert (r.exit_code, r.stdout, r.stderr) == (0, "", "No resources found in default namespace.\n")


def test_get_in_another_namespace_says_so(kjob) -> None:
    r = kjob("get", "jobs", "-n", "team")
    assert r.stderr == "No resources found in team namespace.\n"


def test_get_missing_job_is_not_found(kjob) -> None:
    r = kjob("get", "jobs", "nope")
    assert (r.exit_code, r.stdout, r.stderr) == (
        1,
        "",
        'Error from server (NotFound): jobs.batch "nope" not found\n',
    )
    r = kjob("get", "pod", "nope")
    assert r.stderr == 'Error from server (NotFound): pods "nope" not found\n'


def test_get_unknown_type(kjob) -> None:
    r = kjob("get", "deployments")
    assert (r.exit_code, r.stderr) == (1, 'error: the server doesn\'t have a resource type "deployments"\n')


def test_get_jobs_table_and_found_plus_missing(kjob, tmp_path: Path) -> None:
    kjob("create", "-f", "-", input=job_manifest("job-count", "true", suspend=True))
    r = kjob("get", "jobs")
    assert r.stdout.splitlines()[0] == "NAME        COMPLETIONS   DURATION   AGE"
    assert re.fullmatch(r"job-count   0/1                      \d+s\n", r.stdout.splitlines(True)[1])
    r = kjob("get", "job", "job-count", "nope")
    assert r.exit_code == 1
    assert r.stdout.startswith("NAME")
    assert r.stderr == 'Error from server (NotFound): jobs.batch "nope" not found\n'


def test_get_json_of_one_and_of_a_list(kjob) -> None:
    kjob("create", "-f", "-", input=job_manifest("a", "true", suspend=True))
    one = json.loads(kjob("get", "job", "a", "-o", "json").stdout)
    assert one["kind"] == "Job" and one["metadata"]["name"] == "a"
    listing = json.loads(kjob("get", "jobs", "-o", "json").stdout)
    assert listing["kind"] == "List" and [i["metadata"]["name"] for i in listing["items"]] == ["a"]
    assert kjob("get", "jobs", "-o", "name").stdout == "job.batch/a\n"


def test_namespaces_are_separate(kjob) -> None:
    assert (
        kjob("create", "-n", "team", "-f", "-", input=job_manifest("a", "true", suspend=True)).exit_code == 0
    )
    assert kjob("get", "jobs", "a").exit_code == 1
    assert kjob("get", "jobs", "a", "-n", "team").exit_code == 0


def test_corrupt_object_is_reported_and_the_rest_listed(kjob, home: Path) -> None:
    kjob("create", "-f", "-", input=job_manifest("a", "true", suspend=True))
    kjob("create", "-f", "-", input=job_manifest("b", "true", suspend=True))
    bad = home / "jobs" / "default" / "a.json"
    bad.write_text("{garbage")
    r = kjob("get", "jobs")
    assert r.exit_code == 0
    assert [line.split()[0] for line in r.stdout.splitlines()] == ["NAME", "b"]
    assert str(bad) in r.stderr and "Traceback" not in r.stderr


def test_a_namespace_no_object_can_have_holds_nothing_and_a_broken_home_is_an_error(
    kjob, home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`-n` of 300 characters printed an error and then "No resources found" with exit 0; a state
    directory that is a file said the same. The first holds nothing; the second is an error."""
    long = "c" * 300
    r = kjob("get", "jobs", "-n", long)
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", f"No resources found in {long} namespace.\n")
    broken = tmp_path / "a-file"
    broken.write_text("not a state directory")
    monkeypatch.setenv("KJOB_HOME", str(broken))
    r = kjob("get", "jobs")
    assert (r.exit_code, r.stderr) == (1, f"error: cannot read {broken}/jobs/default: Not a directory\n")


def test_describe_missing_and_logs_missing(kjob) -> None:
    r = kjob("describe", "jobs", "nope")
    assert (r.exit_code, r.stderr) == (1, 'Error from server (NotFound): jobs.batch "nope" not found\n')
    r = kjob("logs", "nope")
    assert (r.exit_code, r.stderr) == (
        1,
        'error: error from server (NotFound): pods "nope" not found in namespace "default"\n',
    )


def test_delete_missing_and_present(kjob) -> None:
    kjob("create", "-f", "-", input=job_manifest("a", "true", suspend=True))
    r = kjob("delete", "jobs", "a", "nope")
    assert r.exit_code == 1
    assert r.stdout == 'job.batch "a" deleted\n'
    assert r.stderr == 'Error from server (NotFound): jobs.batch "nope" not found\n'
    assert kjob("get", "jobs", "a").exit_code == 1


def test_wait_timeout_zero_and_timeout(kjob) -> None:
    kjob("create", "-f", "-", input=job_manifest("a", "true", suspend=True))
    r = kjob("wait", "--for=condition=complete", "job/a", "--timeout=0")
    assert (r.exit_code, r.stderr) == (1, "error: condition not met for jobs/a\n")
    r = kjob("wait", "--for=condition=complete", "job/a", "--timeout=200ms")
    assert (r.exit_code, r.stderr) == (1, "error: timed out waiting for the condition on jobs/a\n")
    r = kjob("wait", "--for=condition=suspended", "jobs", "a", "--timeout=5s")
    assert (r.exit_code, r.stdout) == (0, "job.batch/a condition met\n")
    r = kjob("wait", "--for=nonsense", "job/a")
    assert r.stderr == 'error: unrecognized condition: "nonsense"\n'
    r = kjob("wait", "--for=condition=complete", "job/nope")
    assert r.stderr == 'Error from server (NotFound): jobs.batch "nope" not found\n'


def test_unexpected_errors_are_one_line(kjob, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*a: object, **k: object) -> None:
        raise ZeroDivisionError("bug")

    monkeypatch.setattr("kjob.query.each_object", boom)
    r = kjob("get", "jobs")
    assert r.exit_code == 1
    assert r.stderr == "error: internal error: ZeroDivisionError: bug (set KJOB_DEBUG=1 for a traceback)\n"


@pytest.mark.parametrize("stdout", ["/dev/full", "closed"])
def test_a_stdout_that_takes_nothing_is_one_line_of_error(home: Path, stdout: str) -> None:
    """`kjob get ... > /dev/full`, `kjob create ... >&-`: Go's words for the failed write, exit 1, no
    traceback; what was done is done (the job exists)."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    env = {**os.environ, "KJOB_HOME": str(home), "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "kjob", "create", "-f", "-"]
    manifest = job_manifest("full", "true", suspend=True)
    if stdout == "closed":
        r = subprocess.run(
            argv, input=manifest, text=True, stderr=subprocess.PIPE, env=env, preexec_fn=lambda: os.close(1)
        )
        detail = "bad file descriptor"
    else:
        with open(stdout, "w") as sink:
            r = subprocess.run(argv, input=manifest, text=True, stdout=sink, stderr=subprocess.PIPE, env=env)
        detail = "no space left on device"
    assert (r.returncode, r.stderr) == (1, f"error: write /dev/stdout: {detail}\n")
    listed = subprocess.run(
        [sys.executable, "-m", "kjob", "get", "jobs", "-o", "name"], capture_output=True, text=True, env=env
    )
    assert listed.stdout == "job.batch/full\n"


@pytest.mark.parametrize("command", sorted(cli.COMMANDS))
def test_every_command_has_help_with_examples(kjob, command: str) -> None:
    r = kjob(command, "-h")
    assert r.exit_code == 0
    assert "Usage:" in r.stdout and "Examples:" in r.stdout


def test_the_walkthrough_manifest_is_the_walkthroughs_job() -> None:
    import yaml

    doc = yaml.safe_load((Path(__file__).parent.parent / "configs" / "jobs" / "job.yaml").read_text())
    container = doc["spec"]["template"]["spec"]["containers"][0]
    assert doc["metadata"]["name"] == "job-count"
    assert container["name"] == "client" and container["image"] == "melhiades/alpine-curl:latest"
    assert container["command"] == ["sh", "-c", "for i in 9 8 7 6 5 4 3 2 1; do echo $i; sleep 3; done"]


def test_logs_of_a_finished_pod(kjob) -> None:
    kjob("create", "-f", "-", input=job_manifest("j", "echo one; echo two"))
    r = kjob("wait", "--for=condition=complete", "job/j", "--timeout=20s")
    assert r.stdout == "job.batch/j condition met\n", r.stderr
    pod = kjob("get", "pods", "-o", "name").stdout.strip().split("/")[1]
    r = kjob("logs", pod)
    assert (r.exit_code, r.stdout, r.stderr) == (0, "one\ntwo\n", "")
    wait_until(lambda: kjob("get", "pods").stdout.count("Completed") == 1)


@pytest.mark.parametrize("text", ["", "---\n---\n", "# only a comment\n"])
@pytest.mark.parametrize("verb", ["create", "apply", "run"])
def test_a_write_with_no_objects_is_an_error(kjob, text: str, verb: str) -> None:
    r = kjob(verb, "-f", "-", input=text)
    assert (r.exit_code, r.stdout, r.stderr) == (1, "", f"error: no objects passed to {verb}\n")


def test_create_with_a_resource_version_names_the_file(kjob) -> None:
    text = job_manifest("rv", "true").replace("  name: rv\n", '  name: rv\n  resourceVersion: "5"\n')
    r = kjob("create", "-f", "-", input=text)
    assert r.exit_code == 1
    assert (
        r.stderr
        == 'Error from server: error when creating "STDIN": resourceVersion should not be set on objects to be created\n'
    )


def test_the_workers_remembered_listing_sees_every_cli_write(kjob, home: Path) -> None:
    """The worker lists everything on every pass from what it remembers while no other process has
    written: each CLI write must move the store's resourceversion file, so the next pass sees it."""
    from kjob.store import Store

    worker_store = Store(home)
    worker_store.remember_reads()

    def worker_pass_sees_the_disk() -> None:
        with worker_store.lock(), worker_store.cached():
            # Holding the lock, nothing changes between the two listings.
            for kind in ("jobs", "pods"):
                assert worker_store.list(kind) == Store(home).list(kind)

    assert kjob("create", "-f", "-", input=job_manifest("a", "true", suspend=True)).exit_code == 0
    worker_pass_sees_the_disk()
    worker_pass_sees_the_disk()  # from memory this time
    assert kjob("create", "-f", "-", input=job_manifest("b", "true", suspend=True)).exit_code == 0
    worker_pass_sees_the_disk()
    assert kjob("label", "job", "a", "team=x").exit_code == 0
    worker_pass_sees_the_disk()
    with worker_store.lock():
        assert worker_store.must_get("jobs", "default", "a")["metadata"]["labels"]["team"] == "x"
    assert kjob("patch", "job", "a", "-p", '{"metadata":{"annotations":{"k":"v"}}}').exit_code == 0
    worker_pass_sees_the_disk()
    assert kjob("delete", "job", "b").exit_code == 0
    worker_pass_sees_the_disk()
    with worker_store.lock(), worker_store.cached():
        assert "b" not in [o["metadata"]["name"] for o in worker_store.list("jobs")]


def test_get_of_finished_work_imports_neither_the_worker_nor_pathlib(kjob_proc, home: Path) -> None:
    """A read that finds nothing left to do stays on the cheap path: kjob.commands, kjob.worker,
    pathlib (~3 ms), locale (Click's gettext, ~1 ms) and dataclasses are not imported for it."""
    from kjob.store import Store

    store = Store(home)
    with store.lock():
        store.create(
            "pods",
            {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "status": {"phase": "Succeeded"}},
        )
    loaded, printed, stderr = modules_loaded_by(
        ["get", "pods"], home, {"pathlib", "locale", "dataclasses", "kjob.commands", "kjob.worker"}
    )
    assert loaded == [], stderr
    assert printed[1].startswith("p ")


@pytest.mark.parametrize(
    ("args", "spelled"),
    [
        (["pods", "-o", "json", "-A"], ["pods", "--output", "json", "--all-namespaces"]),
        (["-l", "-o", "pods"], ["--selector", "-o", "pods"]),  # -o is -l's value here
        (["pods", "-o"], ["pods", "-o"]),  # a missing value keeps the user's spelling for the error
        (["pods", "--", "-o", "json"], ["pods", "--", "-o", "json"]),
        (["pods", "-ojson", "-Aw"], ["pods", "-ojson", "-Aw"]),
        # pflag reads `-o=json` as -o's value json (Click would read `=json`); `-l=a=b` as the value a=b.
        (
            ["pods", "-o=json", "-l=a=b", "-n="],
            ["pods", "--output", "json", "--selector", "a=b", "--namespace", ""],
        ),
        (["pods", "-h"], ["pods", "--help"]),
    ],
)
def test_short_options_reach_click_spelled_long(args: list[str], spelled: list[str]) -> None:
    """Click tries a short option as a long one first and its NoSuchOption imports locale (~1.7 ms)."""
    from kjob.cli.get import get_command

    assert cli.long_spellings(get_command, args) == spelled


def test_spelling_options_long_stops_where_clicks_reading_could_differ() -> None:
    import click

    @click.command(context_settings={"allow_interspersed_args": False})
    @click.option("-o", "--output")
    @click.option("-c", "--cascade", is_flag=False, flag_value="background")
    @click.option("-p", "--pair", nargs=2)
    def command(**_: object) -> None:
        pass

    assert cli.long_spellings(command, ["-o", "x", "name", "-o", "y"]) == [
        "--output",
        "x",
        "name",
        "-o",
        "y",
    ]
    assert cli.long_spellings(command, ["-o", "x", "-c", "-o", "y"]) == ["--output", "x", "-c", "-o", "y"]
    assert cli.long_spellings(command, ["-p", "a", "b", "-o", "y"]) == ["-p", "a", "b", "-o", "y"]
    # A group's own options come before its subcommand's name, where the walk stops.
    group = click.Group(commands={"command": command})
    group.params.append(click.Option(["-o", "--output"]))
    assert cli.long_spellings(group, ["-o", "x", "command", "-o", "y"]) == [
        "--output",
        "x",
        "command",
        "-o",
        "y",
    ]


def test_create_with_short_options_prints_what_the_long_ones_do(kjob, tmp_path: Path) -> None:
    manifest = tmp_path / "job.yaml"
    manifest.write_text(job_manifest("short", "true"))
    short = kjob("create", "-f", str(manifest), "-n", "other", "-o", "yaml", "--dry-run=client")
    spelled = kjob(
        "create", "--filename", str(manifest), "--namespace", "other", "--output", "yaml", "--dry-run=client"
    )
    assert (short.exit_code, short.stdout, short.stderr) == (
        spelled.exit_code,
        spelled.stdout,
        spelled.stderr,
    )
    assert "namespace: other" in short.stdout
    # The subcommand's options are its own (the rewriting stops at its name).
    job = kjob("create", "job", "j", "--image=busybox", "-o", "name", "--dry-run=client", "--", "date")
    assert (job.exit_code, job.stdout) == (0, "job.batch/j\n")
    # Flags before its name are the subcommand's too, and one it does not have is refused as typed.
    before = kjob("create", "-o", "name", "--dry-run=client", "job", "j", "--image=busybox", "--", "date")
    assert (before.exit_code, before.stdout) == (0, "job.batch/j\n")
    wrong = kjob("create", "-f", str(manifest), "job", "j", "--image=busybox")
    assert (wrong.exit_code, wrong.stdout, wrong.stderr) == (
        1,
        "",
        "Error: unknown shorthand flag: 'f' in -f\nSee 'kjob create job --help' for usage.\n",
    )


def test_short_options_take_their_values_after_an_equals_sign_as_kubectl_does(kjob, tmp_path: Path) -> None:
    manifest = tmp_path / "job.yaml"
    manifest.write_text(job_manifest("eq", "echo hi"))
    created = kjob("create", "-f=" + str(manifest), "-n=other")
    assert (created.exit_code, created.stdout, created.stderr) == (0, "job.batch/eq created\n", "")
    listed = kjob("get", "jobs", "-n=other", "-o=name", "-l=job-name=eq")
    assert (listed.exit_code, listed.stdout) == (0, "job.batch/eq\n")
    assert kjob("wait", "--for=condition=complete", "job/eq", "-n=other", "--timeout=60s").exit_code == 0
    pod = kjob("get", "pods", "-n=other", "-o=jsonpath={.items[0].metadata.name}").stdout
    logs = kjob("logs", pod, "-n=other", "-c=c")
    assert (logs.exit_code, logs.stdout) == (0, "hi\n")
    # `create job` too, up to `--`: what follows is the container's command, as typed.
    job = kjob(
        "create",
        "job",
        "j",
        "--image=busybox",
        "-n=other",
        "-o=yaml",
        "--dry-run=client",
        "--",
        "echo",
        "-n=3",
    )
    assert job.exit_code == 0, job.stderr
    assert "  namespace: other\n" in job.stdout and "        - -n=3\n" in job.stdout


def test_get_with_short_options_prints_what_the_long_ones_do(kjob) -> None:
    assert kjob("create", "-f", "-", input=job_manifest("a", "true", suspend=True)).exit_code == 0
    short = kjob("get", "jobs", "-o", "name", "-n", "default", "-l", "job-name=a")
    assert short == kjob(
        "get", "jobs", "--output", "name", "--namespace", "default", "--selector", "job-name=a"
    )
    assert short.stdout == "job.batch/a\n"
    missing = kjob("get", "jobs", "-o")
    assert (missing.exit_code, missing.stderr) == (
        1,
        "Error: flag needs an argument: 'o' in -o\nSee 'kjob get --help' for usage.\n",
    )


def test_flags_before_the_command_are_the_commands_as_in_kubectl(kjob) -> None:
    assert (
        kjob("create", "-f", "-", "-n", "dev", input=job_manifest("a", "true", suspend=True)).exit_code == 0
    )
    before = kjob("-n", "dev", "get", "jobs", "-o", "name")
    assert (before.exit_code, before.stdout) == (0, "job.batch/a\n")
    assert kjob("--namespace=dev", "get", "jobs", "-o", "name").stdout == "job.batch/a\n"
    # A value that is some command's name stays a value.
    assert kjob("-n", "get", "get", "jobs").stderr == "No resources found in get namespace.\n"


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [
        ("bogus", ["logs"]),
        ("descrbe", ["describe"]),
        ("gett", ["get"]),
        ("ap", ["apply", "api-resources"]),
        ("zzzz", []),
    ],
)
def test_an_unknown_command_gets_cobras_error_and_suggestions(kjob, typed: str, suggested: list[str]) -> None:
    r = kjob(typed, "pods")
    hint = "\n\nDid you mean this?\n" + "".join(f"\t{s}\n" for s in suggested) if suggested else ""
    assert (r.exit_code, r.stdout, r.stderr) == (
        1,
        "",
        f'Error: unknown command "{typed}" for "kjob"{hint}\n',
    )


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
@pytest.mark.parametrize(
    "args",
    [
        ["bogus"],
        ["wiat"],
        ["crate", "-f", "x"],
        ["zzzz"],
        ["get", "pods", "-z"],
        ["get", "pods", "-n"],
        ["logs", "--container"],
        # The flags moved from before the command's name take no value from the words after it.
        ["-n", "dev", "get", "pods", "-l"],
        ["create", "--dry-run=client", "job", "j", "--image"],
    ],
)
def test_unknown_commands_and_flags_read_as_kubectls(kjob, args: list[str]) -> None:
    env = {**os.environ, "KUBECONFIG": os.devnull}
    expected = subprocess.run(["kubectl", *args], capture_output=True, text=True, env=env, timeout=60)
    r = kjob(*args)
    assert (r.exit_code, r.stdout, r.stderr) == (1, "", expected.stderr.replace("kubectl", "kjob"))


def test_kjob_alone_prints_its_help_and_succeeds(kjob) -> None:
    alone, asked = kjob(), kjob("--help")
    assert (alone.exit_code, alone.stdout, alone.stderr) == (0, asked.stdout, "")
    assert alone.stdout.startswith("Usage: kjob [OPTIONS] COMMAND [ARGS]...")


def test_help_command_is_cobras(kjob) -> None:
    """`kjob help COMMAND...` is `kjob COMMAND... --help`, as kubectl's (cobra's) help command; it is
    not listed among the commands."""
    assert kjob("help", "get").stdout == kjob("get", "--help").stdout
    assert kjob("help", "get", "pods").stdout == kjob("get", "--help").stdout  # the rest are arguments
    assert kjob("help", "create", "job").stdout == kjob("create", "job", "--help").stdout
    root = kjob("--help").stdout
    assert kjob("help").stdout == root and "  help " not in root
    unknown = kjob("help", "nope", "x")
    assert (unknown.exit_code, unknown.stdout) == (0, "Unknown help topic [`nope` `x`]\n" + root)
