"""Public compliance pages (issue 12): magic sign-in and "My sites" for customers (no password),
manifest verification, the one-click rebook and auto-rebook cancel links of reminder emails,
the .ics files, and the inspector's read-only compliance link (page and PDF)."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import abort, current_app, flash, make_response, redirect, request, session, url_for

from app.compliance import calendar, magic, pdf, records, reminders, schedule, share, sites
from app.core import clock
from app.core.urls import external_url
from app.extensions import db, limiter
from app.leads import validation
from app.models import Lead, ServiceRecord, Trap
from app.web.public.views import bp
from app.web.responses import download, on_refusal, private, render

SESSION_KEY = "customer_email"


def customer_email() -> str | None:
    """The email signed in to "My sites" by a magic link (CUSTOMER_SESSION_HOURS)."""
    email, since = session.get(SESSION_KEY), session.get("customer_since")
    if not email or not since:
        return None
    try:
        started = datetime.fromisoformat(since)
    except ValueError:
        return None
    if clock.now() - started > timedelta(hours=current_app.config["CUSTOMER_SESSION_HOURS"]):
        return None
    return email


def _signed_in() -> str:
    email = customer_email()
    if email is None:
        abort(redirect(url_for("public.my_sites_sign_in"), code=303))
    return email


def _no_referrer(response):
    response.headers["Referrer-Policy"] = "no-referrer"  # tokens live in these URLs
    return response


# ---------------------------------------------------------------- magic sign-in
def _sign_in_limit():
    return current_app.config["LEAD_RATE_LIMIT"]


@bp.route("/my-sites/sign-in", methods=["GET", "POST"])
@limiter.limit(_sign_in_limit, methods=["POST"], deduct_when=lambda r: r.status_code != 422)
def my_sites_sign_in():
    error, sent, typed = None, False, ""
    if request.method == "POST":
        typed = (request.form.get("email") or "").strip()
        check = validation.check_email(typed)
        if validation.has_control_chars(typed):
            error = validation.CONTROL_CHARS_ERROR
        elif not typed or check.error:
            error = check.error or "Enter the email address you used for your requests."
        else:
            magic.request_link(db.session, check.normalized or typed)
            db.session.commit()
            sent = True
    status = 422 if error else 200
    return render("public/my_sites_sign_in.html", status=status, error=error, sent=sent, typed=typed)


@bp.get("/my-sites/auth/<token>")
def my_sites_auth(token: str):
    """The link from the email shows a "Sign in" button: a mail scanner opening the link does
    not use it up (only the POST does)."""
    link = magic.peek(db.session, token)
    return _no_referrer(
        private(make_response(render("public/my_sites_auth.html", token=token, valid=link is not None)))
    )


@bp.post("/my-sites/auth/<token>")
@on_refusal(back=lambda token: url_for("public.my_sites_sign_in"))
def my_sites_auth_use(token: str):
    email = magic.consume(db.session, token)
    db.session.commit()
    session.clear()
    session[SESSION_KEY] = email
    session["customer_since"] = clock.now().isoformat()
    return redirect(url_for("public.my_sites"), code=303)


@bp.post("/my-sites/sign-out")
def my_sites_sign_out():
    session.pop(SESSION_KEY, None)
    session.pop("customer_since", None)
    flash("Signed out of My sites.", "success")
    return redirect(url_for("public.home"), code=303)


# ---------------------------------------------------------------- My sites
@bp.get("/my-sites")
def my_sites():
    email = _signed_in()
    found = sites.sites_of(db.session, email)
    views = [share.site_record(db.session, site, sites.today_in(site)) for site in found]
    return render(
        "public/my_sites.html",
        private=True,
        email=email,
        views=views,
        leads=sites.leads_of(db.session, email),
    )


def _back_to_sites(**_):
    return url_for("public.my_sites")


@bp.post("/my-sites/records/<int:record_id>/confirm")
@on_refusal(back=_back_to_sites)
def my_sites_confirm(record_id: int):
    record = records.confirm(db.session, record_id, _signed_in())
    number = record.number
    db.session.commit()
    flash(f"Manifest {number} confirmed. It is now part of your permanent record.", "success")
    return redirect(url_for("public.my_sites"), code=303)


@bp.post("/my-sites/sites/<int:site_id>/auto-rebook")
@on_refusal(back=_back_to_sites)
def my_sites_auto_rebook(site_id: int):
    on = request.form.get("on") == "1"
    reminders.set_auto_rebook(db.session, site_id, _signed_in(), on)
    db.session.commit()
    flash(
        "Auto-rebook is on: when a trap comes due we send the request to your last provider and email you."
        if on
        else "Auto-rebook is off: we will only remind you.",
        "success",
    )
    return redirect(url_for("public.my_sites"), code=303)


@bp.post("/my-sites/sites/<int:site_id>/share")
@on_refusal(back=_back_to_sites)
def my_sites_share(site_id: int):
    share.create(db.session, site_id, _signed_in())
    db.session.commit()
    flash("Inspector link created. Anyone with it can read this site's records until you revoke it.", "success")
    return redirect(url_for("public.my_sites", _anchor=f"site-{site_id}"), code=303)


@bp.post("/my-sites/sites/<int:site_id>/share/revoke")
@on_refusal(back=_back_to_sites)
def my_sites_share_revoke(site_id: int):
    share.revoke(db.session, site_id, _signed_in())
    db.session.commit()
    flash("Inspector link revoked: it no longer opens.", "success")
    return redirect(url_for("public.my_sites", _anchor=f"site-{site_id}"), code=303)


def _manifest_pdf(record: ServiceRecord):
    body = pdf.manifest(record, record.trap.site, external_url("public.verify_manifest", number=record.number))
    return download(body, "application/pdf", f"manifest-{record.number}.pdf", inline=True)


@bp.get("/my-sites/records/<int:record_id>.pdf")
def my_sites_record_pdf(record_id: int):
    email = _signed_in()
    record = db.session.get(ServiceRecord, record_id)
    if record is None or record.trap.site.owner_email != sites.owner_key(email):
        abort(404)
    return _manifest_pdf(record)


def _ics(trap: Trap):
    if trap.next_due is None:
        abort(404)
    rule = schedule.rule_for(db.session, trap.site.metro_id)
    host = urlsplit(current_app.config.get("APP_BASE_URL") or "http://fogforge.local").hostname or "fogforge"
    body = calendar.due_ics(trap, trap.next_due, rule.lead_days, external_url("public.my_sites_sign_in"), host)
    return download(body, "text/calendar; charset=utf-8", f"trap-{trap.id}-due-{trap.next_due}.ics")


@bp.get("/my-sites/traps/<int:trap_id>/due.ics")
def my_sites_trap_ics(trap_id: int):
    email = _signed_in()
    trap = db.session.get(Trap, trap_id)
    if trap is None or trap.site.owner_email != sites.owner_key(email):
        abort(404)
    return _ics(trap)


# ---------------------------------------------------------------- manifests, reminder links
@bp.get("/manifests/<number>")
def verify_manifest(number: str):
    """Anyone holding a manifest id can check it is real: the facts on the manifest, no contact."""
    record = records.by_number(db.session, number) if len(number) <= 16 else None
    if record is None:
        abort(404)
    return render("public/manifest_verify.html", record=record)


@bp.get("/rebook/<token>")
def rebook(token: str):
    reminder = reminders.by_token(db.session, token) or abort(404)
    mode = request.args.get("mode", "direct")
    if mode not in ("direct", "broadcast") or (mode == "direct" and reminder.provider is None):
        mode = "broadcast"
    return _no_referrer(private(make_response(render("public/rebook.html", reminder=reminder, mode=mode, token=token))))


@bp.post("/rebook/<token>")
@on_refusal(back=lambda token: url_for("public.rebook", token=token))
def rebook_post(token: str):
    lead = reminders.book_again(db.session, token, request.form.get("mode", "direct"))
    tracking_url = url_for("public.tracking", token=lead.public_token)
    db.session.commit()
    return redirect(tracking_url, code=303)


@bp.route("/rebook/<token>/cancel", methods=["GET", "POST"])
@on_refusal(back=lambda token: url_for("public.rebook_cancel", token=token))
def rebook_cancel(token: str):
    reminder = reminders.by_token(db.session, token) or abort(404)
    if reminder.lead_id is None:
        abort(404)
    if request.method == "POST":
        reminders.cancel_auto(db.session, token)
        db.session.commit()
        flash("Cancelled: the provider will not come for this booking.", "success")
        return redirect(url_for("public.rebook_cancel", token=token), code=303)
    lead = db.session.get(Lead, reminder.lead_id)
    page = render("public/rebook_cancel.html", reminder=reminder, lead=lead, token=token)
    return _no_referrer(private(make_response(page)))


@bp.get("/rebook/<token>/due.ics")
def reminder_ics(token: str):
    reminder = reminders.by_token(db.session, token) or abort(404)
    return _ics(reminder.trap)


# ---------------------------------------------------------------- inspector link
@bp.get("/compliance/<token>")
def compliance_page(token: str):
    site = share.by_token(db.session, token) or abort(404)
    view = share.site_record(db.session, site, sites.today_in(site))
    page = render("public/compliance_record.html", view=view, token=token)
    response = _no_referrer(private(make_response(page)))
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/compliance/<token>.pdf")
def compliance_pdf(token: str):
    site = share.by_token(db.session, token) or abort(404)
    view = share.site_record(db.session, site, sites.today_in(site))
    body = pdf.compliance_record(
        site,
        [(t.trap, t.records, t.next_due) for t in view.traps],
        authority=view.authority,
        rule_text=view.rule_text,
        since=view.since.isoformat(),
        link=external_url("public.compliance_page", token=token),
    )
    response = download(body, "application/pdf", "compliance-record.pdf", inline=True)
    response.headers["X-Robots-Tag"] = "noindex"
    return _no_referrer(response)
