"""Concatenating PDFs into one file as they come, so memory stays bounded.

pypdf's ``PdfWriter`` keeps every page of the result in memory until it writes; for a
600-school pack that grows with every school. Here each document's pages (and what they
use: fonts, images, content streams) are copied to the output file at once, renumbered,
and forgotten; only the page references and the bookmarks are kept until the end, when
the page tree, the outline, the cross-reference table and the trailer are written.
"""

from __future__ import annotations

import io
from collections import deque
from dataclasses import dataclass, field
from typing import BinaryIO

from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    EncodedStreamObject,
    IndirectObject,
    NameObject,
    NullObject,
    NumberObject,
    PdfObject,
    StreamObject,
    TextStringObject,
)


@dataclass
class Bookmark:
    title: str
    page: int  # index in the output
    children: list[Bookmark] = field(default_factory=list)


class StreamingPdf:
    """Write ``add``-ed PDFs one after another into ``out``; call ``close`` at the end.

    Pages can be put first with ``add(..., front=True)`` (a contents page made last).
    """

    PAGES_ID = 1
    CATALOG_ID = 2

    def __init__(self, out: BinaryIO):
        self.out = out
        self.offsets: dict[int, int] = {}
        self.next_id = 3
        self.pages: list[int] = []  # object numbers of the pages, in reading order
        self.front: list[int] = []
        self.bookmarks: list[Bookmark] = []
        self._front_bookmarks: list[Bookmark] = []
        self._start = out.tell()
        out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

    def _new_id(self) -> int:
        n = self.next_id
        self.next_id += 1
        return n

    def _write(self, number: int, obj: PdfObject) -> None:
        self.offsets[number] = self.out.tell() - self._start
        self.out.write(f"{number} 0 obj\n".encode())
        obj.write_to_stream(self.out)
        self.out.write(b"\nendobj\n")

    @property
    def page_count(self) -> int:
        return len(self.front) + len(self.pages)

    def add(self, data: bytes, *, bookmark: str | None = None, keep_outline: bool = True,
            front: bool = False) -> int:
        """Copy every page of ``data``; returns how many. ``bookmark`` adds a top-level
        bookmark on its first page (with the document's own bookmarks under it when
        ``keep_outline``)."""
        reader = PdfReader(io.BytesIO(data))
        mapping: dict[tuple[int, int], int] = {}
        queue: deque[tuple[int, PdfObject]] = deque()

        def ref(indirect: IndirectObject) -> IndirectObject:
            key = (indirect.idnum, indirect.generation)
            if key not in mapping:
                mapping[key] = self._new_id()
                queue.append((mapping[key], indirect.get_object()))
            return IndirectObject(mapping[key], 0, None)  # type: ignore[arg-type]

        def remap(obj: PdfObject, *, page: bool = False) -> PdfObject:
            if isinstance(obj, IndirectObject):
                return ref(obj)
            if isinstance(obj, StreamObject):
                new = (EncodedStreamObject() if isinstance(obj, EncodedStreamObject)
                       else DecodedStreamObject())
                for k, v in obj.items():
                    new[NameObject(k)] = remap(v)
                new._data = obj._data
                return new
            if isinstance(obj, DictionaryObject):
                new_dict = DictionaryObject()
                for k, v in obj.items():
                    if page and k == "/Parent":
                        continue
                    new_dict[NameObject(k)] = remap(v)
                if page:
                    new_dict[NameObject("/Parent")] = IndirectObject(self.PAGES_ID, 0, None)  # type: ignore[arg-type]
                return new_dict
            if isinstance(obj, ArrayObject):
                return ArrayObject(remap(v) for v in obj)
            return obj

        first = self.page_count if not front else len(self.front)
        numbers = []
        for p in reader.pages:
            key = (p.indirect_reference.idnum, p.indirect_reference.generation)
            mapping[key] = self._new_id()
            numbers.append(mapping[key])
        for number, p in zip(numbers, reader.pages, strict=True):
            self._write(number, remap(p.get_object(), page=True))
        while queue:  # everything the pages use, each written once
            number, obj = queue.popleft()
            self._write(number, remap(obj))
        (self.front if front else self.pages).extend(numbers)
        if bookmark is not None:
            mark = Bookmark(bookmark, first)
            if keep_outline:
                mark.children = self._outline(reader, reader.outline, first)
                # The document's own top bookmark is the same heading: lift its children.
                if len(mark.children) == 1 and mark.children[0].title == bookmark:
                    mark.children = mark.children[0].children
            (self._front_bookmarks if front else self.bookmarks).append(mark)
        return len(numbers)

    def _outline(self, reader: PdfReader, items, first: int) -> list[Bookmark]:
        out: list[Bookmark] = []
        for item in items:
            if isinstance(item, list):
                if out:
                    out[-1].children = self._outline(reader, item, first)
                continue
            page = reader.get_destination_page_number(item)
            if page is not None and page >= 0:
                out.append(Bookmark(str(item.title), first + page))
        return out

    def _write_outline(self, marks: list[Bookmark], parent: int, order: list[int]
                       ) -> tuple[int, int, int]:
        """Write the bookmark items under ``parent``; (first, last, count)."""
        ids = [self._new_id() for _ in marks]
        count = 0
        for i, (mark, number) in enumerate(zip(marks, ids, strict=True)):
            item = DictionaryObject({
                NameObject("/Title"): TextStringObject(mark.title),
                NameObject("/Parent"): IndirectObject(parent, 0, None),  # type: ignore[arg-type]
                NameObject("/Dest"): ArrayObject([
                    IndirectObject(order[mark.page], 0, None),  # type: ignore[arg-type]
                    NameObject("/XYZ"), NullObject(), NullObject(), NullObject()]),
            })
            if i > 0:
                item[NameObject("/Prev")] = IndirectObject(ids[i - 1], 0, None)  # type: ignore[arg-type]
            if i < len(ids) - 1:
                item[NameObject("/Next")] = IndirectObject(ids[i + 1], 0, None)  # type: ignore[arg-type]
            if mark.children:
                f, last, n = self._write_outline(mark.children, number, order)
                item[NameObject("/First")] = IndirectObject(f, 0, None)  # type: ignore[arg-type]
                item[NameObject("/Last")] = IndirectObject(last, 0, None)  # type: ignore[arg-type]
                item[NameObject("/Count")] = NumberObject(-n)  # closed: one line per school
            self._write(number, item)
            count += 1
        return ids[0], ids[-1], count

    def close(self) -> None:
        """Write the page tree, the outline, the cross-references and the trailer."""
        order = self.front + self.pages
        shift = len(self.front)
        marks = self._front_bookmarks + [
            _shifted(m, shift) for m in self.bookmarks]
        catalog = DictionaryObject({
            NameObject("/Type"): NameObject("/Catalog"),
            NameObject("/Pages"): IndirectObject(self.PAGES_ID, 0, None),  # type: ignore[arg-type]
        })
        if marks:
            outlines_id = self._new_id()
            first, last, count = self._write_outline(marks, outlines_id, order)
            self._write(outlines_id, DictionaryObject({
                NameObject("/Type"): NameObject("/Outlines"),
                NameObject("/First"): IndirectObject(first, 0, None),  # type: ignore[arg-type]
                NameObject("/Last"): IndirectObject(last, 0, None),  # type: ignore[arg-type]
                NameObject("/Count"): NumberObject(count),
            }))
            catalog[NameObject("/Outlines")] = IndirectObject(outlines_id, 0, None)  # type: ignore[arg-type]
            catalog[NameObject("/PageMode")] = NameObject("/UseOutlines")
        self._write(self.PAGES_ID, DictionaryObject({
            NameObject("/Type"): NameObject("/Pages"),
            NameObject("/Kids"): ArrayObject(
                IndirectObject(n, 0, None) for n in order),  # type: ignore[arg-type]
            NameObject("/Count"): NumberObject(len(order)),
        }))
        self._write(self.CATALOG_ID, catalog)
        xref = self.out.tell() - self._start
        size = self.next_id
        self.out.write(f"xref\n0 {size}\n0000000000 65535 f \n".encode())
        for n in range(1, size):
            self.out.write(f"{self.offsets[n]:010d} 00000 n \n".encode())
        self.out.write(f"trailer\n<< /Size {size} /Root {self.CATALOG_ID} 0 R >>\n"
                       f"startxref\n{xref}\n%%EOF\n".encode())


def _shifted(mark: Bookmark, shift: int) -> Bookmark:
    return Bookmark(mark.title, mark.page + shift,
                    [_shifted(c, shift) for c in mark.children])
