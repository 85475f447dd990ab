"""Expected failures (Redis down, SMTP refusing) log one clear line saying what happens next,
with no traceback, however many times they happen."""

import logging

import pytest
from redis import Redis

from app import jobs
from app.platform import queue, sweep
from app.platform.queue import redis_connection
from tests.jobs.test_outage import queue_emails


@pytest.fixture
def redis_down(app):
    live = redis_connection(app)
    app.extensions["fogforge_redis"] = Redis.from_url("redis://127.0.0.1:1", socket_connect_timeout=0.5)
    queue.redis_health.down_since = None
    yield
    app.extensions["fogforge_redis"] = live
    queue.redis_health.ok()


def tracebacks(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.exc_info]


def test_smtp_refusing_logs_one_line_per_attempt_naming_the_next_attempt(db, smtp, caplog):
    [row_id] = queue_emails(db, 1)
    db.session.commit()
    smtp.refuse = 1
    caplog.set_level(logging.INFO)
    assert jobs.send_email(row_id) == "retry"
    lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 1, [r.getMessage() for r in lines]
    message = lines[0].getMessage()
    assert f"email {row_id} not sent" in message and "451" in message and "next attempt" in message, message
    assert tracebacks(caplog) == []


def test_redis_down_logs_one_line_for_the_web_the_worker_and_the_sweep_together(db, app, redis_down, caplog):
    caplog.set_level(logging.INFO)
    queue_emails(db, 3)
    db.session.commit()  # three enqueues fail
    for _ in range(3):
        assert sweep.run(db.session)["emails"] == 0  # nor can the sweep enqueue
        db.session.commit()
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 1 and "Redis unavailable" in lines[0] and "sweep" in lines[0], lines
    assert tracebacks(caplog) == []
