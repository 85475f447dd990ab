"""Routing a broadcast lead among 100 vs 10,000 providers in one metro with ZIP radii (issues 10, 13).

For each database (SQLite always; PostgreSQL with --database-url) and each metro size it builds a
fresh database (migrations), bulk-inserts one metro's providers (tiers, radii 5-40 miles around
Houston ZIPs, some listed ZIPs, weekly caps with this week's leads, rotation history, response
times), then times, per lead, the routing work in-process:

- pick: the wave-1 pick for a new broadcast lead with a random Houston ZIP (`pool.choose`: the
  one SQL statement that depends on how many providers the metro has);
- top10: the quote router's top-10 query (`matching.candidates`, the same for quote leads);
- route: the whole `routing.route` of that lead (claim, pick, offers, in-app notifications,
  outbox emails and pushes, timeline), flushed, then rolled back so every round sees the same
  metro. Its fixed part (about a dozen statements for 3 offers) does not depend on the
  metro's size.

It prints p50/p99 per size, the 10k - 100 differences, and the machine's load. Targets:
p99 <= 20 ms at 10k, and 10k - 100 <= 20 ms.

    .venv/bin/python bench/routing.py [-n 200] [--database-url postgresql://…/fogforge_h_routing_bench]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import embedded_redis, fresh_postgres, pct  # noqa: E402

TIERS = (("pro", 0.15), ("growth", 0.2), ("starter", 0.25), ("free", 0.4))


def build(app, n_providers: int, rng: random.Random) -> tuple[int, int, list[str]]:
    """One metro with `n_providers` (bulk inserts); returns (metro id, category id, lead ZIPs)."""
    from sqlalchemy import insert, text

    from app.core import clock
    from app.extensions import db
    from app.leads import zips
    from app.models import Assignment, Category, Lead, Metro, Provider
    from app.models.provider import provider_categories, provider_zips

    session = db.session
    metro = Metro(name="Houston", slug="houston", state="TX", timezone="America/Chicago")
    cat = Category(name="Grease trap pumping", slug="grease-trap-pumping")
    session.add_all([metro, cat])
    session.flush()
    center = zips.lookup("77002")
    assert center is not None
    area = [z for z, _ in zips.within(center, 45)]
    now = clock.now()
    tiers = [t for t, _ in TIERS]
    weights = [w for _, w in TIERS]
    rows = []
    for i in range(n_providers):
        base = rng.choice(area)
        radius = rng.randint(5, 40)
        box = zips.bbox(base.lat, base.lon, radius)
        rows.append(
            {
                "name": f"Provider {i}",
                "slug": f"provider-{i}",
                "home_metro_id": metro.id,
                "status": "verified" if rng.random() < 0.9 else "claimed",
                "tier": rng.choices(tiers, weights)[0],
                "paused": rng.random() < 0.05,
                "weekly_cap": rng.choice((None,) * 9 + (rng.randint(1, 10),)),
                "email": f"p{i}@example.com",
                "last_offered_at": None
                if rng.random() < 0.03  # new listings; the rest were offered in the last 30 days
                else now - timedelta(minutes=rng.randint(1, 60 * 24 * 30)),
                "base_zip": base.code,
                "base_lat": base.lat,
                "base_lon": base.lon,
                "service_radius_miles": radius,
                "area_min_lat": box[0],
                "area_max_lat": box[1],
                "area_min_lon": box[2],
                "area_max_lon": box[3],
                "area_zip_count": 0,
                "median_response_seconds": None if rng.random() < 0.3 else float(rng.randint(20, 3600)),
                "answered_count": 0,
            }
        )
    session.execute(insert(Provider), rows)
    ids = [pid for (pid,) in session.execute(Provider.__table__.select().with_only_columns(Provider.id))]
    session.execute(insert(provider_categories), [{"provider_id": pid, "category_id": cat.id} for pid in ids])
    listed = rng.sample(ids, max(1, len(ids) // 20))  # 5 % also list a few far ZIPs
    session.execute(
        insert(provider_zips),
        [{"provider_id": pid, "zip": z.code} for pid in listed for z in rng.sample(area, 3)],
    )
    session.execute(
        Provider.__table__.update().where(Provider.id.in_(listed)).values(area_zip_count=3)
    )  # (three distinct ZIPs: sample without replacement)
    # this week's leads for a tenth of the providers (what the weekly cap and teaser count)
    old = Lead(
        mode="broadcast",
        metro_id=metro.id,
        category_id=cat.id,
        description="earlier job",
        customer_name="Earlier Customer",
        customer_email="earlier@example.com",
        city="Houston",
        status="completed",
        delivery_status="accepted",
    )
    session.add(old)
    session.flush()
    session.execute(
        insert(Assignment),
        [
            {"lead_id": old.id, "provider_id": pid, "kind": "direct", "status": "delivered", "teaser": False}
            for pid in rng.sample(ids, len(ids) // 10)
        ],
    )
    session.commit()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE"))  # what autovacuum does soon after a bulk load
        session.commit()
    return metro.id, cat.id, [z.code for z in area]


def measure(app, n_providers: int, rounds: int, seed: int) -> dict[str, list[float]]:
    from app.broadcast.pool import choose
    from app.extensions import db
    from app.leads import routing
    from app.models import Lead
    from app.models.metro import default_wave_plan
    from app.quotes import matching

    rng = random.Random(seed)
    metro_id, cat_id, area = build(app, n_providers, rng)
    session = db.session
    times: dict[str, list[float]] = {"pick": [], "route": [], "quotes": [], "offers": []}
    first_wave = default_wave_plan()[0]
    for i in range(rounds + 10):
        lead = Lead(
            mode="broadcast",
            metro_id=metro_id,
            category_id=cat_id,
            description="Trap overflowing",
            customer_name="Maria Garcia",
            customer_email="maria@example.com",
            city="Houston",
            postal_code=rng.choice(area),
            status="verified",
            delivery_status="new",
        )
        session.add(lead)
        session.commit()
        started = time.perf_counter()
        choose(session, lead, first_wave, set())
        pick_ms = (time.perf_counter() - started) * 1000
        session.rollback()
        started = time.perf_counter()
        assert routing.route(session, lead.id)
        session.flush()
        route_ms = (time.perf_counter() - started) * 1000
        offers = len(lead.offers)
        session.rollback()
        lead.mode = "quotes"
        started = time.perf_counter()
        top = matching.candidates(session, lead)
        quotes_ms = (time.perf_counter() - started) * 1000
        session.rollback()
        if i >= 10:  # warm-up rounds not counted
            times["pick"].append(pick_ms)
            times["route"].append(route_ms)
            times["quotes"].append(quotes_ms)
            times["offers"].append(offers + len(top) / 100)
    return times


def run_backend(label: str, url: str, sizes: list[int], rounds: int) -> dict[int, dict[str, list[float]]]:
    from flask_migrate import upgrade

    from app import create_app
    from app.config import Config
    from app.extensions import db

    results = {}
    for size in sizes:
        if url.startswith("postgresql"):
            fresh_postgres(url)
            database_url = url
        else:
            database_url = "sqlite:///" + os.path.join(tempfile.mkdtemp(prefix="bench-routing-"), "routing.db")

        class BenchConfig(Config):
            SQLALCHEMY_DATABASE_URI = database_url
            WTF_CSRF_ENABLED = False

        app = create_app(BenchConfig)
        with app.app_context():
            upgrade()
            started = time.perf_counter()
            results[size] = measure(app, size, rounds, seed=size)
            print(
                f"  {label} {size:>6} providers: built and measured in {time.perf_counter() - started:.1f} s",
                flush=True,
            )
            db.session.remove()
            db.engine.dispose()
    return results


def report(label: str, results: dict[int, dict[str, list[float]]]) -> None:
    sizes = sorted(results)
    print(f"\n{label}")
    print(
        f"  {'providers':>9}  {'pick p50':>8}  {'pick p99':>8}  {'top10 p50':>9}  {'top10 p99':>9}  "
        f"{'route p50':>9}  {'route p99':>9}  offers/lead"
    )
    for size in sizes:
        r = results[size]
        offers = sum(int(o) for o in r["offers"]) / len(r["offers"])
        print(
            f"  {size:>9}  {pct(r['pick'], 50):>6.1f}ms  {pct(r['pick'], 99):>6.1f}ms  "
            f"{pct(r['quotes'], 50):>7.1f}ms  {pct(r['quotes'], 99):>7.1f}ms  "
            f"{pct(r['route'], 50):>7.1f}ms  {pct(r['route'], 99):>7.1f}ms  {offers:>5.1f}"
        )
    small, large = results[sizes[0]], results[sizes[-1]]
    for key, what in (("pick", "wave-1 pick"), ("quotes", "quote top 10"), ("route", "whole route")):
        d50 = pct(large[key], 50) - pct(small[key], 50)
        d99 = pct(large[key], 99) - pct(small[key], 99)
        ok = pct(large[key], 99) <= 20 and d99 <= 20
        print(
            f"  {what:>12}: {sizes[-1]} - {sizes[0]} providers p50 {d50:+.1f} ms, p99 {d99:+.1f} ms; "
            f"p99 at {sizes[-1]} {pct(large[key], 99):.1f} ms (targets p99 <= 20 ms, difference <= 20 ms: "
            f"{'met' if ok else 'NOT met'})"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--rounds", type=int, default=200)
    parser.add_argument("--sizes", default="100,10000")
    parser.add_argument("--database-url", help="also run on this PostgreSQL database (its schema is emptied)")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    tmp = tempfile.mkdtemp(prefix="bench-routing-redis-")
    redis_server, redis_url = embedded_redis(tmp)
    os.environ["REDIS_URL"] = redis_url
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    runs = []
    if not args.skip_sqlite:
        runs.append(("SQLite", "sqlite"))
    if args.database_url:
        runs.append(("PostgreSQL", args.database_url))
    results = {label: run_backend(label, url, sizes, args.rounds) for label, url in runs}
    for label, r in results.items():
        report(label, r)
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    redis_server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
