"""The ten figures of issue 6, each measured beside its floor: setup, alternating rounds, cleanup."""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from harness import (
    BENCH,
    HOSTS,
    PY,
    BenchError,
    Result,
    alternate,
    comm,
    cpu_seconds,
    delete_job_file,
    job_doc,
    kjob,
    kjob_argv,
    make_env,
    manifest_text,
    phase_counts,
    pids_of,
    pss_kb,
    python_hwm_mb,
    read_lines,
    state_dir,
    status_kb,
    store_pods,
    timed,
    timed_piped,
    wait_for,
    wait_workers_gone,
    worker_pid,
    write_suspended_jobs,
)

MB = 1_000_000


@dataclass
class Config:
    quick: bool
    tmp: Path

    def pick(self, full: int, quick: int) -> int:
        return quick if self.quick else full

    @property
    def rounds(self) -> int:
        """Rounds of the figures that take well under a second a round."""
        return self.pick(15, 5)


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


def create_and_complete(env: dict[str, str], count: int) -> None:
    """`count` one-pod `true` jobs, created in one command and each waited for (issue 2's setup)."""
    manifest = "---\n".join(job_yaml(f"job-{i:02d}") for i in range(count))
    kjob(env, "create", "-f", "-", input=manifest)
    for i in range(count):
        kjob(env, "wait", "--for=condition=complete", f"job/job-{i:02d}", "--timeout=60s")


def clean_up(env: dict[str, str], home: Path, *jobs: str, timeout: float = 120) -> None:
    """`kjob delete jobs` (pods go with them), then every worker and launcher exits on its own."""
    if jobs:
        kjob(env, "delete", "jobs", *jobs)
    wait_workers_gone(home, timeout)


# ---------------------------------------------------------------- 1-3: issue 2's figures and their kin


def get_jobs(cfg: Config, res: Result) -> None:
    with state_dir(cfg.tmp, "get50") as home:
        env = make_env(home)
        create_and_complete(env, 50)
        wait_workers_gone(home, 60)
        samples = alternate(
            lambda: timed([*kjob_argv(), "get", "jobs"], env),
            lambda: timed([PY, "-c", "import click"], env),
            cfg.rounds,
        )
        res.set_samples(samples, scale=1000)


def get_pods_json(cfg: Config, res: Result) -> None:
    with state_dir(cfg.tmp, "pods50") as home:
        env = make_env(home)
        create_and_complete(env, 50)
        wait_workers_gone(home, 60)
        pods = len(store_pods(home))
        if pods != 50:
            raise BenchError(f"expected 50 pods, found {pods}")
        samples = alternate(
            lambda: timed([*kjob_argv(), "get", "pods", "-o", "json"], env),
            lambda: timed([PY, "-c", "import click, json"], env),
            cfg.rounds,
        )
        res.set_samples(samples, scale=1000)


def create_wait(cfg: Config, res: Result) -> None:
    with state_dir(cfg.tmp, "createwait") as home:
        env = make_env(home)
        counter = iter(range(10_000))

        def kjob_round() -> float:
            name = f"one-{next(counter)}"
            start = time.perf_counter()
            kjob(env, "create", "-f", "-", input=job_yaml(name))
            kjob(env, "wait", "--for=condition=complete", f"job/{name}", "--timeout=60s")
            return time.perf_counter() - start

        def floor_round() -> float:
            return timed([PY, "-c", "import click"], env) + timed([PY, "-c", "import click"], env)

        res.set_samples(alternate(kjob_round, floor_round, cfg.rounds), scale=1000)
        clean_up(env, home)


# ---------------------------------------------------------------- 4: many completions


