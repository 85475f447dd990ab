"""The admin escrow inbox (issue 4): every lead waiting on staff, with one-click actions."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from htmx_flask import request as hx_request

from app.core import clock
from app.core.refusal import Refusal
from app.direct import escrow_actions, escrow_inbox
from app.extensions import db
from app.leads import review
from app.models import Lead
from app.web.access import admin_required
from app.web.admin.views import bp
from app.web.responses import on_refusal, render

ACTIONS = {
    "outreach": escrow_actions.send_outreach,
    "release": escrow_actions.release,
    "teaser": escrow_actions.use_teaser,
    "convert": escrow_actions.convert_to_broadcast,
    "spam": lambda s, lead, user, ip: escrow_actions.close(s, lead, user, "spam", ip),
    "cancel": lambda s, lead, user, ip: escrow_actions.close(s, lead, user, "cancelled", ip),
}


def _back() -> str:
    back = request.form.get("back") or ""
    return back if back.startswith("/admin/") else url_for("admin.escrow")


def escrow_rows(leads: list[Lead]) -> dict[int, escrow_actions.Row]:
    """What each inbox row shows besides the lead (reason and its words, age, the actions that
    apply), for all rows at once: a fixed number of statements, not one per row."""
    return escrow_actions.rows(db.session, leads, clock.now())


@bp.get("/escrow", endpoint="escrow")
@admin_required
def escrow_page():
    reason = request.args.get("reason") or None
    metro_id = request.args.get("metro", type=int)
    box = escrow_inbox.inbox(
        db.session, reason if reason in escrow_inbox.FILTER_ORDER else None, metro_id, request.args.get("after")
    )
    metros = escrow_inbox.metros_waiting(db.session, also=metro_id)
    return render(
        "admin/escrow.html",
        private=True,
        box=box,
        reason=reason,
        metro_id=metro_id,
        metros=metros,
        escrow_rows=escrow_rows(box.rows),
        order=escrow_inbox.FILTER_ORDER,
    )


@bp.get("/escrow/<int:lead_id>/timeline")
@admin_required
def escrow_timeline(lead_id: int):
    lead = db.session.get(Lead, lead_id) or abort(404)
    if not hx_request.htmx:
        return redirect(url_for("admin.lead", lead_id=lead_id))
    return render("admin/_timeline.html", private=True, lead=lead)


def _row(lead_id: int, tone: str, text: str):
    """The inbox row again, saying what the action did (htmx swaps it in place), and the filter
    counts of the page it came from out of band, so the badges stay true after every action."""
    lead = db.session.get(Lead, lead_id) or abort(404)
    back = _back()
    query = parse_qs(urlsplit(back).query)
    reason: str | None = (query.get("reason") or [""])[0] or None
    metro = (query.get("metro") or [""])[0]
    metro_id = int(metro) if metro.isdigit() else None
    box = escrow_inbox.inbox(db.session, reason if reason in escrow_inbox.FILTER_ORDER else None, metro_id)
    return render(
        "admin/_escrow_row_action.html",
        private=True,
        lead=lead,
        notice={"tone": tone, "text": text},
        back=back,
        escrow_rows=escrow_rows([lead]),
        box=box,
        reason=reason,
        metro_id=metro_id,
        order=escrow_inbox.FILTER_ORDER,
    )


@bp.post("/escrow/<int:lead_id>/<action>")
@admin_required
@on_refusal(
    back=lambda lead_id, action: _back(),
    again=lambda refusal, lead_id, action: _row(lead_id, "error", refusal.message),
    status=200,  # the row says why, like any other outcome of the action
)
def escrow_action(lead_id: int, action: str):
    lead = db.session.get(Lead, lead_id) or abort(404)
    if action != "verify" and action not in ACTIONS:
        abort(404)
    if action == "verify":
        if not review.verify(db.session, [lead_id], current_user, ip=request.remote_addr):
            raise Refusal("This request is not held for review.")
        message = "Verified; routing now."
    else:
        message = ACTIONS[action](db.session, lead, current_user, request.remote_addr)
    db.session.commit()
    if hx_request.htmx:
        db.session.refresh(lead)
        return _row(lead_id, "success", message)
    flash(message, "success")
    return redirect(_back(), code=303)


@bp.post("/escrow/verify")
@admin_required
def escrow_verify_many():
    ids = [int(v) for v in request.form.getlist("lead_ids") if v.isdigit()]
    if not ids:
        flash("Lead ids: tick at least one held request to verify.", "error")
        return redirect(_back(), code=303)
    done = review.verify(db.session, ids, current_user, ip=request.remote_addr)
    db.session.commit()
    flash(f"Verified {len(done)} of {len(ids)} selected request(s); routing now.", "success")
    return redirect(_back(), code=303)
