"""The state directory: paths, locking, atomic versioned JSON objects, list/get/create/update/delete."""

from __future__ import annotations

import builtins
import contextlib
import functools
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kjob.errors import AlreadyExists, Conflict, NotFound, StoreError
from kjob.objects import JOB_RESOURCE, POD_RESOURCE, Obj, name_of, namespace_of

# On-disk format of every object file; bumped with a migration when the layout changes.
STORE_FORMAT = 1
KINDS = ("jobs", "pods", "events")
RESOURCE_OF_KIND = {"jobs": JOB_RESOURCE, "pods": POD_RESOURCE, "events": "events"}
# resourceVersions are reserved durably in blocks, so a crash can only skip numbers, never reuse one.
RESOURCE_VERSION_BLOCK = 1000
# Events are ephemeral (the API server keeps them an hour): they are not fsynced.
EPHEMERAL_KINDS = frozenset({"events"})
# A name must be a DNS-1123 subdomain before it becomes a path: no `/`, no `..`, no leading dot.
_SAFE_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


def default_home() -> Path:
    env = os.environ.get("KJOB_HOME")
    if env:
        return Path(env)
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(state) / "kjob"


@functools.lru_cache(maxsize=65536)
def safe_name(name: str) -> bool:
    return bool(_SAFE_NAME.match(name)) and ".." not in name and len(name) <= 253


