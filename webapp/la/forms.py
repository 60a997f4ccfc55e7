"""Forms of the LA pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from webapp.b2b.la_desk import TaskFilters
from webapp.b2b.review.wording import field_key_label
from webapp.web.validators import SafeText


class RejectForm(FlaskForm):
    reason = TextAreaField(
        "Why is the LA not making this change?",
        description="The school will see this.",
        validators=[DataRequired(message="Enter why the LA is not making this change"),
                    SafeText(multiline=True, name="The reason"),
                    Length(max=2000, message="The reason must be 2000 characters or fewer")])


class TaskFiltersForm(FlaskForm):
    """The queue's filters: a GET form, so filtered views can be bookmarked."""

    school = SelectField("School", choices=[], validators=[Optional()])
    field = SelectField("Item", choices=[], validators=[Optional()])
    week = IntegerField("Week", validators=[Optional(), NumberRange(1, 53)])
    year = IntegerField("Academic year", validators=[Optional(), NumberRange(2000, 2100)])
    status = SelectField("Status", choices=[SelectChoice("open", "Open"),
                                            SelectChoice("done", "Done"),
                                            SelectChoice("rejected", "Rejected"),
                                            SelectChoice("", "Any")],
                         default="open", validators=[Optional()])
    assignee = SelectField("Assigned to", choices=[], validators=[Optional()])

    def set_choices(self, choices: dict) -> None:
        self.school.choices = [SelectChoice("", "All schools")] + [
            SelectChoice(str(s.id), f"{s.estab} {s.name}") for s in choices["schools"]]
        self.field.choices = [SelectChoice("", "All items")] + [
            SelectChoice(k, field_key_label(k)) for k in choices["fields"]]
        self.assignee.choices = [SelectChoice("", "Anyone"), SelectChoice("me", "Me"),
                                 SelectChoice("none", "Nobody")] + [
            SelectChoice(str(o.id), o.name) for o in choices["officers"]]
        if self.status.data is None:
            self.status.data = "open"

    def filters(self) -> TaskFilters:
        """The filters as given; a value out of range (a tampered URL) filters nothing
        rather than reaching the database."""
        week = self.week.data if not self.week.errors else None
        year = self.year.data if not self.year.errors else None
        assignee = self.assignee.data or None
        if assignee not in (None, "me", "none") and _an_id(assignee) is None:
            assignee = None
        return TaskFilters(
            school_id=_an_id(self.school.data),
            field_key=_offered(self.field),
            week=week if isinstance(week, int) and 1 <= week <= 53 else None,
            academic_year=year if isinstance(year, int) and 2000 <= year <= 2100 else None,
            status=_offered(self.status),
            assignee=assignee)


def _offered(field: SelectField) -> str | None:
    """The field's value if it is one of its choices, else no filter (a tampered value,
    a NUL byte that PostgreSQL would refuse, never reaches the database)."""
    value = field.data or None
    offered = {str(c.value if isinstance(c, SelectChoice) else c[0])
               for c in field.choices or []}
    return value if value in offered else None


def _an_id(raw: object) -> int | None:
    """A database id given as text, or ``None`` (not ASCII digits, or out of range)."""
    if not isinstance(raw, str) or not (raw.isascii() and raw.isdigit()) or len(raw) > 10:
        return None
    value = int(raw)
    return value if 1 <= value <= 2**31 - 1 else None
