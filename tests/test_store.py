"""The state directory: permissions, atomic versioned writes, locking, corrupt files."""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
import time
from pathlib import Path

import pytest

from kjob.errors import AlreadyExists, Conflict, NotFound, StoreError
from kjob.store import EVENT_TTL, FSYNC_EACH, RESOURCE_VERSION_BLOCK, STORE_FORMAT, Store, default_home


def job(name: str, ns: str = "default") -> dict:
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name, "namespace": ns}, "spec": {}}


def test_default_home_follows_kjob_home_then_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KJOB_HOME", str(tmp_path / "a"))
    assert Path(default_home()) == tmp_path / "a"
    monkeypatch.delenv("KJOB_HOME")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert Path(default_home()) == tmp_path / "xdg" / "kjob"
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "h"))
    assert Path(default_home()) == tmp_path / "h" / ".local" / "state" / "kjob"


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


def test_list_orders_by_name_as_the_api_server_does(tmp_path: Path) -> None:
    store = Store(tmp_path)
    with store.lock():
        for name in ("ab", "a.b", "a-b", "a"):
            store.create("jobs", job(name))
        store.create("jobs", job("z", ns="a-ns"))
        store.create("jobs", job("y", ns="a"))
    # etcd's key order: a name before the longer names it begins, whatever follows it.
    assert [o["metadata"]["name"] for o in store.list("jobs", "default")] == ["a", "a-b", "a.b", "ab"]
    everything = [(o["metadata"]["namespace"], o["metadata"]["name"]) for o in store.list("jobs")]
    assert everything[:2] == [("a", "y"), ("a-ns", "z")]


def test_each_reads_what_list_returns_one_at_a_time(tmp_path: Path) -> None:
    store = Store(tmp_path)
    with store.lock():
        for name in ("c", "a", "b"):
            store.create("jobs", job(name))
        store.create("jobs", job("d", ns="other"))
    store.path("jobs", "default", "b").write_text("{not json")
    objects = store.each("jobs")
    assert next(objects)["metadata"]["name"] == "a"
    assert store.corrupt == []  # nothing past the first object has been read yet
    assert [o["metadata"]["name"] for o in objects] == ["c", "d"]
    assert len(store.corrupt) == 1
    assert [o["metadata"]["name"] for o in Store(tmp_path).list("jobs")] == ["a", "c", "d"]


def test_every_write_moves_the_resource_version_file_deletes_too(tmp_path: Path) -> None:
    store = Store(tmp_path)
    counter = tmp_path / "resourceversion"
    with store.lock():
        store.create("jobs", job("a"))
        store.create("jobs", job("b"))
    after_creates = int(counter.read_text())
    with store.lock():
        assert store.delete("jobs", "default", "a")
    after_delete = int(counter.read_text())
    assert after_delete > after_creates
    with store.lock(), store.cached():
        assert store.delete("jobs", "default", "b")
    assert int(counter.read_text()) > after_delete
    with store.lock():
        store.get("jobs", "default", "b")  # a span that writes nothing leaves the file alone
    assert int(counter.read_text()) == after_delete + 1


