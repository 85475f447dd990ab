"""Faults cost seconds, not emails: SMTP outages of any length up to the retry budget."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.models import OutboxEmail
from app.platform import backoff, outbox, sweep


def queue_emails(db, n: int) -> list[int]:
    ids = []
    for i in range(n):
        row_id = outbox.queue_email(
            db.session,
            kind="still_looking",
            to=f"customer{i}@example.com",
            template="customer_still_looking",
            context={
                "customer_name": f"Customer {i}",
                "category_name": "Grease trap pumping",
                "metro_name": "Houston",
                "tracking_url": f"http://localhost/t/token{i}",
            },
        )
        assert row_id is not None
        ids.append(row_id)
    return ids


def tick(db, rq, clock, seconds: float) -> None:
    """One sweep period: time moves, the sweep enqueues what is due, a worker runs it."""
    clock.advance(timedelta(seconds=seconds))
    counts = sweep.run(db.session)
    db.session.commit()  # (a release after an outage is enqueued on commit)
    if any(counts.values()):
        rq.run()


# (that a row keeps being retried for the whole 24-hour budget, and only then is `failed`:
# tests/jobs/test_email.py::test_after_the_time_budget_row_is_failed_not_lost...)
@pytest.mark.parametrize("outage", [timedelta(minutes=5), timedelta(hours=1)])
def test_an_smtp_outage_up_to_the_budget_delivers_every_email_once_after_recovery(db, rq, smtp, clock, outage):
    smtp.refuse = 10**9  # the real server answers 451 to every message
    ids = queue_emails(db, 5)
    rq.run()  # first attempts fail
    # The sweep runs every few seconds; here it ticks coarser for the longer outage (time is
    # cheap to move, a worker run is not).
    step = 10 if outage <= timedelta(minutes=5) else 60
    end = clock.now() + outage
    while clock.now() < end:
        tick(db, rq, clock, step)
    attempts = {r.id: r.attempts for r in db.session.scalars(select(OutboxEmail))}
    statuses = {r.status for r in db.session.scalars(select(OutboxEmail))}
    assert statuses == {"pending"}, f"after a {outage} outage the rows are {statuses}"
    assert smtp.messages == []
    smtp.refuse = 0  # the server is back
    recovered = clock.now()
    while len(smtp.messages) < len(ids) and clock.now() - recovered < timedelta(minutes=15):
        tick(db, rq, clock, 10)
    took = clock.now() - recovered
    to = sorted(str(m["To"]) for m in smtp.messages)
    assert to == sorted(f"customer{i}@example.com" for i in range(5)), f"delivered after recovery: {to}"
    assert took <= backoff.CAP + timedelta(seconds=10), f"the last email went out {took} after recovery"
    # (each waits out at most one capped backoff; a fresh email is sent at once)
    for _ in range(10):  # nothing more is sent later
        tick(db, rq, clock, 180)
    assert len(smtp.messages) == len(ids), f"{len(smtp.messages)} messages for {len(ids)} emails"
    rows = db.session.scalars(select(OutboxEmail)).all()
    assert {r.status for r in rows} == {"sent"}
    assert all(r.attempts >= 2 for r in rows), attempts
    # Backoff, not hammering: at most one attempt per 10 minutes once it grew.
    assert max(attempts.values()) <= 8 + outage / backoff.CAP * 2, attempts


def test_backoff_grows_exponentially_with_jitter_up_to_the_cap():
    rng = random.Random(1)
    delays = [backoff.delay(n, rng=rng) for n in range(1, 12)]
    for n, d in enumerate(delays, start=1):
        ceiling = min(backoff.CAP, backoff.BASE * 2 ** (n - 1))
        assert ceiling / 2 <= d <= ceiling, f"attempt {n}: {d} outside [{ceiling / 2}, {ceiling}]"
    assert len({round(d.total_seconds(), 3) for d in delays}) == len(delays), "no jitter"
    t = datetime(2026, 1, 1, tzinfo=UTC)
    assert backoff.next_attempt(3, now=t, give_up_at=t + timedelta(seconds=1)) is not None
    assert backoff.next_attempt(3, now=t, give_up_at=t) is None
