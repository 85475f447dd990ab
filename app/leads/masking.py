"""Masking: the one place that decides what a provider may see of a lead's contact data.

Before a provider has legitimately got a lead it sees only a masked preview: "Maria G.",
"m***@gmail.com" (a business domain as "m***@l***.com"), "(***) ***-1234", no street, and the
description with any e-mail address, phone number (also spelled out in words: "seven one three
...", "siete uno tres ...") or URL inside it masked the same way. Templates, emails, notifications and JSON
receive the dict these functions return, never the Lead's contact fields directly.
"""

from __future__ import annotations

import re
import unicodedata

from app.leads.intake import URGENCY_LABELS
from app.models import Lead

EMAIL_RE = re.compile(r"[\w.+'-]+\s*@\s*[\w-]+(?:\s*\.\s*[\w-]+)+", re.UNICODE)
URL_RE = re.compile(
    r"(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|io|co|us|biz|info|me|app|site)(?:/\S*)?\b",
    re.IGNORECASE,
)
# 7+ digits, optionally with +, spaces, dots, dashes and parentheses between them.
PHONE_RE = re.compile(r"(?<![\w])\+?\(?\d(?:[\s().-]*\d){6,}(?![\w])")
# "maria [at] gmail [dot] com", "maria(at)gmail.com", "maria at gmail dot com".
OBFUSCATED_EMAIL_RE = re.compile(
    r"[\w.+'-]+\s*(?:\[at\]|\(at\)|\{at\})\s*[\w-]+(?:\s*(?:\.|\[dot\]|\(dot\)|\{dot\})\s*[\w-]+)+"
    r"|(?:[\w+'-]+\s+dot\s+)*[\w.+'-]+\s+at\s+[\w-]+(?:\s+dot\s+[\w-]+)+",
    re.IGNORECASE | re.UNICODE,
)
LINK_HIDDEN = "[link hidden]"
EMAIL_HIDDEN = "[email hidden]"
# Digit runs that look like a phone number but are dates or ranges ("2024-03-01", "03/01/2024",
# "1500-2000"): left as written. A 3-4 split ("555-1234") stays a phone.
_DATE_RE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}")
_RANGE_RE = re.compile(r"(\d{1,6})\s*-\s*\d{1,6}")
# One pass, e-mail first, so an address's domain is not taken for a URL.
_CONTACT_RE = re.compile(
    f"(?P<email>{EMAIL_RE.pattern})|(?P<obfuscated>{OBFUSCATED_EMAIL_RE.pattern})|(?P<url>{URL_RE.pattern})"
    f"|(?P<phone>{PHONE_RE.pattern})",
    re.IGNORECASE | re.UNICODE,
)


# Phone numbers spelled out in words, English or Spanish, alone or mixed with digits: "seven one
# three ...", "7 one 3 ...", "siete uno tres ...", "oh" for zero, "double 5" / "triple 5".
_DIGIT_WORDS = {
    **dict.fromkeys(("zero", "oh", "cero"), "0"),
    **dict.fromkeys(("one", "uno", "una"), "1"),
    **dict.fromkeys(("two", "dos"), "2"),
    **dict.fromkeys(("three", "tres"), "3"),
    **dict.fromkeys(("four", "cuatro"), "4"),
    **dict.fromkeys(("five", "cinco"), "5"),
    **dict.fromkeys(("six", "seis"), "6"),
    **dict.fromkeys(("seven", "siete"), "7"),
    **dict.fromkeys(("eight", "ocho"), "8"),
    **dict.fromkeys(("nine", "nueve"), "9"),
}
_REPEATS = {"double": 2, "doble": 2, "triple": 3}
_WORD_ALT = "|".join(sorted(_DIGIT_WORDS, key=len, reverse=True))
_REPEAT_ALT = "|".join(_REPEATS)
_DIGIT_TOKEN = rf"(?:(?:{_REPEAT_ALT})[\s-]+)?(?:\d+|(?:{_WORD_ALT})(?![^\W\d_]))"
_SPELLED_RUN_RE = re.compile(
    rf"(?<![^\W\d_])(?<!\*-)\+?{_DIGIT_TOKEN}(?:[\s,.;:/()+-]*{_DIGIT_TOKEN})+",
    re.IGNORECASE | re.UNICODE,
)
_TOKEN_RE = re.compile(rf"(?:({_REPEAT_ALT})[\s-]+)?(\d+|{_WORD_ALT})", re.IGNORECASE)


