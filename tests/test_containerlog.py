"""Container logs on disk: the shim's writer, the format-2 reader, the CRI (format-1) reader, and that
both formats read alike for every option."""

from __future__ import annotations

import contextlib
import errno
import os
import random
import struct
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kjob import containerlog, runtime
from kjob.containerlog import INDEX_MAGIC, MAX_RECORD, LogOptions, LogWriter, chunk_starts, open_log
from kjob.errors import PlainError
from kjob.objects import format_time_nano
from tests.test_logs import CRI, T0, T1, T2  # the same CRI log, read here without the CLI

NS0, NS1, NS2 = (containerlog.parse_rfc3339_ns(t) for t in (T0, T1, T2))


def render(data: bytes, **options: Any) -> bytes:
    return containerlog.CriReader(LogOptions(**options)).feed(data)


def read_all(path: Path, final: bool = True, **options: Any) -> bytes:
    log = open_log(path, LogOptions(**options))
    try:
        return b"".join(iter(lambda: log.read(final), b""))
    finally:
        log.close()


class Clock:
    def __init__(self, now: int = NS0) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def entries(log: Path) -> list[tuple[int, int, int]]:
    data = Path(containerlog.index_name(log)).read_bytes()
    assert data.startswith(INDEX_MAGIC)
    return list(struct.iter_unpack("<QqB", data[len(INDEX_MAGIC) :]))


# ---------------------------------------------------------------- format 1: CRI records


def test_parse_record_fields() -> None:
    parse = containerlog.parse_record
    assert parse(f"{T0} stdout F hello world".encode()) == (T0.encode(), b"stdout", True, b"hello world")
    assert parse(f"{T0} stderr P x".encode()) == (T0.encode(), b"stderr", False, b"x")
    assert parse(f"{T0} stdout F".encode()) == (T0.encode(), b"stdout", True, b"")
    # The kubelet keeps the tag forward compatible: `F:extra` is still a full line.
    assert parse(f"{T0} stdout F:x y".encode()) == (T0.encode(), b"stdout", True, b"y")
    # Another writer's shorter stamp comes out in the kubelet's fixed-width form.
    assert parse(b"2026-12-04T19:38:09.5Z stdout F a")[0] == b"2026-12-04T19:38:09.500000000Z"
    assert parse(b"garbage") is None
    assert parse(f"{T0} stdweird F a".encode()) is None


def test_cri_records_become_the_bytes_written() -> None:
    assert render(CRI) == b"one\nerr one\npartial\n\nlast\n"


def test_cri_unparsable_lines_are_skipped() -> None:
    assert render(f"junk\n{T0} stdout F ok\nnot a record at all\n".encode()) == b"ok\n"


def test_cri_final_partial_record_keeps_its_missing_newline() -> None:
    assert render(f"{T0} stdout F a\n{T0} stdout P no newline\n".encode()) == b"a\nno newline"


def test_cri_timestamps_prefix_each_line_once() -> None:
    assert render(CRI, timestamps=True).decode() == (
        f"{T0} one\n{T0} err one\n{T1} partial\n{T2} \n{T2} last\n"
    )


def test_cri_since_skips_older_records() -> None:
    assert render(CRI, since_ns=NS1) == b"partial\n\nlast\n"
    assert render(CRI, since_ns=NS1 + 1) == b"\nlast\n"


def test_cri_limit_bytes_cuts_the_stream() -> None:
    reader = containerlog.CriReader(LogOptions(limit_bytes=6, timestamps=False))
    assert reader.feed(CRI) == b"one\ner"
    assert reader.full and reader.feed(CRI) == b""
    # The timestamps count: the limit is on what the kubelet sends.
    assert render(CRI, limit_bytes=10, timestamps=True) == T0[:10].encode()


