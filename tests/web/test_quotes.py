"""Quote leads over HTTP: the provider's list and lead card (preview, cost, competition,
unlock with the quoted price, htmx transitions), credits pages, the customer's choice, done
and review on the tracking page, admin grants and the disputes queue."""

import re

import pytest
from sqlalchemy import func, select

from app.leads import routing
from app.models import Assignment, AuditLog, CreditEntry, Lead, QuoteView, Review
from app.quotes import credits, pricing, unlock
from tests.conftest import csrf_from, login
from tests.quote_helpers import fund, houston_market

PASSWORD = "correct horse battery"
RAW = ["maria.garcia@gmail.com", "+17135551234", "7135551234", "(713) 555-1234", "12 Main St"]


@pytest.fixture
def market(db, factory):
    metro, cat = houston_market(factory)
    people = {}
    for role, tier in (("alpha", "growth"), ("beta", "growth"), ("gamma", "pro"), ("delta", "growth")):
        user = factory.user(email=f"{role}@example.com")
        people[role] = factory.provider(metro=metro, categories=[cat], tier=tier, owner=user, name=role.title())
    fund(db.session, people["alpha"], 5)
    fund(db.session, people["beta"], 5)
    admin = factory.admin(email="admin@example.com")
    lead = factory.lead(
        metro=metro,
        category=cat,
        mode="quotes",
        urgency="emergency",
        budget="300_600",
        postal_code="77002",
        description="Trap overflowing. Call me at 713-555-1234.",
    )
    routing.route(db.session, lead.id)
    db.session.commit()
    return {
        "lead_id": lead.id,
        "token": lead.public_token,
        "admin_id": admin.id,
        **{role: p.id for role, p in people.items()},
    }


def as_provider(app, role):
    client = app.test_client()
    login(client, f"{role}@example.com", PASSWORD)
    return client


def post(client, url, data=None, htmx=False, page=None):
    token = csrf_from(client.get(page or url.rsplit("/", 1)[0]).get_data(as_text=True))
    headers = {"HX-Request": "true", "X-CSRFToken": token} if htmx else {}
    return client.post(url, data={**(data or {}), "csrf_token": token}, headers=headers)


def test_list_shows_masked_preview_cost_and_competition(app, market):
    client = as_provider(app, "alpha")
    response = client.get("/provider/quotes")
    assert response.headers["Cache-Control"] == "no-store"  # unlocked cards list the customer
    html = response.get_data(as_text=True)
    assert 'hx-history="false"' in html
    assert "Grease trap pumping in Houston" in html and "Maria G." in html
    assert "0/3 unlocked" in html and "Unlock for 2 credits" in html and "(***) ***-1234" in html
    assert not any(raw in html for raw in RAW)


def test_viewing_the_card_counts_once_per_provider(app, db, market):
    alpha, beta = as_provider(app, "alpha"), as_provider(app, "beta")
    url = f"/provider/quotes/{market['lead_id']}"
    alpha.get(url)
    alpha.get(url)
    html = beta.get(url).get_data(as_text=True)
    assert "2 providers viewed" in html


def test_unlock_charges_the_quoted_price_and_shows_the_contact_no_store(app, db, market):
    client = as_provider(app, "alpha")
    lead_url = f"/provider/quotes/{market['lead_id']}"
    response = post(client, f"{lead_url}/unlock", {"price": "2"}, page=lead_url)
    assert response.status_code == 303 and response.headers["Location"] == lead_url
    page = client.get(lead_url)
    html = page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store" and 'hx-history="false"' in html
    assert "maria.garcia@gmail.com" in html and "12 Main St" in html and "1/3 unlocked" in html
    assert credits.balance(db.session, market["alpha"]) == 3
    # a double click charges once
    post(client, f"{lead_url}/unlock", {"price": "2"}, page=lead_url)
    assert credits.balance(db.session, market["alpha"]) == 3 == credits.ledger_sum(db.session, market["alpha"])
    # another provider still sees only the preview
    other = as_provider(app, "beta").get(lead_url).get_data(as_text=True)
    assert not any(raw in other for raw in RAW) and "1/3 unlocked" in other


