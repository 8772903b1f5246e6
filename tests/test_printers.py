"""Tests for kjob.printers: get tables, -o name/json/yaml and describe, held against real kubectl v1.32.

How the describe/json/yaml goldens in golden/printers/ were made, and why they never age:
  `PYTHONPATH=. python tests/test_printers.py regen` does, for each golden file: pick a whole second
  T0 two seconds ahead, build the fixture objects below (build_objects) with every time stamp a
  whole number of seconds before T0, serve them with /work/shared/tools/fakeapi.py, wait until the
  clock reaches T0, run the real kubectl (TZ=UTC, one run TZ=America/New_York) and keep its output
  only if it finished before T0+0.95, else retry. So each age kubectl computed from its real clock
  is HumanDuration(T0 - stamp), exactly what kjob prints for now = T0 + 0.5. Each file's T0 is kept
  in golden/printers/meta.json; a test rebuilds the same objects from it and passes that `now`, and
  pins the zone with TZ + time.tzset. Sub-second stamps are avoided on purpose (they would make the
  kubectl side depend on the fraction of the second it ran in).
  The goldens hold kubectl's own 1.32 text. Where kjob deliberately differs (the walkthrough's
  `Pods Statuses:  N Running / ...`, PODS_STATUSES_LEGACY) the test rewrites that one golden line;
  with the flag off the output must equal kubectl's byte for byte.

`get` tables are computed server-side, so kubectl cannot print them for the stand-in server; those
tests use the verified examples of /work/shared/reference/kubectl-output.md §1.6 and §2.5 instead.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kjob import printers
from kjob.apply import go_json
from kjob.objects import format_time

GOLDEN = Path(__file__).parent / "golden" / "printers"
FAKEAPI = Path("/work/shared/tools/fakeapi.py")
Obj = dict[str, Any]


# ---------------------------------------------------------------- fixture objects


def _uid(n: int) -> str:
    return f"{n:08d}-5a7a-41b4-9eb9-48678182f651"


def _job_labels(name: str, uid: str) -> dict[str, str]:
    return {
        "batch.kubernetes.io/controller-uid": uid,
        "batch.kubernetes.io/job-name": name,
        "controller-uid": uid,
        "job-name": name,
    }


def _owner(kind: str, name: str, uid: str) -> list[Obj]:
    api = "batch/v1"
    return [
        {
            "apiVersion": api,
            "kind": kind,
            "name": name,
            "uid": uid,
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]


def _event(
    t: Any, name: str, kind: str, obj_name: str, obj_uid: str, etype: str, reason: str, msg: str, **extra: Any
) -> Obj:
    """An Event; `first`/`last` are seconds before T0, `component` the source."""
    first, last = extra.pop("first"), extra.pop("last", None)
    ev: Obj = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": "default", "uid": "ev-" + name},
        "involvedObject": {
            "apiVersion": "batch/v1" if kind == "Job" else "v1",
            "kind": kind,
            "name": obj_name,
            "namespace": "default",
            "uid": obj_uid,
        },
        "type": etype,
        "reason": reason,
        "message": msg,
        "source": {"component": extra.pop("component", "job-controller")},
        "firstTimestamp": t(first) if first is not None else None,
        "lastTimestamp": t(last if last is not None else first)
        if first is not None or last is not None
        else None,
        "count": extra.pop("count", 1),
    }
    ev.update(extra)
    return ev


def _template(name: str, uid: str, containers: list[Obj], **spec: Any) -> Obj:
    return {
        "metadata": {"creationTimestamp": None, "labels": _job_labels(name, uid)},
        "spec": {
            "containers": containers,
            "restartPolicy": spec.pop("restartPolicy", "Never"),
            "dnsPolicy": "ClusterFirst",
            "schedulerName": "default-scheduler",
            "securityContext": {},
            "terminationGracePeriodSeconds": 30,
            **spec,
        },
    }


def _busybox(name: str, command: list[str]) -> Obj:
    return {
        "name": name,
        "image": "busybox:1.36",
        "command": command,
        "imagePullPolicy": "IfNotPresent",
        "resources": {},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }


def _job(t: Any, name: str, uid: str, template: Obj, status: Obj, created: int, **spec: Any) -> Obj:
    meta = spec.pop("metadata", {})
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "namespace": "default",
            "uid": uid,
            "resourceVersion": "1001",
            "generation": 1,
            "creationTimestamp": t(created),
            "labels": _job_labels(name, uid),
            **meta,
        },
        "spec": {
            "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}},
            "manualSelector": False,
            "podReplacementPolicy": "TerminatingOrFailed",
            "template": template,
            **spec,
        },
        "status": status,
    }


def _pod(
    t: Any, name: str, uid: str, job: str, job_uid: str, spec: Obj, status: Obj, created: int, **meta: Any
) -> Obj:
    labels = _job_labels(job, job_uid)
    labels.update(meta.pop("labels", {}))
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "generateName": job + "-",
            "namespace": "default",
            "uid": uid,
            "resourceVersion": "2001",
            "creationTimestamp": t(created),
            "labels": labels,
            "ownerReferences": _owner("Job", job, job_uid),
            **meta,
        },
        "spec": {
            "restartPolicy": "Never",
            "dnsPolicy": "ClusterFirst",
            "schedulerName": "default-scheduler",
            "terminationGracePeriodSeconds": 30,
            "priority": 0,
            "serviceAccountName": "default",
            "tolerations": [
                {
                    "key": "node.kubernetes.io/not-ready",
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": 300,
                },
                {
                    "key": "node.kubernetes.io/unreachable",
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": 300,
                },
            ],
            **spec,
        },
        "status": status,
    }


def _conditions(t: Any, at: int, **types: str) -> list[Obj]:
    return [
        {"type": k, "status": v, "lastProbeTime": None, "lastTransitionTime": t(at)} for k, v in types.items()
    ]


def _api_volume(suffix: str) -> Obj:
    return {
        "name": "kube-api-access-" + suffix,
        "projected": {
            "defaultMode": 420,
            "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {
                    "downwardAPI": {
                        "items": [
                            {
                                "path": "namespace",
                                "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                            }
                        ]
                    }
                },
            ],
        },
    }


def _api_mount(suffix: str) -> Obj:
    return {
        "name": "kube-api-access-" + suffix,
        "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
        "readOnly": True,
    }


def build_objects(t0: int) -> list[Obj]:
    """Jobs, pods and events whose time stamps are `seconds before t0`."""

    def t(before: int) -> str:
        return format_time(t0 - before)

    objs: list[Obj] = []
    count_uid, fail_uid, idx_uid, par_uid = _uid(1), _uid(2), _uid(3), _uid(4)
    loop = "for i in 1 2 3; do echo $i; done"

    # A completed job, as in kjob's walkthrough.
    objs.append(
        _job(
            t,
            "job-count",
            count_uid,
            _template("job-count", count_uid, [_busybox("job-count", ["sh", "-c", loop])]),
            {
                "conditions": [
                    {
                        "type": "SuccessCriteriaMet",
                        "status": "True",
                        "reason": "CompletionsReached",
                        "message": "Reached expected number of succeeded pods",
                        "lastProbeTime": t(69),
                        "lastTransitionTime": t(69),
                    },
                    {
                        "type": "Complete",
                        "status": "True",
                        "reason": "CompletionsReached",
                        "message": "Reached expected number of succeeded pods",
                        "lastProbeTime": t(69),
                        "lastTransitionTime": t(69),
                    },
                ],
                "startTime": t(134),
                "completionTime": t(69),
                "succeeded": 1,
                "ready": 0,
                "terminating": 0,
                "uncountedTerminatedPods": {},
            },
            134,
            parallelism=1,
            completions=1,
            completionMode="NonIndexed",
            suspend=False,
            backoffLimit=6,
        )
    )
    objs.append(
        _event(
            t,
            "job-count.1",
            "Job",
            "job-count",
            count_uid,
            "Normal",
            "SuccessfulCreate",
            "Created pod: job-count-x7k2p",
            first=134,
        )
    )
    objs.append(
        _event(
            t, "job-count.2", "Job", "job-count", count_uid, "Normal", "Completed", "Job completed", first=69
        )
    )

    # A failed job with a repeated event and a manual selector with expressions.
    objs.append(
        _job(
            t,
            "job-fail",
            fail_uid,
            _template("job-fail", fail_uid, [_busybox("job-fail", ["sh", "-c", "exit 3"])]),
            {
                "conditions": [
                    {
                        "type": "FailureTarget",
                        "status": "True",
                        "reason": "BackoffLimitExceeded",
                        "message": "Job has reached the specified backoff limit",
                        "lastProbeTime": t(340),
                        "lastTransitionTime": t(340),
                    },
                    {
                        "type": "Failed",
                        "status": "True",
                        "reason": "BackoffLimitExceeded",
                        "message": "Job has reached the specified backoff limit",
                        "lastProbeTime": t(340),
                        "lastTransitionTime": t(340),
                    },
                ],
                "startTime": t(415),
                "failed": 3,
                "ready": 0,
                "terminating": 0,
                "uncountedTerminatedPods": {},
            },
            415,
            parallelism=1,
            completions=1,
            completionMode="NonIndexed",
            suspend=False,
            backoffLimit=2,
            activeDeadlineSeconds=600,
        )
    )
    objs.append(
        _event(
            t,
            "job-fail.1",
            "Job",
            "job-fail",
            fail_uid,
            "Normal",
            "SuccessfulCreate",
            "Created pod: job-fail-q9w8e",
            first=415,
            last=360,
            count=3,
        )
    )
    objs.append(
        _event(
            t,
            "job-fail.2",
            "Job",
            "job-fail",
            fail_uid,
            "Warning",
            "BackoffLimitExceeded",
            "Job has reached the specified backoff limit\n",
            first=340,
        )
    )

    # An Indexed job with everything the pod template can show.
    long_value = "x" * 150
    worker: Obj = {
        "name": "worker",
        "image": "python:3.12",
        "command": ["python", "-c"],
        "args": ['print("hi")\nprint("bye")', "--flag"],
        "ports": [{"containerPort": 8080, "protocol": "TCP"}],
        "resources": {
            "limits": {"cpu": "500m", "memory": "128Mi"},
            "requests": {"cpu": "0.25", "memory": "64Mi"},
        },
        "env": [
            {"name": "MODE", "value": "fast"},
            {"name": "MULTI", "value": "a\nb"},
            {"name": "EMPTY", "value": ""},
            {
                "name": "POD_NAME",
                "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}},
            },
            {"name": "NODE", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.nodeName"}}},
            {"name": "SECRET", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "token"}}},
            {
                "name": "CONFIG",
                "valueFrom": {"configMapKeyRef": {"name": "app-config", "key": "level", "optional": True}},
            },
            {
                "name": "CPU_LIMIT",
                "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu", "divisor": "0"}},
            },
            {
                "name": "MEM_REQUEST",
                "valueFrom": {"resourceFieldRef": {"resource": "requests.memory", "divisor": "1Mi"}},
            },
        ],
        "envFrom": [
            {"configMapRef": {"name": "app-config"}},
            {"secretRef": {"name": "creds", "optional": True}, "prefix": "S_"},
        ],
        "volumeMounts": [
            {"name": "scratch", "mountPath": "/data"},
            {"name": "cfg", "mountPath": "/etc/cfg", "readOnly": True},
            {"name": "cache", "mountPath": "/cache", "subPath": "sub"},
        ],
        "livenessProbe": {
            "exec": {"command": ["cat", "/tmp/ok"]},
            "initialDelaySeconds": 5,
            "timeoutSeconds": 1,
            "periodSeconds": 10,
            "successThreshold": 1,
            "failureThreshold": 3,
        },
        "readinessProbe": {
            "httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"},
            "timeoutSeconds": 1,
            "periodSeconds": 10,
            "successThreshold": 1,
            "failureThreshold": 3,
        },
    }
    sidecar: Obj = {
        "name": "sidecar",
        "image": "busybox:1.36",
        "ports": [
            {"containerPort": 9090, "hostPort": 9090, "protocol": "TCP"},
            {"containerPort": 9091, "protocol": "UDP", "name": "metrics"},
        ],
        "resources": {"limits": {"memory": "1024Mi", "cpu": "1"}},
    }
    init: Obj = {
        "name": "setup",
        "image": "busybox:1.36",
        "command": ["sh", "-c", "echo setup"],
        "resources": {},
    }
    idx_template = _template(
        "job-idx",
        idx_uid,
        [worker, sidecar],
        initContainers=[init],
        serviceAccountName="runner",
        priorityClassName="batch-low",
        nodeSelector={"disktype": "ssd", "zone": "a"},
        tolerations=[
            {
                "key": "node.kubernetes.io/not-ready",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 300,
            },
            {"key": "dedicated", "operator": "Equal", "value": "batch", "effect": "NoSchedule"},
            {"operator": "Exists"},
        ],
        volumes=[
            {"name": "scratch", "emptyDir": {}},
            {"name": "cfg", "configMap": {"name": "app-config", "defaultMode": 420}},
            {"name": "cache", "emptyDir": {"medium": "Memory", "sizeLimit": "1Gi"}},
            {"name": "host", "hostPath": {"path": "/var/log", "type": "Directory"}},
            {"name": "plain-host", "hostPath": {"path": "/tmp"}},
            {"name": "creds", "secret": {"secretName": "creds", "optional": True}},
            {"name": "claim", "persistentVolumeClaim": {"claimName": "data-pvc", "readOnly": True}},
            {
                "name": "podinfo",
                "downwardAPI": {
                    "items": [
                        {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}},
                        {
                            "path": "cpu",
                            "resourceFieldRef": {"containerName": "worker", "resource": "limits.cpu"},
                        },
                    ]
                },
            },
            {
                "name": "bundle",
                "projected": {
                    "sources": [
                        {"secret": {"name": "creds"}},
                        {"configMap": {"name": "app-config"}},
                        {"downwardAPI": {"items": []}},
                        {"serviceAccountToken": {"expirationSeconds": 600, "path": "token"}},
                    ]
                },
            },
        ],
    )
    idx_template["metadata"]["annotations"] = {"example.com/team": "a", "sidecar.istio.io/inject": "false"}
    idx_job = _job(
        t,
        "job-idx",
        idx_uid,
        idx_template,
        {
            "startTime": t(505),
            "active": 2,
            "ready": 1,
            "succeeded": 27,
            "completedIndexes": "0-2,4,6,8,10,12,14,16,18,20,22,24,26,28,30,32,34,36,38,40",
            "terminating": 0,
            "uncountedTerminatedPods": {},
        },
        515,
        parallelism=2,
        completions=50,
        completionMode="Indexed",
        suspend=False,
        backoffLimit=3,
        ttlSecondsAfterFinished=100,
        activeDeadlineSeconds=6000,
        metadata={
            "annotations": {
                "example.com/long": long_value,
                "example.com/owner": "team-a",
                "example.com/multi": "line one\nline two\n",
                "kubectl.kubernetes.io/last-applied-configuration": '{"apiVersion":"batch/v1"}\n',
            },
            "labels": {**_job_labels("job-idx", idx_uid), "app": "demo", "tier": "batch"},
            "managedFields": [{"manager": "kubectl-client-side-apply", "operation": "Update"}],
        },
    )
    objs.append(idx_job)

    # Parallel job without completions, suspended, owned by a CronJob, status without `ready`.
    par_template = _template("job-par", par_uid, [_busybox("job-par", ["sleep", "30"])])
    objs.append(
        _job(
            t,
            "job-par",
            par_uid,
            par_template,
            {"active": 0, "succeeded": 0},
            165,
            parallelism=3,
            suspend=True,
            backoffLimit=6,
            selector={
                "matchLabels": {"batch.kubernetes.io/controller-uid": par_uid},
                "matchExpressions": [
                    {"key": "tier", "operator": "In", "values": ["web", "batch"]},
                    {"key": "canary", "operator": "DoesNotExist"},
                ],
            },
            metadata={"labels": {}, "ownerReferences": _owner("CronJob", "nightly", _uid(99))},
        )
    )
    objs.append(
        _event(
            t,
            "job-par.1",
            "Job",
            "job-par",
            par_uid,
            "Normal",
            "Suspended",
            "Job suspended",
            first=None,
            last=None,
            eventTime=t(150)[:-1] + ".000000Z",
            component="",
            reportingComponent="job-controller",
        )
    )
    objs.append(
        _event(
            t,
            "job-par.2",
            "Job",
            "job-par",
            par_uid,
            "Normal",
            "Resumed",
            "Job resumed",
            first=None,
            last=None,
            eventTime=t(600)[:-1] + ".000000Z",
            series={"count": 4, "lastObservedTime": t(20)[:-1] + ".000000Z"},
            component="",
            reportingComponent="job-controller",
        )
    )

    # Pods.
    def node(ip: str = "172.18.0.3") -> Obj:
        return {"hostIP": ip, "hostIPs": [{"ip": ip}]}

    count_pod = _pod(
        t,
        "job-count-x7k2p",
        _uid(11),
        "job-count",
        count_uid,
        {
            "containers": [
                {**_busybox("job-count", ["sh", "-c", loop]), "volumeMounts": [_api_mount("abcde")]}
            ],
            "nodeName": "kind-worker",
            "volumes": [_api_volume("abcde")],
        },
        {
            "phase": "Succeeded",
            **node(),
            "podIP": "10.244.1.7",
            "podIPs": [{"ip": "10.244.1.7"}],
            "startTime": t(133),
            "qosClass": "BestEffort",
            "conditions": _conditions(
                t,
                70,
                PodReadyToStartContainers="False",
                Initialized="True",
                Ready="False",
                ContainersReady="False",
                PodScheduled="True",
            ),
            "containerStatuses": [
                {
                    "name": "job-count",
                    "image": "docker.io/library/busybox:1.36",
                    "imageID": "docker.io/library/busybox@sha256:abab",
                    "containerID": "containerd://f6c0458cadfd5275840f43dbe2990840",
                    "ready": False,
                    "started": False,
                    "restartCount": 0,
                    "state": {
                        "terminated": {
                            "exitCode": 0,
                            "reason": "Completed",
                            "startedAt": t(131),
                            "finishedAt": t(70),
                            "containerID": "containerd://f6c0458cadfd5275840f43dbe2990840",
                        }
                    },
                    "lastState": {},
                }
            ],
        },
        134,
    )
    objs.append(count_pod)
    for i, (reason, msg, comp, first) in enumerate(
        [
            (
                "Scheduled",
                "Successfully assigned default/job-count-x7k2p to kind-worker",
                "default-scheduler",
                134,
            ),
            ("Pulling", 'Pulling image "busybox:1.36"', "kubelet", 133),
            ("Pulled", 'Container image "busybox:1.36" already present on machine', "kubelet", 132),
            ("Created", "Created container: job-count", "kubelet", 132),
            ("Started", "Started container job-count", "kubelet", 131),
        ]
    ):
        ev = _event(
            t, f"job-count-x7k2p.{i}", "Pod", "job-count-x7k2p", _uid(11), "Normal", reason, msg, first=first
        )
        ev["source"] = {"component": comp, "host": "kind-worker"}
        if reason == "Scheduled":
            # The scheduler writes events.k8s.io events: no lastTimestamp, only eventTime.
            ev.update(
                firstTimestamp=None,
                lastTimestamp=None,
                eventTime=t(first)[:-1] + ".000000Z",
                source={},
                reportingComponent="default-scheduler",
            )
        objs.append(ev)

    crash_status = {
        "phase": "Running",
        **node(),
        "podIP": "10.244.1.9",
        "podIPs": [{"ip": "10.244.1.9"}, {"ip": "fd00::9"}],
        "startTime": t(515),
        "qosClass": "Burstable",
        "conditions": _conditions(
            t, 300, Initialized="True", Ready="False", ContainersReady="False", PodScheduled="True"
        ),
        "containerStatuses": [
            {
                "name": "crash",
                "image": "busybox:1.36",
                "imageID": "docker.io/library/busybox@sha256:abab",
                "containerID": "containerd://c4",
                "ready": False,
                "started": False,
                "restartCount": 5,
                "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 2m40s restarting"}},
                "lastState": {
                    "terminated": {
                        "exitCode": 1,
                        "reason": "Error",
                        "message": "boom",
                        "startedAt": t(215),
                        "finishedAt": t(210),
                        "containerID": "containerd://c3",
                    }
                },
            }
        ],
    }
    objs.append(
        _pod(
            t,
            "job-crash-r4t5",
            _uid(12),
            "job-crash",
            _uid(5),
            {
                "containers": [
                    {
                        **_busybox("crash", ["sh", "-c", "exit 1"]),
                        "resources": {"requests": {"cpu": "100m"}},
                    }
                ],
                "nodeName": "kind-worker",
                "restartPolicy": "OnFailure",
            },
            crash_status,
            515,
        )
    )
    objs.append(
        _event(
            t,
            "job-crash-r4t5.1",
            "Pod",
            "job-crash-r4t5",
            _uid(12),
            "Warning",
            "BackOff",
            "Back-off restarting failed container crash in pod job-crash-r4t5_default(x)",
            first=411,
            last=46,
            count=7,
            component="kubelet",
        )
    )

    # Init containers: a finished one, a started sidecar, and a running one that blocks.
    init_spec = {
        "initContainers": [
            {"name": "fetch", "image": "busybox:1.36", "command": ["true"]},
            {"name": "proxy", "image": "envoy:v1", "restartPolicy": "Always"},
            {"name": "migrate", "image": "busybox:1.36", "command": ["sleep", "60"]},
        ],
        "containers": [_busybox("main", ["sleep", "5"])],
        "nodeName": "kind-worker",
    }
    objs.append(
        _pod(
            t,
            "job-init-m3n4",
            _uid(13),
            "job-init",
            _uid(6),
            init_spec,
            {
                "phase": "Pending",
                **node(),
                "podIP": "10.244.1.10",
                "podIPs": [{"ip": "10.244.1.10"}],
                "startTime": t(130),
                "conditions": _conditions(
                    t, 129, Initialized="False", Ready="False", ContainersReady="False", PodScheduled="True"
                ),
                "initContainerStatuses": [
                    {
                        "name": "fetch",
                        "image": "busybox:1.36",
                        "imageID": "sha256:1",
                        "containerID": "containerd://i1",
                        "ready": True,
                        "restartCount": 0,
                        "started": False,
                        "state": {
                            "terminated": {
                                "exitCode": 0,
                                "reason": "Completed",
                                "startedAt": t(128),
                                "finishedAt": t(127),
                            }
                        },
                    },
                    {
                        "name": "proxy",
                        "image": "envoy:v1",
                        "imageID": "sha256:2",
                        "containerID": "containerd://i2",
                        "ready": True,
                        "restartCount": 1,
                        "started": True,
                        "state": {"running": {"startedAt": t(100)}},
                        "lastState": {
                            "terminated": {
                                "exitCode": 137,
                                "signal": 9,
                                "startedAt": t(126),
                                "finishedAt": t(101),
                            }
                        },
                    },
                    {
                        "name": "migrate",
                        "image": "busybox:1.36",
                        "imageID": "sha256:1",
                        "containerID": "containerd://i3",
                        "ready": False,
                        "restartCount": 0,
                        "started": True,
                        "state": {"running": {"startedAt": t(99)}},
                    },
                ],
                "containerStatuses": [
                    {
                        "name": "main",
                        "image": "busybox:1.36",
                        "imageID": "",
                        "ready": False,
                        "restartCount": 0,
                        "started": False,
                        "state": {"waiting": {"reason": "PodInitializing"}},
                    }
                ],
            },
            130,
        )
    )

    # A running pod of the indexed job: env resolution against the pod, computed Guaranteed QoS.
    idx_pod_spec = json.loads(json.dumps(idx_template["spec"]))
    for c in idx_pod_spec["containers"]:
        c["resources"] = {
            "limits": {"cpu": "500m", "memory": "128Mi"},
            "requests": {"cpu": "500m", "memory": "128Mi"},
        }
    idx_pod_spec["initContainers"][0]["resources"] = {"limits": {"cpu": "1", "memory": "64Mi"}}
    idx_pod_spec["containers"][0]["env"].append(
        {
            "name": "TEAM",
            "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.labels['tier']"}},
        }
    )
    idx_pod_spec["nodeName"] = "kind-worker2"
    idx_pod_spec["readinessGates"] = [{"conditionType": "example.com/gate"}]
    running = {"running": {"startedAt": t(490)}}
    objs.append(
        _pod(
            t,
            "job-idx-0-k8j7",
            _uid(14),
            "job-idx",
            idx_uid,
            idx_pod_spec,
            {
                "phase": "Running",
                **node("172.18.0.4"),
                "podIP": "10.244.2.3",
                "podIPs": [{"ip": "10.244.2.3"}],
                "startTime": t(505),
                "conditions": _conditions(
                    t,
                    480,
                    **{"example.com/gate": "True"},
                    Initialized="True",
                    Ready="True",
                    ContainersReady="True",
                    PodScheduled="True",
                ),
                "initContainerStatuses": [
                    {
                        "name": "setup",
                        "image": "busybox:1.36",
                        "imageID": "sha256:1",
                        "containerID": "containerd://s1",
                        "ready": True,
                        "restartCount": 0,
                        "started": False,
                        "state": {
                            "terminated": {
                                "exitCode": 0,
                                "reason": "Completed",
                                "startedAt": t(500),
                                "finishedAt": t(495),
                            }
                        },
                    }
                ],
                "containerStatuses": [
                    {
                        "name": "worker",
                        "image": "python:3.12",
                        "imageID": "sha256:py",
                        "containerID": "containerd://w1",
                        "ready": True,
                        "restartCount": 2,
                        "started": True,
                        "state": running,
                        "lastState": {
                            "terminated": {"exitCode": 2, "startedAt": t(300), "finishedAt": t(127)},
                        },
                    },
                    {
                        "name": "sidecar",
                        "image": "busybox:1.36",
                        "imageID": "sha256:bb",
                        "containerID": "containerd://w2",
                        "ready": True,
                        "restartCount": 0,
                        "started": True,
                        "state": running,
                    },
                ],
            },
            515,
            labels={"batch.kubernetes.io/job-completion-index": "0", "tier": "batch"},
            annotations={"batch.kubernetes.io/job-completion-index": "0", "note": "\x1b[31mred\r"},
        )
    )

    # A pod being deleted while running, and an unscheduled one.
    objs.append(
        _pod(
            t,
            "job-term-p0o9",
            _uid(15),
            "job-term",
            _uid(7),
            {"containers": [_busybox("main", ["sleep", "3600"])], "nodeName": "kind-worker"},
            {
                "phase": "Running",
                **node(),
                "podIP": "10.244.1.11",
                "podIPs": [{"ip": "10.244.1.11"}],
                "startTime": t(135),
                "conditions": _conditions(t, 130, Initialized="True", Ready="True", PodScheduled="True"),
                "containerStatuses": [
                    {
                        "name": "main",
                        "image": "busybox:1.36",
                        "imageID": "sha256:bb",
                        "containerID": "containerd://t1",
                        "ready": True,
                        "restartCount": 0,
                        "started": True,
                        "state": {"running": {"startedAt": t(130)}},
                    }
                ],
            },
            135,
            deletionTimestamp=t(-25),
            deletionGracePeriodSeconds=30,
            finalizers=["batch.kubernetes.io/job-tracking"],
        )
    )
    objs.append(
        _pod(
            t,
            "job-pend-u7y6",
            _uid(16),
            "job-pend",
            _uid(8),
            {"containers": [_busybox("main", ["true"])], "nodeSelector": {"disktype": "nvme"}},
            {
                "phase": "Pending",
                "conditions": [
                    {
                        "type": "PodScheduled",
                        "status": "False",
                        "reason": "Unschedulable",
                        "message": "0/1 nodes are available",
                        "lastProbeTime": None,
                        "lastTransitionTime": t(120),
                    }
                ],
            },
            120,
        )
    )
    # An OOM-killed pod and one whose container died on a signal without a reason.
    for name, term, uid in (
        ("job-oom-zz1", {"exitCode": 137, "reason": "OOMKilled", "message": "out of\nmemory"}, _uid(17)),
        ("job-sig-ab12", {"exitCode": 143, "signal": 15}, _uid(18)),
    ):
        objs.append(
            _pod(
                t,
                name,
                uid,
                name.rsplit("-", 1)[0],
                _uid(9),
                {
                    "containers": [
                        {
                            **_busybox("main", ["sh"]),
                            "resources": {"limits": {"memory": "64Mi"}},
                        }
                    ],
                    "nodeName": "kind-worker",
                },
                {
                    "phase": "Failed",
                    **node(),
                    "podIP": "10.244.1.12",
                    "podIPs": [{"ip": "10.244.1.12"}],
                    "startTime": t(315),
                    "containerStatuses": [
                        {
                            "name": "main",
                            "image": "busybox:1.36",
                            "imageID": "sha256:bb",
                            "containerID": "containerd://o1",
                            "ready": False,
                            "restartCount": 0,
                            "started": False,
                            "state": {"terminated": {**term, "startedAt": t(314), "finishedAt": t(300)}},
                        }
                    ],
                },
                315,
            )
        )
    return objs


DESCRIBED = [
    ("jobs", "job-count"),
    ("jobs", "job-fail"),
    ("jobs", "job-idx"),
    ("jobs", "job-par"),
    ("pods", "job-count-x7k2p"),
    ("pods", "job-crash-r4t5"),
    ("pods", "job-init-m3n4"),
    ("pods", "job-idx-0-k8j7"),
    ("pods", "job-term-p0o9"),
    ("pods", "job-pend-u7y6"),
    ("pods", "job-oom-zz1"),
    ("pods", "job-sig-ab12"),
]
# Extra kubectl runs: (golden file, TZ, kubectl arguments).
EXTRA_RUNS = [
    ("describe-job-count.new_york.txt", "America/New_York", ["describe", "job", "job-count"]),
    ("get-job-idx.json", "UTC", ["get", "job", "job-idx", "-o", "json"]),
    ("get-job-idx.yaml", "UTC", ["get", "job", "job-idx", "-o", "yaml"]),
    ("get-pod-job-idx-0-k8j7.yaml", "UTC", ["get", "pod", "job-idx-0-k8j7", "-o", "yaml"]),
    ("get-jobs.yaml", "UTC", ["get", "jobs", "-o", "yaml"]),
    ("get-jobs.json", "UTC", ["get", "jobs", "-o", "json"]),
    ("get-pods.name.txt", "UTC", ["get", "pods", "-o", "name"]),
    ("describe-job-idx.no-events.txt", "UTC", ["describe", "job", "job-idx", "--show-events=false"]),
]


# ---------------------------------------------------------------- golden regeneration


def regenerate() -> None:
    """Run the real kubectl against the fixtures (see the module docstring) and rewrite the goldens."""
    GOLDEN.mkdir(parents=True, exist_ok=True)
    runs = [
        (f"describe-{kind[:-1]}-{name}.txt", "UTC", ["describe", kind[:-1], name]) for kind, name in DESCRIBED
    ]
    runs += EXTRA_RUNS
    stamps: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for fname, tz, args in runs:
            for attempt in range(10):
                t0 = int(time.time()) + 2
                out, finished = _run_kubectl_at(Path(tmp), f"{fname}.{attempt}", t0, tz, args)
                if finished < t0 + 0.95:
                    break
                print(f"{fname}: kubectl took until T0+{finished - t0:.2f}s, retrying")
            else:
                raise SystemExit("kubectl did not finish within one second")
            (GOLDEN / fname).write_bytes(out)
            stamps[fname] = t0
    version = subprocess.run(["kubectl", "version", "--client"], capture_output=True, text=True).stdout
    meta = {"kubectl": version.splitlines()[0], "t0": stamps}
    (GOLDEN / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(f"wrote {len(stamps)} goldens")


def _run_kubectl_at(tmp: Path, tag: str, t0: int, tz: str, args: list[str]) -> tuple[bytes, float]:
    """Serve build_objects(t0), start kubectl as the clock reaches t0; its output and end time."""
    objs_path, port_path = tmp / f"{tag}.json", tmp / f"{tag}.port"
    objs_path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": build_objects(t0)}))
    server = subprocess.Popen([sys.executable, str(FAKEAPI), str(objs_path), str(port_path)])
    try:
        while not port_path.exists() or not port_path.read_text():
            time.sleep(0.01)
        kubeconfig = tmp / f"{tag}.kubeconfig"
        kubeconfig.write_text(
            "apiVersion: v1\nkind: Config\nclusters:\n"
            f"- cluster: {{server: 'http://127.0.0.1:{port_path.read_text()}'}}\n  name: s\n"
            "contexts:\n- context: {cluster: s, namespace: default, user: u}\n  name: s\n"
            "current-context: s\nusers:\n- name: u\n  user: {}\n"
        )
        while time.time() < t0 + 0.01:
            time.sleep(0.002)
        env = {**os.environ, "KUBECONFIG": str(kubeconfig), "TZ": tz}
        proc = subprocess.run(["kubectl", *args], capture_output=True, env=env, check=True)
        return proc.stdout, time.time()
    finally:
        server.kill()
        server.wait()


# ---------------------------------------------------------------- test helpers


@pytest.fixture(autouse=True)
def _pin_tz(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _world(golden: str) -> tuple[float, list[Obj]]:
    """The `now` and the objects kubectl saw when it printed that golden file."""
    t0 = int(json.loads((GOLDEN / "meta.json").read_text())["t0"][golden])
    return t0 + 0.5, build_objects(t0)


def _find(objs: list[Obj], kind: str, name: str) -> Obj:
    return next(o for o in objs if o["kind"] == kind and o["metadata"]["name"] == name)


def _events_for(objs: list[Obj], obj: Obj) -> list[Obj]:
    uid = obj["metadata"]["uid"]
    return [o for o in objs if o["kind"] == "Event" and o["involvedObject"]["uid"] == uid]


def _legacy_statuses(text: str) -> str:
    """kubectl 1.32's `A Active (R Ready) /` as the walkthrough's `A Running /`."""
    return re.sub(r"(?m)^(Pods Statuses:\s+)(\d+) Active(?: \(\d+ Ready\))? /", r"\1\2 Running /", text)


def _golden(name: str) -> str:
    return (GOLDEN / name).read_text()


# ---------------------------------------------------------------- human_duration


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (1, "1s"),
        (70, "70s"),
        (190, "3m10s"),
        (70 * 60, "70m"),
        (47 * 3600, "47h"),
        (49 * 3600, "2d1h"),
        ((8 * 24 + 2) * 3600, "8d"),
        (367 * 86400, "367d"),
        ((365 * 2 * 24 + 25) * 3600, "2y1d"),
        ((365 * 8 * 24 + 2) * 3600, "8y"),
        (10 * 60 + 1, "10m"),
        (8 * 3600 + 59 * 60, "8h"),
        (0, "0s"),
        (-0.5, "0s"),
        (-1.9, "0s"),
        (-2, "<invalid>"),
        (119.99, "119s"),
        (120, "2m"),
        (121, "2m1s"),
        (599, "9m59s"),
        (179 * 60 + 59, "179m"),
        (3 * 3600, "3h"),
        (3 * 3600 + 60, "3h1m"),
        (7 * 3600 + 59 * 60 + 59, "7h59m"),
        (48 * 3600, "2d"),
        (8 * 86400 - 1, "7d23h"),
        (730 * 86400 - 1, "729d"),
        (730 * 86400, "2y"),
        (20 * 365 * 86400, "20y"),
    ],
)
def test_human_duration_matches_apimachinery(seconds: float, expected: str) -> None:
    assert printers.human_duration(seconds) == expected


# ---------------------------------------------------------------- tables


def test_format_table_pads_all_but_last_column() -> None:
    out = printers.format_table(["NAME", "AGE"], [["a", "1s"], ["bbbbbbbbb", "2m"]])
    assert out == "NAME        AGE\na           1s\nbbbbbbbbb   2m\n"


def test_format_table_minwidth_six_and_no_headers() -> None:
    assert printers.format_table(None, [["a", "b", "c"]]) == "a     b     c\n"


def test_format_table_empty_prints_nothing() -> None:
    assert printers.format_table(["NAME"], []) == ""


def test_format_table_empty_last_cell_leaves_trailing_spaces() -> None:
    out = printers.format_table(["NAME", "APP"], [["job-count", ""]])
    assert out == "NAME        APP\njob-count   \n"


def test_format_table_sanitises_cells() -> None:
    out = printers.format_table(["NAME", "X"], [["a\x1bb", "line1\nline2"], ["c\rd", "e\ff"]])
    assert out == "NAME   X\na^[b   line1...\nc...   e...\n"


def test_format_table_counts_code_points() -> None:
    out = printers.format_table(["NAME", "AGE"], [["ñandú-é", "1s"]])
    assert out == "NAME      AGE\nñandú-é   1s\n"


def _job_fixture(
    now: float,
    name: str,
    created: float,
    *,
    start: float | None = None,
    end: float | None = None,
    succeeded: int = 0,
    completions: int | None = 1,
    parallelism: int | None = 1,
    conditions: tuple[str, ...] = (),
    deleting: bool = False,
    uid: str = "",
) -> Obj:
    status: Obj = {"succeeded": succeeded} if succeeded else {}
    if start is not None:
        status["startTime"] = format_time(now - start)
    if end is not None:
        status["completionTime"] = format_time(now - end)
    if conditions:
        status["conditions"] = [{"type": c, "status": "True"} for c in conditions]
    spec: Obj = {
        "template": {"spec": {"containers": [{"name": name, "image": "busybox:1.36"}]}},
        "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}} if uid else None,
    }
    if completions is not None:
        spec["completions"] = completions
    if parallelism is not None:
        spec["parallelism"] = parallelism
    meta: Obj = {"name": name, "creationTimestamp": format_time(now - created)}
    if deleting:
        meta["deletionTimestamp"] = format_time(now)
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": spec, "status": status}


def _reference_jobs(now: float) -> list[Obj]:
    """The jobs behind kubectl-output.md §1.6."""
    day = 86400
    return [
        _job_fixture(now, "job-count", 240, start=239, end=174, succeeded=1, conditions=("Complete",)),
        _job_fixture(now, "job-fail", 415, start=415, conditions=("FailureTarget", "Failed")),
        _job_fixture(now, "job-idx", 515, start=505, succeeded=2, completions=5, parallelism=2),
        _job_fixture(
            now, "job-old", 3 * day + 7200, start=3 * day + 7200, end=3 * day + 7200 - 4500, succeeded=1,
            conditions=("SuccessCriteriaMet", "Complete"),
        ),
        _job_fixture(now, "job-par", 145, start=145, completions=None, parallelism=3),
        _job_fixture(
            now, "job-susp", 165, conditions=("Suspended",), uid="5aff4079-42cb-51b0-af89-f95f8d079286"
        ),
        _job_fixture(now, "job-term", 135, start=134, deleting=True),
    ]  # fmt: skip


def test_get_jobs_table_matches_reference_with_status_column(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(printers, "JOB_STATUS_COLUMN", True)
    now = 1_800_000_000.0
    rows = [printers.job_row(j, now, False) for j in _reference_jobs(now)]
    assert printers.format_table(printers.job_headers(False), rows) == (
        "NAME        STATUS        COMPLETIONS   DURATION   AGE\n"
        "job-count   Complete      1/1           65s        4m\n"
        "job-fail    Failed        0/1           6m55s      6m55s\n"
        "job-idx     Running       2/5           8m25s      8m35s\n"
        "job-old     Complete      1/1           75m        3d2h\n"
        "job-par     Running       0/1 of 3      2m25s      2m25s\n"
        "job-susp    Suspended     0/1                      2m45s\n"
        "job-term    Terminating   0/1           2m14s      2m15s\n"
    )


def test_get_jobs_wide_matches_reference_with_status_column(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(printers, "JOB_STATUS_COLUMN", True)
    now = 1_800_000_000.0
    job = _job_fixture(
        now, "job-susp", 141, conditions=("Suspended",), uid="5aff4079-42cb-51b0-af89-f95f8d079286"
    )
    out = printers.format_table(printers.job_headers(True), [printers.job_row(job, now, True)])
    assert out == (
        "NAME       STATUS      COMPLETIONS   DURATION   AGE     CONTAINERS   IMAGES         SELECTOR\n"
        "job-susp   Suspended   0/1                      2m21s   job-susp     busybox:1.36   "
        "batch.kubernetes.io/controller-uid=5aff4079-42cb-51b0-af89-f95f8d079286\n"
    )


def test_get_jobs_default_columns_are_the_walkthroughs() -> None:
    assert printers.JOB_STATUS_COLUMN is False
    now = 1_800_000_000.0
    rows = [printers.job_row(j, now, False) for j in _reference_jobs(now)]
    assert printers.job_headers(False) == ["NAME", "COMPLETIONS", "DURATION", "AGE"]
    assert printers.format_table(printers.job_headers(False), rows) == (
        "NAME        COMPLETIONS   DURATION   AGE\n"
        "job-count   1/1           65s        4m\n"
        "job-fail    0/1           6m55s      6m55s\n"
        "job-idx     2/5           8m25s      8m35s\n"
        "job-old     1/1           75m        3d2h\n"
        "job-par     0/1 of 3      2m25s      2m25s\n"
        "job-susp    0/1                      2m45s\n"
        "job-term    0/1           2m14s      2m15s\n"
    )
    assert printers.job_headers(True) == [
        "NAME",
        "COMPLETIONS",
        "DURATION",
        "AGE",
        "CONTAINERS",
        "IMAGES",
        "SELECTOR",
    ]


def test_get_jobs_no_headers_shrinks_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(printers, "JOB_STATUS_COLUMN", True)
    now = 1_800_000_000.0
    rows = [printers.job_row(j, now, False) for j in _reference_jobs(now)]
    assert (
        printers.format_table(None, rows).splitlines()[0] == "job-count   Complete      1/1        65s     4m"
    )


def test_job_status_precedence() -> None:
    now = 1_800_000_000.0
    job = _job_fixture(now, "x", 10, conditions=("Suspended", "FailureTarget"))
    assert printers.job_status(job) == "Suspended"
    job = _job_fixture(now, "x", 10, conditions=("FailureTarget", "SuccessCriteriaMet"))
    assert printers.job_status(job) == "FailureTarget"
    job = _job_fixture(now, "x", 10, conditions=("SuccessCriteriaMet",))
    assert printers.job_status(job) == "Running"
    job = _job_fixture(now, "x", 10, conditions=("Failed",), deleting=True)
    assert printers.job_status(job) == "Failed"
    # Only the first entry of a type counts.
    job["status"]["conditions"] = [
        {"type": "Failed", "status": "False"},
        {"type": "Failed", "status": "True"},
    ]
    assert printers.job_status(job) == "Terminating"


def test_job_row_selector_none_and_expressions() -> None:
    now = 1_800_000_000.0
    job = _job_fixture(now, "x", 10)
    assert printers.job_row(job, now, True)[-1] == "<none>"
    job["spec"]["selector"] = {
        "matchLabels": {"b": "1"},
        "matchExpressions": [
            {"key": "a", "operator": "NotIn", "values": ["y", "x"]},
            {"key": "c", "operator": "Exists"},
        ],
    }
    assert printers.job_row(job, now, True)[-1] == "a notin (x,y),b=1,c"


def _pod_fixture(
    now: float, name: str, created: float, containers: list[Obj], phase: str = "Running", **extra: Any
) -> Obj:
    status: Obj = {"phase": phase, "containerStatuses": containers}
    status.update(extra.pop("status", {}))
    spec: Obj = {"containers": [{"name": c["name"]} for c in containers] or [{"name": "main"}]}
    spec.update(extra.pop("spec", {}))
    meta: Obj = {"name": name, "creationTimestamp": format_time(now - created)}
    meta.update(extra.pop("meta", {}))
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": status}


def _cs(name: str, state: Obj, ready: bool = False, restarts: int = 0, last: Obj | None = None) -> Obj:
    return {"name": name, "state": state, "ready": ready, "restartCount": restarts, "lastState": last or {}}


def _reference_pods(now: float) -> list[Obj]:
    """The pods behind kubectl-output.md §2.5."""

    def ago(s: float) -> str:
        return format_time(now - s)

    run = {"running": {"startedAt": ago(100)}}
    ready_cond = {"conditions": [{"type": "Ready", "status": "True"}]}
    return [
        _pod_fixture(
            now,
            "job-count-x7k2p",
            240,
            [_cs("c", {"terminated": {"exitCode": 0, "reason": "Completed"}})],
            "Succeeded",
            status={"podIPs": [{"ip": "10.244.1.7"}]},
            spec={"nodeName": "kind-worker"},
        ),
        _pod_fixture(
            now,
            "job-crash-r4t5",
            515,
            [
                _cs(
                    "c",
                    {"waiting": {"reason": "CrashLoopBackOff"}},
                    restarts=5,
                    last={"terminated": {"exitCode": 1, "finishedAt": ago(210)}},
                )
            ],
        ),
        _pod_fixture(
            now,
            "job-fail-q9w8e",
            415,
            [_cs("c", {"terminated": {"exitCode": 3, "reason": "Error"}})],
            "Failed",
        ),
        _pod_fixture(
            now, "job-idx-0-k8j7", 505, [_cs("a", run, True), _cs("b", run, True)], status=ready_cond
        ),
        _pod_fixture(
            now,
            "job-init-m3n4",
            130,
            [_cs("c", {"waiting": {"reason": "PodInitializing"}})],
            "Pending",
            spec={"initContainers": [{"name": "init"}]},
            status={"initContainerStatuses": [_cs("init", {"running": {"startedAt": ago(100)}})]},
        ),
        _pod_fixture(
            now,
            "job-oom-zz1",
            315,
            [_cs("c", {"terminated": {"exitCode": 137, "reason": "OOMKilled"}})],
            "Failed",
        ),
        _pod_fixture(now, "job-par-a1b2c", 145, [_cs("c", run, True)], status=ready_cond),
        _pod_fixture(
            now,
            "job-par-d3e4f",
            145,
            [_cs("c", run, True, 2, {"terminated": {"exitCode": 1, "finishedAt": ago(127)}})],
            status=ready_cond,
        ),
        _pod_fixture(
            now, "job-par-g5h6i", 145, [_cs("c", {"waiting": {"reason": "ContainerCreating"}})], "Pending"
        ),
        _pod_fixture(now, "job-pend-u7y6", 120, [], "Pending"),
        _pod_fixture(now, "job-term-p0o9", 135, [_cs("c", run, True)], meta={"deletionTimestamp": ago(0)}),
    ]


def test_get_pods_table_matches_reference() -> None:
    now = 1_800_000_000.0
    rows = [printers.pod_row(p, now, False) for p in _reference_pods(now)]
    assert printers.format_table(printers.pod_headers(False), rows) == (
        "NAME              READY   STATUS              RESTARTS        AGE\n"
        "job-count-x7k2p   0/1     Completed           0               4m\n"
        "job-crash-r4t5    0/1     CrashLoopBackOff    5 (3m30s ago)   8m35s\n"
        "job-fail-q9w8e    0/1     Error               0               6m55s\n"
        "job-idx-0-k8j7    2/2     Running             0               8m25s\n"
        "job-init-m3n4     0/1     Init:0/1            0               2m10s\n"
        "job-oom-zz1       0/1     OOMKilled           0               5m15s\n"
        "job-par-a1b2c     1/1     Running             0               2m25s\n"
        "job-par-d3e4f     1/1     Running             2 (2m7s ago)    2m25s\n"
        "job-par-g5h6i     0/1     ContainerCreating   0               2m25s\n"
        "job-pend-u7y6     0/1     Pending             0               2m\n"
        "job-term-p0o9     1/1     Terminating         0               2m15s\n"
    )


def test_get_pods_wide_matches_reference() -> None:
    now = 1_800_000_000.0
    pod = _reference_pods(now)[0]
    out = printers.format_table(printers.pod_headers(True), [printers.pod_row(pod, now, True)])
    assert out == (
        "NAME              READY   STATUS      RESTARTS   AGE   IP           NODE          NOMINATED NODE   "
        "READINESS GATES\n"
        "job-count-x7k2p   0/1     Completed   0          4m    10.244.1.7   kind-worker   "
        "<none>           <none>\n"
    )


def test_pod_status_from_fixtures() -> None:
    """STATUS, READY and RESTARTS for the describe fixtures (init containers, sidecar, signals)."""
    t0 = 1_800_000_000
    now, objs = t0 + 0.5, build_objects(t0)
    rows = {
        p["metadata"]["name"]: printers.pod_row(p, now, True)[1:4] + printers.pod_row(p, now, True)[5:]
        for p in objs
        if p["kind"] == "Pod"
    }
    assert rows == {
        "job-count-x7k2p": ["0/1", "Completed", "0", "10.244.1.7", "kind-worker", "<none>", "<none>"],
        "job-crash-r4t5": [
            "0/1",
            "CrashLoopBackOff",
            "5 (3m30s ago)",
            "10.244.1.9",
            "kind-worker",
            "<none>",
            "<none>",
        ],
        "job-init-m3n4": [
            "1/2",
            "Init:2/3",
            "1 (101s ago)",
            "10.244.1.10",
            "kind-worker",
            "<none>",
            "<none>",
        ],
        "job-idx-0-k8j7": ["2/2", "Running", "2 (2m7s ago)", "10.244.2.3", "kind-worker2", "<none>", "1/1"],
        "job-term-p0o9": ["1/1", "Terminating", "0", "10.244.1.11", "kind-worker", "<none>", "<none>"],
        "job-pend-u7y6": ["0/1", "Pending", "0", "<none>", "<none>", "<none>", "<none>"],
        "job-oom-zz1": ["0/1", "OOMKilled", "0", "10.244.1.12", "kind-worker", "<none>", "<none>"],
        "job-sig-ab12": ["0/1", "Signal:15", "0", "10.244.1.12", "kind-worker", "<none>", "<none>"],
    }


@pytest.mark.parametrize(
    ("init_state", "expected"),
    [
        ({"terminated": {"exitCode": 1, "reason": "Error"}}, "Init:Error"),
        ({"terminated": {"exitCode": 1}}, "Init:ExitCode:1"),
        ({"terminated": {"exitCode": 137, "signal": 9}}, "Init:Signal:9"),
        ({"waiting": {"reason": "CrashLoopBackOff"}}, "Init:CrashLoopBackOff"),
        ({"waiting": {"reason": "PodInitializing"}}, "Init:0/1"),
        ({"terminated": {"exitCode": 0, "reason": "Completed"}}, "PodInitializing"),
    ],
)
def test_pod_status_init_containers(init_state: Obj, expected: str) -> None:
    now = 1_800_000_000.0
    pod = _pod_fixture(
        now,
        "p",
        10,
        [_cs("c", {"waiting": {"reason": "PodInitializing"}})],
        "Pending",
        spec={"initContainers": [{"name": "init"}]},
        status={"initContainerStatuses": [_cs("init", init_state, restarts=3)]},
    )
    row = printers.pod_row(pod, now, False)
    assert row[2] == expected
    # While initializing, RESTARTS counts the init containers scanned so far.
    assert row[3] == ("0" if expected == "PodInitializing" else "3")


def test_pod_status_completed_but_running_and_exit_codes() -> None:
    now = 1_800_000_000.0
    done = _cs("a", {"terminated": {"exitCode": 0, "reason": "Completed"}})
    run = _cs("b", {"running": {}}, True)
    pod = _pod_fixture(now, "p", 10, [done, run])
    assert printers.pod_row(pod, now, False)[1:3] == ["1/2", "NotReady"]
    pod["status"]["conditions"] = [{"type": "Ready", "status": "True"}]
    assert printers.pod_row(pod, now, False)[2] == "Running"
    pod = _pod_fixture(now, "p", 10, [_cs("a", {"terminated": {"exitCode": 2}})], "Failed")
    assert printers.pod_row(pod, now, False)[2] == "ExitCode:2"
    # The first container wins because the scan runs from last to first.
    pod = _pod_fixture(now, "p", 10, [_cs("a", {"waiting": {"reason": "ErrImagePull"}}), done])
    assert printers.pod_row(pod, now, False)[2] == "ErrImagePull"


def test_pod_status_reason_gates_and_deletion() -> None:
    now = 1_800_000_000.0
    pod = _pod_fixture(now, "p", 10, [], "Failed", status={"reason": "Evicted"})
    assert printers.pod_row(pod, now, False)[2] == "Evicted"
    pod = _pod_fixture(
        now,
        "p",
        10,
        [],
        "Pending",
        status={"conditions": [{"type": "PodScheduled", "reason": "SchedulingGated"}]},
    )
    assert printers.pod_row(pod, now, False)[2] == "SchedulingGated"
    pod = _pod_fixture(
        now, "p", 10, [], "Running", status={"reason": "NodeLost"}, meta={"deletionTimestamp": "x"}
    )
    assert printers.pod_row(pod, now, False)[2] == "Unknown"
    done = _cs("a", {"terminated": {"exitCode": 0, "reason": "Completed"}})
    pod = _pod_fixture(now, "p", 10, [done], "Succeeded", meta={"deletionTimestamp": "x"})
    assert printers.pod_row(pod, now, False)[2] == "Completed"


def test_pod_restarts_count_sidecars_after_init() -> None:
    now = 1_800_000_000.0
    pod = _pod_fixture(
        now,
        "p",
        10,
        [_cs("c", {"running": {}}, True, 1)],
        spec={"initContainers": [{"name": "side", "restartPolicy": "Always"}, {"name": "once"}]},
        status={
            "initContainerStatuses": [
                {**_cs("side", {"running": {}}, True, 2), "started": True},
                _cs("once", {"terminated": {"exitCode": 0}}, restarts=4),
            ]
        },
    )
    assert printers.pod_row(pod, now, False)[1:4] == ["2/2", "Running", "3"]


# ---------------------------------------------------------------- name, json, yaml


def test_name_line() -> None:
    assert (
        printers.name_line({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "x"}})
        == "job.batch/x"
    )
    assert printers.name_line({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}) == "pod/p"
    assert printers.name_line({"apiVersion": "v1", "kind": "Event", "metadata": {"name": "e"}}) == "event/e"


def test_name_lines_match_kubectl() -> None:
    _, objs = _world("get-pods.name.txt")
    pods = [o for o in objs if o["kind"] == "Pod"]  # the stand-in server lists in stored order
    assert "".join(printers.name_line(p) + "\n" for p in pods) == _golden("get-pods.name.txt")


def test_to_json_matches_kubectl() -> None:
    _, objs = _world("get-job-idx.json")
    assert printers.to_json(_find(objs, "Job", "job-idx")) == _golden("get-job-idx.json")


def test_to_json_list_matches_kubectl() -> None:
    _, objs = _world("get-jobs.json")
    jobs = sorted((o for o in objs if o["kind"] == "Job"), key=lambda o: o["metadata"]["name"])
    assert printers.to_json(printers.list_wrapper(jobs)) == _golden("get-jobs.json")


def test_to_json_escapes_like_go() -> None:
    assert (
        printers.to_json({"a": "x<y>&z", "b": []})
        == '{\n    "a": "x\\u003cy\\u003e\\u0026z",\n    "b": []\n}\n'
    )


def test_to_yaml_matches_kubectl() -> None:
    _, objs = _world("get-job-idx.yaml")
    assert printers.to_yaml(_find(objs, "Job", "job-idx")) == _golden("get-job-idx.yaml")
    _, objs = _world("get-pod-job-idx-0-k8j7.yaml")
    assert printers.to_yaml(_find(objs, "Pod", "job-idx-0-k8j7")) == _golden("get-pod-job-idx-0-k8j7.yaml")


def test_to_yaml_list_matches_kubectl() -> None:
    _, objs = _world("get-jobs.yaml")
    jobs = sorted((o for o in objs if o["kind"] == "Job"), key=lambda o: o["metadata"]["name"])
    assert printers.to_yaml(printers.list_wrapper(jobs)) == _golden("get-jobs.yaml")


def test_to_yaml_empty_list() -> None:
    assert printers.to_yaml(printers.list_wrapper([])) == (
        'apiVersion: v1\nitems: []\nkind: List\nmetadata:\n  resourceVersion: ""\n'
    )


def test_to_yaml_quotes_like_go_yaml() -> None:
    """Verified with `kubectl create job x --image=busybox --dry-run=client -o yaml -- ...`."""
    words = ["y", "n", "yes", "a: b", "- x", "True", "0x1F", "1e3", "012", "1_000", "2026-12-04",
             "2026-12-04T19:38:17Z", "", " lead", "trail ", "#c", "a #b", "ñandú", "@x", "`x", "1:20",
             ".5", "+1", "~", "null", "Null", "on", "OFF", ".inf", "-.Inf", ".NaN", "multi\nline", "tab\tx",
             "it's", '"q"', "%x", "!x", "?x", "x?", ":x", "x:", "a,b", "Yes", "nO", "y2", "1.", "0b101",
             "0o17", "-0", "1e", "12:30:45", "a\\b"]  # fmt: skip
    expected = [
        '"y"', '"n"', '"yes"', "'a: b'", "'- x'", '"True"', '"0x1F"', '"1e3"', '"012"', '"1_000"',
        '"2026-12-04"', '"2026-12-04T19:38:17Z"', '""', "' lead'", "'trail '", "'#c'", "'a #b'", "ñandú",
        "'@x'", "'`x'", '"1:20"', '".5"', '"+1"', '"~"', '"null"', '"Null"', '"on"', '"OFF"', '".inf"',
        '"-.Inf"', '".NaN"', "|-\n  multi\n  line", '"tab\\tx"', "it's", "'\"q\"'", "'%x'", "'!x'", "?x",
        "x?", ":x", "'x:'", "a,b", '"Yes"', "nO", "y2", '"1."', '"0b101"', '"0o17"', '"-0"', "1e",
        '"12:30:45"', "a\\b",
    ]  # fmt: skip
    out = printers.to_yaml({"k": words})
    assert out == "k:\n" + "".join(f"- {e}\n" for e in expected)


def test_to_yaml_folds_long_plain_strings_at_80() -> None:
    out = printers.to_yaml({"c": [" ".join(["word"] * 40)]})
    assert out == (
        "c:\n- word word word word word word word word word word word word word word word word\n"
        "  word word word word word word word word word word word word word word word word\n"
        "  word word word word word word word word\n"
    )


def test_to_yaml_key_order_is_go_yamls() -> None:
    out = printers.to_yaml({"a10": 1, "a9": 2, "A_b": 3, "_x": 4, "b": None, "a": {}})
    assert out == "_x: 4\nA_b: 3\na: {}\na9: 2\na10: 1\nb: null\n"


def test_json_and_yaml_strip_managed_fields() -> None:
    obj = {"kind": "Job", "metadata": {"name": "x", "managedFields": [{"manager": "m"}]}}
    assert "managedFields" not in printers.to_json(obj)
    assert "managedFields" not in printers.to_yaml(printers.list_wrapper([obj]))
    assert obj["metadata"]["managedFields"] == [{"manager": "m"}]


# ---------------------------------------------------------------- describe


@pytest.mark.parametrize(("kind", "name"), DESCRIBED)
def test_describe_matches_kubectl(kind: str, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Byte-exact kubectl 1.32 output (with the 1.32 Pods Statuses wording switched on)."""
    monkeypatch.setattr(printers, "PODS_STATUSES_LEGACY", False)
    golden = f"describe-{kind[:-1]}-{name}.txt"
    now, objs = _world(golden)
    obj = _find(objs, "Job" if kind == "jobs" else "Pod", name)
    describe = printers.describe_job if kind == "jobs" else printers.describe_pod
    assert describe(obj, _events_for(objs, obj), now) == _golden(golden)


