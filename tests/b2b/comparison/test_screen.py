"""The comparison's screen leaves out only pupils the rules would find nothing in.

Each test builds schools full of the awkward cases (letter case, blanks against values,
not supplied items, bad UPNs and postcodes, a UPN held twice, pupils matched by the four
fields, pupils on one side only, an LA record whose UPN was amended, exclusions and
attendance) and checks that the screened comparison stores exactly what the catalogue's
rules find when they are run on every record.
"""

from __future__ import annotations

import random
import time

import pytest
from sqlalchemy import select
from stdnum.gb import upn as stdnum_upn

from tests.factories import import_csv, import_ctf, make_school, pupil
from webapp.b2b.comparison.compare import compare_school
from webapp.b2b.comparison.refresh import (
    _RECORD_COLUMNS,
    _as_dicts,
    _attach_activity,
    refresh_reports,
)
from webapp.b2b.comparison.screen import records_to_examine, refresh_statistics
from webapp.b2b.records import checks
from webapp.demo.synth import make_upn
from webapp.models import AttendanceYear, Difference, Exclusion, PupilRecord, Report

NAMES = ["Smith", "Jones", "Patel", "O'Brien", "Nowak", "Ahmed", "Taylor", "Brown"]
FIRST = ["Amy", "Ben", "Chloe", "Dev", "Ella", "Finn", "Grace", "Harry"]
BAD_UPNS = ["A886111199999",          # wrong check letter
            "886111199999",           # too short
            "X886111199A99",          # not digits
            "E000200005001"]          # an LA number that does not exist
BAD_POSTCODES = ["ME14", "123 ABC", "ME14 1XC"]  # C is never in an inward code


def _base(rnd: random.Random, i: int) -> dict:
    upn = make_upn("886", "1111", 20, i)
    if rnd.random() < 0.05:  # a temporary UPN
        upn = upn[:-1] + "A"
    return {
        "upn": upn, "surname": rnd.choice(NAMES), "forename": rnd.choice(FIRST),
        "middle_names": rnd.choice(["", "Anne", None]), "sex": rnd.choice("MF"),
        "dob": f"20{rnd.randint(10, 19)}-0{rnd.randint(1, 9)}-1{rnd.randint(0, 9)}",
        "address_paon": str(rnd.randint(1, 99)), "address_street": "High Street",
        "address_town": "Maidstone", "postcode": rnd.choice(["ME14 1XX", "ME15 6AB", ""]),
        "ethnicity": rnd.choice(["WBRI", "AIND"]), "first_language": "ENG",
        "sen_provision": "N", "nc_year": str(rnd.randint(1, 11)), "reg_group": "5A",
        "enrol_status": "C", "start_date": rnd.choice([None, "2021-09-01"]),
    }


def _vary(rnd: random.Random, p: dict) -> dict:
    """The LA's copy of a pupil: usually the same, sometimes not in one of many ways."""
    la = dict(p)
    roll = rnd.random()
    if roll < 0.55:
        return la
    change = rnd.choice([
        lambda: la.update(forename=la["forename"].upper()),          # case only
        lambda: la.update(forename=la["forename"] + "a"),
        lambda: la.update(surname=None),                              # not supplied
        lambda: la.update(middle_names="" if la["middle_names"] else "Jo"),
        lambda: la.update(dob="2008-01-01"),
        lambda: la.update(address_street="Low Street"),
        lambda: la.update(address_street=None, address_paon=None, address_town=None),
        lambda: la.update(postcode="ME16 0AA"),
        lambda: la.update(postcode=rnd.choice(BAD_POSTCODES)),
        lambda: la.update(ethnicity="WENG" if la["ethnicity"] == "WBRI" else "WBRI"),
        lambda: la.update(nc_year="12"),
        lambda: la.update(start_date="2022-01-04"),
        lambda: la.update(reg_group=la["reg_group"].lower()),
        lambda: la.update(sen_provision=None),
    ])
    change()
    return la


