"""Checks on single values: UPN check letters and postcodes."""

from __future__ import annotations

import re
from functools import lru_cache

from stdnum import exceptions as stdnum_errors
from stdnum.gb import upn as stdnum_upn

# Outward code forms AN, ANN, AAN, AANN, ANA, AANA; inward digit + two letters that are
# never C, I, K, M, O or V.
_POSTCODE = re.compile(
    r"^(?:[A-Z]\d|[A-Z]\d\d|[A-Z][A-Z]\d|[A-Z][A-Z]\d\d|[A-Z]\d[A-Z]|[A-Z][A-Z]\d[A-Z])"
    r" \d[ABD-HJLNP-UW-Z]{2}$"
)
_BFPO = re.compile(r"^BFPO ?(\d{1,4})$")


def normalise_postcode(value: str) -> str:
    """Upper case, no inner spaces but one before the inward code ("me14 1xx" -> "ME14 1XX")."""
    compact = re.sub(r"\s+", "", value).upper()
    if not compact:
        return ""
    bfpo = _BFPO.match(compact)
    if bfpo:
        return f"BFPO {bfpo.group(1)}"
    if len(compact) > 3:
        return f"{compact[:-3]} {compact[-3:]}"
    return compact


@lru_cache(maxsize=65536)
def is_valid_postcode(value: str) -> bool:
    """Whether a (normalised) postcode has a valid UK shape. Shape is not correctness."""
    pc = normalise_postcode(value)
    return pc == "GIR 0AA" or bool(_POSTCODE.match(pc)) or bool(_BFPO.match(pc))


def _known_la_numbers() -> frozenset[str]:
    """The LA numbers python-stdnum accepts in a UPN, asked of its public API: each
    number with nine zeros after it and the right check letter in front."""
    known = set()
    for n in range(1000):
        digits = f"{n:03d}000000000"
        if stdnum_upn.is_valid(stdnum_upn.calc_check_digit(digits) + digits):
            known.add(f"{n:03d}")
    return frozenset(known)


KNOWN_LA_NUMBERS = _known_la_numbers()
_CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
_WEIGHTED = tuple(range(2, 14))


def _plainly_valid(upn: str) -> bool:
    """A permanent UPN stdnum would accept, told without it (stdnum takes ~25 µs a UPN:
    most of a comparison's time when it was asked of every pupil). A check letter, 12
    digits, a known LA number and the right letter; anything else is left to stdnum."""
    if len(upn) != 13 or not (upn.isascii() and upn[1:].isdigit()):
        return False
    if upn[1:4] not in KNOWN_LA_NUMBERS:
        return False
    # stdnum's weights over its alphabet, in which digit d stands at 23 + d: mod 23, d.
    total = sum(map(int.__mul__, _WEIGHTED, map(int, upn[1:])))
    return _CHECK_LETTERS[total % 23] == upn[0]


@lru_cache(maxsize=65536)
def upn_problem(upn: str) -> tuple[str, str] | None:
    """What is wrong with a UPN, as ``(rule, message)``, or ``None`` if it is valid.

    Uses python-stdnum for length, format, LA number and check letter; a temporary UPN
    (letter in the last place) is reported separately since it is valid but should have
    been replaced by a permanent one.
    """
    if _plainly_valid(upn):
        return None
    try:
        stdnum_upn.validate(upn)
    except stdnum_errors.InvalidLength:
        return ("upn_format", f"The UPN {upn} is not 13 characters long.")
    except stdnum_errors.InvalidFormat:
        return ("upn_format", f"The UPN {upn} is not in the UPN format (a check letter, "
                "12 digits, or 11 digits and a letter for a temporary UPN; never I, O or S).")
    except stdnum_errors.InvalidComponent:
        return ("upn_la_number", f"The UPN {upn} does not start with a known LA number.")
    except stdnum_errors.InvalidChecksum:
        expected = stdnum_upn.calc_check_digit(upn[1:])
        return ("upn_check_letter",
                f"The UPN {upn} has the wrong check letter: it should begin with {expected}.")
    if upn[-1].isalpha():
        return ("upn_temporary", f"{upn} is a temporary UPN: please replace it with the "
                "pupil's permanent UPN.")
    return None


def upn_check_letter(trailing12: str) -> str:
    """The check letter for the last 12 characters of a UPN."""
    return stdnum_upn.calc_check_digit(trailing12)


def record_problems(upn: str | None, postcode: str | None) -> str | None:
    """What is wrong with a record on its own, as the rule keys of the comparison's
    anomalies separated by spaces ("upn_check_letter postcode_format"), ``None`` if
    nothing. Stored with each record (``PupilRecord.problems``) whenever it is written,
    so that the comparison's screen can ask the database which records to look at.

    Changing a rule here means recomputing the stored column (as migration 0007 did).
    """
    found = []
    if upn:
        problem = upn_problem(upn)
        if problem:
            found.append(problem[0])
    if postcode and not is_valid_postcode(postcode):
        found.append("postcode_format")
    return " ".join(found) or None