def completions(cfg: Config, res: Result) -> None:
    count = cfg.pick(1000, 200)
    rounds = cfg.pick(5, 2)
    res.title = f"{count:,} completions of sh -c true, parallelism 16"
    res.floor_is = f"{count:,} `sh -c true` from a pool of 16 threads"
    counter = iter(range(1000))
    homes = contextlib.ExitStack()
    cpu: list[tuple[float, float]] = []  # each round's (worker, container hosts) CPU seconds

    def kjob_round() -> float:
        # A fresh state directory each round, so no round lists the pods of the one before. They are
        # removed once all rounds are done: removing a round's ~20,000 files keeps the filesystem busy
        # for tens of seconds (ext4 here), and the next round paid for it (2.2-2.5 s a round with
        # nothing removed in between; 3-5 s when each round removed the one before).
        home = homes.enter_context(state_dir(cfg.tmp, f"completions-{next(counter)}"))
        env = make_env(home)
        doc = job_doc("many", ["sh", "-c", "true"], completions=count, parallelism=16)
        start = time.perf_counter()
        kjob(env, "create", "-f", "-", input=manifest_text(doc))
        kjob(env, "wait", "--for=condition=complete", "job/many", "--timeout=600s")
        elapsed = time.perf_counter() - start
        succeeded = phase_counts(home).get("Succeeded", 0)
        if succeeded != count:
            raise BenchError(f"expected {count} succeeded pods, found {succeeded}")
        # kjob's own CPU, read while its processes linger: it tells a slow kjob from a slow machine
        # (files cost ten times as much here for minutes after many were removed: see the README).
        worker, hosts = 0.0, 0.0
        for pid in pids_of(home):
            with contextlib.suppress(OSError, ValueError):
                if comm(pid) in HOSTS:
                    hosts += cpu_seconds(pid)
                else:
                    worker += cpu_seconds(pid)
        cpu.append((worker, hosts))
        wait_workers_gone(home, 60)
        return elapsed

    def floor_round() -> float:
        def one(_: int) -> None:
            subprocess.run(["sh", "-c", "true"], check=True)

        start = time.perf_counter()
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(one, range(count)))
        return time.perf_counter() - start

    # A warm-up pair first, as for the other figures: kjob's first round after the machine had idled
    # ran 5-15% slower, its floor's did not (five sets of runs in six; e.g. 1.21 s, then 1.10 and
    # 1.08). Its launchers took the extra CPU, in the kernel's slab allocation for new inodes, as
    # far as perf tells: kjob makes five files a pod, its floor none, and this VM reclaims idle
    # memory (a kdamond thread runs). Five rounds, not three: the rounds after it still differ by up
    # to 8%.
    with homes:
        res.set_samples(alternate(kjob_round, floor_round, rounds))
    cpu = cpu[1:]  # not the warm-up's
    res.extra["worker_cpu_s"] = [round(w, 2) for w, _ in cpu]
    res.extra["hosts_cpu_s"] = [round(h, 2) for _, h in cpu]
    res.notes.append(
        "CPU seconds a round, the worker / the processes hosting the containers: "
        + ", ".join(f"{w:.2f} / {h:.2f}" for w, h in cpu)
    )


# ---------------------------------------------------------------- 5-6: a large store


def get_many_jobs(cfg: Config, res: Result) -> None:
    count = cfg.pick(10_000, 2_000)
    res.title = f"kjob get jobs, {count:,} jobs"
    with state_dir(cfg.tmp, "getmany") as home:
        env = make_env(home)
        write_suspended_jobs(home, count)
        reader = [PY, str(BENCH / "read_all.py"), str(home / "jobs" / "default")]
        shown = kjob(env, "get", "jobs").count("\n") - 1
        if shown != count:
            raise BenchError(f"kjob get jobs showed {shown} jobs, expected {count}")
        samples = alternate(
            lambda: timed([*kjob_argv(), "get", "jobs"], env),
            lambda: timed(reader, env),
            cfg.pick(10, 3),
        )
        res.set_samples(samples, scale=1000)
        res.notes.append(f"{count:,} suspended jobs written with kjob.store + kjob.manifest.prepare_job")


def create_many(cfg: Config, res: Result) -> None:
    count = cfg.pick(10_000, 2_000)
    res.title = f"kjob create, {count:,} jobs stored"
    with state_dir(cfg.tmp, "createmany") as many, state_dir(cfg.tmp, "createnone") as none:
        write_suspended_jobs(many, count)
        counter = iter(range(10_000))

        def create_in(home: Path) -> Callable[[], float]:
            env = make_env(home)

            def one_round() -> float:
                name = f"new-{next(counter)}"
                manifest = manifest_text(job_doc(name, ["sh", "-c", "true"], suspend=True))
                start = time.perf_counter()
                kjob(env, "create", "-f", "-", input=manifest)
                elapsed = time.perf_counter() - start
                # Each round starts alike: the worker that create started has settled and gone,
                # and the job is gone again.
                wait_workers_gone(home, 300)
                delete_job_file(home, name)
                return elapsed

            return one_round

        samples = alternate(create_in(many), create_in(none), cfg.pick(10, 3))
        res.set_samples(samples, scale=1000)
        res.notes.append("the job created is suspended; each round waits for its worker to exit")


# ---------------------------------------------------------------- 7-8: logs


