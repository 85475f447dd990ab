"""Absolute links for emails, built from APP_BASE_URL (never from the request's Host)."""

from __future__ import annotations

from flask import current_app


def external_url(endpoint: str, **values) -> str:
    adapter = current_app.url_map.bind("fogforge.invalid", url_scheme="http")
    path = adapter.build(endpoint, values, force_external=False)
    return current_app.config["APP_BASE_URL"] + path
