"""The core data items a pupil record carries, as the seed lists them.

Every item is held as text in a canonical form (dates ISO ``YYYY-MM-DD``, codes upper
case, postcodes ``AA9 9AA``). ``None`` means the source did not supply the item, which is
never a difference; ``""`` means it was supplied blank, which is.
"""

from __future__ import annotations

ADDRESS_PARTS: tuple[str, ...] = (
    "address_saon",
    "address_paon",
    "address_street",
    "address_locality",
    "address_town",
    "address_county",
)

# Order matters only for display and for the content hash.
RECORD_ITEMS: tuple[str, ...] = (
    "upn",
    "former_upn",
    "surname",
    "forename",
    "middle_names",
    "preferred_surname",
    "preferred_forename",
    "sex",
    "dob",
    *ADDRESS_PARTS,
    "postcode",
    "uprn",
    "ethnicity",
    "home_language",
    "first_language",
    "sen_provision",
    "sen_needs",
    "nc_year",
    "religion",
    "reg_group",
    "connexions_assent",
    "start_date",
    "leave_date",
    "enrol_status",
    "eal",
    "gifted_talented",
    "service_child",
    "traveller",
)

EXCLUSION_ITEMS: tuple[str, ...] = (
    "category",
    "start_date",
    "end_date",
    "sessions",
    "reasons",
    "term",
    "academic_year",
)

ATTENDANCE_ITEMS: tuple[str, ...] = (
    "academic_year",
    "sessions_possible",
    "sessions_attended",
    "sessions_authorised",
    "sessions_unauthorised",
    "attendance_start_date",
    "marks",
)