class _Touches:
    """The object files, their temp files and the logs that kjob.store stats and opens."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: list[str] = []
        real_stat, real_open, real_os_open = os.stat, open, os.open

        def stat(path: object, *a: object, **k: object) -> os.stat_result:
            self._note(path)
            return real_stat(path, *a, **k)  # type: ignore[arg-type]

        def opener(path: object, *a: object, **k: object) -> object:
            self._note(path)
            return real_open(path, *a, **k)  # type: ignore[call-overload]

        def os_opener(path: object, *a: object, **k: object) -> int:
            self._note(path)
            return real_os_open(path, *a, **k)  # type: ignore[arg-type]

        monkeypatch.setattr("kjob.store.os.stat", stat)
        monkeypatch.setattr("kjob.store.open", opener, raising=False)
        monkeypatch.setattr("kjob.store.os.open", os_opener)

    def _note(self, path: object) -> None:
        if str(path).endswith((".json", ".tmp", "/.log")):
            self.paths.append(str(path))

    def take(self) -> list[str]:
        paths, self.paths = self.paths, []
        return paths


def _worker_store(home: Path) -> Store:
    store = Store(home)
    store.remember_reads()
    return store


def _pod(name: str, ns: str = "default", phase: str = "Running") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns},
        "status": {"phase": phase},
    }


def _names(objects: list[dict]) -> list[tuple[str, str]]:
    return [(o["metadata"]["namespace"], o["metadata"]["name"]) for o in objects]


def test_a_remembered_listing_reads_no_file_while_nobody_else_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = Store(tmp_path)
    with writer.lock():
        for i in range(5):
            writer.create("pods", _pod(f"p{i}"))
        writer.create("jobs", job("j"))
    worker = _worker_store(tmp_path)
    touches = _Touches(monkeypatch)
    with worker.lock(), worker.cached():
        first = worker.list("pods")
        worker.list("jobs")
    # The first time: the pods' log read once, the job's file stat'ed and read.
    assert sorted(Path(p).name for p in touches.take()) == [".log", "j.json", "j.json"]
    assert _names(first) == [("default", f"p{i}") for i in range(5)]
    for _ in range(3):
        with worker.lock(), worker.cached():
            again = worker.list("pods")
            assert worker.list("jobs")[0]["metadata"]["name"] == "j"
        assert touches.take() == []
        assert again == first


def test_the_worker_store_keeps_its_own_writes_without_reading_them_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = Store(tmp_path)
    with writer.lock():
        for name in ("b", "d"):
            writer.create("pods", _pod(name))
    worker = _worker_store(tmp_path)
    with worker.lock(), worker.cached():
        worker.list("pods")
        worker.list("pods", "default")
    touches = _Touches(monkeypatch)
    with worker.lock(), worker.cached():
        pods = worker.list("pods")
        worker.create("pods", _pod("a"))
        worker.create("pods", _pod("c", ns="other"))
        worker.delete("pods", "default", "d")
        pods[0]["status"]["phase"] = "Succeeded"
        worker.update("pods", pods[0])
        # Within the span, the held-back writes are already what the store lists.
        assert _names(worker.list("pods")) == [("default", "a"), ("default", "b"), ("other", "c")]
    written = touches.take()
    # Written: the counter, and each namespace's pod log (looked at, then appended to); no object file.
    names = sorted(Path(p).name for p in written)
    assert names == [".log"] * 4 + [f".resourceversion.{os.getpid()}.tmp"], names
    with worker.lock(), worker.cached():
        assert _names(worker.list("pods")) == [("default", "a"), ("default", "b"), ("other", "c")]
        assert _names(worker.list("pods", "default")) == [("default", "a"), ("default", "b")]
        assert worker.must_get("pods", "default", "b")["status"]["phase"] == "Succeeded"
    assert touches.take() == []
    assert worker.list("pods") == Store(tmp_path).list("pods")


def _another_process_writes(home: str, change: str) -> None:
    store = Store(home)
    with store.lock():
        if change == "create":
            store.create("pods", _pod("new"))
        elif change == "update":
            pod = store.must_get("pods", "default", "p1")
            pod["metadata"]["labels"] = {"app": "x"}
            store.update("pods", pod)
        elif change == "delete":
            store.delete("pods", "default", "p1")
        elif change == "create-namespace":
            store.create("pods", _pod("p0", ns="another"))


@pytest.mark.parametrize("change", ["create", "update", "delete", "create-namespace"])
def test_a_remembered_listing_sees_a_write_by_another_process(tmp_path: Path, change: str) -> None:
    writer = Store(tmp_path)
    with writer.lock():
        for i in range(3):
            writer.create("pods", _pod(f"p{i}"))
    worker = _worker_store(tmp_path)
    for _ in range(2):  # the second pass lists from what the first one remembered
        with worker.lock(), worker.cached():
            worker.list("pods")
            worker.list("pods", "default")
    proc = multiprocessing.get_context("fork").Process(
        target=_another_process_writes, args=(str(tmp_path), change)
    )
    proc.start()
    proc.join()
    assert proc.exitcode == 0
    fresh = Store(tmp_path)
    with worker.lock(), worker.cached():
        assert worker.list("pods") == fresh.list("pods")
        assert worker.list("pods", "default") == fresh.list("pods", "default")
    if change == "update":
        assert worker.must_get("pods", "default", "p1")["metadata"]["labels"] == {"app": "x"}


def test_a_write_in_the_same_second_with_the_same_size_is_seen(tmp_path: Path) -> None:
    """The counter's content, not only its size and time stamp, tells a change."""
    writer = Store(tmp_path)
    with writer.lock():
        writer.create("pods", _pod("a"))
    worker = _worker_store(tmp_path)
    with worker.lock():
        assert worker.list("pods")[0]["status"]["phase"] == "Running"
    with writer.lock():
        pod = writer.must_get("pods", "default", "a")
        pod["status"]["phase"] = "Pendin"  # one letter shorter: the object file keeps its size
        writer.update("pods", pod)
    with worker.lock():
        assert worker.list("pods")[0]["status"]["phase"] == "Pendin"


def test_a_corrupt_file_is_reported_on_every_remembered_listing(tmp_path: Path) -> None:
    writer = Store(tmp_path)
    with writer.lock():
        writer.create("jobs", job("a"))
        writer.create("jobs", job("b"))
    worker = _worker_store(tmp_path)
    with worker.lock():
        assert len(worker.list("jobs")) == 2
    writer.path("jobs", "default", "b").write_text("{not json")
    with writer.lock():
        writer.create("jobs", job("c"))
    for _ in range(2):
        worker.corrupt.clear()
        with worker.lock(), worker.cached():
            assert _names(worker.list("jobs")) == [("default", "a"), ("default", "c")]
        assert len(worker.corrupt) == 1


def test_a_failed_cached_span_forgets_what_it_remembered(tmp_path: Path) -> None:
    writer = Store(tmp_path)
    with writer.lock():
        writer.create("pods", _pod("a"))
    worker = _worker_store(tmp_path)
    with pytest.raises(ZeroDivisionError), worker.lock(), worker.cached():
        pod = worker.list("pods")[0]
        pod["status"]["phase"] = "Failed"  # changed in memory, never written
        raise ZeroDivisionError
    with worker.lock(), worker.cached():
        assert worker.list("pods")[0]["status"]["phase"] == "Running"


