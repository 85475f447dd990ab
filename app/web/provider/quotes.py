"""Provider area: quote leads (preview, unlock with credits, the lead card's status actions,
report a bad lead) and the credit wallet. Registered on the provider blueprint."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from htmx_flask import request as hx_request

from app.extensions import db
from app.models import Lead
from app.models.economics import LOST_REASONS
from app.pipeline import stages as pipeline
from app.quotes import credits, disputes, preview, unlock
from app.web.access import provider_required
from app.web.provider.pipeline import stage_fields
from app.web.provider.views import bp
from app.web.responses import Outcome, on_refusal, render


def _provider():
    return current_user.provider or abort(403, "Claim a listing first.")


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@bp.get("/quotes", endpoint="quotes")
@provider_required
def quotes_list():
    provider = _provider()
    cards = [preview.card(db.session, lead, provider) for lead in preview.visible_leads(db.session, provider)]
    return render(
        "provider/quotes.html",
        private=True,  # unlocked cards show the customer's details
        provider=provider,
        cards=cards,
        balance=credits.balance(db.session, provider.id),
    )


def _card_response(lead_id: int, outcome: Outcome | None = None, status: int = 200):
    """The lead page, or just its card block for htmx; no-store once the contact is unlocked."""
    provider = _provider()
    lead = db.session.get(Lead, lead_id)
    if lead is None or lead.mode != "quotes":
        abort(404)
    card = preview.card(db.session, lead, provider)
    if card.assignment is None and not preview.may_preview(provider, lead):
        abort(404)  # not a lead this provider may look at
    return render(
        "provider/quote_lead.html",
        block="card",
        private=card.assignment is not None,
        status=status,
        provider=provider,
        card=card,
        result=outcome,
        dispute=disputes.dispute_of(db.session, card.assignment.id) if card.assignment else None,
        reasons=disputes.REASON_LABELS,
        lost_reasons=LOST_REASONS,
    )


@bp.get("/quotes/<int:lead_id>")
@provider_required
def quote_lead(lead_id: int):
    provider = _provider()
    lead = db.session.get(Lead, lead_id) or abort(404)
    if preview.may_preview(provider, lead):
        preview.record_view(db.session, lead, provider)  # the first look counts, once
        db.session.commit()
    return _card_response(lead_id)


def _after_action(lead_id: int, message: str):
    db.session.commit()
    if hx_request.htmx:
        return _card_response(lead_id, Outcome.done(message))
    flash(message, "success")
    return redirect(url_for("provider.quote_lead", lead_id=lead_id), code=303)


# The card says why, in place: htmx swaps it with 200 like any outcome; a plain post gets the page, 422.
_REFUSED = on_refusal(
    again=lambda refusal, lead_id, **_: _card_response(
        lead_id, Outcome.refused(refusal), 200 if hx_request.htmx else 422
    ),
    status=None,
)


@bp.post("/quotes/<int:lead_id>/unlock")
@provider_required
@_REFUSED
def quote_unlock(lead_id: int):
    done = unlock.unlock(db.session, lead_id, _provider(), _int(request.form.get("price")))
    return _after_action(lead_id, done.message)


@bp.post("/quotes/<int:lead_id>/status/<action>")
@provider_required
@_REFUSED
def quote_status(lead_id: int, action: str):
    done = pipeline.transition(db.session, lead_id, _provider(), action, **stage_fields(request.form))
    return _after_action(lead_id, done.message)


@bp.post("/quotes/<int:lead_id>/report")
@provider_required
@_REFUSED
def quote_report(lead_id: int):
    done = disputes.report(db.session, lead_id, _provider(), request.form.get("reason"), request.form.get("details"))
    return _after_action(lead_id, done.message)


@bp.get("/credits", endpoint="credits")
@provider_required
def credits_page():
    provider = _provider()
    return render_template(
        "provider/credits.html",
        provider=provider,
        balance=credits.balance(db.session, provider.id),
        entries=credits.history(db.session, provider.id),
    )
