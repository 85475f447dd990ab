"""A provider's service area (issue 13): a base ZIP with a radius in miles and/or a list of ZIPs.

Without a radius or listed ZIPs a provider covers its metros (home and extra) everywhere, as
before. With them it is offered (broadcast waves, quote routing) and delivered directly only
the requests whose ZIP its area covers, still within its metros. The base ZIP is also where
distances are measured from (routing order: tier, least recently offered, nearest, fastest).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from app.core.refusal import Refusal
from app.direct import release
from app.leads import zips
from app.models import Provider
from app.models.provider import provider_zips

MAX_LISTED_ZIPS = 300
SPLIT_RE = re.compile(r"[\s,;]+")


@dataclass(frozen=True)
class Coverage:
    """The covered area in words, and how many ZIP codes it holds (None: the whole metros)."""

    words: str
    zip_count: int | None
    listed: tuple[str, ...] = ()


def listed_zips(session: Session, provider_id: int) -> list[str]:
    return list(
        session.scalars(
            select(provider_zips.c.zip).where(provider_zips.c.provider_id == provider_id).order_by(provider_zips.c.zip)
        )
    )


def parse_radius(raw: str | None) -> tuple[int | None, str | None]:
    raw = (raw or "").strip()
    if not raw:
        return None, None
    if not raw.isdigit() or not 1 <= int(raw) <= zips.MAX_RADIUS_MILES:
        return None, f"Enter a whole number of miles from 1 to {zips.MAX_RADIUS_MILES}, or leave it empty."
    return int(raw), None


def parse_zip_list(raw: str | None) -> tuple[list[str], str | None]:
    """ZIPs separated by commas, spaces or lines -> (sorted unique 5-digit ZIPs, error)."""
    words = [w for w in SPLIT_RE.split(raw or "") if w]
    found, unknown = set(), []
    for word in words:
        z = zips.lookup(word)
        if z is None:
            unknown.append(word[:12])
        else:
            found.add(z.code)
    if unknown:
        shown = ", ".join(unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
        return [], f"We don't know these US ZIP codes: {shown}. Use 5-digit ZIP codes (for example 77002)."
    if len(found) > MAX_LISTED_ZIPS:
        return [], f"List at most {MAX_LISTED_ZIPS} ZIP codes, or use a radius around your base ZIP."
    return sorted(found), None


def update_area(
    session: Session, provider: Provider, *, base_zip: str | None, radius: str | None, zip_list: str | None
):
    """Validate and save the area (one Refusal naming every bad field; nothing saved then)."""
    errors: dict[str, str] = {}
    base, base_error = zips.check(base_zip)
    if base_error:
        errors["base_zip"] = base_error
    miles, radius_error = parse_radius(radius)
    if radius_error:
        errors["radius_miles"] = radius_error
    elif miles is not None and base is None and not base_error:
        errors["base_zip"] = "Enter the base ZIP code your radius is measured from."
    listed, list_error = parse_zip_list(zip_list)
    if list_error:
        errors["zip_list"] = list_error
    if errors:
        raise Refusal("Please fix the service area.", errors)
    center = zips.lookup(base) if base else None
    provider.base_zip = center.code if center else None
    provider.base_lat = center.lat if center else None
    provider.base_lon = center.lon if center else None
    provider.service_radius_miles = miles
    box = zips.bbox(center.lat, center.lon, miles) if center and miles else (None, None, None, None)
    provider.area_min_lat, provider.area_max_lat, provider.area_min_lon, provider.area_max_lon = box
    session.execute(delete(provider_zips).where(provider_zips.c.provider_id == provider.id))
    if listed:
        session.execute(insert(provider_zips), [{"provider_id": provider.id, "zip": z} for z in listed])
    provider.area_zip_count = len(listed)
    session.flush()
    release.release_for_provider(session, provider)


def describe(session: Session, provider: Provider) -> Coverage:
    """The area in words a provider (and a customer) understands, with the ZIP count."""
    metros = [provider.home_metro.name, *(m.name for m in provider.extra_metros)]
    where = " and ".join(metros) if len(metros) <= 2 else ", ".join(metros[:-1]) + " and " + metros[-1]
    listed = tuple(listed_zips(session, provider.id)) if provider.area_zip_count else ()
    if not provider.limits_area:
        return Coverage(f"Every ZIP code in {where}.", None)
    covered = set(listed)
    parts = []
    if provider.service_radius_miles is not None and provider.base_zip:
        center = zips.lookup(provider.base_zip)
        if center is not None:
            around = zips.within(center, provider.service_radius_miles)
            covered.update(z.code for z, _ in around)
            parts.append(f"within {provider.service_radius_miles} miles of {center.place} {center.code}")
    if listed:
        parts.append(f"{len(listed)} ZIP code{'s' if len(listed) != 1 else ''} you listed")
    words = (
        f"Requests {' plus '.join(parts)}: {len(covered)} ZIP code{'s' if len(covered) != 1 else ''} in all, "
        f"when they are in {where}."
    )
    return Coverage(words, len(covered), listed)
