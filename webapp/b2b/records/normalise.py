"""Canonical forms for the items as they are stored, and how two values are compared.

Import turns what a file says into these forms once; comparison then needs only cheap
equality tests, plus the few rules (letter case, ethnicity refinements) the catalogue names.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import overload

from webapp.b2b.records.checks import normalise_postcode

_SPACES = re.compile(r"\s+")
_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:T[0-9:.+\-Z]*)?$")

_FLAGS = {"Y": "Y", "YES": "Y", "TRUE": "Y", "1": "Y", "T": "Y",
          "N": "N", "NO": "N", "FALSE": "N", "0": "N", "F": "N"}
_SEX = {"M": "M", "MALE": "M", "F": "F", "FEMALE": "F", "U": "U", "UNKNOWN": "U",
        "W": "F", "X": "U"}


def is_digits(value: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also accepts "²" and other digits int() refuses."""
    return value.isascii() and value.isdigit()


class BadValue(ValueError):
    """A value that cannot be taken in; the message says why (without echoing pupil data)."""


# Characters no name, date, code or comment has a use for: C0 controls but tab, line feed
# and carriage return (white space, folded or kept), DEL, C1 controls but NEL, and the
# invisible format characters that spoof what a person reads: zero-width characters,
# bidirectional overrides and isolates, the soft hyphen, word joiners and the BOM.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\u00ad\u061c"
                     "\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f"
                     "\ufeff\ufff9-\ufffb]")


def unsafe_character(value: str) -> str | None:
    """What is wrong with ``value``'s characters, in words, or ``None``. Cheap for the
    usual value: only one that ``str.isprintable`` refuses is searched."""
    if value.isprintable():
        return None
    bad = _UNSAFE.search(value)
    if bad is None:
        return None
    ch = bad.group()
    kind = ("an invisible formatting character" if ord(ch) >= 0xA0 or ch == "\u00ad"
            else "a control character")
    return f"holds {kind} (U+{ord(ch):04X}) that has no place in it"


def text(value: str) -> str:
    """Surrounding white space removed and inner runs of it folded to one space; a value
    holding a control or invisible formatting character is refused (:class:`BadValue`)."""
    problem = unsafe_character(value)
    if problem:
        raise BadValue(problem)
    return " ".join(value.split())


def free_text(value: str) -> str:
    """A comment or a reason: its lines and tabs kept (line ends as ``\\n``), ends
    trimmed, any other control or invisible formatting character refused."""
    problem = unsafe_character(value.replace("\r\n", "\n"))
    if problem:
        raise BadValue(problem)
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def code(value: str) -> str:
    return text(value).upper()


def iso_date(value: str) -> str:
    """A date given as ISO ``YYYY-MM-DD`` or ``DD/MM/YYYY``, as ISO. Blank stays blank."""
    v = value.strip()
    if not v:
        return ""
    if len(v) == 10 and v[4] == v[7] == "-" and v.isascii() and v[:4].isdigit() \
            and v[5:7].isdigit() and v[8:].isdigit():
        # Already ISO, as nearly every date is: only check that it is a real one.
        try:
            date(int(v[:4]), int(v[5:7]), int(v[8:]))
        except ValueError:
            raise BadValue("is not a real date") from None
        return v
    m = _ISO.match(v)
    if m:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    else:
        m = _DMY.match(v)
        if not m:
            raise BadValue("is not a date (use YYYY-MM-DD or DD/MM/YYYY)")
        d, mo, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
    try:
        return date(y, mo, d).isoformat()
    except ValueError:
        raise BadValue("is not a real date") from None


def flag(value: str) -> str:
    v = value.strip().upper()
    if not v:
        return ""
    if v not in _FLAGS:
        raise BadValue("is not a yes/no value (Y or N)")
    return _FLAGS[v]


def sex(value: str) -> str:
    v = value.strip().upper()
    if not v:
        return ""
    if v not in _SEX:
        raise BadValue("is not a sex code (M, F or U)")
    return _SEX[v]


def nc_year(value: str) -> str:
    v = code(value)
    if v.upper().startswith("YEAR "):
        v = v[5:]
    if is_digits(v):
        v = str(int(v))
    return v


def code_list(value: str) -> str:
    """Codes separated by commas or spaces, upper case, joined by commas, order kept."""
    parts = [p for p in re.split(r"[,\s;]+", value.strip().upper()) if p]
    return ",".join(parts)


def digits(value: str) -> str:
    v = value.strip()
    if v and not is_digits(v):
        raise BadValue("is not a whole number")
    return v.lstrip("0") or ("0" if v else "")


_NORMAL_POSTCODE = re.compile(r"[A-Z0-9]+ [0-9][A-Z]{2}")


def postcode(value: str) -> str:
    """``normalise_postcode``, with a quick way through for a postcode already in form."""
    if _NORMAL_POSTCODE.fullmatch(value):
        return value
    return normalise_postcode(value)


# How each record item is put into canonical form on import.
ITEM_FORMS = {
    "upn": code,
    "former_upn": code,
    "surname": text,
    "forename": text,
    "middle_names": text,
    "preferred_surname": text,
    "preferred_forename": text,
    "sex": sex,
    "dob": iso_date,
    "address_saon": text,
    "address_paon": text,
    "address_street": text,
    "address_locality": text,
    "address_town": text,
    "address_county": text,
    "postcode": postcode,
    "uprn": digits,
    "ethnicity": code,
    "home_language": code,
    "first_language": code,
    "sen_provision": code,
    "sen_needs": code_list,
    "nc_year": nc_year,
    "religion": code,
    "reg_group": text,
    "connexions_assent": flag,
    "start_date": iso_date,
    "leave_date": iso_date,
    "enrol_status": code,
    "eal": flag,
    "gifted_talented": flag,
    "service_child": flag,
    "traveller": flag,
}


@overload
def display_date(iso: str) -> str: ...
@overload
def display_date(iso: None) -> None: ...
@overload
def display_date(iso: str | None) -> str | None: ...
def display_date(iso: str | None) -> str | None:
    """ISO date shown as the seed's reports show dates: DD/MM/YYYY."""
    if not iso:
        return iso
    try:
        return datetime.strptime(iso, "%Y-%m-%d").strftime("%d/%m/%Y")
    except ValueError:
        return iso


def fold(value: str) -> str:
    """For comparing text where letter case and spacing do not matter."""
    return _SPACES.sub(" ", value).strip().casefold()


def fold_address(value: str) -> str:
    """For comparing address lines: case, spacing and punctuation do not matter."""
    return _SPACES.sub(" ", re.sub(r"[,.;]", " ", value)).strip().casefold()