def test_a_span_that_writes_before_it_lists_still_sees_another_process(tmp_path: Path) -> None:
    writer = Store(tmp_path)
    with writer.lock():
        writer.create("pods", _pod("a"))
    worker = _worker_store(tmp_path)
    with worker.lock(), worker.cached():
        worker.list("pods")
    with writer.lock():
        writer.create("pods", _pod("b"))
    with worker.lock(), worker.cached():
        worker.create("events", {"kind": "Event", "metadata": {"name": "e", "namespace": "default"}})
        assert _names(worker.list("pods")) == [("default", "a"), ("default", "b")]


def test_a_span_looks_at_the_counter_once_and_the_next_span_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Holding the lock from its first look to its end, a span needs one look at the resourceversion
    file, however often it lists; the next span looks again and sees another process's write."""
    writer = Store(tmp_path)
    with writer.lock():
        writer.create("pods", _pod("a"))
    worker = _worker_store(tmp_path)
    looks: list[int] = []
    marker = Store._marker
    monkeypatch.setattr(Store, "_marker", lambda self: looks.append(1) or marker(self))
    with worker.lock(), worker.cached():
        worker.list("jobs")
        worker.list("pods")
        assert worker.kept_listing("pods") is not None
        assert len(looks) == 1
    with writer.lock():
        writer.create("pods", _pod("b"))
    with worker.lock(), worker.cached():
        assert worker.kept_listing("pods") is None  # another process wrote: let go
        assert _names(worker.list("pods")) == [("default", "a"), ("default", "b")]


# ---------------------------------------------------------------- the lock


def test_the_lock_excludes_another_process_and_times_out_cleanly(tmp_path: Path) -> None:
    store = Store(tmp_path)
    ready_r, ready_w = os.pipe()
    holder = os.fork()
    if holder == 0:
        with Store(tmp_path).lock():
            os.write(ready_w, b"x")
            time.sleep(1.0)
        os._exit(0)
    os.read(ready_r, 1)
    start = time.monotonic()
    with (
        pytest.raises(StoreError, match=f"^error: timed out waiting for the lock on {tmp_path}$"),
        store.lock(timeout=0.2),
    ):
        pass
    assert 0.2 <= time.monotonic() - start < 0.6
    # Once the holder lets go (by exiting here), the lock is had at once.
    with store.lock(timeout=5):
        store.create("jobs", {"metadata": {"name": "after", "namespace": "default"}})
    os.waitpid(holder, 0)
    assert store.get("jobs", "default", "after") is not None


def test_the_lock_is_released_with_the_span_and_reentrant(tmp_path: Path) -> None:
    store = Store(tmp_path)
    with store.lock(), store.lock():
        store.create("jobs", {"metadata": {"name": "a", "namespace": "default"}})
    other = Store(tmp_path)
    with other.lock(timeout=0.1):  # not still held by the first store
        other.create("jobs", {"metadata": {"name": "b", "namespace": "default"}})


def _record_syncs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the store syncs and renames, in order: `fsync jobs` (a file of that kind, or of the
    counter), `fdatasync pods` (a log), `syncfs`, `rename jobs`."""
    from kjob import store as store_module

    seen: list[str] = []
    real_replace, real_fsync, real_fdatasync = os.replace, os.fsync, os.fdatasync

    def what(path: str) -> str:
        name = Path(path).name
        return "resourceversion" if "resourceversion" in name else Path(path).parent.parent.name

    def fd_path(fd: int) -> str:
        return os.readlink(f"/proc/self/fd/{fd}")

    def replace(src: str, dst: str) -> None:
        seen.append(f"rename {what(dst)}")
        real_replace(src, dst)

    def fsync(fd: int) -> None:
        seen.append(f"fsync {what(fd_path(fd))}")
        real_fsync(fd)

    def fdatasync(fd: int) -> None:
        seen.append(f"fdatasync {what(fd_path(fd))}")
        real_fdatasync(fd)

    monkeypatch.setattr(store_module, "_syncfs", lambda root: seen.append("syncfs"))
    monkeypatch.setattr(store_module.os, "replace", replace)
    monkeypatch.setattr(store_module.os, "fsync", fsync)
    monkeypatch.setattr(store_module.os, "fdatasync", fdatasync)
    return seen


def test_a_cached_span_makes_its_reserved_versions_durable_before_any_object_lands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A span's block of resourceVersions is stored and synced as it is reserved, before the flush
    writes any object that carries one of them (events-only spans too); a command's span gives back
    what it did not use as it lets go of the lock (not synced: a crash only leaves a gap)."""
    seen = _record_syncs(monkeypatch)
    store = Store(tmp_path)
    with store.lock(), store.cached():
        store.create("events", {"metadata": {"name": "e", "namespace": "default"}})
        store.create("jobs", job("j"))
    assert seen == [
        "fsync resourceversion",
        "rename resourceversion",
        "fsync jobs",
        "rename jobs",
        "rename resourceversion",
    ]
    seen.clear()
    with store.lock(), store.cached():
        store.create("events", {"metadata": {"name": "f", "namespace": "default"}})
    # The event goes to its namespace's log, not synced (events are ephemeral).
    assert seen == ["fsync resourceversion", "rename resourceversion", "rename resourceversion"]
    seen.clear()
    with store.lock(), store.cached():
        for i in range(FSYNC_EACH + 1):
            store.create("jobs", job(f"k{i}"))
    # More files than are worth syncing one by one: one syncfs for them all.
    assert seen == [
        "fsync resourceversion",
        "rename resourceversion",
        "syncfs",
        *["rename jobs"] * (FSYNC_EACH + 1),
        "rename resourceversion",
    ]
    assert [e["metadata"]["name"] for e in Store(tmp_path).list("events")] == ["e", "f"]