def test_unlock_with_a_stale_price_is_refused_and_charges_nothing(app, db, market):
    client = as_provider(app, "alpha")
    lead_url = f"/provider/quotes/{market['lead_id']}"
    response = post(client, f"{lead_url}/unlock", {"price": "1"}, page=lead_url)
    assert response.status_code == 422
    assert "The price changed to 2 credits; nothing was charged" in response.get_data(as_text=True)
    assert credits.balance(db.session, market["alpha"]) == 5
    short = as_provider(app, "delta")
    response = post(short, f"{lead_url}/unlock", {"price": "2"}, page=lead_url)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Not enough credits: this lead costs 2 and you have 0" in html
    assert "top up to unlock" in short.get(lead_url).get_data(as_text=True)


def test_htmx_transitions_swap_the_card_and_refuse_invalid_moves(app, db, market):
    client = as_provider(app, "gamma")  # pro: free
    lead_url = f"/provider/quotes/{market['lead_id']}"
    card = post(client, f"{lead_url}/unlock", {"price": "0"}, htmx=True, page=lead_url)
    html = card.get_data(as_text=True)
    assert card.status_code == 200 and html.lstrip().startswith('<section id="quote-card"') and "<html" not in html
    assert "Unlocked (free on Pro)" in html and "maria.garcia@gmail.com" in html
    assert card.headers["Cache-Control"] == "no-store"
    bad = post(client, f"{lead_url}/status/quoted", {"quote_amount": "lots"}, htmx=True, page=lead_url)
    assert "Enter the price as a number" in bad.get_data(as_text=True)
    ok = post(
        client,
        f"{lead_url}/status/quoted",
        {"quote_amount": "480", "quote_message": "Can come Tue"},
        htmx=True,
        page=lead_url,
    ).get_data(as_text=True)
    assert "Quote sent to the customer." in ok and "$480.00" in ok
    refused = post(client, f"{lead_url}/status/contacted", {}, htmx=True, page=lead_url).get_data(as_text=True)
    assert "This lead is already quoted; it can&#39;t be marked contacted." in refused
    # lost needs its reason (issue 14): a field message, nothing changed
    no_reason = post(client, f"{lead_url}/status/lost", page=lead_url)
    assert no_reason.status_code == 422 and "Choose why the lead was lost." in no_reason.get_data(as_text=True)
    # without JS the same action is a normal POST that redirects back
    response = post(client, f"{lead_url}/status/lost", {"reason": "price"}, page=lead_url)
    assert response.status_code == 303
    assert db.session.scalar(select(Assignment.status)) == "lost"


def test_fully_unlocked_lead_shows_so_to_everyone_else(app, db, factory, market):
    lead = db.session.get(Lead, market["lead_id"])
    for role in ("alpha", "beta", "gamma"):
        from app.models import Provider

        provider = db.session.get(Provider, market[role])
        assert unlock.unlock(db.session, lead.id, provider, pricing.lead_price(lead, provider))
    db.session.commit()
    client = as_provider(app, "delta")
    html = client.get(f"/provider/quotes/{market['lead_id']}").get_data(as_text=True)
    assert "3/3 unlocked" in html and "Fully unlocked" in html and "Unlock for" not in html
    assert "Fully unlocked" in client.get("/provider/quotes").get_data(as_text=True)


def _quoted_by_two(app, db, market):
    for role, amount in (("alpha", "400"), ("gamma", "450")):
        client = as_provider(app, role)
        lead_url = f"/provider/quotes/{market['lead_id']}"
        price = "0" if role == "gamma" else "2"
        post(client, f"{lead_url}/unlock", {"price": price}, page=lead_url)
        post(
            client,
            f"{lead_url}/status/quoted",
            {"quote_amount": amount, "quote_message": f"{role} can do it"},
            page=lead_url,
        )


