"""Tests for kjob.manifest: parsing, strict field checks, defaulting and validation of Job manifests."""

from __future__ import annotations

import contextlib
import copy
import json
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kjob import errors, manifest

UID = "4dc6ef71-c2eb-44af-9b73-bb77ab6463db"
NOW = 1_777_228_542.0  # 2026-04-26T18:35:42Z


@pytest.fixture(autouse=True)
def _schema_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KJOB_HOME", str(tmp_path / "home"))


def minimal(**spec: Any) -> dict[str, Any]:
    job: dict[str, Any] = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "pi"},
        "spec": {
            "template": {
                "spec": {
                    "containers": [{"name": "worker", "image": "busybox", "command": ["true"]}],
                    "restartPolicy": "Never",
                }
            }
        },
    }
    job["spec"].update(spec)
    return job


def prepared(job: dict[str, Any]) -> dict[str, Any]:
    return manifest.prepare_job(job, "default", NOW, uid=UID)


def causes(job: dict[str, Any]) -> list[str]:
    return manifest.validate_job(prepared(job))


def pod_spec(job: dict[str, Any]) -> dict[str, Any]:
    return job["spec"]["template"]["spec"]


# ---------------------------------------------------------------- load_documents


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        # Each as kubectl v1.32 says it (`kubectl create -f F --dry-run=client`): go-yaml's words.
        ('kind: Job\nspec:\n  parallelism: !!int "abc"\n', "cannot decode !!str `abc` as a !!int"),
        ('kind: Job\nspec:\n  parallelism: !!float "abc"\n', "cannot decode !!str `abc` as a !!float"),
        ('kind: Job\nspec:\n  suspend: !!bool "maybe"\n', "cannot decode !!str `maybe` as a !!bool"),
        ("kind: Job\nmetadata:\n  name: x\x01y\n", "control characters are not allowed"),
        ("\x00\x01\x02binary junk", "control characters are not allowed"),
    ],
)
def test_yaml_kubectl_refuses_is_refused_in_its_words(text: str, problem: str) -> None:
    with pytest.raises(errors.PlainError) as exc:
        manifest.load_documents(text, "f.yaml")
    assert exc.value.message == f"error: error parsing f.yaml: error converting YAML to JSON: yaml: {problem}"


def test_bytes_that_are_no_utf8_reach_the_servers_validation_as_kubectls_reader_lets_them(
    tmp_path: Path,
) -> None:
    from kjob.commands import read_sources

    path = tmp_path / "f.yaml"
    path.write_bytes(b"apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: x\xc3y\n")
    [(_, text)] = read_sources([str(path)], None)
    assert manifest.load_documents(text, str(path))[0]["metadata"]["name"] == "x\ufffdy"


def test_load_documents_multi_document_skips_empty() -> None:
    text = "---\n---\napiVersion: batch/v1\nkind: Job\nmetadata: {name: a}\n---\n\n---\n" + json.dumps(
        {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "b"}}
    )
    docs = manifest.load_documents(text, "jobs.yaml")
    assert [d["metadata"]["name"] for d in docs] == ["a", "b"]


def test_load_documents_json_stream() -> None:
    one = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "a"}, "spec": {"parallelism": 2.0}}
    docs = manifest.load_documents(json.dumps(one) + "\n" + json.dumps(one), "job.json")
    assert len(docs) == 2
    # An integral float reaches the server as a JSON integer.
    assert docs[0]["spec"]["parallelism"] == 2 and isinstance(docs[0]["spec"]["parallelism"], int)


def test_load_documents_expands_list() -> None:
    text = (
        "apiVersion: v1\nkind: List\nitems:\n"
        "- {apiVersion: batch/v1, kind: Job, metadata: {name: a}}\n"
        "- {apiVersion: batch/v1, kind: Job, metadata: {name: b}}\n"
    )
    assert [d["metadata"]["name"] for d in manifest.load_documents(text, "l.yaml")] == ["a", "b"]


def test_load_documents_keeps_timestamps_and_yes_as_go_yaml_does() -> None:
    text = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  annotations:\n    when: 2024-01-01\n  name: a\n"
    doc = manifest.load_documents(text, "j.yaml")[0]
    assert doc["metadata"]["annotations"]["when"] == "2024-01-01"


def test_load_documents_yaml_syntax_error_is_one_line() -> None:
    text = "apiVersion: batch/v1\nkind: Job\nmetadata: name: x\n"
    with pytest.raises(errors.PlainError) as exc:
        manifest.load_documents(text, "job.yaml")
    assert exc.value.message == (
        "error: error parsing job.yaml: error converting YAML to JSON: yaml: line 3: "
        "mapping values are not allowed in this context"
    )


def test_load_documents_missing_apiversion_and_kind() -> None:
    with pytest.raises(errors.PlainError) as exc:
        manifest.load_documents("metadata:\n  name: x\n", "job.yaml")
    assert exc.value.message == (
        'error: error validating "job.yaml": error validating data: [apiVersion not set, kind not set]; '
        "if you choose to ignore these errors, turn validation off with --validate=false"
    )


def test_load_documents_missing_kind_only() -> None:
    with pytest.raises(errors.PlainError) as exc:
        manifest.load_documents("apiVersion: batch/v1\n", "job.yaml")
    assert exc.value.message == (
        'error: error validating "job.yaml": error validating data: kind not set; '
        "if you choose to ignore these errors, turn validation off with --validate=false"
    )


def test_load_documents_not_a_mapping() -> None:
    with pytest.raises(errors.PlainError) as exc:
        manifest.load_documents("- a\n- b\n", "job.yaml")
    assert "error validating data: invalid object to validate;" in exc.value.message


def test_load_documents_refuses_other_kinds() -> None:
    text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
    with pytest.raises(errors.PlainError) as exc:
        manifest.load_documents(text, "web.yaml")
    assert exc.value.message == 'error: kjob only runs batch/v1 Jobs: web.yaml holds apps/v1/Deployment "web"'


