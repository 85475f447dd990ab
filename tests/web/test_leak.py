"""The leak test: a lead's raw phone and email reach only those entitled to them.

For each role (anonymous, another provider, the unverified claimant with the metro's preview
off/on, the provider the lead was delivered to, an admin) and each surface (pages, htmx
fragments, notification texts, emails), the raw contact data of a lead appears only where
allowed: the delivered provider for its lead, and admins.

To add a surface (issues 5, 6): add one entry to SURFACES, a function (client, scenario, role)
returning every text that surface shows that role.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from app.broadcast import offer_actions
from app.direct import escrow_actions
from app.leads import routing
from app.models import Notification, OutboxEmail, OutboxPush, PushSubscription
from app.platform import outbox, push
from app.quotes import unlock
from tests.conftest import login

PASSWORD = "correct horse battery"
CONTACT = {
    # lead key -> (email, E.164 phone); every written form of the phone is checked
    "delivered": ("dora.delivered@gmail.com", "+17135551111"),
    "escrowed": ("erin.escrowed@gmail.com", "+17135552222"),
    "quote": ("quinn.quote@gmail.com", "+17135553333"),  # issue 6: unlocked by "delivered" only
    # issue 5: offered to delivered + other, delivered accepts; issue 16: a business domain
    "broadcast": ("bea.broadcast@beasbistro.com", "+17135554444"),
}
EN = "zero one two three four five six seven eight nine".split()
ES = "cero uno dos tres cuatro cinco seis siete ocho nueve".split()


def spelled_forms(phone: str) -> list[str]:
    """Issue 16: the phone as the customer may spell it out (each also goes in the description)."""
    digits = phone[2:]
    return [
        " ".join(EN[int(d)] for d in digits),  # "seven one three five five five ..."
        " ".join(d if i % 2 == 0 else EN[int(d)] for i, d in enumerate(digits)),  # "7 one 3 five ..."
        " ".join(ES[int(d)] for d in digits),  # "siete uno tres cinco ..."
        "-".join("oh" if d == "0" else EN[int(d)].capitalize() for d in digits),  # "Seven-One-Three-..."
    ]


def spelled_tails(phone: str) -> list[str]:
    """A spelled form leaks if its last six words show (the test leads differ there; masking
    shows only the last four digits, as digits)."""
    return [sep.join(form.split(sep)[4:]) for form, sep in zip(spelled_forms(phone), "   -", strict=True)]


def described(key: str, opening: str) -> str:
    email, phone = CONTACT[key]
    return f"{opening} Reach me at {phone} or {email}. Cell: " + "; or ".join(spelled_forms(phone)) + "."


def raw_forms(key: str) -> list[str]:
    email, phone = CONTACT[key]
    digits = phone[2:]
    return [
        email,
        *([] if email.endswith("@gmail.com") else [email.split("@")[1]]),  # a business domain names it
        phone,
        digits,
        f"({digits[:3]}) {digits[3:6]}-{digits[6:]}",
        f"{digits[:3]}-{digits[3:6]}-{digits[6:]}",
        *spelled_tails(phone),
    ]


@dataclass
class Scenario:
    leads: dict[str, int]  # lead key -> id
    providers: dict[str, object]  # role -> Provider (or None)
    emails: dict[str, str | None]  # role -> login email
    slugs: list[str]
    records: list = None  # issue 12: service records (manifests) of "delivered"


def build(db, factory, preview: bool) -> Scenario:
    metro = factory.metro("Houston", unverified_preview=preview)
    cat = factory.category()
    admin = factory.admin(email="admin@example.com")
    users = {r: factory.user(email=f"{r}@example.com") for r in ("delivered", "unverified", "other")}
    delivered = factory.provider(metro=metro, categories=[cat], owner=users["delivered"], tier="pro")
    unverified = factory.provider(
        metro=metro, categories=[cat], owner=users["unverified"], status="claimed", tier="free"
    )
    other = factory.provider(metro=metro, categories=[cat], owner=users["other"], tier="pro")
    for n, provider in enumerate((delivered, unverified, other)):  # issue 11: each has a phone subscribed
        db.session.add(
            PushSubscription(provider_id=provider.id, endpoint=f"https://push.example/{n}", p256dh="k", auth="a")
        )
    db.session.flush()
    leads = {}
    for key, provider in (("delivered", delivered), ("escrowed", unverified)):
        email, phone = CONTACT[key]
        lead = factory.lead(
            mode="direct",
            metro=metro,
            category=cat,
            requested_provider_id=provider.id,
            customer_email=email,
            customer_phone=phone,
            description=described(key, "Trap overflowing."),
        )
        routing.route(db.session, lead.id)
        leads[key] = lead.id
    assert escrow_actions.send_outreach(db.session, db.session.get(type(lead), leads["escrowed"]), admin)
    email, phone = CONTACT["quote"]  # issue 6: a quote lead, previewed by all, unlocked by "delivered"
    quote = factory.lead(
        mode="quotes",
        metro=metro,
        category=cat,
        customer_email=email,
        customer_phone=phone,
        description=described("quote", "Need quotes."),
    )
    routing.route(db.session, quote.id)
    assert unlock.unlock(db.session, quote.id, delivered, 0)
    leads["quote"] = quote.id
    email, phone = CONTACT["broadcast"]  # issue 5: a broadcast lead offered to both pros, accepted by "delivered"
    broadcast = factory.lead(
        mode="broadcast",
        metro=metro,
        category=cat,
        customer_email=email,
        customer_phone=phone,
        description=described("broadcast", "Anyone?"),
    )
    routing.route(db.session, broadcast.id)
    won = next(o for o in broadcast.offers if o.provider_id == delivered.id)
    offer_actions.accept(db.session, won.id, delivered.id)
    leads["broadcast"] = broadcast.id
    records = _compliance(db, leads, delivered)  # issue 12: sites, manifests, reminders
    db.session.commit()
    return Scenario(
        leads=leads,
        providers={"delivered": delivered, "unverified": unverified, "other": other, "admin": None, "anonymous": None},
        emails={
            "delivered": "delivered@example.com",
            "unverified": "unverified@example.com",
            "other": "other@example.com",
            "admin": "admin@example.com",
            "anonymous": None,
        },
        slugs=[delivered.slug, unverified.slug, other.slug],
        records=records,
    )


def _compliance(db, leads: dict, delivered) -> list:
    """Issue 12: every lead joins a site with a trap (as intake does); "delivered" records the
    service of its direct lead and of the broadcast it accepted; a reminder is queued for each."""
    from app.compliance import records, reminders, sites
    from app.core import clock
    from app.models import Lead, Reminder

    made = []
    for key, lead_id in leads.items():
        lead = db.session.get(Lead, lead_id)
        lead.trap_type, lead.trap_capacity_gallons = "interceptor", 1000
        lead.trap_access_notes = f"Gate code: call {CONTACT[key][1]}"
        sites.attach(db.session, lead)
        if key in ("delivered", "broadcast"):
            data, errors = records.validate(
                {
                    "service_date": clock.now().date().isoformat(),
                    "gallons_removed": "900",
                    "percent_full": "30",
                    "transporter_registration": "TX-GT-1",
                    "vehicle": "Truck 1",
                    "driver": "Dan Driver",
                    "disposal_facility": "Plant 9",
                    "generator_signer": "Signer Person",
                },
                clock.now().date(),
            )
            assert not errors, errors
            made.append(records.record_service(db.session, lead_id, delivered, data))
        reminder = Reminder(trap_id=lead.trap_id, kind="due_soon", due_on=clock.now().date(), provider_id=delivered.id)
        db.session.add(reminder)
        db.session.flush()
        reminders.queue_email(db.session, reminder)
    return made


def _offer_ids() -> list[int]:
    """Every broadcast offer (a provider gets 404 for others', which must not leak either)."""
    from app.extensions import db
    from app.models import Offer

    return list(db.session.scalars(select(Offer.id)))


def _get(client, *urls, htmx=False):
    headers = {"HX-Request": "true"} if htmx else {}
    return "\n".join(client.get(url, headers=headers).get_data(as_text=True) for url in urls)


def _notifications(client, s: Scenario, role: str) -> str:
    provider = s.providers.get(role)
    if provider is None:
        return ""
    from app.extensions import db

    rows = db.session.scalars(select(Notification).where(Notification.provider_id == provider.id))
    return "\n".join(f"{n.title}\n{n.body}\n{n.url}" for n in rows)


def _emails(client, s: Scenario, role: str) -> str:
    address = s.emails.get(role)
    if address is None or role == "admin":
        return ""
    from app.extensions import db

    provider = s.providers[role]
    rows = db.session.scalars(select(OutboxEmail).where(OutboxEmail.to_email.in_([address, provider.email])))
    texts = []
    for row in rows:
        subject, text, html = outbox.render(row)
        texts += [subject, text, html, repr(row.context)]
    return "\n".join(texts)


def _pushes(client, s: Scenario, role: str) -> str:
    """Issue 11: every Web Push payload queued for the role's devices, as the phone would get it."""
    provider = s.providers.get(role)
    if provider is None:
        return ""
    from app.extensions import db

    rows = db.session.scalars(select(OutboxPush).where(OutboxPush.provider_id == provider.id))
    return "\n".join(repr(push.payload(row)) for row in rows)


SURFACES = {
    "provider inbox page": lambda c, s, r: _get(c, "/provider/inbox"),
    "provider lead pages": lambda c, s, r: _get(c, *(f"/provider/inbox/{i}" for i in s.leads.values())),
    "provider lead pages (htmx)": lambda c, s, r: _get(
        c, *(f"/provider/inbox/{i}" for i in s.leads.values()), htmx=True
    ),
    "bell fragment": lambda c, s, r: _get(c, "/provider/notifications/bell", htmx=True),
    "notifications page": lambda c, s, r: _get(c, "/provider/notifications"),
    "notification texts": _notifications,
    "emails to the viewer": _emails,
    "public provider pages": lambda c, s, r: _get(c, *(f"/p/{slug}" for slug in s.slugs)),
    "admin escrow inbox": lambda c, s, r: _get(c, "/admin/escrow"),
    "admin timeline fragments": lambda c, s, r: _get(
        c, *(f"/admin/escrow/{i}/timeline" for i in s.leads.values()), htmx=True
    ),
    "admin lead pages": lambda c, s, r: _get(c, *(f"/admin/leads/{i}" for i in s.leads.values())),
    "provider quote leads": lambda c, s, r: _get(c, "/provider/quotes", "/provider/credits"),
    "provider quote cards": lambda c, s, r: _get(c, *(f"/provider/quotes/{i}" for i in s.leads.values())),
    "provider quote cards (htmx)": lambda c, s, r: _get(
        c, *(f"/provider/quotes/{i}" for i in s.leads.values()), htmx=True
    ),
    "provider offers page": lambda c, s, r: _get(c, "/provider/offers", "/provider/offers?show=history"),  # issue 5
    # issue 11: live poll answers, as a page that still shows every offer as open (so the status
    # and details regions are sent) and as an empty page (every open offer as a new card)
    "offers poll answers (htmx)": lambda c, s, r: _get(
        c,
        "/provider/offers/poll?v=-1&" + "&".join(f"s={i}:open:1::0" for i in _offer_ids()),
        "/provider/offers/poll?v=-1",
        "/provider/notifications/bell?v=-1",
        htmx=True,
    ),
    "provider offer cards (htmx)": lambda c, s, r: _get(c, *(f"/provider/offers/{i}" for i in _offer_ids()), htmx=True),
    "push payloads": _pushes,  # issue 11
    # issue 14: the provider's own exports and figures
    "provider CSV export": lambda c, s, r: _get(c, "/provider/leads.csv"),
    "provider results and tools pages": lambda c, s, r: _get(
        c, "/provider/results?days=30", "/provider/results?days=365", "/provider/tools"
    ),
    # issue 12: compliance surfaces
    "provider customers page": lambda c, s, r: _get(c, "/provider/customers"),
    "provider service record forms": lambda c, s, r: _get(
        c,
        *(f"/provider/jobs/{i}/service" for i in s.leads.values()),
        *(f"/provider/records/{x.id}/correct" for x in s.records),
    ),
    "manifest PDFs (text)": lambda c, s, r: _pdf_texts(c, *(f"/provider/records/{x.id}.pdf" for x in s.records)),
    "manifest verification pages": lambda c, s, r: _get(c, *(f"/manifests/{x.number}" for x in s.records)),
    "my sites (not signed in by a link)": lambda c, s, r: _get(c, "/my-sites", "/my-sites/traps/1/due.ics"),
    "admin sites pages": lambda c, s, r: _get(
        c, "/admin/sites", *(f"/admin/sites/{x.trap.site_id}" for x in s.records)
    ),
}


def _pdf_texts(client, *urls) -> str:
    """The text a PDF shows (read back with pypdf), or the page answered instead of a PDF."""
    import io

    from pypdf import PdfReader

    texts = []
    for url in urls:
        response = client.get(url)
        if response.mimetype == "application/pdf":
            texts += [page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages]
        else:
            texts.append(response.get_data(as_text=True))
    return "\n".join(texts)


# Which leads' raw contact each role may see (on any surface).
ALLOWED = {
    "anonymous": set(),
    "other": set(),
    "unverified": set(),
    "delivered": {"delivered", "quote", "broadcast"},
    "admin": {"delivered", "escrowed", "quote", "broadcast"},
}
# Sanity: surfaces where the contact must actually show (so the test can fail for the right reason).
MUST_SHOW = {
    ("delivered", "provider inbox page"): "delivered",
    ("delivered", "provider lead pages"): "delivered",
    ("delivered", "emails to the viewer"): "delivered",
    ("admin", "admin lead pages"): "escrowed",
    ("delivered", "provider quote cards"): "quote",
    ("delivered", "provider quote cards (htmx)"): "quote",
    ("delivered", "provider offers page"): "broadcast",
    ("delivered", "offers poll answers (htmx)"): "broadcast",
    ("delivered", "provider offer cards (htmx)"): "broadcast",
    ("admin", "admin sites pages"): "delivered",
}


@pytest.mark.parametrize(
    "role, preview",
    [
        ("anonymous", False),
        ("other", False),
        ("unverified", False),
        ("unverified", True),
        ("delivered", False),
        ("admin", True),
    ],
)
def test_raw_contact_only_where_allowed(app, db, factory, role, preview):
    s = build(db, factory, preview)
    client = app.test_client()
    if role != "anonymous":
        login(client, s.emails[role], PASSWORD)
    for surface, show in SURFACES.items():
        text = show(client, s, role)
        for key in CONTACT:
            leaked = [form for form in raw_forms(key) if form in text]
            if key in ALLOWED[role]:
                if MUST_SHOW.get((role, surface)) == key:
                    assert leaked, f"{role} should see {key} contact on {surface}"
            else:
                assert not leaked, f"{role} sees {key} lead's {leaked} on {surface} (preview={preview})"
        assert "12 Main St" not in text or ALLOWED[role], f"{role} sees the street on {surface}"


def test_push_payloads_are_masked_even_for_the_provider_entitled_to_the_contact(app, db, factory):
    """A lock screen is readable by anyone holding the phone: no contact, name or street in any
    push, whoever it is for (issue 11)."""
    s = build(db, factory, preview=True)
    for role in ("delivered", "unverified", "other"):
        text = _pushes(None, s, role)
        assert text or role == "unverified", f"{role} got no push at all; the test would prove nothing"
        for key in CONTACT:
            leaked = [form for form in raw_forms(key) if form in text]
            assert not leaked, f"{role}'s push shows {key} lead's {leaked}: {text}"
        assert "12 Main St" not in text and "Maria" not in text, f"{role}'s push names the customer: {text}"


@pytest.mark.parametrize("preview", [False, True])
def test_unverified_claimant_sees_a_masked_preview_only_when_the_metro_allows(app, db, factory, preview):
    s = build(db, factory, preview)
    client = app.test_client()
    login(client, "unverified@example.com", PASSWORD)
    inbox = client.get("/provider/inbox")
    html = inbox.get_data(as_text=True)
    assert inbox.headers["Cache-Control"] == "no-store" and 'hx-history="false"' in html
    lead_page = client.get(f"/provider/inbox/{s.leads['escrowed']}")
    if preview:
        assert "(***) ***-2222" in html and "e***@gmail.com" in html and "Verify your business to unlock" in html
        assert lead_page.status_code == 200 and "(***) ***-2222" in lead_page.get_data(as_text=True)
    else:
        assert (
            "(***) ***-2222" not in html
            and "No requests yet" not in html
            and "held until your listing is verified" in html
        )
        assert lead_page.status_code == 404


def test_reminder_emails_and_inspector_links_carry_only_their_own_site(app, db, factory):
    """Issue 12: a reminder email goes to its site's owner only and names no other customer's
    contact; an inspector link shows its own site's manifests, no contact at all, and nothing
    of another site."""
    from app.compliance import share
    from app.models import Site

    s = build(db, factory, preview=False)
    rows = db.session.scalars(select(OutboxEmail).where(OutboxEmail.template == "compliance_reminder")).all()
    assert len(rows) == len(CONTACT), [r.to_email for r in rows]
    owners = {CONTACT[key][0]: key for key in CONTACT}
    for row in rows:
        own = owners[row.to_email]
        subject, text, html = outbox.render(row)
        body = "\n".join((subject, text, html, repr(row.context)))
        for key in CONTACT:
            if key != own:
                leaked = [form for form in raw_forms(key) if form in body]
                assert not leaked, f"the reminder to {own} shows {key}'s {leaked}"
    mine, theirs = s.records
    site = db.session.get(Site, mine.trap.site_id)
    share.create(db.session, site.id, site.owner_email)
    db.session.commit()
    client = app.test_client()
    page = client.get(f"/compliance/{site.share_token}").get_data(as_text=True)
    pdf = _pdf_texts(client, f"/compliance/{site.share_token}.pdf")
    for text in (page, pdf):
        assert mine.number in text and theirs.number not in text
        for key in CONTACT:
            leaked = [form for form in raw_forms(key) if form in text]
            assert not leaked, f"the inspector link shows {key}'s {leaked}"
