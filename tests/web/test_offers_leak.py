"""Leak test for broadcast offers: before an accept nobody sees the customer's contact; after
it only the winner (and admins) do, on every surface (pages, htmx cards, notifications, emails)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.broadcast import offer_actions, waves
from app.models import Lead, Notification, Offer, OutboxEmail
from app.platform import outbox
from tests.conftest import login
from tests.web.polls import poll_args
from tests.web.test_leak import spelled_forms, spelled_tails

PASSWORD = "correct horse battery"
EMAIL, PHONE = "bob.broadcast@gmail.com", "+17135553333"
DIGITS = PHONE[2:]
RAW = [
    EMAIL,
    PHONE,
    DIGITS,
    f"({DIGITS[:3]}) {DIGITS[3:6]}-{DIGITS[6:]}",
    f"{DIGITS[:3]}-{DIGITS[3:6]}-{DIGITS[6:]}",
    "Bob Broadcaster",
    "77 Secret Lane",
    # issue 16: spelled out in words
    *spelled_tails(PHONE),
]
# the restricted preview keeps 80 characters: the spelled number comes first so it is tested
SPELLED = "; ".join(spelled_forms(PHONE))
ROLES = ("winner", "loser", "unverified", "bystander")


@pytest.fixture
def scene(db, factory):
    metro = factory.metro("Houston", pool_policy="aggressive")
    cat, other_cat = factory.category(), factory.category("Hydro jetting")
    factory.admin(email="admin@example.com")
    providers = {}
    for role, status, categories in (
        ("winner", "verified", [cat]),
        ("loser", "verified", [cat]),
        ("unverified", "claimed", [cat]),
        ("bystander", "verified", [other_cat]),
    ):
        user = factory.user(email=f"{role}@example.com")
        providers[role] = factory.provider(metro=metro, categories=categories, owner=user, status=status, tier="pro")
    lead = factory.lead(
        metro=metro,
        category=cat,
        delivery_status="ready",
        customer_name="Bob Broadcaster",
        customer_email=EMAIL,
        customer_phone=PHONE,
        street="77 Secret Lane",
        description=f"Cell {SPELLED}. Trap overflowing. Call {PHONE} or write {EMAIL}.",
    )
    waves.start(db.session, lead)
    db.session.commit()
    return {"lead_id": lead.id, "providers": providers}


def texts(app, db, scene, role: str) -> dict[str, str]:
    """Everything each surface shows `role`."""
    client = app.test_client()
    login(client, f"{role}@example.com", PASSWORD)
    hx = {"HX-Request": "true"}
    lead_id = scene["lead_id"]
    page = client.get("/provider/offers").get_data(as_text=True)
    stale = [("v", "-1"), ("n", "-1")] + [a for a in poll_args(page) if a[0] == "s"]
    out = {
        "offers page": page + client.get("/provider/offers?show=history").get_data(as_text=True),
        # poll answers: as a page that has every card (status regions) and as an empty page (new cards)
        "poll answers (htmx)": client.get("/provider/offers/poll", query_string=stale, headers=hx).get_data(
            as_text=True
        )
        + client.get("/provider/offers/poll?v=-1", headers=hx).get_data(as_text=True)
        + client.get("/provider/notifications/bell?v=-1", headers=hx).get_data(as_text=True),
        "admin broadcast page": client.get(f"/admin/broadcasts/{lead_id}").get_data(as_text=True),
        "notifications page": client.get("/provider/notifications").get_data(as_text=True),
    }
    provider = scene["providers"].get(role)
    if provider is not None:
        ids = db.session.scalars(select(Offer.id).where(Offer.provider_id == provider.id))
        out["offer cards (htmx)"] = "\n".join(
            client.get(f"/provider/offers/{i}", headers=hx).get_data(as_text=True) for i in ids
        )
        notes = db.session.scalars(select(Notification).where(Notification.provider_id == provider.id))
        out["notification texts"] = "\n".join(f"{n.title}\n{n.body}\n{n.url}" for n in notes)
        mails = db.session.scalars(select(OutboxEmail).where(OutboxEmail.to_email == provider.contact_email))
        out["emails"] = "\n".join("\n".join([*outbox.render(m), repr(m.context)]) for m in mails)
    return out


def leaks(surfaces: dict[str, str]) -> dict[str, list[str]]:
    return {name: found for name, text in surfaces.items() if (found := [r for r in RAW if r in text])}


def test_before_accept_no_provider_sees_contact_data(app, db, scene):
    for role in ROLES:
        surfaces = texts(app, db, scene, role)
        assert leaks(surfaces) == {}, role
    # they do see the masked preview (so the check above is not vacuous)
    loser = texts(app, db, scene, "loser")
    assert "Bob B." in loser["offers page"] and "(***) ***-3333" in loser["offers page"]
    assert "Bob B." in loser["poll answers (htmx)"] and "(***) ***-3333" in loser["poll answers (htmx)"]
    assert "b***@gmail.com" in loser["emails"]
    assert "Verify to accept" in texts(app, db, scene, "unverified")["offers page"]


def test_after_accept_only_the_winner_and_admins_see_contact_data(app, db, scene):
    winner = scene["providers"]["winner"]
    offer_id = db.session.scalar(select(Offer.id).where(Offer.provider_id == winner.id))
    offer_actions.accept(db.session, offer_id, winner.id)
    db.session.commit()
    for role in ("loser", "unverified", "bystander"):
        assert leaks(texts(app, db, scene, role)) == {}, role
    seen = leaks(texts(app, db, scene, "winner"))
    assert EMAIL in seen["offers page"] and PHONE in seen["offer cards (htmx)"]
    assert "admin broadcast page" not in seen  # providers get 403 there
    admin = app.test_client()
    login(admin, "admin@example.com", PASSWORD)
    page = admin.get(f"/admin/broadcasts/{scene['lead_id']}")
    assert EMAIL in page.get_data(as_text=True) and page.headers["Cache-Control"] == "no-store"
    lead = db.session.get(Lead, scene["lead_id"])
    customer = db.session.scalar(select(OutboxEmail).where(OutboxEmail.kind == "accepted_by"))
    assert customer.to_email == EMAIL and lead.assigned_provider_id == winner.id
