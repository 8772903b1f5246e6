"""The import rules that keep the architecture what STYLE.md draws."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import modules_loaded_by

KJOB = Path(__file__).resolve().parent.parent / "kjob"


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0] if node.level == 0 else node.module)
    return names


def test_only_the_cli_package_imports_click() -> None:
    offenders = [
        str(p.relative_to(KJOB))
        for p in KJOB.rglob("*.py")
        if "click" in imports_of(p) and p.parent.name != "cli"
    ]
    assert offenders == []


def test_the_controller_and_policies_do_no_io() -> None:
    for name in ("controller.py", "policies.py"):
        assert imports_of(KJOB / name) & {"os", "subprocess", "socket", "pathlib", "shutil", "io"} == set(), (
            name
        )


def test_only_yamllib_imports_yaml() -> None:
    """Every command that reads or writes YAML gets PyYAML through kjob.yamllib, which imports it
    without its slowest pattern."""
    importers = sorted(p.name for p in KJOB.rglob("*.py") if "yaml" in imports_of(p))
    assert importers == ["yamllib.py"]


def test_the_cli_reaches_the_worker_only_through_ensure_running() -> None:
    """Or start_early, for a command about to write (it starts the worker before it loads)."""
    for path in (KJOB / "cli").glob("*.py"):
        text = path.read_text()
        for line in text.splitlines():
            if (
                "worker." in line
                and "worker.ensure_running" not in line
                and "worker.start_early" not in line
                and not line.lstrip().startswith("#")
            ):
                raise AssertionError(f"{path.name}: {line.strip()}")


@pytest.mark.parametrize("command", [["get", "jobs"], ["describe", "jobs"]])
def test_a_read_command_imports_no_heavy_module(command: list[str]) -> None:
    loaded, _, stderr = modules_loaded_by(
        command,
        "/nonexistent-kjob-home",
        {"yaml", "jsonschema", "kjob.manifest", "kjob.commands", "kjob.worker"},
    )
    assert loaded == [], stderr


def test_create_builds_no_dataclass(tmp_path: Path) -> None:
    """`create` imports no dataclasses (its results are plain classes): importing it and building a
    class cost the command ~0.8 ms."""
    manifest = tmp_path / "job.yaml"
    manifest.write_text(
        "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec: {template: {spec: {restartPolicy: "
        "Never, containers: [{name: c, image: busybox, command: ['true']}]}}}\n"
    )
    loaded, printed, stderr = modules_loaded_by(
        ["create", "-f", str(manifest), "--dry-run=client"], tmp_path / "home", {"dataclasses"}
    )
    assert printed == ["job.batch/j created (dry run)"], stderr
    assert loaded == [], stderr


def test_a_worker_starts_its_first_containers_without_heavy_modules() -> None:
    """What a worker imports before its first containers start (its modules, what its launchers are
    forked with, a pass's controller and kubelet) leaves out dataclasses (with inspect, ast and dis:
    ~7 ms, and ~0.25 ms to build each class), subprocess and shutil (~2 ms each), and orjson (~10 ms),
    which the worker takes up once its first pass has started its containers."""
    code = (
        "import sys; import kjob.worker, kjob.controller, kjob.kubelet, kjob.recorder, kjob.runtime as r; "
        "r._preload(); "
        "print(sorted({'dataclasses', 'inspect', 'subprocess', 'shutil', 'orjson'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stderr


def test_a_command_runs_without_the_collector() -> None:
    """`kjob` turns the cyclic collector off as it starts (~1.6 ms of a `get`): its commands make
    next to no cyclic garbage, and are gone in milliseconds."""
    code = (
        "import gc, kjob.cli.base as base; base.main = lambda argv, prog: print(gc.isenabled()); "
        "import kjob.cli; kjob.cli.main(['version'])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stderr


def test_a_command_that_waits_turns_the_collector_back_on(tmp_path: Path, collector: None) -> None:
    """A command that waits on the worker (wait, get -w, logs -f) may run for hours: its garbage must
    be collected."""
    import gc

    from kjob.store import Store
    from kjob.worker import Watcher

    gc.disable()
    with Watcher(Store(tmp_path)):
        assert gc.isenabled()


def test_a_host_collects_what_it_makes_not_what_it_was_forked_with(collector: None) -> None:
    """A launcher or shim is forked from the worker, perhaps while the worker's collector is off: its
    own is on, and the worker's objects are set aside (never walked, so never copied by it)."""
    import gc

    from kjob import runtime

    gc.disable()
    gc.unfreeze()
    runtime._collect_as_host()
    assert gc.isenabled()
    assert gc.get_freeze_count() > 1000
