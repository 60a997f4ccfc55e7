"""The choice row's radios and value input are written out by hand for speed; they must
stay the markup GOV.UK Frontend's own macros produce."""

from __future__ import annotations

import re

import pytest
from flask import render_template_string

OURS = """{% from "school/_choice_fields.html" import choice_radios, value_input %}
{{ choice_radios("d-1-choice", "Please confirm which date of birth is correct.", items, error) }}
{{ value_input("d-1-value", "Correct date", hint, "2007", error, "/post") }}"""

GOVUK = """{% from "govuk_frontend_jinja/components/radios/macro.html" import govukRadios %}
{% from "govuk_frontend_jinja/components/input/macro.html" import govukInput %}
{{ govukRadios({"name": "choice", "idPrefix": "d-1-choice", "classes": "govuk-radios--small",
  "fieldset": {"legend": {"text": "Please confirm which date of birth is correct.",
                          "classes": "govuk-fieldset__legend--s"}},
  "errorMessage": {"text": error} if error else none,
  "items": govuk_items}) }}
{{ govukInput({"id": "d-1-value", "name": "value", "label": {"text": "Correct date"},
  "hint": {"text": hint} if hint else none, "value": "2007",
  "classes": "govuk-input--width-20", "errorMessage": {"text": error} if error else none,
  "attributes": {"autocomplete": "off", "spellcheck": "false", "hx-post": "/post"}}) }}"""


def _normal(html: str) -> str:
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)).strip()


@pytest.mark.parametrize("error", [None, "Select which is correct"])
@pytest.mark.parametrize("hint", [None, "For example, 27/03/2026"])
def test_choice_fields_match_the_gov_uk_macros(app, error, hint):
    items = [{"value": "school", "text": "School Data", "checked": False, "needs": None,
              "post": "/post"},
             {"value": "la", "text": "LA Data - ONE", "checked": True, "needs": None,
              "post": "/post"},
             {"value": "other", "text": "Neither: enter the correct date", "checked": False,
              "needs": "date", "post": None}]
    govuk_items = [{"value": i["value"], "text": i["text"], "checked": i["checked"],
                    "attributes": {"data-needs-value": "true"} if i["needs"]
                    else {"hx-post": "/post"}}
                   for i in items]
    with app.test_request_context():
        ours = render_template_string(OURS, items=items, error=error, hint=hint)
        theirs = render_template_string(GOVUK, govuk_items=govuk_items, error=error,
                                        hint=hint)
    assert _normal(ours) == _normal(theirs)
