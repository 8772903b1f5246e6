"""kjob create (-f and `create job`) and kjob apply: flags, messages and the last-applied annotation,
held against kubectl's output (goldens recorded from kubectl v1.32, and the installed kubectl)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import job_manifest, write_manifest

from kjob import apply, manifest

GOLDEN = Path(__file__).resolve().parent / "golden" / "create_job"

# (golden file, kjob/kubectl arguments after `create job`)
CREATE_JOB_CASES = [
    ("command.yaml", ["x", "--image=busybox", "--dry-run=client", "-o", "yaml", "--", "echo", "hi", "there"]),
    ("no-command.json", ["my-job", "--image=busybox:1.36", "--dry-run=client", "-o", "json"]),
    (
        "save-config.yaml",
        [
            "x",
            "--image=b",
            "--dry-run=client",
            "--save-config",
            "-o",
            "yaml",
            "--",
            "sh",
            "-c",
            'echo "a<b" && date',
        ],
    ),
    ("namespace.yaml", ["x", "--image=b", "--dry-run=client", "-n", "team", "-o", "yaml"]),
]


def kubectl(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KUBECONFIG": os.devnull}
    return subprocess.run(["kubectl", *args], capture_output=True, text=True, env=env, timeout=60)


# ---------------------------------------------------------------- create job


@pytest.mark.parametrize(("golden", "args"), CREATE_JOB_CASES)
def test_create_job_dry_run_matches_golden(kjob, golden: str, args: list[str]) -> None:
    r = kjob("create", "job", *args)
    assert (r.exit_code, r.stderr) == (0, "")
    assert r.stdout == (GOLDEN / golden).read_text()


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
@pytest.mark.parametrize(
    "args",
    [args for _, args in CREATE_JOB_CASES]
    + [
        ["j", "--image=busybox", "--dry-run=client", "-o", "yaml", "--", "sh", "-c", "echo 'x: y' | cat"],
        ["j", "--image=busybox", "--dry-run=client", "-o", "json", "--", "printf", "%s\\n", "<&>"],
        ["j", "--image=busybox", "--dry-run=client", "-o", "name"],
        ["j", "--image=busybox", "--dry-run=client"],
        [
            "j",
            "--image=busybox",
            "--dry-run=client",
            "-o",
            "jsonpath={.spec.template.spec.containers[0].name}",
        ],
        ["j", "--image=busybox", "--dry-run=client", "--save-config", "-o", "json", "--", "true"],
    ],
)
def test_create_job_dry_run_matches_kubectl(kjob, args: list[str]) -> None:
    expected = kubectl("create", "job", *args)
    r = kjob("create", "job", *args)
    assert (r.exit_code, r.stdout, r.stderr) == (expected.returncode, expected.stdout, expected.stderr)


@pytest.mark.parametrize(
    ("args", "stderr"),
    [
        ([], "error: exactly one NAME is required, got 0\nSee 'kjob create job -h' for help and examples\n"),
        (
            ["--image=b"],
            "error: exactly one NAME is required, got 0\nSee 'kjob create job -h' for help and examples\n",
        ),
        (
            ["a", "b", "--image=b"],
            "error: exactly one NAME is required, got 2\nSee 'kjob create job -h' for help and examples\n",
        ),
        (
            ["--image=b", "--", "echo"],
            "error: exactly one NAME is required, got 0\nSee 'kjob create job -h' for help and examples\n",
        ),
        (["x"], "error: either --image or --from must be specified\n"),
        (["x", "--image=b", "--from=cronjob/y"], "error: either --image or --from must be specified\n"),
        (["x", "--from=cronjob/y", "--", "echo"], "error: cannot specify --from and command\n"),
        (
            ["x", "--image=b", "--dry-run=bogus"],
            'error: Invalid dry-run value (bogus). Must be "none", "server", or "client".\n',
        ),
        (
            ["x", "--image=b", "--dry-run=client", "--validate=bogus"],
            'error: invalid - validate option "bogus"; must be one of: strict (or true), warn, ignore (or false)\n',
        ),
        (
            ["x", "--image=b", "--dry-run=client", "-o", "wide"],
            'error: unable to match a printer suitable for the output format "wide", allowed formats are: '
            "go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,yaml\n",
        ),
    ],
)
def test_create_job_argument_errors(kjob, args: list[str], stderr: str) -> None:
    r = kjob("create", "job", *args)
    assert (r.exit_code, r.stdout, r.stderr) == (1, "", stderr)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
@pytest.mark.parametrize(
    "args",
    [
        [],
        ["x"],
        ["a", "b", "--image=b"],
        ["x", "--from=cronjob/y", "--", "echo"],
        ["x", "--image=b", "--dry-run=bogus"],
        ["x", "--image=b", "--dry-run=client", "-o", "wide"],
    ],
)
def test_create_job_argument_errors_match_kubectl(kjob, args: list[str]) -> None:
    expected = kubectl("create", "job", *args)
    r = kjob("create", "job", *args)
    assert (r.exit_code, r.stdout, r.stderr) == (1, "", expected.stderr.replace("kubectl", "kjob"))


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
@pytest.mark.parametrize(
    "args",
    [
        ["--dry-run=client", "-o", "name", "job", "j", "--image=busybox"],
        ["-o=yaml", "-n", "dev", "job", "j", "--image=busybox", "--dry-run=client", "--", "date", "-n", "x"],
        ["-n", "job", "job", "j", "--image=busybox", "--dry-run=client", "-o", "json"],  # a value named job
        ["job", "j", "-x", "--image=busybox"],
        ["job", "j", "--image=busybox", "--bogus"],
    ],
)
def test_create_job_reads_flags_before_its_name_as_kubectl_does(kjob, args: list[str]) -> None:
    """Cobra reads every flag given to `create job`, before its name or after it."""
    expected = kubectl("create", *args)
    r = kjob("create", *args)
    want = (expected.returncode, expected.stdout, expected.stderr.replace("kubectl", "kjob"))
    assert (r.exit_code, r.stdout, r.stderr) == want


def test_create_job_with_flags_before_its_name_creates_what_they_say(kjob) -> None:
    dry = kjob("create", "--dry-run=client", "job", "dry", "--image=busybox", "--", "true")
    assert (dry.exit_code, dry.stdout) == (0, "job.batch/dry created (dry run)\n")
    made = kjob("create", "-n", "dev", "job", "made", "--image=busybox", "--", "true")
    assert (made.exit_code, made.stdout) == (0, "job.batch/made created\n")
    listed = kjob("get", "jobs", "-A", "-o", "custom-columns=NS:.metadata.namespace,NAME:.metadata.name")
    assert listed.stdout == "NS    NAME\ndev   made\n"


def test_create_job_bare_dry_run_warns_like_klog(kjob) -> None:
    r = kjob("create", "job", "x", "--image=b", "--dry-run")
    assert (r.exit_code, r.stdout) == (0, "job.batch/x created (dry run)\n")
    assert re.fullmatch(
        r"W\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ helpers\.go:702\] "
        r"--dry-run is deprecated and can be replaced with --dry-run=client\.\n",
        r.stderr,
    )


def test_create_job_creates_and_wraps_server_errors(kjob) -> None:
    r = kjob("create", "job", "j2", "--image=busybox", "--", "true")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "job.batch/j2 created\n", "")
    job = json.loads(kjob("get", "job", "j2", "-o", "json").stdout)
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == ["true"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    r = kjob("create", "job", "j2", "--image=busybox", "--", "true")
    assert (r.exit_code, r.stdout, r.stderr) == (
        1,
        "",
        'error: failed to create job: jobs.batch "j2" already exists\n',
    )


def test_create_job_invalid_name_is_the_servers_message_wrapped(kjob) -> None:
    r = kjob("create", "job", "J4", "--image=busybox")
    assert r.exit_code == 1
    assert r.stderr.startswith(
        'error: failed to create job: Job.batch "J4" is invalid: [metadata.name: Invalid value: "J4": '
    )
    assert r.stderr.endswith("]\n")


def test_create_job_from_cronjob_is_not_found(kjob) -> None:
    r = kjob("create", "job", "x", "--from=cronjob/nightly")
    assert (r.exit_code, r.stderr) == (
        1,
        'Error from server (NotFound): cronjobs.batch "nightly" not found\n',
    )
    r = kjob("create", "job", "x", "--from=cj/nightly", "--dry-run=client")
    assert r.stderr == 'Error from server (NotFound): cronjobs.batch "nightly" not found\n'


def test_create_job_from_a_job_is_an_unknown_object_type(kjob) -> None:
    assert kjob("create", "job", "src", "--image=b", "--", "true").exit_code == 0
    r = kjob("create", "job", "x", "--from=job/src")
    assert (r.exit_code, r.stderr) == (1, "error: unknown object type *v1.Job\n")
    r = kjob("create", "job", "x", "--from=job/nope")
    assert r.stderr == 'Error from server (NotFound): jobs.batch "nope" not found\n'


def test_create_job_server_dry_run_defaults_but_stores_nothing(kjob) -> None:
    r = kjob("create", "job", "j3", "--image=busybox", "--dry-run=server", "-o", "yaml", "--", "true")
    assert r.exit_code == 0
    assert "  backoffLimit: 6\n" in r.stdout and "      creationTimestamp: null\n" in r.stdout
    r = kjob("create", "job", "j3", "--image=busybox", "--dry-run=server")
    assert r.stdout == "job.batch/j3 created (server dry run)\n"
    assert kjob("get", "job", "j3").exit_code == 1


def test_create_job_server_json_is_in_struct_order(kjob) -> None:
    r = kjob("create", "job", "j6", "--image=busybox", "-o", "json", "--", "true")
    doc = json.loads(r.stdout)
    assert list(doc) == ["kind", "apiVersion", "metadata", "spec", "status"]
    assert list(doc["spec"])[:3] == ["parallelism", "completions", "backoffLimit"]
    assert list(doc["spec"]["template"]["spec"]["containers"][0])[:4] == [
        "name",
        "image",
        "command",
        "resources",
    ]


def test_create_unexpected_arg(kjob) -> None:
    r = kjob("create", "foo")
    assert (r.exit_code, r.stderr) == (
        1,
        "error: Unexpected args: [foo]\nSee 'kjob create -h' for help and examples\n",
    )
    r = kjob("create")
    assert (r.exit_code, r.stderr) == (1, "error: must specify one of -f and -k\n")


# ---------------------------------------------------------------- create -f

MANIFEST = """\
apiVersion: batch/v1
kind: Job
metadata:
  name: job-a
  labels: {b: "1", a: "x"}
