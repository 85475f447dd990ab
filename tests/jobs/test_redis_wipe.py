"""After a Redis wipe the very next sweep routes the waiting leads and sends the dropped emails,
once each; the sweep owns wave deadlines, so they need no job at all."""

from sqlalchemy import func, select

from app.leads import intake
from app.models import Lead, LeadEvent
from app.platform import sweep
from app.platform.queue import redis_connection


def submit_leads(db, factory, n: int) -> list[int]:
    metro = factory.metro("Houston", slug="houston")
    cat = factory.category()
    ids = []
    for i in range(n):
        lead = intake.submit_lead(
            db.session,
            intake.LeadInput(
                mode="broadcast",
                metro_id=metro.id,
                category_id=cat.id,
                description=f"Trap {i} overflowing, please help",
                customer_name="Maria Garcia",
                customer_email=f"customer{i}@gmail.com",
                city="Houston",
            ),
        )
        ids.append(lead.id)
    db.session.commit()  # the jobs are enqueued
    return ids


def test_after_a_redis_flush_the_next_sweep_routes_and_sends_everything_exactly_once(app, db, factory, rq, smtp):
    ids = submit_leads(db, factory, 3)
    assert rq.count >= 6  # a routing job and a confirmation email's job per lead
    assert sweep.run(db.session) == dict.fromkeys(sweep.steps(), 0), "the sweep duplicated live jobs"
    redis_connection(app).flushdb()  # Redis loses everything
    counts = sweep.run(db.session)  # no clock advance: within one sweep period of the wipe
    assert (counts["leads"], counts["emails"]) == (3, 3), counts
    assert sweep.run(db.session) == dict.fromkeys(sweep.steps(), 0), "enqueued twice"
    rq.run()
    leads = db.session.scalars(select(Lead).where(Lead.id.in_(ids))).all()
    assert all(lead.routed_at is not None and lead.delivery_status != "new" for lead in leads), [
        lead.delivery_status for lead in leads
    ]
    routed = db.session.scalars(
        select(func.count()).select_from(LeadEvent).where(LeadEvent.kind == "ready").group_by(LeadEvent.lead_id)
    ).all()
    assert routed == [1, 1, 1], f"'ready' events per lead: {routed}"
    confirmations = sorted(str(m["To"]) for m in smtp.messages if "We received" in str(m["Subject"]))
    assert confirmations == [f"customer{i}@gmail.com" for i in range(3)]
    before = len(smtp.messages)
    assert sweep.run(db.session) == dict.fromkeys(sweep.steps(), 0)
    rq.run()
    assert len(smtp.messages) == before
