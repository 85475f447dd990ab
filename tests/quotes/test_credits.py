"""The credit wallet: an append-only ledger whose balance is the sum of its entries and can
never go negative, enforced by the database; idempotency keys make retries harmless."""

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError

from app.models import CreditEntry, CreditWallet, User
from app.quotes import credits, disputes, preview, unlock
from tests.conftest import refusal_of, succeeds
from tests.quote_helpers import fund, houston_market, quoting_lead


def test_grant_spend_refund_keep_balance_equal_to_the_ledger(db, factory):
    provider = factory.provider(tier="growth")
    fund(db.session, provider, 5)
    credits.post(db.session, provider.id, "spend", -2, "spend-1")
    credits.post(db.session, provider.id, "refund", 1, "refund-1")
    assert credits.balance(db.session, provider.id) == 4 == credits.ledger_sum(db.session, provider.id)
    assert [e.kind for e in credits.history(db.session, provider.id)] == ["refund", "spend", "grant"]


def test_same_key_twice_posts_once(db, factory):
    provider = factory.provider(tier="growth")
    first = fund(db.session, provider, 5, key="grant-abc")
    again = fund(db.session, provider, 5, key="grant-abc")
    assert first.created and not again.created and again.entry.id == first.entry.id
    assert credits.balance(db.session, provider.id) == 5
    assert db.session.scalar(select(func.count(CreditEntry.id))) == 1


def test_overdraft_is_refused_and_writes_nothing(db, factory):
    provider = factory.provider(tier="growth")
    fund(db.session, provider, 1)
    with pytest.raises(credits.InsufficientCredits):
        credits.post(db.session, provider.id, "spend", -2, "too-much")
    assert credits.by_key(db.session, "too-much") is None
    assert credits.balance(db.session, provider.id) == 1 == credits.ledger_sum(db.session, provider.id)


def test_the_database_itself_refuses_a_negative_balance(db, factory):
    provider = factory.provider(tier="growth")
    fund(db.session, provider, 1)
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.execute(update(CreditWallet).where(CreditWallet.provider_id == provider.id).values(balance=-1))
    db.session.rollback()
    with pytest.raises(IntegrityError):  # a spend must take, a grant must add
        db.session.execute(
            text(
                "INSERT INTO credit_entries (provider_id, kind, amount, idempotency_key, created_at)"
                " VALUES (:p, 'grant', -5, 'bad', CURRENT_TIMESTAMP)"
            ),
            {"p": provider.id},
        )
    db.session.rollback()


def _unlocked_and_disputed(db, factory):
    metro, cat = houston_market(factory)
    provider = factory.provider(metro=metro, categories=[cat], tier="growth")
    fund(db.session, provider, 3)
    lead = quoting_lead(factory, metro, cat, urgency="emergency")  # costs 2
    assert unlock.unlock(db.session, lead.id, provider, 2)
    assert disputes.report(db.session, lead.id, provider, "spam", "Fake number")
    dispute_id = disputes.dispute_of(db.session, preview.assignment_of(db.session, lead.id, provider.id).id).id
    admin = factory.admin()
    provider_id, admin_id = provider.id, admin.id
    db.session.commit()
    return provider_id, dispute_id, admin_id


def test_refund_is_a_ledger_entry_keyed_to_the_unlock_and_only_once(db, factory):
    provider_id, dispute_id, admin_id = _unlocked_and_disputed(db, factory)
    from app.models import User

    admin = db.session.get(User, admin_id)
    assert credits.balance(db.session, provider_id) == 1
    result = disputes.resolve(db.session, dispute_id, "refund", admin, "Confirmed spam")
    assert result
    again = refusal_of(disputes.resolve, db.session, dispute_id, "refund", admin, "again")
    assert "already refunded" in again.message
    entry = db.session.scalar(select(CreditEntry).where(CreditEntry.kind == "refund"))
    assert entry.amount == 2 and entry.idempotency_key.startswith("refund:unlock:")
    assert credits.balance(db.session, provider_id) == 3 == credits.ledger_sum(db.session, provider_id)


def test_two_concurrent_refunds_write_one_entry(db, factory, race):
    provider_id, dispute_id, admin_id = _unlocked_and_disputed(db, factory)
    results = race(
        2,
        lambda i: succeeds(disputes.resolve, db.session, dispute_id, "refund", db.session.get(User, admin_id), "race"),
        timeout=30,
    )
    # a loser may fail on a constraint; it must write nothing
    outcomes = [type(r).__name__ if isinstance(r, Exception) else r for r in results]
    db.session.expire_all()
    assert outcomes.count(True) == 1
    refunds = db.session.scalars(select(CreditEntry).where(CreditEntry.kind == "refund")).all()
    assert len(refunds) == 1
    assert credits.balance(db.session, provider_id) == 3 == credits.ledger_sum(db.session, provider_id)