@pytest.mark.parametrize("name", [n for k, n in DESCRIBED if k == "jobs"])
def test_describe_job_legacy_pods_statuses(name: str) -> None:
    now, objs = _world(f"describe-job-{name}.txt")
    job = _find(objs, "Job", name)
    out = printers.describe_job(job, _events_for(objs, job), now)
    assert out == _legacy_statuses(_golden(f"describe-job-{name}.txt"))


def test_describe_job_legacy_wording() -> None:
    now, objs = _world("describe-job-job-idx.txt")
    line = next(
        x for x in printers.describe_job(_find(objs, "Job", "job-idx"), [], now).splitlines() if "Pods" in x
    )
    assert line == "Pods Statuses:               2 Running / 27 Succeeded / 0 Failed"


def test_describe_job_without_events(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(printers, "PODS_STATUSES_LEGACY", False)
    now, objs = _world("describe-job-idx.no-events.txt")
    out = printers.describe_job(_find(objs, "Job", "job-idx"), [], now, show_events=False)
    assert out == _golden("describe-job-idx.no-events.txt")


def test_describe_uses_local_time_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(printers, "PODS_STATUSES_LEGACY", False)
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    now, objs = _world("describe-job-count.new_york.txt")
    job = _find(objs, "Job", "job-count")
    assert printers.describe_job(job, _events_for(objs, job), now) == _golden(
        "describe-job-count.new_york.txt"
    )


def test_tabwriter_blocks_are_per_column() -> None:
    text = "a:\tx\nlonger:\ty\nno tab here\nb:\tz\n  c\td\te\n"
    assert printers._tabwrite(text, 0, 2) == "a:       x\nlonger:  y\nno tab here\nb:   z\n  c  d  e\n"


def test_quantities_print_canonically() -> None:
    cases = {
        "0.5": "500m",
        "1024Mi": "1Gi",
        "1000m": "1",
        "1536Mi": "1536Mi",
        "1.5Gi": "1536Mi",
        "100": "100",
    }
    assert {q: printers._quantity_string(q) for q in cases} == cases


if __name__ == "__main__":
    if sys.argv[1:] == ["regen"]:
        regenerate()
    else:
        raise SystemExit(f"usage: {sys.argv[0]} regen")


# ---------------------------------------------------------------- get: columns, -o parsing, --sort-by


def test_label_columns_and_labels_cell() -> None:
    job = {"metadata": {"name": "j", "labels": {"a-b": "1", "a": "2"}}}
    assert printers.label_column_header("batch.kubernetes.io/job-name") == "JOB-NAME"
    assert printers.labels_cell(job) == "a-b=1,a=2"  # whole `k=v` strings sort, so `a-b=1` first
    assert printers.labels_cell({"metadata": {}}) == "<none>"


def test_watch_widths_never_shrink() -> None:
    widths: list[int] = []
    first = printers.format_table(["NAME", "AGE"], [["a-long-name", "1s"]], widths)
    second = printers.format_table(None, [["b", "2s"]], widths)
    assert first == "NAME          AGE\na-long-name   1s\n"
    assert second == "b             2s\n"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("bogus", 'unable to match a printer suitable for the output format "bogus", allowed formats are: '),
        ("jsonpath", "template format specified but no template given"),
        ("custom-columns=", "custom-columns format specified but no custom columns given"),
        ("custom-columns=NAME", "unexpected custom-columns spec: NAME, expected <header>:<json-path-expr>"),
        ("jsonpath={.a", "error parsing jsonpath {.a, unclosed action"),
    ],
)
def test_parse_output_errors(spec: str, message: str) -> None:
    from kjob.errors import PlainError

    with pytest.raises(PlainError) as e:
        printers.parse_output(spec)
    assert e.value.message.startswith("error: " + message)


