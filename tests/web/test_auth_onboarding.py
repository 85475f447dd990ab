"""The provider's way in: claiming a listing (or adding one), verification, settings, plan."""

from datetime import timedelta

from sqlalchemy import func, select

from app.models import Provider, VerificationRequest
from tests.conftest import csrf_from, login


def text(response):
    return response.get_data(as_text=True)


def post(client, url, data=None, page=None):
    token = csrf_from(text(client.get(page or url)))
    return client.post(url, data={**(data or {}), "csrf_token": token})


def signed_in(client, factory, db, email="owner@example.com", confirmed=True):
    user = factory.user(email=email, confirmed=confirmed)
    db.session.commit()
    assert login(client, email, "correct horse battery").status_code == 303
    return user


def test_claim_it_link_sends_anonymous_users_to_sign_in_and_back(client, db, factory):
    listing = factory.provider(status="unclaimed", tier="free", name="Houston AAA Grease Trap Cleaners")
    db.session.commit()
    public = client.get(f"/p/{listing.slug}/claim")
    assert public.status_code == 302 and public.headers["Location"] == f"/provider/claim/{listing.slug}"
    anon = client.get(public.headers["Location"])
    assert anon.status_code == 302 and anon.headers["Location"].startswith("/auth/login?next=")
    login_page = text(client.get(anon.headers["Location"]))
    assert f"/auth/signup?next=/provider/claim/{listing.slug}" in login_page
    token = csrf_from(text(client.get("/auth/signup")))
    done = client.post(
        f"/auth/signup?next=/provider/claim/{listing.slug}",
        data={
            "email": "new@example.com",
            "password": "a long enough password",
            "confirm": "a long enough password",
            "csrf_token": token,
        },
    )
    assert done.headers["Location"] == f"/provider/claim/{listing.slug}"
    page = text(client.get(done.headers["Location"]))
    assert "Claim this listing" in page


def test_claiming_links_the_listing_and_a_second_claim_is_refused(client, db, factory, app):
    listing = factory.provider(status="unclaimed", tier="free")
    user = signed_in(client, factory, db)
    slug, listing_id = listing.slug, listing.id
    claimed = post(client, f"/provider/claim/{slug}")
    assert claimed.status_code == 303 and claimed.headers["Location"] == "/provider/"
    db.session.expire_all()
    provider = db.session.get(Provider, listing_id)
    assert provider.owner_id == user.id and provider.status == "claimed"
    assert "Get verified" in text(client.get("/provider/"))

    other = app.test_client()
    factory.user(email="rival@example.com")
    db.session.commit()
    login(other, "rival@example.com", "correct horse battery")
    page = other.get(f"/provider/claim/{slug}")
    assert "This listing is already claimed" in text(page) and "support@fogforge.local" in text(page)
    refused = other.post(f"/provider/claim/{slug}", data={"csrf_token": csrf_from(text(page))})
    assert refused.status_code == 409 and "This listing is already claimed" in text(refused)
    db.session.expire_all()
    assert db.session.get(Provider, listing_id).owner_id == user.id


def test_one_listing_per_account(client, db, factory):
    first = factory.provider(status="unclaimed", tier="free", name="First Co")
    second = factory.provider(status="unclaimed", tier="free", name="Second Co")
    signed_in(client, factory, db)
    post(client, f"/provider/claim/{first.slug}")
    refused = post(client, f"/provider/claim/{second.slug}")
    assert refused.status_code == 409 and "Your account already manages a listing" in text(refused)
    db.session.expire_all()
    assert db.session.get(Provider, second.id).status == "unclaimed"


def test_admins_cannot_claim(client, db, factory):
    listing = factory.provider(status="unclaimed", tier="free")
    factory.admin(email="boss@example.com")
    db.session.commit()
    login(client, "boss@example.com", "correct horse battery")
    assert client.get(f"/provider/claim/{listing.slug}").status_code == 403


def test_create_a_new_listing_in_a_metro(client, db, factory):
    metro = factory.metro("Dallas", slug="dallas")
    cat = factory.category("Hydro jetting")
    user = signed_in(client, factory, db)
    bad = post(client, "/provider/listing/new", {"name": "", "metro_id": "0", "phone": "12"})
    body = text(bad)
    assert bad.status_code == 422
    assert "Enter your business&#39;s name." in body and "Choose at least one service." in body
    assert "Choose your home metro." in body
    assert db.session.scalar(select(func.count(Provider.id))) == 0
    ok = post(
        client,
        "/provider/listing/new",
        {"name": "Jet Bros", "metro_id": str(metro.id), "category_ids": [str(cat.id)], "phone": "(214) 555-0199"},
    )
    assert ok.status_code == 303
    provider = db.session.scalar(select(Provider))
    assert (provider.name, provider.status, provider.tier, provider.owner_id) == (
        "Jet Bros",
        "claimed",
        "free",
        user.id,
    )
    assert provider.home_metro_id == metro.id and [c.name for c in provider.categories] == ["Hydro jetting"]
    assert provider.phone == "+12145550199" and provider.slug == "jet-bros"


