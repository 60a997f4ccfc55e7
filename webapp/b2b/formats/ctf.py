"""DfE Common Transfer File (CTF) XML, read by streaming, in the structure real files have
(SIMS exports, the DfE's own CTF writers: see ``docs/formats.md``).

Versions: 19 up to the current academic year's and the next (``NN.0`` is academic year
20NN/NN+1); a newer file whose structure is recognised is read, with a warning. Every
element of a pupil the reader does not take in is counted in :class:`ReadNotes`, so an
import's summary lists what the file carried and was not read.

Safe on hostile input: no DTDs, no entity expansion, no network; a DOCTYPE is refused
outright since a CTF never has one. Memory stays flat: each ``Pupil`` element is cleared
once read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from typing import IO

from lxml import etree

from webapp.b2b.formats import ImportRefused, ParsedPupil, ReadNotes, SchoolRef
from webapp.b2b.records.normalise import ITEM_FORMS, BadValue, is_digits
from webapp.b2b.weeks import academic_year_of

FIRST_VERSION = 19


def _today() -> date:
    return date.today()


def current_version(today: date | None = None) -> int:
    """The CTF version (its number before ".0") of the academic year ``today`` falls in:
    26 for 2026/27, as the DfE's own writers give it."""
    return academic_year_of(today or _today()) - 2000


# CTF element (relative to Pupil) -> record item.
_PUPIL_TEXT = {
    "UPN": "upn",
    "Surname": "surname",
    "Forename": "forename",
    "DOB": "dob",
    "Gender": "sex",  # older files (SIMS in CTF 19)
    "Sex": "sex",
    "BasicDetails/FormerUPN": "former_upn",
    "BasicDetails/PreferredSurname": "preferred_surname",
    "BasicDetails/PreferredForename": "preferred_forename",
    "BasicDetails/MiddleNames": "middle_names",
    "BasicDetails/NCyearActual": "nc_year",
    "BasicDetails/Ethnicity": "ethnicity",
    "BasicDetails/ServiceChild": "service_child",
    "BasicDetails/EnrolStatus": "enrol_status",
}
# The supplier's block (SIMS: in BasicDetails, and again directly under Pupil).
_SUPP_TEXT = {
    "Religion": "religion",
    "EnglishAsAdditionalLanguage": "eal",
}
_BS7666 = {
    "SAON": "address_saon",
    "PAON": "address_paon",
    "Street": "address_street",
    "Locality": "address_locality",
    "Town": "address_town",
    "AdministrativeArea": "address_county",
    "UniquePropertyReferenceNumber": "uprn",
}
_YEAR_COUNTS = (("SessionsPossible", "sessions_possible"),
                ("SessionsAttended", "sessions_attended"),
                ("SessionsAuthorised", "sessions_authorised"),
                ("SessionsUnauthorised", "sessions_unauthorised"))

