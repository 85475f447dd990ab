"""Security headers for every response (CSP without unsafe-inline, nosniff, framing...)."""

from __future__ import annotations

from flask import Flask, request
from werkzeug.exceptions import SecurityError

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "object-src 'none'"
)
# Every answer carries these (also the live polls' 204 answered before Flask: live.FastPolls).
BASE_HEADERS: tuple[tuple[str, str], ...] = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("X-Frame-Options", "DENY"),
    ("Permissions-Policy", "geolocation=(), camera=(), microphone=()"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


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
        for name, value in BASE_HEADERS:
            headers.setdefault(name, value)
        if request.is_secure:
            headers.setdefault(*HSTS)
        if request.headers.get("HX-Request"):
            headers.add("Vary", "HX-Request")
        return response
