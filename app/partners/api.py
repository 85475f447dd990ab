"""Partner API: validate a lead sent as JSON, create it once per Idempotency-Key, describe
its status. Flushes, never commits; never imports `request`."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.db import insert_once
from app.core.refusal import Refusal
from app.leads import intake, timeline, tracking, validation, zips
from app.models import ApiIdempotency, ApiKey, Category, Lead, Metro, PartnerLead, Provider
from app.models.lead import BUDGETS, URGENCIES

MODES = ("direct", "broadcast", "quotes")
STATUSES = ("pending", "verified")
# field -> (max length, required); every field is a JSON string (or null / absent when optional)
TEXT_FIELDS = {
    "mode": (16, True),
    "metro": (80, False),
    "category": (80, True),
    "provider": (140, False),
    "status": (16, False),
    "description": (4000, True),
    "customer_name": (120, True),
    "customer_email": (254, False),
    "customer_phone": (40, False),
    "business_name": (160, False),
    "street": (200, False),
    "city": (80, True),
    "postal_code": (12, False),
    "urgency": (16, False),
    "preferred_time": (120, False),
    "budget": (16, False),
    # trap fields (issue 12); trap_capacity_gallons may also be a JSON number
    "trap_type": (16, False),
    "trap_last_pumped": (10, False),
    "trap_access_notes": (1000, False),
}
NUMBER_FIELDS = ("trap_capacity_gallons",)


def request_hash(payload) -> str:
    """The same JSON (whatever its key order or spacing) hashes the same."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _text(payload: dict, errors: dict) -> dict:
    values = {}
    for name, (max_len, required) in TEXT_FIELDS.items():
        raw = payload.get(name)
        if raw is not None and not isinstance(raw, str):
            errors[name] = f"{name}: must be a string."
            continue
        value = (raw or "").strip()
        if validation.has_control_chars(value):
            errors[name] = f"{name}: must not contain control characters (such as a NUL byte)."
        elif required and not value:
            errors[name] = f"{name}: is required."
        elif len(value) > max_len:
            errors[name] = f"{name}: must be at most {max_len:,} characters."
        values[name] = value
    return values