# What the reader reads, as a tree of element names under Pupil: a name mapped to a dict
# is looked into (its children are read or listed as not read), one mapped to None is
# read whole. Any other element a pupil has is counted as not read, with its path.
_Known = dict[str, "_Known | None"]
_KNOWN: _Known = {
    **{path: None for path in _PUPIL_TEXT if "/" not in path},
    "BasicDetails": {
        **{path[13:]: None for path in _PUPIL_TEXT if path.startswith("BasicDetails/")},
        "Languages": {"Type": {"LanguageType": None, "Language": None}},
        # SuppID only names the supplier whose block it is.
        "SuppInfo": {"SuppID": None, **dict.fromkeys(_SUPP_TEXT)},
    },
    "SENhistory": {
        "SEN": {"StartDate": None, "SENprovision": None, "EndDate": None},
        "SENneeds": {"SENneed": {"SENtypeRank": None, "SENtype": None}},
    },
    "Address": {
        "BS7666Address": {**dict.fromkeys(_BS7666), "PostTown": None},
        "AddressLines": {f"AddressLine{i}": None for i in range(1, 6)},
        "County": None,
        "PostCode": None,
    },
    # URN and SchoolName name the school, as LEA and Estab do (by which it is found).
    "Attendance": {"YearData": {
        "Year": None, "LEA": None, "Estab": None, "URN": None, "SchoolName": None,
        **{tag: None for tag, _ in _YEAR_COUNTS},
        "AttendanceStartDate": None, "AttendanceMarks": None}},
    "SchoolHistory": {"School": {
        "LEA": None, "Estab": None, "URN": None, "SchoolName": None, "EntryDate": None,
        "LeavingDate": None}},
    "SuppInfo": {"SuppID": None, **dict.fromkeys(_SUPP_TEXT)},
}
_HEADER_KNOWN: _Known = {
    "DocumentName": None, "CTFversion": None, "DateTime": None, "DocumentQualifier": None,
    "DataDescriptor": None, "SupplierID": None,
    "SourceSchool": {"LEA": None, "Estab": None, "URN": None, "SchoolName": None,
                     "AcademicYear": None},
    "DestSchool": {"LEA": None, "Estab": None, "URN": None},
}
# Every record item a CTF can give. A full file (DocumentQualifier "full") gives each
# pupil's whole record: an item it leaves out is then not supplied (``None``) rather than
# kept from an earlier file; a partial file changes only the items it carries.
CTF_ITEMS: tuple[str, ...] = tuple(dict.fromkeys((
    *_PUPIL_TEXT.values(), *_SUPP_TEXT.values(), "first_language", "sen_provision",
    "sen_needs", *_BS7666.values(), "postcode", "start_date", "leave_date")))
_NOT_SUPPLIED: dict[str, str | None] = dict.fromkeys(CTF_ITEMS)

# Elements read but whose data is not stored, listed with these names.
OTHER_SCHOOL_YEAR = "Attendance/YearData (an earlier school's year: not this school's)"
OTHER_SCHOOL = "SchoolHistory/School (an earlier school)"
EARLIER_SEN = "SENhistory/SEN (an earlier SEN record)"
OTHER_LANGUAGE = "BasicDetails/Languages/Type (a language other than the first)"
SECOND_SPELL_MARKS = "Attendance/YearData/AttendanceMarks (a second spell in one year)"
_MAX_PATHS = 200  # paths listed for one pupil (a hostile file could invent thousands)


# The same few dozen tags come round for every pupil: remember their local names.
_LOCAL_NAMES: dict[object, str] = {}


def _local(tag: object) -> str:
    """An element's name without any namespace (CTFs are seen with and without one)."""
    name = _LOCAL_NAMES.get(tag)
    if name is not None:
        return name
    if not isinstance(tag, str):
        return ""
    name = tag.rpartition("}")[2] if tag[0] == "{" else tag
    if len(_LOCAL_NAMES) < 1000:  # a hostile file's invented tags do not fill memory
        _LOCAL_NAMES[tag] = name
    return name


def _scan(el: etree._Element, known: _Known, prefix: str, unread: dict[str, None]
          ) -> dict[str, etree._Element]:
    """The element's children that ``known`` names, by local name (the first of each);
    the path of every other child goes in ``unread`` (its path stands for all it holds).
    One pass: the reader looks at each element it reads once."""
    out: dict[str, etree._Element] = {}
    names = _LOCAL_NAMES
    for c in el:
        tag = c.tag
        name = names.get(tag) or _local(tag)
        if name in known:
            if name not in out:
                out[name] = c
        elif name and len(unread) < _MAX_PATHS:
            unread[(prefix + name)[:200]] = None
    return out


def _each(el: etree._Element, name: str, prefix: str, unread: dict[str, None]
          ) -> list[etree._Element]:
    """The children called ``name`` (a repeating group's entries); any other child's
    path goes in ``unread``."""
    out = []
    names = _LOCAL_NAMES
    for c in el:
        tag = c.tag
        local = names.get(tag) or _local(tag)
        if local == name:
            out.append(c)
        elif local and len(unread) < _MAX_PATHS:
            unread[(prefix + local)[:200]] = None
    return out


