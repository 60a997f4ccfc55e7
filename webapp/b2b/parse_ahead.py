"""Reading pupil files in a second process while this one writes what was read before.

Parsing a CTF or the pupils CSV is most of an import's work, and a second core sat idle
meanwhile. A :class:`ParseAhead` runs the very same readers (``read_ctf``,
``read_pupils_csv``) over the same bytes in a worker process and hands the pupils back
in order, a chunk at a time; the importer then writes them exactly as it writes pupils
it read itself. A refusal is raised at the same pupil as reading here would raise it.
If the worker fails in any other way (or cannot be started), the rest of the file is
read here, so what is imported never depends on the worker.

The worker comes from a ``forkserver`` (a clean process, not a copy of this one's threads
and connections) and only ever sees file bytes.
"""

from __future__ import annotations

import io
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import IO

from webapp.b2b.formats import ImportRefused, ParsedPupil, SchoolRef
from webapp.b2b.formats.csvfile import read_pupils_csv
from webapp.b2b.formats.ctf import read_ctf

READERS: dict[str, Callable[[IO[bytes]], Iterator[ParsedPupil]]] = {
    "ctf": read_ctf,
    "csv-pupils": read_pupils_csv,
}
CHUNK = 2000  # pupils per message: about what the importer writes at a time
START_TIMEOUT = 30.0  # seconds to wait for a worker before reading here instead

Progress = Callable[[int], None]
Packed = tuple  # (laestab, school name, items, where, exclusions, attendance)


class _Counting(io.RawIOBase):
    """A reader that counts the bytes read (the worker's progress, sent with each chunk)."""

    def __init__(self, raw: IO[bytes]):
        self._raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # noqa: ANN001
        data = self._raw.read(len(b))
        n = len(data)
        b[:n] = data
        self.count += n
        return n


def _pack(p: ParsedPupil) -> Packed:
    return (p.school.laestab, p.school.name, p.items, p.where, p.exclusions, p.attendance)


def _peak_kb() -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _serve(jobs, out) -> None:  # noqa: ANN001
    """The worker: read each file it is sent and send its pupils back, in order."""
    out.send(("ready",))
    while (job := jobs.get()) is not None:
        seq, fmt, data = job
        counting = _Counting(io.BytesIO(data))
        sent = 0
        batch: list[Packed] = []
        try:
            for p in READERS[fmt](io.BufferedReader(counting)):
                batch.append(_pack(p))
                if len(batch) == CHUNK:
                    out.send(("pupils", seq, batch, counting.count - sent))
                    sent = counting.count
                    batch = []
            out.send(("end", seq, batch, counting.count - sent))
        except ImportRefused as e:
            out.send(("refused", seq, batch, counting.count - sent, e.reason, e.where))
        except Exception as e:  # noqa: BLE001  (the importer reads it itself instead)
            out.send(("failed", seq, batch, counting.count - sent, type(e).__name__))
    times = os.times()
    out.send(("bye", _peak_kb(), times.user + times.system))


@dataclass
class WorkerStats:
    """What the workers used, for benchmarks: peak memory of the largest, CPU of all."""

    peak_mb: float = 0.0
    cpu_s: float = 0.0


STATS = WorkerStats()


class Ticket:
    """One file sent to the worker; ``pupils()`` gives them back, ``finish()`` discards
    whatever was not taken (call it whether or not the import went through)."""

    def __init__(self, ahead: ParseAhead, seq: int, fmt: str, data: bytes):
        self.ahead, self.seq, self.fmt, self.data = ahead, seq, fmt, data
        self.done = False

    def pupils(self, progress: Progress | None = None) -> Iterator[ParsedPupil]:
        taken = 0
        schools: dict[tuple[str, str | None], SchoolRef] = {}
        while not self.done:
            msg = self.ahead.receive(self)
            if msg is None:  # the worker is gone: read the rest here
                self.done = True
                break
            kind, _seq, batch, nbytes = msg[:4]
            self.done = kind != "pupils"
            for laestab, name, items, where, exclusions, attendance in batch:
                school = schools.get((laestab, name))
                if school is None:
                    school = schools[(laestab, name)] = SchoolRef(laestab, name)
                taken += 1
                yield ParsedPupil(school, items, where, exclusions, attendance)
            if progress and nbytes:
                progress(nbytes)
            if kind == "end":
                return
            if kind == "refused":
                raise ImportRefused(msg[4], msg[5])
            if kind == "failed":
                break
        # Read here from the start, passing over the pupils already given.
        yield from islice(READERS[self.fmt](io.BufferedReader(io.BytesIO(self.data))),
                          taken, None)

    def finish(self) -> None:
        while not self.done:
            msg = self.ahead.receive(self)
            self.done = msg is None or msg[0] != "pupils"


