"""The request form: one form for the three modes (direct, broadcast, quotes)."""

from __future__ import annotations

from datetime import date

from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.core import clock
from app.leads import validation, zips
from app.leads.intake import BUDGET_LABELS, URGENCY_LABELS
from app.models.compliance import TrapType
from app.models.lead import BUDGETS, URGENCIES
from app.web.forms import Form


class TrapFields:
    """The trap fields (issue 12), shared by the request form; validated by leads.validation."""

    trap_type = SelectField(
        "Trap type (optional)",
        choices=[("", "Not sure / not a trap job")] + [(t.value, t.title) for t in TrapType],
        default="",
        validators=[Optional()],
    )
    trap_capacity_gallons = StringField("Trap size in gallons", validators=[Optional(), Length(max=12)])
    trap_last_pumped = StringField("Last pumped (optional)", validators=[Optional(), Length(max=10)])
    trap_access_notes = TextAreaField(
        "Access notes (optional)",
        validators=[Optional(), Length(max=1000, message="Keep the access notes under 1,000 characters.")],
    )

    capacity_value: int | None = None
    last_pumped_value = None
    today: date | None = None  # the metro's local date (set by the view); UTC's when unset

    def validate_trap_capacity_gallons(self, field):
        check = validation.check_capacity(field.data)
        if check.error:
            raise ValidationError(check.error)
        self.capacity_value = check.value

    def validate_trap_last_pumped(self, field):
        check = validation.check_past_date(field.data, self.today or clock.now().date())
        if check.error:
            raise ValidationError(check.error)
        self.last_pumped_value = check.value

    def check_trap_pair(self) -> bool:
        """A trap needs both its type and its capacity (or neither)."""
        has_type = bool(self.trap_type.data)
        has_size = bool((self.trap_capacity_gallons.data or "").strip())
        if has_type and not has_size and not self.trap_capacity_gallons.errors:
            self.trap_capacity_gallons.errors = ["Give the trap's capacity in gallons (a guess is fine)."]
            return False
        if has_size and not has_type:
            self.trap_type.errors = [*self.trap_type.errors, "Choose the trap type for this capacity."]
            return False
        return True


class LeadForm(TrapFields, Form):
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
        return self.check_trap_pair() and ok
