"""Admin: the audit log (who did what, when, to which object)."""

from __future__ import annotations

from flask import render_template, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.core import paging
from app.extensions import db
from app.models import AuditLog
from app.web.access import admin_required
from app.web.admin.views import bp

PAGE = 100


@bp.get("/audit", endpoint="audit")
@admin_required
def audit_log():
    action, object_type = request.args.get("action") or "", request.args.get("object_type") or ""
    query = select(AuditLog).options(selectinload(AuditLog.actor))  # every row shows who
    if action:
        query = query.where(AuditLog.action.startswith(action))
    if object_type:
        query = query.where(AuditLog.object_type == object_type)
    entries = paging.page(db.session, query, [AuditLog.id], after=request.args.get("after"), size=PAGE, descending=True)
    return render_template("admin/audit.html", entries=entries, action=action, object_type=object_type)
