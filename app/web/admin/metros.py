"""Admin (issue 5): metro broadcast policy editor, and unaccepted/live broadcast leads with
assign-by-hand and restart-waves actions."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app.broadcast import admin_actions, metro_policy, offer_cards, pool, waves
from app.core.refusal import Refusal
from app.extensions import db
from app.models import Lead, Metro, Provider
from app.models.provider import TIERS
from app.web.access import admin_required
from app.web.admin.views import bp
from app.web.responses import on_refusal, render


@bp.get("/metros")
@admin_required
def metros():
    rows = list(db.session.scalars(select(Metro).order_by(Metro.name)))
    return render_template("admin/metros.html", metros=rows, summary=metro_policy.plan_summary)


def _policy_refused(refusal: Refusal, metro_id: int):
    """The editor again with what was typed and the errors beside it."""
    metro = db.session.get(Metro, metro_id) or abort(404)
    return render(
        "admin/metro_edit.html",
        metro=metro,
        data=metro_policy.parse(request.form),
        tiers=TIERS,
        labels=metro_policy.POLICY_LABELS,
    )


@bp.route("/metros/<int:metro_id>", methods=["GET", "POST"])
@admin_required
@on_refusal(again=_policy_refused)
def metro_edit(metro_id: int):
    metro = db.session.get(Metro, metro_id) or abort(404)
    if request.method == "POST":
        metro_policy.update(db.session, metro, metro_policy.parse(request.form), current_user, request.remote_addr)
        db.session.commit()
        flash(f"{metro.name}: broadcast policy saved.", "success")
        return redirect(url_for("admin.metros"), code=303)
    data = metro_policy.PolicyInput(
        metro.pool_policy,
        metro.unverified_preview,
        metro.consent_wait_hours,
        metro.wave_plan,
        rows=metro_policy.rows_for(metro),
        consent_wait_emergency_minutes=metro.consent_wait_emergency_minutes,
        sla_miss_limit=metro.sla_miss_limit,
    )
    return render_template(
        "admin/metro_edit.html", metro=metro, data=data, tiers=TIERS, labels=metro_policy.POLICY_LABELS
    )


@bp.get("/broadcasts")
@admin_required
def broadcasts():
    return render_template(
        "admin/broadcasts.html",
        waiting=admin_actions.unaccepted(db.session),
        live=admin_actions.live(db.session),
        summary=offer_cards.summary,
    )


@bp.get("/broadcasts/<int:lead_id>")
@admin_required
def broadcast(lead_id: int, error: str | None = None, status: int = 200):
    lead = db.session.get(Lead, lead_id) or abort(404)
    if lead.mode != "broadcast":
        abort(404)
    return render(
        "admin/broadcast.html",
        private=True,  # admins see the full contact
        status=status,
        lead=lead,
        error=error,
        choices=pool.hand_assign_choices(db.session, lead),
        waiting=lead.delivery_status == "pending" and lead.escrow_reason == waves.ESCROW_REASON,
        summary=offer_cards.summary(lead),
    )


def _act(lead_id: int, action, done: str):
    lead = db.session.get(Lead, lead_id) or abort(404)
    action(lead)
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("admin.broadcast", lead_id=lead_id), code=303)


_REFUSED = on_refusal(again=lambda refusal, lead_id: broadcast(lead_id, error=refusal.message), status=409)


@bp.post("/broadcasts/<int:lead_id>/assign")
@admin_required
@_REFUSED
def broadcast_assign(lead_id: int):
    provider = db.session.get(Provider, request.form.get("provider_id", type=int) or 0)
    if provider is None:
        return broadcast(lead_id, error="Provider: choose who gets this lead.", status=422)
    return _act(
        lead_id,
        lambda lead: admin_actions.assign_by_hand(db.session, lead, provider, current_user, request.remote_addr),
        f"Assigned to {provider.name}; they and the customer were told.",
    )


@bp.post("/broadcasts/<int:lead_id>/restart")
@admin_required
@_REFUSED
def broadcast_restart(lead_id: int):
    return _act(
        lead_id,
        lambda lead: admin_actions.restart(db.session, lead, current_user, request.remote_addr),
        "Offer waves restarted.",
    )
