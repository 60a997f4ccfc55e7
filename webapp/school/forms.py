"""Forms of the school pages."""

from __future__ import annotations

from dataclasses import dataclass

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea
from werkzeug.datastructures import MultiDict
from wtforms import SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from webapp.b2b.records.normalise import is_digits
from webapp.web.validators import SafeText


@dataclass(frozen=True)
class DecisionPost:
    """What one choice's small form posts: the choice, a typed value, the page's version."""

    choice: str | None
    value: str | None
    version: int | None

    @classmethod
    def from_form(cls, form: MultiDict) -> DecisionPost:
        raw = form.get("version", "")
        # ASCII digits only ("²".isdigit() is true, and int() refuses it), in range.
        version = int(raw) if is_digits(raw) and len(raw) <= 9 else None
        return cls(choice=form.get("choice") or None, value=form.get("value"),
                   version=version)


class SendForm(FlaskForm):
    comment = TextAreaField(
        "Comment for the LA (optional)", widget=GovTextArea(),
        description="For example, who to contact about this report.",
        validators=[Optional(), SafeText(multiline=True, name="The comment"),
                    Length(max=1000, message="The comment must be 1,000 "
                           "characters or fewer")])
    submit = SubmitField("Send to LA", widget=GovSubmitInput())


class RecallForm(FlaskForm):
    """Only the CSRF token: recalling needs no other input."""