def test_sort_by_quantities_numbers_and_missing_first() -> None:
    def obj(name: str, **fields: Any) -> Obj:
        return {"metadata": {"name": name}, "spec": fields}

    cpu = [obj("a", cpu="500m"), obj("b", cpu="2"), obj("c", cpu="1"), obj("d", cpu="250m")]
    assert [o["metadata"]["name"] for o in printers.sort_objects(cpu, ".spec.cpu")] == ["d", "a", "c", "b"]
    # Strings that are not both quantities compare bytewise, not naturally: job-c10 before job-c9.
    names = [obj("job-c9"), obj("job-c10")]
    assert [o["metadata"]["name"] for o in printers.sort_objects(names, "{.metadata.name}")] == [
        "job-c10",
        "job-c9",
    ]
    # Go's insertion sort puts objects missing the field first, in reverse order.
    n = [obj("m1"), obj("x", n=2), obj("m2"), obj("y", n=1)]
    assert [o["metadata"]["name"] for o in printers.sort_objects(n, "spec.n")] == ["m2", "m1", "y", "x"]


def test_sort_by_errors() -> None:
    from kjob.errors import PlainError

    with pytest.raises(PlainError) as e:
        printers.sort_objects([{"a": 1}], ".b")
    assert e.value.message == 'error: couldn\'t find any field with path "{.b}" in the list of objects'
    with pytest.raises(PlainError) as e:
        printers.sort_objects([{"a": 1}], "{.b")
    assert e.value.message.startswith("error: unexpected path string, expected a 'name1.name2'")


