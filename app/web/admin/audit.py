"""Admin: the audit log (who did what, when, to which object)."""

from __future__ import annotations

from flask import render_template, request
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog
from app.web.access import admin_required
from app.web.admin.views import bp

PAGE = 100


@bp.get("/audit", endpoint="audit")
@admin_required
def audit_log():
    action, object_type = request.args.get("action") or "", request.args.get("object_type") or ""
    before = request.args.get("before", type=int)
    query = select(AuditLog).order_by(AuditLog.id.desc()).limit(PAGE)
    if action:
        query = query.where(AuditLog.action.startswith(action))
    if object_type:
        query = query.where(AuditLog.object_type == object_type)
    if before:
        query = query.where(AuditLog.id < before)
    entries = list(db.session.scalars(query))
    older = entries[-1].id if len(entries) == PAGE else None
    return render_template("admin/audit.html", entries=entries, action=action, object_type=object_type, older=older)