spec:
  backoffLimit: 2
  template:
    spec:
      containers:
      - name: c
        image: busybox:1.36
        command: ["sh", "-c", "echo a<b & date"]
      restartPolicy: Never
"""
# What kubectl create -f --dry-run=client --save-config writes (recorded from kubectl v1.32 against a
# stand-in API server).
ANNOTATION = (
    '{"apiVersion":"batch/v1","kind":"Job","metadata":{"annotations":{},"labels":{"a":"x","b":"1"},'
    '"name":"job-a","namespace":"default"},"spec":{"backoffLimit":2,"template":{"spec":{"containers":'
    '[{"command":["sh","-c","echo a\\u003cb \\u0026 date"],"image":"busybox:1.36","name":"c"}],'
    '"restartPolicy":"Never"}}}}\n'
)


def test_create_file_client_dry_run_prints_the_object_as_sent(kjob, tmp_path: Path) -> None:
    path = write_manifest(tmp_path, MANIFEST)
    r = kjob("create", "-f", str(path), "--dry-run=client", "--save-config", "-o", "yaml")
    assert (r.exit_code, r.stderr) == (0, "")
    assert r.stdout == (
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  annotations:\n"
        "    kubectl.kubernetes.io/last-applied-configuration: |\n      " + ANNOTATION + "  labels:\n"
        '    a: x\n    b: "1"\n  name: job-a\n  namespace: default\nspec:\n  backoffLimit: 2\n  template:\n'
        "    spec:\n      containers:\n      - command:\n        - sh\n        - -c\n        - echo a<b & date\n"
        "        image: busybox:1.36\n        name: c\n      restartPolicy: Never\n"
    )
    r = kjob("create", "-f", str(path), "--dry-run=client")
    assert r.stdout == "job.batch/job-a created (dry run)\n"
    r = kjob("create", "-f", str(path), "--dry-run=client", "-o", "name")
    assert r.stdout == "job.batch/job-a\n"
    assert kjob("get", "job", "job-a").exit_code == 1


def test_create_file_server_dry_run_validates_and_stores_nothing(kjob, tmp_path: Path) -> None:
    path = write_manifest(tmp_path, MANIFEST)
    r = kjob("create", "-f", str(path), "--dry-run=server")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "job.batch/job-a created (server dry run)\n", "")
    bad = write_manifest(tmp_path, MANIFEST.replace("backoffLimit: 2", "backoffLimit: -1"), "bad.yaml")
    r = kjob("create", "-f", str(bad), "--dry-run=server")
    assert (r.exit_code, r.stderr) == (
        1,
        'The Job "job-a" is invalid: spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0\n',
    )
    assert kjob("get", "job", "job-a").exit_code == 1


def test_create_file_output_formats_and_save_config(kjob, tmp_path: Path) -> None:
    path = write_manifest(tmp_path, MANIFEST.replace("name: job-a", "name: job-a\n  annotations: {}"))
    r = kjob("create", "-f", str(path), "--save-config", "-o", "json")
    assert r.exit_code == 0
    job = json.loads(r.stdout)
    assert job["metadata"]["annotations"][apply.LAST_APPLIED] == ANNOTATION
    assert job["spec"]["completions"] == 1
    r = kjob("create", "-f", "-", "-o", "name", input=job_manifest("other", "true", suspend=True))
    assert (r.exit_code, r.stdout) == (0, "job.batch/other\n")


def test_create_file_yaml_of_several_objects_is_separated(kjob) -> None:
    text = job_manifest("a", "true", suspend=True) + "---\n" + job_manifest("b", "true", suspend=True)
    r = kjob("create", "-f", "-", "--dry-run=client", "-o", "yaml", input=text)
    assert r.stdout.count("---\n") == 1 and r.stdout.startswith("apiVersion: batch/v1\n")


def test_create_validate_warn_drops_unknown_fields_with_a_warning(kjob, tmp_path: Path) -> None:
    text = job_manifest("x", "true", suspend=True).replace("spec:\n", "spec:\n  bogusField: 1\n", 1)
    path = write_manifest(tmp_path, text)
    r = kjob("create", "-f", str(path), "--validate=warn")
    assert (r.exit_code, r.stdout, r.stderr) == (
        0,
        "job.batch/x created\n",
        'Warning: unknown field "spec.bogusField"\n',
    )
    assert "bogusField" not in kjob("get", "job", "x", "-o", "json").stdout


@pytest.mark.parametrize("value", ["ignore", "false", "0"])
def test_create_validate_ignore_drops_unknown_fields_silently(kjob, tmp_path: Path, value: str) -> None:
    text = job_manifest("x", "true", suspend=True).replace(
        "      - name: c\n", "      - name: c\n        colour: red\n"
    )
    r = kjob("create", "-f", str(write_manifest(tmp_path, text)), f"--validate={value}")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "job.batch/x created\n", "")
    assert "colour" not in kjob("get", "job", "x", "-o", "json").stdout


@pytest.mark.parametrize("value", ["strict", "true", "True"])
def test_create_validate_strict_refuses_unknown_fields(kjob, tmp_path: Path, value: str) -> None:
    text = job_manifest("x", "true").replace("spec:\n", "spec:\n  bogusField: 1\n", 1)
    path = write_manifest(tmp_path, text)
    r = kjob("create", "-f", str(path), f"--validate={value}")
    assert (r.exit_code, r.stderr) == (
        1,
        f'Error from server (BadRequest): error when creating "{path}": Job in version "v1" cannot be handled '
        'as a Job: strict decoding error: unknown field "spec.bogusField"\n',
    )


def test_create_validate_warn_still_fails_on_type_errors(kjob, tmp_path: Path) -> None:
    text = job_manifest("x", "true").replace("spec:\n", 'spec:\n  completions: "three"\n', 1)
    r = kjob("create", "-f", str(write_manifest(tmp_path, text)), "--validate=warn")
    assert (
        r.exit_code == 1
        and "cannot unmarshal string into Go struct field JobSpec.spec.completions" in r.stderr
    )


# ---------------------------------------------------------------- apply


def test_apply_created_unchanged_configured(kjob, tmp_path: Path) -> None:
    path = write_manifest(tmp_path, MANIFEST)
    assert kjob("apply", "-f", str(path)).stdout == "job.batch/job-a created\n"
    job = json.loads(kjob("get", "job", "job-a", "-o", "json").stdout)
    assert job["metadata"]["annotations"] == {apply.LAST_APPLIED: ANNOTATION}
    r = kjob("apply", "-f", str(path))
    assert (r.exit_code, r.stdout, r.stderr) == (0, "job.batch/job-a unchanged\n", "")
    path.write_text(MANIFEST.replace("backoffLimit: 2", "backoffLimit: 3").replace('b: "1"', 'c: "2"'))
    r = kjob("apply", "-f", str(path))
    assert (r.exit_code, r.stdout, r.stderr) == (0, "job.batch/job-a configured\n", "")
    job = json.loads(kjob("get", "job", "job-a", "-o", "json").stdout)
    # The label removed from the manifest is removed from the job; defaults the user never set stay.
    assert job["metadata"]["labels"] == {"a": "x", "c": "2"}
    assert (job["spec"]["backoffLimit"], job["spec"]["completions"], job["metadata"]["generation"]) == (
        3,
        1,
        2,
    )
    assert json.loads(job["metadata"]["annotations"][apply.LAST_APPLIED])["spec"]["backoffLimit"] == 3
    assert kjob("apply", "-f", str(path)).stdout == "job.batch/job-a unchanged\n"


def test_apply_keeps_changes_made_by_others(kjob, tmp_path: Path) -> None:
    path = write_manifest(tmp_path, job_manifest("j", "true", suspend=True))
    kjob("apply", "-f", str(path))
    assert kjob("patch", "job", "j", "-p", '{"metadata":{"labels":{"team":"x"}}}').exit_code == 0
    assert kjob("apply", "-f", str(path)).stdout == "job.batch/j unchanged\n"
    path.write_text(job_manifest("j", "true", suspend=False))
    assert kjob("apply", "-f", str(path)).stdout == "job.batch/j configured\n"
    job = json.loads(kjob("get", "job", "j", "-o", "json").stdout)
    assert job["metadata"]["labels"]["team"] == "x" and job["spec"]["suspend"] is False


def test_apply_immutable_template_is_refused(kjob, tmp_path: Path) -> None:
    path = write_manifest(tmp_path, job_manifest("j", "true", suspend=True))
    kjob("apply", "-f", str(path))
    path.write_text(job_manifest("j", "false", suspend=True))
    r = kjob("apply", "-f", str(path))
    assert (r.exit_code, r.stdout, r.stderr) == (
        1,
        "",
        'The Job "j" is invalid: spec.template: Invalid value: core.PodTemplateSpec{...}: field is immutable\n',
    )


def test_apply_warns_about_a_job_created_without_save_config(kjob, tmp_path: Path) -> None:
    path = write_manifest(tmp_path, job_manifest("j", "true", suspend=True))
    kjob("create", "-f", str(path))
    r = kjob("apply", "-f", str(path))
    assert (r.exit_code, r.stdout) == (0, "job.batch/j configured\n")
    assert r.stderr == (
        "Warning: resource jobs/j is missing the kubectl.kubernetes.io/last-applied-configuration annotation "
        "which is required by kjob apply. kjob apply should only be used on resources created declaratively by "
        "either kjob create --save-config or kjob apply. The missing annotation will be patched automatically.\n"
    )
    assert kjob("apply", "-f", str(path)).stdout == "job.batch/j unchanged\n"


def test_apply_after_create_save_config_is_unchanged(kjob, tmp_path: Path) -> None:
    path = write_manifest(tmp_path, job_manifest("j", "true", suspend=True))
    kjob("create", "-f", str(path), "--save-config")
    r = kjob("apply", "-f", str(path))
    assert (r.exit_code, r.stdout, r.stderr) == (0, "job.batch/j unchanged\n", "")


def test_apply_dry_runs_store_nothing(kjob, tmp_path: Path) -> None:
    path = write_manifest(tmp_path, job_manifest("j", "true", suspend=True))
    assert kjob("apply", "-f", str(path), "--dry-run=client").stdout == "job.batch/j created (dry run)\n"
    assert (
        kjob("apply", "-f", str(path), "--dry-run=server").stdout == "job.batch/j created (server dry run)\n"
    )
    assert kjob("get", "job", "j").exit_code == 1
    kjob("apply", "-f", str(path))
    path.write_text(job_manifest("j", "true", suspend=False))
    assert kjob("apply", "-f", str(path), "--dry-run=client").stdout == "job.batch/j configured (dry run)\n"
    assert (
        kjob("apply", "-f", str(path), "--dry-run=server").stdout
        == "job.batch/j configured (server dry run)\n"
    )
    assert json.loads(kjob("get", "job", "j", "-o", "json").stdout)["spec"]["suspend"] is True


def test_apply_output_name_and_server_side(kjob, tmp_path: Path) -> None:
    path = write_manifest(tmp_path, job_manifest("j", "true", suspend=True))
    assert kjob("apply", "-f", str(path), "-o", "name").stdout == "job.batch/j\n"
    assert kjob("apply", "-f", str(path), "--server-side").stdout == "job.batch/j serverside-applied\n"
    r = kjob("apply", "-f", str(path), "-o", "yaml")
    assert r.stdout.startswith("apiVersion: batch/v1\nkind: Job\nmetadata:\n  annotations:\n")


@pytest.mark.parametrize(
    ("args", "stderr"),
    [
        ([], "error: must specify one of -f and -k\n"),
        (
            ["foo", "-f", "x.yaml"],
            "error: Unexpected args: [foo]\nSee 'kjob apply -h' for help and examples\n",
        ),
        (["-f", "x.yaml", "--force-conflicts"], "error: --force-conflicts only works with --server-side\n"),
        (
            ["-f", "x.yaml", "--server-side", "--dry-run=client"],
            "error: --dry-run=client doesn't work with --server-side (did you mean --dry-run=server instead?)\n",
        ),
    ],
)
def test_apply_argument_errors(kjob, args: list[str], stderr: str) -> None:
    r = kjob("apply", *args)
    assert (r.exit_code, r.stdout, r.stderr) == (1, "", stderr)


def test_apply_generate_name_is_refused(kjob) -> None:
    text = job_manifest("x", "true").replace("  name: x\n", "  generateName: x-\n")
    r = kjob("apply", "-f", "-", input=text)
    assert (r.exit_code, r.stderr) == (1, "error: from x-: cannot use generate name with apply\n")


# ---------------------------------------------------------------- the three-way merge


def test_three_way_patch_deletes_what_the_user_removed_and_keeps_the_rest() -> None:
    original = {
        "metadata": {"labels": {"a": "1", "b": "2"}},
        "spec": {"containers": [{"name": "c", "env": [{"name": "E"}]}]},
    }
    modified = {"metadata": {"labels": {"a": "1"}}, "spec": {"containers": [{"name": "c"}]}}
    current = {
        "metadata": {"labels": {"a": "1", "b": "2", "z": "3"}},
        "spec": {"containers": [{"name": "c", "env": [{"name": "E"}]}], "y": 1},
    }
    patch = apply.three_way_patch(original, modified, current)
    assert patch == {
        "metadata": {"labels": {"b": None}},
        "spec": {"containers": [{"name": "c", "env": None}]},
    }
    assert apply.apply_strategic(current, patch) == {
        "metadata": {"labels": {"a": "1", "z": "3"}},
        "spec": {"containers": [{"name": "c"}], "y": 1},
    }


def test_three_way_patch_merges_containers_by_name() -> None:
    current = {"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]}
    original = {"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]}
    modified = {"containers": [{"name": "a", "image": "z"}]}
    patch = apply.three_way_patch(original, modified, current)
    assert patch == {"containers": [{"name": "b", "$patch": "delete"}, {"name": "a", "image": "z"}]}
    assert apply.apply_strategic(current, patch) == {"containers": [{"name": "a", "image": "z"}]}


def test_three_way_patch_is_empty_when_nothing_changed() -> None:
    doc = {"spec": {"completions": 1, "suspend": True}}
    assert apply.three_way_patch(doc, doc, {**doc, "status": {"active": 1}}) == {}
    # A changed type is a change, though Python says True == 1.
    assert apply.three_way_patch(None, {"a": True}, {"a": 1}) == {"a": True}


def test_last_applied_is_compact_sorted_json_with_go_escapes() -> None:
    doc = {"kind": "Job", "metadata": {"name": "x", "annotations": {apply.LAST_APPLIED: "old", "k": "<v>"}}}
    assert (
        apply.last_applied(doc)
        == '{"kind":"Job","metadata":{"annotations":{"k":"\\u003cv\\u003e"},"name":"x"}}\n'
    )


PATCH_IDENTITY_ERRORS = [
    (
        '{"metadata":null}',
        "Error from server (BadRequest): the name of the object (p based on URL) was undeterminable: "
        "name must be provided\n",
    ),
    (
        '{"metadata":{"name":"other"}}',
        "Error from server (BadRequest): the name of the object (other) does not match the name on the URL (p)\n",
    ),
    (
        '{"metadata":{"namespace":"other"}}',
        "Error from server (BadRequest): the namespace of the object (other) does not match the namespace on "
        "the request (default)\n",
    ),
    (
        '{"metadata":{"resourceVersion":"999999"}}',
        'Error from server (Conflict): Operation cannot be fulfilled on jobs.batch "p": the object has been '
        "modified; please apply your changes to the latest version and try again\n",
    ),
    (
        '{"metadata":{"deletionTimestamp":"2026-01-02T03:04:05Z"}}',
        'The Job "p" is invalid: metadata.deletionTimestamp: Invalid value: 2026-01-02 03:04:05 +0000 UTC: '
        "field is immutable\n",
    ),
]


@pytest.mark.parametrize(("patch", "stderr"), PATCH_IDENTITY_ERRORS)
def test_patch_that_changes_the_jobs_identity_is_refused_as_the_server_does(
    kjob, patch: str, stderr: str
) -> None:
    """The request names the job: a patch may not rename it, move it, lose its name, or write over a
    version it did not read. The stored job stays as it was."""
    assert kjob("create", "-f", "-", input=job_manifest("p", "true", suspend=True)).exit_code == 0
    before = kjob("get", "job", "p", "-o", "json").stdout
    r = kjob("patch", "job", "p", "-p", patch)
    assert (r.exit_code, r.stdout, r.stderr) == (1, "", stderr)
    assert kjob("get", "job", "p", "-o", "json").stdout == before


@pytest.mark.parametrize("patch", ['{"kind":"Pod"}', '{"apiVersion":"batch/v2"}'])
def test_patch_that_makes_the_job_another_kind_is_refused(kjob, patch: str) -> None:
    assert kjob("create", "-f", "-", input=job_manifest("p", "true", suspend=True)).exit_code == 0
    r = kjob("patch", "job", "p", "-p", patch)
    kind, version = ("Pod", "batch/v1") if "Pod" in patch else ("Job", "batch/v2")
    assert r.exit_code == 1 and r.stdout == ""
    assert r.stderr.startswith('The  "" is invalid: patch: Invalid value: "{\\"apiVersion\\":')
    assert r.stderr.endswith(
        f'no kind "{kind}" is registered for version "{version}" in scheme "pkg/api/legacyscheme/scheme.go:30"\n'
    )
    job = json.loads(kjob("get", "job", "p", "-o", "json").stdout)
    assert (job["apiVersion"], job["kind"]) == ("batch/v1", "Job")
    assert "Pods Statuses:" in kjob("describe", "job", "p").stdout  # described as a Job still


def test_patch_of_the_uid_is_refused_and_fields_the_server_owns_are_kept(kjob) -> None:
    assert kjob("create", "-f", "-", input=job_manifest("p", "true", suspend=True)).exit_code == 0
    job = json.loads(kjob("get", "job", "p", "-o", "json").stdout)
    r = kjob("patch", "job", "p", "-p", '{"metadata":{"uid":"1234"}}')
    assert r.exit_code == 1
    assert r.stderr.startswith(
        'The Job "p" is invalid: \n* metadata.uid: Invalid value: "1234": field is immutable\n'
    )
    # Left out or set: kept as stored, and nothing to change.
    for patch in (
        '{"kind":null,"apiVersion":null}',
        '{"metadata":{"uid":"","namespace":"default"}}',
        '{"metadata":{"creationTimestamp":"2020-01-01T00:00:00Z","generation":7,"resourceVersion":null}}',
        json.dumps({"metadata": {"resourceVersion": job["metadata"]["resourceVersion"]}}),
    ):
        r = kjob("patch", "job", "p", "-p", patch)
        assert (r.exit_code, r.stdout) == (0, "job.batch/p patched (no change)\n"), (patch, r.stderr)
    assert json.loads(kjob("get", "job", "p", "-o", "json").stdout) == job


def test_patch_of_a_job_being_deleted_keeps_its_deletion_and_takes_no_new_finalizer(kjob, home: Path) -> None:
    from kjob.store import Store

    assert kjob("create", "-f", "-", input=job_manifest("p", "true", suspend=True)).exit_code == 0
    store = Store(home)
    with store.lock():
        job = store.must_get("jobs", "default", "p")
        job["metadata"].update(deletionTimestamp="2026-01-02T03:04:05Z", finalizers=["foregroundDeletion"])
        store.update("jobs", job)
    r = kjob("patch", "job", "p", "-p", '{"metadata":{"finalizers":["example.com/hold"]}}')
    assert (r.exit_code, r.stderr) == (
        1,
        'The Job "p" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object '
        'is being deleted, found new finalizers []string{"example.com/hold"}\n',
    )
    r = kjob("patch", "job", "p", "-p", '{"metadata":{"deletionTimestamp":null,"labels":{"x":"y"}}}')
    assert (r.exit_code, r.stdout) == (0, "job.batch/p patched\n")
    md = json.loads(kjob("get", "job", "p", "-o", "json").stdout)["metadata"]
    assert (md["deletionTimestamp"], md["labels"]["x"]) == ("2026-01-02T03:04:05Z", "y")


STATUS_PATCH_ERRORS = [
    (
        {"succeeded": -1},
        "* status.succeeded: Invalid value: -1: must be greater than or equal to 0\n"
        "* status.succeeded: Invalid value: -1: cannot decrease the succeeded counter\n",
    ),
    (
        {"completionTime": "2026-01-02T03:04:05Z"},
        "status.completionTime: Invalid value: 2026-01-02 03:04:05 +0000 UTC: cannot set completionTime when "
        "there is no Complete=True condition\n",
    ),
    (
        {"conditions": [{"type": "Complete", "status": "True"}], "active": 2},
        "* status.completionTime: Required value: completionTime is required for Complete jobs\n"
        "* status.active: Invalid value: 2: active>0 is invalid for finished job\n"
        "* status.startTime: Required value: startTime is required for finished job\n",
    ),
    (
        {"uncountedTerminatedPods": {"succeeded": ["a", "a", ""]}},
        '* status.uncountedTerminatedPods.succeeded[1]: Duplicate value: "a"\n'
        '* status.uncountedTerminatedPods.succeeded[2]: Invalid value: "": must not be empty\n',
    ),
    (
        {"completedIndexes": "0"},
        'status.completedIndexes: Invalid value: "0": cannot set non-empty completedIndexes when non-indexed '
        "completion mode\n",
    ),
    (
        {"failed": 1},  # from 2
        "status.failed: Invalid value: 1: cannot decrease the failed counter\n",
    ),
]


@pytest.mark.parametrize(("status", "stderr"), STATUS_PATCH_ERRORS)
def test_status_patch_is_validated_as_the_server_does(kjob, status: dict[str, object], stderr: str) -> None:
    """ValidateJobStatusUpdate with a 1.32 server's options: counts, and a job's life kept coherent."""
    assert kjob("create", "-f", "-", input=job_manifest("s", "true", suspend=True)).exit_code == 0
    r = kjob("patch", "job", "s", "--subresource=status", "-p", '{"status":{"failed":2}}')
    assert (r.exit_code, r.stdout) == (0, "job.batch/s patched\n"), r.stderr
    before = kjob("get", "job", "s", "-o", "json").stdout
    r = kjob("patch", "job", "s", "--subresource=status", "-p", json.dumps({"status": status}))
    head = 'The Job "s" is invalid: ' + ("\n" if stderr.startswith("* ") else "")
    assert (r.exit_code, r.stdout, r.stderr) == (1, "", head + stderr)
    assert kjob("get", "job", "s", "-o", "json").stdout == before


def test_a_stored_jobs_template_has_a_null_creation_timestamp_as_a_132_server_gives(kjob) -> None:
    assert kjob("create", "-f", "-", input=job_manifest("t", "true", suspend=True)).exit_code == 0
    yaml_text = kjob("get", "job", "t", "-o", "yaml").stdout
    assert "  template:\n    metadata:\n      creationTimestamp: null\n" in yaml_text
    job = json.loads(kjob("get", "job", "t", "-o", "json").stdout)
    assert job["spec"]["template"]["metadata"]["creationTimestamp"] is None
    assert (
        kjob("patch", "job", "t", "-p", '{"spec":{"suspend":true}}').stdout
        == "job.batch/t patched (no change)\n"
    )


@pytest.mark.parametrize(
    ("strategy", "line"),
    [("client", "job.batch/d patched (dry run)\n"), ("server", "job.batch/d patched (server dry run)\n")],
)
def test_patch_dry_runs_say_so_and_write_nothing(kjob, strategy: str, line: str) -> None:
    assert kjob("create", "-f", "-", input=job_manifest("d", "true", suspend=True)).exit_code == 0
    before = kjob("get", "job", "d", "-o", "json").stdout
    r = kjob("patch", "job", "d", "-p", '{"spec":{"parallelism":3}}', f"--dry-run={strategy}")
    assert (r.exit_code, r.stdout) == (0, line)
    r = kjob("patch", "job", "d", "-p", '{"spec":{"parallelism":3}}', f"--dry-run={strategy}", "-o", "json")
    assert json.loads(r.stdout)["spec"]["parallelism"] == 3
    assert kjob("get", "job", "d", "-o", "json").stdout == before


def test_patch_server_dry_run_is_checked_as_a_patch_is(kjob) -> None:
    assert kjob("create", "-f", "-", input=job_manifest("d", "true", suspend=True)).exit_code == 0
    r = kjob("patch", "job", "d", "-p", '{"spec":{"completions":5}}', "--dry-run=server")
    assert (r.exit_code, r.stderr) == (
        1,
        'The Job "d" is invalid: spec.completions: Invalid value: 5: field is immutable\n',
    )


def test_patch_from_a_file_with_an_output_format(kjob, tmp_path: Path) -> None:
    assert kjob("create", "-f", "-", input=job_manifest("d", "true", suspend=True)).exit_code == 0
    (tmp_path / "p.yaml").write_text("spec:\n  parallelism: 2\n")
    r = kjob("patch", "job", "d", "--patch-file", str(tmp_path / "p.yaml"), "-o", "name")
    assert (r.exit_code, r.stdout) == (0, "job.batch/d\n")
    assert kjob("get", "job", "d", "-o", "jsonpath={.spec.parallelism}").stdout == "2"


@pytest.mark.parametrize("depth", [150, 5000])
def test_a_patch_nested_past_the_manifests_depth_is_refused_in_one_line(
    kjob, tmp_path: Path, depth: int
) -> None:
    assert kjob("create", "-f", "-", input=job_manifest("p", "true", suspend=True)).exit_code == 0
    patch = '{"metadata":' + '{"a":' * depth + "1" + "}" * depth + "}"
    (tmp_path / "deep.json").write_text(patch)
    for args in (["-p", patch], ["--patch-file", str(tmp_path / "deep.json")]):
        r = kjob("patch", "job", "p", *args)
        assert (r.exit_code, r.stdout) == (1, "")
        assert r.stderr.startswith('error: unable to parse "{"metadata":{"a":')
        assert r.stderr.endswith('": yaml: exceeded max depth of 100\n')


def _finished_pod(home: Path, **spec: object) -> dict:
    """A pod of no job, Succeeded: the worker has nothing to do with it."""
    from kjob.store import Store

    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "lone", "namespace": "default", "uid": "u-lone", "labels": {"app": "x"}},
        "spec": {
            "containers": [{"name": "c", "image": "busybox", "command": ["true"]}],
            "restartPolicy": "Never",
            "activeDeadlineSeconds": 60,
            **spec,
        },
        "status": {"phase": "Succeeded", "conditions": [{"type": "Ready", "status": "False"}]},
    }
    store = Store(home)
    with store.lock():
        return store.create("pods", pod)


def _merge_status(kjob, patch: str):  # type: ignore[no-untyped-def]
    """A merge patch of the lone pod's status subresource."""
    return kjob("patch", "pod", "lone", "--subresource=status", "--type=merge", "-p", patch)


