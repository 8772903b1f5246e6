"""A container run's log on disk: the writer's side (the output bytes and an index of their chunks) and the
kubelet's reading of it (tail, since, timestamps, byte limits), in this format and in the older CRI one."""

from __future__ import annotations

import bisect
import contextlib
import errno
import os
import select
import struct
import time
from collections.abc import Callable
from operator import itemgetter
from typing import IO, TYPE_CHECKING, Protocol

from kjob.errors import PlainError
from kjob.objects import Record, format_time_nano

if TYPE_CHECKING:
    from pathlib import Path  # not imported by `kjob logs`: ~3-10 ms of its start-up

# Format 2 (this module writes it): `<attempt>.log` holds exactly the bytes `kubectl logs` prints, each
# stream's lines whole, in the order they were read; `<attempt>.index` holds INDEX_MAGIC and one _ENTRY
# per chunk of the log: (offset, nanoseconds since the epoch, stream), the writer's time of the read that
# brought it. A record, as the kubelet counts and filters them, ends at each newline and at each chunk's end.
# Format 1 (older stores; read only): `<attempt>.log` in the kubelet's CRI format, no index beside it.
INDEX_MAGIC = b"kjob container log index 1\n"
_ENTRY = struct.Struct("<QqB")
STREAM_CODES = {"stdout": 1, "stderr": 2}
# containerd cuts a line longer than this into partial records; kjob's writer cuts chunks the same way.
MAX_RECORD = 16 * 1024
# Log files are read in blocks of this size: the work per byte is what makes `logs` fast.
BLOCK = 1 << 20
# A write that fails with these loses its chunk, and the container goes on.
_LOST_WRITE = (errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG)
# sendfile(2) refuses these outputs (an O_APPEND file, some terminals): they are written to instead.
_NO_SENDFILE = (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP)


def index_name(log: Path | str) -> str:
    """The index beside a run's log (`<attempt>.index`)."""
    return f"{os.path.splitext(log)[0]}.index"


class LogOptions(Record):
    """The PodLogOptions a kubelet reads a log with."""

    __slots__ = ("follow", "limit_bytes", "previous", "since_ns", "tail", "timestamps")

    def __init__(
        self,
        follow: bool = False,
        previous: bool = False,
        timestamps: bool = False,
        tail: int = -1,  # records from the end; -1 = all
        since_ns: int | None = None,  # records stamped before this are skipped
        limit_bytes: int = 0,  # 0 = no limit
    ) -> None:
        self.follow = follow
        self.previous = previous
        self.timestamps = timestamps
        self.tail = tail
        self.since_ns = since_ns
        self.limit_bytes = limit_bytes


# ---------------------------------------------------------------- writing (the run's host)


def prefix_lines(data: bytes, prefix: bytes, at_line_start: bool) -> bytes:
    """`data` with `prefix` before each line that starts in it: after every newline but a final one
    (the line after it is prefixed when its bytes come), and first if `data` starts a line."""
    if not prefix:
        return data
    body = data.replace(b"\n", b"\n" + prefix)
    if data.endswith(b"\n"):
        body = body[: -len(prefix)]
    return prefix + body if at_line_start else body


def chunk_starts(buf: bytes) -> tuple[list[int], int]:
    """How the writer stores `buf` (a stream's held-back bytes and what was read after them): where each of
    its chunks starts, and where the part that waits for its newline begins. Whole lines go out together;
    a line longer than MAX_RECORD goes out in pieces that are chunks of their own, as containerd writes
    partial records; the rest of a line waits, unless it is longer than MAX_RECORD too."""
    starts = [0]
    pos, size = 0, len(buf)
    while pos < size:
        # Every line that ends inside this window is short enough: one search steps over all of them.
        nl = buf.rfind(b"\n", pos, pos + MAX_RECORD + 1)
        if nl >= 0:
            pos = nl + 1
        elif size - pos > MAX_RECORD:
            if pos > starts[-1]:
                starts.append(pos)
            pos += MAX_RECORD
            starts.append(pos)
        else:
            break
    if starts[-1] == pos:
        starts.pop()
    return starts, pos


def _write_at(fd: int, data: bytes, offset: int) -> int:
    """Write `data` at `offset`; how much of it got there (less only when the disk is full)."""
    view, done = memoryview(data), 0
    while done < len(data):
        try:
            done += os.pwrite(fd, view[done:], offset + done)
        except InterruptedError:
            continue
        except OSError as e:
            if e.errno in _LOST_WRITE:
                break
            raise
    return done


