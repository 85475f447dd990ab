"""After an SMTP outage, every waiting email goes out within seconds of the server answering
again (not at its next backoff, up to 10 minutes later), exactly once; an email refused for its
recipient keeps its own backoff."""

import logging
import smtplib
import socket
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.models import OutboxEmail
from app.platform import backoff, outbox, sweep
from tests.jobs.test_outage import queue_emails


def email_to(db, address: str) -> int:
    row_id = outbox.queue_email(
        db.session,
        kind="still_looking",
        to=address,
        template="customer_still_looking",
        context={
            "customer_name": "Customer",
            "category_name": "Grease trap pumping",
            "metro_name": "Houston",
            "tracking_url": "http://localhost/t/token",
        },
    )
    assert row_id is not None
    return row_id


def tick(db, rq, clock, seconds: float) -> dict:
    """One sweep period: time moves, the sweep runs and commits, a worker runs what it enqueued."""
    clock.advance(timedelta(seconds=seconds))
    counts = sweep.run(db.session)
    db.session.commit()
    rq.run()
    return counts


def rows(db) -> dict[int, OutboxEmail]:
    db.session.expire_all()
    return {r.id: r for r in db.session.scalars(select(OutboxEmail))}


def released_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "SMTP reachable again" in r.getMessage()]


@pytest.fixture(autouse=True)
def no_jitter(monkeypatch):
    """Retries without jitter: with it, a row's own retry can fall due in the very second of the
    release and go out on its own schedule, which splits the one "releasing N" line these tests
    read (the emails still all go out once)."""
    monkeypatch.setattr(backoff.random, "uniform", lambda low, high: high)


def test_after_a_30_minute_outage_every_waiting_email_goes_out_within_seconds_once(db, app, rq, smtp, clock, caplog):
    caplog.set_level(logging.INFO)
    probe_every = app.config["SMTP_PROBE_SECONDS"]
    smtp.go_down()  # connections refused
    ids = queue_emails(db, 5)
    db.session.commit()
    rq.run()  # first attempts fail
    end = clock.now() + timedelta(minutes=30)
    while clock.now() < end:  # the sweep keeps running; the clock moves
        tick(db, rq, clock, 60)
    waiting = rows(db)
    assert {r.status for r in waiting.values()} == {"pending"}, {r.id: r.status for r in waiting.values()}
    assert smtp.messages == []
    assert all(r.last_error.startswith(outbox.SERVER_LEVEL) for r in waiting.values()), [
        r.last_error for r in waiting.values()
    ]
    # The backoff reached its cap: without the probe the next attempts are minutes away.
    gaps = [r.next_attempt_at - clock.now() for r in waiting.values()]
    assert max(gaps) > timedelta(minutes=2), f"next attempts in {gaps}: the backoff did not grow"
    attempts = {r.id: r.attempts for r in waiting.values()}
    down_lines = [r.getMessage() for r in caplog.records if "SMTP unreachable" in r.getMessage()]
    assert len(down_lines) == 1, down_lines  # one line for the outage, not one per probe

    smtp.go_up()  # the server is back
    recovered = clock.now()
    runs = 0
    while len(smtp.messages) < len(ids) and runs < 20:
        tick(db, rq, clock, 1)
        runs += 1
    took = clock.now() - recovered
    to = sorted(str(m["To"]) for m in smtp.messages)
    assert to == sorted(f"customer{i}@example.com" for i in range(5)), f"delivered after recovery: {to}"
    assert took <= timedelta(seconds=probe_every + 1), f"the last email went out {took} after recovery"
    assert released_lines(caplog) == ["SMTP reachable again: releasing 5 waiting emails"], released_lines(caplog)

    for _ in range(10):  # nothing is sent again later (each row's old backoff time passes)
        tick(db, rq, clock, 120)
    assert len(smtp.messages) == len(ids), f"{len(smtp.messages)} messages for {len(ids)} emails"
    final = rows(db)
    assert {r.status for r in final.values()} == {"sent"}
    assert {r.id: r.attempts for r in final.values()} == {i: n + 1 for i, n in attempts.items()}
    by_id = {str(m["X-FogForge-Outbox-Id"]): str(m["Message-ID"]) for m in smtp.messages}
    assert by_id == {str(i): outbox.message_id(i) for i in ids}, by_id