def _sub_known(path: str) -> _Known:
    node: _Known | None = _KNOWN
    for part in path.split("/"):
        assert node is not None
        node = node[part]
    assert node is not None
    return node


_K_BASIC = _sub_known("BasicDetails")
_K_TYPE = _sub_known("BasicDetails/Languages/Type")
_K_SUPP = _sub_known("SuppInfo")
_K_SEN = _sub_known("SENhistory/SEN")
_K_NEED = _sub_known("SENhistory/SENneeds/SENneed")
_K_ADDRESS = _sub_known("Address")
_K_BS7666 = _sub_known("Address/BS7666Address")
_K_LINES = _sub_known("Address/AddressLines")
_K_YEAR = _sub_known("Attendance/YearData")
_K_SCHOOL = _sub_known("SchoolHistory/School")


def _unread(el: etree._Element, known: _Known, prefix: str, out: dict[str, None]) -> None:
    """Add to ``out`` the path of every descendant of ``el`` that ``known`` does not read
    (not looking inside it: its path stands for all it holds)."""
    for c in el:
        name = _local(c.tag)
        if not name:
            continue
        if name in known:
            sub = known[name]
            if sub is not None and len(c):
                _unread(c, sub, prefix + name + "/", out)
        elif len(out) < _MAX_PATHS:
            out[(prefix + name)[:200]] = None


# _PUPIL_TEXT split by parent, in its order, with each item's normaliser looked up once.
_TOP_TEXT = tuple((path, path, item, ITEM_FORMS[item]) for path, item in _PUPIL_TEXT.items()
                  if "/" not in path)
_BASIC_TEXT = tuple((path, path[13:], item, ITEM_FORMS[item])
                    for path, item in _PUPIL_TEXT.items() if path.startswith("BasicDetails/"))
_SUPP_FORMS = tuple((tag, item, ITEM_FORMS[item]) for tag, item in _SUPP_TEXT.items())
_BS7666_FORMS = tuple((tag, item, ITEM_FORMS[item]) for tag, item in _BS7666.items())


def _child(el: etree._Element, path: str) -> etree._Element | None:
    node = el
    for part in path.split("/"):
        found = None
        for c in node:
            if _local(c.tag) == part:
                found = c
                break
        if found is None:
            return None
        node = found
    return node


def _text(el: etree._Element | None) -> str | None:
    if el is None:
        return None
    if len(el) == 0:  # a leaf, as nearly every CTF value is: no need to walk it
        return el.text or ""
    return "".join(el.itertext())


def _formed(node: etree._Element, form: Callable[[str], str], element: str,
            where: str) -> str | None:
    """An element's text in its stored form, or the file refused naming the element."""
    raw = (node.text or "") if len(node) == 0 else "".join(node.itertext())
    try:
        return form(raw)
    except BadValue as e:
        raise ImportRefused(f"<{element}> {e}", where) from None