class ParseAhead:
    """A worker process reading pupil files ahead of the importer. Use as a context
    manager; ``submit`` files in the order their pupils will be taken."""

    def __init__(self) -> None:
        self._proc = None
        self._jobs = None
        self._conn = None
        self._ready = False
        self._broken = False
        self._seq = 0
        self._open: deque[Ticket] = deque()

    def __enter__(self) -> ParseAhead:
        self.start()
        return self

    def __exit__(self, *exc) -> None:  # noqa: ANN002
        self.close()

    def start(self) -> None:
        """Start the worker (it gets ready in the background)."""
        if self._proc is not None or self._broken:
            return
        try:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload([__name__])
            self._jobs = ctx.Queue()
            self._conn, child = ctx.Pipe(duplex=False)
            self._proc = ctx.Process(target=_serve, args=(self._jobs, child), daemon=True,
                                     name="b2b-parse-ahead")
            self._proc.start()
            child.close()
        except Exception:  # noqa: BLE001  (no worker: files are read here)
            self._broken = True

    def ready(self) -> bool:
        """Whether the worker has started and is taking files (never waits long)."""
        if self._ready or self._broken or self._proc is None:
            return self._ready
        try:
            if self._conn.poll(0):
                self._ready = self._conn.recv()[0] == "ready"
                self._broken = not self._ready
        except (EOFError, OSError):
            self._broken = True
        return self._ready

    def wait_ready(self, timeout: float = START_TIMEOUT) -> bool:
        if not (self._ready or self._broken or self._proc is None):
            try:
                if self._conn.poll(timeout):
                    return self.ready()
            except (EOFError, OSError):
                pass
            self._broken = True
        return self._ready

    def submit(self, fmt: str, data: bytes) -> Ticket | None:
        """Send a file to be read; ``None`` if there is no worker to read it."""
        if fmt not in READERS or not self.wait_ready():
            return None
        self._seq += 1
        ticket = Ticket(self, self._seq, fmt, data)
        self._jobs.put((ticket.seq, fmt, data))
        self._open.append(ticket)
        return ticket

    def receive(self, ticket: Ticket) -> tuple | None:
        """The next message for ``ticket`` (earlier tickets' leftovers are discarded)."""
        while self._open and self._open[0] is not ticket:
            self._open[0].finish()
        if not self._broken:
            try:
                msg = self._conn.recv()
            except (EOFError, OSError):
                self._broken = True
        if self._broken:
            if ticket in self._open:
                self._open.remove(ticket)
            return None
        if msg[0] != "pupils":
            self._open.popleft()
        return msg

    def close(self) -> None:
        if self._proc is None:
            return
        proc, self._proc = self._proc, None
        try:
            while self._open:
                self._open[0].finish()
            if not self._broken:
                self._jobs.put(None)
                if self._conn.poll(10):
                    msg = self._conn.recv()
                    if msg[0] == "bye":
                        STATS.peak_mb = max(STATS.peak_mb, msg[1] / 1024)
                        STATS.cpu_s += msg[2]
            proc.join(5)
        except (EOFError, OSError):
            pass
        finally:
            if proc.is_alive():
                proc.terminate()
                proc.join(5)
            # Files still queued for a worker that has gone are not waited for.
            self._jobs.cancel_join_thread()
            self._jobs.close()
            self._conn.close()
