"""Routing in SQL (issues 10 and 13): the one statement (`pick`) that chooses a wave's providers
or a quote lead's top 10.

Every rule a provider must pass (metro, category, state, weekly cap, teaser, service area) and
the order (tier, least recently offered, distance, response time) is an SQL expression over
the provider's own row plus index probes (provider_categories by primary key, provider_metros
by metro, provider_zips by (zip, provider), assignments by (provider_id, created_at)), and
the metro's providers are walked along an index in rotation order until enough fit. Nothing is
loaded per provider into Python, the weekly-cap count is only looked up for providers that
have a cap (a CASE decides the order of evaluation) and the teaser only for free providers.

Distance: equirectangular miles from the lead's ZIP centre (app/leads/zips.py), compared as
squares, after a bounding-box prefilter on the provider's stored `area_*` columns; plain
arithmetic, so PostgreSQL and SQLite give the same answer as the Python check.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Row,
    Select,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session, object_session
from sqlalchemy.sql.elements import BindParameter

from app.core import clock
from app.leads import zips
from app.models import Assignment, Lead, Provider
from app.models.provider import PAID_TIERS, TIERS, provider_categories, provider_metros, provider_zips

Site = zips.Zip

# The values a pick statement is run with (the statement itself is built once per shape and
# cached: building this much SQL expression costs more than running it).
# Untyped on purpose: each takes the type of the column it is compared with (UTCDateTime...).
METRO: BindParameter[Any] = bindparam("metro_id")
CATEGORY: BindParameter[Any] = bindparam("category_id")
NOW: BindParameter[Any] = bindparam("now")
WEEK: BindParameter[Any] = bindparam("week")
LAT: BindParameter[Any] = bindparam("lat")
LON: BindParameter[Any] = bindparam("lon")
KY: BindParameter[Any] = bindparam("ky")
KX: BindParameter[Any] = bindparam("kx")
ZIP: BindParameter[Any] = bindparam("zip")
EXCLUDE: BindParameter[Any] = bindparam("exclude", expanding=True)


def site_of(lead: Lead) -> Site | None:
    """Where the job is: the lead's ZIP centre (None for a lead without a known ZIP)."""
    return zips.lookup(lead.postal_code)


# ---------------------------------------------------------------------------- expressions
def effective_tier(now: Any) -> ColumnElement:
    """The tier that counts now: an active Growth trial counts as growth (never lowers)."""
    return case(
        (and_(Provider.trial_ends_at > now, Provider.tier.in_(("starter", "free"))), "growth"),
        else_=Provider.tier,
    )


def tier_rank(tier: ColumnElement) -> ColumnElement:
    return case({t: rank for rank, t in enumerate(TIERS)}, value=tier, else_=len(TIERS))


def offers_category(category_id: Any) -> ColumnElement:
    """A primary-key probe per provider, written as a scalar subquery: PostgreSQL would turn an
    EXISTS into a hash of the category's whole provider list (work that grows with the metro)."""
    return (
        select(literal(1))
        .where(provider_categories.c.provider_id == Provider.id, provider_categories.c.category_id == category_id)
        .limit(1)
        .scalar_subquery()
        .is_not(None)
    )


def distance_squared(lat: Any, lon: Any, ky: Any, kx: Any) -> ColumnElement:
    """Squared miles from the lead's ZIP centre to the provider's base (NULL without a base ZIP);
    ky/kx are the miles per degree at the lead's latitude (zips.scale)."""
    dy = (Provider.base_lat - lat) * ky
    dx = (Provider.base_lon - lon) * kx
    return dy * dy + dx * dx


def _covers(lat: Any, lon: Any, ky: Any, kx: Any, code: Any) -> ColumnElement:
    return or_(
        and_(Provider.service_radius_miles.is_(None), Provider.area_zip_count == 0),
        and_(
            Provider.service_radius_miles.is_not(None),
            Provider.area_min_lat <= lat,
            Provider.area_max_lat >= lat,
            Provider.area_min_lon <= lon,
            Provider.area_max_lon >= lon,
            distance_squared(lat, lon, ky, kx) <= Provider.service_radius_miles * Provider.service_radius_miles,
        ),
        and_(
            Provider.area_zip_count > 0,
            exists().where(provider_zips.c.zip == code, provider_zips.c.provider_id == Provider.id),
        ),
    )


def covers(site: Site | None) -> ColumnElement:
    """The provider's service area includes the lead's ZIP (values inline: for lists such as
    the metro page's ZIP filter). A ZIP we do not know, and a provider without a radius or
    listed ZIPs, fall back to the metro (checked separately)."""
    if site is None:
        return true()
    ky, kx = zips.scale(site.lat)
    return _covers(site.lat, site.lon, ky, kx, site.code)


def under_cap(week: Any) -> ColumnElement:
    """No cap, or fewer leads this ISO week than the cap (counted only for capped providers:
    the CASE decides the order of evaluation)."""
    this_week = (
        select(func.count(Assignment.id))
        .where(Assignment.provider_id == Provider.id, Assignment.created_at >= week)
        .correlate(Provider)
        .scalar_subquery()
    )
    return case((Provider.weekly_cap.is_(None), 1), (this_week < Provider.weekly_cap, 1), else_=0) == 1


