"""Resource limits and cgroups: quantities, memory limits ending in OOMKilled, cpu limits throttling."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from kjob import cgroups
from kjob.cgroups import Limits, parse_quantity
from tests.conftest import wait_until


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("128Mi", 128 * 2**20),
        ("1Gi", 2**30),
        ("500M", 500e6),
        ("1k", 1000),
        ("500m", 0.5),
        ("2", 2),
        ("1.5", 1.5),
        ("2e3", 2000),
    ],
)
def test_parse_quantity(text: str, value: float) -> None:
    assert parse_quantity(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["", "abc", "12XB", "-"])
def test_parse_quantity_rejects_garbage(text: str) -> None:
    assert parse_quantity(text) is None


def test_limits_from_container() -> None:
    c = {"resources": {"limits": {"memory": "64Mi", "cpu": "250m"}, "requests": {"cpu": "100m"}}}
    assert Limits.from_container(c) == Limits(memory=64 * 2**20, cpu_millis=250)
    assert not Limits.from_container({}).any()


def _memory_cgroup_writable() -> bool:
    probe = cgroups.create("kjob-probe", Limits(memory=64 * 2**20))
    try:
        return any("cgroup" in note for note in probe.notes)
    finally:
        cgroups.remove(probe)


def _job(name: str, limits: dict[str, str], script: str) -> str:
    return json.dumps(
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": name},
            "spec": {
                "backoffLimit": 0,
                "template": {
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [
                            {
                                "name": "c",
                                "image": "python",
                                "resources": {"limits": limits},
                                "command": ["python3", "-c", script],
                            }
                        ],
                    }
                },
            },
        }
    )


@pytest.mark.integration
def test_a_child_killed_for_memory_makes_the_container_oom_killed(kjob_proc, home: Path) -> None:
    """The OOM killer acting anywhere in the container is the runtime's OOMKilled: under cgroup v2 the
    kubelet's memory.oom.group takes the whole container (137); under v1 the main process may live on
    and exit 0, and the reason is OOMKilled all the same."""
    if not _memory_cgroup_writable():
        pytest.skip("no writable memory cgroup here")
    script = (
        "import subprocess, sys; "
        "r = subprocess.run([sys.executable, '-c', 'x = bytearray(300 * 2**20)']); "
        "print('child', r.returncode, flush=True)"
    )
    kjob_proc("create", "-f", "-", input=_job("kid", {"memory": "50Mi"}, script))

    def terminated() -> dict | None:
        pods = json.loads(kjob_proc("get", "pods", "-o", "json").stdout)["items"]
        statuses = pods[0]["status"].get("containerStatuses") or [{}] if pods else [{}]
        return statuses[0].get("state", {}).get("terminated")

    term = wait_until(terminated, timeout=30)
    assert isinstance(term, dict)
    assert term["reason"] == "OOMKilled"
    assert term["exitCode"] in (0, 137)


@pytest.mark.integration
def test_memory_limit_ends_in_oom_killed(kjob_proc, home: Path) -> None:
    kjob_proc(
        "create",
        "-f",
        "-",
        input=_job("hog", {"memory": "50Mi"}, "x = bytearray(300 * 2**20); print('survived')"),
    )
    kjob_proc("wait", "--for=condition=failed", "job/hog", "--timeout=30s")
    pod = json.loads(kjob_proc("get", "pods", "-o", "json").stdout)["items"][0]
    term = pod["status"]["containerStatuses"][0]["state"]["terminated"]
    if _memory_cgroup_writable():
        assert (term["reason"], term["exitCode"]) == ("OOMKilled", 137)
        assert re.search(r"hog-\w{5} +0/1 +OOMKilled", kjob_proc("get", "pods").stdout)
    else:
        # RLIMIT_AS: the allocation fails inside the program, and describe says how the limit was kept.
        assert term["reason"] == "Error"
        assert "memory limit: RLIMIT_AS" in kjob_proc("describe", "pod", pod["metadata"]["name"]).stdout
    assert "survived" not in kjob_proc("logs", pod["metadata"]["name"]).stdout


@pytest.mark.integration
def test_cpu_limit_throttles(kjob_proc) -> None:
    script = (
        "import time\nend = time.time() + 1.5\nwhile time.time() < end: pass\n"
        "print(round(time.process_time(), 2))"
    )
    kjob_proc("create", "-f", "-", input=_job("busy", {"cpu": "100m"}, script))
    r = kjob_proc("wait", "--for=condition=complete", "job/busy", "--timeout=30s")
    assert r.exit_code == 0, r.stderr
    pod = json.loads(kjob_proc("get", "pods", "-o", "json").stdout)["items"][0]["metadata"]["name"]
    used = float(kjob_proc("logs", pod).stdout.strip())
    probe = cgroups.create("kjob-probe-cpu", Limits(cpu_millis=100))
    enforced = any("cgroup" in note for note in probe.notes)
    cgroups.remove(probe)
    if enforced:
        assert used < 0.6  # 1.5 s of wall time at a tenth of a core
    else:
        assert "cpu limit: not enforced" in kjob_proc("describe", "pod", pod).stdout


@pytest.mark.integration
def test_run_cgroups_are_removed_after_the_run(kjob_proc) -> None:
    kjob_proc("create", "-f", "-", input=_job("tidy", {"memory": "64Mi"}, "print(1)"))
    kjob_proc("wait", "--for=condition=complete", "job/tidy", "--timeout=30s")
    uid = json.loads(kjob_proc("get", "pods", "-o", "json").stdout)["items"][0]["metadata"]["uid"]
    leftovers = (
        [
            p
            for root in ("/sys/fs/cgroup/memory/kjob", "/sys/fs/cgroup/unified/kjob", "/sys/fs/cgroup/kjob")
            for p in Path(root).glob(f"{uid}-*")
        ]
        if Path("/sys/fs/cgroup").exists()
        else []
    )
    wait_until(lambda: not [p for p in leftovers if p.exists()], timeout=5)


def test_an_empty_run_cgroup_is_removed_at_once_and_a_busy_one_is_kept(tmp_path: Path) -> None:
    # A directory stands in for the cgroup: rmdir fails on it while it holds anything, as on a
    # cgroup that still has processes.
    empty, busy = tmp_path / "empty", tmp_path / "busy"
    empty.mkdir()
    busy.mkdir()
    (busy / "cgroup.procs").write_text("123\n")
    placement = cgroups.Placement(v2=str(empty))
    assert cgroups.remove_if_empty(placement)
    assert not empty.exists() and placement.v2 is None and placement.directories() == []
    kept = cgroups.Placement(v2=str(busy))
    assert not cgroups.remove_if_empty(kept)
    assert busy.exists() and kept.v2 == str(busy)


def test_a_run_cgroup_with_limits_is_kept_for_its_oom_record(tmp_path: Path) -> None:
    (tmp_path / "limited").mkdir()
    limited = cgroups.Placement(v2=str(tmp_path / "limited"), notes=["memory limit: cgroup v2"])
    assert not cgroups.remove_if_empty(limited)
    assert (tmp_path / "limited").exists()


@pytest.mark.skipif(not cgroups.can_enter(), reason="no cgroup v2 to write here")
def test_a_sweep_removes_the_cgroups_that_dead_launchers_kept() -> None:
    from kjob.runtime import _alive, process_start_time

    me, start = os.getpid(), process_start_time(os.getpid())
    assert start is not None
    # The same pid with another start time: a launcher before this process, long dead.
    dead = cgroups.create(cgroups.kept_name(me, start - 1, 1), Limits())
    live = cgroups.create(cgroups.kept_name(me, start, 1), Limits())
    unknown = cgroups.create(cgroups.kept_name(me, None, 1), Limits())
    try:
        assert dead.v2 and live.v2 and unknown.v2
        cgroups.sweep(lambda pid, started: _alive(pid, started))
        assert not Path(dead.v2).exists()
        assert Path(live.v2).exists() and Path(unknown.v2).exists()
    finally:
        for placement in (dead, live, unknown):
            cgroups.remove(placement)
