"""After-commit side effects wait for the outermost commit. SQLAlchemy fires before_commit,
after_commit and after_rollback for savepoints too (`begin_nested`, used by insert_once): a job
enqueued, or a live-poll version published, when a savepoint is released would reach a worker
or a poll before the rows it is about exist for them (the poll would then keep a version whose
change it never saw); a savepoint rolled back must not drop the jobs of the transaction around it."""

from __future__ import annotations

from sqlalchemy import text

from app.platform import changes
from app.platform.queue import enqueue_after_commit


def test_a_released_savepoint_enqueues_nothing_the_outer_commit_does(db, rq):
    enqueue_after_commit(db.session, "app.jobs.send_email", 991)
    with db.session.begin_nested():  # as insert_once does
        pass
    assert rq.count == 0, "a savepoint released: the job waits for the real commit"
    db.session.commit()
    assert rq.count == 1, f"the outer commit enqueues it once (queues hold {rq.count})"


def test_a_savepoint_rolled_back_keeps_the_outer_transactions_jobs(db, rq):
    enqueue_after_commit(db.session, "app.jobs.send_email", 992)
    savepoint = db.session.begin_nested()
    savepoint.rollback()  # insert_once after a unique clash
    db.session.commit()
    assert rq.count == 1, "the job queued before the savepoint was dropped with it"
    db.session.execute(text("SELECT 1"))  # a transaction under way (a rollback with none is a no-op)
    enqueue_after_commit(db.session, "app.jobs.send_email", 993)
    db.session.rollback()
    db.session.commit()
    assert rq.count == 1, "the outer rollback drops what it held"


def test_a_change_version_is_published_only_when_the_outer_transaction_commits(db, factory, rq):
    provider = factory.provider()
    db.session.commit()
    before = changes.version(db.session, provider.id)
    db.session.commit()
    changes.touch(db.session, provider.id)
    with db.session.begin_nested():
        pass
    assert changes.cached_version(provider.id) == before, "published at a savepoint: a poll would miss the change"
    db.session.commit()
    after = changes.cached_version(provider.id)
    assert after == before + 1, f"one bump at the real commit: {before} -> {after}"
