"""The provider area (dashboard, inbox, settings)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from app.web.access import provider_required

bp = Blueprint("provider", __name__)


@bp.get("/")
@provider_required
def dashboard():
    return render_template("provider/dashboard.html", provider=current_user.provider)
