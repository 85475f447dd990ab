"""FogForge: a lead marketplace for grease-trap and FOG service businesses."""

from __future__ import annotations

import logging

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app import accounts, broadcast, compliance, direct, leads, models, partners, quotes, reporting  # noqa: F401
from app.cli import register_cli
from app.config import INSTANCE_DIR, Config, production_problems
from app.extensions import csrf, db, htmx, limiter, login_manager, mail, migrate
from app.platform.queue import configure_redis
from app.web import register_web

# Importing the capability packages registers the tables (models), each mode's router and
# tracking wording, and each capability's sweep step.


def create_app(config: type | dict | None = None) -> Flask:
    """Build the app. `config` is a Config class, or a dict of overrides on top of Config."""
    app = Flask(
        __name__,
        instance_path=str(INSTANCE_DIR),
        template_folder="../templates",
        static_folder="../static",
    )
    if isinstance(config, type):
        app.config.from_object(config)
    else:
        app.config.from_object(Config)
        if config:
            app.config.update(config)
    problems = production_problems(app.config)
    if problems:
        raise RuntimeError("Unsafe production configuration: " + "; ".join(problems))
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO)

    from app.web.provider.live import FastPolls  # an unchanged live poll answers 204 here

    app.wsgi_app = FastPolls(app, app.wsgi_app)  # type: ignore[method-assign]
    if app.config["PROXY_FIX_HOPS"]:
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    configure_redis(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))
    login_manager.init_app(app)
    mail.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)

    register_web(app)
    register_cli(app)
    return app
