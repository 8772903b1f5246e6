"""The detached worker (Job controller plus kubelet): ensure_running() for the CLI, and the event-driven
loop that applies the controller's and the kubelet's decisions to the store and to processes."""

from __future__ import annotations

import contextlib
import fcntl
import gc
import itertools
import operator
import os
import sys
import time
from collections.abc import Iterable
from typing import Any, cast

from kjob.errors import StoreError
from kjob.objects import (
    FOREGROUND_FINALIZER,
    TRACKING_FINALIZER,
    Obj,
    awaits_collection,
    container_named,
    controller_ref,
    drop_tracking_finalizer,
    format_time,
    is_deleting,
    is_job_finished,
    job_needs_worker,
    meta,
    name_of,
    namespace_of,
    needs_worker,
    new_uid,
    pod_is_stopping,
    pod_is_terminal,
    random_suffix,
    release_from_owner,
    uid_of,
)
from kjob.store import LOGS_DIR, RUN_DIR, WORKER_LOCK, Store, socket_address, use_fast_encoding

LOCK_NAME = WORKER_LOCK
SOCKET_NAME = "worker.sock"
WATCH_DIR = "watch"
# What a watcher's wake-up says: a job's conditions changed, or a job went, in the pass just made
# (JOBS_MOVED); or only other things changed (OTHERS_MOVED), which `kjob wait` for a job's condition
# need not read the job again for. A wake-up of an older worker (b"c") says neither.
JOBS_MOVED = b"j"
OTHERS_MOVED = b"n"
# A watcher whose socket's name ends so is woken only by JOBS_MOVED: a job's condition is all it waits
# for. (A job of 1,000 pods is ~200 passes: each woke `kjob wait` for nothing.)
JOBS_ONLY = ".jobs.sock"
LOG_NAME = "worker.log"
STORE_RETRY = 1.0
# How often a worker waiting on running containers looks whether its state directory is still the one
# it locked: one removed and made again (`rm -rf ~/.kjob`, then kjob again) has a worker of its own,
# and no command can reach this one any more (its socket went with the directory).
HOME_CHECK = 2.0
BATCH_DELAY = 0.005
# How long a pass leaves alone a pod whose runs were asked of a launcher and not answered yet (see
# Worker._awaiting_launch): a launcher answers in about a millisecond, a few hundred of them in a row
# under load.
UNANSWERED_FOR = 1.0
# How long the directory of a removed pod is tried again, should a run still write into it as it stops
# (its output drains for 2 s after its end).
LEFTOVER_TRIES = 10.0
# How often a waiting command looks for a worker that died with work left (see Watcher._revive).
REVIVE_CHECK = 1.0
# Passes in a row while each one still changes something, before the loop sleeps again.
MAX_PASSES = 20
# Seconds between a starting worker's tries at its lock (None: give up): ~0.1 s in all.
ACQUIRE_RETRIES: tuple[float | None, ...] = (0.005, 0.01, 0.02, 0.03, 0.04, None)
# How long an idle worker waits for more work before it exits. Commands often come in a row (create,
# then wait, then the next create): a worker still there spares each of them a start-up (~60 ms of
# interpreter, imports and a first pass). Idle, it costs no CPU, only its memory.
LINGER = 2.0
# How often the worker deletes the events whose hour is up (the store hides them from then on).
EXPIRY_INTERVAL = 60.0
# How often a command that waits looks again when it cannot be woken (see Watcher).
WATCH_POLL = 0.2
# Launchers the worker starts. One starts its runs one after another (~1 ms of wall time a run here:
# two directories, four files, a cgroup, the spawn), which bounds how fast short pods go. On 2 cores,
# two launchers ran 1,000 completions 15% faster than one; three or four were no faster than two.
LAUNCHERS = max(1, min(2, os.cpu_count() or 1))
# Allocations between two collections of the young generation, once the worker runs (see _collect_from_now).
GC_YOUNG = 20_000


# ---------------------------------------------------------------- the CLI's side


def worker_alive(store: Store) -> bool:
    """Whether a worker holds this state directory's singleton lock."""
    try:
        fd = os.open(os.path.join(store.root, LOCK_NAME), os.O_RDONLY)
    except FileNotFoundError:
        return False
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


def died_at_work(store: Store) -> bool:
    """Whether the last worker of this state directory went without finishing: killed, or dead of a
    bug, its job's next pod perhaps due in a back-off that nothing now counts down. A worker writes
    its pid into its lock as it starts and empties it as it leaves with nothing left to do, so a pid
    in a lock that no one holds is one that did not. (A stat, and a look at the lock while one is
    there.)"""
    try:
        named = os.stat(os.path.join(store.root, LOCK_NAME)).st_size > 0
    except OSError:
        return False
    return named and not worker_alive(store)


def has_work(objects: Iterable[Obj]) -> bool:
    return any(needs_worker(obj) for obj in objects)


def ensure_running(store: Store, objects: Iterable[Obj] | None = None) -> None:
    """Make sure a worker will act on the store: nudge the live one, or start one.

    With `objects` (what a read command just loaded), a worker is started only if they show
    unfinished work, or if the last worker died with work left; without, the caller has just
    written something and the worker must look.
    """
    if objects is not None and not has_work(objects) and not died_at_work(store):
        return
    if worker_alive(store) or _early_worker_starting(store):
        # A worker that has not bound its socket yet misses the nudge, but its first pass comes after
        # the bind, and so after this process's writes. (So does that of a worker that takes the lock
        # before the one started early, which then leaves.)
        nudge(store)
        return
    spawn(store)


# The worker this process started ahead of its writes, and when, by state directory.
_STARTED_EARLY: dict[str, tuple[int, float]] = {}


def start_early(store: Store) -> None:
    """Start a worker now, if none runs, for a command about to write work for it (create -f): the
    worker's start-up (an interpreter, its imports, its launchers: ~40 ms) goes on while the command
    parses and validates its manifests. The command still calls ensure_running() once it has written.
    One that ends up writing nothing leaves a worker that finds no work and exits after LINGER."""
    try:
        if not worker_alive(store) and not _early_worker_starting(store):
            _STARTED_EARLY[os.path.abspath(store.root)] = (spawn(store), time.monotonic())
    except (OSError, StoreError):
        pass  # the command meets the same problem and says it


def _early_worker_starting(store: Store) -> bool:
    """Whether the worker this process started early for `store` is still coming up or holding its
    lock. Only within LINGER of its start: a worker gives up its lock no sooner than LINGER after its
    first pass, and one that has given it up may still be there, exiting."""
    early = _STARTED_EARLY.get(os.path.abspath(store.root))
    if early is None or time.monotonic() - early[1] >= LINGER:
        return False
    try:
        return os.waitpid(early[0], os.WNOHANG) == (0, 0)
    except ChildProcessError:
        return False


def nudge(store: Store) -> None:
    import socket

    with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.setblocking(False)
        with socket_address(os.path.join(store.root, SOCKET_NAME)) as address:
            s.sendto(b"n", address)


