"""kjob delete: kubectl's flags, messages and cascades, against texts taken from kubectl v1.32."""

from __future__ import annotations

import json
from pathlib import Path

from kjob.objects import format_time, now, parse_time
from kjob.store import Store
from tests.conftest import job_manifest, wait_until, write_manifest

FORCE_WARNING = (
    "Warning: Immediate deletion does not wait for confirmation that the running resource has been "
    "terminated. The resource may continue to run on the cluster indefinitely.\n"
)


def suspended(kjob, *names: str, **labels: str) -> None:
    for name in names:
        text = job_manifest(name, "true", suspend=True)
        if labels:
            text = text.replace(f"  name: {name}\n", f"  name: {name}\n  labels: {json.dumps(labels)}\n")
        assert kjob("create", "-f", "-", input=text).exit_code == 0


def put_pod(home: Path, name: str, phase: str = "Succeeded", grace: int | None = None, **labels: str) -> None:
    """A standalone pod written straight into the store; a finished one gives the worker nothing to do."""
    spec: dict[str, object] = {"containers": [{"name": "c", "image": "busybox", "command": ["true"]}]}
    if grace is not None:
        spec["terminationGracePeriodSeconds"] = grace
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": "default",
            "uid": f"uid-{name}",
            "labels": labels,
            "creationTimestamp": format_time(now()),
        },
        "spec": spec,
        "status": {"phase": phase},
    }
    store = Store(home)
    with store.lock():
        store.create("pods", pod)


def names(kjob, kind: str = "jobs") -> list[str]:
    return kjob("get", kind, "-o", "name").stdout.split()


# ---------------------------------------------------------------- usage errors


def test_delete_usage_errors(kjob) -> None:
    cases = {
        (): "error: You must provide one or more resources by argument or filename.\n"
        "Example resource specifications include:\n"
        "   '-f rsrc.yaml'\n"
        "   '--filename=rsrc.json'\n"
        "   '<resource> <name>'\n"
        "   '<resource>'\n",
        ("jobs",): "error: resource(s) were provided, but no name was specified\n",
        ("jobs", "--all", "-l", "app=a"): "error: setting 'all' parameter but found a non empty selector. \n",
        ("jobs", "--all", "--field-selector", "metadata.name=x"): (
            "error: setting 'all' parameter but found a non empty selector. \n"
        ),
        ("jobs", "a", "--all"): "error: name cannot be provided when a selector is specified\n",
        ("jobs", "a", "-l", "app=a"): "error: name cannot be provided when a selector is specified\n",
        ("job", "a", "-o", "yaml"): "error: unexpected -o output mode: yaml. We only support '-o name'\n",
        ("job", "a", "--cascade=maybe"): (
            'error: invalid cascade value (maybe). Must be "background", "foreground", or "orphan"\n'
        ),
        (
            "job",
            "a",
            "--now",
            "--grace-period=5",
        ): "error: --now and --grace-period cannot be specified together\n",
        ("job", "a", "--force", "--grace-period=5"): (
            "error: --force and --grace-period greater than 0 cannot be specified together\n"
        ),
        (
            "job",
            "a",
            "--dry-run=bogus",
        ): 'error: Invalid dry-run value (bogus). Must be "none", "server", or "client".\n',
        ("job/a", "job"): (
            "error: there is no need to specify a resource type as a separate argument when passing arguments in "
            "resource/name form (e.g. 'kjob get resource/<resource_name>' instead of 'kjob get resource "
            "resource/<resource_name>'\n"
        ),
        ("job/a/b",): "error: arguments in resource/name form may not have more than one slash\n",
        ("foo", "a"): 'error: the server doesn\'t have a resource type "foo"\n',
        ("job", "a", "--timeout=bad"): (
            'Error: invalid argument "bad" for "--timeout" flag: time: invalid duration "bad"\n'
            "See 'kjob delete --help' for usage.\n"
        ),
        ("job", "a", "--grace-period=abc"): (
            'Error: invalid argument "abc" for "--grace-period" flag: strconv.ParseInt: parsing "abc": invalid '
            "syntax\nSee 'kjob delete --help' for usage.\n"
        ),
    }
    for args, stderr in cases.items():
        r = kjob("delete", *args)
        assert (r.exit_code, r.stdout, r.stderr) == (1, "", stderr), args