def test_direct_refund_of_an_unlock_is_idempotent(db, factory):
    provider_id, dispute_id, admin_id = _unlocked_and_disputed(db, factory)
    from app.models import Dispute

    assignment = db.session.get(Dispute, dispute_id).assignment
    assert disputes.refund_unlock(db.session, assignment, None) is True
    assert disputes.refund_unlock(db.session, assignment, None) is False
    assert credits.balance(db.session, provider_id) == 3


def _entries(db, key):
    return db.session.scalar(select(func.count(CreditEntry.id)).where(CreditEntry.idempotency_key == key))


def test_a_spend_repeated_with_its_key_charges_once(db, factory):
    provider = factory.provider(tier="growth")
    fund(db.session, provider, 5)
    first = credits.post(db.session, provider.id, "spend", -2, "unlock-once")
    again = credits.post(db.session, provider.id, "spend", -2, "unlock-once")
    assert first.created and not again.created and again.entry.id == first.entry.id
    assert (first.entry.amount, first.entry.idempotency_key) == (-2, "unlock-once")
    assert credits.balance(db.session, provider.id) == 3 == credits.ledger_sum(db.session, provider.id)
    assert _entries(db, "unlock-once") == 1


def test_the_first_credit_makes_the_wallet_and_a_debit_without_one_is_refused(db, factory):
    provider = factory.provider(tier="growth")
    with pytest.raises(credits.InsufficientCredits):
        credits.post(db.session, provider.id, "spend", -1, "before-any-grant")
    assert _entries(db, "before-any-grant") == 0 and credits.balance(db.session, provider.id) == 0
    assert credits.post(db.session, provider.id, "spend", 0, "free-unlock").created  # a pro unlock costs 0
    assert credits.grant(db.session, provider.id, 3, "first", note="n").created
    assert credits.grant(db.session, provider.id, 2, "second", note="n").created
    newcomer = factory.provider(tier="growth")
    assert credits.grant(db.session, newcomer.id, 4, "welcome", note="n").created
    for p, expected in ((provider, 5), (newcomer, 4)):
        assert credits.balance(db.session, p.id) == expected == credits.ledger_sum(db.session, p.id)
    assert db.session.scalar(select(func.count()).select_from(CreditWallet)) == 2


def test_balances_reads_many_wallets_in_one_go(db, factory):
    funded, empty, walletless = (factory.provider(tier="growth") for _ in range(3))
    fund(db.session, funded, 3)
    credits.post(db.session, empty.id, "spend", 0, "free")
    wanted = [funded.id, empty.id, walletless.id, funded.id]
    assert credits.balances(db.session, wanted) == {funded.id: 3, empty.id: 0, walletless.id: 0}
    assert credits.balances(db.session, []) == {}


def test_the_same_key_posted_at_once_charges_once(db, factory, race):
    provider = factory.provider(tier="growth")
    fund(db.session, provider, 10)
    provider_id = provider.id
    db.session.commit()
    results = race(4, lambda i: credits.post(db.session, provider_id, "spend", -3, "double-click").created)
    db.session.expire_all()
    assert sorted(results) == [False, False, False, True], results  # and nobody saw an error
    assert credits.balance(db.session, provider_id) == 7 == credits.ledger_sum(db.session, provider_id)
    assert _entries(db, "double-click") == 1


def test_first_grants_at_once_make_one_wallet_holding_them_all(db, factory, race):
    provider = factory.provider(tier="growth")  # no wallet yet
    provider_id = provider.id
    db.session.commit()
    results = race(4, lambda i: credits.grant(db.session, provider_id, 2, f"grant-{i}", note="race").created)
    db.session.expire_all()
    assert results == [True] * 4, results
    assert credits.balance(db.session, provider_id) == 8 == credits.ledger_sum(db.session, provider_id)
    wallets = select(func.count()).select_from(CreditWallet).where(CreditWallet.provider_id == provider_id)
    assert db.session.scalar(wallets) == 1


def test_debits_at_once_never_overdraw(db, factory, race):
    provider = factory.provider(tier="growth")
    fund(db.session, provider, 5)
    provider_id = provider.id
    db.session.commit()
    results = race(4, lambda i: credits.post(db.session, provider_id, "spend", -2, f"spend-{i}").created)
    db.session.expire_all()
    assert results.values == [True, True] and len(results.errors) == 2, results
    assert all(isinstance(e, credits.InsufficientCredits) for e in results.errors)
    assert credits.balance(db.session, provider_id) == 1 == credits.ledger_sum(db.session, provider_id)
    assert db.session.scalar(select(func.count(CreditEntry.id)).where(CreditEntry.kind == "spend")) == 2
