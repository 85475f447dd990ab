"""Live offer windows (issue 11): how fast an offer reaches an open offers page, and what 200
providers polling every second cost.

Starts gunicorn (wsgi:app), one RQ worker and an SMTP catcher (like speed_to_lead.py) on SQLite
or --database-url, seeds one metro with a "watcher" provider (the only one a broadcast goes to)
and --pollers other providers (another category: their polls stay unchanged), signs them all in
over HTTP, then measures:

 1. customer POST of a broadcast request -> the offer on the watcher's open offers page, seen by
    a client that polls like the page does (htmx: every OFFER_POLL_SECONDS, with the version,
    the bell count and each card's status key): p50/p99 over -n offers (target p99 <= 1.5 s);
 2. req/s of an unchanged poll (204), several clients polling back to back;
 3. a normal page's latency (GET /provider/offers of the watcher, with its cards) with and
    without --pollers providers polling once a second (target ratio p50 and p99 <= 1.2).

    .venv/bin/python bench/live_offers.py -n 100 --pollers 200 [--poller-nice 19]
    .venv/bin/python bench/live_offers.py --database-url postgresql://postgres:postgres@127.0.0.1/fogforge_bench
"""

from __future__ import annotations

import argparse
import html as html_lib
import http.cookiejar
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from harness import embedded_redis, free_port, fresh_postgres, pct  # noqa: E402
from speed_to_lead import CSRF_RE, NoRedirect, percentiles, wait_healthy  # noqa: E402

PASSWORD = "bench-password-123"
POLL_KEY = re.compile(r'<input type="hidden" class="poll-key" name="s" value="([^"]+)">')
POLLER_VALS = re.compile(r'id="offer-poller"[^>]*?hx-vals=\'([^\']+)\'', re.S)
POLLER_HEADERS = re.compile(r'id="offer-poller"[^>]*?hx-headers=\'([^\']+)\'', re.S)


def seed(pollers: int) -> None:
    from flask_migrate import upgrade

    from app import create_app
    from app.core import clock
    from app.extensions import db
    from app.models import Category, Metro, Provider, User

    app = create_app()
    with app.app_context():
        upgrade()
        metro = Metro(name="Bench City", slug="bench-city", state="TX", timezone="America/Chicago")
        pumping = Category(name="Grease trap pumping", slug="grease-trap-pumping")
        jetting = Category(name="Hydro jetting", slug="hydro-jetting")
        db.session.add_all([metro, pumping, jetting])
        from werkzeug.security import generate_password_hash

        hashed = generate_password_hash(PASSWORD, method="scrypt")  # once: every bench user shares it
        for i in range(pollers + 1):
            watcher = i == 0
            user = User(email=f"p{i}@bench.example", password_hash=hashed, email_confirmed_at=clock.now())
            db.session.add(
                Provider(
                    name=f"Bench Provider {i}",
                    slug=f"bench-provider-{i}",
                    home_metro=metro,
                    status="verified",
                    tier="pro",
                    verified_at=clock.now(),
                    categories=[pumping if watcher else jetting],
                    owner=user,
                    offer_sound=False,
                )
            )
        db.session.commit()
        db.engine.dispose()


class Provider:
    """One signed-in provider's open offers page, polled the way htmx does."""

    def __init__(self, base: str, email: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)
        page = self.opener.open(base + "/auth/login", timeout=30).read().decode()
        data = urllib.parse.urlencode(
            {"csrf_token": CSRF_RE.search(page).group(1), "email": email, "password": PASSWORD}
        ).encode()
        try:
            self.opener.open(urllib.request.Request(base + "/auth/login", data=data), timeout=30)
        except urllib.error.HTTPError as redirect:
            if redirect.code not in (302, 303):
                raise SystemExit(f"login of {email} answered {redirect.code}") from None
        self.keys: dict[str, str] = {}
        self.vals: dict = {}
        self.headers: dict = {}  # the poller's hx-headers: the fast path's token
        self.absorb(self.get("/provider/offers")[1])

    def get(self, path: str, params=None, headers=None) -> tuple[int, str]:
        url = self.base + path + ("?" + urllib.parse.urlencode(params) if params else "")
        sent = {"HX-Request": "true", **(headers or {})} if params is not None else {}
        request = urllib.request.Request(url, headers=sent)
        with self.opener.open(request, timeout=30) as response:
            return response.status, response.read().decode()

    def absorb(self, text: str) -> None:
        for raw in POLL_KEY.findall(text):
            value = html_lib.unescape(raw)
            self.keys[value.split(":", 1)[0]] = value
        found = POLLER_VALS.findall(text)
        if found:
            self.vals = json.loads(html_lib.unescape(found[0]))
        found = POLLER_HEADERS.findall(text)
        if found:
            self.headers = json.loads(html_lib.unescape(found[0]))

    def poll(self) -> tuple[int, str]:
        params = [(k, str(v)) for k, v in self.vals.items()] + [("s", v) for v in self.keys.values()]
        status, text = self.get("/provider/offers/poll", params, self.headers)
        if status != 204:
            self.absorb(text)
        return status, text


