"""The state directory: permissions, atomic versioned writes, locking, corrupt files."""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
from pathlib import Path

import pytest

from kjob.errors import AlreadyExists, Conflict, NotFound, StoreError
from kjob.store import STORE_FORMAT, Store, default_home


def job(name: str, ns: str = "default") -> dict:
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name, "namespace": ns}, "spec": {}}


def test_default_home_follows_kjob_home_then_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KJOB_HOME", str(tmp_path / "a"))
    assert default_home() == tmp_path / "a"
    monkeypatch.delenv("KJOB_HOME")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert default_home() == tmp_path / "xdg" / "kjob"
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "h"))
    assert default_home() == tmp_path / "h" / ".local" / "state" / "kjob"


def test_state_directory_and_files_are_private(tmp_path: Path) -> None:
    store = Store(tmp_path / "s")
    with store.lock():
        store.create("jobs", job("a"))
    assert stat.S_IMODE(os.stat(store.home).st_mode) == 0o700
    path = store.path("jobs", "default", "a")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    doc = json.loads(path.read_text())
    assert doc["format"] == STORE_FORMAT
    assert doc["object"]["metadata"]["name"] == "a"


def test_resource_version_grows_on_every_write(tmp_path: Path) -> None:
    store = Store(tmp_path)
    with store.lock():
        a = store.create("jobs", job("a"))
        first = int(a["metadata"]["resourceVersion"])
        b = store.update("jobs", store.must_get("jobs", "default", "a"))
        second = int(b["metadata"]["resourceVersion"])
        c = store.create("jobs", job("b"))
    assert first < second < int(c["metadata"]["resourceVersion"])


def test_create_twice_is_already_exists(tmp_path: Path) -> None:
    store = Store(tmp_path)
    with store.lock():
        store.create("jobs", job("a"))
        with pytest.raises(AlreadyExists) as e:
            store.create("jobs", job("a"))
    assert e.value.message == 'Error from server (AlreadyExists): jobs.batch "a" already exists'


def test_update_with_stale_resource_version_conflicts(tmp_path: Path) -> None:
    store = Store(tmp_path)
    with store.lock():
        store.create("jobs", job("a"))
        stale = store.must_get("jobs", "default", "a")
        store.update("jobs", store.must_get("jobs", "default", "a"))
        with pytest.raises(Conflict):
            store.update("jobs", stale)


def test_writes_outside_the_lock_are_refused(tmp_path: Path) -> None:
    store = Store(tmp_path)
    with pytest.raises(RuntimeError):
        store.create("jobs", job("a"))


def test_list_is_sorted_and_skips_a_corrupt_file(tmp_path: Path) -> None:
    store = Store(tmp_path)
    with store.lock():
        for name in ("c", "a", "b"):
            store.create("jobs", job(name))
    bad = store.path("jobs", "default", "b")
    bad.write_text("{not json")
    names = [o["metadata"]["name"] for o in store.list("jobs")]
    assert names == ["a", "c"]
    assert len(store.corrupt) == 1 and str(bad) in store.corrupt[0]
    with pytest.raises(StoreError) as e:
        store.get("jobs", "default", "b")
    assert str(bad) in e.value.message


def test_missing_object_is_not_found(tmp_path: Path) -> None:
    store = Store(tmp_path)
    with pytest.raises(NotFound) as e:
        store.must_get("jobs", "default", "nope")
    assert e.value.message == 'Error from server (NotFound): jobs.batch "nope" not found'


@pytest.mark.parametrize("name", ["../escape", "a/b", "..", ".hidden", "UPPER", ""])
def test_unsafe_names_never_become_paths(tmp_path: Path, name: str) -> None:
    store = Store(tmp_path / "s")
    assert store.get("jobs", "default", name) is None
    with pytest.raises(NotFound):
        store.path("jobs", "default", name)


def _create_many(home: str, start: int) -> None:
    store = Store(home)
    for i in range(start, start + 20):
        with store.lock():
            store.create("jobs", job(f"j{i}"))


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_create_many, args=(str(tmp_path), i * 20)) for i in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    store = Store(tmp_path)
    objs = store.list("jobs")
    assert len(objs) == 80
    versions = {o["metadata"]["resourceVersion"] for o in objs}
    assert len(versions) == 80  # every write got its own resourceVersion
