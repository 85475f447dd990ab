"""Absolute links for emails, built from APP_BASE_URL (never from the request's Host)."""

from __future__ import annotations

from flask import current_app


def app_path(endpoint: str, **values) -> str:
    """A path inside the app for `endpoint`, without a request (jobs build notifications)."""
    return current_app.url_map.bind("fogforge.invalid").build(endpoint, values)


def external_url(endpoint: str, **values) -> str:
    """An absolute link for emails: APP_BASE_URL + the path."""
    return current_app.config["APP_BASE_URL"] + app_path(endpoint, **values)