def _spelled_digits(run: str) -> tuple[str, bool]:
    """The digits a run of digit tokens stands for, and whether any token was a word."""
    digits, worded = [], False
    for repeat, token in _TOKEN_RE.findall(run):
        value = token if token.isdigit() else _DIGIT_WORDS[token.lower()]
        worded = worded or not token.isdigit()
        digits.append(value * _REPEATS.get(repeat.lower(), 1) if repeat else value)
    return "".join(digits), worded


def _mask_spelled_phones(text: str) -> str:
    """A run of 7+ digits with at least one of them written as a word is a phone number.
    (Runs of plain digits are left to PHONE_RE, which knows dates and ranges.)"""

    def replace(match: re.Match) -> str:
        digits, worded = _spelled_digits(match.group(0))
        if not worded or len(digits) < 7 or _DATE_RE.search(match.group(0)):
            return match.group(0)
        return mask_phone(digits) or ""

    return _SPELLED_RUN_RE.sub(replace, text)


def _not_a_phone(value: str) -> bool:
    if _DATE_RE.fullmatch(value):
        return True
    range_match = _RANGE_RE.fullmatch(value)
    return range_match is not None and len(range_match.group(1)) != 3


_HONORIFICS = {"mr", "mrs", "ms", "mx", "miss", "dr", "prof", "sr", "sra", "srta"}
_SUFFIXES = {"jr", "sr", "ii", "iii", "iv", "phd", "md", "esq"}


def mask_name(name: str | None) -> str:
    """First name + last initial: "Maria Garcia" -> "Maria G."; one word stays as is.
    Titles and suffixes are ignored: "Dr. Maria Garcia Jr." -> "Maria G."."""
    parts = mask_text(name).split()  # a "name" that is an e-mail or a number is masked first
    while len(parts) > 1 and parts[0].lower().strip(".,") in _HONORIFICS:
        parts = parts[1:]
    while len(parts) > 1 and parts[-1].lower().strip(".,") in _SUFFIXES:
        parts = parts[:-1]
    if not parts:
        return "Customer"
    if len(parts) == 1:
        return parts[0]
    last = parts[-1]
    initial = next((ch for ch in last if ch.isalpha()), last[0])
    return f"{parts[0]} {unicodedata.normalize('NFC', initial).upper()}."


def mask_email(email: str | None) -> str | None:
    """ "maria.garcia@gmail.com" -> "m***@gmail.com"."""
    if not email:
        return None
    local, _, domain = re.sub(r"\s+", "", email).rpartition("@")
    if not local:
        return "***"
    return f"{local[0]}***@{_mask_domain(domain)}"


# Well-known webmail providers name nobody, so their domain stays visible ("m***@gmail.com");
# any other domain names the business ("m***@lucianostrattoria.com") and is masked to "l***.com".
_WEBMAIL_RE = re.compile(
    r"(?:gmail|googlemail|yahoo|ymail|outlook|hotmail|live|msn|icloud|me|mac|aol|protonmail|proton|gmx"
    r"|zoho|yandex|mail|fastmail)\.[a-z]{2,3}(?:\.[a-z]{2})?",
    re.IGNORECASE,
)


def _mask_domain(domain: str) -> str:
    if _WEBMAIL_RE.fullmatch(domain) or "." not in domain:
        return domain if "." in domain else "***"
    return f"{domain[0]}***.{domain.rsplit('.', 1)[1]}"