def test_load_documents_wrong_job_version() -> None:
    text = "apiVersion: batch/v2\nkind: Job\nmetadata:\n  name: x\n"
    with pytest.raises(errors.PlainError) as exc:
        manifest.load_documents(text, "job.yaml")
    assert exc.value.message == (
        'error: resource mapping not found for name: "x" namespace: "" from "job.yaml": '
        'no matches for kind "Job" in version "batch/v2"\nensure CRDs are installed first'
    )


def test_load_documents_refuses_python_tags() -> None:
    text = "apiVersion: batch/v1\nkind: Job\nmetadata: !!python/object/apply:os.system ['echo pwned']\n"
    with pytest.raises(errors.PlainError) as exc:
        manifest.load_documents(text, "evil.yaml")
    assert exc.value.message.startswith("error: error parsing evil.yaml: ")
    assert "\n" not in exc.value.message


def test_load_documents_alias_bomb_ends_quickly() -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    text = "apiVersion: batch/v1\nkind: Job\n" + "\n".join(lines) + "\n"
    start = time.monotonic()
    with pytest.raises(errors.PlainError) as exc:
        manifest.load_documents(text, "bomb.yaml")
    assert time.monotonic() - start < 5
    assert exc.value.message == (
        "error: error parsing bomb.yaml: error converting YAML to "
        "JSON: yaml: document contains excessive aliasing"
    )


def test_load_documents_refuses_oversized_text() -> None:
    text = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: x\n#" + "x" * manifest.MAX_MANIFEST_BYTES
    with pytest.raises(errors.PlainError) as exc:
        manifest.load_documents(text, "big.yaml")
    assert exc.value.message == "error: big.yaml: Request entity too large: limit is 3145728"


@pytest.mark.parametrize("depth", [150, 5000])
def test_load_documents_refuses_deep_nesting(depth: int) -> None:
    text = "apiVersion: batch/v1\nkind: Job\nx: " + "[" * depth + "]" * depth + "\n"
    with pytest.raises(errors.PlainError) as exc:
        manifest.load_documents(text, "deep.yaml")
    # Ours says "exceeded max depth of 100"; libyaml's own guard "exceeded maximum nesting depth".
    assert "exceeded max" in exc.value.message
    assert "\n" not in exc.value.message


def test_load_documents_deep_json_refused() -> None:
    text = '{"apiVersion": "batch/v1", "kind": "Job", "x": ' + "[" * 5000 + "]" * 5000 + "}"
    with pytest.raises(errors.PlainError) as exc:
        manifest.load_documents(text, "deep.json")
    assert "exceeded max depth of 100" in exc.value.message


# ---------------------------------------------------------------- check_fields

FULL_POD_SPEC_YAML = """
apiVersion: batch/v1
kind: Job
metadata:
  name: full
  labels: {app: full}
  annotations: {note: "yes"}
spec:
  backoffLimit: 2
  activeDeadlineSeconds: 600
  ttlSecondsAfterFinished: 100
  template:
    metadata:
      labels: {app: full}
    spec:
      restartPolicy: OnFailure
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
            - matchExpressions:
              - {key: kubernetes.io/os, operator: In, values: [linux]}
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
          - weight: 10
            podAffinityTerm:
              topologyKey: kubernetes.io/hostname
              labelSelector: {matchLabels: {app: full}}
      tolerations:
      - {key: dedicated, operator: Equal, value: batch, effect: NoSchedule, tolerationSeconds: 30}
      securityContext: {runAsUser: 1000, runAsNonRoot: true, fsGroup: 2000}
      nodeSelector: {disk: ssd}
      volumes:
      - name: scratch
        emptyDir: {sizeLimit: 1Gi}
      - name: config
        configMap: {name: cfg, defaultMode: 420, items: [{key: a, path: a.txt}]}
      initContainers:
      - name: setup
        image: busybox:1.36
        command: [sh, -c, "true"]
      containers:
      - name: main
        image: python:3.12
        command: [python, -c, "print(1)"]
        args: ["--x"]
        env:
        - {name: A, value: "1"}
        - name: POD
          valueFrom: {fieldRef: {apiVersion: v1, fieldPath: metadata.name}}
        ports:
        - {containerPort: 8080, protocol: TCP, name: http}
        resources:
          requests: {cpu: 500m, memory: 64Mi}
          limits: {cpu: 1, memory: 128Mi}
        securityContext:
          allowPrivilegeEscalation: false
          capabilities: {drop: [ALL]}
          readOnlyRootFilesystem: true
        livenessProbe:
          httpGet: {path: /healthz, port: 8080, scheme: HTTP}
          initialDelaySeconds: 3
          timeoutSeconds: 1
          periodSeconds: 10
          successThreshold: 1
          failureThreshold: 3
        readinessProbe:
          exec: {command: [cat, /tmp/ready]}
          timeoutSeconds: 2
          periodSeconds: 5
          successThreshold: 1
          failureThreshold: 3
        volumeMounts:
        - {name: scratch, mountPath: /scratch}
        - {name: config, mountPath: /etc/cfg, readOnly: true}
"""


def test_check_fields_accepts_every_valid_field_and_prepare_keeps_them() -> None:
    doc = manifest.load_documents(FULL_POD_SPEC_YAML, "full.yaml")[0]
    original = copy.deepcopy(doc)
    manifest.check_fields(doc, "full.yaml")
    assert doc == original
    job = prepared(doc)
    spec, want = pod_spec(job), pod_spec(original)
    for key in ("affinity", "tolerations", "securityContext", "volumes", "nodeSelector"):
        assert spec[key] == want[key]
    for key in ("livenessProbe", "readinessProbe", "securityContext", "env", "ports", "resources"):
        assert spec["containers"][0][key] == want["containers"][0][key]
    assert manifest.validate_job(job) == []


def _bad_request(obj: dict[str, Any], verb: str = "creating") -> str:
    with pytest.raises(errors.BadRequest) as exc:
        manifest.check_fields(obj, "job.yaml", verb)
    return exc.value.message


PREFIX = (
    'Error from server (BadRequest): error when creating "job.yaml": '
    'Job in version "v1" cannot be handled as a Job: '
)


def test_check_fields_unknown_field_deep() -> None:
    job = minimal()
    pod_spec(job)["containers"][0]["foo"] = 1
    assert (
        _bad_request(job)
        == PREFIX + 'strict decoding error: unknown field "spec.template.spec.containers[0].foo"'
    )


