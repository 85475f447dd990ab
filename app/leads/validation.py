"""Contact validation: phone numbers with phonenumbers, emails with email-validator.

Pure functions: they return normalised values and a reason a person can read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from email_validator import EmailNotValidError, validate_email

DEFAULT_REGION = "US"

# C0 control characters and DEL, except tab, newline and carriage return: nobody types them,
# PostgreSQL cannot store NUL in text (SQLite would), and they hide text from people reading it.
CONTROL_CHARS_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_CHARS_ERROR = "Remove the invisible control characters (such as a NUL byte) from this field."


def has_control_chars(value: str | None) -> bool:
    return bool(value) and CONTROL_CHARS_RE.search(value or "") is not None


def strip_control_chars(value: str) -> str:
    return CONTROL_CHARS_RE.sub("", value)


# A short list of well-known throwaway-inbox domains (lowers the quality score).
DISPOSABLE_DOMAINS = frozenset(
    {
        "mailinator.com",
        "guerrillamail.com",
        "guerrillamail.net",
        "sharklasers.com",
        "10minutemail.com",
        "temp-mail.org",
        "tempmail.com",
        "tempmail.net",
        "yopmail.com",
        "trashmail.com",
        "getnada.com",
        "dispostable.com",
        "maildrop.cc",
        "throwawaymail.com",
        "fakeinbox.com",
        "mintemail.com",
        "mohmal.com",
        "emailondeck.com",
        "spamgourmet.com",
        "tempr.email",
        "discard.email",
        "mailnesia.com",
        "mytemp.email",
        "burnermail.io",
    }
)


@dataclass(frozen=True)
class PhoneCheck:
    e164: str | None  # normalised number, when it parses as a possible number
    error: str | None  # why it is unusable (shown to the person typing it)
    valid: bool  # a real, assigned-range number (False lowers the quality score)


@dataclass(frozen=True)
class EmailCheck:
    normalized: str | None
    error: str | None


def check_phone(raw: str | None, region: str = DEFAULT_REGION) -> PhoneCheck:
    raw = (raw or "").strip()
    if not raw:
        return PhoneCheck(None, None, False)
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return PhoneCheck(None, "Enter a phone number with its area code, e.g. (713) 555-0142.", False)
    if not phonenumbers.is_possible_number(number):
        return PhoneCheck(None, "That phone number has the wrong number of digits.", False)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return PhoneCheck(e164, None, phonenumbers.is_valid_number(number))


def check_email(raw: str | None) -> EmailCheck:
    raw = (raw or "").strip()
    if not raw:
        return EmailCheck(None, None)
    try:
        result = validate_email(raw, check_deliverability=False)
    except EmailNotValidError as exc:
        return EmailCheck(None, f"That email address is not valid: {exc}")
    return EmailCheck(result.normalized, None)


def is_disposable(email: str | None) -> bool:
    if not email or "@" not in email:
        return False
    domain = email.rsplit("@", 1)[1].lower()
    return any(domain == d or domain.endswith("." + d) for d in DISPOSABLE_DOMAINS)


def format_phone(e164: str | None) -> str:
    """A stored E.164 number the way a person reads it: (713) 555-0142 or +44 20 …"""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code == 1:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


# ---------------------------------------------------------------- trap fields (issue 12)
TRAP_CAPACITY_MIN, TRAP_CAPACITY_MAX = 10, 10_000


@dataclass(frozen=True)
class TrapCheck:
    value: object  # the parsed value (int gallons, a date) or None when empty
    error: str | None


def check_capacity(raw: object) -> TrapCheck:
    """Trap capacity in gallons: a whole number from 10 to 10,000 ("1,500" is fine)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return TrapCheck(None, None)
    if isinstance(raw, bool):
        return TrapCheck(None, "Enter the trap's capacity in gallons as a whole number, e.g. 1000.")
    if isinstance(raw, int):
        number = raw
    else:
        text = str(raw).strip().replace(",", "").replace("_", "")
        if text.lower().endswith("gal"):
            text = text[:-3].strip()
        if not text.isascii() or not text.isdigit() or len(text) > 7:
            return TrapCheck(None, "Enter the trap's capacity in gallons as a whole number, e.g. 1000.")
        number = int(text)
    if not TRAP_CAPACITY_MIN <= number <= TRAP_CAPACITY_MAX:
        return TrapCheck(None, f"Trap capacity must be between {TRAP_CAPACITY_MIN} and {TRAP_CAPACITY_MAX:,} gallons.")
    return TrapCheck(number, None)


def check_past_date(raw: object, today, what: str = "The last pumping date") -> TrapCheck:
    """A date (YYYY-MM-DD) that is not in the future and not before 1990."""
    from datetime import date

    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return TrapCheck(None, None)
    if isinstance(raw, date):
        value = raw
    else:
        text = str(raw).strip()
        try:
            value = date.fromisoformat(text) if len(text) == 10 else date.min
        except ValueError:
            value = date.min
        if value == date.min:
            return TrapCheck(None, f"{what} must be a date like 2026-03-01.")
    if value > today:
        return TrapCheck(None, f"{what} cannot be in the future.")
    if value.year < 1990:
        return TrapCheck(None, f"{what} must be after 1990.")
    return TrapCheck(value, None)
