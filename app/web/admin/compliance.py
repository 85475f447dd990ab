"""Admin, compliance (issue 12): sites list and search, one site's traps and records, manifest
lookup by id, the metro compliance rule editor, and the dashboard's overdue-traps chart."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from app.compliance import admin as compliance_admin
from app.compliance import records, share, sites
from app.core.refusal import Refusal
from app.extensions import db
from app.models import Metro, Site
from app.web.access import admin_required
from app.web.admin.views import bp
from app.web.responses import on_refusal, render


@bp.get("/sites")
@admin_required
def sites_list():
    q = request.args.get("q", "")
    number = request.args.get("manifest", "").strip()
    found = records.by_number(db.session, number) if number and len(number) <= 16 else None
    if found is not None:
        return redirect(
            url_for("admin.site_detail", site_id=found.trap.site_id, _anchor=f"record-{found.id}"), code=303
        )
    return render(
        "admin/sites.html",
        private=True,
        q=q,
        manifest=number,
        manifest_missing=bool(number),
        sites=compliance_admin.search_sites(db.session, q),
    )


@bp.get("/sites/<int:site_id>")
@admin_required
def site_detail(site_id: int):
    site = db.session.get(Site, site_id) or abort(404)
    view = share.site_record(db.session, site, sites.today_in(site))
    return render("admin/site.html", private=True, view=view, leads=sites.leads_of(db.session, site.owner_email))


def _rule_again(refusal: Refusal, metro_id: int):
    metro = db.session.get(Metro, metro_id) or abort(404)
    data = compliance_admin.parse_rule(request.form)
    data.errors = refusal.fields
    return render("admin/compliance_rule.html", metro=metro, data=data)


@bp.route("/metros/<int:metro_id>/compliance", methods=["GET", "POST"])
@admin_required
@on_refusal(again=_rule_again)
def compliance_rule(metro_id: int):
    metro = db.session.get(Metro, metro_id) or abort(404)
    if request.method == "POST":
        moved = compliance_admin.update_rule(
            db.session, metro, compliance_admin.parse_rule(request.form), current_user, request.remote_addr
        )
        db.session.commit()
        flash(f"{metro.name}: compliance rule saved; {moved} trap due dates recomputed.", "success")
        return redirect(url_for("admin.metros"), code=303)
    return render("admin/compliance_rule.html", metro=metro, data=compliance_admin.rule_input(db.session, metro))