def test_verification_needs_a_confirmed_email_and_valid_evidence(client, db, factory):
    user = signed_in(client, factory, db, confirmed=False)
    listing = factory.provider(status="claimed", tier="free", owner=user)
    db.session.commit()
    invalid = post(client, "/provider/verification", {"licence_number": "", "service_phone": "abc"})
    assert invalid.status_code == 422
    assert "Enter your business or waste-hauler licence number." in text(invalid)
    assert "Enter a phone number with its area code" in text(invalid)
    unconfirmed = post(client, "/provider/verification", {"licence_number": "TX-123", "service_phone": "7135550100"})
    assert unconfirmed.status_code == 422 and "Confirm your email address first" in text(unconfirmed)
    assert db.session.scalar(select(func.count(VerificationRequest.id))) == 0

    user.email_confirmed_at = user.created_at
    db.session.commit()
    sent = post(
        client,
        "/provider/verification",
        {"licence_number": "TX-123", "service_phone": "7135550100", "note": "Since 1998"},
    )
    assert sent.status_code == 303
    request = db.session.scalar(select(VerificationRequest))
    assert (request.provider_id, request.status, request.licence_number, request.service_phone) == (
        listing.id,
        "pending",
        "TX-123",
        "+17135550100",
    )
    assert "Verification under review" in text(client.get("/provider/"))
    again = post(
        client,
        "/provider/verification",
        {"licence_number": "TX-9", "service_phone": "7135550100"},
        page="/provider/settings",
    )
    assert again.status_code == 422 and "already have a request waiting" in text(again)
    assert db.session.scalar(select(func.count(VerificationRequest.id))) == 1


def test_settings_validate_each_field_and_save(client, db, factory):
    user = signed_in(client, factory, db)
    home = factory.metro("Houston", slug="houston")
    dallas = factory.metro("Dallas", slug="dallas")
    pump, jet = factory.category("Pumping"), factory.category("Jetting")
    listing = factory.provider(metro=home, categories=[pump], status="verified", tier="growth", owner=user)
    db.session.commit()
    bad = post(client, "/provider/settings", {"weekly_cap": "-3", "extra_metro_ids": [str(home.id)]})
    body = text(bad)
    assert bad.status_code == 422
    assert "Choose at least one service, or pause your listing instead." in body
    assert "Enter a whole number from 1 to 1000" in body
    assert "Choose only from the options listed." in body  # the home metro can't be an extra metro
    db.session.expire_all()
    assert [c.id for c in db.session.get(Provider, listing.id).categories] == [pump.id]

    ok = post(
        client,
        "/provider/settings",
        {
            "category_ids": [str(pump.id), str(jet.id)],
            "extra_metro_ids": [str(dallas.id)],
            "paused": "y",
            "weekly_cap": "5",
            "email_kinds": ["direct_lead", "review_received"],
        },
    )
    assert ok.status_code == 303
    db.session.expire_all()
    provider = db.session.get(Provider, listing.id)
    assert {c.id for c in provider.categories} == {pump.id, jet.id}
    assert [m.id for m in provider.extra_metros] == [dallas.id]
    assert provider.paused and provider.weekly_cap == 5
    assert provider.wants_email("direct_lead") and not provider.wants_email("new_offer")
    assert "Paused" in text(client.get("/provider/"))


def test_growth_trial_once_and_it_expires_by_the_clock(client, db, factory, clock):
    user = signed_in(client, factory, db)
    listing = factory.provider(status="verified", tier="free", owner=user)
    db.session.commit()
    plan = text(client.get("/provider/plan"))
    assert "Start Growth trial" in plan and "Quote leads unlock free" in plan
    assert post(client, "/provider/plan/trial", page="/provider/plan").status_code == 303
    db.session.expire_all()
    provider = db.session.get(Provider, listing.id)
    assert provider.in_trial and provider.effective_tier == "growth" and provider.is_paid
    assert provider.trial_ends_at == provider.trial_started_at + timedelta(days=14)
    assert "Verified · Growth · receiving leads" in text(client.get("/provider/"))

    clock.advance(timedelta(days=14, seconds=1))
    db.session.expire_all()
    provider = db.session.get(Provider, listing.id)
    assert not provider.in_trial and provider.effective_tier == "free" and not provider.is_paid
    page = text(client.get("/provider/plan"))
    assert "Start Growth trial" not in page and "Your Growth trial ended" in page
    post(client, "/provider/plan/trial", page="/provider/plan")
    db.session.expire_all()
    assert not db.session.get(Provider, listing.id).in_trial
    assert "can be used once" in text(client.get("/provider/plan"))


def escrowed_lead(factory, provider, reason):
    return factory.lead(
        metro=provider.home_metro,
        category=provider.categories[0],
        mode="direct",
        requested_provider_id=provider.id,
        delivery_status="pending",
        escrow_reason=reason,
    )


def test_becoming_eligible_releases_escrowed_direct_leads(client, db, factory):
    """Approval of a paid listing, the trial start and un-pausing each release escrow (issue 4)."""
    from app.accounts import plans, verification
    from app.models import Assignment, Lead

    owner = signed_in(client, factory, db)
    listing = factory.provider(status="claimed", tier="growth", owner=owner)
    first = escrowed_lead(factory, listing, "unverified")
    request = verification.submit(
        db.session, listing, owner, licence_number="TX-1", service_phone="+17135550100", note=None
    )
    verification.decide(db.session, request.id, factory.admin(), approve=True, note=None)
    db.session.commit()
    assert db.session.get(Lead, first.id).delivery_status == "delivered"

    free = factory.provider(status="verified", tier="free", owner=factory.user())
    second = escrowed_lead(factory, free, "free_plan")
    plans.start_trial(db.session, free)
    db.session.commit()
    assert db.session.get(Lead, second.id).delivery_status == "delivered"

    listing.paused = True
    third = escrowed_lead(factory, listing, "paused")
    db.session.commit()
    resumed = post(client, "/provider/settings", {"category_ids": [str(listing.categories[0].id)], "weekly_cap": ""})
    assert resumed.status_code == 303
    db.session.expire_all()
    assert db.session.get(Lead, third.id).delivery_status == "delivered"
    assert db.session.scalar(select(func.count(Assignment.id))) == 3
