"""DfE Common Transfer File (CTF) XML, versions 19 to 25, read by streaming.

Safe on hostile input: no DTDs, no entity expansion, no network; a DOCTYPE is refused
outright since a CTF never has one. Memory stays flat: each ``Pupil`` element is cleared
once read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import IO

from lxml import etree

from webapp.b2b.formats import ImportRefused, ParsedPupil, SchoolRef
from webapp.b2b.records.normalise import ITEM_FORMS, BadValue, is_digits

SUPPORTED_VERSIONS = range(19, 26)

# CTF element (relative to Pupil) -> record item. BasicDetails holds most of them.
_PUPIL_TEXT = {
    "UPN": "upn",
    "Surname": "surname",
    "Forename": "forename",
    "DOB": "dob",
    "Sex": "sex",
    "Gender": "sex",
    "BasicDetails/FormerUPN": "former_upn",
    "BasicDetails/PreferredSurname": "preferred_surname",
    "BasicDetails/PreferredForename": "preferred_forename",
    "BasicDetails/MiddleNames": "middle_names",
    "BasicDetails/NCyearActual": "nc_year",
    "BasicDetails/Ethnicity": "ethnicity",
    "BasicDetails/EnrolStatus": "enrol_status",
    "BasicDetails/Religion": "religion",
    "BasicDetails/EAL": "eal",
    "BasicDetails/GiftedTalented": "gifted_talented",
    "BasicDetails/ServiceChild": "service_child",
    "BasicDetails/Traveller": "traveller",
    "BasicDetails/ConnexionsAssent": "connexions_assent",
    "BasicDetails/RegGroup": "reg_group",
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


def _kids(el: etree._Element) -> dict[str, etree._Element]:
    """The element's children by local name (the first of each name)."""
    out: dict[str, etree._Element] = {}
    for c in el:
        name = _local(c.tag)
        if name and name not in out:
            out[name] = c
    return out


# _PUPIL_TEXT split by parent, in its order, with each item's normaliser looked up once.
_TOP_TEXT = tuple((path, path, item, ITEM_FORMS[item]) for path, item in _PUPIL_TEXT.items()
                  if "/" not in path)
_BASIC_TEXT = tuple((path, path[13:], item, ITEM_FORMS[item])
                    for path, item in _PUPIL_TEXT.items() if path.startswith("BasicDetails/"))
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


def read_ctf(source: IO[bytes]) -> Iterator[ParsedPupil]:
    """Yield each pupil of a CTF file; raise :class:`ImportRefused` on anything wrong."""
    school: SchoolRef | None = None
    pupil_no = 0
    checked = False
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
                school = _read_header(el)
            elif (name == "Pupil" and parent is not None
                  and _local(parent.tag) == "CTFpupilData"):
                pupil_no += 1
                if school is None:
                    raise ImportRefused("no <Header> before the first <Pupil>",
                                        f"line {el.sourceline}")
                yield _read_pupil(el, school, pupil_no)
                el.clear(keep_tail=True)
                while el.getprevious() is not None:
                    del parent[0]
        if not checked and context.root is not None:
            _check_root(context.root)
    except etree.XMLSyntaxError as e:
        line, msg = e.lineno, e.msg or str(e)
        # libxml2's own first error (e.g. "Entity 'x' not defined") says more than the
        # summary lxml raises ("no element found").
        first = e.error_log[0] if len(e.error_log) else None
        if first is not None and (not line or "no element found" in msg):
            line, msg = first.line, first.message
        # lxml appends ", line N, column M" itself; keep one location in front.
        msg = msg.split(", line ")[0]
        raise ImportRefused(f"the XML is not well formed: {msg}", f"line {line}") from None
    if school is None:
        raise ImportRefused("no <Header> with the source school's LEA and Estab",
                            "<CTfile>")


def _read_header(el: etree._Element) -> SchoolRef:
    where = f"<Header> (line {el.sourceline})"
    version = (_text(_child(el, "CTFversion")) or "").strip()
    try:
        major = int(version.split(".")[0])
    except ValueError:
        raise ImportRefused(f"CTFversion {version!r} is not a version number", where) from None
    if major not in SUPPORTED_VERSIONS:
        raise ImportRefused(f"CTF version {version} is not supported (19 to 25 are)", where)
    lea = (_text(_child(el, "SourceSchool/LEA")) or "").strip()
    estab = (_text(_child(el, "SourceSchool/Estab")) or "").strip()
    if not (is_digits(lea) and len(lea) == 3 and is_digits(estab) and len(estab) == 4):
        raise ImportRefused("SourceSchool needs a 3-digit <LEA> and a 4-digit <Estab>", where)
    name = (_text(_child(el, "SourceSchool/SchoolName")) or "").strip() or None
    return SchoolRef(lea + estab, name)


