"""kjob's benchmarks: each figure of issue 6 measured beside its floor, in the same run.

Rounds alternate kjob and its floor; each figure is reported as the median ratio of its rounds (or
as the value itself where the floor is 0). Benchmarks report; they do not pass or fail: the exit
status is 1 only when a figure could not be measured.

    python bench/run.py                    # every figure, full size
    python bench/run.py --quick            # smaller sizes and fewer rounds (CI)
    python bench/run.py --only get-jobs    # one figure
    python bench/run.py --json out.json    # the results as JSON too

The `kjob` on PATH is measured (as installed), else `python -m kjob` from this checkout.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from figures import FIGURES, Config
from harness import ROOT, BenchError, Result, kjob_argv, stop_everything, use_same_kjob

COLUMNS = (("figure", 46), ("kjob", 18), ("floor", 10), ("ratio", 6), ("target", 9))


def cell(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "ms":
        return f"{value:.1f} ms" if value < 10_000 else f"{value / 1000:.2f} s"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "MB":
        return f"{value:.1f} MB"
    return f"{value:.2f}%"


def row(values: list[str]) -> str:
    (_, width), *rest = COLUMNS
    return f"{values[0]:{width}}" + "".join(f" {v:>{w}}" for v, (_, w) in zip(values[1:], rest, strict=True))


def table_row(res: Result) -> str:
    if res.error is not None:
        return row([res.title, "error", "-", "-", res.target])
    floor = "0" if res.floor_is == "0" else cell(res.floor, res.unit)
    ratio = "-" if res.ratio is None else f"{res.ratio:.2f}"
    return row([res.title, res.shown or cell(res.kjob, res.unit), floor, ratio, res.target])


def commit() -> dict[str, Any]:
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "kjob", "pyproject.toml"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "kjob_changed_since_commit": None}
    return {"commit": head, "kjob_changed_since_commit": bool(dirty)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer rounds, for CI")
    ids = [f.id for f in FIGURES]
    parser.add_argument("--only", choices=ids, metavar="NAME", help=f"run one figure: {', '.join(ids)}")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    args = parser.parse_args()
    use_same_kjob()
    import kjob

    figures = [f for f in FIGURES if args.only in (None, f.id)]
    context = {
        **commit(),
        "kjob_command": " ".join(kjob_argv()),
        "kjob_package": str(Path(kjob.__file__).parent),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "quick": args.quick,
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "load_average_at_start": round(os.getloadavg()[0], 2),
    }
    print(
        f"kjob at {(context['commit'] or 'unknown')[:12]}"
        f"{' (kjob/ changed since)' if context['kjob_changed_since_commit'] else ''}, "
        f"run as `{context['kjob_command']}`; Python {context['python']}, {context['cpus']} CPUs"
        f"{', quick' if args.quick else ''}"
    )
    print(row([name for name, _ in COLUMNS]))
    sys.stdout.flush()
    tmp = Path(tempfile.mkdtemp(prefix="kjob-bench-"))
    results: list[Result] = []
    started = time.perf_counter()
    try:
        for fig in figures:
            res = Result(fig.id, fig.title, fig.floor_is, fig.target, fig.unit)
            began = time.perf_counter()
            try:
                fig.run(Config(args.quick, tmp), res)
            except Exception as e:  # the figure is reported unmeasured; the others still run
                res.error = str(e) if isinstance(e, BenchError) else f"{type(e).__name__}: {e}"
                traceback.print_exc()
            res.extra["seconds"] = round(time.perf_counter() - began, 1)
            # Other work on the machine skews a figure: the load it ran under is kept with it.
            res.extra["load_average"] = round(os.getloadavg()[0], 2)
            results.append(res)
            print(table_row(res))
            sys.stdout.flush()
    finally:
        stop_everything(tmp, prefix=True)
        shutil.rmtree(tmp, ignore_errors=True)
    print()
    for res in results:
        rounds = f"{res.rounds} rounds, median" if res.ratio is not None and res.rounds > 1 else ""
        detail = "; ".join(x for x in [f"floor: {res.floor_is}", rounds, *res.notes] if x)
        print(f"{res.id}: {res.error or detail}")
    print(
        f"total {time.perf_counter() - started:.0f} s; 1-minute load average "
        f"{context['load_average_at_start']:.2f} at start, {os.getloadavg()[0]:.2f} at end"
    )
    if args.json:
        doc = {**context, "figures": [r.as_json() for r in results]}
        Path(args.json).write_text(json.dumps(doc, indent=2) + "\n")
    return 1 if any(r.error for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