class LogWriter:
    """The writing side of one run's log, in the process hosting the run. A full disk loses chunks (the
    run and its log go on); the index always matches the log, so what is there reads right.

    The files are made with the first chunk: a run that writes nothing has no log, which reads as an
    empty one; the run's record says whether it started. (Made for every run, the two files took ~9%
    of a job of 1,000 silent pods, in the launchers' kernel time and the writes the worker syncs.)"""

    def __init__(self, path: Path | str, clock: Callable[[], int] = time.time_ns) -> None:
        self.path = path
        self.clock = clock
        self.fd = self.index_fd = -1
        self.size = self.index_size = 0
        self.pending = {code: b"" for code in STREAM_CODES.values()}

    def _open(self) -> None:
        # The index is made first: a reader that finds the log then finds the index, and knows the format.
        # Both close at the container's exec: it must not hold them. A failure (a full disk) leaves
        # them unopened, and the next chunk tries again.
        flags = os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC
        index_fd = os.open(index_name(self.path), flags, 0o600)
        try:
            if _write_at(index_fd, INDEX_MAGIC, 0) < len(INDEX_MAGIC):
                raise OSError(errno.ENOSPC, "no space for the log's index")
            fd = os.open(self.path, flags, 0o600)
        except OSError:
            os.close(index_fd)
            raise
        self.fd, self.index_fd = fd, index_fd
        self.size = os.fstat(fd).st_size
        entries = max(0, os.fstat(index_fd).st_size - len(INDEX_MAGIC)) // _ENTRY.size
        self.index_size = len(INDEX_MAGIC) + entries * _ENTRY.size

    def write(self, stream: str, data: bytes) -> None:
        """What was just read from `stream`: its whole lines go out now, stamped now."""
        code = STREAM_CODES[stream]
        buf = self.pending[code] + data if self.pending[code] else data
        starts, held = chunk_starts(buf)
        self.pending[code] = buf[held:]
        if starts:
            self._append(code, buf[:held], starts)

    def flush(self, stream: str) -> None:
        """The stream ended: what waited for a newline goes out without one."""
        code = STREAM_CODES[stream]
        if self.pending[code]:
            self._append(code, self.pending[code], [0])
            self.pending[code] = b""

    def _append(self, code: int, data: bytes, starts: list[int]) -> None:
        if self.fd < 0:
            try:
                self._open()
            except OSError:
                return  # lost, as a chunk a full disk refuses
        stamp = self.clock()
        # Entries go before the bytes they describe: a reader never sees bytes it cannot stamp.
        entries = b"".join([_ENTRY.pack(self.size + start, stamp, code) for start in starts])
        if _write_at(self.index_fd, entries, self.index_size) < len(entries):
            self._cut_index(self.index_size)
            return
        written = _write_at(self.fd, data, self.size)
        if written < len(data):
            # Only chunks with a byte in the log keep their entry.
            entries = entries[: bisect.bisect_left(starts, written) * _ENTRY.size]
            self._cut_index(self.index_size + len(entries))
        self.index_size += len(entries)
        self.size += written

    def _cut_index(self, size: int) -> None:
        # Shrinking takes no space: the index stays free of entries for bytes that never came.
        with contextlib.suppress(OSError):
            os.ftruncate(self.index_fd, size)

    def close(self) -> None:
        for fd in (self.fd, self.index_fd):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.fd = self.index_fd = -1


# ---------------------------------------------------------------- reading


class RunLog(Protocol):
    """One run's log opened for reading, in either format."""

    @property
    def plain(self) -> bool:
        """The output is the file's bytes as they are: it can be sent without reading it."""

    @property
    def full(self) -> bool:
        """--limit-bytes is reached."""

    @property
    def offset(self) -> int:
        """Where the next read starts: what `open_log(..., offset=)` resumes from."""

    def read(self, final: bool) -> bytes:
        """The output for the next part of what the file holds now (about a block); b"" when there is
        none. `final`: nothing more will be written, so an incomplete record at the end counts too."""

    def send(self, out_fd: int) -> bool:
        """Copy what the file holds now to `out_fd` in the kernel; False where that cannot be done (read
        then)."""

    def close(self) -> None: ...


