"""Admin leads (issue 4): search, and a lead page with its full timeline."""

from __future__ import annotations

from flask import abort, request

from app.core import paging
from app.direct import escrow_inbox
from app.extensions import db
from app.leads import search as lead_search
from app.models import Lead
from app.web.access import admin_required
from app.web.admin.escrow import escrow_rows
from app.web.admin.views import bp
from app.web.responses import render

PAGE = 100


def search(q: str, status: str | None, after: str | None = None, size: int = PAGE) -> paging.Page[Lead]:
    """Matching leads, newest first, one keyset page at a time."""
    stmt = lead_search.leads(lead_search.parse(q), status)
    return paging.page(db.session, stmt, [Lead.id], after=after, size=size, descending=True)


@bp.get("/leads")
@admin_required
def leads():
    q = (request.args.get("q") or "").strip()
    status = request.args.get("status") or None
    parsed = lead_search.parse(q)
    return render(
        "admin/leads.html",
        private=True,
        leads=search(q, status, request.args.get("after")),
        q=q,
        status=status,
        note=parsed.note,
    )


@bp.get("/leads/<int:lead_id>")
@admin_required
def lead(lead_id: int):
    lead = db.session.get(Lead, lead_id) or abort(404)
    waiting = escrow_inbox.is_waiting(lead)
    return render(
        "admin/lead.html",
        private=True,
        lead=lead,
        waiting=waiting,
        escrow_rows=escrow_rows([lead]),
    )
