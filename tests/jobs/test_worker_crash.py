"""A worker killed mid-send: its email goes out again within seconds, with the same Message-ID."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from app.models import OutboxEmail
from app.platform import outbox, sweep
from tests.jobs.test_outage import queue_emails

ROOT = Path(__file__).resolve().parents[2]
LEASE = 3  # OUTBOX_CLAIM_SECONDS for this test (default 15), in the worker and here


def start_worker(app, smtp) -> subprocess.Popen:
    """`python worker.py` against the test database, Redis and SMTP server."""
    env = dict(
        os.environ,
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        REDIS_URL=app.config["REDIS_URL"],
        RQ_QUEUE=app.config["RQ_QUEUE"],
        RQ_URGENT_QUEUE=app.config["RQ_URGENT_QUEUE"],
        RQ_PUSH_QUEUE=app.config["RQ_PUSH_QUEUE"],
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(smtp.port),
        APP_BASE_URL=app.config["APP_BASE_URL"],
        SECRET_KEY="test-secret-key",
        FOGFORGE_ENV="test",
        OUTBOX_CLAIM_SECONDS=str(LEASE),
    )
    return subprocess.Popen([sys.executable, "worker.py"], cwd=ROOT, env=env, start_new_session=True)


def stop_worker(worker: subprocess.Popen) -> None:
    """Kill the worker and anything it forked (its own session, started by start_worker)."""
    try:
        os.killpg(worker.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    worker.wait(timeout=10)


def row_status(db, row_id: int) -> str:
    status = db.session.scalar(select(OutboxEmail.status).where(OutboxEmail.id == row_id))
    db.session.commit()
    return status


def test_a_worker_killed_mid_send_is_replaced_within_seconds_and_the_resend_has_the_same_message_id(
    app, db, rq, smtp, monkeypatch
):
    monkeypatch.setitem(app.config, "OUTBOX_CLAIM_SECONDS", LEASE)
    [row_id] = queue_emails(db, 1)
    db.session.commit()  # the job is in Redis
    smtp.stall = True
    worker = start_worker(app, smtp)
    try:
        smtp.wait_for(1, timeout=60)  # the worker is in the middle of SMTP's DATA
        assert row_status(db, row_id) == "sending"
        # While the worker lives, its heartbeat keeps the short claim: nothing is re-sent.
        time.sleep(LEASE * 2)
        assert sweep.run(db.session)["emails"] == 0
        db.session.commit()
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        killed = time.monotonic()
    finally:
        stop_worker(worker)
    smtp.stall = False
    while len(smtp.messages) < 2 and time.monotonic() - killed < 30:
        if sweep.run(db.session)["emails"]:
            rq.run()
        else:
            db.session.commit()
        time.sleep(0.5)
    took = time.monotonic() - killed
    assert len(smtp.messages) == 2, f"{len(smtp.messages)} message(s) {took:.1f}s after the kill"
    assert took < LEASE + 5, f"the email went out again {took:.1f}s after the worker died"
    first, second = smtp.messages
    assert first["Message-ID"] == second["Message-ID"] == outbox.message_id(row_id) == f"<outbox.{row_id}@localhost>"
    assert row_status(db, row_id) == "sent"