def _read_pupil(el: etree._Element, school: SchoolRef, n: int) -> ParsedPupil:
    where = f"Pupil {n} (line {el.sourceline})"
    items: dict[str, str | None] = {}
    kids = _kids(el)
    basic = kids.get("BasicDetails")
    basic_kids = _kids(basic) if basic is not None else {}
    for texts, found in ((_TOP_TEXT, kids), (_BASIC_TEXT, basic_kids)):
        for path, tag, item, form in texts:
            node = found.get(tag)
            if node is not None:
                items[item] = _formed(node, form, path, where)
    languages = basic_kids.get("Languages")
    if languages is not None:
        for t in languages:
            kind = (_text(_child(t, "TypeID")) or "").strip().upper()
            lang = _text(_child(t, "Language"))
            if lang is None:
                continue
            if kind in ("F", "FIRST", "FLA"):
                items["first_language"] = _canonical("first_language", lang, where, "Language")
            elif kind in ("H", "HOME"):
                items["home_language"] = _canonical("home_language", lang, where, "Language")
    sen = kids.get("SENhistory")
    if sen is not None:
        latest = list(sen)[-1] if len(sen) else None
        if latest is not None:
            prov = _text(_child(latest, "SENprovision"))
            if prov is not None:
                items["sen_provision"] = _canonical("sen_provision", prov, where, "SENprovision")
            needs = _child(latest, "SENneeds")
            if needs is not None:
                codes = [(_text(_child(n_, "SENtype")) or _text(n_) or "").strip()
                         for n_ in needs]
                items["sen_needs"] = ",".join(c.upper() for c in codes if c)
    address = kids.get("Address")
    if address is not None:
        _read_address(address, items, where)
    attendance = []
    att = kids.get("Attendance")
    if att is not None:
        for yd in att:
            if _local(yd.tag) != "YearData":
                continue
            attendance.append(_read_year(yd, where))
    return ParsedPupil(school, items, where, attendance=attendance)


def _read_address(address: etree._Element, items: dict[str, str | None], where: str) -> None:
    akids = _kids(address)
    bs = akids.get("BS7666Address")
    lines = akids.get("AddressLines")
    if bs is not None:
        bkids = _kids(bs)
        for tag, item, form in _BS7666_FORMS:
            node = bkids.get(tag)
            items[item] = "" if node is None else _formed(node, form, tag, where)
        post_town = _text(bkids.get("PostTown"))
        if not items.get("address_town") and post_town:
            items["address_town"] = _canonical("address_town", post_town, where, "PostTown")
    elif lines is not None:
        texts = [(_text(_child(lines, f"AddressLine{i}")) or "").strip() for i in range(1, 6)]
        texts = [t for t in texts if t]
        items["address_saon"] = ""
        items["address_paon"] = texts[0] if texts else ""
        items["address_street"] = texts[1] if len(texts) > 1 else ""
        items["address_locality"] = ", ".join(texts[2:-1]) if len(texts) > 3 else ""
        items["address_town"] = texts[-1] if len(texts) > 2 else ""
        items["uprn"] = ""
    county = _text(akids.get("County"))
    if county is not None and not items.get("address_county"):
        items["address_county"] = _canonical("address_county", county, where, "County")
    elif "address_county" not in items:
        items["address_county"] = ""
    postcode = _text(akids.get("PostCode"))
    items["postcode"] = _canonical("postcode", postcode or "", where, "PostCode")


def _read_year(yd: etree._Element, where: str) -> dict[str, str | int | None]:
    def number(tag: str) -> int | None:
        raw = (_text(_child(yd, tag)) or "").strip()
        if not raw:
            return None
        if not is_digits(raw):
            raise ImportRefused(f"<{tag}> is not a whole number", where)
        return int(raw)

    year = (_text(_child(yd, "Year")) or "").strip()
    if not is_digits(year):
        raise ImportRefused("<Attendance><YearData><Year> is not a year", where)
    start = _text(_child(yd, "AttendanceStartDate"))
    return {
        "academic_year": f"{int(year)}/{(int(year) + 1) % 100:02d}",
        "sessions_possible": number("SessionsPossible"),
        "sessions_attended": number("SessionsAttended"),
        "sessions_authorised": number("SessionsAuthorised"),
        "sessions_unauthorised": number("SessionsUnauthorised"),
        "attendance_start_date": _canonical("dob", start, where, "AttendanceStartDate")
        if start else None,
        "marks": (_text(_child(yd, "AttendanceMarks")) or "").strip() or None,
    }


def _canonical(item: str, raw: str, where: str, element: str) -> str:
    try:
        return ITEM_FORMS[item](raw)
    except BadValue as e:
        raise ImportRefused(f"<{element}> {e}", where) from None
