"""The state directory: paths, locking, atomic versioned JSON objects, list/get/create/update/delete."""

from __future__ import annotations

import builtins
import contextlib
import errno
import functools
import json
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from kjob import objects
from kjob.errors import AlreadyExists, Conflict, CorruptObject, NotFound, StoreError
from kjob.objects import SERVER_RESOURCE, Obj, name_of, namespace_of

if TYPE_CHECKING:
    # pathlib costs ~3 ms to import: reads work on strings, and only `home` and friends build Paths.
    from pathlib import Path

# On-disk format of every object file; bumped with a migration when the layout changes.
STORE_FORMAT = 1
# The pods' run directories (records, logs, working directories), and where earlier kjobs kept logs.
RUN_DIR = "run"
LOGS_DIR = "logs"
KINDS = ("jobs", "pods", "events")
_UNSEEN: Any = object()  # current(): an object this cached span has not read
_LOGGED = (-1, -1, -1)  # remember_reads(): the stamp of an object read from a log, not from a file
RESOURCE_OF_KIND = SERVER_RESOURCE
# resourceVersions are reserved durably in blocks, so a crash can only skip numbers, never reuse one.
RESOURCE_VERSION_BLOCK = 1000
# Events are ephemeral (the API server keeps them an hour): they are not fsynced.
EPHEMERAL_KINDS = frozenset({"events"})
# The API server's --event-ttl: an event is gone an hour after it was last written, whether or not
# the object it is about still exists (events have no owner for the garbage collector to follow).
EVENT_TTL = 3600
# Kinds kept as one append-only log a namespace, `<kind>/<namespace>/.log`, a JSON line for each write
# or delete, instead of a file an object: a pod's events are four objects, made in one pass, and a pod
# is written two or three times in its first few milliseconds. A file each (a temp file made, renamed
# over the last, whose inode is freed) cost the worker more than the pod itself; a pass's writes of a
# kind are one append. (Files of these kinds from before are still read; the log wins, and a write or
# delete of one removes its file.)
LOG_KINDS = frozenset({"events", "pods"})
LOG_NAME = ".log"
# The worker's singleton lock, in the state directory: its pid while one works (see Worker.acquire).
WORKER_LOCK = "worker.lock"
# A log is rewritten with only what lives in it once it holds this many more lines than that, and more
# lines than live objects: a reader parses at most about twice what lives.
LOG_SLACK = 2000
FSYNC_EACH = 4  # a flush of at most this many files syncs each, not the whole filesystem
# A name must be a DNS-1123 subdomain before it becomes a path: no `/`, no `..`, no leading dot.
# (Compiled on first use, by `re`: listing never needs it.)
_SAFE_NAME = r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"


def default_home() -> str:
    env = os.environ.get("KJOB_HOME")
    if env:
        return env
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return os.path.join(state, "kjob")


@functools.lru_cache(maxsize=65536)
def safe_name(name: str) -> bool:
    return bool(re.match(_SAFE_NAME, name)) and ".." not in name and len(name) <= 253