def test_check_fields_unknown_fields_at_several_depths_sorted() -> None:
    job = minimal()
    job["zzz"] = 1
    job["spec"]["paralelism"] = 2
    job["metadata"]["lables"] = {}
    pod_spec(job)["containers"][0]["cmd"] = ["x"]
    assert _bad_request(job) == PREFIX + (
        'strict decoding error: unknown field "metadata.lables", unknown field "spec.paralelism", '
        'unknown field "spec.template.spec.containers[0].cmd", unknown field "zzz"'
    )


def test_check_fields_is_case_sensitive() -> None:
    job = minimal(Parallelism=1)
    assert _bad_request(job).endswith('unknown field "spec.Parallelism"')


def test_check_fields_applying_context() -> None:
    job = minimal(foo=1)
    assert _bad_request(job, "applying").startswith(
        'Error from server (BadRequest): error when applying "job.yaml": '
    )


def test_check_fields_string_into_int32() -> None:
    assert _bad_request(minimal(parallelism="2")) == PREFIX + (
        "json: cannot unmarshal string into Go struct field JobSpec.spec.parallelism of type int32"
    )


def test_check_fields_number_into_string_in_list_element() -> None:
    job = minimal()
    pod_spec(job)["containers"][0]["image"] = 3
    assert _bad_request(job) == PREFIX + (
        "json: cannot unmarshal number into Go struct field Container.spec.template.spec.containers.image"
        " of type string"
    )


def test_check_fields_label_value_must_be_string() -> None:
    job = minimal()
    job["metadata"]["labels"] = {"a": 1}
    assert _bad_request(job) == PREFIX + (
        "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string"
    )


def test_check_fields_wrong_container_shapes() -> None:
    job = minimal()
    pod_spec(job)["containers"] = {"name": "x"}
    assert _bad_request(job) == PREFIX + (
        "json: cannot unmarshal object into Go struct field PodSpec.spec.template.spec.containers"
        " of type []v1.Container"
    )
    pod_spec(job)["containers"] = ["x"]
    assert _bad_request(job) == PREFIX + (
        "json: cannot unmarshal string into Go struct field PodSpec.spec.template.spec.containers"
        " of type v1.Container"
    )


def test_check_fields_bool_and_overflow_and_named_type() -> None:
    assert _bad_request(minimal(suspend="yes")).endswith(
        "cannot unmarshal string into Go struct field JobSpec.spec.suspend of type bool"
    )
    assert _bad_request(minimal(backoffLimit=3_000_000_000)).endswith(
        "cannot unmarshal number 3000000000 into Go struct field JobSpec.spec.backoffLimit of type int32"
    )
    job = minimal()
    pod_spec(job)["restartPolicy"] = 1
    assert _bad_request(job).endswith(
        "cannot unmarshal number into Go struct field PodSpec.spec.template.spec.restartPolicy"
        " of type v1.RestartPolicy"
    )


def test_check_fields_type_error_wins_over_unknown_field() -> None:
    job = minimal(parallelism="x", foo=1)
    assert "cannot unmarshal string" in _bad_request(job)


def test_check_fields_quantity_and_int_or_string() -> None:
    job = minimal()
    pod_spec(job)["containers"][0]["resources"] = {"limits": {"cpu": "lots"}}
    assert _bad_request(job) == PREFIX + (
        "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    )
    pod_spec(job)["containers"][0]["resources"] = {"limits": {"cpu": 0.5, "memory": "1Gi"}}
    manifest.check_fields(job, "job.yaml")
    pod_spec(job)["containers"][0]["livenessProbe"] = {"httpGet": {"port": True}}
    assert _bad_request(job) == PREFIX + (
        "json: cannot unmarshal bool into Go struct field HTTPGetAction"
        ".spec.template.spec.containers.livenessProbe.httpGet.port of type int32"
    )


def test_check_fields_accepts_nulls() -> None:
    job = minimal(parallelism=None, selector=None)
    job["metadata"]["labels"] = None
    manifest.check_fields(job, "job.yaml")


def test_the_shipped_schema_is_the_upstream_one_pruned() -> None:
    """kjob ships the pruned Job schema (deriving it cost a state directory's first `create` ~15 ms);
    it must say what kubernetes-validate's definitions say."""
    with open(manifest.SHIPPED_SCHEMA, encoding="utf-8") as fh:
        shipped = json.load(fh)
    assert shipped == manifest.build_schema(), (
        "the upstream schema changed: python -c 'from kjob import manifest; manifest.write_schema()'"
    )


def test_check_fields_reads_only_the_shipped_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    """Validation neither looks for kubernetes-validate nor writes a cache: the shipped schema is all."""

    def gone() -> str:
        raise AssertionError("kubernetes-validate consulted")

    monkeypatch.setattr(manifest, "_schema_dir", gone)
    monkeypatch.setattr(manifest, "_SCHEMA", None)
    manifest.check_fields(minimal(), "job.yaml")
    with pytest.raises(errors.BadRequest, match=r'unknown field "spec\.foo"'):
        manifest.check_fields(minimal(foo=1), "job.yaml")


# ---------------------------------------------------------------- prepare_job


def test_prepare_job_defaults_match_a_real_cluster() -> None:
    # job-semantics §1.5: {"completions": 6, containers [busybox, "worker"], restartPolicy Never}.
    job = minimal(completions=6)
    out = prepared(job)
    spec = out["spec"]
    assert spec["backoffLimit"] == 6
    assert spec["completionMode"] == "NonIndexed"
    assert spec["completions"] == 6
    assert spec["manualSelector"] is False
    assert spec["parallelism"] == 1
    assert spec["podReplacementPolicy"] == "TerminatingOrFailed"
    assert spec["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": UID}}
    assert spec["suspend"] is False
    four = {
        "batch.kubernetes.io/controller-uid": UID,
        "batch.kubernetes.io/job-name": "pi",
        "controller-uid": UID,
        "job-name": "pi",
    }
    assert spec["template"]["metadata"]["labels"] == four
    assert out["metadata"]["labels"] == four
    ps = spec["template"]["spec"]
    assert ps["terminationGracePeriodSeconds"] == 30
    assert ps["dnsPolicy"] == "ClusterFirst"
    assert ps["schedulerName"] == "default-scheduler"
    assert ps["securityContext"] == {}
    ctr = ps["containers"][0]
    assert ctr["imagePullPolicy"] == "Always"
    assert ctr["terminationMessagePath"] == "/dev/termination-log"
    assert ctr["terminationMessagePolicy"] == "File"
    assert ctr["resources"] == {}
    assert out["metadata"]["uid"] == UID
    assert out["metadata"]["namespace"] == "default"
    assert out["metadata"]["creationTimestamp"] == "2026-04-26T18:35:42Z"
    assert out["metadata"]["generation"] == 1
    assert out["status"] == {}
    assert job == minimal(completions=6)  # the input is untouched


