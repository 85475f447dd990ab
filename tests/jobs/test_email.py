"""Emails go through the outbox to a real SMTP server, once per row, and survive failures."""

import re
from datetime import timedelta

from sqlalchemy import func, select

from app import jobs
from app.leads import intake
from app.models import OutboxEmail
from app.platform import outbox, sweep


def first_outbox_id(db) -> int:
    """The first outbox row's id, ending the test's read transaction (SQLite: a job runs in
    its own session and would wait for our lock)."""
    row_id = db.session.scalar(select(OutboxEmail.id).order_by(OutboxEmail.id))
    db.session.commit()
    return row_id


def submit(db, factory, **kw):
    metro = factory.metro("Houston", slug="houston")
    cat = factory.category()
    data = intake.LeadInput(
        mode="broadcast",
        metro_id=metro.id,
        category_id=cat.id,
        description="Trap overflowing, please help",
        customer_name="Maria Garcia",
        customer_email="maria.garcia@gmail.com",
        city="Houston",
        **kw,
    )
    lead = intake.submit_lead(db.session, data)
    db.session.commit()
    return lead


def test_confirmation_arrives_by_smtp_with_a_working_tracking_link(db, factory, rq, smtp, client):
    lead = submit(db, factory)
    rq.run()
    [message] = [m for m in smtp.to("maria.garcia@gmail.com") if "We received" in m["Subject"]]
    assert "We received your grease trap pumping request" in message["Subject"]
    body = smtp.text_of(message)
    link = re.search(r"http://localhost(/t/\S+)", body).group(1)
    assert link == f"/t/{lead.public_token}"
    page = client.get(link)
    assert page.status_code == 200 and "Trap overflowing" in page.get_data(as_text=True)
    assert f"/t/{lead.public_token}" in smtp.html_of(message)
    # (with no provider the lead also gets "still looking": read the confirmation's row by kind)
    row = db.session.scalar(select(OutboxEmail).where(OutboxEmail.kind == "lead_confirmation"))
    assert row.status == "sent" and row.attempts == 1 and row.body_text == body.replace("\r\n", "\n")


def test_a_job_run_twice_sends_once(db, factory, smtp):
    submit(db, factory)
    row_id = first_outbox_id(db)
    assert jobs.send_email(row_id) == "sent"
    assert jobs.send_email(row_id) == "skipped"
    assert len(smtp.messages) == 1


def test_smtp_failure_leaves_row_pending_until_its_backoff_and_a_later_run_delivers(db, factory, smtp, clock, rq):
    submit(db, factory)
    row_id = first_outbox_id(db)
    smtp.refuse = 10**9
    rq.run()  # the email's job fails without an exception: the row holds the retry, not RQ
    smtp.refuse = 0
    assert rq.queue.failed_job_registry.count == 0
    db.session.expire_all()
    row = db.session.get(OutboxEmail, row_id)
    assert row.status == "pending" and row.attempts == 1 and "451" in row.last_error
    wait = row.next_attempt_at - clock.now()
    assert timedelta(seconds=15) <= wait <= timedelta(seconds=30), f"first backoff was {wait}"
    assert smtp.messages == []
    db.session.commit()
    # Neither the sweep nor a duplicate job sends it before its backoff is over.
    assert sweep.run(db.session)["emails"] == 0
    db.session.commit()
    assert jobs.send_email(row_id) == "skipped"
    clock.advance(wait + timedelta(seconds=1))
    assert sweep.run(db.session)["emails"] >= 1
    assert sweep.run(db.session)["emails"] == 0  # its job is waiting: not enqueued twice
    rq.run()
    assert [m["X-FogForge-Outbox-Id"] for m in smtp.messages].count(str(row_id)) == 1
    db.session.expire_all()
    row = db.session.get(OutboxEmail, row_id)
    assert (row.status, row.next_attempt_at) == ("sent", None)