def parse_lead(session: Session, payload) -> tuple[intake.LeadInput, str | None]:
    """Validate the JSON body; returns (LeadInput, force_status) or raises Refusal (code validation_failed, the fields named)."""
    if not isinstance(payload, dict):
        raise Refusal("The request body must be a JSON object.", code="invalid_json")
    errors: dict[str, str] = {}
    for name in sorted(set(payload) - set(TEXT_FIELDS) - set(NUMBER_FIELDS)):
        errors[name] = f"{name}: unknown field."
    v = _text(payload, errors)
    mode = v.get("mode", "")
    if mode and mode not in MODES:
        errors["mode"] = "mode: must be one of direct, broadcast, quotes."
    if v.get("status") and v["status"] not in STATUSES:
        errors["status"] = "status: must be pending or verified (or left out to let our checks decide)."
    if v.get("urgency") and v["urgency"] not in URGENCIES:
        errors["urgency"] = f"urgency: must be one of {', '.join(URGENCIES)}."
    if v.get("budget") and v["budget"] not in BUDGETS:
        errors["budget"] = f"budget: must be one of {', '.join(BUDGETS)}."
    if "description" not in errors and v.get("description") and len(v["description"]) < 10:
        errors["description"] = "description: describe the job in at least 10 characters."
    if "customer_name" not in errors and v.get("customer_name") and len(v["customer_name"]) < 2:
        errors["customer_name"] = "customer_name: must be at least 2 characters."

    trap = _trap(payload, v, errors, session)

    email = validation.check_email(v.get("customer_email")) if "customer_email" not in errors else None
    if email is not None and email.error:
        errors["customer_email"] = f"customer_email: {email.error}"
    phone = validation.check_phone(v.get("customer_phone")) if "customer_phone" not in errors else None
    if phone is not None and phone.error:
        errors["customer_phone"] = f"customer_phone: {phone.error}"
    if not v.get("customer_email") and not v.get("customer_phone") and "customer_email" not in errors:
        errors["customer_email"] = "customer_email: give customer_email or customer_phone (or both)."

    provider = metro = category = None
    if mode == "direct" and "provider" not in errors:
        if not v.get("provider"):
            errors["provider"] = "provider: the provider's slug is required for a direct lead."
        else:
            provider = session.scalar(select(Provider).where(Provider.slug == v["provider"]))
            if provider is None:
                errors["provider"] = f"provider: no provider with slug {v['provider']!r}."
    elif mode in ("broadcast", "quotes") and v.get("provider"):
        errors["provider"] = f"provider: only for direct leads (this one is {mode})."
    if "metro" not in errors:
        if v.get("metro"):
            metro = session.scalar(select(Metro).where(Metro.slug == v["metro"]))
            if metro is None:
                errors["metro"] = f"metro: no metro with slug {v['metro']!r}."
            elif provider is not None and metro.id not in _metro_ids(provider):
                errors["metro"] = f"metro: {provider.name} does not serve {metro.name}."
        elif provider is not None:
            metro = provider.home_metro
        elif mode != "direct":
            errors["metro"] = "metro: is required (a metro slug, e.g. houston)."
    if "category" not in errors:
        category = session.scalar(select(Category).where(Category.slug == v["category"]))
        if category is None:
            errors["category"] = f"category: no service category with slug {v['category']!r}."
        elif provider is not None and provider.categories and category not in provider.categories:
            errors["category"] = f"category: {provider.name} does not offer {category.name}."
    postal_code, zip_error = zips.check(v.get("postal_code"))
    if zip_error and "postal_code" not in errors:
        errors["postal_code"] = f"postal_code: {zip_error}"
    if errors:
        raise Refusal("Some fields are missing or invalid; see fields.", errors, code="validation_failed")
    assert metro is not None and category is not None  # each path leaving one unset records an error

    data = intake.LeadInput(
        mode=mode,
        metro_id=metro.id,
        category_id=category.id,
        requested_provider_id=provider.id if provider else None,
        description=v["description"],
        customer_name=v["customer_name"],
        city=v["city"],
        customer_email=email.normalized if email else None,
        customer_phone=phone.e164 if phone else None,
        phone_valid=phone.valid if phone else True,
        street=v.get("street") or None,
        postal_code=postal_code,
        business_name=v.get("business_name") or None,
        urgency=v.get("urgency") or "this_week",
        preferred_time=v.get("preferred_time") or None,
        budget=v.get("budget") or None,
        **trap,
    )
    return data, v.get("status") or None


def _trap(payload: dict, v: dict, errors: dict, session: Session) -> dict:
    """The trap fields (issue 12): type, capacity (10-10,000 gallons), last pumped (not in
    the future), access notes. A type needs a capacity and a capacity a type."""
    from app.core import clock
    from app.models.compliance import TrapType

    trap_type = v.get("trap_type") or None
    if trap_type and trap_type not in TrapType.values():
        errors["trap_type"] = f"trap_type: must be one of {', '.join(TrapType.values())}."
    raw = payload.get("trap_capacity_gallons")
    if (raw is not None and not isinstance(raw, (int, str))) or isinstance(raw, bool):
        errors["trap_capacity_gallons"] = "trap_capacity_gallons: must be a whole number of gallons."
        capacity = None
    else:
        check = validation.check_capacity(raw)
        if check.error:
            errors["trap_capacity_gallons"] = f"trap_capacity_gallons: {check.error}"
        capacity = check.value
    if trap_type and capacity is None and "trap_capacity_gallons" not in errors:
        errors["trap_capacity_gallons"] = "trap_capacity_gallons: required with trap_type."
    if capacity is not None and not trap_type and "trap_type" not in errors:
        errors["trap_type"] = "trap_type: required with trap_capacity_gallons."
    pumped = None
    if "trap_last_pumped" not in errors:
        check = validation.check_past_date(v.get("trap_last_pumped"), clock.now().date(), "trap_last_pumped")
        if check.error:
            errors["trap_last_pumped"] = f"trap_last_pumped: {check.error.removeprefix('trap_last_pumped ')}"
        pumped = check.value
    return {
        "trap_type": trap_type,
        "trap_capacity_gallons": capacity,
        "trap_last_pumped": pumped,
        "trap_access_notes": v.get("trap_access_notes") or None,
    }