def test_prepare_job_both_counts_unset_become_one() -> None:
    spec = prepared(minimal())["spec"]
    assert (spec["completions"], spec["parallelism"]) == (1, 1)


def test_prepare_job_work_queue_keeps_completions_unset() -> None:
    spec = prepared(minimal(parallelism=3))["spec"]
    assert "completions" not in spec and spec["parallelism"] == 3


def test_prepare_job_backoff_limit_per_index_sets_maxint() -> None:
    spec = prepared(minimal(completionMode="Indexed", completions=2, backoffLimitPerIndex=1))["spec"]
    assert spec["backoffLimit"] == 2147483647


def test_prepare_job_pod_failure_policy_defaults() -> None:
    pfp = {"rules": [{"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]}]}
    spec = prepared(minimal(podFailurePolicy=pfp))["spec"]
    assert spec["podReplacementPolicy"] == "Failed"
    assert spec["podFailurePolicy"]["rules"][0]["onPodConditions"][0]["status"] == "True"


@pytest.mark.parametrize(
    ("image", "policy"),
    [
        ("busybox", "Always"),
        ("busybox:latest", "Always"),
        ("perl:5.34.0", "IfNotPresent"),
        ("localhost:5000/img", "Always"),
        ("img@sha256:" + "a" * 64, "IfNotPresent"),
    ],
)
def test_prepare_job_image_pull_policy(image: str, policy: str) -> None:
    job = minimal()
    pod_spec(job)["containers"][0]["image"] = image
    assert pod_spec(prepared(job))["containers"][0]["imagePullPolicy"] == policy


def test_prepare_job_template_labels_copied_to_job() -> None:
    job = minimal()
    job["spec"]["template"]["metadata"] = {"labels": {"app": "x"}}
    out = prepared(job)
    assert out["metadata"]["labels"] == {"app": "x"}
    assert out["spec"]["template"]["metadata"]["labels"]["app"] == "x"
    assert out["spec"]["template"]["metadata"]["labels"]["job-name"] == "pi"


def test_prepare_job_keeps_own_labels_and_clears_status() -> None:
    job = minimal()
    job["metadata"]["labels"] = {"team": "a"}
    job["status"] = {"succeeded": 3}
    out = prepared(job)
    assert out["metadata"]["labels"] == {"team": "a"}
    assert out["status"] == {}


def test_prepare_job_manual_selector_generates_nothing() -> None:
    job = minimal(manualSelector=True, selector={"matchLabels": {"app": "x"}})
    job["spec"]["template"]["metadata"] = {"labels": {"app": "x"}}
    out = prepared(job)
    assert out["spec"]["selector"] == {"matchLabels": {"app": "x"}}
    assert out["spec"]["template"]["metadata"]["labels"] == {"app": "x"}
    assert manifest.validate_job(out) == []


def test_prepare_job_generate_name() -> None:
    job = minimal()
    job["metadata"] = {"generateName": "pi-"}
    name = prepared(job)["metadata"]["name"]
    assert name.startswith("pi-") and len(name) == 8


def test_prepare_job_namespace_rules() -> None:
    job = minimal()
    job["metadata"]["namespace"] = "a"
    assert manifest.prepare_job(job, "default", NOW)["metadata"]["namespace"] == "a"
    with pytest.raises(errors.PlainError) as exc:
        manifest.prepare_job(job, "b", NOW, namespace_explicit=True)
    assert exc.value.message == (
        'error: the namespace from the provided object "a" does not match the namespace "b". '
        "You must pass '--namespace=a' to perform this operation."
    )
    assert manifest.prepare_job(minimal(), "team", NOW)["metadata"]["namespace"] == "team"


def test_prepare_job_resource_version_refused() -> None:
    job = minimal()
    job["metadata"]["resourceVersion"] = "123"
    with pytest.raises(errors.APIError) as exc:
        manifest.prepare_job(job, "default", NOW, context='error when creating "job.yaml": ')
    assert exc.value.message == (
        'Error from server: error when creating "job.yaml": '
        "resourceVersion should not be set on objects to be created"
    )


def test_prepare_job_probe_and_volume_defaults() -> None:
    job = minimal()
    pod_spec(job)["containers"][0]["livenessProbe"] = {"httpGet": {"port": 80}}
    pod_spec(job)["containers"][0]["ports"] = [{"containerPort": 80}]
    pod_spec(job)["volumes"] = [{"name": "a"}, {"name": "b", "secret": {"secretName": "s"}}]
    ps = pod_spec(prepared(job))
    assert ps["containers"][0]["livenessProbe"] == {
        "httpGet": {"port": 80, "path": "/", "scheme": "HTTP"},
        "timeoutSeconds": 1,
        "periodSeconds": 10,
        "successThreshold": 1,
        "failureThreshold": 3,
    }
    assert ps["containers"][0]["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert ps["volumes"] == [
        {"name": "a", "emptyDir": {}},
        {"name": "b", "secret": {"secretName": "s", "defaultMode": 420}},
    ]


# ---------------------------------------------------------------- validate_job: name and labels

SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation "
    "is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
    "and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)


def test_validate_name_not_a_subdomain() -> None:
    job = minimal()
    job["metadata"]["name"] = "My_Job"
    assert causes(job)[0] == f'metadata.name: Invalid value: "My_Job": {SUBDOMAIN_MSG}'


def test_validate_name_required() -> None:
    job = minimal()
    job["metadata"] = {}
    assert causes(job)[0] == "metadata.name: Required value: name or generateName is required"


def test_validate_name_longer_than_63() -> None:
    job = minimal()
    name = "a" * 64
    job["metadata"]["name"] = name
    assert causes(job) == [
        f'spec.template.labels: Invalid value: "{name}": must be no more than 63 characters'
    ]


def test_validate_name_too_long_in_job_labels_too() -> None:
    job = minimal()
    name = "a" * 64
    job["metadata"] = {"name": name, "labels": {"job-name": name}}
    assert causes(job) == [
        f'metadata.labels: Invalid value: "{name}": must be no more than 63 characters',
        f'spec.template.labels: Invalid value: "{name}": must be no more than 63 characters',
    ]


def test_validate_indexed_hostname() -> None:
    job = minimal(completionMode="Indexed", completions=10)
    job["metadata"]["name"] = "a.b"
    assert causes(job) == [
        'metadata.name: Invalid value: "a.b": will not able to create pod with invalid DNS label: a.b-9'
    ]


def test_validate_bad_label_key() -> None:
    job = minimal()
    job["metadata"]["labels"] = {"a b": "x"}
    assert causes(job) == [
        'metadata.labels: Invalid value: "a b": name part must consist of alphanumeric characters, '
        "'-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or "
        "'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
    ]


# ---------------------------------------------------------------- validate_job: spec rules


@pytest.mark.parametrize(
    "key",
    [
        "parallelism",
        "completions",
        "activeDeadlineSeconds",
        "backoffLimit",
        "ttlSecondsAfterFinished",
    ],
)
def test_validate_non_negative(key: str) -> None:
    assert causes(minimal(**{key: -1})) == [
        f"spec.{key}: Invalid value: -1: must be greater than or equal to 0"
    ]


def test_validate_restart_policy_unset() -> None:
    job = minimal()
    del pod_spec(job)["restartPolicy"]
    assert causes(job) == [
        'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"'
    ]


def test_validate_restart_policy_always() -> None:
    job = minimal()
    pod_spec(job)["restartPolicy"] = "Always"
    assert causes(job) == [
        'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"'
    ]


def test_validate_restart_policy_unknown() -> None:
    job = minimal()
    pod_spec(job)["restartPolicy"] = "Sometimes"
    assert causes(job) == [
        'spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: '
        '"Always", "OnFailure", "Never"',
        "spec.template.spec.restartPolicy: Unsupported value: "
        '"Sometimes": supported values: "OnFailure", "Never"',
    ]


def test_validate_completion_mode_unsupported() -> None:
    assert causes(minimal(completionMode="Random")) == [
        'spec.completionMode: Unsupported value: "Random": supported values: "NonIndexed", "Indexed"'
    ]


def test_validate_indexed_requires_completions() -> None:
    assert causes(minimal(completionMode="Indexed", parallelism=2)) == [
        "spec.completions: Required value: when completion mode is Indexed"
    ]


def test_validate_indexed_parallelism_limit() -> None:
    assert causes(minimal(completionMode="Indexed", completions=5, parallelism=100_001)) == [
        "spec.parallelism: Invalid value: 100001: must be less than or "
        "equal to 100000 when completion mode is Indexed"
    ]


def test_validate_per_index_requires_indexed() -> None:
    assert causes(minimal(backoffLimitPerIndex=1, maxFailedIndexes=1)) == [
        "spec.backoffLimitPerIndex: Invalid value: 1: requires indexed completion mode",
        "spec.maxFailedIndexes: Invalid value: 1: requires indexed completion mode",
    ]


def test_validate_max_failed_indexes_rules() -> None:
    assert causes(minimal(completionMode="Indexed", completions=3, maxFailedIndexes=1)) == [
        "spec.backoffLimitPerIndex: Required value: when maxFailedIndexes is specified"
    ]
    assert causes(
        minimal(completionMode="Indexed", completions=3, backoffLimitPerIndex=1, maxFailedIndexes=4)
    ) == ["spec.maxFailedIndexes: Invalid value: 4: must be less than or equal to completions"]


def test_validate_success_policy_requires_indexed() -> None:
    assert causes(minimal(successPolicy={"rules": []})) == [
        "spec.successPolicy: Invalid value: batch.SuccessPolicy{Rules:[]batch.SuccessPolicyRule{}}: "
        "requires indexed completion mode"
    ]


def test_validate_success_policy_rules() -> None:
    base = {"completionMode": "Indexed", "completions": 4}
    assert causes(minimal(successPolicy={"rules": []}, **base)) == [
        "spec.successPolicy.rules: Required value: at least one rules "
        "must be specified when the successPolicy "
        "is specified"
    ]
    assert causes(minimal(successPolicy={"rules": [{}]}, **base)) == [
        "spec.successPolicy.rules[0]: Required value: at least one of "
        "succeededCount or succeededIndexes must be "
        "specified"
    ]
    assert causes(minimal(successPolicy={"rules": [{"succeededIndexes": "0-5"}]}, **base)) == [
        'spec.successPolicy.rules[0].succeededIndexes: Invalid value: "0-5": error parsing succeededIndexes: '
        'too large index: "5"'
    ]
    assert causes(minimal(successPolicy={"rules": [{"succeededIndexes": "3,2"}]}, **base)) == [
        'spec.successPolicy.rules[0].succeededIndexes: Invalid value: "3,2": error parsing succeededIndexes: '
        "non-increasing order, previous: 3, current: 2"
    ]
    assert causes(minimal(successPolicy={"rules": [{"succeededCount": 5}]}, **base)) == [
        "spec.successPolicy.rules[0].succeededCount: Invalid value: 5: must be less than or equal to 4 "
        "(the number of specified completions)"
    ]
    assert causes(
        minimal(successPolicy={"rules": [{"succeededCount": 3, "succeededIndexes": "0,1"}]}, **base)
    ) == [
        "spec.successPolicy.rules[0].succeededCount: Invalid value: 3: must be less than or equal to 2 "
        "(the number of indexes in the specified succeededIndexes field)"
    ]


def test_validate_pod_replacement_policy() -> None:
    assert causes(minimal(podReplacementPolicy="Sometimes")) == [
        'spec.podReplacementPolicy: Unsupported value: "Sometimes": '
        'supported values: "Failed", "TerminatingOrFailed"'
    ]
    pfp = {"rules": [{"action": "FailJob", "onExitCodes": {"operator": "In", "values": [1]}}]}
    assert causes(minimal(podFailurePolicy=pfp, podReplacementPolicy="TerminatingOrFailed")) == [
        'spec.podReplacementPolicy: Unsupported value: "TerminatingOrFailed": supported values: "Failed"'
    ]


def _pfp_causes(*rules: dict[str, Any], **spec: Any) -> list[str]:
    return causes(minimal(podFailurePolicy={"rules": list(rules)}, **spec))


def test_validate_pod_failure_policy_action() -> None:
    on_exit = {"operator": "In", "values": [1]}
    assert _pfp_causes({"onExitCodes": on_exit}) == [
        "spec.podFailurePolicy.rules[0].action: Required value: valid "
        'values: ["Count" "FailIndex" "FailJob" "Ignore"]'
    ]
    assert _pfp_causes({"action": "Retry", "onExitCodes": on_exit}) == [
        'spec.podFailurePolicy.rules[0].action: Unsupported value: "Retry": supported values: '
        '"Count", "FailIndex", "FailJob", "Ignore"'
    ]
    assert _pfp_causes({"action": "FailIndex", "onExitCodes": on_exit}) == [
        "spec.podFailurePolicy.rules[0].action: Invalid value: "
        '"FailIndex": requires the backoffLimitPerIndex to be set'
    ]


def test_validate_pod_failure_policy_requirements() -> None:
    both = {
        "action": "Ignore",
        "onExitCodes": {"operator": "In", "values": [1]},
        "onPodConditions": [{"type": "DisruptionTarget"}],
    }
    assert _pfp_causes(both) == [
        "spec.podFailurePolicy.rules[0]: Invalid value: specifying both "
        "OnExitCodes and OnPodConditions is not supported"
    ]
    assert _pfp_causes({"action": "Ignore"}) == [
        "spec.podFailurePolicy.rules[0]: Invalid value: specifying one "
        "of OnExitCodes and OnPodConditions is required"
    ]


def test_validate_pod_failure_policy_exit_codes() -> None:
    path = "spec.podFailurePolicy.rules[0].onExitCodes"
    assert _pfp_causes({"action": "FailJob", "onExitCodes": {"values": [1]}}) == [
        f'{path}.operator: Required value: valid values: ["In" "NotIn"]'
    ]
    assert _pfp_causes({"action": "FailJob", "onExitCodes": {"operator": "In", "values": []}}) == [
        f"{path}.values: Invalid value: []int32{{}}: at least one value is required"
    ]
    assert _pfp_causes({"action": "FailJob", "onExitCodes": {"operator": "In", "values": [0, 3, 3, 2]}}) == [
        f"{path}.values[0]: Invalid value: 0: must not be 0 for the In operator",
        f"{path}.values[2]: Duplicate value: 3",
        f"{path}.values: Invalid value: []int32{{0, 3, 3, 2}}: must be ordered",
    ]
    assert _pfp_causes(
        {"action": "FailJob", "onExitCodes": {"operator": "NotIn", "values": [0], "containerName": "nope"}}
    ) == [
        f'{path}.containerName: Invalid value: "nope": must be one of the container or initContainer names '
        "in the pod template"
    ]


def test_validate_pod_failure_policy_needs_never() -> None:
    job = minimal(podFailurePolicy={"rules": [{"action": "Ignore", "onPodConditions": [{"type": "X"}]}]})
    pod_spec(job)["restartPolicy"] = "OnFailure"
    assert causes(job) == [
        'spec.template.spec.restartPolicy: Invalid value: "OnFailure": only "Never" is supported when '
        "podFailurePolicy is specified"
    ]


def test_validate_pod_failure_policy_too_many_rules() -> None:
    rule = {"action": "Ignore", "onPodConditions": [{"type": "X"}]}
    assert _pfp_causes(*([rule] * 21)) == [
        "spec.podFailurePolicy.rules: Too many: 21: must have at most 20 items"
    ]


# ---------------------------------------------------------------- validate_job: selector


def test_validate_manual_selector_without_selector() -> None:
    assert causes(minimal(manualSelector=True)) == [
        "spec.selector: Required value",
        "spec.template.metadata.labels: Invalid value: map[string]string(nil): "
        "`selector` does not match template `labels`",
    ]


def test_validate_manual_selector_mismatch() -> None:
    job = minimal(manualSelector=True, selector={"matchLabels": {"app": "a"}})
    job["spec"]["template"]["metadata"] = {"labels": {"app": "b"}}
    assert causes(job) == [
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"b"}: '
        "`selector` does not match template `labels`"
    ]


def test_validate_user_selector_not_generated() -> None:
    job = minimal(selector={"matchLabels": {"app": "a"}})
    job["spec"]["template"]["metadata"] = {"labels": {"app": "a"}}
    assert causes(job) == [
        'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"a", '
        f'"batch.kubernetes.io/controller-uid":"{UID}"}}, '
        f"MatchExpressions:[]v1.LabelSelectorRequirement(nil)}}: "
        "`selector` not auto-generated"
    ]


def test_validate_conflicting_generated_label() -> None:
    job = minimal()
    job["spec"]["template"]["metadata"] = {"labels": {"job-name": "other"}}
    out = causes(job)
    assert out[0].startswith("spec.template.metadata.labels[job-name]: Invalid value: map[string]string{")
    assert out[0].endswith(": must be 'pi'")


# ---------------------------------------------------------------- validate_job: containers


def test_validate_no_containers() -> None:
    job = minimal()
    pod_spec(job)["containers"] = []
    assert causes(job) == ["spec.template.spec.containers: Required value"]


def test_validate_container_name_required() -> None:
    job = minimal()
    del pod_spec(job)["containers"][0]["name"]
    assert causes(job) == ["spec.template.spec.containers[0].name: Required value"]


def test_validate_container_name_not_a_label() -> None:
    job = minimal()
    pod_spec(job)["containers"][0]["name"] = "Main"
    assert causes(job) == [f'spec.template.spec.containers[0].name: Invalid value: "Main": {LABEL_MSG}']


def test_validate_container_image_required() -> None:
    job = minimal()
    del pod_spec(job)["containers"][0]["image"]
    assert causes(job) == ["spec.template.spec.containers[0].image: Required value"]


def test_validate_duplicate_container_names_across_init() -> None:
    job = minimal()
    ctr = pod_spec(job)["containers"][0]
    pod_spec(job)["containers"].append(dict(ctr))
    pod_spec(job)["initContainers"] = [dict(ctr)]
    assert causes(job) == [
        'spec.template.spec.containers[1].name: Duplicate value: "worker"',
        'spec.template.spec.initContainers[0].name: Duplicate value: "worker"',
    ]


def test_validate_env_name() -> None:
    job = minimal()
    pod_spec(job)["containers"][0]["env"] = [{"value": "x"}, {"name": "A=B"}]
    assert causes(job) == [
        "spec.template.spec.containers[0].env[0].name: Required value",
        "spec.template.spec.containers[0].env[1].name: Invalid value: "
        '"A=B": a valid environment variable name '
        "must consist only of printable ASCII characters other than '='",
    ]


def test_validate_duplicate_volume_names() -> None:
    job = minimal()
    pod_spec(job)["volumes"] = [{"name": "v", "emptyDir": {}}, {"name": "v", "emptyDir": {}}]
    assert causes(job) == ['spec.template.spec.volumes[1].name: Duplicate value: "v"']


def test_validate_job_or_raise_renders_kubectl_message() -> None:
    job = minimal()
    del pod_spec(job)["restartPolicy"]
    with pytest.raises(errors.Invalid) as exc:
        manifest.validate_job_or_raise(prepared(job))
    assert exc.value.message == (
        'The Job "pi" is invalid: spec.template.spec.restartPolicy: '
        'Required value: valid values: "OnFailure", "Never"'
    )
    pod_spec(job)["containers"] = []
    with pytest.raises(errors.Invalid) as exc:
        manifest.validate_job_or_raise(prepared(job))
    assert exc.value.message.splitlines() == [
        'The Job "pi" is invalid: ',
        "* spec.template.spec.containers: Required value",
        '* spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
    ]


# ---------------------------------------------------------------- validate_job_update


def test_validate_job_update_mutable_fields_pass() -> None:
    old = prepared(minimal())
    new = copy.deepcopy(old)
    new["spec"]["parallelism"] = 3
    new["spec"]["backoffLimit"] = 1
    new["spec"]["suspend"] = True
    assert manifest.validate_job_update(old, new) == []


def test_validate_job_update_template_immutable() -> None:
    old = prepared(minimal())
    new = copy.deepcopy(old)
    pod_spec(new)["containers"][0]["image"] = "alpine"
    assert manifest.validate_job_update(old, new) == [
        "spec.template: Invalid value: core.PodTemplateSpec{...}: field is immutable"
    ]


def test_validate_job_update_completions_and_selector() -> None:
    old = prepared(minimal(completions=2))
    new = copy.deepcopy(old)
    new["spec"]["completions"] = 3
    new["spec"]["selector"] = {"matchLabels": {"x": "y"}}
    assert manifest.validate_job_update(old, new) == [
        "spec.completions: Invalid value: 3: field is immutable",
        'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"x":"y"}, '
        "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable",
    ]


def test_validate_job_update_elastic_indexed() -> None:
    old = prepared(minimal(completionMode="Indexed", completions=2, parallelism=2))
    new = copy.deepcopy(old)
    new["spec"]["completions"] = 4
    assert manifest.validate_job_update(old, new) == [
        "spec.completions: Invalid value: 4: can only be modified in tandem with spec.parallelism"
    ]
    new["spec"]["parallelism"] = 4
    assert manifest.validate_job_update(old, new) == []


def test_validate_job_update_suspended_scheduling_directives() -> None:
    old = prepared(minimal(suspend=True))
    new = copy.deepcopy(old)
    pod_spec(new)["nodeSelector"] = {"disk": "ssd"}
    pod_spec(new)["tolerations"] = [{"key": "k", "operator": "Exists"}]
    assert manifest.validate_job_update(old, new) == []
    old["status"] = {"startTime": "2026-01-01T00:00:00Z"}
    assert manifest.validate_job_update(old, new)[0].startswith("spec.template: Invalid value")


# ---------------------------------------------------------------- missing_command_containers


def test_missing_command_containers() -> None:
    job = minimal()
    pod_spec(job)["containers"].append({"name": "side", "image": "nginx"})
    pod_spec(job)["initContainers"] = [{"name": "init", "image": "busybox", "command": []}]
    assert manifest.missing_command_containers(job) == ["init", "side"]


# ---------------------------------------------------------------- never a foreign exception


def _pipeline(docs: list[Any]) -> None:
    for doc in docs:
        manifest.check_fields(doc, "fuzz.yaml")
        job = manifest.prepare_job(doc, "default", NOW, uid=UID)
        manifest.validate_job(job)
        manifest.validate_job_update(job, job)
        manifest.missing_command_containers(job)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_fuzz_arbitrary_text(text: str) -> None:
    with contextlib.suppress(errors.KjobError):
        _pipeline(manifest.load_documents(text, "fuzz.yaml"))


json_leaf = st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=8)
json_tree = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "name",
                    "image",
                    "containers",
                    "spec",
                    "template",
                    "metadata",
                    "labels",
                    "selector",
                    "rules",
                    "command",
                    "completions",
                    "parallelism",
                    "restartPolicy",
                    "podFailurePolicy",
                    "successPolicy",
                    "completionMode",
                    "matchLabels",
                    "onExitCodes",
                    "values",
                    "operator",
                    "action",
                    "env",
                    "x",
                ]
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_tree)
def test_fuzz_arbitrary_trees(tree: Any) -> None:
    doc = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "f"}, "spec": tree}
    with contextlib.suppress(errors.KjobError):
        _pipeline(manifest.load_documents(json.dumps(doc), "fuzz.json"))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_tree)