def test_cri_fast_path_gives_what_the_record_path_gives() -> None:
    rng = random.Random(7)
    lines = []
    for i in range(3000):
        stamp = f"2026-12-04T19:38:{10 + i // 1000:02d}.{i:09d}Z"
        stream = rng.choice(["stdout", "stderr"])
        tag = "P" if rng.random() < 0.01 else "F"
        text = "x" * rng.randrange(0, 120) if rng.random() > 0.01 else "Z stdout F tricky"
        lines.append(f"{stamp} {stream} {tag} {text}\n")
    data = "".join(lines).encode()
    middle = containerlog.parse_rfc3339_ns("2026-12-04T19:38:11.000000500Z")
    for options in ({}, {"timestamps": True}, {"since_ns": middle}, {"since_ns": middle, "timestamps": True}):
        for text in (data, data.replace(b" P ", b" F ")):
            reader = containerlog.CriReader(LogOptions(**options))
            one_by_one = b"".join(reader._record(ln + b"\n") for ln in text.split(b"\n")[:-1])
            assert render(text, **options) == one_by_one


@pytest.mark.parametrize("block", [7, 64, 1 << 20])
@pytest.mark.parametrize(
    ("n", "expected"), [(0, b""), (1, b"last\n"), (3, b"ial\n\nlast\n"), (7, None), (99, None)]
)
def test_cri_tail_counts_records_from_the_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int, n: int, expected: bytes | None
) -> None:
    monkeypatch.setattr(containerlog, "BLOCK", block)
    path = tmp_path / "0.log"
    path.write_bytes(CRI)
    assert read_all(path, tail=n) == (render(CRI) if expected is None else expected)


def test_cri_log_resumes_at_a_record_being_written(tmp_path: Path) -> None:
    path = tmp_path / "0.log"
    path.write_bytes(f"{T0} stdout F a\n{T0} stdout F b".encode())
    log = open_log(path, LogOptions(follow=True))
    assert (log.read(False), log.read(False), log.offset) == (b"a\n", b"", len(f"{T0} stdout F a\n"))
    log.close()
    with open(path, "ab") as f:
        f.write(b"c\n")
    assert read_all(path, final=False, follow=True)[:2] == b"a\n"
    log = open_log(path, LogOptions(), offset=len(f"{T0} stdout F a\n"))
    assert log.read(False) == b"bc\n"
    log.close()


# ---------------------------------------------------------------- the writer


@pytest.mark.parametrize(
    ("buf", "starts", "held"),
    [
        (b"", [], 0),
        (b"abc", [], 0),  # a line still being written waits
        (b"a\nb\nc", [0], 4),
        (b"a\n" * 20000, [0], 40000),  # short lines go out as one chunk, however many
        (b"x" * MAX_RECORD, [], 0),  # exactly a record's worth still waits
        (b"x" * MAX_RECORD + b"\n", [0], MAX_RECORD + 1),
        (b"x" * (MAX_RECORD + 1), [0], MAX_RECORD),  # longer: a piece goes out, the rest waits
        (b"x" * 40000, [0, MAX_RECORD], 2 * MAX_RECORD),
        (b"aa\n" + b"x" * 40000 + b"\nb\n", [0, 3, 3 + MAX_RECORD, 3 + 2 * MAX_RECORD], 40006),
        (b"aa\n" + b"y" * 20000, [0, 3], 3 + MAX_RECORD),
    ],
)
def test_chunks_are_whole_lines_or_pieces_of_long_ones(buf: bytes, starts: list[int], held: int) -> None:
    assert chunk_starts(buf) == (starts, held)


def test_writer_keeps_each_streams_lines_whole(tmp_path: Path) -> None:
    """A line is written once it ends, stamped when it ended: another stream's line cannot cut it."""
    path, clock = tmp_path / "0.log", Clock(NS0)
    writer = LogWriter(path, clock)
    writer.write("stdout", b"one\nab")
    clock.now = NS1
    writer.write("stderr", b"err\n")
    clock.now = NS2
    writer.write("stdout", b"cd\n")
    writer.write("stderr", b"no newline")
    writer.flush("stdout")
    writer.flush("stderr")
    writer.close()
    assert path.read_bytes() == b"one\nerr\nabcd\nno newline"
    assert entries(path) == [(0, NS0, 1), (4, NS1, 2), (8, NS2, 1), (13, NS2, 2)]
    assert read_all(path, timestamps=True).decode() == f"{T0} one\n{T1} err\n{T2} abcd\n{T2} no newline"
    assert (path.stat().st_mode & 0o777, Path(containerlog.index_name(path)).stat().st_mode & 0o777) == (
        0o600,
        0o600,
    )