def mask_phone(phone: str | None) -> str | None:
    """Any number -> "(***) ***-1234" (its last four digits)."""
    if not phone:
        return None
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 4:
        return "(***) ***-****"
    return f"(***) ***-{digits[-4:]}"


def mask_text(text: str | None) -> str:
    """Hide e-mail addresses, URLs and phone numbers written inside free text."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)  # full-width "＠" and digits are the ASCII ones

    def replace(match: re.Match) -> str:
        if match.group("email"):
            email = mask_email(match.group("email"))
            assert email is not None  # a matched address is never empty
            return email
        if match.group("obfuscated"):
            return EMAIL_HIDDEN
        if match.group("url"):
            return LINK_HIDDEN
        if _not_a_phone(match.group("phone")):
            return match.group("phone")
        phone = mask_phone(match.group("phone"))
        assert phone is not None  # a matched number is never empty
        return phone

    return _mask_spelled_phones(_CONTACT_RE.sub(replace, text))


def preview(lead: Lead) -> dict:
    """What a provider that is not entitled to the contact may see."""
    return {
        "id": lead.id,
        "masked": True,
        "customer_name": mask_name(lead.customer_name),
        "customer_email": mask_email(lead.customer_email),
        "customer_phone": mask_phone(lead.customer_phone),
        "business_name": None,
        "street": None,
        "postal_code": lead.postal_code,  # an area, like the city (issue 11: shown in offer emails)
        "city": lead.city,
        "metro": lead.metro.name,
        "category": lead.category.name,
        "description": mask_text(lead.description),
        "urgency": lead.urgency,
        "budget": lead.budget,
        "preferred_time": mask_text(lead.preferred_time) if lead.preferred_time else None,
        "created_at": lead.created_at,
        # trap fields (issue 12): not contact data; free-text notes masked like the description
        "trap_type": lead.trap_type,
        "trap_capacity_gallons": lead.trap_capacity_gallons,
        "trap_last_pumped": lead.trap_last_pumped,
        "trap_access_notes": mask_text(lead.trap_access_notes) if lead.trap_access_notes else None,
    }


def restricted_preview(lead: Lead) -> dict:
    """Aggressive broadcast policy, claimed-unverified providers: less than the masked preview
    (no customer name, email or phone hints; a short masked description)."""
    shown = preview(lead)
    text = shown["description"]
    return {
        **shown,
        "restricted": True,
        "customer_name": "A customer",
        "customer_email": None,
        "customer_phone": None,
        "postal_code": None,
        "preferred_time": None,
        "description": text if len(text) <= 80 else text[:77].rstrip() + "…",
    }


def full(lead: Lead) -> dict:
    """Everything, for the provider that got the lead (and for admins)."""
    return {
        **preview(lead),
        "masked": False,
        "customer_name": lead.customer_name,
        "customer_email": lead.customer_email,
        "customer_phone": lead.customer_phone,
        "business_name": lead.business_name,
        "street": lead.street,
        "postal_code": lead.postal_code,
        "description": lead.description,
        "preferred_time": lead.preferred_time,
        "trap_access_notes": lead.trap_access_notes,
    }


def for_viewer(lead: Lead, entitled: bool) -> dict:
    """The one switch: full contact when entitled, the masked preview otherwise."""
    return full(lead) if entitled else preview(lead)


def push_subject(lead: Lead) -> str:
    """What a Web Push (a lock screen anyone may read) says about a lead: category and city
    from the masked preview, never a name or any contact, e.g. "grease trap pumping in Houston"."""
    shown = preview(lead)
    category = shown["category"]
    category = category[:1].lower() + category[1:] if category[1:2].islower() else category
    return f"{category} in {shown['city'] or shown['metro']}"


def push_urgency(lead: Lead) -> tuple[str, bool]:
    """(label, is an emergency) for a push body."""
    return URGENCY_LABELS.get(lead.urgency, lead.urgency), lead.urgency == "emergency"
