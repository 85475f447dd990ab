"""The installable web app: its manifest and its service worker, both at the site's root (a
service worker only controls pages under the path it is served from)."""

from __future__ import annotations

from flask import current_app, send_from_directory

from app.web.public.views import bp


@bp.get("/sw.js")
def service_worker():
    response = send_from_directory(
        current_app.static_folder or "static", "sw.js", mimetype="text/javascript", max_age=0
    )
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"  # browsers check for a new worker on each visit
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    return send_from_directory(
        current_app.static_folder or "static",
        "manifest.webmanifest",
        mimetype="application/manifest+json",
        max_age=3600,
    )
