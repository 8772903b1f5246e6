"""Control groups for container runs, where the machine lets us write them: cgroup v2 to track and kill
every process of a run (cgroup.kill), memory and cpu limits through v2 controllers or the v1 ones, and the
nearest rlimit where neither is writable. Every step degrades quietly: a run never fails for want of a
cgroup."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import time
from collections.abc import Callable, Iterator

from kjob.objects import Record

V2_ROOTS = ("/sys/fs/cgroup", "/sys/fs/cgroup/unified")
V1_ROOT = "/sys/fs/cgroup"
PARENT = "kjob"
CPU_PERIOD_US = 100_000

_QUANTITY = re.compile(r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?:e([+-]?[0-9]+))?([a-zA-Z]*)$")
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "": 1,
    "n": 1e-9,
    "u": 1e-6,
    "m": 1e-3,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "P": 1e15,
    "E": 1e18,
}


def parse_quantity(text: object) -> float | None:
    """A Kubernetes resource quantity (`128Mi`, `500m`, `1.5`, `2e3`) as a number; None if invalid."""
    m = _QUANTITY.match(str(text).strip())
    if not m:
        return None
    number, exponent, suffix = m.groups()
    value = float(number) * (10 ** int(exponent) if exponent else 1)
    if suffix in _BINARY:
        return value * _BINARY[suffix]
    if suffix in _DECIMAL:
        return value * _DECIMAL[suffix]
    return None


class Limits(Record):
    __slots__ = ("cpu_millis", "memory")

    def __init__(self, memory: int | None = None, cpu_millis: int | None = None) -> None:
        self.memory = memory  # bytes
        self.cpu_millis = cpu_millis

    @classmethod
    def from_container(cls, container: dict[str, object]) -> Limits:
        resources = container.get("resources") or {}
        limits = resources.get("limits") if isinstance(resources, dict) else None
        limits = limits if isinstance(limits, dict) else {}
        memory = parse_quantity(limits["memory"]) if "memory" in limits else None
        cpu = parse_quantity(limits["cpu"]) if "cpu" in limits else None
        return cls(
            memory=int(memory) if memory else None,
            cpu_millis=max(1, round(cpu * 1000)) if cpu else None,
        )

    def any(self) -> bool:
        return self.memory is not None or self.cpu_millis is not None


class Placement(Record):
    """The cgroup directories one container run lives in, and how its limits are enforced."""

    __slots__ = ("kept", "notes", "rlimit_memory", "v1", "v2")

    def __init__(
        self,
        v2: str | None = None,
        v1: dict[str, str] | None = None,  # controller -> directory
        rlimit_memory: int | None = None,
        notes: list[str] | None = None,
        kept: bool = False,  # a launcher's, kept for its next run once this one leaves it empty (kept_name)
    ) -> None:
        self.v2 = v2
        self.v1: dict[str, str] = {} if v1 is None else v1
        self.rlimit_memory = rlimit_memory
        self.notes: list[str] = [] if notes is None else notes
        self.kept = kept

    def directories(self) -> list[str]:
        return [d for d in (self.v2, *self.v1.values()) if d]


_ROOT: list[str | None] = []  # the v2 root, once looked for: a launcher makes a cgroup for every run


def _v2_root() -> str | None:
    if _ROOT:
        return _ROOT[0]
    found = None
    for root in V2_ROOTS:
        if os.path.exists(os.path.join(root, "cgroup.procs")) and os.path.exists(
            os.path.join(root, "cgroup.controllers")
        ):
            found = root
            break
    _ROOT.append(found)
    return found


def _write(path: str, value: str) -> bool:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        os.write(fd, value.encode())
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def _make(directory: str) -> bool:
    try:
        os.mkdir(directory)  # one mkdir where kjob's parent cgroup is there, as it is after the first run
        return True
    except FileExistsError:
        return True
    except FileNotFoundError:
        pass
    except OSError:
        return False
    try:
        os.makedirs(directory, exist_ok=True)
        return True
    except OSError:
        return False


def create(run_id: str, limits: Limits) -> Placement:
    """Make the run's cgroups and set its limits, as far as this machine allows."""
    placement = Placement()
    root = _v2_root()
    v2_controllers: set[str] = set()
    if root is not None:
        directory = os.path.join(root, PARENT, run_id)
        if _make(directory):
            placement.v2 = directory
            v2_controllers = _passed_down(root)
    if limits.memory is not None:
        if (
            placement.v2
            and "memory" in v2_controllers
            and _write(os.path.join(placement.v2, "memory.max"), str(limits.memory))
        ):
            placement.notes.append("memory limit: cgroup v2")
            _write(os.path.join(placement.v2, "memory.swap.max"), "0")
            # As the kubelet asks of cgroup v2 (unless singleProcessOOMKill): an OOM kill takes the
            # whole container, not just the process that ran over.
            _write(os.path.join(placement.v2, "memory.oom.group"), "1")
        elif _v1("memory", run_id, placement) and _write(
            os.path.join(placement.v1["memory"], "memory.limit_in_bytes"), str(limits.memory)
        ):
            placement.notes.append("memory limit: cgroup v1")
            _write(os.path.join(placement.v1["memory"], "memory.memsw.limit_in_bytes"), str(limits.memory))
        else:
            placement.rlimit_memory = limits.memory
            placement.notes.append("memory limit: RLIMIT_AS (cgroups are not writable here)")
    if limits.cpu_millis is not None:
        quota = max(1000, limits.cpu_millis * CPU_PERIOD_US // 1000)
        if (
            placement.v2
            and "cpu" in v2_controllers
            and _write(os.path.join(placement.v2, "cpu.max"), f"{quota} {CPU_PERIOD_US}")
        ):
            placement.notes.append("cpu limit: cgroup v2")
        elif (
            _v1("cpu", run_id, placement)
            and _write(os.path.join(placement.v1["cpu"], "cpu.cfs_period_us"), str(CPU_PERIOD_US))
            and _write(os.path.join(placement.v1["cpu"], "cpu.cfs_quota_us"), str(quota))
        ):
            placement.notes.append("cpu limit: cgroup v1")
        else:
            placement.notes.append(
                "cpu limit: not enforced (no writable cpu cgroup; no rlimit matches a rate)"
            )
    return placement


def prepare() -> None:
    """Look up once, before the first run, what every run's cgroup needs: the v2 root, and the
    controllers passed down to kjob's parent."""
    root = _v2_root()
    if root is not None:
        _passed_down(root)


_PASSED: dict[str, set[str]] = {}


def _passed_down(root: str) -> set[str]:
    """The v2 controllers a run's cgroup may use: the root's, passed down to kjob's own parent (once
    a process: each write to a subtree_control waits for the cgroups removed meanwhile to go)."""
    if root in _PASSED:
        return _PASSED[root]
    controllers: set[str] = set()
    with contextlib.suppress(OSError), open(os.path.join(root, "cgroup.subtree_control")) as f:
        controllers = set(f.read().split())
    if controllers and not _write(
        os.path.join(root, PARENT, "cgroup.subtree_control"), " ".join(f"+{c}" for c in controllers)
    ):
        return controllers  # not cached: tried again with the next run
    _PASSED[root] = controllers
    return controllers


def _v1(controller: str, run_id: str, placement: Placement) -> bool:
    base = os.path.join(V1_ROOT, controller)
    if not os.path.exists(os.path.join(base, "cgroup.procs")) or os.path.exists(
        os.path.join(base, "cgroup.controllers")
    ):
        return False
    directory = os.path.join(base, PARENT, run_id)
    if _make(directory):
        placement.v1[controller] = directory
        return True
    return False


KEPT = "kept"


def kept_name(pid: int, start: int | None, number: int) -> str:
    """The name of a cgroup a launcher makes for one run and keeps for the next ones: its own pid and
    start time in it, so that what a launcher no longer alive kept can be told (see sweep)."""
    return f"{KEPT}.{pid}.{start}.{number}"


def empty(placement: Placement) -> bool:
    """Whether no process is left in the run's v2 cgroup (nor in any below it)."""
    if placement.v2 is None:
        return False
    try:
        fd = os.open(os.path.join(placement.v2, "cgroup.events"), os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        return b"populated 0" in os.read(fd, 4096)
    except OSError:
        return False
    finally:
        os.close(fd)


def sweep(alive: Callable[[int, int | None], bool]) -> None:
    """Remove the empty cgroups that launchers no longer alive kept (one killed cannot remove its own).
    Those with processes are left to kill_lost_run, which the record of their run leads to."""
    root = _v2_root()
    if root is None:
        return
    with contextlib.suppress(OSError), os.scandir(os.path.join(root, PARENT)) as entries:
        for entry in entries:
            parts = entry.name.split(".")
            # One with no start time in its name is left alone: its launcher cannot be told dead.
            if len(parts) != 4 or parts[0] != KEPT or not (parts[1].isdigit() and parts[2].isdigit()):
                continue
            if not alive(int(parts[1]), int(parts[2])):
                with contextlib.suppress(OSError):
                    os.rmdir(entry.path)


def find(run_id: str, kept: str | None = None) -> Placement:
    """The cgroups a run was given, found by name (for a run whose host, launcher or shim, is gone).
    `kept`: the name of the launcher's cgroup the run was started in, from the run's record."""
    placement = Placement()
    names = [run_id]
    if kept and kept.startswith(f"{KEPT}.") and "/" not in kept:
        names.insert(0, kept)
    for directory in (os.path.join(root, PARENT, name) for name in names for root in V2_ROOTS):
        if os.path.isdir(directory) and os.path.exists(os.path.join(directory, "cgroup.kill")):
            placement.v2 = directory
            break
    for controller in ("memory", "cpu"):
        directory = os.path.join(V1_ROOT, controller, PARENT, run_id)
        if os.path.isdir(directory):
            placement.v1[controller] = directory
    return placement


@contextlib.contextmanager
def inside(placement: Placement | None) -> Iterator[None]:
    """The calling process inside the run's cgroups for a moment, then back where it was: a process it
    starts meanwhile is born there, before it can fork anything that would escape."""
    directories = placement.directories() if placement else []
    if placement is None or not directories:
        yield
        return
    homes = _homes(placement)
    for directory in directories:
        _write(os.path.join(directory, "cgroup.procs"), "0")
    try:
        yield
    finally:
        for home in homes:
            _write(os.path.join(home, "cgroup.procs"), "0")


def join(placement: Placement) -> None:
    """Move the calling process (a shim's container, before its exec) into the run's cgroups, and set
    the memory rlimit where no cgroup takes the limit."""
    for directory in placement.directories():
        _write(os.path.join(directory, "cgroup.procs"), "0")
    if placement.rlimit_memory is not None:
        import resource

        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (placement.rlimit_memory, placement.rlimit_memory))


_OWN: dict[int, dict[str, str]] = {}  # pid -> what /proc/self/cgroup said


def _homes(placement: Placement) -> list[str]:
    """The cgroups this process is in now, in the hierarchies of the run's cgroups (<root>/kjob/<run>).
    Read once a process: inside() always steps back to where it was."""
    pid = os.getpid()
    paths = _OWN.get(pid)
    if paths is None:
        paths = {}  # controller ("" for v2) -> path within its hierarchy
        with contextlib.suppress(OSError), open("/proc/self/cgroup") as f:
            for line in f:
                _, controllers, path = line.rstrip("\n").split(":", 2)
                for controller in controllers.split(",") if controllers else [""]:
                    paths[controller] = path
        _OWN.clear()
        _OWN[pid] = paths
    by_controller = {**({"": placement.v2} if placement.v2 else {}), **placement.v1}
    return [
        os.path.dirname(os.path.dirname(directory)) + paths[controller].rstrip("/")
        for controller, directory in by_controller.items()
        if controller in paths
    ]


def can_enter() -> bool:
    """Whether this process may step into a run's cgroup and back out (see inside())."""
    root = _v2_root()
    if root is None:
        return False
    directory = os.path.join(root, PARENT, f"probe-{os.getpid()}")
    probe = Placement(v2=directory)
    if not _make(directory):
        return False
    try:
        with inside(probe):
            entered = os.getpid() in procs(probe)
        return entered and os.getpid() not in procs(probe)
    finally:
        with contextlib.suppress(OSError):
            os.rmdir(directory)


def procs(placement: Placement | None) -> list[int]:
    out: set[int] = set()
    for directory in placement.directories() if placement else []:
        with contextlib.suppress(OSError, ValueError), open(os.path.join(directory, "cgroup.procs")) as f:
            out.update(int(line) for line in f if line.strip())
    return sorted(out)


def kill(placement: Placement | None, sig: int = signal.SIGKILL) -> None:
    """Signal every process of the run, wherever it moved in the process tree."""
    if placement is None:
        return
    if sig == signal.SIGKILL and placement.v2 and _write(os.path.join(placement.v2, "cgroup.kill"), "1"):
        return
    for pid in procs(placement):
        with contextlib.suppress(OSError):
            os.kill(pid, sig)


def oom_killed(placement: Placement | None) -> bool:
    """Whether the kernel's OOM killer acted inside the run's memory cgroup."""
    if placement is None:
        return False
    candidates = []
    if placement.v2:
        candidates.append(os.path.join(placement.v2, "memory.events"))
    if "memory" in placement.v1:
        candidates.append(os.path.join(placement.v1["memory"], "memory.oom_control"))
    for path in candidates:
        with contextlib.suppress(OSError), open(path) as f:
            for line in f:
                key, _, value = line.partition(" ")
                if key == "oom_kill" and value.strip().isdigit() and int(value) > 0:
                    return True
    return False


def remove_if_empty(placement: Placement | None) -> bool:
    """Remove the run's cgroups if no process is left in them (True), which spares writing cgroup.kill
    and reading memory.events for the many runs that leave nothing behind. Not where a memory
    controller may have to tell of an OOM kill."""
    if placement is None or placement.v1 or placement.v2 is None or placement.notes:
        return False
    try:
        os.rmdir(placement.v2)
    except FileNotFoundError:
        pass
    except OSError:
        return False  # EBUSY: something of the run lives on
    placement.v2 = None
    return True


def remove(placement: Placement | None) -> None:
    """Remove the run's cgroups once they are empty (a cgroup with processes cannot be removed)."""
    for directory in placement.directories() if placement else []:
        for _ in range(50):
            try:
                os.rmdir(directory)
                break
            except FileNotFoundError:
                break
            except OSError:
                kill(placement)
                time.sleep(0.01)
