"""Sign-in and password forms (GOV.UK widgets from govuk-frontend-wtf)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Regexp, ValidationError

from webapp.auth.password_policy import MIN_LENGTH, password_problem


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
    """A new password (a reset, or an invitation's first one), checked by the password
    policy: length, guessability, and not the account's own email or the service's name."""

    password = PasswordField(
        "New password", widget=GovPasswordInput(),
        description=f"Must be at least {MIN_LENGTH} characters. Three or four random words "
                    "together make a good password; common passwords are refused.",
        validators=[DataRequired("Enter a new password")])
    confirm = PasswordField("Confirm new password", widget=GovPasswordInput(), validators=[
        DataRequired("Confirm your new password"),
        EqualTo("password", "The passwords do not match")])
    submit = SubmitField("Change password", widget=GovSubmitInput())

    def __init__(self, *args, account_email: str = "", service_words: tuple[str, ...] = (),
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.account_email = account_email
        self.service_words = service_words

    def validate_password(self, field: PasswordField) -> None:
        problem = password_problem(field.data or "", email=self.account_email,
                                   words=self.service_words)
        if problem:
            raise ValidationError(problem)
