"""Response helpers shared by the blueprints."""

from __future__ import annotations


def private(response, status: int | None = None):
    """A page or fragment that may carry unlocked contact data: never cached by browsers,
    proxies or htmx's history, and page/fragment variants kept apart by HX-Request."""
    if status is not None:
        response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    response.headers["Vary"] = "HX-Request"
    return response