def _build(session, seed: int, pupils: int = 60) -> None:
    """Two schools' records on both sides, every awkward case among them."""
    rnd = random.Random(seed)
    for estab in ("1111", "2222"):
        school = make_school(session, estab=estab, name=f"School {estab}")
        rows: list[tuple[str, dict]] = []
        for i in range(pupils):
            p = _base(rnd, i)
            kind = rnd.random()
            if kind < 0.06:
                rows.append(("school", p))                           # new to the LA
            elif kind < 0.12:
                rows.append(("la", p))                               # left the school
            elif kind < 0.17:
                rows.append(("school", dict(p, upn=None)))            # four-field match
                rows.append(("la", _vary(rnd, p)))
            elif kind < 0.21:
                rows.append(("school", dict(p, upn=rnd.choice(BAD_UPNS))))
                rows.append(("la", dict(p, upn=rnd.choice(BAD_UPNS))))
            elif kind < 0.25:
                rows.append(("school", dict(p, postcode=rnd.choice(BAD_POSTCODES))))
                rows.append(("la", p))
            elif kind < 0.29:                                        # no UPN either side
                rows.append(("school", dict(p, upn=None)))
                rows.append(("la", dict(p, upn=None)))
            else:
                rows.append(("school", p))
                rows.append(("la", _vary(rnd, p)))
        # A UPN held twice on the school side; an LA record whose UPN was amended.
        twice = rows[-2][1]
        rows.append(("school", dict(twice, forename="Other")))
        seen: dict[tuple[str, str], int] = {}
        records = []
        for side, p in rows:
            key = p["upn"] or "nokey:" + "|".join(
                str(p.get(k) or "").casefold() for k in ("surname", "forename", "dob", "sex"))
            n = seen[(side, key)] = seen.get((side, key), 0) + 1
            rec = PupilRecord(side=side, school_id=school.id,
                              record_key=key if n == 1 else f"{key}#{n}",
                              content_hash="-", **p)
            records.append(rec)
        session.add_all(records)
        session.flush()
        amended = next(r for r in records if r.side == "la" and r.upn and r.record_key == r.upn)
        amended.upn = make_upn("886", "1111", 21, 999)
        # Exclusions and attendance on some pupils, differing on some of them.
        for rec in rnd.sample(records, 12):
            if rnd.random() < 0.5:
                session.add(Exclusion(pupil_id=rec.id, category="FIXD",
                                      start_date="2025-02-03",
                                      end_date=rnd.choice(["2025-02-04", None])))
            else:
                session.add(AttendanceYear(pupil_id=rec.id, academic_year="2024/25",
                                           sessions_possible=rnd.choice([300, 310]),
                                           sessions_attended=290))
    session.commit()


def _stored(session, year: int, week: int) -> list[tuple]:
    return sorted(tuple(r) for r in session.execute(
        select(Report.school_id, Difference.subject_key, Difference.kind,
               Difference.field_key, Difference.school_value, Difference.la_value,
               Difference.instruction, Difference.school_record_id,
               Difference.la_record_id).join(Report)
        .where(Report.academic_year == year, Report.week == week,
               Difference.status == "open")))


def _every_record_through_the_rules(session) -> list[tuple]:
    rows = _as_dicts(session.execute(select(*_RECORD_COLUMNS).order_by(
        PupilRecord.school_id, PupilRecord.side, PupilRecord.id)))
    _attach_activity(session, rows)
    out = set()
    for sid in {r["school_id"] for r in rows}:
        mine = [r for r in rows if r["school_id"] == sid]
        for it in compare_school([r for r in mine if r["side"] == "school"],
                                 [r for r in mine if r["side"] == "la"]):
            out.add((sid, it.subject_key, it.kind, it.field_key, it.school_value,
                     it.la_value, it.instruction, it.school_record_id, it.la_record_id))
    return sorted(out)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_screened_comparison_stores_what_the_rules_find_in_every_record(session, seed):
    _build(session, seed)
    summary = refresh_reports(session, 2026, 1)
    expected = _every_record_through_the_rules(session)
    kinds = {row[2] for row in expected}
    assert kinds == {"field", "anomaly", "new_to_la", "not_at_school"}
    assert _stored(session, 2026, 1) == expected
    records = session.query(PupilRecord).count()
    # It did leave pupils out: those held alike on both sides.
    assert summary.pupils_examined < records