def _metro_ids(provider: Provider) -> set[int]:
    return {provider.home_metro_id, *(m.id for m in provider.extra_metros)}


def describe(lead: Lead) -> dict:
    """What a partner may read about its own lead: state, never contact data."""
    view = tracking.view(lead)
    return {
        "id": lead.id,
        "mode": lead.mode,
        "status": lead.status,
        "delivery_status": lead.delivery_status,
        "metro": lead.metro.slug,
        "category": lead.category.slug,
        "created_at": lead.created_at.isoformat().replace("+00:00", "Z"),
        "status_text": {"headline": view.headline, "detail": view.detail, "final": view.final},
    }


@dataclass(frozen=True)
class Created:
    status: int
    body: dict
    lead_id: int | None
    replayed: bool = False


def _replay(session: Session, partner_id: int, key: str, digest: str) -> Created | None:
    stored = session.scalar(
        select(ApiIdempotency).where(ApiIdempotency.partner_id == partner_id, ApiIdempotency.key == key)
    )
    if stored is None:
        return None
    if stored.request_hash != digest:
        raise Refusal(
            "This Idempotency-Key was already used with a different request body. "
            "Send the same body to get the first result, or use a new key for a new lead.",
            {"Idempotency-Key": "Idempotency-Key: already used with a different body."},
            code="idempotency_key_reused",
        )
    return Created(stored.status_code, stored.response, stored.lead_id, replayed=True)


def create_lead(session: Session, api_key: ApiKey, payload, idempotency_key: str | None = None) -> Created:
    """Create the lead (or replay the first answer to this Idempotency-Key); flushes only."""
    partner_id = api_key.partner_id
    digest = request_hash(payload)
    if idempotency_key:
        earlier = _replay(session, partner_id, idempotency_key, digest)
        if earlier is not None:
            return earlier
    data, force_status = parse_lead(session, payload)
    record = None
    if idempotency_key:
        record = ApiIdempotency(
            partner_id=partner_id, key=idempotency_key, request_hash=digest, status_code=201, response={}
        )
        # A simultaneous retry holds the key: wait for it (the insert blocks), then replay it.
        if not insert_once(session, record):
            earlier = _replay(session, partner_id, idempotency_key, digest)
            if earlier is None:  # the other request rolled back; let the client retry
                raise Refusal(
                    "A request with this Idempotency-Key is still in progress; retry shortly.",
                    code="idempotency_conflict",
                )
            return earlier
    lead = intake.submit_lead(session, data, source="api", force_status=force_status)
    session.add(PartnerLead(lead_id=lead.id, partner_id=partner_id, api_key_id=api_key.id))
    timeline.record(
        session,
        lead,
        "partner",
        f"Created by API partner {api_key.partner.name} (key {api_key.display})",
        actor="api",
        data={"partner_id": partner_id, "api_key_id": api_key.id},
    )
    session.flush()
    body = describe(lead)
    if record is not None:
        record.lead_id, record.response = lead.id, body
        session.flush()
    return Created(201, body, lead.id)


def lead_for_partner(session: Session, partner_id: int, lead_id: int) -> Lead | None:
    """The lead, only when this partner created it."""
    return session.scalar(
        select(Lead)
        .join(PartnerLead, PartnerLead.lead_id == Lead.id)
        .where(Lead.id == lead_id, PartnerLead.partner_id == partner_id)
    )
