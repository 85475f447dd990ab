"""Provider area, compliance (issue 12): record the service (manifest) on a job it holds,
correct it, its PDF, and "My customers". Registered on the provider blueprint."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from app.compliance import customers, pdf, records, sites
from app.core import clock
from app.core.refusal import Refusal
from app.core.urls import external_url
from app.extensions import db
from app.models import ServiceRecord, TrapType
from app.web.access import provider_required
from app.web.provider.views import bp
from app.web.responses import download, render

FIELDS = (
    "service_date",
    "gallons_removed",
    "percent_full",
    "transporter_registration",
    "vehicle",
    "driver",
    "disposal_facility",
    "generator_signer",
    "notes",
)


def _provider():
    return current_user.provider or abort(403, "Claim a listing first.")


def _form_page(lead, values: dict, errors: dict, *, record=None, status: int = 200):
    return render(
        "provider/service_record.html",
        private=True,
        status=status,
        lead=lead,
        record=record,
        values=values,
        errors=errors,
        trap_types=[("", "Choose…")] + [(t.value, t.title) for t in TrapType],
        existing=records.for_lead(db.session, lead.id),
    )


@bp.route("/jobs/<int:lead_id>/service", methods=["GET", "POST"])
@provider_required
def record_service(lead_id: int):
    provider = _provider()
    try:
        lead = records.held_lead(db.session, lead_id, provider)
    except Refusal:
        abort(404)  # not this provider's job: nothing to show
    today = clock.local(clock.now(), lead.metro.timezone).date()
    if request.method == "GET":
        return _form_page(lead, {"service_date": today.isoformat(), "percent_full": ""}, {})
    values = {name: request.form.get(name, "") for name in (*FIELDS, "trap_type", "trap_capacity_gallons")}
    data, errors = records.validate(values, today)
    trap = None
    if lead.trap_id is None:
        trap, trap_errors = records.trap_type_choice(values["trap_type"], values["trap_capacity_gallons"])
        errors |= trap_errors
    if errors or data is None:
        db.session.rollback()
        return _form_page(lead, values, errors, status=422)
    try:
        record = records.record_service(db.session, lead.id, provider, data, trap=trap)
    except Refusal as refusal:
        db.session.rollback()
        return _form_page(lead, values, refusal.fields or {"form": refusal.message}, status=422)
    number = record.number
    db.session.commit()
    flash(f"Service recorded: manifest {number}. The customer is asked to confirm it.", "success")
    return redirect(url_for("provider.inbox_lead", lead_id=lead_id), code=303)


@bp.route("/records/<int:record_id>/correct", methods=["GET", "POST"])
@provider_required
def correct_record(record_id: int):
    provider = _provider()
    record = db.session.get(ServiceRecord, record_id)
    if record is None or record.provider_id != provider.id or record.lead_id is None:
        abort(404)
    lead = records.held_lead(db.session, record.lead_id, provider)
    if request.method == "GET":
        values = {name: getattr(record, name) or "" for name in FIELDS}
        values["service_date"] = record.service_date.isoformat()
        return _form_page(lead, values, {}, record=record)
    values = {name: request.form.get(name, "") for name in FIELDS}
    data, errors = records.validate(values, clock.local(clock.now(), lead.metro.timezone).date())
    if errors or data is None:
        return _form_page(lead, values, errors, record=record, status=422)
    try:
        saved = records.correct(db.session, record.id, provider, data)
    except Refusal as refusal:
        db.session.rollback()
        return _form_page(lead, values, {"form": refusal.message}, record=record, status=422)
    message = (
        f"Correction saved as revision {saved.revision} ({saved.number}); revision {record.revision} stays visible."
        if saved.id != record.id
        else "Service record updated."
    )
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("provider.inbox_lead", lead_id=lead.id), code=303)


@bp.get("/records/<int:record_id>.pdf")
@provider_required
def record_pdf(record_id: int):
    record = db.session.get(ServiceRecord, record_id)
    if record is None or record.provider_id != _provider().id:
        abort(404)
    return pdf_response(record, f"manifest-{record.number}.pdf")


def pdf_response(record: ServiceRecord, filename: str, data: bytes | None = None):
    body = data or pdf.manifest(record, record.trap.site, external_url("public.verify_manifest", number=record.number))
    return download(body, "application/pdf", filename, inline=True)


@bp.get("/customers")
@provider_required
def my_customers():
    provider = _provider()
    return render(
        "provider/customers.html",
        private=True,
        provider=provider,
        view=customers.overview(db.session, provider, sites.today_for_metro(provider.home_metro)),
    )