def spawn(store: Store) -> int:
    """Start a detached worker: its own session, no terminal, output to its log file. Its pid."""
    store.ensure()
    home = os.path.abspath(store.root)
    log_fd = os.open(os.path.join(home, LOG_NAME), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    # `python -m` puts its working directory first on sys.path: started from the user's directory,
    # a `kjob/` there would be the code the worker runs. It starts in / instead (posix_spawn cannot
    # change directory for the child alone, so this process steps there for the spawn and back).
    here = os.open(".", os.O_PATH | os.O_DIRECTORY)  # O_PATH: even a directory we may not read
    try:
        os.chdir("/")
        return os.posix_spawn(
            sys.executable,
            [sys.executable, "-m", "kjob.worker", home],
            _worker_env(),
            file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_DUP2, log_fd, 1),
                (os.POSIX_SPAWN_DUP2, log_fd, 2),
            ],
            setsid=True,
        )
    finally:
        os.fchdir(here)
        os.close(here)
        os.close(log_fd)


def _worker_env() -> dict[str, str]:
    env = dict(os.environ)
    # The worker must import this very kjob, wherever the CLI was loaded from.
    pkg_root = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    env["PYTHONPATH"] = pkg_root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


class Watcher:
    """A CLI process's subscription to the worker's passes: a datagram socket woken after each change."""

    def __init__(self, store: Store, jobs_only: bool = False) -> None:
        import socket

        gc.enable()  # a command that waits may wait for hours: off for its start (see kjob.cli.main)
        self.store = store
        self.looked_at = time.monotonic()  # when it last looked for a worker that died at work
        directory = os.path.join(store.root, WATCH_DIR)
        self.path = os.path.join(directory, f"{os.getpid()}{JOBS_ONLY if jobs_only else '.sock'}")
        self.sock: socket.socket | None = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            os.makedirs(directory, mode=0o700, exist_ok=True)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)
            with socket_address(self.path) as address:
                self.sock.bind(address)
        except OSError:
            # A state directory it cannot write to (mounted read-only, say): it looks again every
            # WATCH_POLL instead of being woken (wait, logs -f and get -w failed with an internal error).
            self.sock.close()
            self.sock = None

    def wait(self, timeout: float) -> bytes:
        """Sleep until the worker's next change (or the timeout); what its wake-ups said (b"" for
        none), each wake-up a byte (see JOBS_MOVED)."""
        if self.sock is None:
            time.sleep(min(max(timeout, 0.0), WATCH_POLL))
            self._revive()
            return b""
        said = []
        self.sock.settimeout(max(timeout, 0.0))
        with contextlib.suppress(OSError):
            said.append(self.sock.recv(64))
            self.sock.setblocking(False)
            while True:
                said.append(self.sock.recv(64))
        if not said:
            self._revive()
        return b"".join(said)

    def _revive(self) -> None:
        """A command waiting on the worker (wait, run, logs -f, get -w, delete) starts it again if it
        died with work left, as any command does as it starts: else what it waits for never comes (a
        `wait` timed out, a `run` hung). Looked at once a REVIVE_CHECK at most, when a wait heard
        nothing: a stat of the worker's lock."""
        now = time.monotonic()
        if now < self.looked_at + REVIVE_CHECK:
            return
        self.looked_at = now
        with contextlib.suppress(OSError, StoreError):
            if died_at_work(self.store):
                ensure_running(self.store, [])

    def close(self) -> None:
        if self.sock is None:
            return
        self.sock.close()
        with contextlib.suppress(OSError):
            os.unlink(self.path)

    def __enter__(self) -> Watcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------- the worker process


