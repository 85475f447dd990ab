"""Provider forms: new listing, verification evidence, settings."""

from __future__ import annotations

from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.accounts.provider_settings import EMAIL_KINDS, MAX_WEEKLY_CAP
from app.leads import validation
from app.web.forms import Form


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        allowed = {value for value, _ in self.choices or []}
        if any(value not in allowed for value in self.data or []):
            raise ValidationError("Choose only from the options listed.")


def _phone(form, field):
    check = validation.check_phone(field.data)
    if check.error:
        raise ValidationError(check.error)
    form.phone_e164 = check.e164


class NewListingForm(Form):
    name = StringField(
        "Business name",
        validators=[
            DataRequired(message="Enter your business's name."),
            Length(min=2, max=120, message="Use 2 to 120 characters."),
        ],
    )
    metro_id = SelectField("Home metro", coerce=int, validators=[DataRequired(message="Choose your home metro.")])
    category_ids = CheckboxesField("Services you offer", coerce=int)
    phone = StringField(
        "Business phone",
        validators=[DataRequired(message="Enter a phone number customers can call."), Length(max=40), _phone],
    )
    city = StringField("City (optional)", validators=[Optional(), Length(max=80)])
    phone_e164: str | None = None

    def validate_category_ids(self, field):
        if not field.data:
            raise ValidationError("Choose at least one service.")


class VerificationForm(Form):
    licence_number = StringField(
        "Business licence number",
        validators=[
            DataRequired(message="Enter your business or waste-hauler licence number."),
            Length(min=3, max=60, message="Use 3 to 60 characters."),
        ],
    )
    service_phone = StringField(
        "Service phone",
        validators=[
            DataRequired(message="Enter the phone number you answer for service calls."),
            Length(max=40),
            _phone,
        ],
    )
    note = TextAreaField("Anything we should know (optional)", validators=[Optional(), Length(max=2000)])
    phone_e164: str | None = None


class SettingsForm(Form):
    category_ids = CheckboxesField("Services you offer", coerce=int)
    extra_metro_ids = CheckboxesField("Also serve these metros", coerce=int)
    paused = BooleanField("Pause new leads (vacation)")
    weekly_cap = StringField("Weekly lead cap (optional)", validators=[Optional(), Length(max=10)])
    email_kinds = CheckboxesField("Email me about", choices=list(EMAIL_KINDS.items()))
    offer_sound = BooleanField("Play a short sound when a new offer arrives on the open offers page")

    cap_value: int | None = None

    def validate_category_ids(self, field):
        if not field.data:
            raise ValidationError("Choose at least one service, or pause your listing instead.")

    def validate_weekly_cap(self, field):
        raw = (field.data or "").strip()
        if not raw:
            self.cap_value = None
            return
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_WEEKLY_CAP:
            raise ValidationError(f"Enter a whole number from 1 to {MAX_WEEKLY_CAP}, or leave it empty for no cap.")
        self.cap_value = int(raw)
