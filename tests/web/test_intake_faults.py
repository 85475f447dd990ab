"""A fault right after the lead's commit (database restart, Redis down) still gives the customer
the tracking page: the request either succeeds or saves nothing."""

import logging

import pytest
from redis import Redis
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.extensions import db as _db
from app.models import Lead
from app.platform.queue import redis_connection
from tests.web.test_intake import good_data, post_form

URL = "/m/houston/request/broadcast"


@pytest.fixture
def houston(factory):
    metro = factory.metro("Houston", slug="houston")
    cat = factory.category("Grease trap pumping", slug="grease-trap-pumping")
    factory.session.commit()
    return metro, cat, None


@pytest.fixture
def database_down_after_commit(app):
    """Once a session commits, every later statement fails as if the server had restarted."""
    state = {"down": False}

    def after_commit(session):
        state["down"] = True

    def before_execute(conn, cursor, statement, *args):
        if state["down"]:
            raise OperationalError(statement, {}, Exception("server closed the connection unexpectedly"))

    event.listen(Session, "after_commit", after_commit)
    event.listen(_db.engine, "before_cursor_execute", before_execute)
    yield state
    event.remove(Session, "after_commit", after_commit)
    event.remove(_db.engine, "before_cursor_execute", before_execute)


def test_database_gone_right_after_the_commit_still_shows_the_tracking_page(
    client,
    db,
    houston,
    database_down_after_commit,
):
    _, cat, _ = houston
    response = post_form(client, URL, good_data(cat))
    database_down_after_commit["down"] = False  # the server is back
    db.session.rollback()
    lead = db.session.scalar(select(Lead))
    assert lead is not None, "the lead was not saved"
    assert response.status_code == 303, f"{response.status_code}: {response.get_data(as_text=True)[:200]}"
    assert response.location.endswith(f"/t/{lead.public_token}")


def test_redis_down_after_the_commit_still_shows_the_tracking_page_and_logs_one_line(
    client,
    db,
    houston,
    app,
    caplog,
):
    _, cat, _ = houston
    dead = Redis.from_url("redis://127.0.0.1:1", socket_connect_timeout=0.5)  # nothing listens there
    live = redis_connection(app)
    app.extensions["fogforge_redis"] = dead
    caplog.set_level(logging.INFO)
    try:
        first = post_form(client, URL, good_data(cat))
        second = post_form(client, URL, good_data(cat, customer_email="other@gmail.com", description="Another trap"))
    finally:
        app.extensions["fogforge_redis"] = live
    assert (first.status_code, second.status_code) == (303, 303)
    assert len(db.session.scalars(select(Lead)).all()) == 2

    redis_lines = [r for r in caplog.records if "Redis" in r.getMessage() and r.levelno >= logging.WARNING]
    assert len(redis_lines) == 1, [r.getMessage() for r in redis_lines]
    [line] = redis_lines
    assert line.exc_info is None and "sweep" in line.getMessage(), line.getMessage()
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records if r.exc_info]