def test_a_recipient_refused_email_is_not_released_when_the_server_comes_back(db, rq, smtp, clock, caplog):
    caplog.set_level(logging.INFO)
    smtp.refuse_rcpt = {"gone@example.com"}
    refused = email_to(db, "gone@example.com")  # 550 for this address only, the server is up
    db.session.commit()
    rq.run()
    row = rows(db)[refused]
    assert row.status == "pending" and "550" in row.last_error, (row.status, row.last_error)
    assert not row.last_error.startswith(outbox.SERVER_LEVEL), row.last_error
    row.next_attempt_at = clock.now() + backoff.CAP  # as after a few more refusals: its backoff is long
    db.session.commit()
    its_turn, its_attempts = row.next_attempt_at, row.attempts

    smtp.go_down()
    others = queue_emails(db, 2)
    db.session.commit()
    rq.run()
    for _ in range(6):
        tick(db, rq, clock, 5)
    smtp.go_up()
    for _ in range(3):
        tick(db, rq, clock, 5)
    assert sorted(str(m["To"]) for m in smtp.messages) == ["customer0@example.com", "customer1@example.com"]
    state = rows(db)
    assert all(state[i].status == "sent" for i in others), {i: state[i].status for i in others}
    row = state[refused]
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", its_attempts, its_turn), (
        "the recipient-refused email was released with the others",
        row.status,
        row.attempts,
        row.next_attempt_at,
    )
    assert released_lines(caplog) == ["SMTP reachable again: releasing 2 waiting emails"], released_lines(caplog)
    smtp.refuse_rcpt = set()  # its own backoff still sends it when its time comes
    while clock.now() <= its_turn:
        tick(db, rq, clock, 30)
    assert [str(m["To"]) for m in smtp.to("gone@example.com")] == ["gone@example.com"]


def test_an_outage_the_probe_cannot_see_ends_with_the_first_email_accepted(db, rq, smtp, clock, caplog):
    """A server that greets and answers NOOP but says 451 to every message: the probe finds it
    up, so the first email it accepts afterwards is what releases the waiting ones."""
    caplog.set_level(logging.INFO)
    tick(db, rq, clock, 0)  # (nothing waits: no probe)
    smtp.refuse = 10**9
    waiting = queue_emails(db, 3)
    db.session.commit()
    rq.run()
    for _ in range(36):  # 3 minutes of 451s: the probe finds the server up and releases nothing
        tick(db, rq, clock, 5)
    assert smtp.messages == []
    assert all(rows(db)[i].status == "pending" for i in waiting)
    tries = [rows(db)[i].attempts for i in waiting]
    assert max(tries) <= 6, f"attempts in 3 minutes: {tries} (the probe finding the server up must not hammer it)"
    assert released_lines(caplog) == []
    smtp.refuse = 0  # the server accepts mail again
    fresh = email_to(db, "new@example.com")
    db.session.commit()
    rq.run()  # a new email goes at once
    assert [str(m["To"]) for m in smtp.messages] == ["new@example.com"]
    for _ in range(2):
        tick(db, rq, clock, 1)
    got = sorted(str(m["To"]) for m in smtp.messages)
    assert got == sorted(["new@example.com", *(f"customer{i}@example.com" for i in range(3))]), got
    assert released_lines(caplog) == ["SMTP reachable again: releasing 3 waiting emails"], released_lines(caplog)
    assert rows(db)[fresh].status == "sent"


@pytest.mark.parametrize(
    "error, server",
    [
        (ConnectionRefusedError(111, "Connection refused"), True),
        (TimeoutError("timed out"), True),
        (socket.gaierror(-2, "Name or service not known"), True),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), True),
        (smtplib.SMTPConnectError(421, b"Too many connections"), True),
        (smtplib.SMTPDataError(451, b"4.3.0 Try again later"), True),
        (smtplib.SMTPSenderRefused(421, b"4.3.2 Shutting down", "no-reply@fogforge.local"), True),
        (smtplib.SMTPSenderRefused(452, b"4.3.1 Insufficient system storage", "no-reply@fogforge.local"), True),
        (smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"5.1.1 No such user")}), False),
        (smtplib.SMTPRecipientsRefused({"a@example.com": (451, b"4.7.1 Greylisted")}), False),
        (smtplib.SMTPDataError(554, b"5.7.1 Message rejected as spam"), False),
        (smtplib.SMTPNotSupportedError("STARTTLS extension not supported by server."), False),
        (ValueError("template error"), False),
    ],
)
def test_server_level_failures_are_told_from_recipient_and_message_ones(error, server):
    assert outbox.server_level(error) is server, f"{type(error).__name__}: {error}"
