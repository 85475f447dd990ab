"""The customer's answer to "offer your request to other providers?" on the tracking page (issue 4)."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from sqlalchemy import select

from app.direct import consent
from app.extensions import db
from app.models import Lead
from app.web.public.views import bp


@bp.post("/t/<token>/consent")
def tracking_consent(token: str):
    lead = db.session.scalar(select(Lead).where(Lead.public_token == token)) or abort(404)
    answer = request.form.get("answer")
    if answer not in ("yes", "no"):
        flash("Answer: choose yes or no.", "error")
    elif consent.answer(db.session, lead, answer == "yes"):
        db.session.commit()
        flash("Thanks, we've noted your answer.", "success")
    else:
        flash("This question is no longer open; the page shows where your request is now.", "error")
    return redirect(url_for("public.tracking", token=token), code=303)
