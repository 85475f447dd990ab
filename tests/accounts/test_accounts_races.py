"""Races decided by the database: real threads, real connections (SQLite and PostgreSQL)."""

from sqlalchemy import func, select

from app.accounts import claims, plans, verification
from app.core.refusal import Refusal
from app.models import AuditLog, Provider, User, VerificationRequest
from tests.conftest import succeeds

TRIALS = 8


def claimed_or_why(session, user_id: int, provider_id: int) -> str:
    """ "claimed", or the refusal's code ("taken", "has_listing")."""
    try:
        claims.claim(session, session.get(User, user_id), provider_id)
    except Refusal as refusal:
        return refusal.code
    return "claimed"


def decided_or_none(session, request_id: int, admin_id: int, approve: bool):
    try:
        return verification.decide(session, request_id, session.get(User, admin_id), approve=approve, note="n")
    except Refusal:
        return None


def test_simultaneous_claims_of_one_listing_have_exactly_one_winner(db, factory, race):
    metro, cat = factory.metro(), factory.category()
    for trial in range(TRIALS):
        listing = factory.provider(metro=metro, categories=[cat], status="unclaimed", tier="free")
        users = [factory.user() for _ in range(4)]
        listing_id, user_ids = listing.id, [u.id for u in users]
        db.session.commit()

        results = race(
            4,
            lambda i, ids=user_ids, pid=listing_id: claimed_or_why(db.session, ids[i], pid),
        )

        outcomes = sorted(results)
        assert outcomes == ["claimed", "taken", "taken", "taken"], (trial, results)
        winner = user_ids[list(results).index("claimed")]
        db.session.expire_all()
        provider = db.session.get(Provider, listing_id)
        assert provider.owner_id == winner and provider.status == "claimed"


def test_one_account_claiming_two_listings_at_once_gets_one(db, factory, race):
    metro, cat = factory.metro(), factory.category()
    for _ in range(TRIALS):
        listings = [factory.provider(metro=metro, categories=[cat], status="unclaimed", tier="free") for _ in range(2)]
        user = factory.user()
        ids, user_id = [p.id for p in listings], user.id
        db.session.commit()

        results = race(2, lambda i, uid=user_id, ids=ids: claimed_or_why(db.session, uid, ids[i]))

        assert sorted(r for r in results if not isinstance(r, Exception)).count("claimed") >= 1, results
        owned = db.session.scalar(select(func.count(Provider.id)).where(Provider.owner_id == user_id))
        assert owned == 1, results


def test_two_admins_deciding_one_request_at_once_decide_it_once(db, factory, race):
    for _ in range(TRIALS):
        owner = factory.user()
        provider = factory.provider(status="claimed", tier="free", owner=owner)
        request = verification.submit(
            db.session, provider, owner, licence_number="TX-1", service_phone="+17135550100", note=None
        )
        admins = [factory.admin() for _ in range(2)]
        request_id, admin_ids, provider_id = request.id, [a.id for a in admins], provider.id
        db.session.commit()

        results = race(
            2,
            lambda i, rid=request_id, ids=admin_ids: decided_or_none(db.session, rid, ids[i], i == 0),
        )

        decided = [r for r in results if isinstance(r, VerificationRequest)]
        assert len(decided) == 1 and results.count(None) == 1, results
        db.session.expire_all()
        final = db.session.get(VerificationRequest, request_id)
        assert final.decided_by_id == admin_ids[results.index(decided[0])]
        expected = "verified" if final.status == "approved" else "claimed"
        assert db.session.get(Provider, provider_id).status == expected
        assert (
            db.session.scalar(
                select(func.count(AuditLog.id)).where(
                    AuditLog.object_id == request_id, AuditLog.object_type == "verificationrequest"
                )
            )
            == 1
        )


def test_double_clicked_trial_starts_once(db, factory, race, clock):
    for _ in range(TRIALS):
        provider = factory.provider(status="verified", tier="free")
        provider_id = provider.id
        db.session.commit()

        results = race(
            3, lambda i, pid=provider_id: succeeds(plans.start_trial, db.session, db.session.get(Provider, pid))
        )

        assert sorted(results) == [False, False, True], results
