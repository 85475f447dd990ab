"""Blueprints, security headers, error pages and template helpers."""

from __future__ import annotations

from flask import Flask


def register_web(app: Flask) -> None:
    from app.web import errors, security, templating  # noqa: I001 (per-issue view modules are grouped below)
    from app.web.admin.views import bp as admin_bp
    from app.web.api.views import bp as api_bp
    from app.web.auth.views import bp as auth_bp
    from app.web.provider.views import bp as provider_bp
    from app.web.public.views import bp as public_bp
    from app.web.admin import audit, providers, verification  # noqa: F401  (issue 3)
    from app.web.provider import inbox  # noqa: F401  (issue 4: inbox + notifications)
    from app.web.admin import escrow, leads  # noqa: F401  (issue 4: escrow inbox, leads)
    from app.web.public import consent  # noqa: F401  (issue 4: customer consent)
    from app.web.provider import offers  # noqa: F401  (issue 5: live broadcast offers)
    from app.web.admin import metros  # noqa: F401  (issue 5: metro policy, broadcasts)
    from app.web.provider import quotes  # noqa: F401  (issue 6: quote leads, credits)
    from app.web.admin import credits, disputes  # noqa: F401  (issue 6: credits, disputes)
    from app.web.public import quotes as public_quotes  # noqa: F401  (issue 6: customer quotes, reviews)
    from app.web.admin import partners  # noqa: F401  (partner API: partners and keys)

    app.register_blueprint(public_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(provider_bp, url_prefix="/provider")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(api_bp, url_prefix="/api/v1")

    security.init_app(app)
    errors.init_app(app)
    templating.init_app(app)
