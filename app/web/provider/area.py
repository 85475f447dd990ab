"""The provider's service area page (issue 13): base ZIP, radius in miles and/or a list of ZIPs,
with the covered area described in words and counted."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from wtforms import StringField, TextAreaField
from wtforms.validators import Length, Optional

from app.accounts import service_area
from app.core.refusal import Refusal
from app.extensions import db
from app.web.access import provider_required
from app.web.forms import Form
from app.web.provider.views import bp
from app.web.responses import refused_fields, render


class ServiceAreaForm(Form):
    base_zip = StringField("Base ZIP code", validators=[Optional(), Length(max=12)])
    radius_miles = StringField("Radius in miles", validators=[Optional(), Length(max=5)])
    zip_list = TextAreaField("Other ZIP codes you serve", validators=[Optional(), Length(max=6000)])


@bp.route("/settings/area", methods=["GET", "POST"])
@provider_required
def service_area_settings():
    provider = current_user.provider
    if provider is None:
        abort(404)
    form = ServiceAreaForm(
        data=None
        if request.method == "POST"
        else {
            "base_zip": provider.base_zip or "",
            "radius_miles": str(provider.service_radius_miles or ""),
            "zip_list": " ".join(service_area.listed_zips(db.session, provider.id)),
        }
    )
    if form.validate_on_submit():
        try:
            service_area.update_area(
                db.session,
                provider,
                base_zip=form.base_zip.data,
                radius=form.radius_miles.data,
                zip_list=form.zip_list.data,
            )
        except Refusal as refusal:  # refused before anything was written
            db.session.rollback()
            refused_fields(form, refusal)
        else:
            db.session.commit()
            flash("Service area saved.", "success")
            return redirect(url_for("provider.service_area_settings"), code=303)
    return render(
        "provider/service_area.html",
        status=422 if form.errors else 200,
        form=form,
        provider=provider,
        coverage=service_area.describe(db.session, provider),
    )