class Worker:
    def __init__(self, store: Store) -> None:
        import socket

        self.store = store
        self.node = socket.gethostname()
        self.selector: Any = None
        self.sock: Any = None
        self.notifier: Any = None  # the socket the watchers' wake-ups go out through
        self.pidfds: dict[int, int] = {}  # pid of a process hosting containers -> pidfd
        self.shims: set[int] = set()  # those of them that are shims
        self.stopping: dict[str, set[str]] = {}  # pod uid -> containers told to stop
        self.events: dict[tuple[str, ...], str] = {}  # (involved uid, namespace, ...) -> event name
        from kjob.recorder import Correlator  # the worker's alone: not on the commands' import path

        self.correlator = Correlator()
        self.notify_path = str(store.home / SOCKET_NAME)  # where its launchers say a run started or ended
        self.starts: dict[int, int | None] = {}
        self.dropped: dict[tuple[str, ...], int] = {}  # events the spam filter dropped, by key
        self.due: float | None = None
        self.lock_fd: int | None = None
        self.last_event_ns = 0
        # Whether objects went since events were last collected (so the first pass collects too).
        self.removed = True
        self.expire_at = 0.0  # when expired events are next deleted (the first pass does)
        # Every pod as the last pass left it, in the store's order, with its (namespace, name), and the
        # store's listing that this mirrors (see _list_pods).
        self.known: list[_Seen] = []
        self.known_keys: list[tuple[str, str]] = []
        self.known_listing: list[str] | None = None
        self.claim_jobs: dict[str, str] = {}
        self.retry_at = 0.0  # no pass before this time (after a failed one)
        # Container runs decided in this pass, each with its pod: started once the pod is written.
        self.launches: list[tuple[Obj, Any]] = []
        # Pods the job controller deleted uncounted (suspended, scaled down): no failures for its back-off.
        # Kept in memory, as the real controller keeps its back-off records.
        self.spared: set[str] = set()
        # Directories of removed pods that a stopping run wrote into as they went: path -> first try.
        self.leftovers: dict[str, float] = {}
        self.launchers: list[Any] = []  # kjob.runtime.Launcher
        self.turn = 0  # the launcher asked next
        self.created: list[Obj] = []  # pods the job controller created in this pass
        self.idle_since: float | None = None  # when the last pass found no work
        self.gone = False  # its state directory was removed (see _home_gone)
        self.last_change = 0.0  # time.monotonic() at the end of the last pass that changed something
        self.encoder_due = True  # orjson still to be taken up (see cycle)
        self.jobs_moved = False  # a job's conditions changed, or a job went, since watchers were told
        # Tests shorten Kubernetes' back-off delays (10 s doubling) with this one setting.
        self.backoff_scale = float(os.environ.get("KJOB_BACKOFF_SCALE", "1") or 1)

    # -------------------------------------------------------- life cycle

    def acquire(self) -> bool:
        self.store.ensure()
        fd = os.open(self.store.home / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
        # A command that asks whether a worker lives (worker_alive()) takes the lock for a moment: a
        # worker starting just then tried once, took it for another worker's and left, and the job it
        # was started for waited for the next command. Another worker holds it for seconds at least.
        for pause in ACQUIRE_RETRIES:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                if pause is None:
                    os.close(fd)
                    return False
                time.sleep(pause)
        os.set_inheritable(fd, False)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self.lock_fd = fd
        return True

    def _home_gone(self) -> bool:
        """Whether the state directory was removed, or removed and made again: its lock file is not
        the one this worker holds (or, driven pass by pass without the lock, not there at all)."""
        path = self.store.home / LOCK_NAME
        try:
            st = os.stat(path)
        except OSError:
            return True
        if self.lock_fd is None:
            return False
        held = os.fstat(self.lock_fd)
        return (st.st_dev, st.st_ino) != (held.st_dev, held.st_ino)

    def release(self) -> None:
        for launcher in self.launchers:
            launcher.close()
        if self.sock is not None:
            if not self._home_gone():  # else the socket there is another worker's
                with contextlib.suppress(OSError):
                    (self.store.home / SOCKET_NAME).unlink()
            self.sock.close()
            self.sock = None
        if self.lock_fd is not None:
            os.close(self.lock_fd)
            self.lock_fd = None

    def run(self) -> int:
        import selectors
        import socket

        if not self.acquire():
            return 0
        from kjob.runtime import set_process_name

        set_process_name(b"kjob-worker")
        self.selector = selectors.DefaultSelector()
        # Forked now, while the worker is small: see Launcher.
        self.launchers = [self.start_launcher() for _ in range(LAUNCHERS)]
        sock_path = self.store.home / SOCKET_NAME
        with contextlib.suppress(FileNotFoundError):
            sock_path.unlink()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        with socket_address(str(sock_path)) as address:
            self.sock.bind(address)
        self.sock.setblocking(False)
        self.selector.register(self.sock, selectors.EVENT_READ, "nudge")
        self._load_events()
        log(f"worker {os.getpid()} started for {self.store.home}")
        try:
            while True:
                if self.cycle():
                    break
        finally:
            self.release()
        why = "its state directory was removed" if self.gone else "no work left"
        log(f"worker {os.getpid()} exiting: {why}")
        return 0

    def cycle(self) -> bool:
        """One wake-up: passes until nothing changes, then sleep. True when the worker should exit."""
        if self.lock_fd is not None and self._home_gone():
            self.gone = True
            return True  # its launchers see it go, and end once their runs have
        pause = self.retry_at - time.time()
        if pause > 0:
            # After a failed pass (a full disk), nudges do not bring the next try any closer.
            self.wait(pause)
            return False
        for _ in range(MAX_PASSES):
            self.due = None
            try:
                done = False
                self.launches, self.created = [], []
                # The answers that came during the pass before: a run answered is looked at, not left
                # to wait (see _awaiting_launch()). wait() reads them too, but passes run back to back.
                for launcher in self.launchers:
                    self.watch_launched(launcher)
                with self.store.lock():
                    with self.store.cached():
                        changed, work = self.run_pass()
                        # Most containers start before the pass's writes reach the disk, their pods
                        # written ahead, and run while the jobs' files and the logs are synced.
                        self.start_launches(ahead=True)
                    if changed:
                        self.last_change = time.monotonic()
                    # The pass's writes are on disk now (cached() flushed them): start the others.
                    self.start_launches()
                    if work or self.shims:
                        self.idle_since = None
                    elif self.idle_since is None or time.time() < self.idle_since + LINGER:
                        self.idle_since = self.idle_since or time.time()
                        self.wake_at(self.idle_since + LINGER)
                    else:
                        with contextlib.suppress(StoreError):
                            self.store.compact_logs()
                        with contextlib.suppress(StoreError):
                            self.store.give_back_versions()  # versions stay dense for the commands
                        # Give up the singleton lock while still holding the store lock, so a CLI
                        # that writes next finds no worker and starts a fresh one. Emptied first: a
                        # lock left with a pid is a worker that died with work left (died_at_work()).
                        with contextlib.suppress(OSError):
                            os.ftruncate(self.lock_fd, 0)  # type: ignore[arg-type]
                        self.release()
                        done = True
                if self.encoder_due:
                    # Once the first pass has started its containers: importing orjson (dataclasses,
                    # uuid: ~10 ms) before it held up a new worker's first container as long.
                    self.encoder_due = False
                    use_fast_encoding()
                    if not gc.isenabled():
                        _collect_from_now()
                if done:
                    if changed:
                        self.notify_watchers()  # the last change must reach waiting commands too
                    return True
            except Exception as e:  # one bad pass must not end the worker
                self.launches = []  # their pods may not be on disk: the next pass decides again
                if not isinstance(e, StoreError):
                    import traceback

                    log(f"pass failed, retrying in {STORE_RETRY}s: {e}\n{traceback.format_exc()}")
                else:
                    # A full or read-only disk: the containers go on; try again a little later.
                    log(f"pass failed, retrying in {STORE_RETRY}s: {e.message}")
                self.retry_at = time.time() + STORE_RETRY
                self.wake_at(self.retry_at)
                break
            if changed:
                self.notify_watchers()
            else:
                break
        timeout = None if self.due is None else max(0.0, self.due - time.time())
        self.wait(timeout)
        return False

    def wait(self, timeout: float | None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready = self.selector.select(HOME_CHECK if left is None else min(left, HOME_CHECK))
            if ready or (left is not None and left <= HOME_CHECK) or self._home_gone():
                break
        pause = self.last_change + BATCH_DELAY - time.monotonic()
        if ready and pause > 0:
            # Gather what else happens in the next moments into the same pass (the real controller
            # batches pod events for a second; a few milliseconds keep one short job fast). Only
            # while things keep changing: the first news after a quiet spell (or after a pass that found
            # nothing new, as a command's nudge may cause) is acted on at once.
            time.sleep(pause)
            ready += self.selector.select(0)
        for key, _ in ready:
            if key.data == "nudge":
                with contextlib.suppress(OSError):
                    while True:
                        self.sock.recv(64)  # type: ignore[union-attr]
            elif isinstance(key.data, tuple):
                self.watch_launched(key.data[1])
            else:
                self._shim_exited(key.data)

    def _shim_exited(self, pid: int) -> None:
        self.shims.discard(pid)
        fd = self.pidfds.pop(pid, None)
        if fd is not None:
            with contextlib.suppress(KeyError, ValueError):
                self.selector.unregister(fd)
            os.close(fd)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)

    def start_launcher(self) -> Any:
        import selectors

        from kjob.runtime import Launcher

        launcher = Launcher()
        launcher.start()
        self.selector.register(launcher.fileno(), selectors.EVENT_READ, ("launcher", launcher))
        if launcher.pid is not None:
            self.watch_shim(launcher.pid, shared=True)  # watched from the start: its descriptor, too
        return launcher

    def start_launches(self, ahead: bool = False) -> None:
        """Start the runs the pass decided on. `ahead`: in the pass's cached span, those whose pods
        can be written ahead of its other writes (see Store.write_ahead()); the others are left for
        the call after the span, once its writes are on disk."""
        launches, self.launches = self.launches, []
        if ahead and launches:
            store = self.store
            # A pod that lost its tracking finalizer in this pass is written after its job's record of
            # it (cached()), so its run waits for the span's end. (A pod the pass did not write is on
            # disk as it is.)
            tracked = [
                pod
                for pod in store.current("pods", {id(pod): pod for pod, _ in launches}.values())
                if TRACKING_FINALIZER in (meta(pod).get("finalizers") or [])
            ]
            store.write_ahead("pods", tracked)
            early = {(namespace_of(pod), name_of(pod)) for pod in tracked}
            started: list[tuple[Obj, Any]] = []
            for pod, spec in launches:
                later = (namespace_of(pod), name_of(pod)) not in early
                (self.launches if later else started).append((pod, spec))
            launches = started
        if not launches:
            return
        if not self.launchers:  # a Worker driven pass by pass (tests), not by run()
            from kjob.runtime import Launcher

            self.launchers = [Launcher()]  # never started: the shims are forked here
        elif self.selector is not None:
            for i, launcher in enumerate(self.launchers):
                if launcher.fileno() < 0:
                    # Killed, or told to end: a new one hosts its share of the runs from now on (else
                    # the worker would fork a shim for each of them).
                    log("a launcher has gone: starting another")
                    self.launchers[i] = self.start_launcher()
        # Taken in turn, across passes too: a pass that starts one run gives it to the next launcher.
        shares: list[list[Any]] = [[] for _ in self.launchers]
        for _, spec in launches:
            shares[self.turn % len(shares)].append(spec)
            self.turn += 1
        for launcher, specs in zip(self.launchers, shares, strict=True):
            if specs:
                fd = launcher.fileno()
                for pid in launcher.launch(specs):
                    self.watch_shim(pid)
                self._forget_launcher(launcher, fd)

    def watch_launched(self, launcher: Any) -> None:
        fd, own = launcher.fileno(), launcher.pid
        for pid in launcher.replies():
            self.watch_shim(pid, shared=pid == own)
        self._forget_launcher(launcher, fd)

    def _forget_launcher(self, launcher: Any, fd: int) -> None:
        if fd >= 0 and launcher.fileno() < 0:
            # The launcher is gone and its socket closed: its number may come back as a pidfd.
            with contextlib.suppress(KeyError, ValueError):
                self.selector.unregister(fd)

    def asked_at(self, run_dir: str, container: str, attempt: int) -> float | None:
        """When a launcher was asked for a run it has not answered yet (None if none was)."""
        for launcher in self.launchers:
            asked = launcher.asked_at(run_dir, container, attempt)
            if asked is not None:
                return float(asked)
        return None

    def _remove_leftovers(self, now: float) -> bool:
        """Try again to remove the directories of removed pods that a run wrote into as it stopped;
        whether some are left to try (for LEFTOVER_TRIES seconds after the first try)."""
        import shutil

        for run_dir, first in list(self.leftovers.items()):
            shutil.rmtree(run_dir, ignore_errors=True)
            if not os.path.exists(run_dir) or now > first + LEFTOVER_TRIES:
                del self.leftovers[run_dir]
        if self.leftovers:
            self.wake_at(now + 0.5)
        return bool(self.leftovers)

    def _launching(self, run_dir: str) -> float | None:
        """Until when a launcher may still start a run of this pod directory that it was asked for and
        has not answered (None: no such run)."""
        from kjob.kubelet import LAUNCH_TIMEOUT

        prefix, now = run_dir + "/", time.time()
        until = [
            asked + LAUNCH_TIMEOUT
            for launcher in self.launchers
            for key, asked in launcher.asked.items()
            if key.startswith(prefix) and now < asked + LAUNCH_TIMEOUT
        ]
        return max(until) if until else None

    def watch_shim(self, pid: int, shared: bool = False) -> None:
        """Wake up when a process hosting containers ends. A shim keeps the worker from exiting while
        it lives; a launcher (shared) does not: it lives as long as its worker, and then as long as
        its runs, of which the pods tell."""
        import selectors

        if not shared:
            self.shims.add(pid)
        if pid in self.pidfds:
            return
        try:
            fd = os.pidfd_open(pid)
        except OSError:
            return
        self.pidfds[pid] = fd
        self.selector.register(fd, selectors.EVENT_READ, pid)

    def notify_watchers(self) -> None:
        """Wake the commands waiting on the store (kjob wait, get -w): after every pass that changed it."""
        said, self.jobs_moved = (JOBS_MOVED if self.jobs_moved else OTHERS_MOVED), False
        directory = f"{self.store.root}/{WATCH_DIR}"
        try:
            entries = os.listdir(directory)
        except OSError:
            return
        if not entries:
            return
        if self.notifier is None:
            import socket

            self.notifier = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self.notifier.setblocking(False)
        for entry in entries:
            if said == OTHERS_MOVED and entry.endswith(JOBS_ONLY):
                continue
            path = f"{directory}/{entry}"
            try:
                with socket_address(path) as address:
                    self.notifier.sendto(said, address)
            except ConnectionRefusedError:
                with contextlib.suppress(OSError):
                    os.unlink(path)
            except OSError:
                pass

    def wake_at(self, when: float | None) -> None:
        if when is not None:
            self.due = when if self.due is None else min(self.due, when)

    # -------------------------------------------------------- one pass

    def run_pass(self) -> tuple[bool, bool]:
        """Reconcile everything once. Returns (changed anything, work left)."""
        from kjob import controller, kubelet

        now = time.time()
        store = self.store
        self.starts = {}  # processes' start times, looked at once a pass
        if self._home_gone():
            return False, False  # the state directory was removed under us: nothing left to keep
        store.corrupt.clear()
        jobs = store.list("jobs")
        job_uids = {uid_of(j): j for j in jobs}
        changed = False
        work = False

        # -- garbage collection and TTL
        for job in jobs:
            ttl = (job.get("spec") or {}).get("ttlSecondsAfterFinished")
            if ttl is None or not is_job_finished(job):
                continue
            finished_at = _terminal_time(job)
            if finished_at is not None and now >= finished_at + float(ttl):
                # The TTL controller deletes with propagationPolicy Foreground: pods first, then the job.
                if not is_deleting(job):
                    job["metadata"]["deletionTimestamp"] = format_time(now)
                    job["metadata"]["finalizers"] = [*_finalizers(job), FOREGROUND_FINALIZER]
                    store.update("jobs", job)
                    changed = True
            else:
                self.wake_at((finished_at or now) + float(ttl))
                work = True

        seens = self._list_pods()
        if self._adopt_and_release(jobs, seens):
            changed = True
            self._take_in_writes()
            seens = list(self.known)

        pods_by_job: dict[str, list[_Seen]] = {}
        failing: set[str] = set()  # jobs with a failed pod
        kept: list[_Seen] = []
        # A pod that succeeded and is counted in its live job's status asks nothing of this pass: the
        # kubelet is done with it, and the controller looks at it only when some pod of its job failed.
        # Unless a pass needs every pod (below), the loop walks the others alone: a job of 5,000 pods
        # listed them all on each of its ~800 passes, ~0.3 us a pod each time, in this loop only.
        uncounted = [seen for seen in seens if not seen.counted]
        aside: list[_Seen] = []  # the counted pods, left out
        if not (
            len(uncounted) == len(seens)
            or any(is_deleting(j) for j in jobs)  # foreground deletion: every pod of the job
            or not job_uids.keys() >= set(map(_OWNER, seens)) - {None}  # orphans to collect
            # back-off counts from the last success: a failure, or a deletion, asks for every pod
            or any(seen.failed or seen.deleting for seen in uncounted)
        ):
            aside, seens = seens, uncounted
        # Read as the pass's own, as a listing would have them: the pass looks at these again.
        store.prime("pods", [seen.pod for seen in seens])
        for seen in seens:
            ref, owner = seen.ref, seen.owner
            if (
                ref
                and ref.get("kind") == "Job"
                and owner not in job_uids
                and not self._unreadable_owner(seen, jobs)
            ):
                pod = seen.pod
                if self._orphan(pod, now):
                    changed = True
                if store.get("pods", namespace_of(pod), name_of(pod)) is None:
                    continue
                seen = _Seen(store.must_get("pods", namespace_of(pod), name_of(pod)))
            kept.append(seen)
            if owner in job_uids:
                pods_by_job.setdefault(owner, []).append(seen)
                if seen.failed or seen.deleting:
                    failing.add(owner)

        # -- the kubelet
        for seen in kept:
            if seen.settled:
                continue
            pod = seen.pod
            if self._awaiting_launch(pod, now):
                work = True
                continue
            if self._sync_pod(pod, now, kubelet):
                changed = True
            current = store.get("pods", namespace_of(pod), name_of(pod))
            if current is not None and (
                not pod_is_terminal(current) or is_deleting(current) or pod_is_stopping(current)
            ):
                work = True

        # -- foreground deletion: a job being deleted goes once its pods are gone
        for job in [j for j in job_uids.values() if is_deleting(j) and awaits_collection(j)]:
            owned = store.current("pods", [seen.pod for seen in pods_by_job.get(uid_of(job), [])])
            for pod in owned:
                if not is_deleting(pod):
                    drop_tracking_finalizer(pod)
                    self._mark_deleted(pod, now)
                    store.update("pods", pod)
                    changed = True
            others = [f for f in _finalizers(job) if f != FOREGROUND_FINALIZER]
            if not owned and others:
                # The garbage collector's part is done; the user's finalizers hold the job on.
                job["metadata"]["finalizers"] = others
                store.update("jobs", job)
                changed = True
            elif not owned:
                store.delete("jobs", namespace_of(job), name_of(job))
                self.jobs_moved = True
                del job_uids[uid_of(job)]
                self.removed = True
                changed = True
            else:
                work = True

        # -- the job controller
        for job in [j for j in job_uids.values() if not is_deleting(j)]:
            # The kubelet may have changed or removed pods above: take them as they are now. (Not a
            # finished one: nothing above changes it, and it is most of a big job's pods.) A pod that
            # succeeded and is counted tells the controller nothing more (it is neither active nor
            # uncounted) unless the job has failed pods, whose back-off starts after the last success:
            # left out, a pass over a job of 1,000 pods looks at the few still running.
            uid = uid_of(job)
            owned = [
                pod
                for seen in pods_by_job.get(uid, [])
                if uid in failing or not seen.counted
                for pod in ([seen.pod] if seen.settled else store.current("pods", [seen.pod]))
            ]
            if self._sync_job(job, owned, now, controller):
                changed = True
            current = store.get("jobs", namespace_of(job), name_of(job))
            if current is not None and job_needs_worker(current):
                work = True

        # -- the kubelet again, for the pods created just now: each is written once, bound and
        # starting, and its container starts after this pass rather than the next one.
        created, self.created = self.created, []
        for pod in store.current("pods", created):
            if self._sync_pod(pod, now, kubelet, fresh=True):
                changed = True

        if self.removed:
            # Every pod that lives, those left out of this pass too.
            live = [*kept, *(seen for seen in aside if seen.counted)]
            self._forget_events(job_uids, [*(seen.pod for seen in live), *created])
            self.removed = False
        if self.leftovers and self._remove_leftovers(now):
            work = True
        if now >= self.expire_at:
            # Events past their hour, which the store hides already, deleted: their lines then count
            # as dead, and a worker that never rests still rewrites its logs (see Store._compact).
            self.expire_at = now + EXPIRY_INTERVAL
            for ns, name in store.expired_events():
                store.delete("events", ns, name)
                changed = True
        for message in store.corrupt:
            log(message)
        self._take_in_writes()
        if self.due is not None:
            work = True
        return changed, work

    def _list_pods(self) -> list[_Seen]:
        """Every pod in the store's order, each with what a pass asks of it (see _Seen).

        While the store keeps the listing of pods that this worker read last (no other process has
        written since), they are the pods the last pass left, its own writes taken in: a pass no
        longer lists thousands of pods it has no business with, each one looked up in memory and
        then in what the pass before knew of it (~2 ms a pass at 5,000 pods, a fifth of the worker's
        CPU in a job of 5,000 completions). After another process's write they are listed again."""
        store = self.store
        listing = store.kept_listing("pods")
        if listing is None or listing is not self.known_listing:
            pods = store.list("pods")
            self.known = self._see(pods)
            self.known_keys = [(namespace_of(pod), name_of(pod)) for pod in pods]
            self.known_listing = store.kept_listing("pods")
        return list(self.known)

    def _see(self, pods: list[Obj]) -> list[_Seen]:
        """The listed pods as known: what was known of an unchanged one is kept, the rest worked out.

        A known pod is the object of the same identity (its _Seen holds it, so no other object can
        have its id) that no pass has written since (_take_in_writes()): an object changes only by
        this process's writes; another process's write is read as new objects. So the pods are not
        looked into at all, only counted off in map()s."""
        known = {id(seen.pod): seen for seen in self.known}
        out: list[_Seen | None] = list(map(known.get, map(id, pods)))
        for i in itertools.compress(itertools.count(), map(operator.not_, out)):
            out[i] = _Seen(pods[i])
        return cast("list[_Seen]", out)

    def _take_in_writes(self) -> None:
        """What is known of the pods, with the pods this pass wrote as they are now: the store's kept
        listing takes in the same writes as the pass's end writes them out (a failed write lets the
        listing go, and the next pass lists the pods again)."""
        import bisect

        keys, known = self.known_keys, self.known
        for namespace, name, pod in self.store.changes("pods"):
            key = (namespace, name)
            i = bisect.bisect_left(keys, key)
            there = i < len(keys) and keys[i] == key
            if pod is None:
                if there:
                    del keys[i], known[i]
            elif there:
                known[i] = _Seen(pod)
            else:
                keys.insert(i, key)
                known.insert(i, _Seen(pod))

    def _adopt_and_release(self, jobs: list[Obj], seens: list[_Seen]) -> bool:
        """The controller's ClaimPods: an ownerless pod that a live job's selector matches is adopted;
        a pod whose labels no longer match its job's selector is released."""
        from kjob.objects import selector_matches

        changed = False
        # A job created or changed since the last pass may claim pods checked before.
        # (What matters is the selector and whether the job may still own pods, not its status.)
        job_versions = {
            uid_of(j): f"{meta(j).get('generation')}/{is_deleting(j)}/{is_job_finished(j)}" for j in jobs
        }
        changed_jobs = job_versions != self.claim_jobs
        self.claim_jobs = job_versions
        live = [j for j in jobs if not is_deleting(j) and not is_job_finished(j)]
        by_uid = {uid_of(j): j for j in jobs}
        # A pod checked before, against the same jobs, has nothing new to say (neither it nor any job
        # changed since): most pods, picked out in one sweep, not a loop.
        for seen in seens if changed_jobs else [s for s in seens if not s.claimed]:
            if seen.deleting:
                continue  # a pod being deleted is neither adopted nor released
            seen.claimed = True
            pod = seen.pod
            labels = meta(pod).get("labels") or {}
            ref = seen.ref
            if ref is None:
                for job in live:
                    selector = (job.get("spec") or {}).get("selector")
                    if (
                        namespace_of(job) == namespace_of(pod)
                        and selector
                        and selector_matches(selector, labels)
                    ):
                        pod["metadata"]["ownerReferences"] = [
                            *(meta(pod).get("ownerReferences") or []),
                            {
                                "apiVersion": "batch/v1",
                                "kind": "Job",
                                "name": name_of(job),
                                "uid": uid_of(job),
                                "controller": True,
                                "blockOwnerDeletion": True,
                            },
                        ]
                        if not pod_is_terminal(pod):
                            pod["metadata"]["finalizers"] = [
                                *(meta(pod).get("finalizers") or []),
                                TRACKING_FINALIZER,
                            ]
                        self.store.update("pods", pod)
                        changed = True
                        break
            elif ref.get("kind") == "Job" and ref.get("uid") in by_uid:
                job = by_uid[ref["uid"]]
                selector = (job.get("spec") or {}).get("selector")
                if not is_deleting(job) and selector and not selector_matches(selector, labels):
                    release_from_owner(pod, str(ref.get("uid")))
                    self.store.update("pods", pod)
                    changed = True
        return changed

    def _unreadable_owner(self, seen: _Seen, jobs: list[Obj]) -> bool:
        """Whether a pod's job, not among those listed, has a file all the same, which no longer
        parses: that job is passed over, never taken for gone (its pods, their processes and logs
        stay). A job listed under the name is another one: the pod's is gone."""
        ns, name = namespace_of(seen.pod), str((seen.ref or {}).get("name", ""))
        if any(name_of(j) == name and namespace_of(j) == ns for j in jobs):
            return False
        return self.store.file_exists("jobs", ns, name)

    def _orphan(self, pod: Obj, now: float) -> bool:
        """A pod whose job is gone: background cascade, as the garbage collector does."""
        changed = False
        if TRACKING_FINALIZER in (meta(pod).get("finalizers") or []) or not is_deleting(pod):
            drop_tracking_finalizer(pod)
            if not is_deleting(pod):
                self._mark_deleted(pod, now)
            self.store.update("pods", pod)
            changed = True
        return changed

    def _mark_deleted(self, pod: Obj, now: float, grace: float | None = None) -> None:
        spec = pod.get("spec") or {}
        if grace is None:
            grace = float(spec.get("terminationGracePeriodSeconds", 30))
        pod["metadata"]["deletionTimestamp"] = format_time(now + grace)
        pod["metadata"]["deletionGracePeriodSeconds"] = int(grace)

    def _awaiting_launch(self, pod: Obj, now: float) -> bool:
        """Whether a pass can leave a pod alone: each of its containers not done yet waits for a launcher
        to take up the run asked of it moments ago. A sync would find no record of any of those runs,
        and change nothing; the launcher's answer wakes the worker for the pass that looks. (In a job of
        1,000 `sh -c true` at parallelism 16, a pod was synced 1.2 times this way, on average, between
        its creation and its container's start.)"""
        status = pod.get("status") or {}
        if status.get("phase") != "Pending" or is_deleting(pod):
            return False
        if (pod.get("spec") or {}).get("activeDeadlineSeconds") is not None:
            return False  # the kubelet's deadline runs from the pod's start, launched or not
        run_dir = pod_run_dir(self.store, pod)
        waiting = False
        for key in ("initContainerStatuses", "containerStatuses"):
            for cs in status.get(key) or ():
                state = cs.get("state") or {}
                if "terminated" in state:
                    continue
                if "waiting" not in state:
                    return False
                asked = self.asked_at(run_dir, str(cs.get("name")), int(cs.get("restartCount") or 0))
                if asked is None or now >= asked + UNANSWERED_FOR:
                    return False
                # A launcher that never answers is found out as before, by the syncs after this.
                self.wake_at(asked + UNANSWERED_FOR)
                waiting = True
        return waiting

    def _sync_pod(self, pod: Obj, now: float, kubelet: Any, fresh: bool = False) -> bool:
        """`fresh`: the pod was created in this pass, so none of its containers has run yet."""
        from kjob import runtime

        store = self.store
        run_dir = pod_run_dir(store, pod)

        def observe(container: str, attempt: int) -> runtime.RunState:
            if fresh:
                return runtime.RunState(launched=False)
            state = runtime.read_state(run_dir, container, attempt, self.starts)
            if not state.launched:
                # Asked of a launcher and not claimed by it yet: launched all the same.
                asked = self.asked_at(run_dir, container, attempt)
                if asked is not None:
                    state = runtime.RunState(launched=True, launched_at=asked)
            if state.exit is None and state.shim_pid and runtime.shim_alive(state):
                self.watch_shim(state.shim_pid, state.shared)
            elif (
                state.exit is not None
                and state.exit.get("exitCode")
                and not state.exit.get("message")
                and (container_named(pod, container) or {}).get("terminationMessagePolicy")
                == "FallbackToLogsOnError"
            ):
                tail = _log_tail(run_log_path(run_dir, container, attempt))
                state.exit = {**state.exit, "message": tail} if tail else state.exit
            return state

        stopping = self.stopping.setdefault(uid_of(pod), set())
        result = kubelet.sync_pod(pod, observe, now, self.node, stopping, self.backoff_scale)
        self.wake_at(result.requeue_at)
        new = dict(pod)
        new["status"] = result.status
        if result.node_name:
            new["spec"] = dict(pod.get("spec") or {}, nodeName=result.node_name)
        # Containers start from the pod as it is now: bound to this node, with its IPs.
        for launch in result.launch:
            spec = self._run_spec(new, launch, run_dir, kubelet)
            if not isinstance(spec, str):
                # Started only once its pod is written: no process without its pod.
                self.launches.append((new, spec))
        for stop in result.stop:
            runtime.request_stop(run_dir, stop.container, stop.attempt, stop.grace)
            stopping.add(stop.container)
        for container, attempt in result.lost:
            runtime.kill_lost_run(run_dir, container, attempt)
        for ev in result.events:
            self.record_event(pod, ev.type, ev.reason, ev.message, ev.source, now, ev.field_path)
        changed = new != pod
        if changed:
            store.update("pods", new)
        if is_deleting(new) and pod_is_terminal(new) and not meta(new).get("finalizers"):
            self.remove_pod(new)
            return True
        return changed

    def _run_spec(self, pod: Obj, launch: Any, run_dir: str, kubelet: Any) -> Any:
        from kjob.cgroups import Limits
        from kjob.runtime import RunSpec

        spec = pod.get("spec") or {}
        group = spec.get("initContainers" if launch.init else "containers") or []
        container = next((c for c in group if c.get("name") == launch.container), None)
        if container is None:
            return "missing"
        own = kubelet.container_vars(pod, container)
        env = kubelet.container_env(pod, container, own)
        cwd = container.get("workingDir") or f"{run_dir}/fs"
        return RunSpec(
            run_dir=run_dir,
            container=launch.container,
            attempt=launch.attempt,
            argv=kubelet.container_argv(container, own),
            env=env,
            cwd=cwd,
            log_path=run_log_path(run_dir, launch.container, launch.attempt),
            grace=float(spec.get("terminationGracePeriodSeconds", 30)),
            notify=self.notify_path,
            limits=Limits.from_container(container),
            make_cwd=not container.get("workingDir"),
        )

    def remove_pod(self, pod: Obj) -> None:
        import shutil

        from kjob import runtime

        run_dir = pod_run_dir(self.store, pod)
        until = self._launching(run_dir)
        if until is not None:
            # A launcher asked for one of its runs has not answered: it may be starting it this moment,
            # into the directory about to go, for no pod. The answer wakes the worker, and the next pass
            # stops the run and removes the pod (a launcher that never answers: found lost by then).
            self.wake_at(until)
            return
        self.removed = True
        self.spared.discard(uid_of(pod))
        # Whatever run of the pod is somehow still alive goes with it.
        for container, attempt in runtime.run_keys(run_dir):
            runtime.request_stop(run_dir, container, attempt, 0.0)
        self.store.delete("pods", namespace_of(pod), name_of(pod))
        shutil.rmtree(run_dir, ignore_errors=True)
        if os.path.exists(run_dir):
            # A run stopped just now wrote into it as it went (its last output): removed once it has.
            self.leftovers.setdefault(run_dir, time.time())
        shutil.rmtree(pod_log_dir(self.store, pod), ignore_errors=True)
        self.stopping.pop(uid_of(pod), None)

    def _sync_job(self, job: Obj, pods: list[Obj], now: float, controller: Any) -> bool:
        store = self.store
        result = controller.sync_job(job, pods, now, backoff_scale=self.backoff_scale, spared=self.spared)
        self.wake_at(result.requeue_at)
        changed = False
        status = job.get("status") or {}
        if result.status != status:
            if result.status.get("conditions") != status.get("conditions"):
                self.jobs_moved = True
            job = dict(job, status=result.status)
            store.update("jobs", job)
            changed = True
        for name in result.strip_finalizers:
            pod = store.get("pods", namespace_of(job), name)
            if pod is None:
                continue
            finalizers = drop_tracking_finalizer(pod)
            store.update("pods", pod)
            changed = True
            if is_deleting(pod) and pod_is_terminal(pod) and not finalizers:
                self.remove_pod(pod)
        by_name = {name_of(p): p for p in pods} if result.delete else {}
        for deletion in result.delete:
            pod = store.get("pods", namespace_of(job), deletion.name) or by_name.get(deletion.name)
            if pod is None or is_deleting(pod):
                continue
            if not deletion.count:
                drop_tracking_finalizer(pod)
                self.spared.add(uid_of(pod))
            self._mark_deleted(pod, now)
            store.update("pods", pod)
            changed = True
        renamed: dict[str, str] = {}
        for pod in result.create:
            drawn = name_of(pod)
            # 27^5 suffixes: among thousands of pods two draws do meet. Draw again, as a client
            # whose generateName create was refused would.
            for _ in range(20):
                if store.get("pods", namespace_of(pod), name_of(pod)) is None:
                    break
                pod["metadata"]["name"] = pod["metadata"]["generateName"] + random_suffix()
            store.create("pods", pod)
            self.created.append(pod)
            renamed[drawn] = name_of(pod)
            changed = True
        for ev in result.events:
            message = ev.message
            if ev.reason == "SuccessfulCreate":
                drawn = message.removeprefix("Created pod: ")
                message = f"Created pod: {renamed.get(drawn, drawn)}"
            self.record_event(job, ev.type, ev.reason, message, "job-controller", now)
        return changed

    # -------------------------------------------------------- events

    def _load_events(self) -> None:
        for ev in self.store.list("events"):
            self.events[_stored_event_key(ev)] = name_of(ev)

    def record_event(
        self, obj: Obj, etype: str, reason: str, message: str, source: str, now: float, field_path: str = ""
    ) -> None:
        """Record an event as client-go's recorder does (see kjob.recorder): a repeat counted in
        count and lastTimestamp, similar events combined, spam dropped. (Five a pod: the event is
        built only once it is to be written; a job's thousandth SuccessfulCreate is dropped as spam.)"""
        md = meta(obj)
        name, ns, uid = str(md.get("name", "")), str(md.get("namespace") or "default"), str(md.get("uid", ""))
        kind, version = obj.get("kind"), obj.get("apiVersion")
        host = self.node if source == "kubelet" else ""  # only the kubelet names its node
        # The recorder's correlator: after ten messages of one reason about one object, one combined
        # event stands for them all; a repeat counts in its event; and spam is dropped, counted all the same.
        about = (str(kind), ns, name, uid, str(version))
        group = (source, host, *about, etype, reason, source, host)
        combined = self.correlator.aggregate(group, message, now)
        if combined is None:
            key = _event_key(uid, ns, etype, reason, message, source, field_path)
        else:
            message = combined
            key = (uid, ns, etype, reason, source, host, "combined")
        if not self.correlator.allow((source, host, *about), now):
            self.dropped[key] = self.dropped.get(key, 0) + 1
            return
        count = 1 + self.dropped.pop(key, 0)
        stamp = format_time(now)
        existing_name = self.events.get(key)
        if existing_name:
            existing = self.store.get("events", ns, existing_name)
            if existing is not None:
                existing["count"] = int(existing.get("count") or 1) + count
                existing["lastTimestamp"] = stamp
                existing["message"] = message
                self.store.update("events", existing)
                return
        # The event recorder's naming: `<object>.<hex nanoseconds>`, so listing by name is chronological.
        ns_stamp = max(time.time_ns(), self.last_event_ns + 1)
        self.last_event_ns = ns_stamp
        event_name = f"{name}.{ns_stamp:x}"
        involved: Obj = {"apiVersion": version, "kind": kind, "name": name, "namespace": ns, "uid": uid}
        if field_path:
            involved["fieldPath"] = field_path
        metadata = {"namespace": ns, "name": event_name, "uid": new_uid(), "creationTimestamp": stamp}
        self.store.create(
            "events",
            {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": metadata,
                "involvedObject": involved,
                "reason": reason,
                "message": message,
                "type": etype,
                "source": {"component": source, "host": host} if host else {"component": source},
                "reportingComponent": source,
                "reportingInstance": host,
                "count": count,
                "firstTimestamp": stamp,
                "lastTimestamp": stamp,
                "eventTime": None,
            },
            unique=True,
        )
        self.events[key] = event_name

    def _forget_events(self, job_uids: dict[str, Obj], pods: list[Obj]) -> None:
        """What the recorder knows of objects that no longer exist, which have no more events to count.
        Their events stay, as on a cluster, until their hour is up (the store's EVENT_TTL)."""
        live = set(job_uids) | {
            uid_of(p) for p in pods if self.store.get("pods", namespace_of(p), name_of(p))
        }
        for key in [k for k in self.events if k[0] not in live]:
            del self.events[key]
        for key in [k for k in self.dropped if k[0] not in live]:
            del self.dropped[key]


class _Seen:
    """What a pass asks of a pod, worked out once for each version of it (a pass over a job of 1,000
    pods asked it of each of them): kept while the pod is the same object, unwritten since (see
    Worker._see). (The object is held, so its id cannot be another's.)"""

    __slots__ = ("claimed", "counted", "deleting", "failed", "owner", "pod", "ref", "settled")

    def __init__(self, pod: Obj) -> None:
        self.pod = pod
        self.ref = controller_ref(pod)
        self.owner = self.ref.get("uid") if self.ref else None
        self.deleting = is_deleting(pod)
        phase = (pod.get("status") or {}).get("phase")
        self.failed = phase == "Failed"
        # Finished and staying: the kubelet has nothing more to do with it (unless it failed past its
        # deadline and its containers are still being stopped).
        self.settled = (
            pod_is_terminal(pod) and not self.deleting and not (self.failed and pod_is_stopping(pod))
        )
        # Succeeded and counted in its job's status (its tracking finalizer gone): the job controller
        # learns nothing more from it, unless some pod of the job failed (see run_pass).
        self.counted = (
            self.settled and not self.failed and TRACKING_FINALIZER not in (meta(pod).get("finalizers") or [])
        )
        self.claimed = False  # its ownership checked against the jobs as they were then


_OWNER = operator.attrgetter("owner")


def _event_key(
    uid: str, namespace: str, etype: str, reason: str, message: str, component: str, field_path: str
) -> tuple[str, ...]:
    """What makes an event the same event again (its count goes up): about what, of what kind, why,
    saying what, from where. The involved uid comes first: _forget_events() goes by it."""
    return (uid, namespace, etype, reason, message, component, field_path)


def _stored_event_key(ev: Obj) -> tuple[str, ...]:
    """_event_key() of an event as stored."""
    inv = ev.get("involvedObject") or {}
    return _event_key(
        str(inv.get("uid", "")),
        str(inv.get("namespace", "")),
        str(ev.get("type", "")),
        str(ev.get("reason", "")),
        str(ev.get("message", "")),
        str((ev.get("source") or {}).get("component", "")),
        str(inv.get("fieldPath", "")),
    )


def _log_tail(path: str) -> str:
    """readLastStringFromContainerLogs: a failed container's termination message under
    FallbackToLogsOnError is the last 80 lines of its log, and of those at most the last 2,048 bytes.
    (There is no termination-log file to read first: a container here has no mount of its own.)"""
    try:
        with open(path, "rb") as f:
            size = f.seek(0, os.SEEK_END)
            f.seek(max(0, size - 64 * 1024))
            data = f.read()
    except OSError:
        return ""
    return b"".join(data.splitlines(keepends=True)[-80:])[-2048:].decode("utf-8", "replace")


def _finalizers(obj: Obj) -> list[str]:
    return list(meta(obj).get("finalizers") or [])


def _terminal_time(job: Obj) -> float | None:
    from kjob.objects import find_condition, parse_time

    for ctype in ("Complete", "Failed"):
        cond = find_condition(job, ctype)
        if cond and cond.get("status") == "True":
            return parse_time(cond.get("lastTransitionTime"))
    return None


def pod_log_dir(store: Store, pod: Obj) -> str:
    """Where earlier kjob versions kept a pod's logs (`logs/<ns>_<pod>_<uid>/<container>/<attempt>.log`)."""
    return f"{store.root}/{LOGS_DIR}/{namespace_of(pod)}_{name_of(pod)}_{uid_of(pod)}"


def run_log_path(run_dir: str, container: str, attempt: int) -> str:
    """A run's log, beside its run files in the pod's run directory: no directories of its own to
    make for every run."""
    return f"{run_dir}/{container}.{attempt}.log"


def pod_run_dir(store: Store, pod: Obj) -> str:
    """A pod's run directory: its runs' records and logs, and its containers' working directory."""
    return f"{store.root}/{RUN_DIR}/{uid_of(pod)}"


def log_path(store: Store, pod: Obj, container: str, attempt: int) -> str:
    """The log of a container run, for the commands that read it: where the run's host writes it,
    or where an older kjob wrote it. (A string: pathlib costs `kjob logs` ~3-10 ms to import.)"""
    return find_log(store, pod, container, attempt)[0]


def find_log(store: Store, pod: Obj, container: str, attempt: int) -> tuple[str, bool]:
    """log_path(), and whether the log is there (a run that has written nothing has none yet)."""
    path = run_log_path(pod_run_dir(store, pod), container, attempt)
    if os.path.exists(path):
        return path, True
    legacy = f"{pod_log_dir(store, pod)}/{container}/{attempt}.log"
    if os.path.exists(legacy):
        return legacy, True
    return path, False


def log(message: str) -> None:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
    with contextlib.suppress(OSError):
        sys.stderr.write(f"{stamp} {message}\n")
        sys.stderr.flush()


def _collect_from_now() -> None:
    """The collector on again once the worker has started (main() turns it off): what the start-up
    made, its modules' objects above all, set aside for good, and the young generation collected
    every GC_YOUNG allocations instead of every 700. A job of 1,000 pods made ~110 collections
    (~15 ms of the worker's CPU) for a few hundred objects in cycles in all; now a handful."""
    gc.freeze()
    gc.set_threshold(GC_YOUNG, *gc.get_threshold()[1:])
    gc.enable()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    gc.disable()  # nothing its start-up makes is garbage: see _collect_from_now()
    os.umask(0o077)  # state, logs and sockets are the user's alone
    store = Store(args[0] if args else None)
    store.remember_reads()
    try:
        return Worker(store).run()
    except Exception as e:
        import traceback

        log(f"worker crashed: {e}\n{traceback.format_exc()}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
