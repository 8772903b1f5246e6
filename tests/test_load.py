"""Load: a job of 2,000 completions at parallelism 50 and 200 jobs created at once run to the right end,
with the worker's memory bounded and no descriptor leak. The figures are printed for the report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, job_manifest, wait_until

pytestmark = pytest.mark.integration


def worker_pid(home: Path) -> int:
    pid = int((home / "worker.lock").read_text().strip())
    os.kill(pid, 0)
    return pid


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def status(kjob_proc: Any, name: str) -> dict[str, Any]:
    return json.loads(kjob_proc("get", "job", name, "-o", "json").stdout)["status"]


def complete(s: dict[str, Any]) -> bool:
    return any(c["type"] == "Complete" and c["status"] == "True" for c in s.get("conditions", []))


def test_load_holds_memory_and_descriptors(kjob_proc, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A sentinel keeps one worker alive from before the load to after it, so its figures compare.
    kjob_proc("create", "-f", "-", input=job_manifest("sentinel", "sleep 600"))
    wait_until(lambda: "Running" in kjob_proc("get", "pods").stdout)
    pid = worker_pid(home)
    fds_before = open_fds(pid)
    started = time.time()

    kjob_proc("create", "-f", "-", input=job_manifest("big", "true", completions=2000, parallelism=50))
    batches = []
    for b in range(20):
        manifest = "---\n".join(job_manifest(f"many-{b:02d}-{i}", "true") for i in range(10))
        batches.append(
            subprocess.Popen(
                [sys.executable, "-m", "kjob", "create", "-f", "-"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env={**os.environ, "KJOB_HOME": str(home), "PYTHONPATH": str(ROOT)},
            )
        )
        batches[-1].stdin.write(manifest)  # type: ignore[union-attr]
        batches[-1].stdin.close()  # type: ignore[union-attr]
    for proc in batches:
        assert proc.wait(timeout=120) == 0, proc.stderr.read()  # type: ignore[union-attr]

    wait_until(lambda: complete(status(kjob_proc, "big")), timeout=600, interval=1)
    jobs = json.loads(kjob_proc("get", "jobs", "-o", "json").stdout)["items"]
    wait_until(
        lambda: all(
            complete(j["status"])
            for j in json.loads(kjob_proc("get", "jobs", "-o", "json").stdout)["items"]
            if j["metadata"]["name"] != "sentinel"
        ),
        timeout=300,
        interval=1,
    )
    elapsed = time.time() - started
    big = status(kjob_proc, "big")
    assert (big["succeeded"], big.get("failed", 0)) == (2000, 0)
    jobs = json.loads(kjob_proc("get", "jobs", "-o", "json").stdout)["items"]
    assert len(jobs) == 202
    assert all(j["status"].get("succeeded") == 1 for j in jobs if j["metadata"]["name"].startswith("many-"))
    pods = json.loads(kjob_proc("get", "pods", "-o", "json").stdout)["items"]
    assert len(pods) == 2000 + 200 + 1  # no duplicates, nothing lost

    assert worker_pid(home) == pid  # the same worker all along
    time.sleep(0.5)
    fds_after = open_fds(pid)
    rss = peak_rss_mb(pid)
    with capsys.disabled():
        print(
            f"\nload: 2,000 completions at parallelism 50 + 200 jobs in {elapsed:.1f} s; worker peak RSS "
            f"{rss:.1f} MB; worker open descriptors before {fds_before}, after {fds_after}"
        )
    assert fds_after <= fds_before  # no descriptor leak
    assert rss < 200
    kjob_proc("delete", "jobs", "sentinel")