def teaser_used(week: Any) -> ColumnElement:
    return exists().where(
        Assignment.provider_id == Provider.id, Assignment.teaser.is_(True), Assignment.created_at >= week
    )


def is_paid(tier: ColumnElement) -> ColumnElement:
    return tier.in_(PAID_TIERS)


def miles_from(dist2: float | None) -> float | None:
    return None if dist2 is None else round(float(dist2) ** 0.5, 1)


def week_start() -> datetime:
    return clock.iso_week_start()


# ---------------------------------------------------------------------------- one provider
def provider_covers(provider: Provider, site: Site | None) -> bool:
    """Python twin of `covers` for one provider (direct requests, quote unlock checks)."""
    if site is None or not provider.limits_area:
        return True
    if provider.service_radius_miles is not None and provider.base_lat is not None and provider.base_lon is not None:
        if zips.miles(site.lat, site.lon, provider.base_lat, provider.base_lon) <= provider.service_radius_miles:
            return True
    if provider.area_zip_count > 0:
        session = object_session(provider)
        if session is None:
            return False
        return (
            session.scalar(
                select(provider_zips.c.zip).where(
                    provider_zips.c.provider_id == provider.id, provider_zips.c.zip == site.code
                )
            )
            is not None
        )
    return False


def lead_covered_by(provider: Provider, lead: Lead) -> bool:
    return provider_covers(provider, site_of(lead))


def coverage_of(session: Session, provider: Provider) -> Callable[[Lead], bool]:
    """`lead_covered_by` for many leads: the provider's listed ZIPs are read once."""
    if not provider.limits_area:
        return lambda lead: True
    listed = set(
        session.scalars(select(provider_zips.c.zip).where(provider_zips.c.provider_id == provider.id))
        if provider.area_zip_count
        else ()
    )
    radius, lat, lon = provider.service_radius_miles, provider.base_lat, provider.base_lon

    def covered(lead: Lead) -> bool:
        site = site_of(lead)
        if site is None or site.code in listed:
            return True
        return (
            radius is not None
            and lat is not None
            and lon is not None
            and zips.miles(site.lat, site.lon, lat, lon) <= radius
        )

    return covered


# ---------------------------------------------------------------------------- the pick
# Who may be picked, by listing state (see app/broadcast/pool.py: pool_member, the reference):
#   paid                    verified on a paid plan (strict pools, emergencies, quote leads)
#   paid_or_teaser          ... or verified free in its home metro with this week's teaser left
#   (either) + "+claimed"   aggressive pools: claimed-unverified too, paid or in their home metro
MEMBER_KINDS = ("paid", "paid_or_teaser", "paid+claimed", "paid_or_teaser+claimed")


def _members(kind: str) -> dict[str, ColumnElement]:
    paid = is_paid(effective_tier(NOW))
    home = Provider.home_metro_id == METRO
    members = {"verified": or_(paid, and_(home, ~teaser_used(WEEK))) if kind.startswith("paid_or_teaser") else paid}
    if kind.endswith("+claimed"):
        members["claimed"] = or_(paid, home)
    return members


def _walk(columns, walk: list[ColumnElement], fits: list[ColumnElement], order, limit: int, fenced: bool) -> Select:
    """The index walk: the rows matching `walk` (the rotation index's equality columns) in
    index order (least recently offered first), filtered by `fits` row by row and cut at
    `limit`; ties in last_offered_at are put in distance/response order group by group, so the
    walk stops early. SQLite does that from the plain query ("USE TEMP B-TREE FOR RIGHT PART OF
    ORDER BY"). PostgreSQL needs the walk `fenced` (OFFSET 0: not merged into the outer query,
    whose filter estimates would make it sort the whole range) and then sorts incrementally."""
    if not fenced:
        return select(*columns).where(*walk, *fits).order_by(*order).limit(limit)
    ranged = (
        select(*columns, case((and_(*fits), 1), else_=0).label("fits"))
        .where(*walk)
        .order_by(Provider.last_offered_at.asc().nulls_first())
        .offset(0)
        .subquery()
    )
    return (
        select(*(ranged.c[c.name] for c in columns))
        .where(ranged.c.fits == 1)
        .order_by(
            ranged.c.last_offered_at.asc().nulls_first(),
            case((ranged.c.dist2.is_(None), 1), else_=0),
            ranged.c.dist2,
            case((ranged.c.median.is_(None), 1), else_=0),
            ranged.c.median,
            ranged.c.id,
        )
        .limit(limit)
    )