def open_log(path: Path | str, options: LogOptions, offset: int | None = None) -> RunLog:
    """A run's log in whichever format it was written (FileNotFoundError if there is none), positioned for
    `options.tail`, or at `offset` to go on from an earlier reader's `offset` (without --timestamps or
    --since)."""
    with contextlib.ExitStack() as opened:
        file = opened.enter_context(open(path, "rb", buffering=0))
        # The log is opened first: the writer makes the index before it, so a missing index means format 1.
        try:
            index = opened.enter_context(open(index_name(path), "rb", buffering=0))
        except FileNotFoundError:
            log: RunLog = CriLog(file, options, offset)
        else:
            log = RawLog(file, index, options, offset)
        opened.pop_all()  # the reader closes them
        return log


class RawLog:
    """A format-2 log: the bytes as they are, the index read only for what needs records or times."""

    def __init__(self, file: IO[bytes], index: IO[bytes], options: LogOptions, offset: int | None) -> None:
        self.file, self.index = file, index
        self.fd = file.fileno()
        self.timestamps = options.timestamps
        self.since = options.since_ns
        self.plain = not self.timestamps and self.since is None
        self.remain = options.limit_bytes if options.limit_bytes > 0 else -1
        self.full = False
        self.offsets: list[int] = []
        self.stamps: list[int] = []
        self._index_read = 0
        self._heads: dict[int, bytes] = {}
        self.at_line_start = True
        size = os.fstat(self.fd).st_size
        self.pos = offset if offset is not None else self._tail_start(options.tail, size)
        # A tail without follow is of the file as it was when asked for.
        self.stop_at = size if options.tail >= 0 and not options.follow else -1

    @property
    def offset(self) -> int:
        return self.pos

    def read(self, final: bool) -> bytes:
        while not self.full:
            want = BLOCK if self.stop_at < 0 else min(BLOCK, self.stop_at - self.pos)
            if self.plain and self.remain >= 0:
                want = min(want, self.remain)
            data = os.pread(self.fd, want, self.pos) if want > 0 else b""
            if not data:
                break
            start = self.pos
            self.pos += len(data)
            out = data if self.plain else self._render(start, data)
            if out:
                return self._limit(out)
        return b""

    def send(self, out_fd: int) -> bool:
        while not self.full:
            count = self.stop_at - self.pos if self.stop_at >= 0 else 1 << 30
            if self.remain >= 0:
                count = min(count, self.remain)
            if count <= 0:
                break
            try:
                sent = os.sendfile(out_fd, self.fd, self.pos, count)
            except InterruptedError:
                continue
            except BlockingIOError:
                select.select([], [out_fd], [])
                continue
            except OSError as e:
                if e.errno in _NO_SENDFILE:
                    return False
                raise
            if not sent:
                break
            self.pos += sent
            if self.remain >= 0:
                self.remain -= sent
                self.full = self.remain == 0
        return True

    def _limit(self, out: bytes) -> bytes:
        out, self.remain, full = _within_limit(out, self.remain)
        self.full = self.full or full
        return out

    def _render(self, start: int, data: bytes) -> bytes:
        """--timestamps and --since over the bytes at `start`: chunk by chunk, each line stamped with the
        time of the chunk it starts in."""
        self._read_index()
        offsets, parts = self.offsets, []
        pos, end = start, start + len(data)
        while pos < end:
            i = bisect.bisect_right(offsets, pos) - 1
            stop = min(end, offsets[i + 1]) if i + 1 < len(offsets) else end
            if stop <= pos:
                stop = end  # entries out of order (a damaged index): the rest goes with this one
            stamp = self.stamps[i] if i >= 0 else 0  # bytes no entry covers (a broken index): the epoch
            piece = data[pos - start : stop - start]
            if self.since is None or stamp >= self.since:
                if self.timestamps:
                    # A line is stamped with the time of the chunk it starts in.
                    parts.append(prefix_lines(piece, self._head(stamp), self.at_line_start))
                else:
                    parts.append(piece)
            self.at_line_start = piece.endswith(b"\n")
            pos = stop
        return b"".join(parts)

    def _head(self, stamp: int) -> bytes:
        head = self._heads.get(stamp)
        if head is None:
            if len(self._heads) > 4096:
                self._heads.clear()
            head = self._heads[stamp] = format_time_nano(stamp).encode() + b" "
        return head

    def _read_index(self) -> None:
        """Take in the entries written since the last look (they precede the bytes they describe)."""
        parts, pos = [], self._index_read
        while chunk := os.pread(self.index.fileno(), BLOCK, pos):
            parts.append(chunk)
            pos += len(chunk)
        data = b"".join(parts)
        if not self._index_read:
            if len(data) < len(INDEX_MAGIC):
                return
            head = data[: len(INDEX_MAGIC)]
            # All zeros: the writer could not write the header (a full disk), and went on with the entries.
            if head != INDEX_MAGIC and head.strip(b"\0"):
                raise PlainError(f"{self.index.name}: not a log index this kjob can read")
            data = data[len(INDEX_MAGIC) :]
            self._index_read = len(INDEX_MAGIC)
        whole = len(data) - len(data) % _ENTRY.size
        for offset, stamp, _ in _ENTRY.iter_unpack(data[:whole]):
            self.offsets.append(offset)
            self.stamps.append(stamp)
        self._index_read += whole

    def _tail_start(self, lines: int, size: int) -> int:
        """Where the last `lines` records begin: records end at newlines, and at chunk ends (a line's
        pieces, a stream's last bytes) where no newline is."""
        if lines < 0:
            return 0
        self._read_index()
        ends = sorted({o for o in self.offsets if 0 < o < size} | ({size} if size else set()))
        found, right = 0, size
        while right > 0:
            left = max(0, right - BLOCK)
            block = os.pread(self.fd, right - left, left)
            lo, hi = bisect.bisect_right(ends, left), bisect.bisect_right(ends, right)
            cuts = [e for e in ends[lo:hi] if block[e - 1 - left] != 10]
            here = block.count(b"\n") + len(cuts)
            if found + here > lines:
                # The wanted start is the (lines - found + 1)-th record end from the right of this block.
                limit = right + 1
                for _ in range(lines - found + 1):
                    nl = block.rfind(b"\n", 0, limit - 1 - left)
                    at = left + nl + 1 if nl >= 0 else -1
                    while cuts and cuts[-1] >= limit:
                        cuts.pop()
                    limit = max(at, cuts[-1] if cuts else -1)
                return limit
            found += here
            right = left
        return 0

    def close(self) -> None:
        self.index.close()
        self.file.close()


