"""Admin: the verification queue (approve / reject with a note, inline over htmx)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from htmx_flask import request as hx_request
from jinja2_fragments.flask import render_block

from app.accounts import verification
from app.extensions import db
from app.models import VerificationRequest
from app.web.access import admin_required
from app.web.admin.views import bp

TEMPLATE = "admin/verification.html"


@bp.get("/verification", endpoint="verification")
@admin_required
def verification_queue():
    status = request.args.get("status", "pending")
    if status not in ("pending", "approved", "rejected"):
        status = "pending"
    return render_template(TEMPLATE, requests=verification.queue(db.session, status), status=status)


@bp.post("/verification/<int:request_id>/decide")
@admin_required
def verification_decide(request_id: int):
    item = db.session.get(VerificationRequest, request_id) or abort(404)
    action, note = request.form.get("action"), (request.form.get("note") or "").strip()
    error = None
    if action not in ("approve", "reject"):
        error = "Choose approve or reject."
    elif action == "reject" and not note:
        error = "Add a note saying why: the provider sees it."
    elif len(note) > 2000:
        error = "Keep the note under 2,000 characters."
    elif (
        verification.decide(
            db.session, request_id, current_user, approve=action == "approve", note=note, ip=request.remote_addr
        )
        is None
    ):
        error = "Someone already decided this request."
    if error is None:
        db.session.commit()
    else:
        db.session.rollback()
    db.session.refresh(item)
    if hx_request.htmx:
        return render_block(TEMPLATE, "item", r=item, error=error, note=note)  # 200: htmx swaps only 2xx
    flash(error or f"{item.provider.name}: {item.status}.", "error" if error else "success")
    return redirect(url_for("admin.verification"), code=303)