@cache
def _statement(
    tiers: tuple[str, ...], kind: str, has_site: bool, limit: int, has_exclude: bool, fenced: bool
) -> Select:
    """The pick for one shape (see `pick`), with bind parameters for every value; `fenced` for
    PostgreSQL (see `_walk`)."""
    tier = effective_tier(NOW)
    dist = (
        case((Provider.base_lat.is_(None), None), else_=distance_squared(LAT, LON, KY, KX))
        if has_site
        else cast(null(), Float)
    )
    columns = (
        Provider.id.label("id"),
        Provider.status.label("status"),
        tier.label("tier"),
        (Provider.home_metro_id == METRO).label("home"),
        Provider.last_offered_at.label("last_offered_at"),
        Provider.median_response_seconds.label("median"),
        dist.label("dist2"),
    )
    shared = [
        offers_category(CATEGORY),
        Provider.paused.is_(False),
        or_(Provider.paused_until.is_(None), Provider.paused_until <= NOW),  # "pause until" (issue 14)
        _covers(LAT, LON, KY, KX, ZIP) if has_site else true(),
        under_cap(WEEK),
    ]
    if has_exclude:
        shared.append(Provider.id.not_in(EXCLUDE))
    by_distance = [case((Provider.base_lat.is_(None), 1), else_=0), dist] if has_site else []
    inner_order = [
        Provider.last_offered_at.asc().nulls_first(),
        *by_distance,
        case((Provider.median_response_seconds.is_(None), 1), else_=0),
        Provider.median_response_seconds,
        Provider.id,
    ]
    not_lifted = or_(Provider.trial_ends_at.is_(None), Provider.trial_ends_at <= NOW)
    parts = []
    for status, condition in _members(kind).items():
        for t in tiers:
            own = [Provider.tier == t] + ([not_lifted] if t in ("starter", "free") else [])
            walk = [Provider.home_metro_id == METRO, Provider.status == status, Provider.tier == t]
            parts.append(_walk(columns, walk, [condition, *shared, *own], inner_order, limit, fenced))
        # The next two lists must start from their own small index range (the providers in a
        # trial; the metro's extra providers), not from the metro's or the state's providers:
        # `+ 0` and lower() keep both databases from walking those larger indexes instead.
        same_metro = (Provider.home_metro_id + 0) == METRO
        same_status = func.lower(Provider.status) == status
        if "growth" in tiers:  # a Growth trial counts as growth
            trials = [Provider.trial_ends_at > NOW, Provider.tier.in_(("starter", "free"))]
            parts.append(
                select(*columns)
                .where(same_metro, same_status, condition, *shared, *trials)
                .order_by(*inner_order)
                .limit(limit)
            )
        parts.append(
            select(*columns)
            .select_from(provider_metros)
            .join(Provider, provider_metros.c.provider_id == Provider.id)
            .where(
                provider_metros.c.metro_id == METRO,
                Provider.home_metro_id != METRO,
                same_status,
                condition,
                tier.in_(list(tiers)),
                *shared,
            )
            .order_by(*inner_order)
            .limit(limit)
        )
    pool = union_all(*(p.subquery().select() for p in parts)).subquery("pool")
    return (
        select(pool)
        .order_by(
            case((pool.c.status == "verified", 0), else_=1),
            tier_rank(pool.c.tier),
            case((pool.c.last_offered_at.is_(None), 0), else_=1),
            pool.c.last_offered_at,
            case((pool.c.dist2.is_(None), 1), else_=0),
            pool.c.dist2,
            case((pool.c.median.is_(None), 1), else_=0),
            pool.c.median,
            pool.c.id,
        )
        .limit(limit)
    )


def pick(
    session: Session,
    lead: Lead,
    *,
    tiers: list[str],
    members: str,
    limit: int,
    exclude: set[int] | frozenset[int] = frozenset(),
    now: datetime | None = None,
) -> list[Row]:
    """One statement choosing up to `limit` providers of `tiers` for `lead` (`members`: one of
    MEMBER_KINDS). For each listing state and tier, the metro's providers are walked along the
    index (home_metro_id, status, tier, last_offered_at), least recently offered first, and
    the walk stops after `limit` fitting rows (metro, category, not paused, service area,
    weekly cap, teaser); providers in a Growth trial (counted as growth) and extra-metro
    providers come from their own small index ranges. A UNION ALL of those short lists is then
    put in the final order (verified before the rest, tier, least recently offered, nearest,
    fastest, oldest listing) and cut to `limit`.

    So the work is a few index walks of about `limit` rows each (more only when many providers
    in a row do not fit), not a scan of the metro's providers. Rows: id, status, tier, home,
    last_offered_at, median (seconds), dist2 (squared miles, None without a ZIP or base)."""
    if members not in MEMBER_KINDS:
        raise ValueError(f"unknown member kind {members!r}")
    site = site_of(lead)
    params: dict[str, Any] = {
        "metro_id": lead.metro_id,
        "category_id": lead.category_id,
        "now": now or clock.now(),
        "week": week_start(),
    }
    if site is not None:
        ky, kx = zips.scale(site.lat)
        params.update(lat=site.lat, lon=site.lon, ky=ky, kx=kx, zip=site.code)
    if exclude:
        params["exclude"] = sorted(exclude)
    fenced = session.get_bind().dialect.name == "postgresql"
    statement = _statement(tuple(tiers), members, site is not None, int(limit), bool(exclude), fenced)
    return list(session.execute(statement, params))
