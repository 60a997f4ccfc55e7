"""Readers for the files the two sides send: CTF XML and our CSV formats.

Each reader streams a file and yields :class:`ParsedPupil` (or exclusion and attendance
rows for the companion CSVs); a file that cannot be taken in raises :class:`ImportRefused`
naming the line or element and the reason.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING

from webapp.b2b.records.headings import COMMON_HEADINGS, fold

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer


class CountingReader(io.RawIOBase):
    """A reader that counts the bytes read (``count``) and, if given, reports each read's
    size to ``progress`` (the CLI's progress bars, the parse-ahead worker's messages)."""

    def __init__(self, raw: IO[bytes], progress: Callable[[int], None] | None = None):
        self._raw = raw
        self._progress = progress
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: WriteableBuffer) -> int:
        with memoryview(b) as view:
            data = self._raw.read(len(view))
            n = len(data)
            view[:n] = data
        self.count += n
        if self._progress and n:
            self._progress(n)
        return n


class ImportRefused(Exception):
    """A file refused as a whole. ``str()`` gives "where: why" without pupil data."""

    def __init__(self, reason: str, where: str | None = None):
        self.reason = reason
        self.where = where
        super().__init__(f"{where}: {reason}" if where else reason)


@dataclass
class SchoolRef:
    laestab: str
    name: str | None = None


@dataclass
class ParsedPupil:
    school: SchoolRef
    items: dict[str, str | None]
    where: str  # "line 12" or "Pupil 3 (line 40)": for messages
    exclusions: list[dict[str, str | None]] = field(default_factory=list)
    attendance: list[dict[str, str | int | None]] = field(default_factory=list)


# How many different sets of paths not read one file's notes keep (a hostile file could
# give every pupil new element names); pupils past it are counted under one line.
MAX_PATH_SETS = 5000
TOO_MANY_PATHS = ("(further elements: too many different names to list)",)


@dataclass
class ReadNotes:
    """What a reader saw in a file and did not take in, for the import's summary.

    ``pupil_paths`` counts, for each set of element paths (relative to ``Pupil``) that a
    pupil had and the reader did not read, the pupils with exactly that set: most pupils
    of a file share one, so a pupil costs one count. ``warnings`` are about the file as a
    whole (a CTF version newer than those known, an element of the header not read).
    """

    warnings: list[str] = field(default_factory=list)
    pupil_paths: dict[tuple[str, ...], int] = field(default_factory=dict)

    def warn(self, message: str) -> None:
        if message not in self.warnings and len(self.warnings) < 100:
            self.warnings.append(message)

    def pupil(self, paths: tuple[str, ...]) -> None:
        """Count one pupil who had these element paths and whose reader did not read them."""
        if paths:
            n = self.pupil_paths.get(paths)
            if n is None and len(self.pupil_paths) >= MAX_PATH_SETS:
                paths = TOO_MANY_PATHS  # a file inventing names: its memory stays bounded
                n = self.pupil_paths.get(paths)
            self.pupil_paths[paths] = (n or 0) + 1

    def update(self, other: ReadNotes) -> None:
        """Add another reading's notes (the parse-ahead worker's) to these."""
        for w in other.warnings:
            self.warn(w)
        for paths, n in other.pupil_paths.items():
            self.pupil_paths[paths] = self.pupil_paths.get(paths, 0) + n

    def not_read(self) -> dict[str, int]:
        """Each path not read, with how many pupils had it, in the order first met."""
        out: dict[str, int] = {}
        for paths, n in self.pupil_paths.items():
            for p in paths:
                out[p] = out.get(p, 0) + n
        return out


@dataclass
class ParsedExclusion:
    school: SchoolRef
    upn: str
    items: dict[str, str | None]
    where: str


@dataclass
class ParsedAttendance:
    school: SchoolRef
    upn: str
    items: dict[str, str | int | None]
    where: str


def sniff(head: bytes) -> str:
    """The format of a file from its first bytes: ``ctf``, ``csv-pupils``,
    ``csv-exclusions`` or ``csv-attendance``."""
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"<") or head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "ctf"
    first_line = stripped.split(b"\n", 1)[0].decode("utf-8", "replace").strip().lower()
    columns = [c.strip() for c in first_line.split(",")]
    if "category" in columns:
        return "csv-exclusions"
    if "sessions_possible" in columns or "marks" in columns:
        return "csv-attendance"
    if "upn" in columns or "laestab" in columns:
        return "csv-pupils"
    if {COMMON_HEADINGS.get(fold(c)) for c in columns} & {"upn", "laestab", "surname"}:
        return "csv-pupils"  # the LA's own extract, with its own headings
    raise ImportRefused("not a CTF XML file or one of the documented CSV formats "
                        "(the first line is not a known header)", "line 1")