def test_delete_not_found_and_several_names(kjob) -> None:
    suspended(kjob, "a", "b")
    r = kjob("delete", "job", "nope")
    assert (r.exit_code, r.stdout, r.stderr) == (
        1,
        "",
        'Error from server (NotFound): jobs.batch "nope" not found\n',
    )
    r = kjob("delete", "job", "a", "nope", "b", "nope2")
    assert r.exit_code == 1
    assert r.stdout == 'job.batch "a" deleted\njob.batch "b" deleted\n'
    assert r.stderr == (
        'Error from server (NotFound): jobs.batch "nope" not found\n'
        'Error from server (NotFound): jobs.batch "nope2" not found\n'
    )
    assert names(kjob) == []


def test_delete_ignore_not_found_and_name_output(kjob) -> None:
    suspended(kjob, "a", "b")
    r = kjob("delete", "job", "nope", "--ignore-not-found")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", "")
    r = kjob("delete", "job/a", "job/nope", "-o", "name", "--ignore-not-found=true")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "job.batch/a\n", "")
    r = kjob("delete", "jobs", "b", "nope", "-o", "name")
    assert (r.exit_code, r.stdout) == (1, "job.batch/b\n")
    assert r.stderr == 'Error from server (NotFound): jobs.batch "nope" not found\n'


def test_delete_selectors_all_and_nothing_found(kjob) -> None:
    suspended(kjob, "a1", "a2", app="a")
    suspended(kjob, "b1", app="b")
    r = kjob("delete", "jobs", "-l", "app=zzz")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "No resources found\n", "")
    r = kjob("delete", "jobs", "--field-selector", "metadata.name=zzz")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "No resources found\n", "")
    r = kjob("delete", "jobs", "-l", "app=a", "--dry-run=client")
    assert (r.exit_code, r.stdout) == (
        0,
        'job.batch "a1" deleted (dry run)\njob.batch "a2" deleted (dry run)\n',
    )
    r = kjob("delete", "jobs", "-l", "app=a")
    assert (r.exit_code, r.stdout) == (0, 'job.batch "a1" deleted\njob.batch "a2" deleted\n')
    r = kjob("delete", "jobs", "--field-selector", "metadata.name!=zzz", "-o", "name")
    assert (r.exit_code, r.stdout) == (0, "job.batch/b1\n")
    suspended(kjob, "c")
    r = kjob("delete", "jobs", "--all")
    assert (r.exit_code, r.stdout) == (0, 'job.batch "c" deleted\n')
    r = kjob("delete", "jobs,pods", "--all")
    assert (r.exit_code, r.stdout) == (0, "No resources found\n")


def test_delete_bad_selector_is_the_servers_error(kjob) -> None:
    r = kjob("delete", "jobs", "-l", "a b")
    assert r.exit_code == 1
    assert r.stderr.startswith(
        'Error from server (BadRequest): Unable to find "batch/v1, Resource=jobs" that match label selector "a b"'
    )


def test_delete_dry_run(kjob) -> None:
    suspended(kjob, "a")
    # A client dry run does not even look the object up.
    r = kjob("delete", "job", "nope", "--dry-run=client")
    assert (r.exit_code, r.stdout, r.stderr) == (0, 'job.batch "nope" deleted (dry run)\n', "")
    r = kjob("delete", "job", "a", "--dry-run")
    assert (r.exit_code, r.stdout) == (0, 'job.batch "a" deleted (dry run)\n')
    r = kjob("delete", "job", "a", "--dry-run=server")
    assert (r.exit_code, r.stdout) == (0, 'job.batch "a" deleted (server dry run)\n')
    r = kjob("delete", "job", "nope", "--dry-run=server")
    assert (r.exit_code, r.stderr) == (1, 'Error from server (NotFound): jobs.batch "nope" not found\n')
    assert names(kjob) == ["job.batch/a"]