def test_writer_makes_its_files_with_the_first_output(tmp_path: Path) -> None:
    path = tmp_path / "0.log"
    silent = LogWriter(path)
    silent.flush("stdout")
    silent.close()
    assert list(tmp_path.iterdir()) == []  # a run that writes nothing leaves no log
    writer = LogWriter(path, Clock(NS0))
    writer.write("stdout", b"partial")
    assert list(tmp_path.iterdir()) == []  # no whole line yet
    writer.write("stdout", b" line\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0.index", "0.log"]
    writer.close()
    assert read_all(path).decode() == "partial line\n"


def test_a_log_that_cannot_be_made_loses_its_chunk_not_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, real_open = tmp_path / "0.log", os.open
    full = [True]

    def open_on_a_full_disk(name: str, *args: Any, **kwargs: Any) -> int:
        if full[0] and str(name).endswith(".log"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_open(name, *args, **kwargs)

    monkeypatch.setattr(containerlog.os, "open", open_on_a_full_disk)
    writer = LogWriter(path, Clock(NS0))
    writer.write("stdout", b"lost\n")
    assert not path.exists()
    full[0] = False
    writer.write("stdout", b"kept\n")
    writer.close()
    assert read_all(path).decode() == "kept\n"
    assert entries(path) == [(0, NS0, 1)]


class CriWriter:
    """kjob's shim before format 2 (kept as the reference): the kubelet's CRI records."""

    def __init__(self, clock: Callable[[], int]) -> None:
        self.clock = clock
        self.out = bytearray()
        self.pending = {"stdout": b"", "stderr": b""}

    def write(self, stream: str, data: bytes) -> None:
        buf = self.pending[stream] + data
        stamp, tag = format_time_nano(self.clock()).encode(), stream.encode()
        while (nl := buf.find(b"\n")) >= 0:
            line, buf = buf[:nl], buf[nl + 1 :]
            while len(line) > MAX_RECORD:
                self.out += b"%s %s P %s\n" % (stamp, tag, line[:MAX_RECORD])
                line = line[MAX_RECORD:]
            self.out += b"%s %s F %s\n" % (stamp, tag, line)
        while len(buf) > MAX_RECORD:
            self.out += b"%s %s P %s\n" % (stamp, tag, buf[:MAX_RECORD])
            buf = buf[MAX_RECORD:]
        self.pending[stream] = buf

    def flush(self, stream: str) -> None:
        if self.pending[stream]:
            stamp = format_time_nano(self.clock()).encode()
            self.out += b"%s %s P %s\n" % (stamp, stream.encode(), self.pending[stream])
            self.pending[stream] = b""


def random_output(seed: int) -> Iterator[tuple[int, str, bytes | None]]:
    """(time, stream, bytes read, or None when the stream ends) as a shim might see them."""
    rng = random.Random(seed)
    now, ended = NS0, set()
    for _ in range(rng.randrange(1, 60)):
        now += rng.choice([0, 1, 999, 1_000_000_000])
        stream = rng.choice(["stdout", "stderr"])
        if stream in ended:
            continue
        if rng.random() < 0.05:
            ended.add(stream)
            yield now, stream, None
            continue
        size = rng.choice([0, 1, 5, 40, 300, MAX_RECORD - 1, MAX_RECORD + 3, 3 * MAX_RECORD])
        alphabet = b"ab\n" if rng.random() < 0.5 else b"abcdefgh"
        text = rng.randbytes(size).translate(bytes(alphabet[i % len(alphabet)] for i in range(256)))
        yield now, stream, text
    for stream in ("stdout", "stderr"):
        if stream not in ended:
            yield now + 7, stream, None


def both_formats(tmp_path: Path, seed: int) -> tuple[Path, Path, list[int]]:
    clock = Clock()
    cri, raw = CriWriter(clock), LogWriter(tmp_path / f"{seed}.log", clock)
    stamps = []
    for now, stream, data in random_output(seed):
        clock.now = now
        stamps.append(now)
        for writer in (cri, raw):
            if data is None:
                writer.flush(stream)
            else:
                writer.write(stream, data)
    raw.close()
    (tmp_path / "cri").mkdir()
    (tmp_path / "cri" / f"{seed}.log").write_bytes(bytes(cri.out))
    return tmp_path / "cri" / f"{seed}.log", tmp_path / f"{seed}.log", stamps


@pytest.mark.parametrize("seed", range(40))
def test_both_formats_read_alike_with_every_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """What `kjob logs` printed of the CRI files the shim wrote before, it prints of the new ones."""
    monkeypatch.setattr(containerlog, "BLOCK", random.Random(seed).choice([509, 4099, 1 << 20]))
    cri, raw, stamps = both_formats(tmp_path, seed)
    assert raw.read_bytes() == read_all(cri)
    since = sorted(set(stamps))
    cases: list[dict[str, Any]] = [{}, {"timestamps": True}]
    cases += [{"tail": n} for n in (0, 1, 2, 3, 7, 50, 10_000)]
    cases += [{"tail": n, "timestamps": True} for n in (1, 4)]
    cases += [{"since_ns": s} for s in since[:: max(1, len(since) // 4)]]
    cases += [{"since_ns": since[len(since) // 2], "timestamps": True, "tail": 5}]
    cases += [{"limit_bytes": n} for n in (1, 100, 40_000)]
    cases += [{"limit_bytes": 200, "timestamps": True}]
    for options in cases:
        assert read_all(raw, **options) == read_all(cri, **options), options


# ---------------------------------------------------------------- the format-2 reader


def write_run(path: Path, writes: list[tuple[int, str, bytes | None]]) -> Path:
    clock = Clock()
    writer = LogWriter(path, clock)
    for now, stream, data in writes:
        clock.now = now
        if data is None:
            writer.flush(stream)
        else:
            writer.write(stream, data)
    writer.close()
    return path


RUN = [
    (NS0, "stdout", b"one\n"),
    (NS0, "stderr", b"err one\n"),
    (NS1, "stdout", b"partial\n\n"),
    (NS2, "stdout", b"last\n"),
    (NS2, "stdout", b"end"),
    (NS2, "stdout", None),
]


@pytest.mark.parametrize("block", [3, 64, 1 << 20])
def test_raw_log_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int) -> None:
    monkeypatch.setattr(containerlog, "BLOCK", block)
    path = write_run(tmp_path / "0.log", RUN)
    assert read_all(path) == b"one\nerr one\npartial\n\nlast\nend"
    assert read_all(path, timestamps=True).decode() == (
        f"{T0} one\n{T0} err one\n{T1} partial\n{T1} \n{T2} last\n{T2} end"
    )
    assert read_all(path, since_ns=NS1) == b"partial\n\nlast\nend"
    assert read_all(path, since_ns=NS1 + 1, timestamps=True).decode() == f"{T2} last\n{T2} end"
    assert [read_all(path, tail=n) for n in (0, 1, 2, 3)] == [b"", b"end", b"last\nend", b"\nlast\nend"]
    assert read_all(path, tail=1, timestamps=True).decode() == f"{T2} end"
    assert read_all(path, limit_bytes=5) == b"one\ne"
    assert read_all(path, limit_bytes=33, timestamps=True) == f"{T0} one".encode()[:33]


def test_raw_log_pieces_of_a_long_line_count_as_records(tmp_path: Path) -> None:
    path = write_run(tmp_path / "0.log", [(NS0, "stdout", b"a\n" + b"x" * (2 * MAX_RECORD + 5) + b"\nb\n")])
    assert read_all(path, tail=2) == b"x" * 5 + b"\nb\n"
    assert read_all(path, tail=3) == b"x" * (MAX_RECORD + 5) + b"\nb\n"
    assert read_all(path, tail=3, timestamps=True) == f"{T0} ".encode() + b"x" * (MAX_RECORD + 5) + b"\n" + (
        f"{T0} b\n".encode()
    )


def test_raw_log_is_read_as_it_grows(tmp_path: Path) -> None:
    path, clock = tmp_path / "0.log", Clock(NS0)
    writer = LogWriter(path, clock)
    writer.write("stdout", b"a\nb")
    log = open_log(path, LogOptions(follow=True, timestamps=True))
    assert log.read(False) == f"{T0} a\n".encode()
    assert log.read(False) == b""
    clock.now = NS1
    writer.write("stdout", b"c\nd\n")
    assert log.read(False) == f"{T1} bc\n{T1} d\n".encode()
    writer.close()
    log.close()


def test_raw_log_resumes_from_an_offset(tmp_path: Path) -> None:
    path = write_run(tmp_path / "0.log", RUN)
    log = open_log(path, LogOptions(), offset=4)
    assert (log.read(True), log.offset) == (b"err one\npartial\n\nlast\nend", path.stat().st_size)
    log.close()


def test_send_copies_in_the_kernel(tmp_path: Path) -> None:
    path = write_run(tmp_path / "0.log", RUN)
    for options, expected in [
        ({}, b"one\nerr one\npartial\n\nlast\nend"),
        ({"tail": 2}, b"last\nend"),
        ({"limit_bytes": 6}, b"one\ner"),
    ]:
        log = open_log(path, LogOptions(**options))
        read_fd, write_fd = os.pipe()
        try:
            assert log.plain and log.send(write_fd)
            os.close(write_fd)
            assert os.read(read_fd, 1000) == expected
            assert log.read(True) == b""
        finally:
            os.close(read_fd)
            log.close()


def test_send_declines_an_append_only_output(tmp_path: Path) -> None:
    path = write_run(tmp_path / "0.log", RUN)
    log = open_log(path, LogOptions())
    with open(tmp_path / "out", "ab") as out:
        assert log.send(out.fileno()) is False  # sendfile(2) refuses O_APPEND: the caller reads
        out.write(log.read(True))
    log.close()
    assert (tmp_path / "out").read_bytes() == b"one\nerr one\npartial\n\nlast\nend"


def test_a_cri_log_cannot_be_sent(tmp_path: Path) -> None:
    path = tmp_path / "0.log"
    path.write_bytes(CRI)
    log = open_log(path, LogOptions())
    assert not log.plain and log.send(1) is False
    log.close()


# ---------------------------------------------------------------- telling the formats apart


def test_the_index_tells_the_formats_apart(tmp_path: Path) -> None:
    old = tmp_path / "old.log"
    old.write_bytes(CRI)
    assert isinstance(open_log(old, LogOptions()), containerlog.CriLog)
    assert read_all(old) == b"one\nerr one\npartial\n\nlast\n"
    new = write_run(tmp_path / "new.log", RUN)
    assert isinstance(open_log(new, LogOptions()), containerlog.RawLog)
    with pytest.raises(FileNotFoundError):
        open_log(tmp_path / "none.log", LogOptions())


def test_the_old_store_fixture_reads(tmp_path: Path) -> None:
    fixture = Path(__file__).parent / "fixtures" / "state-v1" / "logs"
    (log,) = fixture.rglob("0.log")
    assert not Path(containerlog.index_name(log)).exists()
    assert read_all(log) == b"3\n2\n1\n"
    assert read_all(log, timestamps=True, tail=1) == b"2026-12-04T20:55:26.939774900Z 1\n"


def test_an_index_of_another_format_is_refused(tmp_path: Path) -> None:
    path = write_run(tmp_path / "0.log", RUN)
    index = Path(containerlog.index_name(path))
    index.write_bytes(b"kjob container log index 9\n" + index.read_bytes()[len(INDEX_MAGIC) :])
    assert read_all(path) == b"one\nerr one\npartial\n\nlast\nend"  # plain output needs no index
    with pytest.raises(PlainError) as e:
        read_all(path, timestamps=True)
    assert e.value.message == f"error: {index}: not a log index this kjob can read"


def test_an_index_whose_header_the_disk_refused_still_reads(tmp_path: Path) -> None:
    path = write_run(tmp_path / "0.log", RUN)
    index = Path(containerlog.index_name(path))
    index.write_bytes(b"\0" * len(INDEX_MAGIC) + index.read_bytes()[len(INDEX_MAGIC) :])
    assert read_all(path, timestamps=True, tail=1).decode() == f"{T2} end"


# ---------------------------------------------------------------- a full disk


ENTRY_SIZE = struct.calcsize("<QqB")


@pytest.fixture
def small_disk(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """A disk that files can grow by `room` more bytes on (call it again to free space): a write past
    that is cut short, or fails with ENOSPC if no byte of it fits."""
    room = [1 << 30]
    real = os.pwrite

    def pwrite(fd: int, data: Any, offset: int) -> int:
        size = os.fstat(fd).st_size
        fits = len(data) - max(0, offset + len(data) - size - room[0])
        if fits <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        n = real(fd, bytes(data)[:fits], offset)
        room[0] -= max(0, offset + n - size)
        return n

    monkeypatch.setattr(containerlog.os, "pwrite", pwrite)

    def set_room(n: int) -> None:
        room[0] = n

    return set_room


def test_a_full_disk_loses_chunks_and_keeps_the_log_readable(tmp_path: Path, small_disk: Any) -> None:
    path, clock = tmp_path / "0.log", Clock(NS0)
    writer = LogWriter(path, clock)
    writer.write("stdout", b"kept\n")
    small_disk(0)
    writer.write("stdout", b"lost: no room for its index entry\n")
    small_disk(ENTRY_SIZE + 6)
    clock.now = NS1
    writer.write("stderr", b"cut short\nnext line lost\n")
    small_disk(1 << 30)
    clock.now = NS2
    writer.write("stdout", b"room again\n")
    writer.close()
    assert path.read_bytes() == b"kept\ncut shroom again\n"
    assert entries(path) == [(0, NS0, 1), (5, NS1, 2), (11, NS2, 1)]
    assert read_all(path, timestamps=True).decode() == f"{T0} kept\n{T1} cut shroom again\n"


def test_a_full_disk_never_leaves_entries_past_the_log(tmp_path: Path, small_disk: Any) -> None:
    rng = random.Random(3)
    path, clock = tmp_path / "0.log", Clock(NS0)
    writer = LogWriter(path, clock)
    for i in range(300):
        small_disk(rng.choice([0, 5, 17, 30, 200, 1 << 30]))
        clock.now = NS0 + i
        writer.write(rng.choice(["stdout", "stderr"]), b"line %d\n" % i * rng.randrange(1, 4))
    writer.close()
    offsets = [offset for offset, _, _ in entries(path)]
    size = path.stat().st_size
    assert offsets == sorted(offsets) and all(o < size for o in offsets) and (not offsets or offsets[0] == 0)
    stamped = read_all(path, timestamps=True).splitlines()
    assert len(stamped) == read_all(path).count(b"\n")


# ---------------------------------------------------------------- the shim writes format 2


def test_the_shim_writes_the_output_and_its_index(tmp_path: Path) -> None:
    spec = runtime.RunSpec(
        run_dir=tmp_path / "run",
        container="c",
        attempt=0,
        # Apart in time: two pipes ready at once are read in whichever order the host's poll gives.
        argv=["sh", "-c", 'echo "$GREETING"; sleep 0.1; echo oops >&2; sleep 0.1; printf tail'],
        env={"PATH": os.environ["PATH"], "GREETING": "hello"},
        cwd=str(tmp_path),
        log_path=tmp_path / "logs" / "0.log",
        grace=30,
    )
    before = time.time_ns()
    pid = runtime.launch(spec)
    deadline = time.time() + 15
    while runtime.read_state(spec.run_dir, "c", 0).exit is None:
        assert time.time() < deadline, "the shim recorded no exit"
        time.sleep(0.02)
    if pid:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    assert spec.log_path.read_bytes() == b"hello\noops\ntail"
    index = entries(spec.log_path)
    assert [(offset, stream) for offset, _, stream in index] == [(0, 1), (6, 2), (11, 1)]
    assert all(before <= stamp <= time.time_ns() for _, stamp, _ in index)


@pytest.mark.parametrize(
    ("data", "at_line_start", "expected"),
    [
        (b"a\nb\n", True, b"> a\n> b\n"),  # the line after the last newline is not here yet
        (b"a\nb", True, b"> a\n> b"),
        (b"rest\nnext", False, b"rest\n> next"),  # the first line began in an earlier piece
        (b"\n", True, b"> \n"),
    ],
)
def test_prefix_lines_marks_each_line_that_starts_in_the_piece(
    data: bytes, at_line_start: bool, expected: bytes
) -> None:
    assert containerlog.prefix_lines(data, b"> ", at_line_start) == expected
    assert containerlog.prefix_lines(data, b"", at_line_start) == data