def test_current_gives_objects_as_a_cached_span_holds_them_now(tmp_path: Path) -> None:
    store = Store(tmp_path)
    with store.lock():
        for name in ("a", "b", "c", "d"):
            store.create("jobs", job(name))
    with store.lock(), store.cached():
        listed = [store.must_get("jobs", "default", name) for name in ("a", "b", "c")]
        changed = dict(listed[0], spec={"changed": True})
        store.update("jobs", changed)
        store.delete("jobs", "default", "b")
        # "d" was not read in this span: current() reads it as get() would; "never" does not exist.
        now = store.current("jobs", [*listed, job("d"), job("never")])
        assert [o["metadata"]["name"] for o in now] == ["a", "c", "d"]
        assert now[0]["spec"] == {"changed": True} and now[1] is listed[2]
    assert [o["metadata"]["name"] for o in store.current("jobs", listed)] == ["a", "c"]  # outside a span


def _counter_writes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the store writes into its resourceversion file, write by write."""
    from kjob import store as store_module

    writes: list[str] = []
    real_replace = os.replace

    def replace(src: str, dst: str) -> None:
        if str(dst).endswith("resourceversion"):
            writes.append(Path(src).read_text())
        real_replace(src, dst)

    monkeypatch.setattr(store_module.os, "replace", replace)
    return writes


def test_a_command_reserves_a_block_of_versions_and_gives_back_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path)
    with store.lock():
        store.create("jobs", job("before"))
    writes = _counter_writes(monkeypatch)
    with store.lock(), store.cached():
        made = [store.create("jobs", job(f"j{i}")) for i in range(3)]
        store.delete("jobs", "default", "before")
    versions = [int(o["metadata"]["resourceVersion"]) for o in made]
    assert versions == [versions[0], versions[0] + 1, versions[0] + 2]
    # The block's end first, then, as the lock is let go, the last version given (the delete's).
    assert writes == [str(versions[0] + RESOURCE_VERSION_BLOCK - 1), str(versions[-1] + 1)]
    monkeypatch.undo()
    other = Store(tmp_path)  # another command goes on from there
    with other.lock():
        later = other.create("jobs", job("later"))
    assert int(later["metadata"]["resourceVersion"]) == versions[-1] + 2


def test_the_worker_keeps_its_block_of_versions_from_pass_to_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store that remembers its reads (the worker's) keeps its block across locked spans while
    no one else writes: its passes write no counter. A command's write in between takes its versions
    after the block's end; the worker's next pass then reserves a block after the command's. Each
    version is given once, and later writes get larger ones."""
    worker = _worker_store(tmp_path)
    writes = _counter_writes(monkeypatch)
    versions = []
    for i in range(5):
        with worker.lock(), worker.cached():
            versions.append(int(worker.create("jobs", job(f"w{i}"))["metadata"]["resourceVersion"]))
    assert versions == list(range(versions[0], versions[0] + 5))
    assert writes == [str(versions[0] + RESOURCE_VERSION_BLOCK - 1)]  # the block, reserved once
    command = Store(tmp_path)
    with command.lock():
        by_command = int(command.create("jobs", job("c"))["metadata"]["resourceVersion"])
    assert by_command == versions[0] + RESOURCE_VERSION_BLOCK
    with worker.lock(), worker.cached():
        # The worker's pass sees the command's job, and writes after it.
        assert "c" in [o["metadata"]["name"] for o in worker.list("jobs")]
        after = int(worker.create("jobs", job("w5"))["metadata"]["resourceVersion"])
    assert after == by_command + 1
    assert writes[-1] == str(after + RESOURCE_VERSION_BLOCK - 1)


def test_the_worker_gives_back_its_block_as_it_exits_or_leaves_a_gap_if_killed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker = _worker_store(tmp_path)
    with worker.lock(), worker.cached():
        last = int(worker.create("jobs", job("a"))["metadata"]["resourceVersion"])
    # Killed here, the worker leaves its block's end in the file: the next command skips the rest of
    # the block and reuses no version.
    command = Store(tmp_path)
    with command.lock():
        assert int(command.create("jobs", job("b"))["metadata"]["resourceVersion"]) > last
    with worker.lock(), worker.cached():
        last = int(worker.create("jobs", job("c"))["metadata"]["resourceVersion"])
    with worker.lock():
        worker.give_back_versions()
    with command.lock():
        assert int(command.create("jobs", job("d"))["metadata"]["resourceVersion"]) == last + 1
    # Given back after someone else wrote, the block is dropped, not stored over their counter.
    with worker.lock(), worker.cached():
        worker.create("jobs", job("e"))
    with command.lock():
        theirs = int(command.create("jobs", job("f"))["metadata"]["resourceVersion"])
    with worker.lock():
        worker.give_back_versions()
    assert int((tmp_path / "resourceversion").read_text()) == theirs