def test_delete_cascade_flag_forms(kjob) -> None:
    r = kjob("delete", "job", "x", "--cascade=false")
    assert r.stderr == (
        "warning: --cascade=false is deprecated (boolean value) and can be replaced with --cascade=orphan.\n"
        'Error from server (NotFound): jobs.batch "x" not found\n'
    )
    r = kjob("delete", "job", "x", "--cascade=true")
    assert r.stderr == (
        "warning: --cascade=true is deprecated (boolean value) and can be replaced with --cascade=background.\n"
        'Error from server (NotFound): jobs.batch "x" not found\n'
    )
    suspended(kjob, "a")
    r = kjob("delete", "job", "a", "--cascade")
    assert (r.exit_code, r.stdout, r.stderr) == (0, 'job.batch "a" deleted\n', "")


def test_delete_from_file(kjob, tmp_path: Path) -> None:
    suspended(kjob, "a")
    present = write_manifest(tmp_path, job_manifest("a", "true"), "a.yaml")
    missing = write_manifest(tmp_path, job_manifest("nope", "true"), "nope.yaml")
    r = kjob("delete", "-f", str(present), "-f", str(missing), "-o", "name")
    assert (r.exit_code, r.stdout) == (1, "job.batch/a\n")
    assert (
        r.stderr
        == f'Error from server (NotFound): error when deleting "{missing}": jobs.batch "nope" not found\n'
    )
    r = kjob("delete", "-f", str(missing), "--ignore-not-found")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", "")
    r = kjob("delete", "-f", str(missing), "jobs")
    assert r.stderr == (
        "error: when paths, URLs, or stdin is provided as input, you may not specify resource arguments as well\n"
    )
    r = kjob("delete", "-f", str(tmp_path / "none.yaml"))
    assert r.stderr == f'error: the path "{tmp_path / "none.yaml"}" does not exist\n'
    other = write_manifest(
        tmp_path,
        job_manifest("x", "true").replace("  name: x\n", "  name: x\n  namespace: other\n"),
        "x.yaml",
    )
    r = kjob("delete", "-f", str(other), "-n", "default")
    assert r.stderr == (
        'error: the namespace from the provided object "other" does not match the namespace "default". You must '
        "pass '--namespace=other' to perform this operation.\n"
    )


def test_delete_pod_grace_periods(kjob, home: Path) -> None:
    store = Store(home)
    put_pod(home, "p1", phase="Running", grace=45)
    put_pod(home, "p2", phase="Running")
    put_pod(home, "p3", phase="Running")
    put_pod(home, "p4", phase="Running")
    # --wait=false: these pods run nothing, the check is on what the API server would record.
    assert kjob("delete", "pod", "p1", "--wait=false").stdout == 'pod "p1" deleted\n'
    assert kjob("delete", "pod/p2", "--now", "--wait=false").stdout == 'pod "p2" deleted\n'
    assert kjob("delete", "pod", "p3", "--grace-period=0", "--wait=false").stdout == 'pod "p3" deleted\n'
    r = kjob("delete", "pod", "p4", "--grace-period=0", "--force", "--wait=false")
    assert (r.exit_code, r.stdout, r.stderr) == (0, 'pod "p4" force deleted\n', FORCE_WARNING)
    expected = {"p1": 45, "p2": 1, "p3": 1, "p4": 0}
    for name, grace in expected.items():
        pod = store.get("pods", "default", name)
        if pod is None:  # the worker may already have removed one
            continue
        assert pod["metadata"]["deletionGracePeriodSeconds"] == grace
        stamp = parse_time(pod["metadata"]["deletionTimestamp"])
        assert stamp is not None and abs(stamp - (now() + grace)) < 5


