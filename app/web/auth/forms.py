from __future__ import annotations

from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from app.accounts import users as accounts
from app.leads import validation
from app.web.forms import Form


def _new_password(form, field):
    problem = accounts.password_problem(field.data or "")
    if problem:
        raise ValidationError(problem)


def _email(form, field):
    check = validation.check_email(field.data)
    if check.error:
        raise ValidationError(check.error)
    field.data = accounts.normalize_email(check.normalized or "")


class LoginForm(Form):
    email = StringField("Email", validators=[DataRequired(message="Enter your email."), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(message="Enter your password.")])
    remember = BooleanField("Keep me signed in")


class SignupForm(Form):
    name = StringField("Your name (optional)", validators=[Optional(), Length(max=120)])
    email = StringField(
        "Email",
        validators=[
            DataRequired(message="Enter your email."),
            Length(max=254, message="Use at most 254 characters."),
            _email,
        ],
    )
    password = PasswordField("Password", validators=[DataRequired(message="Choose a password."), _new_password])
    confirm = PasswordField(
        "Repeat the password",
        validators=[
            DataRequired(message="Type the password again."),
            EqualTo("password", message="The two passwords are not the same."),
        ],
    )


class ResetRequestForm(Form):
    email = StringField("Email", validators=[DataRequired(message="Enter your email."), Length(max=254)])


class ResetPasswordForm(Form):
    password = PasswordField("New password", validators=[DataRequired(message="Choose a password."), _new_password])
    confirm = PasswordField(
        "Repeat the new password",
        validators=[
            DataRequired(message="Type the password again."),
            EqualTo("password", message="The two passwords are not the same."),
        ],
    )