def _within_limit(out: bytes, remain: int) -> tuple[bytes, int, bool]:
    """--limit-bytes: what of `out` may still be printed, what remains after it (-1: no limit), and
    whether the limit is now reached."""
    if remain < 0:
        return out, remain, False
    if len(out) >= remain:
        return out[:remain], 0, True
    return out, remain - len(out), False


# ---------------------------------------------------------------- format 1: CRI records

# A record the fast paths can take whole: fixed-width stamp, a stream, and the F (full line) tag.
_FULL_HEADS = frozenset({b"Z stdout F ", b"Z stderr F "})
_HEAD = 40  # len("2026-01-01T00:00:00.000000000Z stdout F ")
_FAST_BLOCK = 1 << 16
_STAMP = 30
_head_of = itemgetter(slice(_STAMP - 1, _HEAD))
_text_of = itemgetter(slice(_HEAD, None))
_stamp_of = itemgetter(slice(0, _STAMP))


class CriLog:
    """A format-1 log: CRI records, read record by record (or in whole blocks where that gives the same)."""

    plain = False

    def __init__(self, file: IO[bytes], options: LogOptions, offset: int | None) -> None:
        self.file = file
        self.reader = CriReader(options)
        self.partial = b""  # an incomplete record longer than a block, re-read when it is complete
        size = os.fstat(file.fileno()).st_size
        file.seek(offset if offset is not None else cri_tail_offset(file, options.tail, size))
        self.stop_at = size if options.tail >= 0 and not options.follow else -1

    @property
    def full(self) -> bool:
        return self.reader.full

    @property
    def offset(self) -> int:
        return self.file.tell() - len(self.partial)

    def read(self, final: bool) -> bytes:
        while not self.reader.full:
            want = BLOCK if self.stop_at < 0 else min(BLOCK, self.stop_at - self.file.tell())
            chunk = self.file.read(want) if want > 0 else b""
            if not chunk:
                break
            if self.partial:
                chunk, self.partial = self.partial + chunk, b""
            cut = chunk.rfind(b"\n") + 1
            if cut == 0:
                self.partial = chunk  # a record longer than a block, or one still being written
                continue
            if cut < len(chunk):
                # The incomplete record is read again with what completes it: no copy of the block.
                self.file.seek(cut - len(chunk), os.SEEK_CUR)
            out = self.reader.feed(chunk, cut)
            if out:
                return out
        if (final or self.stop_at >= 0) and self.partial and not self.reader.full:
            data, self.partial = self.partial, b""
            return self.reader.feed(data)
        return b""

    def send(self, out_fd: int) -> bool:
        return False

    def close(self) -> None:
        self.file.close()


