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
from typing import IO, TYPE_CHECKING, Any

from webapp.b2b.formats import CountingReader, ImportRefused, ParsedPupil, ReadNotes, SchoolRef
from webapp.b2b.formats.csvfile import read_pupils_csv
from webapp.b2b.formats.ctf import read_ctf

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess
    from multiprocessing.queues import Queue

READERS: dict[str, Callable[[IO[bytes]], Iterator[ParsedPupil]]] = {
    "ctf": read_ctf,
    "csv-pupils": read_pupils_csv,
}


def read_pupils(fmt: str, source: IO[bytes], notes: ReadNotes) -> Iterator[ParsedPupil]:
    """The pupils of a file in format ``fmt``; what the file held and was not read goes
    in ``notes`` (CTF: the elements not read)."""
    if fmt == "ctf":
        return read_ctf(source, notes)
    return READERS[fmt](source)


CHUNK = 2000  # pupils per message: about what the importer writes at a time
START_TIMEOUT = 30.0  # seconds to wait for a worker before reading here instead

Progress = Callable[[int], None]
# A pupil as it crosses between the processes: (laestab, school name, items, where,
# exclusions, attendance).
Packed = tuple[str, str | None, dict[str, str | None], str, list[dict[str, str | None]],
               list[dict[str, str | int | None]]]
Job = tuple[int, str, bytes]  # (seq, format, the file's bytes); None tells the worker to stop
# What the worker sends back, its kind first: ("ready",), ("pupils", seq, pupils, bytes
# read), ("end", ..., the file's ReadNotes), ("refused", ..., reason, where), ("failed",
# ..., error name), ("bye", peak memory in kB, CPU seconds). Unpickled from another
# process: its items are not checked.
Message = tuple[Any, ...]


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


def _serve(jobs: Queue[Job | None], out: Connection[Message, Message]) -> None:
    """The worker: read each file it is sent and send its pupils back, in order."""
    out.send(("ready",))
    while (job := jobs.get()) is not None:
        seq, fmt, data = job
        counting = CountingReader(io.BytesIO(data))
        sent = 0
        batch: list[Packed] = []
        notes = ReadNotes()
        try:
            for p in read_pupils(fmt, io.BufferedReader(counting), notes):
                batch.append(_pack(p))
                if len(batch) == CHUNK:
                    out.send(("pupils", seq, batch, counting.count - sent))
                    sent = counting.count
                    batch = []
            out.send(("end", seq, batch, counting.count - sent, notes))
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
    """One file sent to a worker; ``pupils()`` gives them back, ``finish()`` discards
    whatever was not taken (call it whether or not the import went through)."""

    def __init__(self, worker: _Worker, seq: int, fmt: str, data: bytes):
        self.worker, self.seq, self.fmt, self.data = worker, seq, fmt, data
        self.done = False

    def pupils(self, progress: Progress | None = None,
               notes: ReadNotes | None = None) -> Iterator[ParsedPupil]:
        """The file's pupils in order; ``notes`` gets what the file held and was not read
        (once the last pupil is given)."""
        taken = reported = 0
        schools: dict[tuple[str, str | None], SchoolRef] = {}
        while not self.done:
            msg = self.worker.receive(self)
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
                reported += nbytes
            if kind == "end":
                if notes is not None and isinstance(msg[4], ReadNotes):
                    notes.update(msg[4])
                return
            if kind == "refused":
                raise ImportRefused(msg[4], msg[5])
            if kind == "failed":
                break
        # Read here from the start, passing over the pupils already given; progress goes
        # on from where the worker's stopped.
        counting = CountingReader(io.BytesIO(self.data))
        here = read_pupils(self.fmt, io.BufferedReader(counting),
                           notes if notes is not None else ReadNotes())
        for p in islice(here, taken, None):
            if progress and counting.count > reported:
                progress(counting.count - reported)
                reported = counting.count
            yield p
        if progress and counting.count > reported:
            progress(counting.count - reported)

    def finish(self) -> None:
        while not self.done:
            msg = self.worker.receive(self)
            self.done = msg is None or msg[0] != "pupils"


