"""Admin: credit wallets. Grant credits to a provider with a note (ledger entry + audit log);
a hidden per-form key makes a double-submitted grant count once."""

from __future__ import annotations

import secrets

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app.economics import refunds
from app.extensions import db
from app.leads import search as lead_search
from app.models import CreditWallet, Provider
from app.quotes import credits
from app.web.access import admin_required
from app.web.admin.views import bp
from app.web.responses import on_refusal, render


def _page(errors: dict | None = None, status: int = 200, provider_id: int | None = None):
    q = (request.args.get("q") or "").strip()
    query = (
        select(Provider, CreditWallet.balance)
        .outerjoin(CreditWallet, CreditWallet.provider_id == Provider.id)
        .order_by(Provider.name)
        .limit(200)
    )
    if q:
        query = query.where(Provider.name.ilike(lead_search.like_pattern(q), escape="\\"))
    rows = db.session.execute(query).all()
    return render(
        "admin/credits.html",
        status=status,
        rows=rows,
        q=q,
        errors=errors or {},
        error_for=provider_id,
        new_key=secrets.token_urlsafe(16),
        refunds=refunds.recent(db.session),
    )


@bp.get("/credits", endpoint="credits")
@admin_required
def credits_index():
    return _page()


@bp.get("/credits/<int:provider_id>", endpoint="credit_history")
@admin_required
def credit_history(provider_id: int):
    provider = db.session.get(Provider, provider_id) or abort(404)
    return render_template(
        "admin/credit_history.html",
        provider=provider,
        balance=credits.balance(db.session, provider.id),
        entries=credits.history(db.session, provider.id),
        new_key=secrets.token_urlsafe(16),
    )


@bp.post("/credits/<int:provider_id>/grant", endpoint="grant_credits")
@admin_required
@on_refusal(again=lambda refusal, provider_id: _page(refusal.fields, 422, provider_id))
def grant_credits(provider_id: int):
    provider = db.session.get(Provider, provider_id) or abort(404)
    granted = credits.admin_grant(
        db.session,
        current_user,
        provider,
        request.form.get("amount"),
        request.form.get("note"),
        request.form.get("grant_key"),
        ip=request.remote_addr,
    )
    db.session.commit()
    flash(granted.message, "success" if granted.created else "info")
    back = request.form.get("next") or ""
    if not (back.startswith("/admin/") and "//" not in back and "\\" not in back):
        back = url_for("admin.credits")  # only back into the admin area, never off-site
    return redirect(back, code=303)
