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
    raise ImportRefused("not a CTF XML file or one of the documented CSV formats "
                        "(the first line is not a known header)", "line 1")
