"""Command-line tasks: flask seed-demo, create-admin, sweep, simulate."""

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
from app.dispatch import metro_day
from app.dispatch import simulate as simulator
from app.dispatch.text import report_lines
from app.extensions import db
from app.models import Metro


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

    @app.cli.command("simulate")
    @click.option(
        "--metro", "metro_slug", default=None, help="Metro slug (its plan and provider mix); default: the first."
    )
    @click.option("--seed", default=1, show_default=True, type=int)
    @click.option("--leads", default=2000, show_default=True, type=click.IntRange(1, 5000))
    @click.option(
        "--replay-days",
        default=None,
        type=click.IntRange(1, metro_day.MAX_REPLAY_DAYS),
        help="Replay the metro's last N days of leads (anonymised) instead of the day curve.",
    )
    @click.option("--synthetic-providers", is_flag=True, help="300 synthetic providers instead of the metro's mix.")
    @click.option(
        "--plan", "plan_json", default=None, help="A candidate wave plan as JSON, run beside the current one."
    )
    @click.option("--json", "as_json", is_flag=True, help="Print the report(s) as JSON.")
    def simulate(metro_slug, seed, leads, replay_days, synthetic_providers, plan_json, as_json):
        """Replay a metro day through the real engine on a throwaway database (never the real one)."""
        import json

        from sqlalchemy import select

        from app.broadcast import wave_plan

        query = select(Metro).order_by(Metro.id)
        metro = db.session.scalar(query.where(Metro.slug == metro_slug) if metro_slug else query)
        if metro is None:
            raise click.ClickException(f"No metro {metro_slug!r}." if metro_slug else "No metro: run flask seed-demo.")
        scenario = metro_day.scenario_for(
            db.session, metro, seed=seed, leads=leads, replay_days=replay_days, synthetic_providers=synthetic_providers
        )
        current = simulator.Plan.of(metro)
        runs = [("current", current)]
        if plan_json:
            try:
                rows = json.loads(plan_json)
            except ValueError as exc:
                raise click.ClickException(f"--plan: not JSON ({exc}).") from exc
            plan, errors = wave_plan.validate_plan(rows if isinstance(rows, list) else [])
            if errors or not plan:
                raise click.ClickException("--plan: " + ("; ".join(errors.values()) or "a list of waves, please."))
            runs.append(("candidate", simulator.Plan(**{**current.__dict__, "wave_plan": plan})))
        db.session.rollback()  # the real database is only read, before the simulation starts
        reports = [(name, simulator.run(scenario, plan)) for name, plan in runs]
        if as_json:
            click.echo(
                json.dumps({name: r.as_dict() | {"wall_seconds": r.wall_seconds} for name, r in reports}, indent=2)
            )
            return
        click.echo(f"{metro.name}: {scenario.leads} leads, providers {scenario.providers}, seed {seed}")
        for name, report in reports:
            click.echo(f"\n== {name} plan ==")
            for line in report_lines(report):
                click.echo(f"  {line}")
