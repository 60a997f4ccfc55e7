"""Sign-in and password forms (GOV.UK widgets from govuk-frontend-wtf)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

MIN_PASSWORD = 12


class SignInForm(FlaskForm):
    email = StringField("Email address", widget=GovTextInput(),
                        validators=[DataRequired("Enter your email address")])
    password = PasswordField("Password", widget=GovPasswordInput(),
                             validators=[DataRequired("Enter your password")])
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class ForgottenPasswordForm(FlaskForm):
    email = StringField("Email address", widget=GovTextInput(), validators=[
        DataRequired("Enter your email address"),
        # Only the shape: the address is looked up, not mailed unless it has an account
        # (and email-validator refuses the reserved .example/.test domains of the demo).
        Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
               message="Enter an email address in the correct format, like name@example.com")])
    submit = SubmitField("Send me a link", widget=GovSubmitInput())


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        "New password", widget=GovPasswordInput(),
        description=f"Must be at least {MIN_PASSWORD} characters. A few unrelated words "
                    "together make a good password.",
        validators=[DataRequired("Enter a new password"),
                    Length(min=MIN_PASSWORD, max=200,
                           message=f"Password must be {MIN_PASSWORD} characters or more")])
    confirm = PasswordField("Confirm new password", widget=GovPasswordInput(), validators=[
        DataRequired("Confirm your new password"),
        EqualTo("password", "The passwords do not match")])
    submit = SubmitField("Change password", widget=GovSubmitInput())
