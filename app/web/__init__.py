"""Blueprints, security headers, error pages and template helpers.

The audience is the access boundary: public, auth, provider, admin, api. Each audience's
views.py creates its blueprint; the other view modules of that audience add routes to it.
"""

from __future__ import annotations

from flask import Flask

from app.web import errors, input_guard, responses, security, templating
from app.web.admin import (  # noqa: F401
    audit,
    credits,
    disputes,
    economics,
    escrow,
    leads,
    metros,
    partners,
    providers,
    try_plan,
    verification,
)
from app.web.admin import compliance as admin_compliance  # noqa: F401
from app.web.admin.views import bp as admin_bp
from app.web.api.views import bp as api_bp
from app.web.auth.views import bp as auth_bp
from app.web.provider import area, compliance, inbox, offers, pipeline, push, quotes  # noqa: F401
from app.web.provider import economics as provider_economics  # noqa: F401
from app.web.provider.views import bp as provider_bp
from app.web.public import compliance as public_compliance  # noqa: F401
from app.web.public import consent, pwa, sla  # noqa: F401
from app.web.public import pipeline as public_pipeline  # noqa: F401
from app.web.public import quotes as public_quotes  # noqa: F401
from app.web.public.views import bp as public_bp


def register_web(app: Flask) -> None:
    app.register_blueprint(public_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(provider_bp, url_prefix="/provider")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(api_bp, url_prefix="/api/v1")

    security.init_app(app)
    input_guard.init_app(app)
    errors.init_app(app)
    responses.init_app(app)
    templating.init_app(app)
