"""Public pages: directory, the request form (three modes), tracking, health, dev mailbox."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

from app.accounts import directory
from app.core import clock
from app.direct import consent
from app.economics import refunds
from app.extensions import db, limiter
from app.leads import eligibility, intake, timeline, zips
from app.leads import tracking as tracking_service
from app.models import Lead, OutboxEmail
from app.pipeline import stages
from app.platform import outbox, sweep
from app.platform.queue import get_queue
from app.quotes import customer, reviews
from app.web.public.forms import LeadForm
from app.web.responses import render

log = logging.getLogger(__name__)
bp = Blueprint("public", __name__)


@bp.get("/")
def home():
    return render_template("public/home.html", metros=directory.metros_with_counts(db.session))


@bp.get("/how-it-works")
def how_it_works():
    return render_template("public/how_it_works.html")


@bp.get("/how-it-works/providers")
def how_it_works_providers():
    return render_template("public/how_it_works_providers.html")


@bp.get("/m/<slug>")
def metro(slug: str):
    metro = directory.metro_by_slug(db.session, slug) or abort(404)
    category = request.args.get("category") or None
    zip_code, zip_error = zips.check(request.args.get("zip", "")[:20])
    site = zips.lookup(zip_code) if zip_code else None
    providers = directory.providers_in_metro(db.session, metro, category, site)
    return render_template(
        "public/metro.html",
        metro=metro,
        zip_code=zip_code or (request.args.get("zip", "")[:20] if zip_error else ""),
        zip_error=zip_error,
        site=site,
        providers=providers,
        reputations=reviews.reputations(db.session, [p.id for p in providers], recent=0),
        takes_requests={p.id for p in providers if eligibility.takes_direct_requests(p)},
        show_tier=_sees_tier(),
        categories=directory.categories(db.session),
        category=category,
    )


@bp.get("/p/<slug>")
def provider(slug: str):
    provider = directory.provider_by_slug(db.session, slug) or abort(404)
    reputation = reviews.reputation(db.session, provider.id)
    return render_template(
        "public/provider.html",
        provider=provider,
        reputation=reputation,
        show_tier=_sees_tier(provider),
        **_direct_words(provider),
    )


def _direct_words(provider) -> dict:
    """Whether a direct request reaches the provider at once, and if not why (customer words)."""
    decision = eligibility.direct(provider, 0)
    return {
        "takes_requests": decision.ok,
        "why": eligibility.customer_reason(decision.reason, provider.name),
    }


def _sees_tier(provider=None) -> bool:
    """A plan tier is what a provider pays FogForge: shown to admins and to the provider itself,
    never to customers."""
    if not current_user.is_authenticated:
        return False
    return current_user.is_admin or (provider is not None and provider.owner_id == current_user.id)


def _lead_form_view(mode: str, metro, provider=None):
    """GET shows the form; POST validates, creates the lead in one commit, redirects to tracking."""
    form = LeadForm()
    cats = provider.categories if provider and provider.categories else directory.categories(db.session)
    form.category_id.choices = [(0, "Choose a service…")] + [(c.id, c.name) for c in cats]
    form.today = clock.local(clock.now(), metro.timezone).date()
    if request.method == "GET":  # a new one-time key each time the form is shown
        form.submission_key.data = intake.new_submission_key()
    if request.method == "GET" and request.args.get("category"):
        form.category_id.data = next((c.id for c in cats if c.slug == request.args["category"]), 0)
    if form.validate_on_submit():
        data = intake.LeadInput(
            mode=mode,
            metro_id=metro.id,
            category_id=form.category_id.data,
            requested_provider_id=provider.id if provider else None,
            description=form.description.data,
            customer_name=form.customer_name.data,
            customer_email=form.customer_email.data or None,
            customer_phone=form.phone_e164,
            phone_valid=form.phone_valid,
            business_name=form.business_name.data,
            street=form.street.data,
            city=form.city.data,
            postal_code=form.postal_code.data,
            urgency=form.urgency.data,
            preferred_time=form.preferred_time.data,
            budget=form.budget.data,
            honeypot_filled=bool((form.website.data or "").strip()),
            submission_key=form.submission_key.data or None,
            trap_type=form.trap_type.data or None,
            trap_capacity_gallons=form.capacity_value,
            trap_last_pumped=form.last_pumped_value,
            trap_access_notes=form.trap_access_notes.data,
        )
        lead = intake.submit_lead(db.session, data, source="web", client_ip=request.remote_addr)
        tracking_url = url_for("public.tracking", token=lead.public_token)
        db.session.commit()
        # Nothing after the commit may touch the database: if it went down just after, the lead
        # is saved and the customer must get its tracking page, not an error.
        return redirect(tracking_url, code=303)
    status = 422 if request.method == "POST" else 200
    words = _direct_words(provider) if provider is not None else {}
    return render_template(
        "public/request.html",
        form=form,
        mode=mode,
        metro=metro,
        provider=provider,
        emergency_wait_minutes=metro.consent_wait_emergency_minutes,
        consent_wait_hours=metro.consent_wait_hours,
        **words,
    ), status


def _lead_rate_limit():
    return current_app.config["LEAD_RATE_LIMIT"]


def _counts_against_limit(response) -> bool:
    """A form sent back to fix (422) is not held against the customer; every other answer is."""
    return response.status_code != 422


@bp.route("/m/<slug>/request/<mode>", methods=["GET", "POST"])
@limiter.limit(_lead_rate_limit, methods=["POST"], deduct_when=_counts_against_limit)
def request_metro(slug: str, mode: str):
    if mode not in ("broadcast", "quotes"):
        abort(404)
    metro = directory.metro_by_slug(db.session, slug) or abort(404)
    return _lead_form_view(mode, metro)


@bp.route("/p/<slug>/request", methods=["GET", "POST"])
@limiter.limit(_lead_rate_limit, methods=["POST"], deduct_when=_counts_against_limit)
def request_provider(slug: str):
    provider = directory.provider_by_slug(db.session, slug) or abort(404)
    return _lead_form_view("direct", provider.home_metro, provider)


@bp.post("/request/check/<field>")
def check_field(field: str):
    """Inline validation of one field over htmx: answers the field's error line."""
    if field not in ("customer_email", "customer_phone"):
        abort(404)
    form = LeadForm(meta={"csrf": False})
    form.category_id.choices = []
    inline_check = getattr(form, f"validate_{field}")
    getattr(form, field).validate(form, extra_validators=[lambda _form, fld: inline_check(fld)])
    return render_template("public/_field_error.html", field=getattr(form, field))