class _Worker:
    """One worker process: files go in by a queue, pupils come back by a pipe, in order."""

    def __init__(self) -> None:
        self.proc: BaseProcess | None = None
        # Set by start() before ``proc``: wherever ``proc`` is set, so are they.
        self.jobs: Queue[Job | None]
        self.conn: Connection[Message, Message]
        self.ready = False
        self.broken = False
        self.open: deque[Ticket] = deque()

    def start(self) -> None:
        try:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload([__name__])
            self.jobs = ctx.Queue()
            self.conn, child = ctx.Pipe(duplex=False)
            self.proc = ctx.Process(target=_serve, args=(self.jobs, child), daemon=True,
                                    name="b2b-parse-ahead")
            self.proc.start()
            child.close()
        except Exception:  # noqa: BLE001  (no worker: files are read here)
            self.broken = True

    def is_ready(self, timeout: float = 0) -> bool:
        """Whether the worker has started and takes files (waits up to ``timeout``); not
        once it has gone, so that no more files are sent to it."""
        if self.ready or self.broken or self.proc is None:
            return self.ready and not self.broken
        try:
            if self.conn.poll(timeout):
                self.ready = self.conn.recv()[0] == "ready"
                self.broken = not self.ready
            elif timeout:
                self.broken = True
        except (EOFError, OSError):
            self.broken = True
        return self.ready

    def submit(self, seq: int, fmt: str, data: bytes) -> Ticket:
        ticket = Ticket(self, seq, fmt, data)
        self.jobs.put((seq, fmt, data))
        self.open.append(ticket)
        return ticket

    def receive(self, ticket: Ticket) -> Message | None:
        """The next message for ``ticket`` (earlier tickets' leftovers are discarded);
        ``None`` once the worker is gone."""
        while self.open and self.open[0] is not ticket:
            self.open[0].finish()
        if not self.broken:
            try:
                msg = self.conn.recv()
            except (EOFError, OSError):
                self.broken = True
        if self.broken:
            if ticket in self.open:
                self.open.remove(ticket)
            return None
        if msg[0] != "pupils":
            self.open.popleft()
        return msg

    def close(self) -> None:
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        try:
            while self.open:
                self.open[0].finish()
            if not self.broken:
                self.jobs.put(None)
                if self.conn.poll(10):
                    msg = self.conn.recv()
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
            self.jobs.cancel_join_thread()
            self.jobs.close()
            self.conn.close()


class ParseAhead:
    """Worker processes reading pupil files ahead of the importer, started when first
    needed. Use as a context manager; ``submit`` files in the order their pupils will be
    taken (each goes to the next worker in turn)."""

    def __init__(self, workers: int = 1) -> None:
        self._workers = [_Worker() for _ in range(max(1, workers))]
        self._next = 0
        self._seq = 0
        self._started = False

    def __enter__(self) -> ParseAhead:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Start the workers if not yet started (they get ready in the background)."""
        if not self._started:
            self._started = True
            for w in self._workers:
                w.start()

    def ready(self) -> bool:
        """Whether a worker is taking files (never waits)."""
        return any(w.is_ready() for w in self._workers)

    def submit(self, fmt: str, data: bytes) -> Ticket | None:
        """Send a file to be read; ``None`` if there is no worker to read it (waits for
        one to start if none has yet)."""
        if fmt not in READERS:
            return None
        self.start()
        ready = [w for w in self._workers if w.is_ready()]
        if not ready:
            ready = [w for w in self._workers[:1] if w.is_ready(START_TIMEOUT)]
        if not ready:
            return None
        worker = ready[self._next % len(ready)]
        self._next += 1
        self._seq += 1
        return worker.submit(self._seq, fmt, data)

    def close(self) -> None:
        for w in self._workers:
            w.close()
