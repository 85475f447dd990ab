"""Words that are true (issue 15): nothing on a page says what the next click contradicts."""

from app.leads import routing
from tests.dom import text_of, texts_of


def escrowed(db, factory, provider, **kw):
    lead = factory.lead(
        mode="direct",
        metro=provider.home_metro,
        requested_provider_id=provider.id,
        category=provider.categories[0],
        **kw,
    )
    routing.route(db.session, lead.id)
    db.session.refresh(lead)
    assert lead.delivery_status == "pending", lead.delivery_status
    return lead


def test_a_used_teaser_is_no_longer_offered_nor_called_possible(db, factory, as_admin):
    provider = factory.provider(status="verified", tier="free", name="Free Grease")
    first, second = escrowed(db, factory, provider), escrowed(db, factory, provider)
    db.session.commit()
    page = as_admin.get("/admin/escrow").get_data(as_text=True)
    assert text_of(page, f"#escrow-{second.id} .escrow-reason") == "Free plan (teaser possible)"
    assert "Use weekly teaser" in text_of(page, f"#escrow-{second.id} .escrow-actions")

    swapped = as_admin.post(f"/admin/escrow/{first.id}/teaser", htmx=True).get_data(as_text=True)
    assert text_of(swapped, f"#escrow-{first.id} .escrow-reason") == "Delivered", swapped

    page = as_admin.get("/admin/escrow").get_data(as_text=True)
    badge = text_of(page, f"#escrow-{second.id} .escrow-reason")
    actions = text_of(page, f"#escrow-{second.id} .escrow-actions")
    assert badge == "Free plan (teaser used this week)", badge
    assert "Use weekly teaser" not in actions, actions


def test_send_outreach_becomes_outreach_sent_with_its_time(db, factory, as_admin, clock):
    provider = factory.provider(status="unclaimed", tier="free", name="AAA Grease")
    lead = escrowed(db, factory, provider)
    db.session.commit()
    swapped = as_admin.post(f"/admin/escrow/{lead.id}/outreach", htmx=True).get_data(as_text=True)
    actions = text_of(swapped, f"#escrow-{lead.id} .escrow-actions")
    assert "Send outreach" not in actions and "Outreach sent" in actions, actions
    page = as_admin.get("/admin/escrow").get_data(as_text=True)
    sent = text_of(page, f"#escrow-{lead.id} .outreach-sent")
    assert sent.startswith("Outreach sent ") and sent.endswith(("CST", "CDT")), sent
    assert "Send outreach" not in texts_of(page, f"#escrow-{lead.id} button")


def test_the_badge_follows_a_spam_close_and_a_verify(db, factory, as_admin):
    provider = factory.provider(status="unclaimed", tier="free")
    lead = escrowed(db, factory, provider)
    held = factory.lead(metro=provider.home_metro, status="pending")
    db.session.commit()
    swapped = as_admin.post(f"/admin/escrow/{lead.id}/spam", htmx=True).get_data(as_text=True)
    assert text_of(swapped, f"#escrow-{lead.id} .escrow-reason") == "Closed as spam", swapped
    page = as_admin.get(f"/admin/leads/{lead.id}").get_data(as_text=True)
    assert text_of(page, ".lead-state") == "Closed as spam"
    badges = texts_of(page, "main .badge")
    assert "Listing not claimed" not in badges, badges  # the timeline keeps the history; badges say now

    swapped = as_admin.post(f"/admin/escrow/{held.id}/verify", htmx=True).get_data(as_text=True)
    badge = text_of(swapped, f"#escrow-{held.id} .escrow-reason")
    assert badge not in ("Listing not claimed", "Low quality (held for review)"), badge


def test_times_name_their_zone_and_where_shows_houston_once(db, factory, as_admin, anon):
    metro = factory.metro("Houston")
    lead = factory.lead(metro=metro, city="Houston", postal_code="77002")
    katy = factory.lead(metro=metro, city="Katy")
    db.session.commit()
    audit = as_admin.get("/admin/audit").get_data(as_text=True)
    header = texts_of(audit, "table thead th")[0]
    assert header in ("When (CST)", "When (CDT)"), header
    page = as_admin.get(f"/admin/leads/{lead.id}").get_data(as_text=True)
    summary = text_of(page, "dl.summary")
    assert "Houston (Houston)" not in summary and "Houston 77002" in summary, summary
    zones = {t.split()[-1] for t in texts_of(page, "ol.admin-timeline time")}
    assert len(zones) <= 1, zones
    assert text_of(page, "h2 .muted") in ("(times in CST, Houston)", "(times in CDT, Houston)")
    tracking = anon.get(f"/t/{lead.public_token}").get_data(as_text=True)
    assert "Houston (Houston)" not in tracking
    assert "Katy (Houston)" in anon.get(f"/t/{katy.public_token}").get_data(as_text=True)


def test_a_request_waiting_behind_verification_is_named_in_the_inbox(db, factory, as_provider):
    metro = factory.metro("Houston", unverified_preview=False)
    client = as_provider(metro=metro, status="claimed", tier="free", name="New Grease")
    escrowed(db, factory, client.provider)
    db.session.commit()
    page = client.get("/provider/inbox").get_data(as_text=True)
    notice = text_of(page, "#held-requests")
    assert "1 request for New Grease waits for you" in notice and "verified" in notice, notice
    assert "No requests yet" not in page
