"""Every email goes through one layout (text and HTML) with human words (issue 15): one sign-off,
local times naming their zone, labels instead of stored keys, prices as people write them."""

import pytest

from tests.dom import text_of
from tests.email_samples import SAMPLES, render


@pytest.mark.parametrize("template", sorted(SAMPLES))
def test_each_email_has_the_layout_once(app, db, template):
    subject, text, html = render(template)
    assert text.count("— FogForge") == 1, text
    assert "You're getting this because" in text.splitlines()[-1], text
    assert text_of(html, "title") == subject
    assert text_of(html, "body").count("— FogForge") == 1


def test_times_are_local_and_name_their_zone(app, db):
    _, text, html = render("consent_request")
    assert "(sent Jan 15, 5:30 PM CST)" in text, text
    assert "Times are in CST." in text and "Times are in CST." in text_of(html, "body")


def test_labels_places_and_prices_read_as_words(app, db):
    _, text, html = render("quote_available")
    assert "Urgency: Emergency (today)" in text and "Budget: $600 – $1,200" in text, text
    assert "A customer in Houston is asking" in text and "Houston (Houston)" not in text_of(html, "body")
    _, outreach, _ = render("escrow_outreach")
    assert "Urgency: This week" in outreach, outreach
    subject, quote, _ = render("quote_received")
    assert subject.endswith(": $1,250") and "sent you a quote: $1,250." in quote, (subject, quote)


def test_account_emails_say_why_they_came(app, db):
    _, text, html = render("password_reset")
    assert text.splitlines()[-1] == "You're getting this because of your FogForge account."
    assert "because of your FogForge account" in text_of(html, "body")