def logs_big(cfg: Config, res: Result) -> None:
    size = cfg.pick(200, 20) * MB
    res.title = f"kjob logs, {size // MB} MB log"
    line = "kjob benchmark log line: the quick brown fox jumps over the lazy dog 0123456789 abcdefghij"
    with state_dir(cfg.tmp, "logs") as home:
        env = make_env(home)
        doc = job_doc("biglog", ["sh", "-c", f"yes '{line}' | head -c {size}"])
        kjob(env, "create", "-f", "-", input=manifest_text(doc))
        kjob(env, "wait", "--for=condition=complete", "job/biglog", "--timeout=600s")
        wait_workers_gone(home, 60)
        from kjob import worker
        from kjob.store import Store

        (pod,) = store_pods(home)
        path = Path(worker.log_path(Store(home), pod, "c", 0))
        if not path.exists():
            raise BenchError(f"no log file at {path}")
        pod_name = pod["metadata"]["name"]
        printed: list[int] = []

        def kjob_round() -> float:
            elapsed, total = timed_piped([*kjob_argv(), "logs", pod_name], env)
            printed.append(total)
            return elapsed

        def floor_round() -> float:
            return timed_piped(["cat", str(path)], env)[0]

        res.set_samples(alternate(kjob_round, floor_round, cfg.pick(5, 3)), scale=1000)
        if any(n != size for n in printed):
            raise BenchError(f"kjob logs printed {sorted(set(printed))} bytes, expected {size}")
        res.notes.append(
            f"log written by a real container (`yes ... | head -c {size}`, {len(line) + 1}-byte lines) "
            f"through kjob's launcher: log file {path.stat().st_size / MB:.1f} MB; both commands' stdout is "
            "a 1 MB pipe drained by the harness in 1 MB reads"
        )
        clean_up(env, home)