def atomic_write(path: Path | str, data: bytes, mode: int = 0o600, durable: bool = True) -> None:
    """Write to a temp file in the same folder, fsync, rename: readers see the old or the new file.

    `durable=False` skips the fsync: still atomic if a process dies, but a power cut may lose it.
    """
    path = str(path)
    head, tail = os.path.split(path)
    tmp = os.path.join(head, f".{tail}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise StoreError(f"cannot write {path}: {e.strerror or e}") from e


def _write_temp(path: str, data: bytes, mode: int = 0o600) -> str:
    head, tail = os.path.split(path)
    tmp = os.path.join(head, f".{tail}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)
    return tmp


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


class Store:
    """Objects as one JSON file each: `<home>/<kind>/<namespace>/<name>.json`.

    Reads take no lock (files are only ever replaced whole). Every read-modify-write happens inside
    `with store.lock():`, which also guards the resourceVersion counter.
    """

    def __init__(self, home: Path | str | None = None) -> None:
        self.home = Path(home) if home is not None else default_home()
        self._lock: Any = None
        self._lock_depth = 0
        self.corrupt: list[str] = []
        self._rv_next: int | None = None
        self._rv_ceiling = 0
        # While one process holds the lock for a whole pass (the worker), what it read or wrote stays
        # valid: nobody else can write. path -> object, or None for a known absence.
        self._cache: dict[str, Obj | None] | None = None
        # remember_reads(): path -> ((mtime_ns, size, inode), object), across cached spans.
        self._memo: dict[str, tuple[tuple[int, int, int], Obj]] | None = None
        # Writes held back until the cached span ends: path -> (kind, bytes or None to delete, durable).
        self._pending: dict[str, tuple[str, bytes | None, bool]] = {}

    # ------------------------------------------------------------ paths

    def ensure(self) -> None:
        try:
            self.home.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(self.home, 0o700)
        except OSError as e:
            raise StoreError(f"cannot create state directory {self.home}: {e.strerror or e}") from e

    def kind_dir(self, kind: str, namespace: str) -> Path:
        return self.home / kind / namespace

    def path(self, kind: str, namespace: str, name: str) -> Path:
        return Path(self._path(kind, namespace, name))

    def _path(self, kind: str, namespace: str, name: str) -> str:
        if not safe_name(name) or not safe_name(namespace):
            # Unreachable for validated objects; a guard so no name ever leaves the state directory.
            raise NotFound(RESOURCE_OF_KIND[kind], name)
        return f"{self.home}/{kind}/{namespace}/{name}.json"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    @property
    def run_dir(self) -> Path:
        return self.home / "run"

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
        # filelock costs ~20 ms to import, so only the paths that write pay for it.
        from filelock import FileLock, Timeout

        if self._lock is None:
            self._lock = FileLock(str(self.home / "store.lock"), mode=0o600)
        try:
            self._lock.acquire(timeout=timeout)
        except Timeout as e:
            raise StoreError(f"timed out waiting for the lock on {self.home}") from e
        except OSError as e:
            raise StoreError(f"cannot lock {self.home}: {e.strerror or e}") from e
        self._lock_depth = 1
        try:
            yield
        finally:
            self._lock_depth = 0
            try:
                self._settle_resource_version()
            finally:
                self._lock.release()

    @contextlib.contextmanager
    def cached(self) -> Iterator[None]:
        """Reads remembered and writes held back in memory, for one process holding lock() for the
        whole span (the worker's pass). Writes reach the disk at the end, each object once, jobs
        before pods before events: a job's record of a finished pod is on disk before the pod
        loses its tracking finalizer, so a crash cannot lose a count."""
        self._require_lock()
        self._cache = {}
        self._pending = {}
        try:
            yield
        finally:
            try:
                self._flush()
            finally:
                self._cache = None
                self._pending = {}

    def _remember_written(self, path: str) -> None:
        if self._memo is None or self._cache is None:
            return
        obj = self._cache.get(path)
        if obj is None:
            self._memo.pop(path, None)
            return
        with contextlib.suppress(OSError):
            st = os.stat(path)
            self._memo[path] = ((st.st_mtime_ns, st.st_size, st.st_ino), obj)

    def _flush(self) -> None:
        pending = self._pending
        if not pending:
            return
        groups = [*KINDS, *sorted({kind for kind, _, _ in pending.values()} - set(KINDS))]
        for group in groups:
            items = [
                (path, data, durable) for path, (kind, data, durable) in pending.items() if kind == group
            ]
            temps: list[tuple[str, str]] = []
            try:
                for path, data, _ in items:
                    if data is not None:
                        temps.append((_write_temp(path, data), path))
                if any(durable for _, data, durable in items if data is not None):
                    _syncfs(str(self.home))
                for tmp, path in temps:
                    os.replace(tmp, path)
                    self._remember_written(path)
                temps = []
                for path, data, _ in items:
                    if data is None:
                        with contextlib.suppress(FileNotFoundError):
                            os.unlink(path)
                        if self._memo is not None:
                            self._memo.pop(path, None)
            except OSError as e:
                for tmp, _ in temps:
                    with contextlib.suppress(OSError):
                        os.unlink(tmp)
                raise StoreError(f"cannot write to {self.home}: {e.strerror or e}") from e

    def _require_lock(self) -> None:
        if not self._lock_depth:
            raise RuntimeError("store write outside store.lock()")

    def next_resource_version(self) -> str:
        """A store-wide counter, like etcd's revision: every write gets a larger one."""
        self._require_lock()
        if self._rv_next is None or self._rv_next > self._rv_ceiling:
            start = self._read_resource_version() + 1
            self._rv_ceiling = start + RESOURCE_VERSION_BLOCK - 1
            atomic_write(self.home / "resourceversion", str(self._rv_ceiling).encode())
            self._rv_next = start
        value = self._rv_next
        self._rv_next += 1
        return str(value)

    def _read_resource_version(self) -> int:
        try:
            return int((self.home / "resourceversion").read_text() or "0")
        except (OSError, ValueError):
            return 0

    def _settle_resource_version(self) -> None:
        """Give back the unused part of the reserved block, so versions stay dense between commands."""
        if self._rv_next is None:
            return
        used, self._rv_next = self._rv_next - 1, None
        # Not fsynced: after a crash the file may still hold the reserved ceiling, which is only a gap.
        atomic_write(self.home / "resourceversion", str(used).encode(), durable=False)

    # ------------------------------------------------------------ reads

    def _load(self, path: Path | str) -> Obj | None:
        cache = self._cache
        if cache is not None:
            key = str(path)
            if key in cache:
                return cache[key]
            obj = self._read(path)
            cache[key] = obj
            return obj
        return self._read(path)

    def remember_reads(self) -> None:
        """Keep parsed objects for this process's lifetime, re-read only when a file changes (the
        worker: it re-lists everything on every pass, and most objects have not changed)."""
        self._memo = {}

    def _read(self, path: Path | str) -> Obj | None:
        memo = self._memo
        if memo is not None:
            try:
                st = os.stat(path)
            except FileNotFoundError:
                memo.pop(str(path), None)
                return None
            except OSError as e:
                raise StoreError(f"cannot read {path}: {e.strerror or e}") from e
            key = (st.st_mtime_ns, st.st_size, st.st_ino)
            hit = memo.get(str(path))
            if hit is not None and hit[0] == key:
                return hit[1]
            obj = self._parse(path)
            if obj is not None:
                memo[str(path)] = (key, obj)
            return obj
        return self._parse(path)

    def _parse(self, path: Path | str) -> Obj | None:
        try:
            with open(path, "rb") as f:
                raw = f.read()
        except FileNotFoundError:
            return None
        except OSError as e:
            raise StoreError(f"cannot read {path}: {e.strerror or e}") from e
        try:
            doc = json.loads(raw)
        except ValueError as e:
            raise StoreError(f"corrupt object file {path}: {e}") from e
        if not isinstance(doc, dict) or not isinstance(doc.get("object"), dict):
            raise StoreError(f"corrupt object file {path}: not a kjob object")
        if doc.get("format", 0) > STORE_FORMAT:
            raise StoreError(f"{path} was written by a newer kjob (format {doc.get('format')})")
        obj: Obj = doc["object"]
        return obj

    def get(self, kind: str, namespace: str, name: str) -> Obj | None:
        if not safe_name(name):
            return None
        return self._load(self._path(kind, namespace, name))

    def must_get(self, kind: str, namespace: str, name: str) -> Obj:
        obj = self.get(kind, namespace, name)
        if obj is None:
            raise NotFound(RESOURCE_OF_KIND[kind], name)
        return obj

    def list(self, kind: str, namespace: str | None = None) -> list[Obj]:
        """Every object of a kind, sorted by namespace then name as the API server lists them.

        A corrupt file is recorded in `self.corrupt` (one message per path) and skipped, so that one
        bad file does not hide the others.
        """
        base = self.home / kind
        namespaces = [namespace] if namespace is not None else self._namespaces(base)
        out: list[Obj] = []
        for ns in sorted(namespaces):
            try:
                names = os.listdir(base / ns)
            except FileNotFoundError:
                continue
            except OSError as e:
                self.corrupt.append(f"error: cannot read {base / ns}: {e.strerror or e}")
                continue
            for entry in sorted(names):
                if not entry.endswith(".json") or entry.startswith("."):
                    continue
                try:
                    obj = self._load(f"{base}/{ns}/{entry}")
                except StoreError as e:
                    self.corrupt.append(e.message)
                    continue
                if obj is not None:
                    out.append(obj)
        if self._pending:
            out = self._with_pending(kind, namespace, out)
        return out

    def _with_pending(
        self, kind: str, namespace: str | None, listed: builtins.list[Obj]
    ) -> builtins.list[Obj]:
        """Objects created in this cached span are not on disk yet, but exist."""
        seen = {id(o) for o in listed}
        extra = [
            obj
            for path, (pkind, data, _) in self._pending.items()
            if pkind == kind
            and data is not None
            and (obj := (self._cache or {}).get(path)) is not None
            and id(obj) not in seen
            and (namespace is None or namespace_of(obj) == namespace)
        ]
        if not extra:
            return listed
        return sorted([*listed, *extra], key=lambda o: (namespace_of(o), name_of(o)))

    @staticmethod
    def _namespaces(base: Path) -> builtins.list[str]:
        try:
            return [n for n in os.listdir(base) if not n.startswith(".")]
        except FileNotFoundError:
            return []
        except OSError as e:
            raise StoreError(f"cannot read {base}: {e.strerror or e}") from e

    # ------------------------------------------------------------ writes (lock held)

    def _write(self, kind: str, obj: Obj) -> Obj:
        obj.setdefault("metadata", {})["resourceVersion"] = self.next_resource_version()
        ns = namespace_of(obj)
        directory = self.kind_dir(kind, ns)
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"cannot create {directory}: {e.strerror or e}") from e
        payload = json.dumps({"format": STORE_FORMAT, "object": obj}, separators=(",", ":"))
        path = self._path(kind, ns, name_of(obj))
        if self._cache is not None:
            self._cache[path] = obj
            self._pending[path] = (kind, payload.encode(), kind not in EPHEMERAL_KINDS)
        else:
            atomic_write(path, payload.encode(), durable=kind not in EPHEMERAL_KINDS)
        return obj

    def create(self, kind: str, obj: Obj) -> Obj:
        self._require_lock()
        ns, name = namespace_of(obj), name_of(obj)
        path = self._path(kind, ns, name)
        known = self._cache is not None and path in self._cache
        if self._load(path) is not None or (not known and os.path.exists(path)):
            raise AlreadyExists(RESOURCE_OF_KIND[kind], name)
        return self._write(kind, obj)

    def update(self, kind: str, obj: Obj) -> Obj:
        """Replace an object; its resourceVersion must still be the stored one (optimistic concurrency)."""
        self._require_lock()
        ns, name = namespace_of(obj), name_of(obj)
        current = self.get(kind, ns, name)
        if current is None:
            raise NotFound(RESOURCE_OF_KIND[kind], name)
        expected = obj.get("metadata", {}).get("resourceVersion")
        if expected is not None and expected != current.get("metadata", {}).get("resourceVersion"):
            raise Conflict(
                f'Operation cannot be fulfilled on {RESOURCE_OF_KIND[kind]} "{name}": the object has been '
                "modified; please apply your changes to the latest version and try again"
            )
        return self._write(kind, obj)

    def delete(self, kind: str, namespace: str, name: str) -> bool:
        self._require_lock()
        path = self._path(kind, namespace, name)
        if self._cache is not None:
            existed = self._load(path) is not None
            self._cache[path] = None
            self._pending[path] = (kind, None, False)
            return existed
        try:
            os.unlink(path)
            return True
        except FileNotFoundError:
            return False
        except OSError as e:
            raise StoreError(f"cannot delete {self.path(kind, namespace, name)}: {e.strerror or e}") from e
