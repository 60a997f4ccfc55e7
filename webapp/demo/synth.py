"""Fictional but realistic pupil data (Faker en_GB) for the demo, benchmarks and tests.

``make_la`` builds both sides of an LA: each school's MIS data and the LA's copy, equal
except for a chosen share of planted differences of every kind the comparison knows.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from faker import Faker

from webapp.b2b.records.checks import upn_check_letter

ETHNICITIES = ("WBRI", "WBRI", "WBRI", "WENG", "WOTH", "WIRI", "MWBC", "MWAS", "AIND", "APKN",
               "ABAN", "BAFR", "BCRB", "CHNE", "OOTH", "WROM", "NOBT")
LANGUAGES = ("ENG", "ENG", "ENG", "ENG", "ENB", "POL", "PAN", "URD", "BEN", "LIT", "ROM")

# Kinds of planted difference, each turning an LA copy away from the school's record.
PLANTS = ("forename", "surname", "dob", "sex", "postcode", "address", "ethnicity",
          "sen_provision", "nc_year", "reg_group", "enrol_status", "first_language",
          "middle_names", "surname_case", "ethnicity_refinement", "upn_changed")


def make_upn(la_number: str, estab: str, year: int, serial: int) -> str:
    tail = f"{la_number}{estab}{year % 100:02d}{serial:03d}"
    return upn_check_letter(tail) + tail


@dataclass
class SchoolData:
    laestab: str
    name: str
    school: list[dict] = field(default_factory=list)
    la: list[dict] = field(default_factory=list)
    planted: list[tuple[str, str]] = field(default_factory=list)  # (upn, kind)


def _pupil(fake: Faker, rnd: random.Random, la_number: str, estab: str, serial: int,
           primary: bool) -> dict:
    age = rnd.randint(4, 10) if primary else rnd.randint(11, 16)
    today = date(2026, 9, 1)
    dob = today - timedelta(days=age * 365 + rnd.randint(0, 364))
    year_group = max(0, age - 4)
    nc = "R" if year_group == 0 else str(year_group)
    sex = rnd.choice("MF")
    forename = fake.first_name_male() if sex == "M" else fake.first_name_female()
    sen = rnd.choices("NKE", weights=(85, 12, 3))[0]
    return {
        "upn": make_upn(la_number, estab, 2026 - age + 4 if age > 4 else 26, serial % 1000),
        "surname": fake.last_name(),
        "forename": forename,
        "middle_names": fake.first_name() if rnd.random() < 0.4 else "",
        "sex": sex,
        "dob": dob.isoformat(),
        "address_saon": "",
        "address_paon": str(rnd.randint(1, 180)),
        "address_street": fake.street_name(),
        "address_locality": "",
        "address_town": fake.city(),
        "address_county": "Kent",
        "postcode": fake.postcode(),
        "uprn": str(rnd.randint(10_000_000, 99_999_999_999)),
        "ethnicity": rnd.choice(ETHNICITIES),
        "first_language": rnd.choice(LANGUAGES),
        "sen_provision": sen,
        "sen_needs": "" if sen == "N" else rnd.choice(("SPLD", "MLD", "SLCN", "SEMH", "ASD")),
        "nc_year": nc,
        "reg_group": f"{nc}{rnd.choice('ABCD')}",
        "enrol_status": "C",
        "start_date": date(2026 - max(year_group, 0), 9, rnd.randint(1, 7)).isoformat(),
        "leave_date": "",
    }


def _plant(kind: str, la: dict, rnd: random.Random, fake: Faker) -> None:
    if kind == "forename":
        la["forename"] = {"Joe": "Joseph", "Emma": "Emily"}.get(la["forename"],
                                                                la["forename"] + "a")
    elif kind == "surname":
        la["surname"] = la["surname"][:-1] if len(la["surname"]) > 3 else la["surname"] + "s"
    elif kind == "surname_case":
        la["surname"] = la["surname"].upper()  # letter case alone: not a difference
    elif kind == "dob":
        d = date.fromisoformat(la["dob"]) + timedelta(days=rnd.choice((-5, 5, 31)))
        la["dob"] = d.isoformat()
    elif kind == "sex":
        la["sex"] = "F" if la["sex"] == "M" else "M"
    elif kind == "postcode":
        pc = la["postcode"]
        digit = pc[-3]
        la["postcode"] = pc[:-3] + str((int(digit) + 1) % 10) + pc[-2:]
    elif kind == "address":
        la["address_paon"] = str(int(la["address_paon"]) + 2)
        la["address_street"] = fake.street_name()
    elif kind == "ethnicity":
        la["ethnicity"] = "WOTH" if la["ethnicity"] != "WOTH" else "WIRI"
    elif kind == "ethnicity_refinement":
        la["ethnicity"] = "WBRI"
        # the school then holds the extended code: a refinement, not a conflict
    elif kind == "sen_provision":
        la["sen_provision"] = "K" if la["sen_provision"] == "E" else "E"
    elif kind == "nc_year":
        la["nc_year"] = "R" if la["nc_year"] == "1" else "1"
    elif kind == "reg_group":
        la["reg_group"] = la["reg_group"][:-1] + "Z"
    elif kind == "enrol_status":
        la["enrol_status"] = "M"
    elif kind == "first_language":
        la["first_language"] = "ENB" if la["first_language"] != "ENB" else "ENG"
    elif kind == "middle_names":
        la["middle_names"] = fake.first_name()
    elif kind == "upn_changed":
        tail = la["upn"][1:-3] + f"{(int(la['upn'][-3:]) + 500) % 1000:03d}"
        la["upn"] = upn_check_letter(tail) + tail  # matched then by the four fields


def make_school(laestab: str, name: str, pupils: int, *, seed: int, differing: float = 0.04,
                anomalies: bool = True, unmatched: bool = True) -> SchoolData:
    """One school's two sides with a share of planted differences (and a few anomalies and
    unmatched pupils when asked)."""
    rnd = random.Random(seed)
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    la_number, estab = laestab[:3], laestab[3:]
    primary = rnd.random() < 0.6
    out = SchoolData(laestab, name)
    for i in range(pupils):
        p = _pupil(fake, rnd, la_number, estab, i + 1, primary)
        p["upn"] = make_upn(la_number, estab, 20 + (i // 1000), i % 1000)
        la = dict(p)
        if rnd.random() < differing:
            kind = rnd.choice(PLANTS)
            if kind == "ethnicity_refinement":
                p["ethnicity"] = "WENG"
            _plant(kind, la, rnd, fake)
            out.planted.append((p["upn"], kind))
        out.school.append(p)
        out.la.append(la)
    if anomalies and pupils >= 10:
        # wrong check letter on both sides
        bad = out.school[1]["upn"]
        wrong = "A" if bad[0] != "A" else "B"
        out.school[1]["upn"] = out.la[1]["upn"] = wrong + bad[1:]
        # a temporary UPN still in use
        tmp = out.school[2]["upn"][1:-1] + "A"
        out.school[2]["upn"] = out.la[2]["upn"] = upn_check_letter(tmp) + tmp
        # a malformed postcode on the school side
        out.school[3]["postcode"] = "ME14 1CX"
        out.la[3]["postcode"] = "ME14 1CX"
        # one UPN used twice in the school's data
        out.school[5]["upn"] = out.school[4]["upn"]
        out.la[5]["upn"] = out.school[4]["upn"]
    if unmatched and pupils >= 10:
        new = _pupil(fake, rnd, la_number, estab, 900, primary)
        new["upn"] = make_upn(la_number, estab, 26, 901)
        out.school.append(new)  # new to the LA
        gone = _pupil(fake, rnd, la_number, estab, 902, primary)
        gone["upn"] = make_upn(la_number, estab, 21, 902)
        out.la.append(gone)  # no longer at the school
    return out


SEED_PUPILS_SCHOOL = [
    # The three pupils of the LA's guidance, with its UPNs (whose check letters are wrong).
    {"upn": "R886111110001", "surname": "Bloggs", "forename": "Joe", "dob": "2006-01-26",
     "sex": "M"},
    {"upn": "U886111110002", "surname": "DAVIDS", "forename": "Emma", "dob": "2007-09-21",
     "sex": "F"},
    {"upn": "P886111110003", "surname": "Bennett", "forename": "Jamie", "dob": "2007-05-05",
     "sex": "M", "address_paon": "1", "address_street": "Green Abbey Road",
     "address_locality": "Green Abbey", "address_town": "", "address_county": "Kent",
     "postcode": "PA2 9NF"},
]
SEED_PUPILS_LA = [
    {**SEED_PUPILS_SCHOOL[0], "forename": "Joseph"},
    {**SEED_PUPILS_SCHOOL[1], "surname": "Davids", "forename": "Emily", "dob": "2007-09-26"},
    {**SEED_PUPILS_SCHOOL[2], "forename": "James", "postcode": "PA3 9NF"},
]
