"""kjob's benchmarks: each figure measured beside its floor in the same run, alternating, several
rounds, reported as the median ratio. Benchmarks report; they do not pass or fail.

    python bench/run.py            # full rounds
    python bench/run.py --quick    # fewer rounds (CI)
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def kjob_argv() -> list[str]:
    script = shutil.which("kjob")
    return [script] if script else [PY, "-m", "kjob"]


def timed(argv: list[str], env: dict[str, str], stdin: str | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(
        argv,
        env=env,
        input=stdin,
        text=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return time.perf_counter() - start


@dataclass
class Figure:
    name: str
    floor: str
    target: float
    measure: Callable[[], tuple[float, float]]  # one round: (kjob seconds, floor seconds)


def job_yaml(name: str, command: str = "true") -> str:
    return f"""apiVersion: batch/v1
kind: Job
metadata:
  name: {name}
spec:
  template:
    spec:
      containers:
      - name: c
        image: busybox
        command: ["sh", "-c", "{command}"]
      restartPolicy: Never
"""


def make_env(home: Path) -> dict[str, str]:
    env = {**os.environ, "KJOB_HOME": str(home)}
    if not shutil.which("kjob"):
        env["PYTHONPATH"] = str(ROOT)  # `python -m kjob` from this checkout
    return env


def get_jobs_figure(tmp: Path) -> Figure:
    home = tmp / "get50"
    env = make_env(home)
    manifest = "---\n".join(job_yaml(f"job-{i:02d}") for i in range(50))
    subprocess.run(
        [*kjob_argv(), "create", "-f", "-"],
        input=manifest,
        text=True,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    for i in range(50):
        subprocess.run(
            [*kjob_argv(), "wait", "--for=condition=complete", f"job/job-{i:02d}", "--timeout=60s"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def measure() -> tuple[float, float]:
        return timed([*kjob_argv(), "get", "jobs"], env), timed([PY, "-c", "import click"], env)

    return Figure("kjob get jobs, 50 jobs", 'python -c "import click"', 1.5, measure)


def create_wait_figure(tmp: Path) -> Figure:
    home = tmp / "createwait"
    env = make_env(home)
    counter = iter(range(10_000))

    def measure() -> tuple[float, float]:
        name = f"one-{next(counter)}"
        start = time.perf_counter()
        subprocess.run(
            [*kjob_argv(), "create", "-f", "-"],
            input=job_yaml(name),
            text=True,
            env=env,
            stdout=subprocess.DEVNULL,
            check=True,
        )
        subprocess.run(
            [*kjob_argv(), "wait", "--for=condition=complete", f"job/{name}", "--timeout=60s"],
            env=env,
            stdout=subprocess.DEVNULL,
            check=True,
        )
        kjob = time.perf_counter() - start
        floor = timed([PY, "-c", "import click"], env) + timed([PY, "-c", "import click"], env)
        return kjob, floor

    return Figure("kjob create + wait, one-pod true job", 'two python -c "import click"', 3.0, measure)


def run_figure(fig: Figure, rounds: int) -> tuple[float, float, float]:
    fig.measure()  # warm caches
    ratios, kjobs, floors = [], [], []
    for _ in range(rounds):
        k, f = fig.measure()
        kjobs.append(k)
        floors.append(f)
        ratios.append(k / f)
    return statistics.median(kjobs), statistics.median(floors), statistics.median(ratios)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, for CI")
    args = parser.parse_args()
    rounds = 3 if args.quick else 15
    tmp = Path(tempfile.mkdtemp(prefix="kjob-bench-"))
    try:
        figures = [get_jobs_figure(tmp), create_wait_figure(tmp)]
        print(f"{'figure':42} {'kjob':>9} {'floor':>9} {'ratio':>6} {'target':>7}")
        for fig in figures:
            k, f, ratio = run_figure(fig, rounds)
            print(
                f"{fig.name:42} {k * 1000:7.1f}ms {f * 1000:7.1f}ms {ratio:6.2f} {'<= ' + str(fig.target):>7}"
            )
        print(f"floors: {', '.join(f'{fig.name}: {fig.floor}' for fig in figures)}; {rounds} rounds, median")
    finally:
        # Every benchmark job has completed, so each worker exits on its own once idle.
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