def test_delete_force_alone_is_grace_zero(kjob, home: Path) -> None:
    put_pod(home, "p", phase="Running")
    r = kjob("delete", "pod", "p", "--force", "--wait=false")
    assert (r.stdout, r.stderr) == ('pod "p" force deleted\n', FORCE_WARNING)


def test_delete_waits_for_a_pod_to_be_gone(kjob, home: Path) -> None:
    put_pod(home, "p")
    r = kjob("delete", "pod", "p", "--timeout=20s")
    assert (r.exit_code, r.stdout, r.stderr) == (0, 'pod "p" deleted\n', "")
    assert Store(home).get("pods", "default", "p") is None


def test_delete_wait_timeout(kjob, home: Path) -> None:
    # A finalizer nobody removes keeps the pod; kubectl's wait gives up with its message.
    put_pod(home, "stuck")
    store = Store(home)
    with store.lock():
        pod = store.must_get("pods", "default", "stuck")
        pod["metadata"]["finalizers"] = ["example.com/hold"]
        store.update("pods", pod)
    r = kjob("delete", "pod", "stuck", "--timeout=300ms")
    assert (r.exit_code, r.stdout) == (1, 'pod "stuck" deleted\n')
    assert r.stderr == "error: timed out waiting for the condition on pods/stuck\n"
    with store.lock():
        pod = store.must_get("pods", "default", "stuck")
        del pod["metadata"]["finalizers"]
        store.update("pods", pod)


# ---------------------------------------------------------------- cascades with the real worker


def pods_of(kjob_proc) -> list[dict]:
    r = kjob_proc("get", "pods", "-o", "json")
    return json.loads(r.stdout)["items"] if r.stdout.strip() else []


def running_job(kjob_proc, name: str, parallelism: int = 2) -> None:
    text = job_manifest(name, "sleep 60", parallelism=parallelism, completions=parallelism)
    assert kjob_proc("create", "-f", "-", input=text).exit_code == 0
    r = kjob_proc(
        "wait", "--for=jsonpath={.status.ready}=" + str(parallelism), f"job/{name}", "--timeout=30s"
    )
    assert r.exit_code == 0, r.stderr


def test_delete_background_cascade_removes_the_pods(kjob_proc) -> None:
    running_job(kjob_proc, "bg")
    r = kjob_proc("delete", "job", "bg")
    assert (r.exit_code, r.stdout, r.stderr) == (0, 'job.batch "bg" deleted\n', "")
    assert kjob_proc("get", "jobs").stderr == "No resources found in default namespace.\n"
    wait_until(lambda: not pods_of(kjob_proc), timeout=40)


def test_delete_orphan_cascade_leaves_the_pods_running(kjob_proc) -> None:
    running_job(kjob_proc, "orph")
    r = kjob_proc("delete", "job", "orph", "--cascade=orphan")
    assert (r.exit_code, r.stdout, r.stderr) == (0, 'job.batch "orph" deleted\n', "")
    assert kjob_proc("get", "jobs").stderr == "No resources found in default namespace.\n"
    pods = pods_of(kjob_proc)
    assert len(pods) == 2
    for pod in pods:
        assert "ownerReferences" not in pod["metadata"]
        assert "finalizers" not in pod["metadata"]
        assert pod["metadata"]["labels"]["batch.kubernetes.io/job-name"] == "orph"
    # Still running a while later: nothing collected them.
    r = kjob_proc("wait", "--for=jsonpath={.status.phase}=Running", "pods", "--all", "--timeout=2s")
    assert r.exit_code == 0
    r = kjob_proc("wait", "--for=delete", "pods", "--all", "--timeout=1s")
    assert r.exit_code == 1
    assert all(p["status"]["phase"] == "Running" for p in pods_of(kjob_proc))
    pod_names = sorted(p["metadata"]["name"] for p in pods)
    r = kjob_proc("delete", "pod", *pod_names, "--now")
    assert (r.exit_code, r.stdout) == (0, "".join(f'pod "{n}" deleted\n' for n in pod_names))
    assert pods_of(kjob_proc) == []