def submit(base: str, i: int) -> float:
    """A broadcast request through the public form; returns when the POST started."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect)
    url = f"{base}/m/bench-city/request/broadcast"
    page = opener.open(url, timeout=10).read().decode()
    category = next(c for c in re.findall(r'<option value="(\d+)"[^>]*>Grease trap pumping', page))
    data = urllib.parse.urlencode(
        {
            "csrf_token": CSRF_RE.search(page).group(1),
            "category_id": category,
            "urgency": "emergency",
            "budget": "300_600",
            "description": f"Bench offer {i} marker{i}x: the trap is overflowing ({time.time_ns()}).",
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
        opener.open(urllib.request.Request(url, data=data), timeout=10)
        raise SystemExit("expected a 303 to the tracking page")
    except urllib.error.HTTPError as redirect:
        if redirect.code != 303:
            raise SystemExit(f"POST answered {redirect.code}: {redirect.read()[:300]!r}") from None
    return started


def offer_latency(base: str, watcher: Provider, n: int, every: float, timeout: float) -> list[float]:
    """POST -> the card in a poll answer, one offer at a time, the watcher polling every `every` s."""
    seen: dict[int, float] = {}
    stop = threading.Event()

    def poll_loop():
        while not stop.is_set():
            status, text = watcher.poll()
            if status == 200:
                now = time.time()
                for marker in re.findall(r"marker(\d+)x", text):
                    seen.setdefault(int(marker), now)
            stop.wait(every)

    thread = threading.Thread(target=poll_loop, daemon=True)
    thread.start()
    out = []
    for i in range(n):
        started = submit(base, i)
        deadline = time.time() + timeout
        while i not in seen and time.time() < deadline:
            time.sleep(0.01)
        if i in seen:
            out.append(seen[i] - started)
        time.sleep(0.3 + random.random() * every)  # the next POST lands at a random point of the poll cycle
    stop.set()
    thread.join()
    return out


def unchanged_rps(provider: Provider, clients: int, seconds: float) -> float:
    count = [0] * clients
    stop = time.time() + seconds

    def hammer(k: int):
        while time.time() < stop:
            status, _ = provider.poll()
            count[k] += status == 204  # a late offer arriving meanwhile answers 200 once: not counted

    threads = [threading.Thread(target=hammer, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(count) / seconds


def server_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its children (gunicorn's master and workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        pids += [int(c) for c in (task / "children").read_text().split()]
    total = 0
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / ticks


def page_latency(provider: Provider, samples: int) -> list[float]:
    out = []
    for _ in range(samples):
        started = time.perf_counter()
        status, _ = provider.get("/provider/offers")
        out.append(time.perf_counter() - started)
        assert status == 200
        time.sleep(0.05)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--offers", type=int, default=100)
    parser.add_argument("--pollers", type=int, default=200)
    parser.add_argument("--poll-seconds", type=float, default=1.0)
    parser.add_argument("--samples", type=int, default=200, help="normal page requests per phase")
    parser.add_argument("--database-url")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL"))
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1, help="gunicorn gthread threads per worker (1: sync workers)")
    parser.add_argument(
        "--poller-nice",
        type=int,
        default=0,
        help="run the 200 simulated browsers' threads at this nice level (they stand for remote "
        "clients; on a 2-core box their own CPU otherwise competes with the server)",
    )
    args = parser.parse_args()

    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink

    smtp_port = free_port()
    controller = Controller(Sink(), hostname="127.0.0.1", port=smtp_port)
    controller.start()
    tmp = tempfile.TemporaryDirectory(prefix="fogforge-bench-")
    children: list[subprocess.Popen] = []
    redis_server = None
    try:
        database_url = args.database_url or f"sqlite:///{tmp.name}/bench.db"
        redis_url = args.redis_url
        if not redis_url:
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
            OFFER_POLL_SECONDS=str(int(args.poll_seconds)),
            PYTHONUNBUFFERED="1",
        )
        os.environ.update(env)
        if database_url.startswith("postgresql"):
            fresh_postgres(database_url)
        seed(args.pollers)
        python = sys.executable
        gunicorn = [python, "-m", "gunicorn", "-w", str(args.web_workers), "-b", f"127.0.0.1:{port}"]
        if args.threads > 1:
            gunicorn += ["-k", "gthread", "--threads", str(args.threads)]
        children.append(subprocess.Popen([*gunicorn, "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env))
        children.append(subprocess.Popen([python, "worker.py"], cwd=ROOT, env=env))
        # as deployed (README "Deploying"): an urgent worker (routing, wave deadlines, pushes) beside the general one
        children.append(subprocess.Popen([python, "worker.py", "urgent"], cwd=ROOT, env=env))
        wait_healthy(base)
        db_name = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
        print(
            f"app healthy at {base} ({db_name}, gunicorn -w {args.web_workers}, threads {args.threads}); signing in",
            flush=True,
        )
        watcher = Provider(base, "p0@bench.example")
        submit(base, -1)  # warm-up, not measured
        time.sleep(1)

        latencies = offer_latency(base, watcher, args.offers, args.poll_seconds, timeout=15)
        print(f"FogForge live offers ({db_name}, polls every {args.poll_seconds:g} s)")
        print(f"  customer POST -> offer on the open offers page: {percentiles(latencies)}")
        if len(latencies) < args.offers:
            print(f"  {args.offers - len(latencies)} offer(s) not seen within 15 s")
        watcher.poll()  # up to date: its next polls are unchanged

        rps = unchanged_rps(watcher, clients=8, seconds=10)
        print(f"  unchanged poll (204), 8 clients back to back: {rps:7.0f} req/s")

        quiet = page_latency(watcher, args.samples)
        print(f"  normal page without pollers : {percentiles(quiet)}")
        pollers = [Provider(base, f"p{i}@bench.example") for i in range(1, args.pollers + 1)]
        stop = threading.Event()
        polls = {"204": 0, "other": 0}
        lock = threading.Lock()

        def poll_forever(p: Provider, offset: float):
            if args.poller_nice:
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), args.poller_nice)  # this thread only
            stop.wait(offset)
            while not stop.is_set():
                status, _ = p.poll()
                with lock:
                    polls["204" if status == 204 else "other"] += 1
                stop.wait(args.poll_seconds)

        threads = [
            threading.Thread(target=poll_forever, args=(p, k * args.poll_seconds / len(pollers)), daemon=True)
            for k, p in enumerate(pollers)
        ]
        for t in threads:
            t.start()
        time.sleep(3)
        # the server's own cost of the pollers: its CPU time over 10 s of polls alone
        with lock:
            polls.update({"204": 0, "other": 0})
        cpu_before, began = server_cpu_seconds(children[0].pid), time.time()
        time.sleep(10)
        cpu, elapsed = server_cpu_seconds(children[0].pid) - cpu_before, time.time() - began
        with lock:
            answered = polls["204"] + polls["other"]
        print(
            f"  server CPU for {len(pollers)} pollers: {cpu / elapsed * 100:.1f} % of one core "
            f"({cpu / max(answered, 1) * 1000:.2f} ms per poll, {answered / elapsed:.0f} polls/s; "
            f"{os.cpu_count()} cores)"
        )
        with lock:
            polls.update({"204": 0, "other": 0})
        began = time.time()
        busy = page_latency(watcher, args.samples)
        elapsed = time.time() - began
        stop.set()
        for t in threads:
            t.join(timeout=5)
        print(
            f"  normal page with {len(pollers)} pollers: {percentiles(busy)}"
            f"   ({polls['204'] / elapsed:.0f} polls/s answered 204, {polls['other']} other)"
        )
        print(
            f"  ratio with/without pollers: p50 {pct(busy, 50) / pct(quiet, 50):.2f}   "
            f"p99 {pct(busy, 99) / pct(quiet, 99):.2f}   (target <= 1.2)"
        )
        return 0
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
    sys.exit(main())
