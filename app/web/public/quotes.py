"""The customer's side of a quote lead, on the tracking page: the quotes as they arrive,
"choose this provider", "job done" and one review. Registered on the public blueprint; the
panel is included from templates/public/tracking.html."""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from htmx_flask import request as hx_request
from jinja2_fragments.flask import render_block
from sqlalchemy import select

from app.extensions import db
from app.leads import timeline
from app.leads import tracking as tracking_service
from app.models import Lead
from app.quotes import customer, result, reviews
from app.web.public.views import bp, tracking_panels


def _lead(token: str, mode: str | None = "quotes") -> Lead:
    query = select(Lead).where(Lead.public_token == token)
    if mode is not None:
        query = query.where(Lead.mode == mode)
    return db.session.scalar(query) or abort(404)


def _done(lead: Lead, result: result.Result):
    """No JS: redirect back with a message (or the page with the errors, 422). htmx: answer
    the tracking page's status block, message included."""
    db.session.commit()
    if result.ok and not hx_request.htmx:
        flash(result.message, "success")
        return redirect(url_for("public.tracking", token=lead.public_token), code=303)
    db.session.refresh(lead)
    ctx = dict(
        lead=lead,
        view=tracking_service.view(lead),
        events=timeline.public_events(lead),
        quote_result=result,
        quote_form=request.form if not result.ok else {},
        **tracking_panels(lead),
    )
    if hx_request.htmx:
        response = make_response(render_block("public/tracking.html", "status", **ctx))
        response.headers["Vary"] = "HX-Request"
    else:
        response = make_response(render_template("public/tracking.html", **ctx), 422)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.post("/t/<token>/choose/<int:assignment_id>")
def quote_choose(token: str, assignment_id: int):
    lead = _lead(token)
    return _done(lead, customer.choose(db.session, lead, assignment_id))


@bp.post("/t/<token>/done")
def quote_done(token: str):
    lead = _lead(token, mode=None)  # any request a provider got: direct, broadcast or the chosen quote
    return _done(lead, customer.mark_done(db.session, lead))


@bp.post("/t/<token>/review")
def quote_review(token: str):
    lead = _lead(token, mode=None)
    return _done(lead, reviews.leave(db.session, lead, request.form.get("rating"), request.form.get("text")))