def test_delete_foreground_cascade_waits_for_the_pods(kjob_proc) -> None:
    running_job(kjob_proc, "fg")
    r = kjob_proc("delete", "job", "fg", "--cascade=foreground", "--wait=false")
    assert (r.exit_code, r.stdout, r.stderr) == (0, 'job.batch "fg" deleted\n', "")
    # Until its pods are gone the job is there, Terminating, with the garbage collector's finalizer.
    job = json.loads(kjob_proc("get", "job", "fg", "-o", "json").stdout or "{}")
    if job:
        assert "foregroundDeletion" in job["metadata"]["finalizers"]
        assert job["metadata"]["deletionTimestamp"]
    r = kjob_proc("wait", "--for=delete", "job/fg", "--timeout=40s")
    assert r.exit_code == 0, r.stderr
    assert pods_of(kjob_proc) == []


def test_delete_foreground_with_wait_returns_when_the_job_is_gone(kjob_proc) -> None:
    running_job(kjob_proc, "fgw", parallelism=1)
    r = kjob_proc("delete", "job", "fgw", "--cascade=foreground", "--timeout=40s")
    assert (r.exit_code, r.stdout, r.stderr) == (0, 'job.batch "fgw" deleted\n', "")
    assert kjob_proc("get", "jobs").stderr == "No resources found in default namespace.\n"
    assert pods_of(kjob_proc) == []


def test_delete_one_pod_of_a_running_job_is_replaced(kjob_proc) -> None:
    running_job(kjob_proc, "rep", parallelism=1)
    [old] = [p["metadata"]["name"] for p in pods_of(kjob_proc)]
    r = kjob_proc("delete", "pod", old, "--now")
    assert (r.exit_code, r.stdout) == (0, f'pod "{old}" deleted\n')
    new = wait_until(
        lambda: [p["metadata"]["name"] for p in pods_of(kjob_proc) if p["metadata"]["name"] != old]
    )
    assert new and new[0].startswith("rep-")
    kjob_proc("delete", "job", "rep")


def test_delete_boolean_flags_take_kubectl_forms(kjob) -> None:
    suspended(kjob, "a", "b")
    r = kjob("delete", "job", "a", "--wait=maybe")
    assert (r.exit_code, r.stderr) == (
        1,
        (
            'Error: invalid argument "maybe" for "--wait" flag: strconv.ParseBool: parsing "maybe": invalid syntax\n'
            "See 'kjob delete --help' for usage.\n"
        ),
    )
    # A bare boolean flag never takes the next argument as its value.
    r = kjob("delete", "--wait", "job", "a", "--force=false", "--now=false", "--ignore-not-found=False")
    assert (r.exit_code, r.stdout, r.stderr) == (0, 'job.batch "a" deleted\n', "")
    r = kjob("delete", "--all=true", "jobs", "--wait=false")
    assert (r.exit_code, r.stdout) == (0, 'job.batch "b" deleted\n')
    r = kjob("delete", "job", "nope", "--all=false")
    assert r.stderr == 'Error from server (NotFound): jobs.batch "nope" not found\n'


def test_every_command_has_help_with_examples(kjob, monkeypatch) -> None:
    from kjob.cli import base

    for verb, module in (
        ("delete", "kjob.cli.delete"),
        ("wait", "kjob.cli.wait"),
        ("label", "kjob.cli.label"),
        ("annotate", "kjob.cli.label"),
    ):
        monkeypatch.setitem(base.COMMANDS, verb, module)
        r = kjob(verb, "-h")
        assert r.exit_code == 0 and "Examples:" in r.stdout, verb