def test_screen_passes_every_record_with_something_to_say(session):
    _build(session, 7)
    ids = [sid for (sid,) in session.execute(select(PupilRecord.school_id).distinct())]
    screened = records_to_examine(session, ids, ["id", "school_id", "upn", "side"],
                                  activity=True)
    with_items = {rid for row in _every_record_through_the_rules(session)
                  for rid in row[7:] if rid is not None}
    # A UPN held twice and an amended one are to be seen with all their holders.
    holders = {rid for sid, upns in screened.upns.items() for (rid,) in session.execute(
        select(PupilRecord.id).where(PupilRecord.school_id == sid,
                                     PupilRecord.upn.in_(upns)))}
    assert holders - set(screened.records)  # (some are not screened in on their own)
    assert with_items <= set(screened.records) | holders
    assert len(set(screened.records) | holders) < session.query(PupilRecord).count()


def test_a_new_problem_or_difference_is_not_screened_out(session):
    school = make_school(session)
    good = pupil(make_upn("886", "1111", 20, 1), "Smith", "Amy", "2015-01-02", "F",
                 postcode="ME14 1XX")
    import_ctf(session, school.laestab, [good])
    import_csv(session, school.laestab, [good])
    assert refresh_reports(session, 2026, 1).items_open == 0
    # The same pupil, now with a postcode of no valid shape on the LA side.
    import_csv(session, school.laestab, [dict(good, postcode="ME14 1XC")])
    refresh_reports(session, 2026, 2, full=True)
    assert {r[3] for r in _stored(session, 2026, 2)} == {"postcode", "postcode_format.la"}


def test_problems_are_kept_with_each_record_by_every_writer(session):
    school = make_school(session)
    bad = pupil("A886111199999", "Smith", "Amy", "2015-01-02", "F", postcode="ME14")
    import_ctf(session, school.laestab, [bad])                 # the importer, inserting
    rec = session.scalar(select(PupilRecord).where(PupilRecord.side == "school"))
    assert rec.problems == "upn_check_letter postcode_format"
    import_ctf(session, school.laestab, [dict(bad, postcode="ME14 1XX")])  # updating
    session.refresh(rec)
    assert rec.problems == "upn_check_letter"
    rec.upn = make_upn("886", "1111", 20, 5)                   # the ORM (amendments)
    session.commit()
    assert rec.problems is None
    session.add(PupilRecord(side="la", school_id=school.id, record_key="k",
                            content_hash="-", upn="A886111199999"))
    session.commit()
    assert session.scalar(select(PupilRecord.problems).where(
        PupilRecord.record_key == "k")) == "upn_check_letter"


def test_the_quick_upn_check_never_passes_what_stdnum_refuses():
    rnd = random.Random(11)
    passed = 0
    for i in range(20000):
        digits = "".join(rnd.choice("0123456789") for _ in range(12))
        if i % 2:
            digits = rnd.choice(sorted(checks.KNOWN_LA_NUMBERS)) + digits[3:]
        letter = stdnum_upn.calc_check_digit(digits) if i % 3 else rnd.choice(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        upn = letter + digits
        if i % 5 == 0:
            pos = rnd.randrange(13)
            upn = upn[:pos] + rnd.choice("0123456789ABCIOSZ ²") + upn[pos + 1:]
        quick = checks._plainly_valid(upn)
        permanent_and_valid = stdnum_upn.is_valid(upn) and upn[-1].isdigit()
        assert quick == permanent_and_valid, upn
        passed += quick
    assert passed > 3000  # the quick way is the usual way


def test_statistics_are_refreshed_after_a_bulk_change_on_postgresql(session):
    analysed = refresh_statistics(session)
    if session.get_bind().dialect.name != "postgresql":
        assert analysed is False
        return
    school = make_school(session)
    session.add_all(PupilRecord(side="la", school_id=school.id, record_key=f"k{i}",
                                content_hash="-") for i in range(1500))
    session.commit()
    # The counts PostgreSQL keeps are flushed when a connection goes idle or closes.
    session.get_bind().dispose()
    deadline = time.monotonic() + 10
    while not (analysed := refresh_statistics(session)) and time.monotonic() < deadline:
        session.rollback()
        time.sleep(0.5)
    assert analysed
    session.commit()  # (a transaction sees one snapshot of the statistics views)
    assert refresh_statistics(session) is False
