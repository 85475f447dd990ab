"""The admin area: dashboard and the email outbox."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from app.broadcast import sla
from app.core import paging
from app.extensions import db
from app.models import Lead, OutboxEmail, VerificationRequest
from app.platform import audit, outbox
from app.reporting import metrics
from app.web.access import admin_required
from app.web.admin import refund_chart
from app.web.admin.charts import dashboard_charts
from app.web.admin.compliance_chart import overdue_chart

bp = Blueprint("admin", __name__)
EMAILS_PAGE = 200


@bp.after_request
def no_store(response):
    """Admin pages list customers' names, addresses and phones (the outbox, leads, escrow,
    audit...): none of them may be kept by a browser or proxy cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/")
@admin_required
def dashboard():
    held = db.session.scalar(select(func.count(Lead.id)).where(Lead.status == "pending"))
    escrowed = db.session.scalar(
        select(func.count(Lead.id)).where(Lead.delivery_status == "pending", Lead.status == "verified")
    )
    pending_verifications = db.session.scalar(
        select(func.count(VerificationRequest.id)).where(VerificationRequest.status == "pending")
    )
    days = metrics.parse_days(request.args.get("days"))
    cache_seconds = current_app.config["DASHBOARD_CACHE_SECONDS"]
    figures = metrics.cached_dashboard(db.session, days, cache_seconds)
    charts = dashboard_charts(figures)
    charts.append(refund_chart.auto_refunds(db.session, metrics.Period.last(days)))
    charts.append(overdue_chart())  # issue 12: traps by status per metro
    return render_template(
        "admin/dashboard.html",
        held=held,
        escrowed=escrowed,
        email_counts=figures.emails,  # counted with the charts (sent in the period grows with volume)
        as_of=figures.period.end,
        cache_seconds=cache_seconds,
        pending_verifications=pending_verifications,
        days=days,
        periods=metrics.PERIODS,
        charts=charts,
        sla_paused=sla.auto_paused_count(db.session),
    )


@bp.get("/emails")
@admin_required
def emails():
    status = request.args.get("status") or None
    query = select(OutboxEmail)
    if status:
        query = query.where(OutboxEmail.status == status)
    emails = paging.page(
        db.session, query, [OutboxEmail.id], after=request.args.get("after"), size=EMAILS_PAGE, descending=True
    )
    return render_template("admin/emails.html", emails=emails, status=status)


@bp.post("/emails/<int:email_id>/retry")
@admin_required
def retry_email(email_id: int):
    row = db.session.get(OutboxEmail, email_id) or abort(404)
    if outbox.retry_failed(db.session, email_id):
        audit.log(
            db.session,
            current_user,
            "email.retry",
            row,
            f"Retried email #{row.id} to {row.to_email}",
            ip=request.remote_addr,
        )
        flash("Email queued for another try.", "success")
    else:
        flash("Only failed emails can be retried.", "error")
    db.session.commit()
    return redirect(url_for("admin.emails"), code=303)
