"""Admin: the disputes queue. Refund = a ledger entry keyed to the unlock (never twice)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.extensions import db
from app.quotes import disputes as disputes_service
from app.web.access import admin_required
from app.web.admin.views import bp
from app.web.responses import on_refusal


@bp.get("/disputes", endpoint="disputes")
@admin_required
def disputes_index():
    status = request.args.get("status", "open")
    if status not in ("open", "refunded", "rejected", "all"):
        status = "open"
    rows = disputes_service.queue(db.session, None if status == "all" else status)
    return render_template("admin/disputes.html", disputes=rows, status=status, reasons=disputes_service.REASON_LABELS)


@bp.post("/disputes/<int:dispute_id>/<action>", endpoint="resolve_dispute")
@admin_required
@on_refusal(back=lambda **_: url_for("admin.disputes"))
def resolve_dispute(dispute_id: int, action: str):
    done = disputes_service.resolve(
        db.session, dispute_id, action, current_user, request.form.get("note"), ip=request.remote_addr
    )
    db.session.commit()
    flash(done.message, "success")
    return redirect(url_for("admin.disputes"), code=303)