def _parser_events(source: IO[bytes]) -> etree.iterparse[tuple[str, etree._Element]]:
    # Only the elements we act on reach Python: most of a file's events stay in libxml2.
    return etree.iterparse(
        source,
        events=("start", "end"),
        tag=("{*}CTfile", "{*}Header", "{*}Pupil"),
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _check_root(root: etree._Element) -> None:
    if root.getroottree().docinfo.doctype:
        raise ImportRefused("a DOCTYPE declaration is not allowed in a CTF file (external "
                            "entities are refused)", f"line {root.sourceline}")
    if _local(root.tag) != "CTfile":
        raise ImportRefused(f"the root element is <{_local(root.tag)}>, not <CTfile>",
                            f"line {root.sourceline}")


_DECLARATION = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def _declared_encoding(head: bytes) -> str | None:
    """The encoding the XML declaration names (read as ASCII), if it names one."""
    m = _DECLARATION.match(head.lstrip(b"\xef\xbb\xbf"))
    return m.group(1).decode("ascii").upper() if m else None


def _wrong_encoding(msg: str, declared: str | None, line: int | None) -> str | None:
    """libxml2's words for a file written in another encoding than it declares, in plain
    words for the person who exported it; ``None`` for any other error."""
    said = declared or "UTF-8 (no encoding is declared, so UTF-8 is assumed)"
    if "Invalid bytes in character encoding" in msg or "input conversion failed" in msg:
        return (f"the file says it is written in {said} but is not: at line {line} it has "
                "bytes that are not that encoding (often a file saved as Windows-1252 or "
                "Latin-1). Export it again as UTF-8, or correct the encoding in its "
                "first line")
    if declared and declared.startswith(("UTF-16", "UTF-32", "UCS")) and (
            "Blank needed here" in msg or "Document is empty" in msg
            or "Start tag expected" in msg):
        return (f"the file says it is written in {declared} but its bytes are in a "
                "one-byte encoding such as UTF-8: export it again, or correct the encoding "
                "in its first line")
    return None


def read_ctf(source: IO[bytes], notes: ReadNotes | None = None) -> Iterator[ParsedPupil]:
    """Yield each pupil of a CTF file; raise :class:`ImportRefused` on anything wrong.

    ``notes``, if given, gathers what the file holds that was not read (and warnings)."""
    if notes is None:
        notes = ReadNotes()
    school: SchoolRef | None = None
    pupil_no = 0
    checked = False
    whole = False
    # libxml2's error log is kept per thread across parses: start this file's afresh, so
    # that a refusal names this file's first error, not an earlier file's.
    etree.clear_error_log()
    peek, whole_value = getattr(source, "peek", None), getattr(source, "getvalue", None)
    head = (peek(256) if callable(peek) else whole_value() if callable(whole_value) else b"")
    declared = _declared_encoding(head[:256])
    try:
        context = _parser_events(source)
        for event, el in context:
            if not checked:
                _check_root(el.getroottree().getroot())
                checked = True
            if event == "start":
                continue
            name = _local(el.tag)
            parent = el.getparent()
            if name == "Header" and parent is not None and parent.getparent() is None:
                if school is not None:
                    raise ImportRefused("a CTF file has one <Header>: this is a second one",
                                        f"<Header> (line {el.sourceline})")
                school = _read_header(el, notes)
                qualifier = (_text(_child(el, "DocumentQualifier")) or "").strip().lower()
                whole = qualifier == "full"
            elif (name == "Pupil" and parent is not None
                  and _local(parent.tag) == "CTFpupilData"):
                pupil_no += 1
                if school is None:
                    raise ImportRefused("no <Header> before the first <Pupil>",
                                        f"line {el.sourceline}")
                yield _read_pupil(el, school, pupil_no, notes, whole)
                el.clear(keep_tail=True)
                while el.getprevious() is not None:
                    if parent[0].tag != el.tag:  # not an earlier pupil
                        _note_other(parent[0], notes)
                    del parent[0]
            elif name == "Pupil":
                notes.warn("a <Pupil> outside <CTFpupilData> was not read")
        if not checked and context.root is not None:
            _check_root(context.root)
        if context.root is not None:
            _note_others(context.root, notes)
    except etree.XMLSyntaxError as e:
        line, msg = e.lineno, e.msg or str(e)
        # libxml2's own first error (e.g. "Entity 'x' not defined") says more than the
        # summary lxml raises ("no element found").
        first = e.error_log[0] if len(e.error_log) else None
        if first is not None and (not line or "no element found" in msg):
            line, msg = first.line, first.message
        # lxml appends ", line N, column M" itself; keep one location in front.
        msg = msg.split(", line ")[0]
        wrong = _wrong_encoding(msg, declared, line)
        if wrong:
            raise ImportRefused(wrong, f"line {line}") from None
        raise ImportRefused(f"the XML is not well formed: {msg}", f"line {line}") from None
    if school is None:
        raise ImportRefused("no <Header> with the source school's LEA and Estab",
                            "<CTfile>")


def _note_other(el: etree._Element, notes: ReadNotes) -> None:
    """A child of CTFpupilData about to be dropped: one that is not a pupil is noted."""
    name = _local(el.tag)
    if name != "Pupil" and name:
        notes.warn(f"CTFpupilData/{name[:100]} was not read")


def _note_others(root: etree._Element, notes: ReadNotes) -> None:
    """Elements of the file outside the header and the pupils: none is read."""
    for c in root:
        name = _local(c.tag)
        if name == "CTFpupilData":
            for p in c:
                _note_other(p, notes)
        elif name and name != "Header":
            notes.warn(f"{name[:100]} (outside the header and the pupils) was not read")


def _read_header(el: etree._Element, notes: ReadNotes) -> SchoolRef:
    where = f"<Header> (line {el.sourceline})"
    version = (_text(_child(el, "CTFversion")) or "").strip()
    try:
        major = int(version.split(".")[0])
    except ValueError:
        raise ImportRefused(f"CTFversion {version!r} is not a version number", where) from None
    newest = current_version() + 1
    if major < FIRST_VERSION:
        raise ImportRefused(f"CTF version {version} is not supported ({FIRST_VERSION} to "
                            f"{newest} are)", where)
    if major > newest:
        notes.warn(f"CTF version {version} is newer than the versions known ({FIRST_VERSION} "
                   f"to {newest}): it was read as those are; check the elements listed as "
                   "not read")
    lea = (_text(_child(el, "SourceSchool/LEA")) or "").strip()
    estab = (_text(_child(el, "SourceSchool/Estab")) or "").strip()
    if not (is_digits(lea) and len(lea) == 3 and is_digits(estab) and len(estab) == 4):
        raise ImportRefused("SourceSchool needs a 3-digit <LEA> and a 4-digit <Estab> (a "
                            "file not from a school, such as one with XXX and XXXX, cannot "
                            "be taken in)", where)
    unread: dict[str, None] = {}
    _unread(el, _HEADER_KNOWN, "Header/", unread)
    for path in unread:
        notes.warn(f"{path} was not read")
    name = (_text(_child(el, "SourceSchool/SchoolName")) or "").strip() or None
    return SchoolRef(lea + estab, name)


def _school_of(kids: dict[str, etree._Element]) -> str | None:
    """The LAESTAB a YearData or SchoolHistory entry names, ``None`` if it names none."""
    lea = (_text(kids.get("LEA")) or "").strip()
    estab = (_text(kids.get("Estab")) or "").strip()
    return lea + estab if lea or estab else None


def _read_pupil(el: etree._Element, school: SchoolRef, n: int, notes: ReadNotes,
                whole: bool = False) -> ParsedPupil:
    where = f"Pupil {n} (line {el.sourceline})"
    items: dict[str, str | None] = {}
    unread: dict[str, None] = {}
    kids = _scan(el, _KNOWN, "", unread)
    basic = kids.get("BasicDetails")
    basic_kids = _scan(basic, _K_BASIC, "BasicDetails/", unread) if basic is not None else {}
    for texts, found in ((_TOP_TEXT, kids), (_BASIC_TEXT, basic_kids)):
        for path, tag, item, form in texts:
            node = found.get(tag)
            if node is not None:
                items[item] = _formed(node, form, path, where)
    # Religion and EAL: the supplier's block in BasicDetails, else the one under Pupil.
    for supp, prefix in ((kids.get("SuppInfo"), "SuppInfo/"),
                         (basic_kids.get("SuppInfo"), "BasicDetails/SuppInfo/")):
        if supp is not None:
            supp_kids = _scan(supp, _K_SUPP, prefix, unread)
            for tag, item, form in _SUPP_FORMS:
                node = supp_kids.get(tag)
                if node is not None:
                    items[item] = _formed(node, form, prefix + tag, where)
    languages = basic_kids.get("Languages")
    if languages is not None:
        _read_languages(languages, items, unread, where)
    sen = kids.get("SENhistory")
    if sen is not None:
        _read_sen(sen, items, unread, where)
    address = kids.get("Address")
    if address is not None:
        _read_address(address, items, unread, where)
    history = kids.get("SchoolHistory")
    if history is not None:
        _read_history(history, school.laestab, items, unread, where)
    attendance: list[dict[str, str | int | None]] = []
    att = kids.get("Attendance")
    if att is not None:
        attendance = _read_attendance(att, school.laestab, unread, where)
    notes.pupil(tuple(unread))
    if whole:  # a full file: what it leaves out is not supplied, not kept from before
        items = {**_NOT_SUPPLIED, **items}
    return ParsedPupil(school, items, where, attendance=attendance)


def _read_languages(languages: etree._Element, items: dict[str, str | None],
                    unread: dict[str, None], where: str) -> None:
    """``Languages/Type``: LanguageType F is the first language."""
    for t in _each(languages, "Type", "BasicDetails/Languages/", unread):
        tk = _scan(t, _K_TYPE, "BasicDetails/Languages/Type/", unread)
        kind = (_text(tk.get("LanguageType")) or "").strip().upper()
        lang = _text(tk.get("Language"))
        if kind == "F" and lang is not None and "first_language" not in items:
            items["first_language"] = _canonical("first_language", lang, where,
                                                 "Languages/Type/Language")
        else:
            unread[OTHER_LANGUAGE] = None


def _read_sen(sen: etree._Element, items: dict[str, str | None], unread: dict[str, None],
              where: str) -> None:
    """The current SEN record (none ended: records come newest first; if every one has
    ended, the latest started) gives the provision; ``SENneeds`` beside the records the
    needs, in the order of their rank."""
    records = []
    needs = None
    for c in sen:
        name = _local(c.tag)
        if name == "SEN":
            records.append(_scan(c, _K_SEN, "SENhistory/SEN/", unread))
        elif name == "SENneeds":
            needs = c if needs is None else needs
        elif name and len(unread) < _MAX_PATHS:
            unread[("SENhistory/" + name)[:200]] = None
    current = next((r for r in records if not (_text(r.get("EndDate")) or "").strip()),
                   None)
    if current is None and records:
        current = max(records, key=lambda r: (_text(r.get("StartDate")) or "").strip())
    if current is not None:
        prov = _text(current.get("SENprovision"))
        if prov is not None:
            items["sen_provision"] = _canonical("sen_provision", prov, where,
                                                "SENhistory/SEN/SENprovision")
        if len(records) > 1:
            unread[EARLIER_SEN] = None
    if needs is not None:
        ranked = []
        for i, need in enumerate(_each(needs, "SENneed", "SENhistory/SENneeds/", unread)):
            nk = _scan(need, _K_NEED, "SENhistory/SENneeds/SENneed/", unread)
            code = (_text(nk.get("SENtype")) or "").strip()
            rank = (_text(nk.get("SENtypeRank")) or "").strip()
            if code:
                ranked.append((int(rank) if is_digits(rank) else 10**6, i, code))
        items["sen_needs"] = _canonical("sen_needs", ",".join(c for _, _, c in sorted(ranked)),
                                        where, "SENhistory/SENneeds/SENneed/SENtype")


_NO_ADDRESS: dict[str, str | None] = dict.fromkeys((
    "address_saon", "address_paon", "address_street", "address_locality", "address_town",
    "address_county", "uprn"))


def _read_address(address: etree._Element, items: dict[str, str | None],
                  unread: dict[str, None], where: str) -> None:
    """An address replaces the one held as a whole: a part it leaves out is not supplied
    (``None``), not kept from before."""
    akids = _scan(address, _K_ADDRESS, "Address/", unread)
    bs = akids.get("BS7666Address")
    lines = akids.get("AddressLines")
    items.update(_NO_ADDRESS)
    if bs is not None:
        bkids = _scan(bs, _K_BS7666, "Address/BS7666Address/", unread)
        for tag, item, form in _BS7666_FORMS:
            node = bkids.get(tag)
            if node is not None:
                items[item] = _formed(node, form, tag, where)
        post_town = _text(bkids.get("PostTown"))
        if not items.get("address_town") and post_town:
            items["address_town"] = _canonical("address_town", post_town, where, "PostTown")
    elif lines is not None:
        lkids = _scan(lines, _K_LINES, "Address/AddressLines/", unread)
        texts = [(_text(lkids.get(f"AddressLine{i}")) or "").strip() for i in range(1, 6)]
        texts = [t for t in texts if t]
        items["address_paon"] = texts[0] if texts else None
        items["address_street"] = texts[1] if len(texts) > 1 else None
        items["address_locality"] = ", ".join(texts[2:-1]) if len(texts) > 3 else None
        items["address_town"] = texts[-1] if len(texts) > 2 else None
    if bs is not None and lines is not None:
        unread["Address/AddressLines (beside a BS7666Address)"] = None
    county = _text(akids.get("County"))
    if county is not None and not items.get("address_county"):
        items["address_county"] = _canonical("address_county", county, where, "County")
    postcode = _text(akids.get("PostCode"))
    items["postcode"] = (None if postcode is None
                         else _canonical("postcode", postcode, where, "PostCode"))


def _read_history(history: etree._Element, laestab: str, items: dict[str, str | None],
                  unread: dict[str, None], where: str) -> None:
    """``SchoolHistory/School`` of the sending school: the pupil's start date there (its
    ``EntryDate``) and, if the pupil has left, the leaving date."""
    own = None
    for s in _each(history, "School", "SchoolHistory/", unread):
        sk = _scan(s, _K_SCHOOL, "SchoolHistory/School/", unread)
        if own is None and _school_of(sk) == laestab:
            own = sk
        else:
            unread[OTHER_SCHOOL] = None
    if own is None:
        return
    for tag, item in (("EntryDate", "start_date"), ("LeavingDate", "leave_date")):
        value = _text(own.get(tag))
        if value is not None:
            items[item] = _canonical(item, value, where, f"SchoolHistory/School/{tag}")


def _read_attendance(att: etree._Element, laestab: str, unread: dict[str, None],
                     where: str) -> list[dict[str, str | int | None]]:
    """The sending school's own years (a YearData naming no school is taken as its own);
    years at earlier schools are not this school's attendance and are not taken in. Two
    spells at the school in one year are one year: their sessions add up."""
    years: dict[str, dict[str, str | int | None]] = {}
    for yd in _each(att, "YearData", "Attendance/", unread):
        yk = _scan(yd, _K_YEAR, "Attendance/YearData/", unread)
        at = _school_of(yk)
        if at is not None and at != laestab:
            unread[OTHER_SCHOOL_YEAR] = None
            continue
        year = _read_year(yk, where)
        held = years.get(str(year["academic_year"]))
        if held is None:
            years[str(year["academic_year"])] = year
            continue
        for _, key in _YEAR_COUNTS:
            a, b = held[key], year[key]
            held[key] = b if a is None else a if b is None else int(a) + int(b)
        if year["marks"] is not None:
            if held["marks"] is None:
                held["marks"] = year["marks"]
                held["attendance_start_date"] = year["attendance_start_date"]
            else:
                unread[SECOND_SPELL_MARKS] = None
    return list(years.values())


def _read_year(yk: dict[str, etree._Element], where: str) -> dict[str, str | int | None]:
    def number(tag: str) -> int | None:
        raw = (_text(yk.get(tag)) or "").strip()
        if not raw:
            return None
        if not is_digits(raw):
            raise ImportRefused(f"<{tag}> is not a whole number", where)
        return int(raw)

    year = (_text(yk.get("Year")) or "").strip()
    if not is_digits(year):
        raise ImportRefused("<Attendance><YearData><Year> is not a year", where)
    start = _text(yk.get("AttendanceStartDate"))
    out: dict[str, str | int | None] = {
        "academic_year": f"{int(year)}/{(int(year) + 1) % 100:02d}"}
    for tag, key in _YEAR_COUNTS:
        out[key] = number(tag)
    out["attendance_start_date"] = (_canonical("dob", start, where, "AttendanceStartDate")
                                    if start else None)
    out["marks"] = (_text(yk.get("AttendanceMarks")) or "").strip() or None
    return out


def _canonical(item: str, raw: str, where: str, element: str) -> str:
    try:
        return ITEM_FORMS[item](raw)
    except BadValue as e:
        raise ImportRefused(f"<{element}> {e}", where) from None