def test_a_namespace_directory_removed_underneath_is_made_again(tmp_path: Path) -> None:
    """The store remembers the directories it made; a write that finds one gone fails once, cleanly,
    and the next makes it again (the worker retries a failed pass)."""
    import shutil

    store = Store(tmp_path)
    store.remember_reads()
    with store.lock(), store.cached():
        store.create("jobs", job("a", "team"))
    shutil.rmtree(tmp_path / "jobs" / "team")
    with pytest.raises(StoreError), store.lock(), store.cached():
        store.create("jobs", job("b", "team"))
    with store.lock(), store.cached():
        store.create("jobs", job("b", "team"))
    assert [o["metadata"]["name"] for o in Store(tmp_path).list("jobs", "team")] == ["b"]


def test_a_flush_syncs_once_and_lands_jobs_before_pods_each_object_once_as_it_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker's pass writes jobs and pods: the jobs are synced, then renamed in order, then the
    pods are appended to their log and synced (a job's count lands before the pod that loses its
    finalizer, and the pods before their containers start), each object once, in its last state of
    the span. The counter is written only when the worker reserves a block of versions."""
    seen = _record_syncs(monkeypatch)
    store = _worker_store(tmp_path)
    with store.lock(), store.cached():
        store.create("jobs", job("first"))
    seen.clear()
    with store.lock(), store.cached():
        pod = store.create("pods", _pod("p"))
        made = store.create("jobs", job("j"))
        store.update("jobs", dict(made, spec={"round": 1}))
        store.update("jobs", dict(store.must_get("jobs", "default", "j"), spec={"round": 2}))
        store.update("pods", dict(pod, spec={"round": 1}))
    assert seen == ["fsync jobs", "rename jobs", "fdatasync pods"]
    on_disk = json.loads((tmp_path / "jobs" / "default" / "j.json").read_text())["object"]
    assert on_disk["spec"] == {"round": 2}
    lines = (tmp_path / "pods" / "default" / ".log").read_bytes().splitlines()
    assert len(lines) == 1
    pod_on_disk = json.loads(lines[0])["object"]
    assert pod_on_disk["spec"] == {"round": 1}
    assert int(pod_on_disk["metadata"]["resourceVersion"]) > int(on_disk["metadata"]["resourceVersion"])


def test_pods_written_ahead_are_there_before_the_span_ends_and_synced_after_its_jobs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker writes the pods whose containers it starts ahead of its pass's other writes
    (write_ahead), unsynced: another process reads them at once. The span's end writes the rest as
    before, jobs synced and renamed first, and syncs the log those pods went to with the others."""
    seen = _record_syncs(monkeypatch)
    store = _worker_store(tmp_path)
    with store.lock(), store.cached():
        store.create("jobs", job("j"))
        store.create("pods", _pod("done"))
    seen.clear()
    with store.lock(), store.cached():
        made = store.must_get("jobs", "default", "j")
        store.update("jobs", dict(made, spec={"round": 1}))
        store.update("pods", dict(store.must_get("pods", "default", "done"), status={"phase": "Succeeded"}))
        new = store.create("pods", _pod("new", phase="Pending"))
        assert store.write_ahead("pods", [new, _pod("not-written-in-this-span")]) == [new]
        assert seen == []  # written, not synced
        reader = Store(tmp_path)
        assert reader.must_get("pods", "default", "new")["status"] == {"phase": "Pending"}
        assert reader.must_get("pods", "default", "done")["status"] == {"phase": "Running"}
        assert reader.must_get("jobs", "default", "j")["spec"] == {}
    assert seen == ["fsync jobs", "rename jobs", "fdatasync pods"]
    lines = (tmp_path / "pods" / "default" / ".log").read_bytes().splitlines()
    assert [json.loads(line)["object"]["metadata"]["name"] for line in lines] == ["done", "new", "done"]
    assert Store(tmp_path).must_get("pods", "default", "done")["status"] == {"phase": "Succeeded"}


