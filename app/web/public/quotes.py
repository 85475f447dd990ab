"""The customer's side of a quote lead, on the tracking page: the quotes as they arrive,
"choose this provider", "job done" and one review. Registered on the public blueprint; the
panel is included from templates/public/tracking.html."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from htmx_flask import request as hx_request
from sqlalchemy import select

from app.core.refusal import Refusal
from app.extensions import db
from app.leads import timeline
from app.leads import tracking as tracking_service
from app.models import Lead
from app.quotes import customer, reviews
from app.web.public.views import bp, tracking_panels
from app.web.responses import Outcome, on_refusal, render


def _lead(token: str, mode: str | None = "quotes") -> Lead:
    query = select(Lead).where(Lead.public_token == token)
    if mode is not None:
        query = query.where(Lead.mode == mode)
    return db.session.scalar(query) or abort(404)


def _status(lead: Lead, outcome: Outcome, status: int = 200):
    """The tracking page (or, for htmx, its status block) saying what the action did."""
    db.session.refresh(lead)
    response = render(
        "public/tracking.html",
        block="status",
        private=True,
        status=status,
        lead=lead,
        view=tracking_service.view(lead),
        events=timeline.public_events(lead),
        quote_result=outcome,
        quote_form=request.form if not outcome.ok else {},
        **tracking_panels(lead),
    )
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _done(lead: Lead, message: str):
    """No JS: redirect back with a message. htmx: answer the tracking page's status block,
    message included."""
    db.session.commit()
    if not hx_request.htmx:
        flash(message, "success")
        return redirect(url_for("public.tracking", token=lead.public_token), code=303)
    return _status(lead, Outcome.done(message))


def _refused(refusal: Refusal, token: str, **_):
    """The page with the errors (422), or for htmx the status block saying why."""
    lead = db.session.scalar(select(Lead).where(Lead.public_token == token)) or abort(404)
    return _status(lead, Outcome.refused(refusal), 200 if hx_request.htmx else 422)


_REFUSED = on_refusal(again=_refused, status=None)


@bp.post("/t/<token>/choose/<int:assignment_id>")
@_REFUSED
def quote_choose(token: str, assignment_id: int):
    lead = _lead(token)
    return _done(lead, customer.choose(db.session, lead, assignment_id).message)


@bp.post("/t/<token>/done")
@_REFUSED
def quote_done(token: str):
    lead = _lead(token, mode=None)  # any request a provider got: direct, broadcast or the chosen quote
    return _done(lead, customer.mark_done(db.session, lead).message)


@bp.post("/t/<token>/review")
@_REFUSED
def quote_review(token: str):
    lead = _lead(token, mode=None)
    return _done(lead, reviews.leave(db.session, lead, request.form.get("rating"), request.form.get("text")).message)
