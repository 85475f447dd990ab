"""Error pages a person can read; JSON errors for JSON endpoints."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


def error_headers(error: HTTPException) -> dict[str, str]:
    """The headers an error answer must keep: `Allow` on 405 (the methods the URL accepts),
    `Retry-After` on 429 (the rate limit's window, in seconds: by then the allowance is back)."""
    headers = {k: v for k, v in error.get_headers() if k == "Allow"}
    if error.code == 429:
        window = getattr(getattr(getattr(error, "limit", None), "limit", None), "get_expiry", None)
        headers["Retry-After"] = str(window() if window else 60)
    return headers


def wants_json() -> bool:
    return (
        request.path.startswith("/api/")
        or request.path == "/healthz"
        or (request.accept_mimetypes.best == "application/json")
    )


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        message = "Your form expired or was sent from another site. Reload the page and try again."
        if wants_json():
            return jsonify(error="csrf", message=message), 400
        return render_template("errors/error.html", code=400, title="Please try again", message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        titles = {
            403: "You can't do that",
            404: "Page not found",
            405: "Not allowed",
            413: "That upload is too large",
            429: "Too many requests",
        }
        code = error.code or 500
        title = titles.get(code, error.name)
        message = {
            404: "We couldn't find that page. The link may be mistyped or out of date.",
            403: "Your account doesn't have access to this page.",
            429: "You've sent a lot of requests in a short time. Please wait a minute and try again.",
        }.get(code, error.description)
        headers = error_headers(error)
        if wants_json():
            return jsonify(error=error.name.lower().replace(" ", "_"), message=message, fields={}), code, headers
        return render_template("errors/error.html", code=code, title=title, message=message), code, headers

    @app.errorhandler(500)
    def server_error(error):
        if wants_json():
            return jsonify(error="server_error", message="Something went wrong on our side."), 500
        return render_template(
            "errors/error.html",
            code=500,
            title="Something went wrong",
            message="Something went wrong on our side. We've been told; please try again in a moment.",
        ), 500