def test_after_the_time_budget_row_is_failed_not_lost_and_an_admin_retry_sends_it(db, factory, smtp, app, clock):
    submit(db, factory)
    row_id = first_outbox_id(db)
    smtp.refuse = 10**9
    budget = timedelta(hours=app.config["EMAIL_RETRY_HOURS"])
    results = []
    while clock.now() < db.session.get(OutboxEmail, row_id).created_at + budget + timedelta(hours=1):
        db.session.commit()
        results.append(jobs.send_email(row_id))
        if results[-1] == "failed":
            break
        db.session.expire_all()
        clock.advance(db.session.get(OutboxEmail, row_id).next_attempt_at - clock.now())
    db.session.expire_all()
    row = db.session.get(OutboxEmail, row_id)
    assert results[-1] == "failed" and row.status == "failed", f"{row.status} after {results[-5:]}"
    assert clock.now() - row.created_at >= budget, f"gave up after {clock.now() - row.created_at}"
    assert clock.now() - row.created_at <= budget + timedelta(minutes=10)
    db.session.commit()
    smtp.refuse = 0
    assert outbox.retry_failed(db.session, row_id)
    db.session.commit()
    assert jobs.send_email(row_id) == "sent" and len(smtp.messages) == 1


def test_without_a_mail_server_the_email_is_kept_in_the_outbox(db, factory, smtp, app, client):
    submit(db, factory)
    row_id = first_outbox_id(db)
    app.config["MAIL_SERVER"] = None
    try:
        assert jobs.send_email(row_id) == "stored"
    finally:
        app.config["MAIL_SERVER"] = "127.0.0.1"
    assert smtp.messages == []
    mailbox = client.get("/dev/mailbox").get_data(as_text=True)
    assert "We received your grease trap pumping request" in mailbox and "stored" in mailbox
    one = client.get(f"/dev/mailbox/{row_id}").get_data(as_text=True)
    assert "/t/" in one


def test_email_headers_cannot_be_injected(db):
    assert outbox.clean_header("a@b.com\r\nBcc: evil@x.com") == "a@b.com Bcc: evil@x.com"


def test_sweep_reenqueues_a_lead_whose_route_job_was_lost_at_once(db, factory, rq, clock, app):
    lead = submit(db, factory)
    assert sweep.run(db.session) == dict.fromkeys(sweep.steps(), 0)  # the jobs are in Redis: nothing twice
    rq.empty()  # Redis lost every job
    counts = sweep.run(db.session)  # no waiting: the sweep sees the jobs are gone
    assert (counts["emails"], counts["leads"]) == (1, 1)
    assert sweep.run(db.session)["leads"] == 0  # and enqueues them once
    rq.run()
    lead_id = lead.id
    assert lead.routed_at is not None and lead.delivery_status != "new"  # routed (by its mode's router)
    db.session.commit()
    assert jobs.route_lead(lead_id) is False  # a duplicate job does nothing


def test_a_duplicate_dedupe_key_from_a_concurrent_writer_leaves_the_caller_usable(db, factory, race):
    """Two transactions queue the same email at once: one row, and the loser's other work stays."""
    from app.models import Metro

    # SQLite serialises writers (BEGIN IMMEDIATE): there the second simply sees the first's row.
    meet = db.engine.dialect.name != "sqlite"

    def writer(i):
        n = i + 1
        session = db.session
        factory.metro(f"Metro {n}", slug=f"metro-{n}")  # factory.session is db.session: this thread's
        if meet:
            race.wait(timeout=10)
        row = outbox.queue_email(
            session, kind="test", to="x@example.com", template="lead_confirmation", context={}, dedupe_key="same-key"
        )
        return row is not None

    results = race(2, writer, together=False, timeout=60)
    assert sorted(results, key=str) == [False, True]
    assert db.session.scalar(select(func.count(OutboxEmail.id))) == 1
    assert db.session.scalar(select(func.count(Metro.id))) == 2  # neither caller lost its own work
