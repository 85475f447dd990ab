"""After a teaser, a verified-free provider is shown what Growth would have brought it."""

import html
from datetime import timedelta

import pytest

from app.core import clock
from app.quotes import teaser
from tests.conftest import login


@pytest.fixture
def market(factory):
    metro = factory.metro("Houston", slug="houston")
    trap = factory.category("Grease trap pumping")
    jetting = factory.category("Hydro jetting")
    owner = factory.user(email="free@example.com")
    free = factory.provider(metro=metro, categories=[trap], tier="free", owner=owner, name="Free Co")
    growth = factory.provider(metro=metro, categories=[trap], tier="growth", name="Growth Co")
    return metro, trap, jetting, free, growth


def offer(factory, lead, provider, state="offered", responded=False):
    return factory.offer(lead, provider, state=state, responded_at=clock.now() if responded else None)


def give_teaser(factory, lead, provider):
    factory.assignment(lead, provider, kind="broadcast", teaser=True, notified_at=clock.now() - timedelta(minutes=4))


def test_no_pitch_before_a_teaser_or_for_paid_providers(db, factory, market):
    _, _, _, free, growth = market
    assert teaser.pitch(db.session, free) is None
    assert teaser.pitch(db.session, growth) is None


def test_counts_leads_that_reached_growth_but_not_the_provider(db, factory, market):
    metro, trap, jetting, free, growth = market
    won = factory.lead(metro=metro, category=trap)
    give_teaser(factory, won, free)
    missed_by_me = factory.lead(metro=metro, category=trap)
    offer(factory, missed_by_me, growth)
    also_offered_to_me = factory.lead(metro=metro, category=trap)
    offer(factory, also_offered_to_me, growth)
    offer(factory, also_offered_to_me, free, state="taken")  # a missed offer, not "more"
    other_category = factory.lead(metro=metro, category=jetting)
    offer(factory, other_category, growth)
    last_month = factory.lead(metro=metro, category=trap, created_at=teaser.month_start() - timedelta(days=2))
    offer(factory, last_month, growth)
    direct = factory.lead(metro=metro, category=trap, mode="direct")
    offer(factory, direct, growth)
    trialing = factory.provider(
        metro=metro, categories=[trap], tier="starter", name="Trial Co", trial_ends_at=clock.now() + timedelta(days=3)
    )
    offer(factory, factory.lead(metro=metro, category=trap), trialing)  # Growth trial counts as Growth

    result = teaser.pitch(db.session, free)
    assert result.more_leads == 2
    assert result.missed_offers == 1
    assert result.response_time == "4 min"


def test_dashboard_shows_the_pitch_with_a_trial_button(client, db, factory, market):
    metro, trap, _, free, growth = market
    give_teaser(factory, factory.lead(metro=metro, category=trap), free)
    offer(factory, factory.lead(metro=metro, category=trap), growth)
    db.session.commit()
    login(client, "free@example.com", "correct horse battery")
    page = html.unescape(client.get("/provider/").get_data(as_text=True))
    assert "You could have received 1 more lead this month on Growth" in page
    assert "Start Growth trial" in page