def test_custom_columns_values_like_go() -> None:
    fmt = printers.parse_output("custom-columns=N:.metadata.name,L:.metadata.labels,X:.nope")
    text = printers.print_generic(
        fmt, printers.list_wrapper([{"metadata": {"name": "j", "labels": {"b": "2", "a": "1"}}}])
    )
    assert text == "N     L              X\nj     map[a:1 b:2]   <none>\n"  # minwidth 6


# ---------------------------------------------------------------- fast paths, held against the plain ones

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_CELL = st.one_of(
    st.text(alphabet="abc-é ñ", max_size=12),
    st.text(alphabet="ab\t\n\r\f\v\x1b\u2028\xa0", max_size=6),  # what only the general path handles
)


def _tabwriter_reference(headers: list[str] | None, rows: list[list[str]]) -> str:
    """format_table as it was before its one-pass path: every cell through the tabwriter."""
    lines = ([headers] if headers is not None else []) + rows
    text = "".join("\t".join(printers._table_cell(str(c)) for c in line) + "\n" for line in lines)
    return printers._tabwrite(text, 6, 3)


@settings(max_examples=300, deadline=None)
@given(
    width=st.integers(1, 5),
    data=st.data(),
    ragged=st.booleans(),
    headers=st.booleans(),
)
def test_format_table_matches_the_tabwriter_for_any_cells(
    width: int, data: Any, ragged: bool, headers: bool
) -> None:
    row = st.lists(_CELL, min_size=1 if ragged else width, max_size=width)
    rows = data.draw(st.lists(row, min_size=1, max_size=6))
    head = [f"H{i}" for i in range(width)] if headers else None
    assert printers.format_table(head, rows) == _tabwriter_reference(head, rows)