def logs_follow(cfg: Config, res: Result) -> None:
    lines = cfg.pick(50, 20)
    period = 0.1
    with state_dir(cfg.tmp, "follow") as home:
        env = make_env(home)
        loop = f"while [ $i -lt {lines} ]; do date +%s.%N; i=$((i+1)); sleep {period}; done"
        script = f"sleep 1; i=0; {loop}; sleep 1"
        kjob(env, "create", "-f", "-", input=manifest_text(job_doc("follow", ["sh", "-c", script])))

        def running_pod() -> str | None:
            for pod in store_pods(home):
                if (pod.get("status") or {}).get("phase") == "Running":
                    return str(pod["metadata"]["name"])
            return None

        pod_name = wait_for("the pod to run", running_pod, timeout=60, interval=0.02)
        proc = subprocess.Popen(
            [*kjob_argv(), "logs", "-f", pod_name], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        try:
            assert proc.stdout is not None
            deadline = time.monotonic() + lines * period + 30
            seen = read_lines(proc.stdout.fileno(), deadline, until=lambda n: n >= lines)
        finally:
            if proc.poll() is None:
                proc.kill()
            _, err = proc.communicate(timeout=30)
        if not seen:
            raise BenchError(f"kjob logs -f printed nothing: {err.decode().strip()}")
        # Only lines written once `logs -f` was visibly streaming: the first arrival marks it.
        streaming_since = seen[0][0]
        latencies = [
            (arrived - float(text)) * 1000 for arrived, text in seen if text and float(text) > streaming_since
        ]
        if len(latencies) < lines // 2:
            raise BenchError(f"only {len(latencies)} of {lines} lines seen live by kjob logs -f")
        median = statistics.median(latencies)
        p90 = statistics.quantiles(latencies, n=10)[8]
        res.kjob, res.rounds = median, len(latencies)
        res.shown = f"{median:.1f} ms p90 {p90:.1f}"
        res.extra.update(p90_ms=round(p90, 3), max_ms=round(max(latencies), 3))
        res.extra["samples_ms"] = [round(v, 2) for v in latencies]
        res.notes.append(
            f"a container prints `date +%s.%N` every {period * 1000:.0f} ms; latency = arrival on the pipe "
            f"from `kjob logs -f` - the stamp; {len(latencies)} lines"
        )
        clean_up(env, home, "follow")


# ---------------------------------------------------------------- 9-10: the worker under load


def start_sleepers(env: dict[str, str], home: Path, count: int, seconds: int) -> tuple[float, int]:
    """One job of `count` parallel `sleep` pods, waited for until every pod has started; the time that
    took and the most pods seen Running at once."""
    doc = job_doc("sleepers", ["sleep", str(seconds)], completions=count, parallelism=count)
    start = time.perf_counter()
    kjob(env, "create", "-f", "-", input=manifest_text(doc))
    most = 0

    def all_started() -> bool:
        nonlocal most
        counts = phase_counts(home)
        most = max(most, counts.get("Running", 0))
        return counts.get("Running", 0) + counts.get("Succeeded", 0) >= count

    wait_for(f"{count} pods to start", all_started, timeout=300, interval=0.1)
    return time.perf_counter() - start, most


def worker_cpu(cfg: Config, res: Result) -> None:
    count = cfg.pick(100, 20)
    window = float(cfg.pick(10, 3))
    res.title = f"worker CPU, {count} sleep 60 pods, {window:.0f} s"
    with state_dir(cfg.tmp, "cpu") as home:
        env = make_env(home)
        started, most = start_sleepers(env, home, count, 60)
        if most < count:
            raise BenchError(f"only {most} of {count} pods were Running")
        # The pass that saw the last pod start may still be writing: let it end.
        time.sleep(1.0)
        pid = worker_pid(home)
        hosts = [p for p in pids_of(home) if p != pid]  # the launcher, and any shims
        worker0, hosts0, t0 = cpu_seconds(pid), sum(map(cpu_seconds, hosts)), time.monotonic()
        time.sleep(window)
        worker1, hosts1, t1 = cpu_seconds(pid), sum(map(cpu_seconds, hosts)), time.monotonic()
        res.kjob = (worker1 - worker0) / (t1 - t0) * 100
        res.rounds = 1
        res.extra["hosts_cpu_percent"] = round((hosts1 - hosts0) / (t1 - t0) * 100, 3)
        res.notes.append(
            f"utime+stime of the worker over {t1 - t0:.1f} s from 1 s after all {count} pods ran "
            f"(they started in {started:.1f} s); the {len(hosts)} processes hosting their containers: "
            f"{res.extra['hosts_cpu_percent']:.2f}% (clock tick {1000 // os.sysconf('SC_CLK_TCK')} ms)"
        )
        clean_up(env, home, "sleepers")


def worker_memory(cfg: Config, res: Result) -> None:
    count = cfg.pick(1000, 100)
    res.title = f"worker peak memory, {count:,} pods running"
    with state_dir(cfg.tmp, "memory") as home:
        env = make_env(home)
        floor_before = python_hwm_mb(env)
        started, most = start_sleepers(env, home, count, 30)
        pid = worker_pid(home)
        hwm = status_kb(pid, "VmHWM") / 1024
        rss = status_kb(pid, "VmRSS") / 1024
        hosts = [p for p in pids_of(home) if p != pid]  # the launcher, and any shims
        hosts_pss = sum(map(pss_kb, hosts)) / 1024
        floors = [floor_before, *(python_hwm_mb(env) for _ in range(4))]
        res.kjob = hwm
        res.floor = statistics.median(floors)
        res.ratio = hwm / res.floor
        res.rounds = 1
        res.extra.update(
            worker_rss_mb=round(rss, 1), hosts=len(hosts), hosts_pss_mb=round(hosts_pss, 1), most_running=most
        )
        res.notes.append(
            f"VmHWM of the worker once all {count} pods started ({started:.1f} s; at most {most} Running "
            f"at once); floor = VmHWM of a Python that only reads its own /proc status; "
            f"PSS of the {len(hosts)} processes hosting the containers: {hosts_pss:.0f} MB"
        )
        clean_up(env, home, "sleepers")


# ---------------------------------------------------------------- the list


@dataclass
class Figure:
    id: str
    title: str
    floor_is: str
    target: str
    unit: str
    run: Callable[[Config, Result], None]


FIGURES = [
    # The first and third are issue 2's figures (issue 2's targets: 1.5 and 3).
    Figure("get-jobs", "kjob get jobs, 50 jobs", 'python -c "import click"', "<= 1.2", "ms", get_jobs),
    Figure(
        "get-pods-json",
        "kjob get pods -o json, 50 pods",
        'python -c "import click, json"',
        "<= 1.3",
        "ms",
        get_pods_json,
    ),
    Figure(
        "create-wait",
        "kjob create + wait, one-pod true job",
        'two python -c "import click"',
        "<= 1.5",
        "ms",
        create_wait,
    ),
    Figure("completions", "", "", "<= 2", "s", completions),
    Figure("get-jobs-many", "", "a Click program parsing every job file", "<= 1.5", "ms", get_many_jobs),
    Figure("create-many", "", "the same with no job stored", "<= 1.1", "ms", create_many),
    Figure("logs", "", "cat of the same file", "<= 1.5", "ms", logs_big),
    Figure("logs-follow", "kjob logs -f latency", "0", "< 50 ms", "ms", logs_follow),
    Figure("worker-cpu", "", "0", "< 1%", "% of one core", worker_cpu),
    Figure("worker-memory", "", 'python -c "pass"', "< 100 MB", "MB", worker_memory),
]
