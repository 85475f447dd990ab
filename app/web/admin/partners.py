"""Admin: Partner API partners and their keys. A new key is shown once, on the page that
answers its creation (no-store), and never again; every action writes the audit log."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from app.extensions import db
from app.models import ApiKey, Partner, PartnerLead
from app.partners import keys as partners
from app.web.access import admin_required
from app.web.admin.views import bp
from app.web.responses import render


def _index(errors: dict | None = None, name: str = "", status: int = 200):
    lead_counts = dict(
        db.session.execute(select(PartnerLead.partner_id, func.count()).group_by(PartnerLead.partner_id)).all()
    )
    rows = db.session.scalars(select(Partner).order_by(Partner.name)).unique().all()
    return render_template(
        "admin/partners.html", partners=rows, lead_counts=lead_counts, errors=errors or {}, name=name
    ), status


def _detail(partner: Partner, new_key: str | None = None, errors: dict | None = None, status: int = 200):
    leads = db.session.scalar(select(func.count()).select_from(PartnerLead).where(PartnerLead.partner_id == partner.id))
    return render(
        "admin/partner_detail.html",
        private=new_key is not None,  # the new key is shown once: never cached
        status=status,
        partner=partner,
        new_key=new_key,
        lead_count=leads,
        errors=errors or {},
    )


@bp.get("/partners", endpoint="partners")
@admin_required
def partners_index():
    return _index()


@bp.post("/partners", endpoint="create_partner")
@admin_required
def create_partner():
    name = (request.form.get("name") or "").strip()
    errors = {}
    if not 2 <= len(name) <= 120:
        errors["name"] = "Name: enter the partner's name, 2 to 120 characters."
    elif db.session.scalar(select(Partner.id).where(func.lower(Partner.name) == name.lower())):
        errors["name"] = f"Name: a partner called {name} already exists."
    if errors:
        return _index(errors, name, 422)
    partner = partners.create_partner(db.session, name, current_user, ip=request.remote_addr)
    db.session.commit()
    flash(f"Partner {partner.name} created. Create an API key for it below.", "success")
    return redirect(url_for("admin.partner_detail", partner_id=partner.id), code=303)


@bp.get("/partners/<int:partner_id>", endpoint="partner_detail")
@admin_required
def partner_detail(partner_id: int):
    return _detail(db.session.get(Partner, partner_id) or abort(404))


@bp.post("/partners/<int:partner_id>/keys", endpoint="create_partner_key")
@admin_required
def create_partner_key(partner_id: int):
    partner = db.session.get(Partner, partner_id) or abort(404)
    label = (request.form.get("label") or "").strip()
    if len(label) > 80:
        return _detail(partner, errors={"label": "Label: keep it under 80 characters."}, status=422)
    created = partners.create_key(db.session, partner, current_user, label, ip=request.remote_addr)
    db.session.commit()
    return _detail(partner, new_key=created.plaintext, status=201)


@bp.post("/partners/<int:partner_id>/keys/<int:key_id>/revoke", endpoint="revoke_partner_key")
@admin_required
def revoke_partner_key(partner_id: int, key_id: int):
    api_key = db.session.get(ApiKey, key_id)
    if api_key is None or api_key.partner_id != partner_id:
        abort(404)
    if partners.revoke_key(db.session, api_key, current_user, ip=request.remote_addr):
        flash(f"Key {api_key.display} revoked: requests with it now get 401.", "success")
    else:
        flash(f"Key {api_key.display} was already revoked.", "info")
    db.session.commit()
    return redirect(url_for("admin.partner_detail", partner_id=partner_id), code=303)


@bp.post("/partners/<int:partner_id>/active", endpoint="set_partner_active")
@admin_required
def set_partner_active(partner_id: int):
    partner = db.session.get(Partner, partner_id) or abort(404)
    active = request.form.get("active") == "1"
    partners.set_active(db.session, partner, active, current_user, ip=request.remote_addr)
    db.session.commit()
    flash(
        f"{partner.name} {'reactivated' if active else 'deactivated: its keys get 401 until reactivated'}.", "success"
    )
    return redirect(url_for("admin.partner_detail", partner_id=partner.id), code=303)
