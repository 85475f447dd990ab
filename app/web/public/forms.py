"""The request form: one form for the three modes (direct, broadcast, quotes)."""

from __future__ import annotations

from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.leads import validation, zips
from app.leads.intake import BUDGET_LABELS, URGENCY_LABELS
from app.models.lead import BUDGETS, URGENCIES
from app.web.forms import Form


class LeadForm(Form):
    category_id = SelectField(
        "Service needed",
        coerce=int,
        validators=[DataRequired(message="Choose the service you need.")],
    )
    description = TextAreaField(
        "What do you need done?",
        validators=[
            DataRequired(message="Tell providers what you need (trap size, last pumping, access...)."),
            Length(min=10, max=4000, message="Describe the job in 10 to 4,000 characters."),
        ],
    )
    urgency = SelectField(
        "How soon?",
        choices=[(u, URGENCY_LABELS[u]) for u in URGENCIES],
        default="this_week",
        validators=[DataRequired(message="Choose how soon you need service.")],
    )
    preferred_time = StringField("Preferred time (optional)", validators=[Optional(), Length(max=120)])
    budget = SelectField(
        "Budget (optional)",
        choices=[("", "No budget in mind")] + [(b, BUDGET_LABELS[b]) for b in BUDGETS],
        default="",
        validators=[Optional()],
    )
    customer_name = StringField(
        "Your name",
        validators=[
            DataRequired(message="Enter your name so the provider knows who to ask for."),
            Length(min=2, max=120, message="Enter a name of 2 to 120 characters."),
        ],
    )
    business_name = StringField("Business name (optional)", validators=[Optional(), Length(max=160)])
    customer_email = StringField("Email", validators=[Optional(), Length(max=254)])
    customer_phone = StringField("Phone", validators=[Optional(), Length(max=40)])
    street = StringField("Street address (optional)", validators=[Optional(), Length(max=200)])
    city = StringField(
        "City",
        validators=[
            DataRequired(message="Enter the city where the service is needed."),
            Length(max=80, message="Keep the city under 80 characters."),
        ],
    )
    # Issue 13: routing by service area needs the site's ZIP (checked against the bundled US list).
    postal_code = StringField(
        "ZIP code",
        validators=[DataRequired(message="Enter the ZIP code where the service is needed (for example 77002).")],
    )
    # One-time key, made when the form is shown: a double submit finds the lead it made.
    submission_key = HiddenField()  # set by the view when it shows the form
    # Honeypot: hidden from people by CSS, tempting to bots. Filled → held for review.
    website = StringField("Leave this field empty", validators=[Optional()])

    phone_e164: str | None = None
    phone_valid: bool = True

    def validate_postal_code(self, field):
        code, error = zips.check(field.data)
        if error:
            raise ValidationError(error)
        field.data = code

    def validate_customer_email(self, field):
        check = validation.check_email(field.data)
        if check.error:
            raise ValidationError(check.error)
        field.data = check.normalized or ""

    def validate_customer_phone(self, field):
        check = validation.check_phone(field.data)
        if check.error:
            raise ValidationError(check.error)
        self.phone_e164 = check.e164
        self.phone_valid = check.valid

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not (self.customer_email.data or "").strip() and not (self.customer_phone.data or "").strip():
            message = "Give an email or a phone number (or both) so the provider can reach you."
            if not self.customer_email.errors:
                self.customer_email.errors = [*self.customer_email.errors, message]
            ok = False
        return ok
