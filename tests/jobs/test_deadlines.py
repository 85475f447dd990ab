"""The sweep owns deadlines: no RQ scheduler (which a killed worker would leave behind, holding a
lock its replacement waits minutes for); `flask sweep --loop` wakes for the next deadline."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from app.core import clock
from app.models import Lead
from tests.jobs.test_worker_crash import start_worker, stop_worker

ROOT = Path(__file__).resolve().parents[2]


def children_of(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def test_a_worker_starts_no_scheduler_and_a_sigkill_leaves_no_process_behind(app, db, smtp):
    from rq import Worker

    from app.platform.queue import redis_connection

    worker = start_worker(app, smtp)
    try:
        started = time.monotonic()
        while not Worker.all(connection=redis_connection(app)) and time.monotonic() - started < 60:
            assert worker.poll() is None, "the worker did not start"
            time.sleep(0.2)
        time.sleep(1)  # RQ forks its scheduler as the worker starts working
        assert children_of(worker.pid) == [], "the worker forked a child (RQ's scheduler)"
        locks = [k for k in redis_connection(app).keys("rq:scheduler*")]
        assert locks == [], f"a scheduler holds {locks}"
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        stop_worker(worker)
    leftover = subprocess.run(["pgrep", "-s", str(worker.pid)], capture_output=True, text=True).stdout.split()
    assert leftover == [], f"processes left in the killed worker's session: {leftover}"


def test_the_sweep_loop_wakes_for_a_wave_deadline_with_no_job_scheduled(app, db, factory):
    deadline = clock.now() + timedelta(seconds=12)  # the loop is up and asleep well before
    lead = factory.lead(delivery_status="offering", current_wave=1, wave_deadline=deadline, routed_at=clock.now())
    lead_id = lead.id
    db.session.commit()
    env = dict(
        os.environ,
        FLASK_APP="wsgi",
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        REDIS_URL=app.config["REDIS_URL"],
        RQ_QUEUE=app.config["RQ_QUEUE"],
        RQ_URGENT_QUEUE=app.config["RQ_URGENT_QUEUE"],
        RQ_PUSH_QUEUE=app.config["RQ_PUSH_QUEUE"],
        SECRET_KEY="test-secret-key",
        FOGFORGE_ENV="test",
        SWEEP_INTERVAL_SECONDS="60",  # far longer than the wait: only the deadline wakes it
    )
    loop = subprocess.Popen([sys.executable, "-m", "flask", "sweep", "--loop"], cwd=ROOT, env=env)
    try:
        moved_at = None
        while moved_at is None:
            lead = db.session.scalar(select(Lead).where(Lead.id == lead_id))
            if lead.current_wave != 1 or lead.delivery_status != "offering":
                moved_at = clock.now()
            db.session.commit()
            if clock.now() > deadline + timedelta(seconds=20):
                break
            time.sleep(0.1)
    finally:
        loop.terminate()
        loop.wait(timeout=10)
    assert moved_at is not None, "the wave deadline passed and the lead did not move"
    late = (moved_at - deadline).total_seconds()
    assert 0 <= late < 1.5, f"the wave moved {late:.2f}s after its deadline"