def cri_tail_offset(f: IO[bytes], lines: int, size: int) -> int:
    """tail.FindTailLineStartIndex: where the last `lines` newline-ended records of the file begin."""
    if lines < 0:
        return 0
    count, right = 0, size
    while right > 0:
        left = max(0, right - BLOCK)
        f.seek(left)
        block = f.read(right - left)
        found = block.count(b"\n")
        if count + found > lines:
            # The wanted start is in this block: after the (count + found - lines)-th newline from its left.
            skip = count + found - lines
            pos = -1
            for _ in range(skip):
                pos = block.index(b"\n", pos + 1)
            return left + pos + 1
        count += found
        right = left
    return 0


def parse_record(line: bytes) -> tuple[bytes, bytes, bool, bytes] | None:
    """(stamp, stream, full, text) of one CRI record without its newline; None if it is not one."""
    parts = line.split(b" ", 3)
    if len(parts) < 3 or parts[1] not in (b"stdout", b"stderr"):
        return None
    stamp = parts[0]
    if len(stamp) != _STAMP or not stamp.endswith(b"Z") or stamp[19:20] != b".":
        normalized = _normalize_stamp(stamp)
        if normalized is None:
            return None
        stamp = normalized
    tag = parts[2].split(b":", 1)[0]
    return stamp, parts[1], tag != b"P", parts[3] if len(parts) == 4 else b""


def _normalize_stamp(raw: bytes) -> bytes | None:
    """Another writer's RFC 3339 stamp in the kubelet's fixed-width output form."""
    try:
        ns = parse_rfc3339_ns(raw.decode())
    except ValueError:  # TimeParseError, UnicodeDecodeError
        return None
    return format_time_nano(ns).encode()


class CriReader:
    """The kubelet's logWriter over one run's CRI records: what `GET pods/NAME/log` would return."""

    def __init__(self, options: LogOptions) -> None:
        self.timestamps = options.timestamps
        self.since = format_time_nano(options.since_ns).encode() if options.since_ns is not None else None
        self.remain = options.limit_bytes if options.limit_bytes > 0 else -1
        self.new_line = True  # the next record starts a line (only such records get a timestamp)
        self.full = False  # --limit-bytes reached

    def feed(self, data: bytes, end: int | None = None) -> bytes:
        """The output for the whole records in `data[:end]` (which ends with a newline, unless it is the
        final, incomplete record of a finished log)."""
        end = len(data) if end is None else end
        if self.full or not end:
            return b""
        out, self.remain, full = _within_limit(self._render(data, end), self.remain)
        self.full = self.full or full
        return out

    def _render(self, data: bytes, end: int) -> bytes:
        parts: list[bytes] = []
        pos = 0
        while pos < end:
            # Whole blocks of full records go through C-level split/slice/join; about 64 KB keeps them in
            # cache. Anything else (partial records, --since, another writer's lines) goes record by record.
            block_end = data.rfind(b"\n", pos, min(end, pos + _FAST_BLOCK)) + 1
            if block_end > pos:
                lines = data[pos:block_end].split(b"\n")
                lines.pop()
                fast = self.new_line and set(map(_head_of, lines)) <= _FULL_HEADS
                if fast and self.since is not None and min(map(_stamp_of, lines)) < self.since:
                    fast = False
                    if max(map(_stamp_of, lines)) < self.since:
                        pos = block_end  # all older than --since; every record ended its line
                        continue
                if fast:
                    if self.timestamps:
                        parts.append(b"\n".join([ln[:_STAMP] + ln[_HEAD - 1 :] for ln in lines]))
                    else:
                        parts.append(b"\n".join(map(_text_of, lines)))
                    parts.append(b"\n")
                else:
                    parts.extend([self._record(ln + b"\n") for ln in lines])
                pos = block_end
                continue
            nl = data.find(b"\n", pos, end)
            stop = end if nl < 0 else nl + 1
            parts.append(self._record(data[pos:stop]))
            pos = stop
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _record(self, raw: bytes) -> bytes:
        parsed = parse_record(raw[:-1] if raw.endswith(b"\n") else raw)
        if parsed is None:
            return b""  # the kubelet logs and skips a line it cannot parse
        stamp, _, full, text = parsed
        starts_line = self.new_line
        ends_line = full and raw.endswith(b"\n")
        self.new_line = ends_line or not text
        if self.since is not None and stamp < self.since:
            return b""
        if ends_line:
            text += b"\n"
        if self.timestamps and starts_line:
            return stamp + b" " + text
        return text


