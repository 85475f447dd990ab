"""The customer's answer to "offer your request to other providers?" on the tracking page (issue 4)."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from sqlalchemy import select

from app.core.refusal import Refusal
from app.direct import consent
from app.extensions import db
from app.models import Lead
from app.web.public.views import bp
from app.web.responses import on_refusal


@bp.post("/t/<token>/consent")
@on_refusal(back=lambda token: url_for("public.tracking", token=token))
def tracking_consent(token: str):
    lead = db.session.scalar(select(Lead).where(Lead.public_token == token)) or abort(404)
    answer = request.form.get("answer")
    if answer not in ("yes", "no"):
        raise Refusal("Answer: choose yes or no.")
    flash(consent.answer(db.session, lead, answer == "yes"), "success")
    db.session.commit()
    return redirect(url_for("public.tracking", token=token), code=303)
