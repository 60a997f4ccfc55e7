"""The field catalogue: every item the comparison looks at, how its values are compared,
how they are shown, and the instruction the school reads.

Instructions follow the words of the LA's current Word report ("Please tick which is the
correct legal forename.").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar, overload

from webapp.b2b.records.codes import exclusion_instruction, is_ethnicity_refinement
from webapp.b2b.records.items import ADDRESS_PARTS
from webapp.b2b.records.normalise import display_date, fold, fold_address

Record = Mapping[str, str | None]
_T = TypeVar("_T")


def _same_exact(a: str, b: str) -> bool:
    return a == b


def _same_text(a: str, b: str) -> bool:
    return a == b or fold(a) == fold(b)


def _same_ethnicity(a: str, b: str) -> bool:
    # An extended code (WENG) refines its main code (WBRI): not a conflict.
    return a == b or is_ethnicity_refinement(a, b)


def _same_code_set(a: str, b: str) -> bool:
    return a == b or sorted(filter(None, a.split(","))) == sorted(filter(None, b.split(",")))


def _same_postcode(a: str, b: str) -> bool:
    return a.replace(" ", "") == b.replace(" ", "")


@dataclass(frozen=True)
class Field:
    """One line of the report that can differ."""

    key: str
    label: str
    instruction: str
    same: Callable[[str, str], bool] = _same_exact
    # Names, dates and addresses can be wrong on both sides: offer "Neither".
    allows_other: bool = False
    is_date: bool = False

    def value(self, record: Record) -> str | None:
        """The record's value for this field, ``None`` if the source did not supply it."""
        return record.get(self.key)

    def show(self, value: str | None) -> str:
        """A value as the report shows it."""
        if value is None:
            return "Not supplied"
        if value == "":
            return "(blank)"
        return display_date(value) if self.is_date else value

    def instruction_for(self, school_value: str | None, la_value: str | None) -> str:
        return self.instruction


class AddressField(Field):
    """The address lines (BS7666 parts) compared as one, with the postcode when it differs."""

    def value(self, record: Record) -> str | None:
        parts = [record.get(p) for p in ADDRESS_PARTS]
        if all(p is None for p in parts):
            return None
        lines = ", ".join(p for p in parts if p)
        postcode = record.get("postcode")
        return f"{lines} {postcode}".strip() if postcode else lines


class PostcodeField(Field):
    def instruction_for(self, school_value: str | None, la_value: str | None) -> str:
        return self.instruction.format(school=school_value or "blank")


def address_lines_same(school: Record, la: Record) -> bool:
    """Whether the two address line sets match, ignoring case, spacing and punctuation."""
    def lines(r: Record) -> str:
        return fold_address(" ".join(r.get(p) or "" for p in ADDRESS_PARTS))
    return lines(school) == lines(la)


FIELDS: tuple[Field, ...] = (
    Field("upn", "UPN", "Please confirm which UPN is correct."),
    Field("former_upn", "Former UPN", "Please confirm which former UPN is correct."),
    Field("surname", "Surname", "Please tick which is the correct legal surname.",
          _same_text, allows_other=True),
    Field("forename", "Forename", "Please tick which is the correct legal forename.",
          _same_text, allows_other=True),
    Field("middle_names", "Middle names", "Please tick which are the correct middle names.",
          _same_text, allows_other=True),
    Field("preferred_surname", "Preferred surname",
          "Please tick which is the correct preferred surname.", _same_text, allows_other=True),
    Field("preferred_forename", "Preferred forename",
          "Please tick which is the correct preferred forename.", _same_text, allows_other=True),
    Field("dob", "DOB", "Please confirm which date of birth is correct.",
          allows_other=True, is_date=True),
    Field("sex", "Gender", "Please tick which gender is correct."),
    AddressField("address", "Address", "Please confirm which address is correct.",
                 allows_other=True),
    PostcodeField("postcode", "LA Address",
                  "The postcode you have provided is {school} which does not appear to be "
                  "correct for the above address. If the address we have is correct please "
                  "amend your system.", _same_postcode, allows_other=True),
    Field("ethnicity", "Ethnicity", "Please confirm which ethnicity is correct.",
          _same_ethnicity),
    Field("home_language", "Home language", "Please confirm which home language is correct."),
    Field("first_language", "First language",
          "Please confirm which first language is correct."),
    Field("sen_provision", "SEN provision", "Please confirm which SEN provision is correct."),
    Field("sen_needs", "SEN needs", "Please confirm which SEN needs are correct.",
          _same_code_set),
    Field("nc_year", "Year taught in",
          "Please confirm which National Curriculum year the pupil is taught in."),
    Field("religion", "Religion", "Please confirm which religion is correct."),
    Field("reg_group", "Registration group",
          "Please confirm which registration group is correct.", _same_text),
    Field("connexions_assent", "Connexions assent",
          "Please confirm whether Connexions assent has been given."),
    Field("start_date", "Start date", "Please confirm which start date is correct.",
          allows_other=True, is_date=True),
    Field("leave_date", "Leaving date", "Please confirm which leaving date is correct.",
          allows_other=True, is_date=True),
    Field("enrol_status", "Enrolment status",
          "Please confirm which enrolment status is correct."),
    Field("eal", "EAL", "Please confirm whether English is an additional language."),
    Field("gifted_talented", "Gifted and talented",
          "Please confirm the gifted and talented indicator."),
    Field("service_child", "Service child",
          "Please confirm whether the pupil is a service child in education."),
    Field("traveller", "Traveller", "Please confirm the traveller family status."),
)