def test_customer_sees_quotes_chooses_marks_done_and_reviews(app, db, client, market):
    _quoted_by_two(app, db, market)
    tracking = f"/t/{market['token']}"
    html = client.get(tracking).get_data(as_text=True)
    assert "2 quotes received" in html and "$400.00" in html and "$450.00" in html and "gamma can do it" in html
    gamma_assignment = db.session.scalar(select(Assignment.id).where(Assignment.provider_id == market["gamma"]))
    response = post(client, f"{tracking}/choose/{gamma_assignment}", page=tracking)
    assert response.status_code == 303
    html = client.get(tracking).get_data(as_text=True)
    assert "You chose Gamma" in html and "mark it done" in html
    statuses = dict(db.session.execute(select(Assignment.provider_id, Assignment.status)).all())
    assert statuses == {market["alpha"]: "lost", market["gamma"]: "won"}
    post(client, f"{tracking}/done", page=tracking)
    bad = post(client, f"{tracking}/review", {"text": "great"}, page=tracking)
    assert bad.status_code == 422 and "Choose 1 to 5 stars." in bad.get_data(as_text=True)
    assert (
        post(client, f"{tracking}/review", {"rating": "5", "text": "Fast and tidy"}, page=tracking).status_code == 303
    )
    assert db.session.scalar(select(func.count(Review.id))) == 1
    again = post(client, f"{tracking}/review", {"rating": "1", "text": "changed my mind"}, page=tracking)
    assert again.status_code == 422 and "already reviewed" in again.get_data(as_text=True)
    slug = db.session.scalar(select(Assignment).where(Assignment.provider_id == market["gamma"])).provider.slug
    page = client.get(f"/p/{slug}").get_data(as_text=True)
    assert "★ 5.0" in page and "1 review" in page and "Fast and tidy" in page and "Maria G." in page


def test_provider_credits_page_lists_the_ledger(app, db, market):
    client = as_provider(app, "alpha")
    lead_url = f"/provider/quotes/{market['lead_id']}"
    post(client, f"{lead_url}/unlock", {"price": "2"}, page=lead_url)
    html = client.get("/provider/credits").get_data(as_text=True)
    assert re.search(r'class="credit-balance">3<', html)
    assert "Spend" in html and "-2" in html and "Grant" in html and "+5" in html


def test_admin_grants_credits_once_with_a_note_and_an_audit_entry(app, db, market):
    client = app.test_client()
    login(client, "admin@example.com", PASSWORD)
    html = client.get("/admin/credits").get_data(as_text=True)
    token = csrf_from(html)
    key = re.search(r'name="grant_key" value="([^"]+)"', html).group(1)
    url = f"/admin/credits/{market['delta']}/grant"
    bad = client.post(url, data={"csrf_token": token, "grant_key": key, "amount": "0", "note": ""})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "Amount: enter a whole number" in text and "Note: say why" in text
    for _ in range(2):  # a double submit grants once
        response = client.post(
            url, data={"csrf_token": token, "grant_key": key, "amount": "10", "note": "Welcome pack"}
        )
        assert response.status_code == 303
    assert credits.balance(db.session, market["delta"]) == 10
    entry = db.session.scalar(select(CreditEntry).where(CreditEntry.provider_id == market["delta"]))
    assert entry.note == "Welcome pack" and entry.created_by == market["admin_id"]
    log = db.session.scalar(select(AuditLog).where(AuditLog.action == "credits.grant"))
    assert "Granted 10 credits to Delta: Welcome pack" == log.summary


def test_provider_reports_a_bad_lead_and_admin_refunds_once(app, db, market):
    client = as_provider(app, "alpha")
    lead_url = f"/provider/quotes/{market['lead_id']}"
    post(client, f"{lead_url}/unlock", {"price": "2"}, page=lead_url)
    missing = post(client, f"{lead_url}/report", {"reason": ""}, page=lead_url)
    assert missing.status_code == 422 and "Choose what was wrong with the lead." in missing.get_data(as_text=True)
    assert (
        post(
            client, f"{lead_url}/report", {"reason": "wrong_contact", "details": "Number dead"}, page=lead_url
        ).status_code
        == 303
    )
    admin = app.test_client()
    login(admin, "admin@example.com", PASSWORD)
    queue = admin.get("/admin/disputes").get_data(as_text=True)
    assert "Wrong contact details" in queue and "Number dead" in queue
    dispute_id = re.search(r"/admin/disputes/(\d+)/refund", queue).group(1)
    token = csrf_from(queue)
    for _ in range(2):
        admin.post(f"/admin/disputes/{dispute_id}/refund", data={"csrf_token": token, "note": "ok"})
    assert credits.balance(db.session, market["alpha"]) == 5 == credits.ledger_sum(db.session, market["alpha"])
    assert db.session.scalar(select(func.count(CreditEntry.id)).where(CreditEntry.kind == "refund")) == 1
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.action == "dispute.refund"))