def atomic_write(path: os.PathLike[str] | str, data: bytes, mode: int = 0o600, durable: bool = True) -> None:
    """Write to a temp file in the same folder, fsync, rename: readers see the old or the new file.

    `durable=False` skips the fsync: still atomic if a process dies, but a power cut may lose it.
    """
    path = os.fspath(path)
    try:
        tmp, _ = _write_temp(path, data, os.getpid(), mode, durable)
        try:
            os.replace(tmp, path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as e:
        raise StoreError(f"cannot write {path}: {e.strerror or e}") from e


def _write_temp(
    path: str, data: bytes, pid: int, mode: int = 0o600, durable: bool = False
) -> tuple[str, os.stat_result]:
    """Write a temp file beside `path`; its name, and its stat (a rename keeps the inode, size and
    mtime, which is what remember_reads() knows a file by). A temp file that could not be written
    whole is removed."""
    head, tail = os.path.split(path)
    tmp = os.path.join(head, f".{tail}.{pid}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        write_all(fd, data)
        if durable:
            os.fsync(fd)
        st = os.fstat(fd)
    except OSError:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    os.close(fd)
    return tmp, st


# One encoder for every record. json.dumps with any option builds a new encoder on every call, and the
# check for circular references costs as much again: together ~3.3 of the ~17.6 us of a pod's record,
# which the worker encodes two or three times a pod. (What the store holds is parsed JSON, or built
# like it: no object holds itself.)
_ENCODE = json.JSONEncoder(separators=(",", ":"), check_circular=False).encode


def _encode_json(doc: Obj) -> bytes:
    return _ENCODE(doc).encode()


_encode: Callable[[Obj], bytes] = _encode_json
_decode_record: Callable[[bytes], Any] = json.loads


def use_fast_encoding() -> None:
    """Encode records with orjson from here on: the worker, which writes a pod two or three times and
    four events with it, spent a fifth of its time in json's encoder, and orjson encodes a pod ten
    times faster (1.3 against 15 us). The bytes are json's, but for text beyond ASCII, written as UTF-8
    instead of escaped (either reads back the same). What orjson refuses, an integer beyond 64 bits,
    goes through json. (A float it would write differently, NaN, has no field to be in: no field of
    the API is a float.) Not for the commands, which write an object or two: importing it costs ~10 ms
    (it imports dataclasses, uuid and datetime), which the worker spends once its first pass has
    started its containers."""
    global _encode, _decode_record
    try:
        import orjson
    except ImportError:  # a platform without its wheel: json it is
        return
    dumps = orjson.dumps
    # Run records too, which the worker reads for every container that ends: ~3 against ~18 us a
    # record. No object of the API: orjson reads an integer beyond 64 bits back as a float, and a
    # record holds pids, exit codes and times.
    _decode_record = orjson.loads

    def encode(doc: Obj) -> bytes:
        try:
            return dumps(doc)
        except TypeError:
            return _encode_json(doc)

    _encode = encode


def _record(obj: Obj) -> bytes:
    """An object as the store keeps it: in its file, or as a line of its kind's log."""
    return _encode({"format": STORE_FORMAT, "object": obj})


def _log_record(name: str, obj: Obj) -> bytes:
    """An object as a line of its kind's log: its name first, so that a reader after one object finds
    its lines without parsing the others (see _find_in_log)."""
    return _encode({"format": STORE_FORMAT, "name": name, "object": obj})


def _deletion_record(name: str) -> bytes:
    """A log line saying the object of that name is gone."""
    return _encode({"format": STORE_FORMAT, "deleted": name})


def _find_in_log(data: bytes, name: str) -> tuple[bool, Obj | None]:
    """The last line of a log about `name`, found by the prefix every line of this release starts with:
    (True, the object or None if deleted), or (False, None) when only parsing the whole log can tell
    (a line of an earlier release, or a last line cut short by a crash)."""
    quoted = json.dumps(name).encode()
    if quoted not in data:
        return True, None  # no line of any release names it
    head = b'\n{"format":%d,' % STORE_FORMAT
    data = b"\n" + data
    written = data.rfind(head + b'"name":' + quoted + b",")
    deleted = data.rfind(head + b'"deleted":' + quoted + b"}")
    start = max(written, deleted)
    if start < 0:
        return False, None
    end = data.find(b"\n", start + 1)
    if end < 0:
        return False, None
    if data.find(quoted, end) >= 0:
        return False, None  # a later line names it too (written by an earlier release, say)
    if start == deleted:
        return True, None
    try:
        obj = json.loads(data[start + 1 : end]).get("object")
    except ValueError:
        return False, None
    return (True, obj) if isinstance(obj, dict) else (False, None)


def json_lines(data: bytes, loads: Callable[[bytes], Any] = json.loads) -> Iterator[dict[str, Any]]:
    """The JSON objects on the whole lines of `data`, those its newlines end. A line that does not
    parse (a write cut short by a crash, the next write starting on a line of its own) or holds no
    object is passed over."""
    for line in data[: data.rfind(b"\n") + 1].split(b"\n"):
        if not line:
            continue
        try:
            entry = loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            yield entry


def record_lines(data: bytes) -> Iterator[dict[str, Any]]:
    """json_lines() of a run's record (see use_fast_encoding)."""
    return json_lines(data, _decode_record)


# A Unix socket's address holds 108 bytes, a NUL ending them.
_SUN_PATH_MAX = 107


def open_socket_address(path: str) -> tuple[str, int | None]:
    """`path` as the address of a Unix socket: itself, or, when it is longer than an address holds
    (a state directory deep in a tree), /proc/self/fd/N/<name>, through a descriptor of its
    directory, returned to be closed once the address is used. (bind() failed with `AF_UNIX path too
    long` past ~95 characters of KJOB_HOME, and the worker never started.)"""
    if len(os.fsencode(path)) <= _SUN_PATH_MAX:
        return path, None
    directory, name = os.path.split(path)
    fd = os.open(directory or ".", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    return f"/proc/self/fd/{fd}/{name}", fd


@contextlib.contextmanager
def socket_address(path: str) -> Iterator[str]:
    """open_socket_address() for one bind or send."""
    address, fd = open_socket_address(path)
    try:
        yield address
    finally:
        if fd is not None:
            os.close(fd)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


_LIBC: Any = None


def _syncfs(directory: str) -> None:
    """Flush one filesystem (the state directory's), once for a whole batch of files."""
    global _LIBC
    fd = os.open(directory, os.O_RDONLY)
    try:
        if _LIBC is None:
            import ctypes

            _LIBC = ctypes.CDLL(None, use_errno=True)
        if _LIBC.syncfs(fd) != 0:
            os.fsync(fd)
    except (AttributeError, OSError):
        os.sync()
    finally:
        os.close(fd)


def _flock(path: str, timeout: float, root: str) -> int:
    """An exclusive flock(2) on `path`, waited for up to `timeout` seconds; the open descriptor.

    Not the filelock package: the same flock, but its import costs 12-25 ms (logging, secrets,
    inspect), a third of a write command's start-up."""
    import fcntl

    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as e:
        raise StoreError(f"cannot lock {root}: {e.strerror or e}") from e
    deadline = time.monotonic() + timeout
    pause = 0.001
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                raise StoreError(f"timed out waiting for the lock on {root}") from None
            # Holders keep it for milliseconds: look again soon, then less often.
            time.sleep(pause)
            pause = min(pause * 2, 0.02)
        except OSError as e:
            os.close(fd)
            raise StoreError(f"cannot lock {root}: {e.strerror or e}") from e


def _event_cutoff() -> str:
    """The lastTimestamp before which an event has expired. Stamps are RFC 3339 in UTC at second
    precision, so they compare as strings."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(objects.now() - EVENT_TTL))


def _event_expired(event: Obj, cutoff: str) -> bool:
    stamp = event.get("lastTimestamp") or event.get("firstTimestamp")
    return isinstance(stamp, str) and stamp < cutoff


def _unexpired(events: builtins.list[Obj]) -> builtins.list[Obj]:
    cutoff = _event_cutoff()
    return [ev for ev in events if not _event_expired(ev, cutoff)]


def _expired_names(log: _Log) -> set[str]:
    cutoff = _event_cutoff()
    return {name for name, obj in log.objects.items() if obj is not None and _event_expired(obj, cutoff)}


def shape_error(obj: Obj) -> str | None:
    """What makes a parsed object no object of the API's: the parts every reader takes for what they
    are (metadata, spec and status objects, a name). A file edited by hand to `"spec": 5` is then
    reported and passed over like one cut short, instead of failing every listing it is in."""
    md = obj.get("metadata")
    if not isinstance(md, dict) or not isinstance(md.get("name"), str):
        return "metadata.name is not a string"
    for key in ("spec", "status"):
        if key in obj and not isinstance(obj[key], dict | None):
            return f"{key} is not an object"
    return None


class _Log:
    """What one log says, read up to its last whole line: name -> object, or None once deleted."""

    __slots__ = ("ino", "lines", "live", "objects", "offset")

    def __init__(self) -> None:
        self.ino = -1
        self.offset = 0
        self.objects: dict[str, Obj | None] = {}
        self.lines = 0
        self.live = 0  # objects not deleted

    def put(self, name: str, obj: Obj | None) -> None:
        self.live += (obj is not None) - (self.objects.get(name) is not None)
        self.objects[name] = obj
        self.lines += 1

    def apply(self, data: bytes, path: str) -> int:
        """Take in the whole lines of `data`; how many bytes they were. A line that does not parse (a
        write cut short by a crash, the next write starting on a line of its own) is passed over."""
        for entry in json_lines(data):  # its whole lines only
            if entry.get("format", 0) > STORE_FORMAT:
                raise StoreError(f"{path} was written by a newer kjob (format {entry.get('format')})")
            obj = entry.get("object")
            if isinstance(obj, dict) and shape_error(obj) is None:
                self.put(name_of(obj), obj)
            elif isinstance(entry.get("deleted"), str):
                self.put(entry["deleted"], None)
        return data.rfind(b"\n") + 1


class Store:
    """Jobs as one JSON file each, `<home>/jobs/<namespace>/<name>.json`; pods and events as a log a
    namespace, `<home>/<kind>/<namespace>/.log` (see LOG_KINDS).

    Reads take no lock (files are only ever replaced whole, logs only appended to or replaced whole
    by their rewrite). Every read-modify-write happens inside
    `with store.lock():`, which also guards the resourceVersion counter. Every command that writes
    moves that counter, so the `resourceversion` file also tells the worker, which remembers what it
    read, whether anyone else changed anything (see next_resource_version).
    """

    def __init__(self, home: os.PathLike[str] | str | None = None) -> None:
        root = os.fspath(home) if home is not None else default_home()
        # Paths are built as strings: pathlib is only imported by callers that ask for `home`.
        self.root = root.rstrip("/") or "/"
        self._home: Path | None = None
        self._lock: int | None = None  # the locked descriptor of store.lock, while lock() holds it
        self._lock_depth = 0
        self.corrupt: list[str] = []
        self._rv_next: int | None = None
        # The resourceversion file (see _marker) as this process last wrote it, reserving its block.
        self._rv_marker: tuple[int, int, bytes] | None = None
        # remember_reads(): the block was kept from one locked span to the next, and is still this
        # process's only if the file is still as it wrote it (see next_resource_version).
        self._rv_kept = False
        # Object directories this process has made or seen: a write into one needs no mkdir (in the
        # worker that was a few syscalls for every write). Forgotten when a write fails.
        self._dirs: set[str] = set()
        self._rv_ceiling = 0
        # While one process holds the lock for a whole pass (the worker), what it read or wrote stays
        # valid: nobody else can write. path -> object, or None for a known absence.
        self._cache: dict[str, Obj | None] | None = None
        # remember_reads(): path -> ((mtime_ns, size, inode), object), across cached spans.
        self._memo: dict[str, tuple[tuple[int, int, int], Obj]] | None = None
        # remember_reads(): each listing's paths in order, by (kind, namespace or None); true while
        # the resourceversion file is still `_seen` (inode, mtime, content), or changed only by this
        # process's own writes, which keep the listings up to date.
        self._listings: dict[tuple[str, str | None], builtins.list[str]] = {}
        self._seen: tuple[int, int, bytes] | None = None
        # In a cached span: the resourceversion file was looked at. The lock is held from that look to
        # the span's end, so only this process writes meanwhile and `_seen` stays true: one look a span.
        self._looked = False
        # Writes held back until the cached span ends: path -> (kind, object, or None to delete).
        self._pending: dict[str, tuple[str, Obj | None]] = {}
        # Logs that write_ahead() wrote to in this span, not synced yet: the span's end syncs them.
        self._unsynced: set[str] = set()
        self._logs: dict[str, _Log] = {}  # log path -> what it says, as far as read
        self._fresh_logs: set[str] | None = None  # in a cached span: the logs read in it
        self._peeked: set[str] = set()  # logs searched for one object, not read whole (see _read)
        # Object files of log kinds, from before the logs: directory -> their names, listed once a
        # process (nothing writes them any more), so that a name the log lacks costs no stat.
        self._legacy: dict[str, set[str]] = {}
        self._log_prefixes = tuple(f"{self.root}/{kind}/" for kind in LOG_KINDS)

    # ------------------------------------------------------------ paths

    @property
    def home(self) -> Path:
        if self._home is None:
            from pathlib import Path

            self._home = Path(self.root)
        return self._home

    def ensure(self) -> None:
        try:
            os.makedirs(self.root, mode=0o700, exist_ok=True)
            os.chmod(self.root, 0o700)
        except OSError as e:
            raise StoreError(f"cannot create state directory {self.root}: {e.strerror or e}") from e

    def path(self, kind: str, namespace: str, name: str) -> Path:
        from pathlib import Path

        return Path(self._path(kind, namespace, name))

    def _path(self, kind: str, namespace: str, name: str) -> str:
        if not safe_name(name) or not safe_name(namespace):
            # Unreachable for validated objects; a guard so no name ever leaves the state directory.
            raise NotFound(RESOURCE_OF_KIND[kind], name)
        return f"{self.root}/{kind}/{namespace}/{name}.json"

    # ------------------------------------------------------------ locking

    @contextlib.contextmanager
    def lock(self, timeout: float = 60.0) -> Iterator[None]:
        """The store's write lock; re-entrant within one process."""
        if self._lock_depth:
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
            return
        self.ensure()
        self._lock = _flock(f"{self.root}/store.lock", timeout, self.root)
        self._lock_depth = 1
        try:
            yield
        finally:
            self._lock_depth = 0
            try:
                self._settle_resource_version()
            finally:
                os.close(self._lock)  # closing the descriptor is what releases the flock
                self._lock = None

    @contextlib.contextmanager
    def cached(self) -> Iterator[None]:
        """Reads remembered and writes held back in memory, for one process holding lock() for the
        whole span (the worker's pass). Writes reach the disk at the end, each object once, jobs
        before pods before events: a job's record of a finished pod is on disk before the pod
        loses its tracking finalizer, so a crash cannot lose a count. (Pods that depend on no job's
        record may be written ahead: write_ahead().)"""
        self._require_lock()
        self._cache = {}
        self._pending = {}
        self._fresh_logs = set()
        self._looked = False
        try:
            yield
        except BaseException:
            # A span that failed may have changed objects in memory that it never wrote.
            self._forget()
            raise
        finally:
            try:
                self._flush()
            finally:
                self._cache = None
                self._pending = {}
                self._fresh_logs = None

    def _forget(self) -> None:
        self._logs.clear()
        self._legacy.clear()
        self._dirs.clear()
        if self._memo is not None:
            self._memo.clear()
        self._listings.clear()
        self._seen = None
        self._looked = False

    def _remember_written(self, kind: str, path: str, st: os.stat_result) -> None:
        """Keep what remember_reads() holds true to a file this process has just replaced."""
        if self._memo is None or self._cache is None:
            return
        self._relist(kind, path, present=True)
        obj = self._cache.get(path)
        if obj is None:
            self._memo.pop(path, None)
        else:
            self._memo[path] = ((st.st_mtime_ns, st.st_size, st.st_ino), obj)

    def _remember_logged(
        self, kind: str, namespace: str, entries: builtins.list[tuple[str, Obj | None]]
    ) -> None:
        """Keep what remember_reads() holds true to the objects this process has just logged."""
        if self._memo is None:
            return
        for name, obj in entries:
            path = f"{self.root}/{kind}/{namespace}/{name}.json"
            self._memo_logged(path, obj)
            self._relist(kind, path, present=obj is not None)

    def _memo_logged(self, path: str, obj: Obj | None) -> None:
        """What remember_reads() holds of an object of a log: the object, or nothing once it is gone."""
        assert self._memo is not None
        if obj is None:
            self._memo.pop(path, None)
        else:
            self._memo[path] = (_LOGGED, obj)

    def _relist(self, kind: str, path: str, present: bool) -> None:
        """Keep the remembered listings true to a file this process has just created or deleted."""
        if not self._listings:
            return
        import bisect  # only the worker remembers listings

        start = len(self.root) + len(kind) + 2

        def order(p: str) -> tuple[str, str]:
            ns, _, name = p[start : -len(".json")].partition("/")
            return ns, name

        entry = order(path)
        for (listed_kind, namespace), listing in self._listings.items():
            if listed_kind != kind or namespace not in (None, entry[0]):
                continue
            i = bisect.bisect_left(listing, entry, key=order)
            found = i < len(listing) and listing[i] == path
            if present and not found:
                listing.insert(i, path)
            elif not present and found:
                del listing[i]

    def write_ahead(self, kind: str, objs: Iterable[Obj]) -> builtins.list[Obj]:
        """Write some of this span's pending objects of a log kind now, ahead of the span's other
        writes and unsynced; the ones written, as they were written. The worker's pass writes the
        pods whose containers it starts this way and then starts them: the pod's line must be there
        before its process (whatever sees the process can read its pod), but need not be on disk, for
        a crash of the machine ends the process too. The span's end syncs these lines with the rest,
        after the jobs' files, and the pass's containers run meanwhile: the syncs took a third of the
        worker's time before its containers started. An object of `objs` not written in this span
        is left; one whose line must follow a job's record (a pod that lost its tracking finalizer
        this span: see cached()) is not the caller's to write ahead."""
        self._require_lock()
        pending = self._pending
        entries: dict[str, builtins.list[tuple[str, Obj | None]]] = {}
        ahead: builtins.list[Obj] = []
        for obj in objs:
            namespace = namespace_of(obj)
            entry = pending.pop(f"{self.root}/{kind}/{namespace}/{name_of(obj)}.json", None)
            if entry is None or entry[1] is None:
                continue
            entries.setdefault(namespace, []).append((name_of(entry[1]), entry[1]))
            ahead.append(entry[1])
        for namespace, logged in entries.items():
            self._unsynced.add(self._append(kind, namespace, logged, sync=False))
            self._remember_logged(kind, namespace, logged)
        return ahead

    def _sync_ahead(self, synced: set[str]) -> None:
        """Sync the logs write_ahead() wrote to that the flush did not sync as it wrote them."""
        unsynced, self._unsynced = self._unsynced - synced, set()
        for path in unsynced:
            try:
                fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
                try:
                    os.fdatasync(fd)
                finally:
                    os.close(fd)
            except OSError as e:
                raise self._write_failed(e) from e

    def _write_failed(self, e: OSError) -> StoreError:
        """What a failed write raises, once what this process remembers is let go (it may no longer
        be what the disk holds)."""
        self._forget()
        return StoreError(f"cannot write to {self.root}: {e.strerror or e}")

    def _flush(self) -> None:
        pending = self._pending
        if not pending:
            self._sync_ahead(set())
            return
        order = {kind: i for i, kind in enumerate(KINDS)}
        # Jobs before pods before events (see cached()); each object encoded once, as it is now, however
        # often the span wrote it.
        items = sorted(pending.items(), key=lambda item: order.get(item[1][0], len(KINDS)))
        pid = os.getpid()
        temps: list[tuple[str, str, str, os.stat_result]] = []  # (kind, path, temp path, its stat)
        renamed = 0
        files = [
            (path, kind, obj) for path, (kind, obj) in items if obj is not None and kind not in LOG_KINDS
        ]
        # Every file this flush renames is durable before the first rename (see below). (The versions
        # its objects carry were reserved durably before any of them was written: see
        # next_resource_version.)
        sync = any(kind not in EPHEMERAL_KINDS for _, kind, _ in files)
        # Each file synced on its own where they are few (a pass of the worker: a job or two); else
        # one syncfs, which also writes out whatever else the filesystem holds unwritten (the
        # launchers' records and logs): ~1.7 ms a pass, against ~0.2 ms a file.
        each = sync and len(files) <= FSYNC_EACH
        try:
            for path, kind, written in files:
                temps.append((kind, path, *_write_temp(path, _record(written), pid, durable=each)))
            # The renames reach the journal in the order they are made: after a crash, no pod's new
            # line is there without the job's file written before it. (And a file synced before it is
            # renamed over another is not flushed again by the rename, which ext4 does to unsynced
            # data: ~0.1 ms each.)
            if sync and not each:
                _syncfs(self.root)
            for kind, path, tmp, st in temps:
                os.replace(tmp, path)
                renamed += 1
                self._remember_written(kind, path, st)
            temps = []
            logged: dict[tuple[str, str], builtins.list[tuple[str, Obj | None]]] = {}
            for path, (kind, obj) in items:
                if kind in LOG_KINDS:
                    directory, _, file = path.rpartition("/")
                    ns = directory.rpartition("/")[2]
                    logged.setdefault((kind, ns), []).append((file[: -len(".json")], obj))
                elif obj is None:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(path)
                    if self._memo is not None:
                        self._memo.pop(path, None)
                        self._relist(kind, path, present=False)
            synced: set[str] = set()
            for (kind, ns), entries in logged.items():
                path = self._append(kind, ns, entries)
                if kind not in EPHEMERAL_KINDS:
                    synced.add(path)
                    self._remember_logged(kind, ns, entries)
            self._sync_ahead(synced)
            if any(kind in EPHEMERAL_KINDS for kind, _ in logged):
                # Events are dropped from the remembered listings, not kept sorted through thousands
                # of inserts: the worker writes five a pod and lists them only at its start.
                for key in [k for k in self._listings if k[0] in EPHEMERAL_KINDS]:
                    del self._listings[key]
        except OSError as e:
            for _, _, tmp, _ in temps[renamed:]:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
            raise self._write_failed(e) from e

    def _require_lock(self) -> None:
        if not self._lock_depth:
            raise RuntimeError("store write outside store.lock()")

    def next_resource_version(self) -> str:
        """A store-wide counter, like etcd's revision: every write gets a larger one. Versions are
        reserved in blocks, stored durably before any object carries one of them, so a crash can
        only skip numbers, never reuse one. A command gives back what it did not use as it lets go
        of the lock. The worker (remember_reads) keeps its block from pass to pass while no one else
        writes: most passes write no counter at all, where each one wrote, synced and renamed it (a
        third of the syncs that a pass waits for before its containers start)."""
        self._require_lock()
        if self._rv_kept:
            self._rv_kept = False
            if self._marker() != self._rv_marker:
                self._rv_next = None  # someone else wrote since: on from where they got to
        if self._rv_next is None or self._rv_next > self._rv_ceiling:
            before = self._marker()
            counted = _counter(before)
            start = (counted if counted > 0 else self._highest_version()) + 1
            self._rv_ceiling = start + RESOURCE_VERSION_BLOCK - 1
            self._write_counter(self._rv_ceiling, durable=True, before=before)
            self._rv_marker = self._seen
            self._rv_next = start
        value = self._rv_next
        self._rv_next += 1
        return str(value)

    def _highest_version(self) -> int:
        """The highest resourceVersion stored: where the counter goes on from when its file is gone,
        empty or garbage (a crash, a hand), so that no version is given twice. Nothing to read in a
        new state directory; all of it, once, in one whose counter was lost."""
        reader = Store(self.root)
        highest = 0
        for kind in KINDS:
            for obj in reader.list(kind):
                with contextlib.suppress(TypeError, ValueError):
                    highest = max(highest, int((obj.get("metadata") or {}).get("resourceVersion") or 0))
        return highest

    def _settle_resource_version(self) -> None:
        """As the lock is let go: a command gives back the unused part of its block, so versions stay
        dense between commands; the worker keeps it for its next pass (see give_back_versions)."""
        if self._rv_next is None:
            return
        if self._memo is not None and self._rv_marker is not None:
            self._rv_kept = True
            return
        self._give_back()

    def give_back_versions(self) -> None:
        """Store the last version given out as the counter, in place of the block's end: the worker
        does so as it exits."""
        self._require_lock()
        self._give_back()

    def _give_back(self) -> None:
        # Not fsynced: after a crash the file may still hold the block's end, which is only a gap.
        kept, self._rv_kept = self._rv_kept, False
        if self._rv_next is None or (kept and self._marker() != self._rv_marker):
            self._rv_next = self._rv_marker = None  # nothing reserved, or someone wrote after it
            return
        used, self._rv_next, self._rv_marker = self._rv_next - 1, None, None
        self._write_counter(used, durable=False, before=self._seen)

    def _write_counter(self, value: int, durable: bool, before: tuple[int, int, bytes] | None) -> None:
        try:
            atomic_write(f"{self.root}/resourceversion", str(value).encode(), durable=durable)
        except StoreError:
            self._forget()
            raise
        self._counter_written(before, None)

    def _counter_written(
        self, before: tuple[int, int, bytes] | None, after: tuple[int, int, bytes] | None
    ) -> None:
        if self._memo is not None:
            # What this process remembers is still true if the counter was as it last saw it: the
            # counter moved for its own writes, which keep what it remembers up to date. (A flush
            # knows what it wrote: the file's inode and mtime are its temp file's.)
            if before is None or before != self._seen:
                self._listings.clear()
            self._seen = after or self._marker()

    def _marker(self) -> tuple[int, int, bytes] | None:
        """The resourceversion file as (inode, mtime, content): it changes on every write."""
        try:
            with open(f"{self.root}/resourceversion", "rb") as f:
                st = os.fstat(f.fileno())
                return st.st_ino, st.st_mtime_ns, f.read()
        except OSError:
            return None

    # ------------------------------------------------------------ reads

    def _load(self, path: str) -> Obj | None:
        cache = self._cache
        if cache is not None:
            if path in cache:
                return cache[path]
            obj = self._read(path)
            cache[path] = obj
            return obj
        return self._read(path)

    def remember_reads(self) -> None:
        """Keep parsed objects for this process's lifetime (the worker: it re-lists everything on
        every pass, and most objects have not changed). A file is re-read only when it changed, and
        while no other process has written, a listing is not even re-read from the disk."""
        self._memo = {}
        self._listings = {}
        self._seen = None

    def _read(self, path: str) -> Obj | None:
        if path.startswith(self._log_prefixes):
            directory, _, file = path.rpartition("/")
            name = file[: -len(".json")]
            log_path = f"{directory}/{LOG_NAME}"
            if self._memo is None and log_path not in self._logs and log_path not in self._peeked:
                # The first object a process reads from a log (`kjob logs POD`, `describe pod`): its
                # lines found, not every line of a log of thousands of pods parsed. A second read of
                # the same log takes it in whole, and then only what is added to it.
                self._peeked.add(log_path)
                found, obj = self._peek(log_path, name)
                if found:
                    return obj if obj is not None else self._legacy_object(directory, name, path)
            log = self._read_log(log_path)
            obj = log.objects[name] if name in log.objects else self._legacy_object(directory, name, path)
            if self._memo is not None:
                # Kept beside the objects of files: a listing the worker remembers is read from here.
                self._memo_logged(path, obj)
            return obj
        return self._read_file(path)

    def _peek(self, log_path: str, name: str) -> tuple[bool, Obj | None]:
        try:
            with open(log_path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return True, None
        except OSError as e:
            raise StoreError(f"cannot read {log_path}: {e.strerror or e}") from e
        return _find_in_log(data, name)

    def _legacy_object(self, directory: str, name: str, path: str) -> Obj | None:
        if name not in self._legacy_names(directory):
            return None
        return self._read_file(path)

    def _legacy_names(self, directory: str, entries: builtins.list[str] | None = None) -> set[str]:
        names = self._legacy.get(directory)
        if names is None or entries is not None:
            if entries is None:
                try:
                    entries = os.listdir(directory)
                except OSError:
                    entries = []
            names = self._legacy[directory] = {
                e[: -len(".json")] for e in entries if e.endswith(".json") and not e.startswith(".")
            }
        return names

    def _read_file(self, path: str) -> Obj | None:
        memo = self._memo
        if memo is not None:
            try:
                st = os.stat(path)
            except FileNotFoundError:
                memo.pop(path, None)
                return None
            except OSError as e:
                raise StoreError(f"cannot read {path}: {e.strerror or e}") from e
            key = (st.st_mtime_ns, st.st_size, st.st_ino)
            hit = memo.get(path)
            if hit is not None and hit[0] == key:
                return hit[1]
            # Forgotten first: a file that no longer parses must not leave its old object behind.
            memo.pop(path, None)
            obj = self._parse(path)
            if obj is not None:
                memo[path] = (key, obj)
            return obj
        return self._parse(path)

    def _parse(self, path: str) -> Obj | None:
        try:
            with open(path, "rb") as f:
                raw = f.read()
        except FileNotFoundError:
            return None
        except OSError as e:
            raise StoreError(f"cannot read {path}: {e.strerror or e}") from e
        try:
            doc = json.loads(raw)
        except (ValueError, RecursionError) as e:
            raise CorruptObject(f"corrupt object file {path}: {e}") from e
        if not isinstance(doc, dict) or not isinstance(doc.get("object"), dict):
            raise CorruptObject(f"corrupt object file {path}: not a kjob object")
        if doc.get("format", 0) > STORE_FORMAT:
            raise StoreError(f"{path} was written by a newer kjob (format {doc.get('format')})")
        obj: Obj = doc["object"]
        problem = shape_error(obj)
        if problem:
            raise CorruptObject(f"corrupt object file {path}: {problem}")
        return obj

    # ------------------------------------------------------------ logs (LOG_KINDS)

    def _read_log(self, path: str) -> _Log:
        """A log as it is now: the lines written since it was last read are read, all of it again if it
        was rewritten meanwhile. Once a cached span: while it holds the lock, only its own writes
        change the log, and those are taken in as they are written."""
        log = self._logs.get(path)
        fresh = self._fresh_logs
        if log is not None and fresh is not None and path in fresh:
            return log
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            log = _Log()
        except OSError as e:
            raise StoreError(f"cannot read {path}: {e.strerror or e}") from e
        else:
            try:
                st = os.fstat(fd)
                if log is None or st.st_ino != log.ino or st.st_size < log.offset:
                    log = _Log()
                    log.ino = st.st_ino
                while st.st_size > log.offset:
                    data = os.pread(fd, st.st_size - log.offset, log.offset)
                    used = log.apply(data, path)
                    if not data or not used:
                        break  # what is left is a line still being written (or cut short)
                    log.offset += used
            except OSError as e:
                raise StoreError(f"cannot read {path}: {e.strerror or e}") from e
            finally:
                os.close(fd)
        self._logs[path] = log
        if fresh is not None:
            fresh.add(path)
        return log

    def _append(
        self, kind: str, namespace: str, entries: builtins.list[tuple[str, Obj | None]], sync: bool = True
    ) -> str:
        """Write objects (None: deleted) to a namespace's log of a kind, in one write, lock held; the
        log's path."""
        directory = f"{self.root}/{kind}/{namespace}"
        path = f"{directory}/{LOG_NAME}"
        log = self._read_log(path)
        data = b"".join(
            (_log_record(name, obj) if obj is not None else _deletion_record(name)) + b"\n"
            for name, obj in entries
        )
        try:
            if directory not in self._dirs:
                os.makedirs(directory, mode=0o700, exist_ok=True)
                self._dirs.add(directory)
            fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                st = os.fstat(fd)
                if st.st_size and os.pread(fd, 1, st.st_size - 1) != b"\n":
                    data = b"\n" + data  # after a line a crash cut short, on a line of its own
                write_all(fd, data)
                if sync and kind not in EPHEMERAL_KINDS:
                    os.fdatasync(fd)
            finally:
                os.close(fd)
        except OSError as e:
            raise self._write_failed(e) from e
        if st.st_ino == log.ino or (log.ino == -1 and st.st_size == 0):
            # Taken in as written, not read back (what was there before was read just now).
            log.ino, log.offset = st.st_ino, st.st_size + len(data)
            for name, obj in entries:
                log.put(name, obj)
            self._logs[path] = log
        else:
            self._logs.pop(path, None)
        legacy = self._legacy_names(directory)
        for name, _ in entries:
            if name in legacy:
                # The object's file from before the logs: the log speaks for it now.
                legacy.discard(name)
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(f"{directory}/{name}.json")
        self._compact(path, durable=kind not in EPHEMERAL_KINDS)
        return path

    def compact_logs(self) -> None:
        """Rewrite each log this process has read that holds lines no longer live (the worker, as it
        exits): the commands that read it next parse what lives and nothing else, where a job's pods
        were written three times each."""
        self._require_lock()
        for path in list(self._logs):
            kind = path[len(self.root) + 1 :].partition("/")[0]
            try:
                self._read_log(path)  # what other processes appended since: kept
            except StoreError:
                continue
            self._compact(path, durable=kind not in EPHEMERAL_KINDS, eager=True)

    def _compact(self, path: str, durable: bool, eager: bool = False) -> None:
        """Rewrite a log with only what lives in it: once it is mostly deleted or replaced objects, or
        (eager) once any of its lines is."""
        log = self._logs.get(path)
        if log is None:
            return
        dead = log.lines - log.live
        if not eager and dead <= max(LOG_SLACK, log.live):
            return
        expired = _expired_names(log) if path.startswith(f"{self.root}/events/") else set()
        if not dead and not expired:
            return
        live = {name: obj for name, obj in log.objects.items() if obj is not None and name not in expired}
        data = b"".join(_log_record(name, obj) + b"\n" for name, obj in live.items())
        try:
            tmp, st = _write_temp(path, data, os.getpid(), durable=durable)
            os.replace(tmp, path)
        except OSError:
            return  # a full disk: the log goes on as it is
        fresh = _Log()
        fresh.ino, fresh.offset = st.st_ino, len(data)
        fresh.objects, fresh.lines, fresh.live = dict(live), len(live), len(live)
        self._logs[path] = fresh

    def expired_events(self) -> builtins.list[tuple[str, str]]:
        """(namespace, name) of every stored event whose hour is up (see EVENT_TTL), hidden from
        list() and get() but still in its log until deleted."""
        base = f"{self.root}/events"
        return [
            (ns, name)
            for ns in self._namespaces(base)
            for name in sorted(_expired_names(self._read_log(f"{base}/{ns}/{LOG_NAME}")))
        ]

    def file_exists(self, kind: str, namespace: str, name: str) -> bool:
        """Whether an object of a kind kept as files (jobs) has one, read or not: a corrupt one is
        there though no listing holds it."""
        return safe_name(name) and safe_name(namespace) and os.path.exists(self._path(kind, namespace, name))

    def get(self, kind: str, namespace: str, name: str) -> Obj | None:
        if not safe_name(name):
            return None
        obj = self._load(self._path(kind, namespace, name))
        if obj is not None and kind == "events" and _event_expired(obj, _event_cutoff()):
            return None  # gone, as the API server's lease on it has run out
        return obj

    def current(self, kind: str, objs: Iterable[Obj]) -> builtins.list[Obj]:
        """`objs` as they are now: as written since they were read, and without those deleted. In a
        cached span, one dictionary lookup each instead of a get() (the worker asks it of every pod
        of a job on every pass)."""
        cache = self._cache
        out: builtins.list[Obj] = []
        for obj in objs:
            namespace, name = namespace_of(obj), name_of(obj)
            current = (
                _UNSEEN
                if cache is None
                else cache.get(f"{self.root}/{kind}/{namespace}/{name}.json", _UNSEEN)
            )
            if current is _UNSEEN:
                current = self.get(kind, namespace, name)
            if current is not None:
                out.append(current)
        return out

    def must_get(self, kind: str, namespace: str, name: str) -> Obj:
        obj = self.get(kind, namespace, name)
        if obj is None:
            raise NotFound(RESOURCE_OF_KIND[kind], name)
        return obj

    def list(self, kind: str, namespace: str | None = None) -> builtins.list[Obj]:
        """Every object of a kind, sorted by namespace then name as the API server lists them.

        A corrupt file is recorded in `self.corrupt` (one message per path) and skipped, so that one
        bad file does not hide the others.
        """
        if self._memo is not None and self._lock_depth:
            out = self._list_remembered(kind, namespace)
        elif kind in LOG_KINDS and self._fresh_logs is None:
            self._fresh_logs = set()  # each log read once for the whole listing
            try:
                out = self._load_all(self._scan(kind, namespace))
            finally:
                self._fresh_logs = None
        else:
            out = self._load_all(self._scan(kind, namespace))
        if self._pending:
            out = self._with_pending(kind, namespace, out)
        return _unexpired(out) if kind == "events" else out

    def each(self, kind: str, namespace: str | None = None) -> Iterator[Obj]:
        """list()'s objects one at a time, for a reader that need not hold them all at once: holding
        thousands of parsed objects costs more than parsing them (memory, and the cyclic garbage
        collector scanning them again and again)."""
        if self._memo is not None or self._cache is not None or kind in LOG_KINDS:
            yield from self.list(kind, namespace)
            return
        for _, _, path in self._scan(kind, namespace):
            try:
                obj = self._parse(path)
            except StoreError as e:
                self.corrupt.append(e.message)
                continue
            if obj is not None:
                yield obj

    def _load_all(self, listing: builtins.list[tuple[str, str, str]]) -> builtins.list[Obj]:
        out: builtins.list[Obj] = []
        for _, _, path in listing:
            try:
                obj = self._load(path)
            except StoreError as e:
                self.corrupt.append(e.message)
                continue
            if obj is not None:
                out.append(obj)
        return out

    def _list_remembered(self, kind: str, namespace: str | None) -> builtins.list[Obj]:
        """list() with remember_reads(), holding the lock: one look at the resourceversion file says
        whether any other process has written since this one last looked; if not, the listing and
        every object in it are as this process last saw or wrote them, and no file is touched.
        Only the lock's holder can know that no write is half done (every other writer holds the lock
        and moves the counter before its first file)."""
        marker = self._look_at_marker()
        key = (kind, namespace)
        memo = self._memo
        assert memo is not None
        listing = self._listings.get(key)
        if listing is None:
            corrupt = len(self.corrupt)
            scanned = self._scan(kind, namespace)
            out = self._load_all(scanned)
            # Only a listing read whole and clean is worth keeping: a corrupt or vanished file is
            # looked at again next time.
            paths = [p for _, _, p in scanned]
            if marker is not None and len(self.corrupt) == corrupt and all(p in memo for p in paths):
                self._listings[key] = paths
            return out
        cache = self._cache
        if cache is None or cache.keys().isdisjoint(listing):
            # The usual case, in one sweep: nothing of this listing written or read yet in this span.
            try:
                out = [memo[path][1] for path in listing]
            except KeyError:
                pass
            else:
                if cache is not None:
                    cache.update(zip(listing, out, strict=True))
                return out
        out = []
        for path in listing:
            if cache is not None and path in cache:
                obj = cache[path]
            elif (hit := memo.get(path)) is not None:
                obj = hit[1]
                if cache is not None:
                    cache[path] = obj
            else:
                try:
                    obj = self._load(path)
                except StoreError as e:
                    self.corrupt.append(e.message)
                    continue
            if obj is not None:
                out.append(obj)
        return out

    def _look_at_marker(self) -> tuple[int, int, bytes] | None:
        """The resourceversion file as it is now; the remembered listings are let go if another process
        wrote since this one last looked. Read once a cached span (the worker's pass lists jobs, then
        asks for its kept listing of pods)."""
        if self._looked and self._cache is not None:
            return self._seen
        marker = self._marker()
        if marker is None or marker != self._seen:
            self._listings.clear()
            self._seen = marker
        self._looked = self._cache is not None
        return marker

    def kept_listing(self, kind: str) -> builtins.list[str] | None:
        """The listing of every object of a kind that this process keeps (remember_reads(), lock held),
        if it still holds: the same list from one call to the next while only this process writes,
        its own writes keeping it up to date. None where it keeps none, or another process wrote
        since it last looked (list() reads the disk again then). The worker keeps what it knows of
        the pods while this stays the same."""
        if self._memo is None or not self._lock_depth:
            return None
        self._look_at_marker()
        return self._listings.get((kind, None))

    def changes(self, kind: str) -> builtins.list[tuple[str, str, Obj | None]]:
        """(namespace, name, the object or None if deleted) of each object of a kind written so far in
        this cached span, as it will be written."""
        start = len(self.root) + len(kind) + 2
        out: builtins.list[tuple[str, str, Obj | None]] = []
        for path, (written_kind, obj) in self._pending.items():
            if written_kind == kind:
                namespace, _, file = path[start:].partition("/")
                out.append((namespace, file[: -len(".json")], obj))
        return out

    def prime(self, kind: str, objs: Iterable[Obj]) -> None:
        """Take `objs` as this span's reads of them, as a listing from memory would (the worker's pass,
        of the pods it has business with, when it lists none): objects this process remembers as they
        are, which nothing since has written."""
        cache = self._cache
        if cache is None:
            return
        base = f"{self.root}/{kind}/"
        for obj in objs:
            cache.setdefault(f"{base}{namespace_of(obj)}/{name_of(obj)}.json", obj)

    def _scan(self, kind: str, namespace: str | None) -> builtins.list[tuple[str, str, str]]:
        """(namespace, name, path) of every object file of a kind, in the API server's order."""
        base = f"{self.root}/{kind}"
        namespaces = [namespace] if namespace is not None else self._namespaces(base)
        found: builtins.list[tuple[str, str, str]] = []
        for ns in sorted(namespaces):
            directory = f"{base}/{ns}"
            try:
                entries = os.listdir(directory)
            except FileNotFoundError:
                continue
            except OSError as e:
                if e.errno == errno.ENAMETOOLONG:
                    continue  # a name no namespace can have (`-n` of 300 characters): none there
                message = f"cannot read {directory}: {e.strerror or e}"
                if namespace is not None:
                    raise StoreError(message) from e  # the one asked for: no listing to go on with
                self.corrupt.append(f"error: {message}")
                continue
            # Sorted by name, not by file name: `a` comes before `a-b`, as in etcd's key order.
            names = sorted(e[:-5] for e in entries if e.endswith(".json") and not e.startswith("."))
            if kind in LOG_KINDS:
                said = self._read_log(f"{directory}/{LOG_NAME}").objects
                self._legacy_names(directory, entries)
                live = (n for n, o in said.items() if o is not None)
                names = sorted({*(n for n in names if n not in said), *live})
            found += [(ns, name, f"{directory}/{name}.json") for name in names]
        return found

    def _with_pending(
        self, kind: str, namespace: str | None, listed: builtins.list[Obj]
    ) -> builtins.list[Obj]:
        """Objects created in this cached span are not on disk yet, but exist."""
        written = [
            obj
            for path, (pkind, pobj) in self._pending.items()
            if pkind == kind
            and pobj is not None
            and (obj := (self._cache or {}).get(path)) is not None
            and (namespace is None or namespace_of(obj) == namespace)
        ]
        if not written:
            return listed  # the worker's first listings of a pass: no set of every listed object built
        seen = {id(o) for o in listed}
        extra = [obj for obj in written if id(obj) not in seen]
        if not extra:
            return listed
        return sorted([*listed, *extra], key=lambda o: (namespace_of(o), name_of(o)))

    @staticmethod
    def _namespaces(base: str) -> builtins.list[str]:
        try:
            return [n for n in os.listdir(base) if not n.startswith(".")]
        except FileNotFoundError:
            return []
        except OSError as e:
            raise StoreError(f"cannot read {base}: {e.strerror or e}") from e

    # ------------------------------------------------------------ writes (lock held)

    def _write(self, kind: str, obj: Obj, ns: str, path: str) -> Obj:
        """Write `obj`, whose namespace and path the caller has worked out (create and update do)."""
        obj.setdefault("metadata", {})["resourceVersion"] = self.next_resource_version()
        directory = path.rpartition("/")[0]
        if directory not in self._dirs:
            try:
                os.makedirs(directory, mode=0o700, exist_ok=True)
            except OSError as e:
                raise StoreError(f"cannot create {directory}: {e.strerror or e}") from e
            self._dirs.add(directory)
        if self._cache is not None:
            # Encoded when the span ends, once, however often the span writes it.
            self._cache[path] = obj
            self._pending[path] = (kind, obj)
        elif kind in LOG_KINDS:
            self._append(kind, ns, [(name_of(obj), obj)])
            self._listings.clear()
        else:
            try:
                atomic_write(path, _record(obj), durable=kind not in EPHEMERAL_KINDS)
            except StoreError:
                self._dirs.clear()  # perhaps the directory went: make it again next time
                raise
            self._listings.clear()
        return obj

    def create(self, kind: str, obj: Obj, unique: bool = False) -> Obj:
        """`unique`: the caller made a name no stored object can have (the worker's events, each named
        by its object and a nanosecond stamp of the worker's own), so it is not looked up first: ~6 us
        of the ~50 an event costs the worker, four a pod."""
        self._require_lock()
        ns, name = namespace_of(obj), name_of(obj)
        path = self._path(kind, ns, name)
        # _load() looked at the disk if the span did not know the path: None is a true absence.
        if not unique and self._load(path) is not None:
            raise AlreadyExists(RESOURCE_OF_KIND[kind], name)
        return self._write(kind, obj, ns, path)

    def update(self, kind: str, obj: Obj) -> Obj:
        """Replace an object; its resourceVersion must still be the stored one (optimistic concurrency)."""
        self._require_lock()
        ns, name = namespace_of(obj), name_of(obj)
        path = self._path(kind, ns, name)
        current = self._load(path)
        if current is None:
            raise NotFound(RESOURCE_OF_KIND[kind], name)
        expected = obj.get("metadata", {}).get("resourceVersion")
        if expected is not None and expected != current.get("metadata", {}).get("resourceVersion"):
            raise Conflict.modified(RESOURCE_OF_KIND[kind], name)
        return self._write(kind, obj, ns, path)

    def delete(self, kind: str, namespace: str, name: str) -> bool:
        """Remove an object. Like etcd's revision, the counter moves for a delete too, so the worker
        (remember_reads()) sees a command's deletions."""
        self._require_lock()
        path = self._path(kind, namespace, name)
        if self._cache is not None:
            existed = self._load(path) is not None
            if existed:
                self.next_resource_version()
            self._cache[path] = None
            self._pending[path] = (kind, None)
            return existed
        self.next_resource_version()
        self._listings.clear()
        if kind in LOG_KINDS:
            existed = self._load(path) is not None
            if existed:
                self._append(kind, namespace, [(name, None)])
            return existed
        try:
            os.unlink(path)
            return True
        except FileNotFoundError:
            return False
        except OSError as e:
            raise StoreError(f"cannot delete {path}: {e.strerror or e}") from e


def _counter(marker: tuple[int, int, bytes] | None) -> int:
    try:
        return int(marker[2] or b"0") if marker is not None else 0
    except ValueError:
        return 0