def test_a_pods_status_takes_a_condition_of_the_users_through_the_status_subresource(
    kjob, home: Path
) -> None:
    """The Job docs' pod-failure-policy task gives a pod a ConfigIssue condition this way, for an
    onPodConditions rule; the spec stays whatever the patch says of it."""
    _finished_pod(home)
    patch = (
        '{"status":{"conditions":[{"type":"ConfigIssue","status":"True"}]},"spec":{"restartPolicy":"Always"}}'
    )
    r = kjob("patch", "pod", "lone", "--subresource=status", "-p", patch)
    assert (r.exit_code, r.stdout, r.stderr) == (0, "pod/lone patched\n", "")
    pod = json.loads(kjob("get", "pod", "lone", "-o", "json").stdout)
    assert [(c["type"], c["status"]) for c in pod["status"]["conditions"]] == [
        ("Ready", "False"),
        ("ConfigIssue", "True"),
    ]
    assert pod["spec"]["restartPolicy"] == "Never"
    r = _merge_status(kjob, '{"status":{"conditions":[{"type":"bad type","status":"True"}]}}')
    assert (r.exit_code, r.stderr.splitlines()[0]) == (
        1,
        'The Pod "lone" is invalid: status.conditions[0].Type: Invalid value: "bad type": name part must '
        "consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
        "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
        "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    )


@pytest.mark.parametrize(
    ("patch", "stderr"),
    [
        ('{"metadata":{"labels":{"tier":"web"}},"status":{"phase":"Failed"}}', ""),
        ('{"spec":{"containers":[{"name":"c","image":"busybox:2"}],"activeDeadlineSeconds":30}}', ""),
        (
            '{"spec":{"restartPolicy":"Always"}}',
            f'The Pod "lone" is invalid: spec: Forbidden: {manifest.POD_UPDATE_FORBIDDEN}\n'
            "  changed: spec.restartPolicy\n",
        ),
        (
            '{"spec":{"activeDeadlineSeconds":90}}',
            'The Pod "lone" is invalid: spec.activeDeadlineSeconds: Invalid value: 90: must be less than or '
            "equal to previous value\n",
        ),
        (
            '{"spec":{"containers":[{"name":"d","image":"busybox"}]}}',
            'The Pod "lone" is invalid: spec.containers: Forbidden: pod updates may not add or remove containers\n',
        ),
    ],
)
def test_a_pod_patch_changes_what_a_running_pod_may_change_and_nothing_else(
    kjob, home: Path, patch: str, stderr: str
) -> None:
    """ValidatePodUpdate: labels and annotations, the images, a shorter deadline; the status is the
    kubelet's (only the status subresource writes it)."""
    _finished_pod(home)
    before = json.loads(kjob("get", "pod", "lone", "-o", "json").stdout)
    r = kjob(
        "patch",
        "pod",
        "lone",
        "--type=merge" if "containers" not in patch else "--type=strategic",
        "-p",
        patch,
    )
    assert (r.exit_code, r.stderr) == ((1, stderr) if stderr else (0, ""))
    after = json.loads(kjob("get", "pod", "lone", "-o", "json").stdout)
    assert after["status"] == before["status"]
    if stderr:
        assert after == before
    elif "labels" in patch:
        assert after["metadata"]["labels"] == {"app": "x", "tier": "web"}
    else:
        assert (after["spec"]["containers"][0]["image"], after["spec"]["activeDeadlineSeconds"]) == (
            "busybox:2",
            30,
        )


@pytest.mark.parametrize(
    ("patch_type", "spec", "path"),
    [
        ("strategic", '{"containers":[{"name":"c","bogus":1}]}', "spec.containers[0].bogus"),
        ("merge", '{"bogus":1}', "spec.bogus"),
    ],
)
def test_a_pods_unknown_fields_are_dropped_with_a_warning_as_the_servers_default_is(
    kjob, home: Path, patch_type: str, spec: str, path: str
) -> None:
    """kubectl patch asks for no fieldValidation, and the API server's default is Warn: the patched
    pod is decoded without the fields a Pod does not have, each one named in a warning, and what the
    patch changed besides lands."""
    _finished_pod(home)
    patch = '{"metadata":{"labels":{"tier":"web"},"nickname":"x"},"spec":' + spec + "}"
    r = kjob("patch", "pod", "lone", f"--type={patch_type}", "-p", patch)
    assert (r.exit_code, r.stdout) == (0, "pod/lone patched\n")
    assert r.stderr == f'Warning: unknown field "metadata.nickname"\nWarning: unknown field "{path}"\n'
    after = json.loads(kjob("get", "pod", "lone", "-o", "json").stdout)
    assert "nickname" not in after["metadata"] and after["metadata"]["labels"]["tier"] == "web"
    assert all("bogus" not in c for c in after["spec"]["containers"])


def test_a_pod_patch_of_unknown_fields_only_changes_nothing(kjob, home: Path) -> None:
    _finished_pod(home)
    before = json.loads(kjob("get", "pod", "lone", "-o", "json").stdout)
    r = kjob("patch", "pod", "lone", "-p", '{"metadata":{"nickname":"x"}}')
    assert (r.exit_code, r.stdout, r.stderr) == (
        0,
        "pod/lone patched (no change)\n",
        'Warning: unknown field "metadata.nickname"\n',
    )
    assert json.loads(kjob("get", "pod", "lone", "-o", "json").stdout) == before
    r = _merge_status(
        kjob, '{"status":{"mood":"ok","conditions":[{"type":"Ready","status":"False","why":1}]}}'
    )
    assert (
        r.stderr
        == 'Warning: unknown field "status.conditions[0].why"\nWarning: unknown field "status.mood"\n'
    )
    assert json.loads(kjob("get", "pod", "lone", "-o", "json").stdout) == before


def test_a_jobs_unknown_fields_are_dropped_with_a_warning_too(kjob) -> None:
    assert kjob("create", "job", "u", "--image=busybox", "--", "true").exit_code == 0
    assert kjob("patch", "job", "u", "-p", '{"spec":{"suspend":true,"paralelism":2}}').stderr == (
        'Warning: unknown field "spec.paralelism"\n'
    )
    job = json.loads(kjob("get", "job", "u", "-o", "json").stdout)
    assert job["spec"]["suspend"] is True and "paralelism" not in job["spec"]


def test_a_pod_patch_of_the_wrong_type_is_refused_and_writes_nothing(kjob, home: Path) -> None:
    _finished_pod(home)
    before = json.loads(kjob("get", "pod", "lone", "-o", "json").stdout)
    r = kjob("patch", "pod", "lone", "-p", '{"spec":{"activeDeadlineSeconds":"soon"}}')
    assert r.exit_code == 1
    assert r.stderr == (
        'Error from server (BadRequest): Pod in version "v1" cannot be handled as a Pod: json: cannot '
        "unmarshal string into Go struct field PodSpec.spec.activeDeadlineSeconds of type int64\n"
    )
    assert json.loads(kjob("get", "pod", "lone", "-o", "json").stdout) == before


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
@pytest.mark.parametrize(
    "args", [[], ["-p", "{}", "--patch-file", "/tmp/x.json"], ["--patch-file", "/nonexistent/p.json"]]
)
def test_patch_argument_errors_match_kubectl(kjob, args: list[str]) -> None:
    theirs = subprocess.run(
        ["kubectl", "patch", "job", "d", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "KUBECONFIG": "/dev/null"},
    )
    r = kjob("patch", "job", "d", *args)
    assert (r.exit_code, r.stderr) == (1, theirs.stderr)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le-bom", "utf-16-be-bom", "utf-8-sig"])
def test_a_manifest_with_a_byte_order_mark_is_read_as_kubectl_reads_it(
    kjob, tmp_path: Path, encoding: str
) -> None:
    """BOMOverride: UTF-16 either way round (PowerShell's default), and UTF-8 with a BOM."""
    text = job_manifest("bom", "true", suspend=True)
    data = {
        "utf-16": text.encode("utf-16"),
        "utf-16-le-bom": b"\xff\xfe" + text.encode("utf-16-le"),
        "utf-16-be-bom": b"\xfe\xff" + text.encode("utf-16-be"),
        "utf-8-sig": text.encode("utf-8-sig"),
    }[encoding]
    (tmp_path / "job.yaml").write_bytes(data)
    r = kjob("create", "-f", str(tmp_path / "job.yaml"))
    assert (r.exit_code, r.stdout, r.stderr) == (0, "job.batch/bom created\n", "")