def test_interactive_delete_asks_first_and_only_y_goes_ahead(kjob) -> None:
    suspended(kjob, "a", "b")
    prompt = (
        "You are about to delete the following 2 resource(s):\njob.batch/a\njob.batch/b\n"
        "Do you want to continue? (y/n): "
    )
    for answer in ("n\n", "yes\n", ""):  # kubectl takes y alone (any case) as yes; no answer is a no
        r = kjob("delete", "jobs", "a", "b", "-i", input=answer)
        assert (r.exit_code, r.stdout, r.stderr) == (0, prompt + "deletion is cancelled\n", "")
    assert kjob("get", "jobs", "-o", "name").stdout == "job.batch/a\njob.batch/b\n"
    # A name that is not there is not listed: it fails as it would without -i.
    r = kjob("delete", "jobs", "a", "nope", "--interactive", input="Y\n")
    listed = (
        "You are about to delete the following 1 resource(s):\njob.batch/a\nDo you want to continue? (y/n): "
    )
    assert (r.exit_code, r.stdout) == (1, listed + 'job.batch "a" deleted\n')
    assert r.stderr == 'Error from server (NotFound): jobs.batch "nope" not found\n'
    assert kjob("get", "jobs", "-o", "name").stdout == "job.batch/b\n"


def _held(name: str, command: str) -> str:
    return job_manifest(name, command).replace(
        f"  name: {name}\n", f"  name: {name}\n  finalizers: [example.com/hold]\n", 1
    )


def test_a_job_a_finalizer_holds_stays_deleting_until_it_is_taken_off(kjob_proc) -> None:
    """The API server marks it for deletion and keeps it while any finalizer is left; the update
    that takes off the last one deletes it, and its pods go with it."""
    assert kjob_proc("create", "-f", "-", input=_held("held", "sleep 300")).exit_code == 0
    wait_until(lambda: "Running" in kjob_proc("get", "pods").stdout)
    assert kjob_proc("delete", "job", "held", "--wait=false").stdout == 'job.batch "held" deleted\n'
    md = json.loads(kjob_proc("get", "job", "held", "-o", "json").stdout)["metadata"]
    assert md["finalizers"] == ["example.com/hold"] and "deletionTimestamp" in md
    r = kjob_proc(
        "patch", "job", "held", "--type=json", "-p", '[{"op":"remove","path":"/metadata/finalizers"}]'
    )
    assert (r.exit_code, r.stdout) == (0, "job.batch/held patched\n"), r.stderr
    assert (
        kjob_proc("get", "job", "held").stderr
        == 'Error from server (NotFound): jobs.batch "held" not found\n'
    )
    wait_until(lambda: pods_of(kjob_proc) == [], timeout=40)


def test_foreground_deletion_of_a_held_job_takes_its_pods_and_leaves_the_users_finalizer(kjob_proc) -> None:
    assert kjob_proc("create", "-f", "-", input=_held("fg", "sleep 300")).exit_code == 0
    wait_until(lambda: "Running" in kjob_proc("get", "pods").stdout)
    assert kjob_proc("delete", "job", "fg", "--cascade=foreground", "--wait=false").exit_code == 0
    wait_until(lambda: pods_of(kjob_proc) == [], timeout=40)
    wait_until(
        lambda: (
            json.loads(kjob_proc("get", "job", "fg", "-o", "json").stdout)["metadata"]["finalizers"]
            == ["example.com/hold"]
        )
    )
    assert kjob_proc("patch", "job", "fg", "-p", '{"metadata":{"finalizers":null}}').exit_code == 0
    assert kjob_proc("get", "jobs").stderr == "No resources found in default namespace.\n"


def test_delete_of_a_manifest_without_a_name_is_refused_before_it_is_sent(kjob, tmp_path: Path) -> None:
    path = write_manifest(tmp_path, "apiVersion: batch/v1\nkind: Job\nmetadata: {}\n")
    r = kjob("delete", "-f", str(path))
    assert (r.exit_code, r.stdout, r.stderr) == (
        1,
        "",
        f'error: error when deleting "{path}": resource name may not be empty\n',
    )