def test_a_span_that_only_wrote_ahead_still_syncs_what_it_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lines written ahead reach the disk by the span's end, though it has nothing else to write;
    and an object written again after it was written ahead lands in its last state."""
    seen = _record_syncs(monkeypatch)
    store = _worker_store(tmp_path)
    with store.lock(), store.cached():
        store.write_ahead("pods", [store.create("pods", _pod("a", phase="Pending"))])
        assert "fdatasync pods" not in seen
    assert seen[-1:] == ["fdatasync pods"]  # (after the counter's first block, reserved as the span began)
    seen.clear()
    with store.lock(), store.cached():
        pod = store.update("pods", dict(store.must_get("pods", "default", "a"), status={"phase": "Running"}))
        store.write_ahead("pods", [pod])
        store.update("pods", dict(pod, status={"phase": "Succeeded"}))
    assert seen == ["fdatasync pods"]
    assert Store(tmp_path).must_get("pods", "default", "a")["status"] == {"phase": "Succeeded"}
    assert len((tmp_path / "pods" / "default" / ".log").read_bytes().splitlines()) == 3


# ---------------------------------------------------------------- pods: a log a namespace


def _counting_loads(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    from kjob import store as store_module

    parsed: list[bytes] = []
    real = json.loads

    def loads(data: bytes, *a: object, **k: object) -> object:
        parsed.append(data)
        return real(data, *a, **k)

    monkeypatch.setattr(store_module.json, "loads", loads)
    return parsed


def test_one_pod_is_read_from_a_log_of_many_without_parsing_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker = _worker_store(tmp_path)
    with worker.lock(), worker.cached():
        for i in range(200):
            worker.create("pods", _pod(f"p{i}", phase="Pending"))
    for phase in ("Running", "Succeeded"):
        with worker.lock(), worker.cached():
            for pod in worker.list("pods"):
                worker.update("pods", dict(pod, status={"phase": phase}))
    with worker.lock(), worker.cached():
        worker.delete("pods", "default", "p3")
    assert len((tmp_path / "pods" / "default" / ".log").read_bytes().splitlines()) == 601
    parsed = _counting_loads(monkeypatch)
    reader = Store(tmp_path)
    assert reader.must_get("pods", "default", "p17")["status"] == {"phase": "Succeeded"}
    assert len(parsed) == 1  # its last line only
    assert Store(tmp_path).get("pods", "default", "p3") is None
    assert Store(tmp_path).get("pods", "default", "nope") is None
    assert len(parsed) == 1
    # A second read from the same log takes it in whole: a process reading many pods reads it once.
    assert reader.must_get("pods", "default", "p18")["status"] == {"phase": "Succeeded"}
    assert reader.list("pods") == Store(tmp_path).list("pods")


def test_a_pod_line_cut_short_or_of_an_earlier_release_is_read_as_the_whole_log_says(
    tmp_path: Path,
) -> None:
    writer = Store(tmp_path)
    with writer.lock():
        writer.create("pods", _pod("a", phase="Pending"))
        writer.create("pods", _pod("b", phase="Pending"))
    log = tmp_path / "pods" / "default" / ".log"
    with log.open("ab") as f:
        # A line written before log lines named their object, then one a crash cut short.
        line = json.dumps({"format": 1, "object": _pod("a", phase="Running")}, separators=(",", ":"))
        f.write(line.encode() + b"\n")
        f.write(b'{"format":1,"name":"b","object":{"apiVersion":"v1","kind":"Po')
    assert Store(tmp_path).must_get("pods", "default", "a")["status"] == {"phase": "Running"}
    assert Store(tmp_path).must_get("pods", "default", "b")["status"] == {"phase": "Pending"}
    assert [p["status"]["phase"] for p in Store(tmp_path).list("pods")] == ["Running", "Pending"]


def test_compacting_the_logs_leaves_only_what_lives_and_keeps_what_others_wrote(tmp_path: Path) -> None:
    worker = _worker_store(tmp_path)
    with worker.lock(), worker.cached():
        for name in ("a", "b", "c"):
            worker.create("pods", _pod(name, phase="Pending"))
    with worker.lock(), worker.cached():
        for pod in worker.list("pods"):
            worker.update("pods", dict(pod, status={"phase": "Succeeded"}))
        worker.delete("pods", "default", "c")
    other = Store(tmp_path)
    with other.lock():
        other.create("pods", _pod("d"))  # after the worker last read the log
    log = tmp_path / "pods" / "default" / ".log"
    assert len(log.read_bytes().splitlines()) == 7  # a span writes each object once: c, deleted
    before = Store(tmp_path).list("pods")
    with worker.lock():
        worker.compact_logs()
    assert len(log.read_bytes().splitlines()) == 3
    assert Store(tmp_path).list("pods") == before
    assert _names(before) == [("default", "a"), ("default", "b"), ("default", "d")]


def test_a_log_of_many_live_objects_is_rewritten_only_once_more_lines_are_dead_than_live(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kjob import store as store_module

    monkeypatch.setattr(store_module, "LOG_SLACK", 10)
    writer = Store(tmp_path)
    log = tmp_path / "pods" / "default" / ".log"

    def update(names: range) -> None:
        with writer.lock(), writer.cached():
            for i in names:
                pod = writer.must_get("pods", "default", f"p{i}")
                writer.update("pods", dict(pod, status={"phase": "Succeeded"}))

    with writer.lock(), writer.cached():
        for i in range(50):
            writer.create("pods", _pod(f"p{i}"))
    update(range(50))  # 50 dead lines, 50 live: past the slack, not past what lives
    assert log.read_bytes().count(b"\n") == 100
    update(range(1))
    assert log.read_bytes().count(b"\n") == 50
    assert [p["status"]["phase"] for p in Store(tmp_path).list("pods")] == ["Succeeded"] * 50


# ---------------------------------------------------------------- logs (events)


def _event(name: str, ns: str = "default", **extra: object) -> dict[str, object]:
    return {"kind": "Event", "metadata": {"name": name, "namespace": ns}, "reason": "R", **extra}


def _event_names(store: Store, ns: str | None = None) -> list[str]:
    return [e["metadata"]["name"] for e in store.list("events", ns)]


def test_events_live_in_one_log_a_namespace_read_by_any_process(tmp_path: Path) -> None:
    worker = _worker_store(tmp_path)
    with worker.lock(), worker.cached():
        for name in ("b", "a", "c"):
            worker.create("events", _event(name))
        worker.create("events", _event("x", ns="other"))
    with worker.lock(), worker.cached():
        updated = dict(worker.must_get("events", "default", "a"), count=2)
        worker.update("events", updated)
        assert worker.delete("events", "default", "c")
    assert sorted(p.name for p in (tmp_path / "events" / "default").iterdir()) == [".log"]
    reader = Store(tmp_path)
    assert _event_names(reader) == ["a", "b", "x"]
    assert _event_names(reader, "default") == ["a", "b"]
    assert reader.must_get("events", "default", "a")["count"] == 2
    assert reader.get("events", "default", "c") is None
    assert [e["metadata"]["name"] for e in reader.each("events")] == ["a", "b", "x"]
    # A command's writes (no cached span) go to the same log, and the reader sees them as they come.
    writer = Store(tmp_path)
    with writer.lock():
        writer.create("events", _event("d"))
        assert writer.delete("events", "default", "b")
        assert not writer.delete("events", "default", "b")
        with pytest.raises(AlreadyExists):
            writer.create("events", _event("a"))
    assert _event_names(reader, "default") == ["a", "d"]
    assert int(reader.must_get("events", "default", "d")["metadata"]["resourceVersion"]) > int(
        reader.must_get("events", "default", "a")["metadata"]["resourceVersion"]
    )


def test_an_event_is_gone_an_hour_after_it_was_last_written(tmp_path: Path) -> None:
    """The API server's --event-ttl: past it, an event is neither listed nor found, a repeat that
    rewrote it keeps it, and the worker's rewrite of the log as it exits leaves it out."""
    from kjob.objects import format_time, now

    stale, fresh = format_time(now() - EVENT_TTL - 5), format_time(now() - EVENT_TTL + 60)
    worker = _worker_store(tmp_path)
    with worker.lock(), worker.cached():
        worker.create("events", _event("old", firstTimestamp=stale, lastTimestamp=stale))
        worker.create("events", _event("repeated", firstTimestamp=stale, lastTimestamp=fresh))
        worker.create("events", _event("unstamped"))
    for store in (worker, Store(tmp_path)):
        assert _event_names(store) == ["repeated", "unstamped"]
        assert store.get("events", "default", "old") is None
        assert store.get("events", "default", "repeated") is not None
    log = tmp_path / "events" / "default" / ".log"
    assert b'"old"' in log.read_bytes()
    with worker.lock():
        worker.compact_logs()
    assert b'"old"' not in log.read_bytes() and b'"repeated"' in log.read_bytes()
    assert _event_names(Store(tmp_path)) == ["repeated", "unstamped"]


