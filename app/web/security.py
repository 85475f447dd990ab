"""Security headers for every response (CSP without unsafe-inline, nosniff, framing...)."""

from __future__ import annotations

from flask import Flask, request
from werkzeug.exceptions import SecurityError

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "object-src 'none'"
)


def init_app(app: Flask) -> None:
    # Host header allow-list: Flask 3.1 reads app.config["TRUSTED_HOSTS"] (see app/config.py).
    # Links in emails never use the Host header anyway (services/urls.py uses APP_BASE_URL).
    @app.errorhandler(SecurityError)
    def untrusted_host(error):
        # No URL adapter exists for an untrusted host, so the HTML error page (url_for) can't render.
        return "Bad request: unknown host.", 400, {"Content-Type": "text/plain; charset=utf-8"}

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.headers.get("HX-Request"):
            headers.add("Vary", "HX-Request")
        return response