class ActivityField(Field):
    """A field for one exclusion or one academic year's attendance (keys such as
    ``exclusion.FIXD.2025-02-03.end_date``): made on demand by the catalogue."""

    def show(self, value: str | None) -> str:
        if value is None:
            return "Not supplied"
        if value == "":
            return "None held"
        return display_date(value) if self.is_date else value


def activity_field(key: str) -> Field | None:
    """The catalogue entry for an exclusion or attendance key, ``None`` for other keys."""
    parts = key.split(".")
    if parts[0] == "exclusion" and len(parts) == 4:
        _, category, start, item = parts
        name = {"PERM": "Permanent exclusion", "FIXD": "Suspension",
                "LNCH": "Lunchtime exclusion"}.get(category, "Exclusion")
        label = {"end_date": f"{name} {display_date(start)}: end date",
                 "sessions": f"{name} {display_date(start)}: sessions",
                 "reasons": f"{name} {display_date(start)}: reasons",
                 "details": f"{name} {display_date(start)}",
                 "held": f"{name} {display_date(start)}"}.get(item, f"{name} {item}")
        return ActivityField(key, label, exclusion_instruction(category),
                             allows_other=item in ("end_date", "details"),
                             is_date=item == "end_date")
    if parts[0] == "attendance" and len(parts) == 3:
        _, year, item = parts
        label = f"Attendance {year}: " + item.replace("sessions_", "sessions ").replace("_", " ")
        return ActivityField(key, label, f"Please confirm the attendance figures for {year}.")
    return None


class _Catalogue(dict[str, Field]):
    """Field key -> Field; exclusion and attendance keys are derived when asked for."""

    def __missing__(self, key: str) -> Field:
        f = activity_field(key)
        if f is None:
            raise KeyError(key)
        return f

    @overload
    def get(self, key: str, default: None = None) -> Field | None: ...
    @overload
    def get(self, key: str, default: Field) -> Field: ...
    @overload
    def get(self, key: str, default: _T) -> Field | _T: ...
    def get(self, key: str, default: object = None) -> object:
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or (
            isinstance(key, str) and activity_field(key) is not None)


FIELDS_BY_KEY: dict[str, Field] = _Catalogue({f.key: f for f in FIELDS})

# The rows the seed's report always prints for a pupil, differing or not.
SUMMARY_FIELDS: tuple[str, ...] = ("forename", "surname", "dob", "sex", "upn")


def field(key: str) -> Field:
    return FIELDS_BY_KEY[key]


_SIMPLE: tuple[Field, ...] = tuple(f for f in FIELDS if type(f) is Field)
_ADDRESS_KEYS: tuple[str, ...] = ADDRESS_PARTS + ("postcode",)
# What ``compare_records`` reads, for the comparison's screen (``screen.py``): the record
# items compared one by one, and those compared as the address.
SIMPLE_FIELDS: tuple[str, ...] = tuple(f.key for f in _SIMPLE)
ADDRESS_KEYS: tuple[str, ...] = _ADDRESS_KEYS
_ORDER: dict[str, int] = {f.key: i for i, f in enumerate(FIELDS)}


def compare_records(school: Record, la: Record) -> list[tuple[Field, str | None, str | None]]:
    """The differing fields of two matched records, in catalogue order.

    A field either side did not supply is never a difference; supplied blank on one side
    and filled on the other is. The postcode is its own difference only when the address
    lines agree or one side gave none (the seed's "LA Address" row); otherwise the whole
    address differs.
    """
    out: list[tuple[Field, str | None, str | None]] = []
    s_get, l_get = school.get, la.get
    for f in _SIMPLE:  # the hot loop: plain lookups, the catalogue rule only on inequality
        a = s_get(f.key)
        if a is None:
            continue
        b = l_get(f.key)
        if b is None or a == b or f.same(a, b):
            continue
        out.append((f, a, b))
    if any(s_get(k) != l_get(k) for k in _ADDRESS_KEYS):
        address, postcode = FIELDS_BY_KEY["address"], FIELDS_BY_KEY["postcode"]
        a, b = address.value(school), address.value(la)
        if a is not None and b is not None and a != b and not address_lines_same(school, la):
            out.append((address, a, b))
        else:
            # The lines agree, or one side gave none (a CTF address may be a postcode
            # alone): the postcodes, where both sides gave one.
            pa, pb = s_get("postcode"), l_get("postcode")
            if pa is not None and pb is not None and not postcode.same(pa, pb):
                out.append((postcode, pa, pb))
    if len(out) > 1:
        out.sort(key=lambda t: _ORDER[t[0].key])
    return out
