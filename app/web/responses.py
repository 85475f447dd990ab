"""The one renderer, and the one way a refusal reaches the person who asked.

`render` answers a page, or (for an htmx request) one block of the same template; it always
sends `Vary: HX-Request`, `Cache-Control: no-store` when the page is private (unlocked contact
data, admin pages with customer data), and 286 for a finished poll so htmx stops polling. The
template marks private regions `hx-history="false"` so htmx keeps them out of its history cache.

A domain operation says no by raising `Refusal`. A view names, once, where a refused person
goes back to (`back`) and how the refused thing is shown again with its errors (`again`):

    @bp.post("/offers/<int:offer_id>/accept")
    @provider_required
    @on_refusal(back=lambda offer_id: url_for("provider.offers"), again=lambda refusal, offer_id: _card(...))
    def offer_accept(offer_id): ...

htmx requests get `again(refusal)` with 422 (htmx-config swaps 422); plain form posts get it
with 422 when the refusal names fields (what was typed is shown again, never lost) or when the
view names no `back`, else a flash and a 303 to `back`. Views without `on_refusal` fall to the app-wide handler: flash and
303 back to the page the form was on.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, flash, jsonify, make_response, redirect, render_template, request
from htmx_flask import request as hx_request
from jinja2_fragments.flask import render_block
from werkzeug.wrappers import Response

from app.core.refusal import Refusal
from app.extensions import db
from app.web.errors import wants_json

STOP_POLLING = 286  # htmx stops a poll that answers 286


@dataclass(frozen=True)
class Outcome:
    """What a block shows after an action: its message, and the field errors when refused."""

    ok: bool
    message: str
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def done(cls, message: str) -> Outcome:
        return cls(True, message)

    @classmethod
    def refused(cls, refusal: Refusal) -> Outcome:
        return cls(False, refusal.message, refusal.fields)


def render(
    template: str,
    *,
    block: str | None = None,
    private: bool = False,
    final: bool = False,
    status: int = 200,
    **context: Any,
) -> Response:
    """The page, or `block` of it for an htmx request; see the module's docstring."""
    if block is not None and hx_request.htmx:
        html = render_block(template, block, **context)
    else:
        html = render_template(template, **context)
    response = make_response(html, STOP_POLLING if (final and status == 200 and hx_request.htmx) else status)
    return vary(response, private=private)


def vary(response: Response, *, private: bool = False, status: int | None = None) -> Response:
    """Headers every page-or-fragment answer carries (for answers not built by `render`)."""
    if status is not None:
        response.status_code = status
    response.headers["Vary"] = "HX-Request"
    if private:
        response.headers["Cache-Control"] = "no-store"
    return response


def download(body, content_type: str, filename: str, *, inline: bool = False) -> Response:
    """A file answer (PDF, .ics, CSV; `body` may be a streamed iterable): private, never cached,
    opened in the browser (`inline`) or saved under `filename`."""
    response = current_app.response_class(body, content_type=content_type)
    response.headers["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{filename}"'
    return private(response)


def private(response: Response, status: int | None = None) -> Response:
    """A response that may carry unlocked contact data: never cached, variants kept apart."""
    return vary(response, private=True, status=status)


def _same_origin_referrer() -> str | None:
    ref = request.referrer
    if not ref:
        return None
    parts = urlsplit(ref)
    if parts.netloc and parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def answer_refusal(
    refusal: Refusal,
    *,
    back: str | None = None,
    again: Callable[[Refusal], Response] | None = None,
    status: int | None = 422,
    in_place: bool = False,
) -> Response:
    """What a refused person sees; the transaction is rolled back first (nothing is written).
    `status` is what the re-rendered block answers with (422 unless the view's block is itself
    the outcome, e.g. a card that says what happened; None keeps what `again` answered);
    `in_place` shows it to plain form posts too (a page that has nowhere else to go back to)."""
    db.session.rollback()
    if again is not None and (hx_request.htmx or refusal.fields or in_place):
        response = again(refusal)
        if status is not None:
            response.status_code = status
        return response
    flash(refusal.message, "error")
    target = back or _same_origin_referrer() or request.path
    if hx_request.htmx:  # nothing to re-render in place: load the page that shows the flash
        response = make_response("", 204)
        response.headers["HX-Location"] = target
        return response
    return redirect(target, code=303)


def refused_fields(form: Any, refusal: Refusal) -> None:
    """Show a refusal's field errors on a WTForms form, next to its own validation errors."""
    for name, why in refusal.fields.items():
        form[name].errors.append(why)


def on_refusal(
    *,
    back: Callable[..., str] | None = None,
    again: Callable[..., Response] | None = None,
    status: int | None = 422,
) -> Callable:
    """Declare, once per view, where a refusal goes back to and how the refused block is shown
    again. Both are called with the view's URL arguments (`again` gets the refusal first). With
    `again` and no `back`, the refusal is always shown in place (the page is its own answer)."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(**kwargs: Any):
            try:
                return view(**kwargs)
            except Refusal as refusal:
                return answer_refusal(
                    refusal,
                    back=back(**kwargs) if back is not None else None,
                    again=(lambda r: again(r, **kwargs)) if again is not None else None,
                    status=status,
                    in_place=again is not None and back is None,
                )

        return wrapper

    return decorate


def init_app(app: Flask) -> None:
    @app.errorhandler(Refusal)
    def refused(refusal: Refusal):
        if wants_json():
            db.session.rollback()
            body = {"error": refusal.code or "refused", "message": refusal.message, "fields": refusal.fields}
            return jsonify(body), 422
        return answer_refusal(refusal)
