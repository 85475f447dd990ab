"""Admin: the verification queue (htmx and plain forms), providers (plan, suspend, reinstate)
and the audit log; every action is audited and told to the provider."""

from sqlalchemy import select

from app.accounts import verification
from app.models import AuditLog, Notification, Provider, VerificationRequest
from tests.conftest import csrf_from, login


def text(response):
    return response.get_data(as_text=True)


def setup_request(db, factory, status="claimed"):
    owner = factory.user(email="owner@example.com")
    provider = factory.provider(status="claimed", tier="free", owner=owner, name="Trap Pros")
    request = verification.submit(
        db.session, provider, owner, licence_number="TX-42", service_phone="+17135550100", note="Family business"
    )
    if status == "verified":
        provider.status, provider.verified_at = "verified", provider.created_at
    admin = factory.admin(email="boss@example.com")
    db.session.commit()
    return provider.id, request.id, admin.id


def admin_client(client):
    login(client, "boss@example.com", "correct horse battery")
    return csrf_from(text(client.get("/admin/verification")))


def test_queue_lists_pending_requests_with_their_evidence(client, db, factory):
    setup_request(db, factory)
    admin_client(client)
    page = text(client.get("/admin/verification"))
    assert "Trap Pros" in page and "TX-42" in page and "Family business" in page and "owner@example.com" in page
    assert "(713) 555-0100" in page


def test_approve_over_htmx_verifies_audits_and_emails_the_provider(client, db, factory, rq, smtp):
    provider_id, request_id, admin_id = setup_request(db, factory)
    token = admin_client(client)
    response = client.post(
        f"/admin/verification/{request_id}/decide",
        data={"action": "approve", "note": ""},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    body = text(response)
    assert response.status_code == 200 and body.lstrip().startswith('<li class="card verification-item"')
    assert "approved" in body and "<html" not in body
    db.session.expire_all()
    provider = db.session.get(Provider, provider_id)
    assert provider.status == "verified" and provider.verified_at is not None
    request = db.session.get(VerificationRequest, request_id)
    assert request.status == "approved" and request.decided_by_id == admin_id
    [entry] = db.session.scalars(select(AuditLog)).all()
    assert (entry.action, entry.actor_user_id, entry.object_type, entry.object_id) == (
        "verification.approve",
        admin_id,
        "verificationrequest",
        request_id,
    )
    assert db.session.scalar(select(Notification)).title == "Your listing is verified"
    rq.run()
    [message] = smtp.to("owner@example.com")
    assert message["Subject"] == "Trap Pros is verified on FogForge"
    assert "http://localhost/provider/" in smtp.text_of(message)
    # A second decision (another admin, a double click) changes nothing.
    again = client.post(
        f"/admin/verification/{request_id}/decide",
        data={"action": "reject", "note": "x"},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    assert again.status_code == 200 and "Someone already decided this request." in text(again)
    db.session.expire_all()
    assert db.session.get(VerificationRequest, request_id).status == "approved"
    assert len(db.session.scalars(select(AuditLog)).all()) == 1


def test_reject_needs_a_note_which_the_provider_receives(client, db, factory, rq, smtp, app):
    provider_id, request_id, _ = setup_request(db, factory)
    token = admin_client(client)
    missing = client.post(
        f"/admin/verification/{request_id}/decide",
        data={"action": "reject", "note": " "},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    assert missing.status_code == 200 and "Add a note saying why" in text(missing)
    db.session.expire_all()
    assert db.session.get(VerificationRequest, request_id).status == "pending"
    # Without JavaScript: a normal form post, redirected back to the queue.
    plain = client.post(
        f"/admin/verification/{request_id}/decide",
        data={"action": "reject", "note": "Licence number not found", "csrf_token": token},
    )
    assert plain.status_code == 303 and plain.headers["Location"] == "/admin/verification"
    db.session.expire_all()
    assert db.session.get(Provider, provider_id).status == "claimed"
    assert db.session.get(VerificationRequest, request_id).admin_note == "Licence number not found"
    rq.run()
    [message] = smtp.to("owner@example.com")
    assert "needs another look" in message["Subject"]
    assert "Licence number not found" in smtp.text_of(message)
    owner = app.test_client()
    login(owner, "owner@example.com", "correct horse battery")
    dashboard = text(owner.get("/provider/"))
    assert "Verification not approved" in dashboard and "Licence number not found" in dashboard


def test_admin_changes_plan_suspends_and_reinstates_with_audit(client, db, factory):
    provider_id, _, admin_id = setup_request(db, factory, status="verified")
    token = admin_client(client)
    url = f"/admin/providers/{provider_id}"
    assert "Trap Pros" in text(client.get("/admin/providers?q=trap"))
    assert "Trap Pros" not in text(client.get("/admin/providers?status=unclaimed"))
    bad = client.post(url + "/tier", data={"tier": "platinum", "csrf_token": token})
    assert bad.status_code == 303
    db.session.expire_all()
    assert db.session.get(Provider, provider_id).tier == "free"
    client.post(url + "/tier", data={"tier": "pro", "csrf_token": token})
    no_reason = client.post(url + "/suspend", data={"reason": "", "csrf_token": token})
    assert "say why" in text(client.get(no_reason.headers["Location"]))
    db.session.expire_all()
    assert db.session.get(Provider, provider_id).status == "verified"
    client.post(url + "/suspend", data={"reason": "Fake reviews", "csrf_token": token})
    db.session.expire_all()
    assert db.session.get(Provider, provider_id).status == "suspended"
    client.post(url + "/reinstate", data={"csrf_token": token})
    db.session.expire_all()
    provider = db.session.get(Provider, provider_id)
    assert (provider.status, provider.tier) == ("verified", "pro")
    actions = [e.action for e in db.session.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert actions == ["provider.tier", "provider.suspend", "provider.reinstate"]
    audit_page = text(client.get("/admin/audit"))
    assert "Suspended Trap Pros: Fake reviews" in audit_page and "boss@example.com" in audit_page
    assert "Fake reviews" not in text(client.get("/admin/audit?action=provider.tier"))
    assert "Changed Trap Pros&#39;s plan from free to pro" in text(client.get(url))