def test_quote_routes_need_the_right_role(app, db, market):
    anonymous = app.test_client()
    assert anonymous.get("/provider/quotes").status_code in (302, 401)
    provider = as_provider(app, "alpha")
    assert provider.get("/admin/credits").status_code == 403
    assert provider.get("/admin/disputes").status_code == 403


def test_unverified_suspended_and_unrelated_listings_get_no_preview(app, db, factory, market):
    from app.models import Provider

    metro = db.session.get(Provider, market["alpha"]).home_metro
    cat = db.session.get(Provider, market["alpha"]).categories[0]
    for role, kw in (
        ("claimed", {"status": "claimed"}),
        ("banned", {"status": "suspended"}),
        ("jetter", {"categories": [factory.category("Hydro jetting")]}),
    ):
        user = factory.user(email=f"{role}@example.com")
        factory.provider(metro=metro, owner=user, tier="growth", **{"categories": [cat], **kw})
    db.session.commit()
    for role in ("claimed", "banned", "jetter"):
        client = as_provider(app, role)
        assert "Maria G." not in client.get("/provider/quotes").get_data(as_text=True)
        assert client.get(f"/provider/quotes/{market['lead_id']}").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(QuoteView)) == 0


def test_customer_actions_over_htmx_answer_the_status_block(app, db, client, market):
    _quoted_by_two(app, db, market)
    tracking = f"/t/{market['token']}"
    alpha_assignment = db.session.scalar(select(Assignment.id).where(Assignment.provider_id == market["alpha"]))
    response = post(client, f"{tracking}/choose/{alpha_assignment}", htmx=True, page=tracking)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith('<section id="status"') and "<html" not in html
    assert "You chose Alpha. We let them know." in html and response.headers["Cache-Control"] == "no-store"
    again = post(client, f"{tracking}/choose/{alpha_assignment}", htmx=True, page=tracking).get_data(as_text=True)
    assert "You already chose a provider" in again
    post(client, f"{tracking}/done", htmx=True, page=tracking)
    bad = post(client, f"{tracking}/review", {"rating": "9"}, htmx=True, page=tracking).get_data(as_text=True)
    assert "Choose 1 to 5 stars." in bad and 'role="alert"' in bad


def test_admin_credit_history_page_grants_and_lists_entries(app, db, market):
    client = app.test_client()
    login(client, "admin@example.com", PASSWORD)
    url = f"/admin/credits/{market['alpha']}"
    html = client.get(url).get_data(as_text=True)
    assert "Alpha: 5 credits" in html and "test credits" in html
    key = re.search(r'name="grant_key" value="([^"]+)"', html).group(1)
    response = client.post(
        f"/admin/credits/{market['alpha']}/grant",
        data={"csrf_token": csrf_from(html), "grant_key": key, "amount": "3", "note": "Goodwill", "next": url},
    )
    assert response.status_code == 303 and response.headers["Location"] == url
    html = client.get(url).get_data(as_text=True)
    assert "Alpha: 8 credits" in html and "Goodwill" in html and "admin@example.com" in html


def test_grant_never_redirects_off_site(app, db, market):
    client = app.test_client()
    login(client, "admin@example.com", PASSWORD)
    html = client.get("/admin/credits").get_data(as_text=True)
    key = re.search(r'name="grant_key" value="([^"]+)"', html).group(1)
    response = client.post(
        f"/admin/credits/{market['alpha']}/grant",
        data={
            "csrf_token": csrf_from(html),
            "grant_key": key,
            "amount": "1",
            "note": "x",
            "next": "https://evil.example/admin/",
        },
    )
    assert response.headers["Location"] == "/admin/credits"
