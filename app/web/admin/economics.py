"""Admin side of provider economics (issue 14): close a held lead as spam or duplicate (its
unlocks refunded at once) and the per-tier monthly prices the results page uses."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from app.economics import prices, refunds
from app.extensions import db
from app.models import Lead
from app.web.access import admin_required
from app.web.admin.views import bp
from app.web.responses import on_refusal, render


@bp.post("/leads/<int:lead_id>/close-held")
@admin_required
@on_refusal(back=lambda lead_id: url_for("admin.lead", lead_id=lead_id))
def lead_close_held(lead_id: int):
    lead = db.session.get(Lead, lead_id) or abort(404)
    message = refunds.close_unlocked(
        db.session, lead, current_user, request.form.get("reason", ""), request.remote_addr
    )
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("admin.lead", lead_id=lead_id), code=303)


def _prices_page(errors: dict | None = None, typed: dict | None = None, status: int = 200):
    return render(
        "admin/plan_prices.html",
        private=True,
        status=status,
        prices=prices.all_prices(db.session),
        errors=errors or {},
        typed=typed or {},
    )


@bp.get("/plan-prices")
@admin_required
def plan_prices():
    return _prices_page()


@bp.post("/plan-prices")
@admin_required
@on_refusal(again=lambda refusal: _prices_page(refusal.fields, request.form, 422))
def plan_prices_save():
    message = prices.save(db.session, current_user, request.form, request.remote_addr)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("admin.plan_prices"), code=303)
