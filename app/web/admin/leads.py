"""Admin leads (issue 4): search, and a lead page with its full timeline."""

from __future__ import annotations

from flask import abort, request
from sqlalchemy import ColumnElement, or_, select

from app.direct import escrow_inbox
from app.extensions import db
from app.models import Lead
from app.web.access import admin_required
from app.web.admin.escrow import escrow_rows
from app.web.admin.views import bp
from app.web.responses import render


def search(q: str, status: str | None, limit: int = 100) -> list[Lead]:
    query = select(Lead).order_by(Lead.id.desc()).limit(limit)
    if status:
        query = query.where(Lead.status == status)
    if q:
        like = f"%{q.lower()}%"
        digits = "".join(ch for ch in q if ch.isdigit())
        conditions: list[ColumnElement[bool]] = [
            Lead.customer_name.ilike(like),
            Lead.customer_email.ilike(like),
            Lead.city.ilike(like),
            Lead.business_name.ilike(like),
        ]
        if digits:
            conditions.append(Lead.customer_phone.ilike(f"%{digits}%"))
            if q.strip().lstrip("#").isdigit():
                conditions.append(Lead.id == int(q.strip().lstrip("#")))
        query = query.where(or_(*conditions))
    return list(db.session.scalars(query))


@bp.get("/leads")
@admin_required
def leads():
    q = (request.args.get("q") or "").strip()
    status = request.args.get("status") or None
    return render("admin/leads.html", private=True, leads=search(q, status), q=q, status=status)


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