# ---------------------------------------------------------------- Go's time.Parse(time.RFC3339, ...)

_RFC3339 = "2006-01-02T15:04:05Z07:00"


class TimeParseError(ValueError):
    """A time Go's time.Parse would refuse; the message is Go's."""


def _parse_error(value: str, value_elem: str, layout_elem: str) -> TimeParseError:
    return TimeParseError(
        f"parsing time {_go_quote(value)} as {_go_quote(_RFC3339)}: "
        f"cannot parse {_go_quote(value_elem)} as {_go_quote(layout_elem)}"
    )


def _go_quote(s: str) -> str:
    out = ['"']
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _getnum(value: str, fixed: bool) -> tuple[int, str] | None:
    if not value[:1].isdigit() or not value[:1].isascii():
        return None
    if not (value[1:2].isdigit() and value[1:2].isascii()):
        if fixed:
            return None
        return int(value[0]), value[1:]
    return int(value[:2]), value[2:]


def parse_rfc3339_ns(text: str) -> int:
    """Nanoseconds since the epoch, or TimeParseError with the message Go's time.Parse gives."""
    import calendar  # ~3 ms, and only --since-time and other writers' CRI stamps need it

    value = text

    def num(elem: str, fixed: bool, low: int, high: int, what: str) -> int:
        nonlocal value
        got = _getnum(value, fixed)
        if got is None:
            raise _parse_error(text, value, elem)
        n, rest = got
        if not low <= n <= high:
            raise TimeParseError(f"parsing time {_go_quote(text)}: {what} out of range")
        value = rest
        return n

    def literal(lit: str) -> None:
        nonlocal value
        if not value.startswith(lit):
            raise _parse_error(text, value, lit)
        value = value[len(lit) :]

    if len(value) < 4 or not value[:4].isdigit() or not value[:4].isascii():
        raise _parse_error(text, value, "2006")
    year, value = int(value[:4]), value[4:]
    literal("-")
    month = num("01", True, 1, 12, "month")
    literal("-")
    day = num("02", True, 0, 99, "day")
    literal("T")
    hour = num("15", False, 0, 23, "hour")
    literal(":")
    minute = num("04", True, 0, 59, "minute")
    literal(":")
    second = num("05", True, 0, 59, "second")
    nanos = 0
    if len(value) >= 2 and value[0] in ".," and value[1].isdigit():
        n = 2
        while n < len(value) and value[n].isdigit() and value[n].isascii():
            n += 1
        digits = value[1:n][:9]
        nanos = int(digits.ljust(9, "0"))
        value = value[n:]
    offset = 0
    if value.startswith("Z"):
        value = value[1:]
    else:
        zone = value
        if len(zone) < 6 or zone[3] != ":" or zone[0] not in "+-":
            raise _parse_error(text, zone, "Z07:00")
        hh, mm = _getnum(zone[1:3], True), _getnum(zone[4:6], True)
        if hh is None or mm is None or hh[1] or mm[1]:
            raise _parse_error(text, zone, "Z07:00")
        if hh[0] > 24:
            raise TimeParseError(f"parsing time {_go_quote(text)}: time zone offset hour out of range")
        if mm[0] > 60:
            raise TimeParseError(f"parsing time {_go_quote(text)}: time zone offset minute out of range")
        offset = (hh[0] * 60 + mm[0]) * 60 * (-1 if zone[0] == "-" else 1)
        value = zone[6:]
    if value:
        raise TimeParseError(f"parsing time {_go_quote(text)}: extra text: {_go_quote(value)}")
    if day < 1 or day > calendar.monthrange(year, month)[1]:
        raise TimeParseError(f"parsing time {_go_quote(text)}: day out of range")
    seconds = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0)) - offset
    return seconds * 1_000_000_000 + nanos
