"""Column headings people use for the items in their own exports ("Legal Surname",
"Date of Birth", "DfE Number"), as data: the LA-extract reader resolves columns with them
(``webapp.b2b.formats.headings``) and the format sniffer recognises such a file by them."""

from __future__ import annotations

import re

# Headings seen in LA and MIS exports, folded (lower case, single spaces, no punctuation).
COMMON_HEADINGS: dict[str, str] = {
    "upn": "upn", "unique pupil number": "upn", "pupil upn": "upn",
    "former upn": "former_upn",
    "legal surname": "surname", "surname": "surname", "family name": "surname",
    "last name": "surname",
    "legal forename": "forename", "forename": "forename", "first name": "forename",
    "given name": "forename",
    "middle name": "middle_names", "middle names": "middle_names",
    "preferred surname": "preferred_surname", "preferred forename": "preferred_forename",
    "date of birth": "dob", "dob": "dob", "birth date": "dob",
    "gender": "sex", "sex": "sex",
    "post code": "postcode", "postcode": "postcode",
    "uprn": "uprn",
    "ethnicity": "ethnicity", "ethnic code": "ethnicity", "ethnicity code": "ethnicity",
    "first language": "first_language", "language": "first_language",
    "home language": "home_language",
    "sen provision": "sen_provision", "sen status": "sen_provision",
    "year group": "nc_year", "nc year": "nc_year", "ncyear": "nc_year",
    "national curriculum year": "nc_year",
    "reg group": "reg_group", "registration group": "reg_group", "form": "reg_group",
    "enrolment status": "enrol_status", "enrollment status": "enrol_status",
    "start date": "start_date", "admission date": "start_date",
    "date of admission": "start_date", "entry date": "start_date",
    "leaving date": "leave_date", "date of leaving": "leave_date", "leave date": "leave_date",
    "laestab": "laestab", "dfe number": "laestab", "dfe no": "laestab",
    "school number": "laestab", "school name": "school_name", "establishment name":
    "school_name",
    "religion": "religion", "eal": "eal", "service child": "service_child",
}


def fold(heading: str) -> str:
    """A heading as it is compared: lower case, punctuation as spaces, single spaces."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", heading.strip().lower()).split())
