"""What people read about an item, said one way (webapp.b2b.review.wording): labels from
the field catalogue or the anomaly rule, what ONE holds and should hold for each kind of
task, counted nouns, and the school's notice of a rejected change."""

from __future__ import annotations

import pytest

from webapp.b2b.review.wording import (
    REJECTION_ADVICE,
    field_key_label,
    item_label,
    plural,
    rejection_notice,
    sims_item_values,
    task_label,
    task_values,
)
from webapp.models import AmendmentTask, SimsItem


@pytest.mark.parametrize(("n", "words"), [(0, "0 reports"), (1, "1 report"),
                                           (2, "2 reports")])
def test_plural(n, words):
    assert plural(n, "report") == words


def test_plural_with_its_own_plural_form():
    assert plural(1, "email is", "emails are") == "1 email is"
    assert plural(3, "anomaly", "anomalies") == "3 anomalies"


@pytest.mark.parametrize(("kind", "key", "label"), [
    ("field", "forename", "Forename"),
    ("field", "dob", "DOB"),
    ("field", "postcode", "LA Address"),  # the seed's row name for a postcode
    ("anomaly", "upn_duplicate.la", "Duplicate UPN"),
    ("anomaly", "upn_check_letter.school", "UPN check letter"),
    ("new_to_la", "pupil", "Only in the school's data"),
    ("not_at_school", "pupil", "Only in the LA's data"),
])
def test_item_labels_come_from_the_catalogue_or_the_rule(kind, key, label):
    assert item_label(kind, key) == label


def test_task_labels_say_what_changes_in_one():
    assert task_label("not_at_school", "leave_date") == "Leaving date"
    assert task_label("new_to_la", "pupil") == "New pupil: start date"
    assert task_label("field", "forename") == "Forename"
    assert field_key_label("upn_duplicate.la") == "Duplicate UPN"
    assert field_key_label("pupil") == "New pupil: start date"


def _task(**kw) -> AmendmentTask:
    base = {"kind": "field", "field_key": "forename", "la_value": "Joseph",
            "new_value": "Joe", "forename": "Joe", "surname": "Bloggs"}
    return AmendmentTask(**{**base, **kw})


@pytest.mark.parametrize(("task", "values"), [
    (_task(), ("Joseph", "Joe")),
    (_task(field_key="dob", la_value="2007-09-26", new_value="2007-09-23"),
     ("26/09/2007", "23/09/2007")),
    # The leaver: ONE's value was the pupil's description, not a leaving date.
    (_task(kind="not_at_school", field_key="leave_date", la_value="Sam Brookes, born "
           "14/12/2012", new_value="2025-11-20"), ("No leaving date", "20/11/2025")),
    (_task(kind="new_to_la", field_key="pupil", la_value=None, new_value="2025-09-01"),
     ("Not on roll", "On roll from 01/09/2025")),
    (_task(kind="anomaly", field_key="upn_duplicate.la", la_value="A886111110003",
           new_value=None), ("A886111110003", "Corrected in ONE")),
])
def test_task_values(task, values):
    assert task_values(task) == values


def test_sims_item_values():
    item = SimsItem(kind="field", field_key="dob", school_value="2007-09-21",
                    expected_value="2007-09-26")
    assert sims_item_values(item) == ("21/09/2007", "26/09/2007")
    assert sims_item_values(SimsItem(kind="not_at_school", field_key="pupil")) == (
        "Not on roll", "On roll")


def test_the_rejection_notice_names_pupil_item_reason_and_what_to_do():
    notice = rejection_notice("B2BreportWeek17", 17, _task(rejected_reason="No proof"))
    assert notice == ("The LA did not make a change from B2BreportWeek17 (week 17): "
                      "Forename for Joe Bloggs. The LA's reason: No proof "
                      + REJECTION_ADVICE)
