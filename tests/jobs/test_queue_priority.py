"""Queues by urgency (issue 10): routing and wave deadline jobs run before a burst of emails
queued ahead of them, and the urgent worker never takes an email at all."""

from __future__ import annotations

from datetime import timedelta

from rq.job import Job

from app.broadcast import waves
from app.models import Lead
from app.platform.queue import enqueue, job_id, redis_connection, worker_queues
from tests.jobs.test_outage import queue_emails


def test_a_wave_deadline_and_a_routing_job_run_before_a_burst_of_queued_emails(app, db, factory, rq, smtp, clock):
    metro, cat = factory.metro("Houston", slug="houston"), factory.category()
    providers = [factory.provider(metro=metro, categories=[cat], tier=t) for t in ("pro", "starter")]
    # a broadcast lead in wave 1 whose deadline has just passed ...
    waiting = factory.lead(metro=metro, category=cat, delivery_status="ready", postal_code="77002")
    assert waves.start(db.session, waiting)
    db.session.commit()
    rq.run()  # its wave-1 emails go out now; the queues are empty
    clock.advance(timedelta(minutes=5, seconds=1))
    # ... while a burst of 40 emails is already queued, and a new lead waits to be routed
    emails = queue_emails(db, 40)
    db.session.commit()
    fresh = factory.lead(metro=metro, category=cat, status="verified", delivery_status="new", postal_code="77002")
    db.session.commit()
    assert enqueue("app.jobs.expand_wave", waiting.id, 1) and enqueue("app.jobs.route_lead", fresh.id)
    assert rq.count >= 42
    rq.run()

    conn = redis_connection(app)

    def ran(func, *args):
        job = Job.fetch(job_id(func, *args), connection=conn)
        assert job.get_status() == "finished", (func, args, job.get_status(), job.exc_info)
        return job.started_at, job.ended_at

    urgent_done = max(ran("app.jobs.expand_wave", waiting.id, 1)[1], ran("app.jobs.route_lead", fresh.id)[1])
    first_email = min(ran("app.jobs.send_email", i)[0] for i in emails)
    assert urgent_done <= first_email, f"urgent jobs ended {urgent_done}, the first email started {first_email}"
    assert db.session.get(Lead, waiting.id).current_wave == 2  # the starter wave opened
    assert db.session.get(Lead, fresh.id).delivery_status == "offering"
    assert providers[1].id in {o.provider_id for o in db.session.get(Lead, waiting.id).offers}


def test_the_urgent_worker_listens_to_routing_and_push_only(app):
    names = [q.name for q in worker_queues(app, urgent_only=True)]
    assert names == [app.config["RQ_URGENT_QUEUE"], app.config["RQ_PUSH_QUEUE"]]
    assert app.config["RQ_QUEUE"] not in names
    assert [q.name for q in worker_queues(app)][-1] == app.config["RQ_QUEUE"]  # emails last
