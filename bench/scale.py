"""Metro scale (issue 10): the main pages, the sweep and the accept race with 1k and 100k leads,
side by side, on PostgreSQL and SQLite.

    .venv/bin/python bench/scale.py                 # uses the databases below, generating what is empty
    .venv/bin/python bench/scale.py --only sqlite --samples 20

Databases (generated once with `flask bench-data`, then reused; --regenerate to start over):
  PostgreSQL  --pg-small (1k leads / 100 providers), --pg-big (100k / 10k)
  SQLite      instance/bench/small.db, instance/bench/big.db

For each database it starts gunicorn (-w 4 sync workers as the README deploys it, or --threads N
for gthread workers; no RQ worker: jobs only
queue) on an embedded Redis, signs in as the bench admin and the first verified provider, and
prints:
  - p50 latency (ms) of every main page over --samples sequential requests (3 warm-up), and the
    ratio 100k / 1k (target <= 1.25 each);
  - the dashboard's charts computed in-process without the page's cache (what one view costs
    once a minute per period);
  - the sweep cycle (sweep.run in-process, p50 of 20; target <= 20 ms at 100k);
  - the provider inbox's req/s as a share of /healthz on the same server (4 clients, 5 s each;
    target >= 0.15);
  - the 32-way accept race over HTTP: 32 signed-in providers of Race City accept one broadcast
    lead at once, 5 rounds (p50/p99 ms; target p99 <= 300 ms on PostgreSQL), exactly one winner
    per round;
  - the load average before and after each database's run (the machine is shared).
--race-only runs the accept race alone on the 100k databases (--rounds of 32 accepts).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from harness import embedded_redis, free_port, pct  # noqa: E402

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')
PG = "postgresql://postgres:postgres@127.0.0.1:5432/"
SIZES = {"small": (1000, 100), "big": (100_000, 10_000)}


def csrf(html: str) -> str:
    found = CSRF_RE.search(html) or re.search(r'"X-CSRFToken": "([^"]+)"', html)
    if not found:
        raise SystemExit("no CSRF token on the page")
    return next(g for g in found.groups() if g)


def login(base: str, email: str, password: str):
    import requests

    s = requests.Session()
    token = csrf(s.get(base + "/auth/login", timeout=30).text)
    r = s.post(
        base + "/auth/login",
        data={"csrf_token": token, "email": email, "password": password},
        allow_redirects=False,
        timeout=60,
    )
    if r.status_code not in (302, 303):
        raise SystemExit(f"login of {email} answered {r.status_code}")
    return s


def env_for(url: str, redis_url: str, instance: str) -> dict:
    return dict(
        os.environ,
        DATABASE_URL=url,
        REDIS_URL=redis_url,
        FOGFORGE_INSTANCE_DIR=instance,
        SECRET_KEY="bench-secret",
        RATELIMIT_ENABLED="0",
        FOGFORGE_ENV="bench",
        RQ_QUEUE=f"bench-{os.getpid()}",
        RQ_PUSH_QUEUE=f"bench-push-{os.getpid()}",
        MAIL_SERVER="",
        DEV_MAILBOX="0",
        PYTHONUNBUFFERED="1",
    )


def prepare(url: str, size: str, env: dict, regenerate: bool) -> None:
    """Migrate and generate the bench data unless the database already holds it."""
    from sqlalchemy import create_engine, inspect, text

    from app.config import normalize_database_url

    if url.startswith("postgresql"):
        from harness import ensure_postgres, fresh_postgres

        (fresh_postgres if regenerate else ensure_postgres)(url)
    if url.startswith("sqlite") and regenerate:
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    engine = create_engine(normalize_database_url(url))
    with engine.connect() as conn:
        has = "leads" in inspect(conn).get_table_names() and conn.execute(text("SELECT count(*) FROM leads")).scalar()
    engine.dispose()
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    if not has:
        leads, providers = SIZES[size]
        print(f"  generating {leads} leads / {providers} providers ...", flush=True)
        subprocess.run(
            [*flask, "bench-data", "--leads", str(leads), "--providers", str(providers)], cwd=ROOT, env=env, check=True
        )


def facts(url: str) -> dict:
    """Who to sign in as and what to look up, read from the bench data."""
    from sqlalchemy import create_engine, text

    from app.config import normalize_database_url

    engine = create_engine(normalize_database_url(url))
    with engine.connect() as conn:
        one = lambda sql: conn.execute(text(sql)).first()  # noqa: E731
        provider = one(
            "SELECT p.id, u.email, m.slug FROM providers p JOIN users u ON u.id = p.owner_id "
            "JOIN metros m ON m.id = p.home_metro_id WHERE p.status = 'verified' "
            "AND m.name != 'Race City' ORDER BY p.id LIMIT 1"
        )
        lead = one(
            "SELECT customer_email, customer_phone FROM leads WHERE customer_email LIKE '%.%.%@example.com' "
            "ORDER BY id LIMIT 1 OFFSET 500"
        )
        race = one("SELECT id FROM metros WHERE name = 'Race City'")
    engine.dispose()
    return {
        "provider_email": provider[1],
        "metro": provider[2],
        "email": lead[0],
        "phone": lead[1],
        "race_metro": race[0],
    }


def pages(f: dict) -> list[tuple[str, str]]:
    return [
        ("provider", "/provider/inbox"),
        ("provider", "/provider/offers"),
        ("provider", "/provider/notifications"),
        ("anon", f"/m/{f['metro']}"),
        ("admin", "/admin/"),
        ("admin", "/admin/leads"),
        ("admin", f"/admin/leads?q={f['email']}"),
        ("admin", f"/admin/leads?q={f['phone'].replace('+', '%2B')}"),
        ("admin", "/admin/leads?q=garcia"),
        ("admin", "/admin/escrow"),
        ("admin", "/admin/providers"),
        ("admin", "/admin/providers?q=grease"),
        ("admin", "/admin/emails"),
        ("admin", "/admin/audit"),
    ]


def rps(make_session, base: str, path: str, clients: int = 4, seconds: float = 5) -> float:
    sessions = [make_session() for _ in range(clients)]
    done = [0] * clients
    stop = time.perf_counter() + seconds

    def run(i: int) -> None:
        import requests

        while time.perf_counter() < stop:
            try:
                if sessions[i].get(base + path, timeout=60).status_code == 200:
                    done[i] += 1
            except requests.RequestException:  # a reset under load is not an answer: not counted
                pass

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / seconds


def in_process(url: str, redis_url: str, race_metro: int, rounds: int):
    """An app on the same database for the sweep, the uncached dashboard and the race's leads."""
    from app import create_app
    from app.config import normalize_database_url

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": normalize_database_url(url),
            "REDIS_URL": redis_url,
            "MAIL_SERVER": None,
            "RQ_QUEUE": f"bench-{os.getpid()}",
        }
    )


