"""The guidance's own sample report: three pupils at 1111 Green Abbey School."""

from __future__ import annotations

import json

from tests.factories import import_csv, import_ctf
from webapp.demo.synth import SEED_PUPILS_LA, SEED_PUPILS_SCHOOL


def _seed(session):
    import_ctf(session, "8861111", SEED_PUPILS_SCHOOL)
    import_csv(session, "8861111", SEED_PUPILS_LA)


def test_seed_report_finds_what_the_officer_found(session, runner):
    _seed(session)
    assert runner.invoke(args=["b2b", "compare", "--week", "17", "--year", "2025"]).exit_code == 0
    result = runner.invoke(args=["b2b", "report", "8861111", "--week", "17", "--year", "2025",
                                 "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["school"] == {"laestab": "8861111", "name": "Green Abbey School"}
    assert data["week"] == 17
    assert data["records_printed"] == 3
    by_upn = {p["upn"]: p for p in data["pupils"]}
    fields = {upn: {d["field"] for d in p["differences"]} for upn, p in by_upn.items()}
    # DAVIDS vs Davids is letter case alone: not a difference.
    assert fields == {
        "R886111110001": {"forename"},
        "U886111110002": {"forename", "dob"},
        "P886111110003": {"forename", "postcode"},
    }
    joe = by_upn["R886111110001"]["differences"][0]
    assert (joe["school"], joe["la"]) == ("Joe", "Joseph")
    assert joe["instruction"] == "Please tick which is the correct legal forename."
    dob = next(d for d in by_upn["U886111110002"]["differences"] if d["field"] == "dob")
    assert dob["instruction"] == "Please confirm which date of birth is correct."
    pc = next(d for d in by_upn["P886111110003"]["differences"] if d["field"] == "postcode")
    assert pc["instruction"].startswith("The postcode you have provided is PA2 9NF which does "
                                        "not appear to be correct for the above address.")
    # The guidance's sample UPNs fail the check letter.
    for p in data["pupils"]:
        assert [a["rule"] for a in p["anomalies"]] == ["upn_check_letter"]
    assert data["unmatched"] == {"school_only": [], "la_only": []}


def test_compare_twice_keeps_identity_and_import_twice_changes_nothing(session, runner):
    _seed(session)
    runner.invoke(args=["b2b", "compare", "--week", "3", "--year", "2025"])
    first = json.loads(runner.invoke(args=["b2b", "report", "8861111", "--week", "3",
                                           "--year", "2025", "--json"]).output)
    import_ctf(session, "8861111", SEED_PUPILS_SCHOOL, version="23.0")  # same data again
    out = runner.invoke(args=["b2b", "compare", "--week", "3", "--year", "2025"]).output
    assert "unchanged since last run" in out
    second = json.loads(runner.invoke(args=["b2b", "report", "8861111", "--week", "3",
                                            "--year", "2025", "--json"]).output)
    ids = lambda d: sorted(x["difference_id"] for p in d["pupils"] for x in p["differences"])  # noqa: E731
    assert ids(first) == ids(second)
