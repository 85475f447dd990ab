"""/healthz tells an operator how deep the queue is and how long the oldest waiting item has
waited (lead to route, wave to expand, email to send), so they can alert on it."""

from datetime import timedelta

from tests.jobs.test_outage import queue_emails


def test_healthz_reports_queue_depth_and_the_age_of_the_oldest_overdue_items(client, db, factory, rq, clock):
    queue_emails(db, 2)  # two emails, their jobs queued
    factory.lead(status="verified", delivery_status="new")  # a lead waiting to be routed
    db.session.commit()
    clock.advance(timedelta(seconds=30))
    factory.lead(delivery_status="offering", current_wave=1, wave_deadline=clock.now(), routed_at=clock.now())
    db.session.commit()
    clock.advance(timedelta(seconds=12))
    response = client.get("/healthz")
    assert response.status_code == 200, response.json
    assert response.json["queue"] == {"depth": rq.queue.count} and rq.queue.count == 2
    assert response.json["backlog"] == {
        "emails": {"count": 2, "oldest_seconds": 42.0},
        "leads": {"count": 1, "oldest_seconds": 42.0},
        "waves": {"count": 1, "oldest_seconds": 12.0},
    }, response.json
    rq.run()  # the emails go out; the backlog shrinks
    assert client.get("/healthz").json["backlog"]["emails"] == {"count": 0, "oldest_seconds": None}
