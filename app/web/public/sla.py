"""The one-click resume link of an automatic (SLA) pause (issue 13).

The emailed link is signed and bound to that pause; opening it shows one button (a POST, so a
mail scanner that follows links resumes nothing). No sign-in needed: the link is the proof."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from app.broadcast import sla
from app.direct import release
from app.extensions import db
from app.web.public.views import bp


@bp.route("/resume-offers/<token>", methods=["GET", "POST"], endpoint="sla_resume")
def sla_resume(token: str):
    provider = sla.provider_for_token(db.session, token)
    if provider is None:
        return render_template("public/sla_resume.html", provider=None), 404
    if request.method == "POST":
        if not sla.resume(db.session, provider):
            abort(409)
        release.release_for_provider(db.session, provider)  # direct requests held while paused go out
        db.session.commit()
        flash(f"Welcome back: {provider.name} gets offers again.", "success")
        return redirect(url_for("public.provider", slug=provider.slug), code=303)
    return render_template("public/sla_resume.html", provider=provider, token=token)
