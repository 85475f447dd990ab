"""The provider's pipeline on a lead it holds: stage moves, notes, the visit's .ics."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, request, url_for
from flask_login import current_user
from htmx_flask import request as hx_request

from app.direct import inbox as inbox_service
from app.extensions import db
from app.models.economics import LOST_REASONS
from app.pipeline import notes, stages
from app.quotes import disputes
from app.web.access import provider_required
from app.web.provider.views import bp
from app.web.responses import Outcome, download, on_refusal, render


def _provider():
    return current_user.provider or abort(403, "Claim a listing first.")


def lead_extras(item, outcome: Outcome | None = None) -> dict:
    """What the lead page's pipeline block needs besides the item."""
    assignment = item.assignment
    return {
        "dispute": disputes.dispute_of(db.session, assignment.id) if assignment is not None else None,
        "report_reasons": disputes.REASON_LABELS,
        "remedy": disputes.remedy(assignment) if assignment is not None else "",
        "timeline": notes.timeline_of(db.session, assignment.id) if assignment is not None else [],
        "actions": stages.TRANSITIONS,
        "lost_reasons": LOST_REASONS,
        "result": outcome,
    }


def _pipeline_block(lead_id: int, outcome: Outcome | None = None, status: int = 200):
    item = inbox_service.item(db.session, _provider(), lead_id)
    if item is None or item.assignment is None:
        abort(404)
    return render(
        "provider/inbox_lead.html",
        block="pipeline",
        private=True,
        status=status,
        provider=_provider(),
        item=item,
        **lead_extras(item, outcome),
    )


_REFUSED = on_refusal(
    again=lambda refusal, lead_id, **_: _pipeline_block(lead_id, Outcome.refused(refusal), 422),
    status=None,
)


def _after(lead_id: int, message: str):
    db.session.commit()
    if hx_request.htmx:
        return _pipeline_block(lead_id, Outcome.done(message))
    flash(message, "success")
    return redirect(url_for("provider.inbox_lead", lead_id=lead_id) + "#pipeline", code=303)


@bp.post("/inbox/<int:lead_id>/stage/<action>")
@provider_required
@_REFUSED
def pipeline_move(lead_id: int, action: str):
    done = stages.transition(db.session, lead_id, _provider(), action, **stage_fields(request.form))
    return _after(lead_id, done.message)


def stage_fields(form) -> dict[str, str | None]:
    """A stage move's fields from a posted form (the lead page's pipeline card, a quote lead's page)."""
    return {
        "notes": form.get("notes"),
        "amount": form.get("quote_amount"),
        "message": form.get("quote_message"),
        "visit_date": form.get("visit_date"),
        "visit_time": form.get("visit_time"),
        "reason": form.get("reason"),
    }


@bp.post("/inbox/<int:lead_id>/notes")
@provider_required
@_REFUSED
def pipeline_note(lead_id: int):
    done = stages.add_note(db.session, lead_id, _provider(), request.form.get("note"))
    return _after(lead_id, done.message)


@bp.post("/inbox/<int:lead_id>/report")
@provider_required
@_REFUSED
def pipeline_report(lead_id: int):
    done = disputes.report(db.session, lead_id, _provider(), request.form.get("reason"), request.form.get("details"))
    return _after(lead_id, done.message)


@bp.get("/inbox/<int:lead_id>/visit.ics")
@provider_required
def pipeline_visit_ics(lead_id: int):
    item = inbox_service.item(db.session, _provider(), lead_id)
    if item is None or item.assignment is None or item.assignment.visit_at is None:
        abort(404)
    host = urlsplit(current_app.config["APP_BASE_URL"]).hostname or "fogforge.local"
    body = notes.visit_ics(item.assignment, item.shown, host)
    return download(body, "text/calendar; charset=utf-8", f"visit-lead-{lead_id}.ics")
