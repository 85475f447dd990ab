"""One realistic context per email template, rendered through the real outbox.render (tests of the
email layout: tests/web/test_emails.py, and in Chromium tests/browser/test_email_layout.py)."""

from __future__ import annotations

from app.models import OutboxEmail
from app.platform import outbox

URL = "http://fogforge.test"
LEAD = {
    "customer_name": "Maria G.",
    "city": "Houston",
    "metro": "Houston",
    "category": "Grease trap pumping",
    "description": "Grease trap overflowing into the kitchen, 1000 gallon interceptor behind the building.",
    "urgency": "this_week",
}
SAMPLES: dict[str, dict] = {
    # issue 12: recurring compliance
    "magic_link": {"url": f"{URL}/my-sites/auth/abc", "minutes": 30},
    "compliance_reminder": {
        "kind": "due_soon",
        "contact_name": "Rosa Delgado",
        "site_name": "Taqueria La Reina",
        "trap_label": "1,500-gallon outdoor interceptor",
        "due_on": "2026-12-13",
        "provider_name": "Houston Pro Pumping",
        "metro_name": "Houston",
        "authority": "City of Houston",
        "rule_text": "Full evacuation at least every 90 days.",
        "book_url": f"{URL}/rebook/abc?mode=direct",
        "anyone_url": f"{URL}/rebook/abc?mode=broadcast",
        "ics_url": f"{URL}/rebook/abc/due.ics",
        "my_sites_url": f"{URL}/my-sites/sign-in",
    },
    "account_confirm": {"name": "Sam", "confirm_url": f"{URL}/auth/confirm/abc", "hours": 48},
    "password_reset": {"name": "Sam", "reset_url": f"{URL}/auth/reset/abc", "minutes": 60},
    "consent_request": {
        "customer_name": "Maria Garcia",
        "provider_name": "Houston AAA Grease Trap Cleaners",
        "category_name": "Grease trap pumping",
        "tracking_url": f"{URL}/t/token",
        "sent_at": "2026-01-15T23:30:00+00:00",
        "timezone": "America/Chicago",
    },
    "customer_still_looking": {
        "customer_name": "Maria Garcia",
        "category_name": "Grease trap pumping",
        "metro_name": "Houston",
        "tracking_url": f"{URL}/t/token",
    },
    "escrow_outreach": {
        "provider_name": "Houston AAA Grease Trap Cleaners",
        "lead": LEAD,
        "claim_url": f"{URL}/p/houston-aaa/claim",
    },
    "quote_available": {
        "provider_name": "Houston Pro Pumping",
        "lead": LEAD,
        "urgency": "emergency",
        "budget": "600_1200",
        "cost": 2,
        "balance": 1,
        "short": True,
        "max_providers": 3,
        "lead_url": f"{URL}/provider/quotes/1",
        "credits_url": f"{URL}/provider/credits",
    },
    "quote_received": {
        "customer_name": "Maria Garcia",
        "category_name": "Grease trap pumping",
        "provider": "Houston Pro Pumping",
        "amount": "1250.00",
        "message": "We can come Tuesday morning.",
        "tracking_url": f"{URL}/t/token",
    },
    "quote_picked": {
        "provider_name": "Houston Pro Pumping",
        "title": "You won the job",
        "body": "Maria G. picked your quote.",
        "won": True,
        "lead_url": f"{URL}/provider/quotes/1",
    },
    "review_received": {
        "provider_name": "Houston Pro Pumping",
        "rating": 5,
        "text": "On time and clean.",
        "author": "Maria G.",
        "page_url": f"{URL}/p/houston-pro-pumping",
    },
    "verification_decision": {
        "provider_name": "Houston Pro Pumping",
        "approved": True,
        "note": "",
        "dashboard_url": f"{URL}/provider/",
    },
}


def render(template: str) -> tuple[str, str, str]:
    """(subject, text, html) of the sample, through the app's own renderer."""
    return outbox.render(OutboxEmail(template=template, context=SAMPLES[template]))
