"""Every comparison rule, on records as the importers store them."""

from __future__ import annotations

import itertools

import pytest

from webapp.b2b.comparison.compare import compare_school
from webapp.b2b.records.checks import (
    is_valid_postcode,
    normalise_postcode,
    upn_check_letter,
    upn_problem,
)

_ids = itertools.count(1)


def rec(upn="X886111110001", surname="Bloggs", forename="Joe", dob="2006-01-26", sex="M",
        **items):
    r = {"id": next(_ids), "upn": upn, "surname": surname, "forename": forename, "dob": dob,
         "sex": sex, **items}
    r["record_key"] = upn or f"nokey:{surname}"
    return r


def fields(items, kind="field"):
    return sorted(i.field_key for i in items if i.kind == kind)


@pytest.mark.parametrize("tail,letter", [("886111110001", "X"), ("886111110002", "L"),
                                         ("886111110003", "A")])
def test_upn_check_letters(tail, letter):
    assert upn_check_letter(tail) == letter
    assert upn_problem(letter + tail) is None
    wrong = "B" if letter != "B" else "C"
    assert upn_problem(wrong + tail)[0] == "upn_check_letter"


def test_upn_temporary_and_bad_letters():
    tmp = upn_check_letter("88611111000A") + "88611111000A"
    assert upn_problem(tmp)[0] == "upn_temporary"
    for last in "IOS":
        assert upn_problem("X88611111000" + last)[0] == "upn_format"


def test_postcodes():
    assert normalise_postcode("me14 1xx") == "ME14 1XX"
    assert normalise_postcode(" PA29NF ") == "PA2 9NF"
    assert is_valid_postcode("GIR 0AA") and is_valid_postcode("BFPO 105")
    assert not is_valid_postcode("ME14 1CX")  # inward letters never C
    assert not is_valid_postcode("1AB 2CD")


def test_letter_case_and_spacing_are_not_differences():
    s = rec(surname="DAVIDS", forename=" Emma ", postcode="ME14 1XX", reg_group="7a")
    la = rec(surname="Davids", forename="emma", postcode="ME14 1XX", reg_group="7A")
    assert fields(compare_school([s], [la])) == []


def test_forename_dob_and_sex_differences_with_instructions():
    items = compare_school([rec(forename="Joe", dob="2007-09-21")],
                           [rec(forename="Joseph", dob="2007-09-26", sex="F")])
    by = {i.field_key: i for i in items if i.kind == "field"}
    assert set(by) == {"forename", "dob", "sex"}
    assert by["forename"].instruction == "Please tick which is the correct legal forename."
    assert (by["dob"].school_value, by["dob"].la_value) == ("2007-09-21", "2007-09-26")
    assert by["dob"].instruction == "Please confirm which date of birth is correct."


def test_postcode_only_difference_uses_the_guidance_message():
    addr = {"address_paon": "1", "address_street": "Green Abbey Road", "address_town": "Kent"}
    items = compare_school([rec(postcode="PA2 9NF", **addr)],
                           [rec(postcode="PA3 9NF", **{**addr, "address_street":
                                                       "GREEN ABBEY ROAD,"})])
    (pc,) = [i for i in items if i.kind == "field"]
    assert pc.field_key == "postcode"
    assert pc.instruction == ("The postcode you have provided is PA2 9NF which does not appear "
                              "to be correct for the above address. If the address we have is "
                              "correct please amend your system.")


def test_different_address_is_one_address_difference():
    items = compare_school(
        [rec(address_paon="1", address_street="High St", postcode="ME1 1AA")],
        [rec(address_paon="7", address_street="Low Rd", postcode="ME2 2BB")])
    assert fields(items) == ["address"]


def test_ethnicity_refinement_is_not_a_conflict_but_other_codes_are():
    assert fields(compare_school([rec(ethnicity="WENG")], [rec(ethnicity="WBRI")])) == []
    assert fields(compare_school([rec(ethnicity="WSCO")], [rec(ethnicity="WENG")])) == \
        ["ethnicity"]
    assert fields(compare_school([rec(ethnicity="WBRI")], [rec(ethnicity="AIND")])) == \
        ["ethnicity"]


def test_sen_provision_e_vs_k_and_needs_as_a_set():
    assert fields(compare_school([rec(sen_provision="E")], [rec(sen_provision="K")])) == \
        ["sen_provision"]
    assert fields(compare_school([rec(sen_needs="ASD,SLCN")], [rec(sen_needs="SLCN,ASD")])) == []


def test_not_supplied_is_never_a_difference_but_blank_is():
    assert fields(compare_school([rec(start_date=None)], [rec(start_date="2020-09-01")])) == []
    assert fields(compare_school([rec(middle_names="")], [rec(middle_names="Anne")])) == \
        ["middle_names"]


def test_match_by_four_fields_reports_upn_difference():
    items = compare_school([rec(upn="X886111110001", surname="SMITH")],
                           [rec(upn="L886111110002", surname="smith")])
    assert fields(items) == ["upn"]
    assert [i.kind for i in items if i.kind in ("new_to_la", "not_at_school")] == []


def test_unmatched_both_ways():
    items = compare_school([rec(upn="X886111110001")],
                           [rec(upn="L886111110002", forename="Someone", surname="Else")])
    kinds = sorted(i.kind for i in items if i.kind != "field")
    assert kinds == ["new_to_la", "not_at_school"]


def test_anomalies_check_letter_temporary_postcode_duplicate():
    tmp = upn_check_letter("88611111000A") + "88611111000A"
    school = [rec(upn="R886111110001"), rec(upn=tmp, forename="Tim"),
              rec(upn="L886111110002", forename="Pat", postcode="ME14 1CX"),
              rec(upn="A886111110003", forename="Al"), rec(upn="A886111110003", forename="Bo")]
    la = [rec(upn="R886111110001"), rec(upn=tmp, forename="Tim"),
          rec(upn="L886111110002", forename="Pat", postcode="ME14 1CX"),
          rec(upn="A886111110003", forename="Al"), rec(upn="A886111110003", forename="Bo")]
    rules = sorted(i.field_key for i in compare_school(school, la) if i.kind == "anomaly")
    assert rules == ["postcode_format.both", "upn_check_letter.both",
                     "upn_duplicate.la", "upn_duplicate.la", "upn_duplicate.school",
                     "upn_duplicate.school", "upn_temporary.both"]


def test_same_upn_twice_pairs_the_most_alike():
    school = [rec(upn="A886111110003", forename="Al", dob="2010-01-01"),
              rec(upn="A886111110003", forename="Bo", dob="2011-02-02")]
    la = [rec(upn="A886111110003", forename="Bo", dob="2011-02-02"),
          rec(upn="A886111110003", forename="Al", dob="2010-01-01")]
    assert fields(compare_school(school, la)) == []


def test_identity_is_stable():
    s, la = [rec(forename="Joe")], [rec(forename="Joseph")]
    a = [i.identity for i in compare_school(s, la)]
    b = [i.identity for i in compare_school(s, la)]
    assert a == b