def tracking_panels(lead: Lead) -> dict:
    """What the tracking page's panels show, looked up once here (the templates only render):
    whether to ask for consent (or offer "yes" before the wait), the quotes with each provider's rating, the customer's review."""
    offered = customer.quotes_for(db.session, lead) if lead.mode == "quotes" else []
    ratings = reviews.reputations(db.session, [a.provider_id for a in offered], recent=0)
    return {
        "consent_due": consent.due(lead),
        "consent_early": consent.early(lead),  # "don't want to wait?": yes before the wait
        "quote_offers": [(a, ratings[a.provider_id]) for a in offered],
        "review": reviews.review_of(db.session, lead.id) if lead.assigned_provider_id else None,
        "won_claim": stages.won_claim(lead),  # a provider says it won: confirm or dispute (issue 14)
    }


@bp.get("/t/<token>")
def tracking(token: str):
    lead = db.session.scalar(select(Lead).where(Lead.public_token == token)) or abort(404)
    view = tracking_service.view(lead)
    response = render(
        "public/tracking.html",
        block="status",
        private=True,
        final=view.final,
        lead=lead,
        view=view,
        events=timeline.public_events(lead),
        **tracking_panels(lead),
    )
    response.headers["Referrer-Policy"] = "no-referrer"  # the token is in the URL
    _seen(lead.id)
    return response


def _seen(lead_id: int) -> None:
    """The customer opened the page (no "never opened" refund for its unlocks); written after the
    page is rendered, and a failure here never costs the customer the page."""
    try:
        refunds.record_seen(db.session, lead_id)
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.warning("could not record that lead %s's customer opened the tracking page", lead_id)


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page says: send them the SVG one."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.get("/healthz")
def healthz():
    """Liveness for the supervisor (503 when the database or Redis is down) and, for alerting,
    the queue depth and, per sweep step, how much waits and how old the oldest is."""
    checks: dict = {}
    backlog = None
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
        backlog = sweep.backlog(db.session)
    except Exception as exc:  # noqa: BLE001
        checks["database"] = f"error: {type(exc).__name__}"
    finally:
        db.session.rollback()
    depth = None
    try:
        depth = get_queue().count
        checks["redis"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["redis"] = f"error: {type(exc).__name__}"
    healthy = all(v == "ok" for v in checks.values())
    body = dict(status="ok" if healthy else "degraded", **checks, queue={"depth": depth}, backlog=backlog)
    return jsonify(body), 200 if healthy else 503


@bp.get("/dev/mailbox")
def mailbox():
    if not current_app.config["DEV_MAILBOX"]:
        abort(404)
    emails = db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id.desc()).limit(100))
    return render_template("dev/mailbox.html", emails=list(emails))


@bp.get("/dev/mailbox/<int:email_id>")
def mailbox_email(email_id: int):
    if not current_app.config["DEV_MAILBOX"]:
        abort(404)
    row = db.session.get(OutboxEmail, email_id) or abort(404)
    subject, body_text = row.subject, row.body_text
    if not body_text:  # not sent yet: show what it will say
        subject, body_text, _ = outbox.render(row)
    return render_template("dev/mailbox_email.html", email=row, subject=subject, body_text=body_text)


@bp.get("/p/<slug>/claim")
def claim_listing(slug: str):
    """The public "Claim it" link: claiming lives in the provider area (sign-in first)."""
    provider = directory.provider_by_slug(db.session, slug) or abort(404)
    return redirect(url_for("provider.claim", slug=provider.slug), code=302)
