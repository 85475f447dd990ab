"""Admin: the verification queue (approve / reject with a note, inline over htmx)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from htmx_flask import request as hx_request

from app.accounts import verification
from app.core.refusal import Refusal
from app.extensions import db
from app.models import VerificationRequest
from app.web.access import admin_required
from app.web.admin.views import bp
from app.web.responses import on_refusal, render

TEMPLATE = "admin/verification.html"


@bp.get("/verification", endpoint="verification")
@admin_required
def verification_queue():
    status = request.args.get("status", "pending")
    if status not in ("pending", "approved", "rejected"):
        status = "pending"
    return render_template(TEMPLATE, requests=verification.queue(db.session, status), status=status)


def _row(request_id: int, error: str | None = None):
    """The request's row again, for htmx (200: htmx swaps only 2xx)."""
    item = db.session.get(VerificationRequest, request_id) or abort(404)
    note = (request.form.get("note") or "").strip()
    return render(TEMPLATE, block="item", r=item, error=error, note=note)


@bp.post("/verification/<int:request_id>/decide")
@admin_required
@on_refusal(
    back=lambda request_id: url_for("admin.verification"),
    again=lambda refusal, request_id: _row(request_id, refusal.message),
    status=200,
)
def verification_decide(request_id: int):
    item = db.session.get(VerificationRequest, request_id) or abort(404)
    action, note = request.form.get("action"), (request.form.get("note") or "").strip()
    if action not in ("approve", "reject"):
        raise Refusal("Choose approve or reject.")
    if action == "reject" and not note:
        raise Refusal("Add a note saying why: the provider sees it.")
    if len(note) > 2000:
        raise Refusal("Keep the note under 2,000 characters.")
    verification.decide(
        db.session, request_id, current_user, approve=action == "approve", note=note, ip=request.remote_addr
    )
    db.session.commit()
    db.session.refresh(item)
    if hx_request.htmx:
        return _row(request_id)
    flash(f"{item.provider.name}: {item.status}.", "success")
    return redirect(url_for("admin.verification"), code=303)