def test_an_event_file_from_before_the_logs_is_read_and_replaced_by_the_log(tmp_path: Path) -> None:
    directory = tmp_path / "events" / "default"
    directory.mkdir(parents=True)
    for name in ("old1", "old2"):
        (directory / f"{name}.json").write_text(json.dumps({"format": STORE_FORMAT, "object": _event(name)}))
    store = Store(tmp_path)
    with store.lock():
        store.create("events", _event("new"))
    assert _event_names(store) == ["new", "old1", "old2"]
    with store.lock():
        store.update("events", dict(store.must_get("events", "default", "old1"), count=5))
        assert store.delete("events", "default", "old2")
    assert sorted(p.name for p in directory.iterdir()) == [".log"]
    fresh = Store(tmp_path)
    assert _event_names(fresh) == ["new", "old1"]
    assert fresh.must_get("events", "default", "old1")["count"] == 5


def test_a_log_line_cut_short_by_a_crash_is_passed_over(tmp_path: Path) -> None:
    store = Store(tmp_path)
    with store.lock():
        store.create("events", _event("a"))
    log = tmp_path / "events" / "default" / ".log"
    with log.open("ab") as f:
        f.write(b'{"format":1,"object":{"kind":"Event","metadata":{"name":"torn"')  # no end, no newline
    assert _event_names(Store(tmp_path)) == ["a"]
    with store.lock():
        store.create("events", _event("b"))
    assert _event_names(Store(tmp_path)) == ["a", "b"]
    assert log.read_bytes().count(b"\n") == 3  # the torn line ended by the next write, on its own


