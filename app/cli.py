"""Command-line tasks: flask seed-demo, create-admin, sweep."""

from __future__ import annotations

import getpass
import time

import click
from flask import Flask, current_app
from redis.exceptions import RedisError
from sqlalchemy.exc import InterfaceError, OperationalError

from app import benchdata, demo, jobs
from app.accounts import users as accounts
from app.core import clock
from app.extensions import db


def register_cli(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo():
        """Load demo metros, categories, providers and logins (idempotent)."""
        if current_app.config["ENV_NAME"] == "production":
            raise click.ClickException("seed-demo creates known passwords: refused when FOGFORGE_ENV=production.")
        logins = demo.seed(db.session)
        db.session.commit()
        click.echo("Demo data ready. Logins:")
        for role, email, password in logins:
            click.echo(f"  {role:<28} {email:<58} {password}")

    @app.cli.command("bench-data")
    @click.option("--leads", type=int, default=1000, show_default=True)
    @click.option("--providers", type=int, default=100, show_default=True)
    @click.option("--days", type=int, default=365, show_default=True, help="How far back the history goes.")
    @click.option("--seed", type=int, default=1, show_default=True)
    def bench_data(leads: int, providers: int, days: int, seed: int):
        """Write a year of history for the scale benchmarks (bench/scale.py), in bulk."""
        if current_app.config["ENV_NAME"] == "production":
            raise click.ClickException("bench-data writes fake leads and known passwords: refused in production.")
        done = benchdata.generate(db.session, leads, providers, seed=seed, days=days, log=click.echo)
        click.echo(f"bench data: {done['leads']} leads, {done['providers']} providers in {done['seconds']} s")

    @app.cli.command("create-admin")
    @click.argument("email")
    @click.option("--password", help="Prompted for when omitted.")
    def create_admin(email: str, password: str | None):
        """Create an admin account (or make an existing account admin)."""
        password = password or getpass.getpass("Password (12+ characters): ")
        if len(password) < 12:
            raise click.ClickException("The password must have at least 12 characters.")
        user = accounts.find_by_email(db.session, email)
        if user is None:
            user = accounts.create_user(db.session, email, password, role="admin", confirmed_at=clock.now())
        else:
            user.role = "admin"
            accounts.set_password(user, password)
        db.session.commit()
        click.echo(f"Admin ready: {user.email}")

    @app.cli.command("sweep")
    @click.option("--loop", is_flag=True, help="Run forever, every SWEEP_INTERVAL_SECONDS (sooner for a deadline).")
    def sweep(loop: bool):
        """Do or re-enqueue whatever is due (emails, unrouted leads, wave deadlines)."""
        failing_since: float | None = None
        while True:
            try:
                counts = jobs.sweep()
                if not loop or any(counts.values()):
                    click.echo(f"sweep: {counts}")
                if failing_since is not None:
                    current_app.logger.warning("sweep works again after %.0f s", time.monotonic() - failing_since)
                    failing_since = None
            except (OperationalError, InterfaceError, RedisError) as exc:  # expected: a server is down
                if not loop:
                    raise
                if failing_since is None:
                    failing_since = time.monotonic()
                    current_app.logger.warning(
                        "sweep could not run (%s: %s); retrying every %s s",
                        type(exc).__name__,
                        str(exc).splitlines()[0][:200] if str(exc) else "",
                        current_app.config["SWEEP_INTERVAL_SECONDS"],
                    )
            except Exception as exc:  # noqa: BLE001 - a supervised loop keeps going
                current_app.logger.exception("sweep failed: %s", exc)
                if not loop:
                    raise
            if not loop:
                return
            time.sleep(jobs.sweep_pause())
