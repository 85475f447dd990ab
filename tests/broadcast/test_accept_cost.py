"""A winning accept holds the lead's row lock until it commits, and every other accept of the
lead waits on that lock: the winner's transaction must cost the same whether 3 or 30 other
providers lose (issue 10: the 32-way race). Each loser still gets its in-app notice, its email
and its push, and its live pages still learn of the change."""

from sqlalchemy import func, select

from app.broadcast import offer_actions, waves
from app.models import Notification, Offer, OutboxEmail, OutboxPush, ProviderChange, PushSubscription


def _lead_offered_to(db, factory, metro, cat, providers, n):
    metro.wave_plan = [{"tiers": ["pro"], "size": len(providers), "minutes": 5}]
    lead = factory.lead(metro=metro, category=cat, delivery_status="ready", customer_email=f"c{n}@example.com")
    assert waves.start(db.session, lead)
    offers = sorted((o.id, o.provider_id) for o in lead.offers)
    assert len(offers) == len(providers)
    db.session.commit()
    db.session.expire_all()
    return lead.id, offers


def _accept_counting(db, sql_statements, offer):
    db.session.expire_all()
    with sql_statements() as log:
        offer_actions.accept(db.session, *offer)
        db.session.commit()
    return log


def test_a_winning_accept_costs_the_same_with_3_or_30_losers_and_every_loser_is_told(db, factory, sql_statements):
    metro, cat = factory.metro("Houston", slug="houston"), factory.category()
    few = [factory.provider(metro=metro, categories=[cat], owner=factory.user()) for _ in range(4)]
    db.session.commit()
    _, small = _lead_offered_to(db, factory, metro, cat, few, 1)
    small_log = _accept_counting(db, sql_statements, small[0])

    many = few + [factory.provider(metro=metro, categories=[cat], owner=factory.user()) for _ in range(27)]
    for p in many[::2]:  # half of them have a phone subscribed to pushes
        db.session.add(
            PushSubscription(provider_id=p.id, endpoint=f"https://push.example/{p.id}", p256dh="k", auth="a")
        )
    db.session.commit()
    before = dict(db.session.execute(select(ProviderChange.provider_id, ProviderChange.version)).all())
    lead_id, big = _lead_offered_to(db, factory, metro, cat, many, 2)
    big_log = _accept_counting(db, sql_statements, big[0])

    assert len(big_log) == len(small_log) <= 16, (
        f"3 losers: {len(small_log)} statements, 30 losers: {len(big_log)}\n{big_log}"
    )
    losers = [pid for _, pid in big[1:]]
    told = db.session.scalars(
        select(Notification.provider_id).where(Notification.lead_id == lead_id, Notification.kind == "lead_taken")
    ).all()
    assert sorted(told) == sorted(losers)
    emailed = db.session.scalars(
        select(OutboxEmail.to_email).where(OutboxEmail.lead_id == lead_id, OutboxEmail.kind == "lead_taken")
    ).all()
    assert sorted(emailed) == sorted(p.owner.email for p in many if p.id in losers)
    # offers were pushed to the subscribed half when made; "taken" is not a push kind
    pushed = db.session.scalar(select(func.count(OutboxPush.id)).where(OutboxPush.lead_id == lead_id))
    assert pushed == len(many[::2])
    after = dict(db.session.execute(select(ProviderChange.provider_id, ProviderChange.version)).all())
    assert all(after[p.id] > before.get(p.id, 0) for p in many), "a provider's live page would miss the change"
    states = db.session.scalars(select(Offer.state).where(Offer.lead_id == lead_id)).all()
    assert sorted(states) == ["accepted"] + ["taken"] * 30