def test_a_log_mostly_of_the_dead_is_rewritten_and_readers_follow(tmp_path: Path) -> None:
    from kjob.store import LOG_SLACK

    store = Store(tmp_path)
    reader = Store(tmp_path)
    with store.lock(), store.cached():
        store.create("events", _event("keep"))
    assert _event_names(reader) == ["keep"]
    log = tmp_path / "events" / "default" / ".log"
    for batch in range(3):
        with store.lock(), store.cached():
            for i in range(LOG_SLACK // 2):
                store.create("events", _event(f"gone-{batch}-{i:05d}"))
        with store.lock(), store.cached():
            for i in range(LOG_SLACK // 2):
                store.delete("events", "default", f"gone-{batch}-{i:05d}")
    # 6,001 lines written; rewritten with what lived once the dead passed LOG_SLACK, then 2,000 more.
    assert log.read_bytes().count(b"\n") <= LOG_SLACK + 1
    assert _event_names(reader) == ["keep"]  # a reader that knew the old log reads the new one
    assert _event_names(Store(tmp_path)) == ["keep"]


@pytest.fixture
def fast_encoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker's encoder (orjson) for this test only."""
    from kjob import store as store_module

    monkeypatch.setattr(store_module, "_encode", store_module._encode)  # restored afterwards
    store_module.use_fast_encoding()
    assert store_module._encode is not store_module._encode_json


def _tricky_pod(name: str) -> dict:
    pod = _pod(name, phase="Pending")
    pod["metadata"]["annotations"] = {"note": 'héllo ✓ \u2028 "quoted" \\ <tag>', "empty": ""}
    pod["spec"] = {"priority": -(2**40), "ok": True, "no": None, "list": [1, "two", {"three": [3.5]}]}
    return pod


def test_the_workers_encoder_writes_what_json_reads_back_the_same(
    tmp_path: Path, fast_encoding: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """orjson for the worker's writes: every object reads back as it was, a number beyond 64 bits
    too (orjson refuses it: json encodes that line), and one pod is still found in a log of many
    without parsing the others."""
    plain = _pod("plain", phase="Running")
    tricky = _tricky_pod("tricky")
    huge = dict(_tricky_pod("huge"), spec={"resources": {"limits": {"memory": 2**70}}})
    worker = _worker_store(tmp_path)
    with worker.lock(), worker.cached():
        for i in range(50):
            worker.create("pods", _pod(f"p{i}", phase="Pending"))
        worker.create("pods", plain)
        worker.create("pods", tricky)
        worker.create("pods", huge)
        worker.create("jobs", dict(job("j"), spec={"note": "naïve", "big": 2**64}))
    log = (tmp_path / "pods" / "default" / ".log").read_bytes()
    assert "héllo".encode() in log  # written by orjson: UTF-8, not json's \u escapes
    parsed = _counting_loads(monkeypatch)
    got = Store(tmp_path).must_get("pods", "default", "tricky")
    assert len(parsed) == 1
    for key in ("annotations", "name"):
        assert got["metadata"][key] == tricky["metadata"][key]
    assert got["spec"] == tricky["spec"]
    assert Store(tmp_path).must_get("pods", "default", "plain")["status"] == {"phase": "Running"}
    assert Store(tmp_path).must_get("pods", "default", "huge")["spec"] == huge["spec"]
    assert Store(tmp_path).must_get("jobs", "default", "j")["spec"] == {"note": "naïve", "big": 2**64}


def test_the_workers_encoder_writes_json_s_bytes_for_ascii(fast_encoding: None) -> None:
    """Lines of the same bytes as before: readers that find an object by its line's start
    (_find_in_log) and earlier releases read them as ever."""
    from kjob import store as store_module

    pod = _pod("a")
    pod["metadata"]["labels"] = {"x": "1"}
    pod["spec"] = {"n": [1, 2.5, -3, True, None], "e": {}, "l": []}
    expected = json.dumps(
        {"format": STORE_FORMAT, "name": "a", "object": pod}, separators=(",", ":")
    ).encode()
    assert store_module._log_record("a", pod) == expected


def test_without_orjson_the_worker_encodes_with_json(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from kjob import store as store_module

    monkeypatch.setattr(store_module, "_encode", store_module._encode_json)
    monkeypatch.setitem(sys.modules, "orjson", None)  # as where its wheel could not be installed
    store_module.use_fast_encoding()
    assert store_module._encode is store_module._encode_json
    assert store_module._record(_pod("a")).startswith(b'{"format":')


def test_a_create_of_a_name_made_unique_is_not_looked_up_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker's events: named by their object and a stamp of its own, written without the lookup
    every other create makes (which still refuses a name that exists)."""
    store = Store(tmp_path)
    event = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "p.1", "namespace": "default"}}
    with store.lock():
        store.create("events", dict(event))
    looked: list[str] = []
    real_load = Store._load

    def load(self: Store, path: str):  # type: ignore[no-untyped-def]
        looked.append(path)
        return real_load(self, path)

    monkeypatch.setattr(Store, "_load", load)
    with store.lock(), pytest.raises(AlreadyExists):
        store.create("events", dict(event))
    assert looked
    looked.clear()
    with store.lock(), store.cached():
        store.create("events", {**event, "metadata": {"name": "p.2", "namespace": "default"}}, unique=True)
    assert looked == []
    assert [e["metadata"]["name"] for e in Store(tmp_path).list("events")] == ["p.1", "p.2"]


def test_uids_are_version_4_distinct_and_never_shared_with_a_forked_child() -> None:
    from kjob.objects import new_uid

    uids = [new_uid() for _ in range(5000)]
    assert len(set(uids)) == 5000
    assert all(u[14] == "4" and u[19] in "89ab" and len(u) == 36 for u in uids)
    new_uid()  # the pool holds bytes now
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.write(write, "".join(new_uid() for _ in range(50)).encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    child = os.read(read, 1 << 16).decode()
    os.close(read)
    ours = "".join(new_uid() for _ in range(50))
    assert {child[i : i + 36] for i in range(0, len(child), 36)}.isdisjoint(
        {ours[i : i + 36] for i in range(0, len(ours), 36)}
    )


def test_a_lost_resourceversion_counter_goes_on_from_the_highest_version_stored(tmp_path: Path) -> None:
    """An empty, garbage or missing counter file (a crash, a hand) counted from 0 again, and objects
    shared versions: it goes on from the highest one stored."""
    store = Store(tmp_path)
    versions = []
    for i, damage in enumerate(["", "garbage", None, "0"]):
        with store.lock():
            store.create("jobs", {"kind": "Job", "metadata": {"name": f"j{i}", "namespace": "default"}})
            store.create("events", _event(f"e{i}"))
        versions.append(int(store.must_get("events", "default", f"e{i}")["metadata"]["resourceVersion"]))
        counter = tmp_path / "resourceversion"
        if damage is None:
            counter.unlink()
        else:
            counter.write_text(damage)
    with store.lock():
        store.create("jobs", {"kind": "Job", "metadata": {"name": "last", "namespace": "default"}})
    versions.append(int(store.must_get("jobs", "default", "last")["metadata"]["resourceVersion"]))
    assert versions == sorted(set(versions)) and versions[0] > 0
