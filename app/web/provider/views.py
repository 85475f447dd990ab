"""The provider area: dashboard, claiming a listing, verification, settings and plan."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app.accounts import claims, onboarding, plans, provider_settings, verification
from app.broadcast import sla
from app.core.refusal import Refusal
from app.direct import release
from app.extensions import db
from app.models import Category, Metro, Provider
from app.quotes import teaser
from app.web.access import provider_required
from app.web.provider.forms import NewListingForm, SettingsForm, VerificationForm
from app.web.responses import on_refusal, render

bp = Blueprint("provider", __name__)


def _listing_or_redirect():
    provider = current_user.provider
    if provider is None:
        flash("Claim your listing first (or add a new one).", "info")
    return provider


@bp.get("/")
@provider_required
def dashboard():
    provider = current_user.provider
    latest = verification.latest_for(db.session, provider.id) if provider else None
    card = onboarding.status(current_user, provider, latest)
    return render_template(
        "provider/dashboard.html",
        provider=provider,
        card=card,
        latest=latest,
        trial_available=provider is not None and plans.trial_available(provider),
        teaser_pitch=teaser.pitch(db.session, provider) if provider else None,
        responsiveness=sla.responsiveness(db.session, provider.id) if provider else None,
    )


def _claim_refused(refusal: Refusal, slug: str):
    """The claim page again, saying why (taken, or this account already has a listing)."""
    provider = db.session.scalar(select(Provider).where(Provider.slug == slug)) or abort(404)
    return render("provider/claim.html", provider=provider, own=current_user.provider, outcome=refusal.code)


@bp.route("/claim/<slug>", methods=["GET", "POST"])
@provider_required
@on_refusal(again=_claim_refused, status=409)
def claim(slug: str):
    provider = db.session.scalar(select(Provider).where(Provider.slug == slug)) or abort(404)
    own = current_user.provider
    if request.method == "POST":
        claims.claim(db.session, current_user, provider.id)
        db.session.commit()
        flash(f"You now manage {provider.name}. Next: get verified.", "success")
        return redirect(url_for("provider.dashboard"), code=303)
    return render_template("provider/claim.html", provider=provider, own=own, outcome=None)


@bp.route("/listing/new", methods=["GET", "POST"])
@provider_required
@on_refusal(back=lambda: url_for("provider.dashboard"))
def new_listing():
    if current_user.provider is not None:
        flash("Your account already manages a listing.", "info")
        return redirect(url_for("provider.dashboard"))
    form = NewListingForm()
    form.metro_id.choices = [(0, "Choose…")] + [
        (m.id, f"{m.name}, {m.state}") for m in db.session.scalars(select(Metro).order_by(Metro.name))
    ]
    form.category_ids.choices = [
        (c.id, c.name) for c in db.session.scalars(select(Category).order_by(Category.position))
    ]
    if form.validate_on_submit():
        metro = db.session.get(Metro, form.metro_id.data)
        cats = list(db.session.scalars(select(Category).where(Category.id.in_(form.category_ids.data))))
        claims.create_listing(
            db.session,
            current_user,
            name=form.name.data,
            metro=metro,
            categories=cats,
            phone=form.phone_e164,
            city=form.city.data,
        )
        db.session.commit()
        flash("Your listing is created. Next: get verified.", "success")
        return redirect(url_for("provider.dashboard"), code=303)
    return render_template("provider/new_listing.html", form=form), 422 if form.errors else 200


@bp.route("/verification", methods=["GET", "POST"])
@provider_required
def verify():
    provider = _listing_or_redirect()
    if provider is None:
        return redirect(url_for("provider.dashboard"))
    latest = verification.latest_for(db.session, provider.id)
    form = VerificationForm(data={"service_phone": provider.phone} if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            verification.submit(
                db.session,
                provider,
                current_user,
                licence_number=form.licence_number.data,
                service_phone=form.phone_e164,
                note=form.note.data,
            )
        except Refusal as refusal:  # shown above the form, what was typed kept
            db.session.rollback()
            return _verification_page(form, provider, latest, refusal.message, 422)
        db.session.commit()
        flash("Thanks! Your details are in our verification queue.", "success")
        return redirect(url_for("provider.dashboard"), code=303)
    return _verification_page(form, provider, latest, None, 422 if form.errors else 200)


def _verification_page(form, provider, latest, error: str | None, status: int):
    return render_template(
        "provider/verification.html", form=form, provider=provider, latest=latest, error=error
    ), status


@bp.route("/settings", methods=["GET", "POST"])
@provider_required
def settings():
    provider = _listing_or_redirect()
    if provider is None:
        return redirect(url_for("provider.dashboard"))
    categories, metros = provider_settings.choices(db.session, provider)
    form = SettingsForm(
        data=None
        if request.method == "POST"
        else {
            "category_ids": [c.id for c in provider.categories],
            "extra_metro_ids": [m.id for m in provider.extra_metros],
            "paused": provider.paused,
            "weekly_cap": str(provider.weekly_cap or ""),
            "email_kinds": [k for k in provider_settings.EMAIL_KINDS if provider.wants_email(k)],
            "offer_sound": provider.offer_sound,
        }
    )
    form.category_ids.choices = [(c.id, c.name) for c in categories]
    form.extra_metro_ids.choices = [(m.id, f"{m.name}, {m.state}") for m in metros]
    if form.validate_on_submit():
        provider_settings.update_settings(
            db.session,
            provider,
            category_ids=form.category_ids.data,
            extra_metro_ids=form.extra_metro_ids.data,
            paused=form.paused.data,
            weekly_cap=form.cap_value,
            email_on=set(form.email_kinds.data),
            offer_sound=form.offer_sound.data,
        )
        db.session.commit()
        flash("Settings saved.", "success")
        return redirect(url_for("provider.settings"), code=303)
    return render_template("provider/settings.html", form=form, provider=provider), 422 if form.errors else 200


@bp.get("/plan")
@provider_required
def plan():
    provider = current_user.provider
    return render_template(
        "provider/plan.html",
        provider=provider,
        features=plans.TIER_FEATURES,
        trial_days=plans.TRIAL_DAYS,
        trial_available=provider is not None and plans.trial_available(provider),
    )


@bp.post("/plan/trial")
@provider_required
@on_refusal(back=lambda: url_for("provider.plan"))
def start_trial():
    provider = _listing_or_redirect()
    if provider is not None:
        flash(plans.start_trial(db.session, provider), "success")
        db.session.commit()
    return redirect(url_for("provider.plan"), code=303)


@bp.post("/resume-offers")
@provider_required
def sla_resume():
    """Lift an automatic (SLA) pause from the dashboard (issue 13)."""
    provider = current_user.provider or abort(404)
    if sla.resume(db.session, provider, current_user):
        release.release_for_provider(db.session, provider)  # direct requests held while paused go out
        db.session.commit()
        flash("Offers are back on.", "success")
    else:
        flash("Offers were not paused automatically; nothing changed.", "info")
    return redirect(url_for("provider.dashboard"), code=303)
