"""Admin: providers (list, detail with plan change, suspend and reinstate)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from app.accounts import plans, verification
from app.core import paging
from app.extensions import db
from app.leads import search as lead_search
from app.models import AuditLog, Metro, Provider
from app.models.provider import PROVIDER_STATUSES, TIERS
from app.web.access import admin_required
from app.web.admin.views import bp

PROVIDERS_PAGE = 100


@bp.get("/providers", endpoint="providers")
@admin_required
def providers_list():
    q, status, metro = (request.args.get("q") or "").strip(), request.args.get("status"), request.args.get("metro")
    query = select(Provider).options(selectinload(Provider.owner))  # every row shows its owner
    if q:
        # ILIKE on PostgreSQL reads the name's trigram index (ix_providers_name_trgm)
        like = lead_search.like_pattern(q)
        query = query.where(or_(Provider.name.ilike(like, escape="\\"), Provider.slug.ilike(like, escape="\\")))
    if status in PROVIDER_STATUSES:
        query = query.where(Provider.status == status)
    if metro:
        # typed, not picked from a list of every metro (hundreds of them at scale): name or slug
        query = query.join(Metro, Provider.home_metro_id == Metro.id).where(
            or_(Metro.slug == metro.strip().lower(), func.lower(Metro.name) == metro.strip().lower())
        )
    sla_only = request.args.get("paused") == "sla"  # issue 13: paused automatically for unanswered offers
    if sla_only:
        query = query.where(Provider.paused.is_(True), Provider.sla_paused_at.is_not(None))
    return render_template(
        "admin/providers.html",
        providers=paging.page(
            db.session, query, [Provider.name, Provider.id], after=request.args.get("after"), size=PROVIDERS_PAGE
        ),
        q=q,
        status=status,
        metro=metro,
        sla_only=sla_only,
    )


@bp.get("/providers/<int:provider_id>")
@admin_required
def provider_detail(provider_id: int):
    provider = db.session.get(Provider, provider_id) or abort(404)
    history = list(
        db.session.scalars(
            select(AuditLog)
            .where(AuditLog.object_type == "provider", AuditLog.object_id == provider.id)
            .order_by(AuditLog.id.desc())
            .limit(50)
        )
    )
    return render_template(
        "admin/provider_detail.html",
        provider=provider,
        history=history,
        latest=verification.latest_for(db.session, provider.id),
    )


@bp.post("/providers/<int:provider_id>/tier")
@admin_required
def provider_tier(provider_id: int):
    provider = db.session.get(Provider, provider_id) or abort(404)
    tier = request.form.get("tier")
    if tier not in TIERS:
        flash("Plan: choose one of " + ", ".join(TIERS) + ".", "error")
    elif plans.set_tier(db.session, provider, tier, current_user, ip=request.remote_addr):
        db.session.commit()
        flash(f"{provider.name} is now on {tier}.", "success")
    else:
        flash(f"{provider.name} was already on {tier}.", "info")
    return redirect(url_for("admin.provider_detail", provider_id=provider.id), code=303)


@bp.post("/providers/<int:provider_id>/suspend")
@admin_required
def provider_suspend(provider_id: int):
    provider = db.session.get(Provider, provider_id) or abort(404)
    reason = (request.form.get("reason") or "").strip()
    if not reason or len(reason) > 500:
        flash("Reason: say why you suspend this provider (up to 500 characters).", "error")
    elif plans.suspend(db.session, provider, current_user, reason, ip=request.remote_addr):
        db.session.commit()
        flash(f"{provider.name} is suspended: it receives nothing.", "success")
    else:
        flash(f"{provider.name} was already suspended.", "info")
    return redirect(url_for("admin.provider_detail", provider_id=provider.id), code=303)


@bp.post("/providers/<int:provider_id>/reinstate")
@admin_required
def provider_reinstate(provider_id: int):
    provider = db.session.get(Provider, provider_id) or abort(404)
    if plans.reinstate(db.session, provider, current_user, ip=request.remote_addr):
        db.session.commit()
        flash(f"{provider.name} is reinstated as {provider.status}.", "success")
    else:
        flash(f"{provider.name} wasn't suspended.", "info")
    return redirect(url_for("admin.provider_detail", provider_id=provider.id), code=303)