def sweep_and_dashboard(app) -> tuple[float, float]:
    from app.extensions import db
    from app.platform import sweep
    from app.reporting import metrics

    with app.app_context():
        cycles, charts = [], []
        for _ in range(20):
            started = time.perf_counter()
            sweep.run(db.session)
            db.session.commit()
            cycles.append((time.perf_counter() - started) * 1000)
        for _ in range(5):
            started = time.perf_counter()
            metrics.dashboard(db.session, 30)
            db.session.rollback()
            charts.append((time.perf_counter() - started) * 1000)
        db.session.remove()
    return pct(cycles, 50), pct(charts, 50)


def clear_race(app, race_metro: int) -> None:
    """Remove what earlier races left in Race City (their leads with offers, assignments and
    timelines, the emails and notifications they queued, which no worker sends here, and their
    audit entries), so a later run's pages and sweep do not read one run's race as history."""
    from sqlalchemy import delete, select

    from app.extensions import db
    from app.models import AuditLog, Lead, Notification, OutboxEmail

    with app.app_context():
        raced = select(Lead.id).where(Lead.metro_id == race_metro)
        db.session.execute(delete(OutboxEmail).where(OutboxEmail.lead_id.in_(raced)))
        db.session.execute(delete(Notification).where(Notification.lead_id.in_(raced)))
        db.session.execute(delete(AuditLog).where(AuditLog.object_type == "lead", AuditLog.object_id.in_(raced)))
        db.session.execute(delete(Lead).where(Lead.metro_id == race_metro))
        db.session.commit()