def test_fuzz_valid_shaped_job_pieces(tree: Any) -> None:
    job = minimal()
    pod_spec(job)["containers"][0]["env"] = tree
    job["spec"]["podFailurePolicy"] = {"rules": [tree]}
    with contextlib.suppress(errors.KjobError):
        _pipeline([job])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_tree, json_tree)
def test_fuzz_prepare_and_validate_without_field_checks(spec: Any, meta: Any) -> None:
    # Even without check_fields in front, wrong types must not escape as foreign exceptions.
    doc = {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": spec}
    with contextlib.suppress(errors.KjobError):
        job = manifest.prepare_job(doc, "default", NOW, uid=UID)
        manifest.validate_job(job)
        manifest.validate_job_update(job, job)
        manifest.missing_command_containers(job)


def test_load_documents_unknown_anchor() -> None:
    with pytest.raises(errors.PlainError) as exc:
        manifest.load_documents("a: 1\nb: *xy\n", "job.yaml")
    assert exc.value.message == (
        "error: error parsing job.yaml: error converting YAML to JSON: yaml: unknown anchor 'xy' referenced"
    )


# ---------------------------------------------------------------- PyYAML's import


def test_yaml_is_imported_without_compiling_the_readers_pattern() -> None:
    """kjob.yamllib leaves the pure-Python reader's check for unprintable characters uncompiled until
    it is used (most of `import yaml`'s time), restores re.compile, and the check still works."""
    import subprocess
    import sys

    code = """
import re
compile_before = re.compile
from kjob.yamllib import yaml
pattern = yaml.reader.Reader.NON_PRINTABLE
print(type(pattern).__name__, re.compile is compile_before)
print(yaml.safe_load("a: b"))
try:
    yaml.safe_load("a: \\x07")
except yaml.reader.ReaderError as e:
    print("refused:", e.reason)
print(type(pattern._compiled).__name__)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == [
        "_LazyPattern True",
        "{'a': 'b'}",
        "refused: special characters are not allowed",
        "Pattern",
    ]


C0 = "spec.template.spec.containers[0]"
POD_TEMPLATE_ERRORS = [
    (
        {"volumeMounts": [{"name": "data", "mountPath": "/data"}]},
        [f'{C0}.volumeMounts[0].name: Not found: "data"'],
    ),
    (
        {"resources": {"limits": {"memory": "10Mi"}, "requests": {"memory": "20Mi"}}},
        [
            f'{C0}.resources.requests: Invalid value: "20Mi": must be less than or equal to memory limit of 10Mi'
        ],
    ),
    (
        {"resources": {"limits": {"cpu": "-1"}}},
        [f'{C0}.resources.limits[cpu]: Invalid value: "-1": must be greater than or equal to 0'],
    ),
    (
        {"resources": {"limits": {"example.com/gpu": "2"}, "requests": {"example.com/gpu": "1"}}},
        [f'{C0}.resources.requests: Invalid value: "1": must be equal to example.com/gpu limit of 2'],
    ),
    (
        {"resources": {"limits": {"gpu": "1"}}},
        [f'{C0}.resources.limits[gpu]: Invalid value: "gpu": must be a standard resource for containers'],
    ),
    (
        {"env": [{"name": "A", "value": "x", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]},
        [f'{C0}.env[0].valueFrom: Invalid value: "": may not be specified when `value` is not empty'],
    ),
    (
        {"env": [{"name": "A", "valueFrom": {}}]},
        [
            f'{C0}.env[0].valueFrom: Invalid value: "": must specify one of: `fieldRef`, `resourceFieldRef`, '
            "`configMapKeyRef` or `secretKeyRef`"
        ],
    ),
    (
        {"livenessProbe": {"periodSeconds": 5}},
        [f"{C0}.livenessProbe: Required value: must specify a handler type"],
    ),
    (
        {"readinessProbe": {"exec": {"command": ["true"]}, "tcpSocket": {"port": 80}}},
        [f"{C0}.readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type"],
    ),
    (
        {"securityContext": {"runAsUser": -1}},
        [f"{C0}.securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive"],
    ),
    (
        {"ports": [{"name": "http", "containerPort": 80}, {"name": "http", "containerPort": 81}]},
        [f'{C0}.ports[1].name: Duplicate value: "http"'],
    ),
]


@pytest.mark.parametrize(("container", "expected"), POD_TEMPLATE_ERRORS)
def test_validate_container_rules_the_api_server_has(container: dict[str, Any], expected: list[str]) -> None:
    job = minimal()
    pod_spec(job)["containers"][0].update(container)
    assert causes(job) == expected


def test_validate_a_regular_init_container_takes_no_probe_and_a_sidecar_does() -> None:
    probe = {"exec": {"command": ["true"]}}
    job = minimal()
    pod_spec(job)["initContainers"] = [{"name": "i", "image": "busybox", "readinessProbe": probe}]
    assert causes(job) == [
        "spec.template.spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers "
        "without restartPolicy=Always"
    ]
    pod_spec(job)["initContainers"][0]["restartPolicy"] = "Always"
    assert causes(job) == []


def test_validate_pod_security_context_ids() -> None:
    job = minimal()
    pod_spec(job)["securityContext"] = {"fsGroup": -5}
    assert causes(job) == [
        "spec.template.spec.securityContext.fsGroup: Invalid value: -5: must be between 0 and 2147483647, inclusive"
    ]


@pytest.mark.parametrize(
    ("finalizers", "expected"),
    [
        (["example.com/hold", "foregroundDeletion", "orphan"][:2], []),
        (
            ["hold"],
            ['metadata.finalizers: Invalid value: "hold": name is neither a standard finalizer name nor is it '
             "fully qualified"],
        ),
        (
            ["bad finalizer/x"],
            ['metadata.finalizers: Invalid value: "bad finalizer/x": prefix part a lowercase RFC 1123 subdomain '
             "must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an "
             "alphanumeric character (e.g. 'example.com', regex used for validation is "
             r"'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"],
        ),
    ],
)  # fmt: skip
def test_validate_finalizer_names(finalizers: list[str], expected: list[str]) -> None:
    job = minimal()
    job["metadata"]["finalizers"] = finalizers
    assert causes(job) == expected
