"""Forms of the LA pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from webapp.b2b.la_desk import TaskFilters
from webapp.b2b.records.catalogue import FIELDS_BY_KEY
from webapp.web.validators import SafeText


class RejectForm(FlaskForm):
    reason = TextAreaField(
        "Why is the LA not making this change?",
        description="The school will see this.",
        validators=[DataRequired(message="Enter why the LA is not making this change"),
                    SafeText(multiline=True),
                    Length(max=2000, message="The reason must be 2000 characters or fewer")])


class TaskFiltersForm(FlaskForm):
    """The queue's filters: a GET form, so filtered views can be bookmarked."""

    school = SelectField("School", choices=[], validators=[Optional()])
    field = SelectField("Field", choices=[], validators=[Optional()])
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
        self.field.choices = [SelectChoice("", "All fields")] + [
            SelectChoice(k, FIELDS_BY_KEY[k].label if k in FIELDS_BY_KEY else k)
            for k in choices["fields"]]
        self.assignee.choices = [SelectChoice("", "Anyone"), SelectChoice("me", "Me"),
                                 SelectChoice("none", "Nobody")] + [
            SelectChoice(str(o.id), o.name) for o in choices["officers"]]
        if self.status.data is None:
            self.status.data = "open"

    def filters(self) -> TaskFilters:
        school = self.school.data
        week = self.week.data if not self.week.errors else None
        return TaskFilters(
            school_id=int(school) if school and school.isdigit() else None,
            field_key=self.field.data or None,
            week=week if isinstance(week, int) and 1 <= week <= 53 else None,
            academic_year=self.year.data if isinstance(self.year.data, int) else None,
            status=self.status.data or None,
            assignee=self.assignee.data or None)