def test_format_table_of_empty_lines_keeps_them() -> None:
    assert printers.format_table(None, [[], ["a", "b"]]) == _tabwriter_reference(None, [[], ["a", "b"]])
    assert printers.format_table(None, [[]]) == "\n"


def test_format_table_of_non_string_cells_uses_their_text() -> None:
    assert printers.format_table(["N", "COUNT"], [["a", 1], ["bb", None]]) == (  # type: ignore[list-item]
        "N     COUNT\na     1\nbb    None\n"
    )


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(alphabet=st.characters(codec="utf-8"), max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(_JSON)
def test_to_json_is_json_dumps_indented_byte_for_byte(value: Any) -> None:
    # apply.go_json is json.dumps with Go's escapes: the reference, not a copy of the code under test.
    assert printers.to_json({"items": value}) == go_json({"items": value}, indent=4) + "\n"


def test_to_json_leaves_other_types_to_json_dumps() -> None:
    class Text(str):
        pass

    doc = {"b": (1, 2.5), "a": Text("x<y"), "c": {1: "int key"}}
    assert printers.to_json(doc) == (
        '{\n    "a": "x\\u003cy",\n    "b": [\n        1,\n        2.5\n    ],\n    "c": {\n        "1": "int key"\n    }\n}\n'
    )


def test_get_table_reads_its_objects_once_so_they_may_stream() -> None:
    jobs = [
        {
            "kind": "Job",
            "apiVersion": "batch/v1",
            "metadata": {"name": f"j{i}", "namespace": "ns", "labels": {"app": "x", "n": str(i)}},
            "spec": {"completions": 2},
            "status": {"succeeded": 1},
        }
        for i in range(3)
    ]
    options: dict[str, Any] = dict(
        wide=True, with_namespace=True, with_kind=True, label_columns=("app",), show_labels=True
    )
    from_list = printers.get_table("jobs", jobs, 0.0, **options)
    from_iterator = printers.get_table("jobs", iter(jobs), 0.0, **options)
    assert from_iterator == from_list
    headers, rows = from_list
    assert headers[:2] == ["NAMESPACE", "NAME"] and headers[-2:] == ["APP", "LABELS"]
    assert rows[0][:2] == ["ns", "job.batch/j0"] and rows[0][-2:] == ["x", "app=x,n=0"]
    watched = printers.get_table("jobs", iter(jobs[:1]), 0.0, event_types=["ADDED"])
    assert watched[0][0] == "EVENT" and watched[1] == [["ADDED   ", "j0", "1/2", "", "<unknown>"]]