def accept_race(app, base: str, race_metro: int, rounds: int) -> tuple[list[float], list[int]]:
    """32 signed-in providers of Race City accept one broadcast lead at once, `rounds` times after
    one warm-up round; the latencies of the counted rounds and the winners of every round."""
    from sqlalchemy import func, select, update

    from app.broadcast import waves
    from app.extensions import db
    from app.models import Lead, Metro, Offer, Provider, User
    from app.models.provider import provider_categories

    with app.app_context():
        db.session.execute(
            update(Metro).where(Metro.id == race_metro).values(wave_plan=[{"tiers": ["pro"], "size": 32, "minutes": 5}])
        )
        emails = list(
            db.session.scalars(
                select(User.email)
                .join(Provider, Provider.owner_id == User.id)
                .where(Provider.home_metro_id == race_metro)
                .order_by(Provider.id)
            )
        )
        db.session.commit()
    from app.benchdata import BENCH_PASSWORD

    racers = {}
    for email in emails:
        s = login(base, email, BENCH_PASSWORD)
        racers[email] = (s, csrf(s.get(base + "/provider/offers", timeout=60).text))
    latencies: list[float] = []
    winners: list[int] = []
    # one warm-up round first, not counted: each gunicorn worker's first accept compiles its
    # statements (as the pages get 3 warm-up requests); its winner is checked like the others'
    for r in range(rounds + 1):
        if r == 1:
            latencies.clear()
        with app.app_context():
            racer = db.session.scalar(select(Provider.id).where(Provider.home_metro_id == race_metro).limit(1))
            category = db.session.scalar(
                select(provider_categories.c.category_id).where(provider_categories.c.provider_id == racer).limit(1)
            )
            lead = Lead(
                mode="broadcast",
                source="admin",
                metro_id=race_metro,
                category_id=category,
                description=f"race {r} {time.time_ns()}",
                customer_name="Race Customer",
                customer_email=f"race{r}.{time.time_ns()}@example.com",
                city="Race City",
                status="verified",
                delivery_status="ready",
            )
            db.session.add(lead)
            db.session.flush()
            waves.start(db.session, lead)
            owners = dict(
                db.session.execute(
                    select(Provider.id, User.email)
                    .join(User, User.id == Provider.owner_id)
                    .where(Provider.home_metro_id == race_metro)
                ).all()
            )
            offers = [(o.id, owners[o.provider_id]) for o in lead.offers]
            lead_id = lead.id
            db.session.commit()
            db.session.remove()
        barrier = threading.Barrier(len(offers))
        lock = threading.Lock()

        def accept(offer_id: int, email: str, barrier: threading.Barrier, lock: threading.Lock) -> None:
            s, token = racers[email]
            s.close()  # no pooled keep-alive connection the server may have closed meanwhile
            barrier.wait()
            started = time.perf_counter()
            s.post(
                f"{base}/provider/offers/{offer_id}/accept",
                data={"csrf_token": token},
                headers={"X-CSRFToken": token},
                allow_redirects=False,
                timeout=60,
            )
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)

        threads = [threading.Thread(target=accept, args=(*pair, barrier, lock)) for pair in offers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with app.app_context():
            winners.append(
                db.session.scalar(
                    select(func.count(Offer.id)).where(Offer.lead_id == lead_id, Offer.state == "accepted")
                )
                or 0
            )
            db.session.remove()
    return latencies, winners


class Server:
    """One database served by gunicorn, with its signed-in clients."""

    def __init__(self, name: str, url: str, size: str, args, redis_url: str, tmp: str):
        import requests

        from app.benchdata import ADMIN_EMAIL, BENCH_PASSWORD

        self.name, self.url, self.size, self.redis_url = name, url, size, redis_url
        env = env_for(url, redis_url, tmp)
        os.environ.update({k: env[k] for k in ("FOGFORGE_INSTANCE_DIR", "SECRET_KEY", "FOGFORGE_ENV")})
        prepare(url, size, env, args.regenerate)
        self.facts = facts(url)
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        gunicorn = ["-w", "4", "-b", f"127.0.0.1:{port}", "--log-level", "warning"]
        if args.threads > 1:
            gunicorn += ["-k", "gthread", "--threads", str(args.threads)]
        self.process = subprocess.Popen([sys.executable, "-m", "gunicorn", *gunicorn, "wsgi:app"], cwd=ROOT, env=env)
        deadline = time.time() + 60
        while True:
            try:
                if requests.get(self.base + "/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.time() > deadline:
                raise SystemExit(f"{name} {size}: the app did not become healthy")
            time.sleep(0.3)
        self.who = {
            "admin": login(self.base, ADMIN_EMAIL, BENCH_PASSWORD),
            "provider": login(self.base, self.facts["provider_email"], BENCH_PASSWORD),
            "anon": requests.Session(),
        }
        self.out: dict = {"pages": {}}

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)

    def the_rest(self, args) -> None:
        """Sweep, uncached charts, inbox share of /healthz, the accept race (this server alone)."""
        import requests

        from app.benchdata import BENCH_PASSWORD

        f, base, out = self.facts, self.base, self.out
        load_before = os.getloadavg()
        app = in_process(self.url, self.redis_url, f["race_metro"], args.rounds)
        clear_race(app, f["race_metro"])
        out["sweep"], out["charts"] = sweep_and_dashboard(app)
        out["inbox_rps"] = rps(lambda: login(base, f["provider_email"], BENCH_PASSWORD), base, "/provider/inbox")
        out["health_rps"] = rps(lambda: requests.Session(), base, "/healthz")
        out["race"], out["winners"] = accept_race(app, base, f["race_metro"], args.rounds)
        clear_race(app, f["race_metro"])
        out["load"] = (load_before, os.getloadavg())
        print(f"  {self.name} {self.size}: done (load {load_before[0]:.2f} -> {out['load'][1][0]:.2f})", flush=True)


def page_key(path: str, f: dict) -> str:
    def shown(m: re.Match) -> str:
        value = m.group(0)[2:]
        return "q=" + ("<email>" if "@" in value else "<phone>" if "2B" in value else value)

    return re.sub(r"q=[^&]+", shown, path).replace(f["metro"], "<metro>")


def interleaved_pages(small: Server, big: Server, samples: int) -> None:
    """Each page's p50 on both databases, their requests alternating (small, big, small, ...)
    so that both see the same machine load (the machine is shared: load moves by the minute)."""
    for (role, path), (_, big_path) in zip(pages(small.facts), pages(big.facts), strict=True):
        times: dict[str, list[float]] = {"small": [], "big": []}
        for i in range(samples + 3):
            for server, url in ((small, path), (big, big_path)):
                started = time.perf_counter()
                r = server.who[role].get(server.base + url, timeout=60)
                took = (time.perf_counter() - started) * 1000
                if r.status_code != 200:
                    raise SystemExit(f"{server.name} {server.size}: GET {url} answered {r.status_code}")
                if i >= 3:
                    times[server.size].append(took)
        key = page_key(path, small.facts)
        small.out["pages"][key], big.out["pages"][key] = pct(times["small"], 50), pct(times["big"], 50)


def report(results: dict, threads: int) -> None:
    def fmt(v: float) -> str:
        return f"{v:8.1f}"

    backends = [b for b in ("PostgreSQL", "SQLite") if b in results]
    print("\nFogForge at metro scale: 1k leads / 100 providers vs 100k leads / 10k providers (one year of history)")
    print(
        f"gunicorn -w 4 {f'-k gthread --threads {threads}' if threads > 1 else '(sync workers, as deployed)'} per database; each page's requests alternate between the"
    )
    print("1k and the 100k server (same machine load for both); p50 in ms")
    head = f"{'':42}" + "".join(f"{b + ' 1k':>14}{b[:6] + ' 100k':>14}{'ratio':>8}" for b in backends)
    print(head)
    first = results[backends[0]]["small"]["pages"]
    worst = {b: 0.0 for b in backends}
    for key in first:
        line = f"{key[:42]:42}"
        for b in backends:
            small, big = results[b]["small"]["pages"][key], results[b]["big"]["pages"][key]
            worst[b] = max(worst[b], big / small)
            line += f"{fmt(small):>14}{fmt(big):>14}{big / small:8.2f}"
        print(line)
    for b in backends:
        print(f"{b}: worst page ratio {worst[b]:.2f} (target <= 1.25: {'met' if worst[b] <= 1.25 else 'NOT met'})")
    for label, key in (("dashboard charts computed, uncached (ms)", "charts"), ("sweep cycle p50 (ms)", "sweep")):
        line = f"{label:42}"
        for b in backends:
            s, g = results[b]["small"][key], results[b]["big"][key]
            line += f"{fmt(s):>14}{fmt(g):>14}{g / s:8.2f}"
        print(line)
    for b in backends:
        for size in ("small", "big"):
            r = results[b][size]
            share = r["inbox_rps"] / r["health_rps"]
            race = r["race"]
            (l1, _, _), (l2, _, _) = r["load"]
            print(
                f"{b} {SIZES[size][0]:>6} leads: inbox {r['inbox_rps']:.0f} req/s, /healthz {r['health_rps']:.0f} req/s, "
                f"share {share:.2f} (target >= 0.15); accept race 32x{len(r['winners']) - 1} over HTTP p50 "
                f"{pct(race, 50):.0f} / p99 {pct(race, 99):.0f} ms, winners per round {r['winners']}; "
                f"sweep {r['sweep']:.1f} ms; load {l1:.2f} -> {l2:.2f}"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg-small", default=PG + "fogforge_bench_small")
    parser.add_argument("--pg-big", default=PG + "fogforge_bench_big")
    parser.add_argument("--sqlite-dir", default=str(ROOT / "instance" / "bench"))
    parser.add_argument("--only", choices=("postgresql", "sqlite"))
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument(
        "--threads", type=int, default=1, help="gunicorn gthread threads per worker (1: sync workers, as deployed)"
    )
    parser.add_argument("--race-only", action="store_true", help="only the accept race, on the 100k database")
    args = parser.parse_args()
    Path(args.sqlite_dir).mkdir(parents=True, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="fogforge-scale-")
    redis_server, redis_url = embedded_redis(tmp)
    targets = {
        "PostgreSQL": {"small": args.pg_small, "big": args.pg_big},
        "SQLite": {"small": f"sqlite:///{args.sqlite_dir}/small.db", "big": f"sqlite:///{args.sqlite_dir}/big.db"},
    }
    if args.only:
        targets = {k: v for k, v in targets.items() if k.lower() == args.only}
    results: dict = {}
    print(f"load average at start: {os.getloadavg()}", flush=True)
    if args.race_only:
        for name, urls in targets.items():
            big = Server(name, urls["big"], "big", args, redis_url, tmp)
            try:
                load = os.getloadavg()
                app = in_process(big.url, redis_url, big.facts["race_metro"], args.rounds)
                race, winners = accept_race(app, big.base, big.facts["race_metro"], args.rounds)
                clear_race(app, big.facts["race_metro"])
            finally:
                big.stop()
            print(
                f"{name} 100k: accept race 32x{args.rounds} (+1 warm-up) over HTTP p50 {pct(race, 50):.0f} / p95 "
                f"{pct(race, 95):.0f} / p99 {pct(race, 99):.0f} / max {max(race):.0f} ms (target p99 <= 300 on "
                f"PostgreSQL), winners per round {winners}; load {load[0]:.2f} -> {os.getloadavg()[0]:.2f}"
            )
        return 0
    for name, urls in targets.items():
        small = Server(name, urls["small"], "small", args, redis_url, tmp)
        big = Server(name, urls["big"], "big", args, redis_url, tmp)
        try:
            interleaved_pages(small, big, args.samples)
            print(f"  {name}: pages done (load {os.getloadavg()[0]:.2f})", flush=True)
            small.the_rest(args)
            big.the_rest(args)
        finally:
            small.stop()
            big.stop()
        results[name] = {"small": small.out, "big": big.out}
    report(results, args.threads)
    try:
        redis_server.shutdown(nosave=True)  # the embedded Redis would outlive the script
    except Exception:  # noqa: BLE001 - it is gone either way
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
