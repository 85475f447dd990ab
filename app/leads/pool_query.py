"""Routing in SQL (issues 10 and 13): the parts of the one statement that picks a wave's
providers or a quote lead's top 10.

Every rule a provider must pass (metro, category, state, weekly cap, teaser, service area) and
the order (tier, least recently offered, distance, response time) is an SQL expression over
the provider's own row plus index probes (provider_categories by primary key, provider_metros
by metro, provider_zips by (zip, provider), assignments by (provider_id, created_at)), so one
`SELECT ... ORDER BY ... LIMIT n` returns the chosen providers. Nothing is loaded per provider
into Python, and the weekly-cap count is only looked up for providers that have a cap (a CASE
decides the order of evaluation) and the teaser only for free providers.

Distance: equirectangular miles from the lead's ZIP centre (app/leads/zips.py), compared as
squares, after a bounding-box prefilter on the provider's stored `area_*` columns; plain
arithmetic, so PostgreSQL and SQLite give the same answer as the Python check.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, or_, select, true, union_all
from sqlalchemy.orm import object_session

from app.core import clock
from app.leads import zips
from app.models import Assignment, Lead, Provider
from app.models.provider import PAID_TIERS, TIERS, provider_categories, provider_metros, provider_zips

Site = zips.Zip


def site_of(lead: Lead) -> Site | None:
    """Where the job is: the lead's ZIP centre (None for a lead without a known ZIP)."""
    return zips.lookup(lead.postal_code)


# ---------------------------------------------------------------------------- expressions
def effective_tier(now: datetime) -> ColumnElement:
    """The tier that counts now: an active Growth trial counts as growth (never lowers)."""
    return case(
        (and_(Provider.trial_ends_at > now, Provider.tier.in_(("starter", "free"))), "growth"),
        else_=Provider.tier,
    )


def tier_rank(tier: ColumnElement) -> ColumnElement:
    return case({t: rank for rank, t in enumerate(TIERS)}, value=tier, else_=len(TIERS))


def in_metro(metro_id: int) -> ColumnElement:
    """Home metro or one of its extra metros (two index lookups, not a scan of all providers)."""
    home = select(Provider.id).where(Provider.home_metro_id == metro_id)
    extra = select(provider_metros.c.provider_id).where(provider_metros.c.metro_id == metro_id)
    return Provider.id.in_(home.union(extra))


def offers_category(category_id: int) -> ColumnElement:
    return exists().where(
        provider_categories.c.provider_id == Provider.id, provider_categories.c.category_id == category_id
    )


def distance_squared(site: Site) -> ColumnElement:
    """Squared miles from the lead's ZIP to the provider's base (NULL without a base ZIP)."""
    ky, kx = zips.scale(site.lat)
    dy = (Provider.base_lat - site.lat) * ky
    dx = (Provider.base_lon - site.lon) * kx
    return dy * dy + dx * dx


def covers(site: Site | None) -> ColumnElement:
    """The provider's service area includes the lead's ZIP. A lead without a known ZIP, and a
    provider without a radius or listed ZIPs, fall back to the metro (checked separately)."""
    if site is None:
        return true()
    return or_(
        and_(Provider.service_radius_miles.is_(None), Provider.area_zip_count == 0),
        and_(
            Provider.service_radius_miles.is_not(None),
            Provider.area_min_lat <= site.lat,
            Provider.area_max_lat >= site.lat,
            Provider.area_min_lon <= site.lon,
            Provider.area_max_lon >= site.lon,
            distance_squared(site) <= Provider.service_radius_miles * Provider.service_radius_miles,
        ),
        and_(
            Provider.area_zip_count > 0,
            exists().where(provider_zips.c.zip == site.code, provider_zips.c.provider_id == Provider.id),
        ),
    )


def leads_this_week(week_start: datetime) -> ColumnElement:
    return (
        select(func.count(Assignment.id))
        .where(Assignment.provider_id == Provider.id, Assignment.created_at >= week_start)
        .correlate(Provider)
        .scalar_subquery()
    )


def under_cap(week_start: datetime) -> ColumnElement:
    """No cap, or fewer leads this ISO week than the cap (counted only for capped providers)."""
    return (
        case((Provider.weekly_cap.is_(None), 1), (leads_this_week(week_start) < Provider.weekly_cap, 1), else_=0) == 1
    )


def teaser_used(week_start: datetime) -> ColumnElement:
    return exists().where(
        Assignment.provider_id == Provider.id, Assignment.teaser.is_(True), Assignment.created_at >= week_start
    )


def is_paid(tier: ColumnElement) -> ColumnElement:
    return tier.in_(PAID_TIERS)


def order_by(tier: ColumnElement, site: Site | None) -> list[ColumnElement]:
    """Higher tier, then least recently offered (never offered first), then nearest, then the
    faster median response, then the older listing."""
    keys: list = [
        tier_rank(tier),
        case((Provider.last_offered_at.is_(None), 0), else_=1),
        Provider.last_offered_at,
    ]
    if site is not None:
        keys += [case((Provider.base_lat.is_(None), 1), else_=0), distance_squared(site)]
    keys += [case((Provider.median_response_seconds.is_(None), 1), else_=0), Provider.median_response_seconds]
    return [*keys, Provider.id]


def distance_column(site: Site | None) -> ColumnElement:
    if site is None:
        return func.nullif(1, 1)  # NULL, typed loosely
    return case((Provider.base_lat.is_(None), None), else_=distance_squared(site))


def miles_from(dist2: float | None) -> float | None:
    return None if dist2 is None else round(float(dist2) ** 0.5, 1)


def base_filters(lead: Lead, site: Site | None) -> list[ColumnElement]:
    """Metro, category, not paused and the service area: what every mode's pool shares."""
    return [
        in_metro(lead.metro_id),
        offers_category(lead.category_id),
        Provider.paused.is_(False),
        covers(site),
    ]


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


# ---------------------------------------------------------------------------- the pick
def _walk(columns, walk: list[ColumnElement], fits: list[ColumnElement], limit: int) -> Select:
    """The index walk: the rows matching `walk` (the rotation index's equality columns) in
    index order (least recently offered first), fenced (OFFSET 0: neither database merges it
    into the outer query, whose filter estimates would make PostgreSQL sort the whole range),
    then filtered by `fits` row by row and cut at `limit`; ties in last_offered_at are put in
    distance/response order group by group (incremental sort), so the walk still stops early."""
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


def pick(
    lead: Lead,
    site: Site | None,
    *,
    tiers: list[str],
    member: dict[str, ColumnElement],
    limit: int,
    exclude: set[int] | frozenset[int] = frozenset(),
    now: datetime | None = None,
) -> Select:
    """One statement choosing up to `limit` providers of `tiers` for `lead`: for each listing
    state in `member` (state -> the extra condition providers in it must meet) and each tier, the
    metro's providers are walked along the index (home_metro_id, status, tier, last_offered_at),
    least recently offered first, and the walk stops after `limit` fitting rows; trial providers
    (counted as growth) and extra-metro providers come from their own small index ranges. A
    UNION ALL of those short lists is then put in the final order (verified before the rest,
    tier, least recently offered, nearest, fastest, oldest listing) and cut to `limit`.

    So the work is a few index walks of about `limit` rows each (more only when many providers
    in a row do not fit: paused, over their cap, another category, outside their area), not a
    scan of the metro's providers."""
    now = now or clock.now()
    week = week_start()
    tier = effective_tier(now)
    dist = distance_column(site)
    columns = (
        Provider.id.label("id"),
        Provider.status.label("status"),
        tier.label("tier"),
        (Provider.home_metro_id == lead.metro_id).label("home"),
        Provider.last_offered_at.label("last_offered_at"),
        Provider.median_response_seconds.label("median"),
        dist.label("dist2"),
    )
    shared = [
        offers_category(lead.category_id),
        Provider.paused.is_(False),
        covers(site),
        under_cap(week),
    ]
    if exclude:
        shared.append(Provider.id.not_in(sorted(exclude)))
    inner_order = [
        Provider.last_offered_at.asc().nulls_first(),
        case((Provider.base_lat.is_(None), 1), else_=0),
        dist,
        case((Provider.median_response_seconds.is_(None), 1), else_=0),
        Provider.median_response_seconds,
        Provider.id,
    ]
    not_lifted = or_(Provider.trial_ends_at.is_(None), Provider.trial_ends_at <= now)
    parts = []
    for status, condition in member.items():
        at_home = [Provider.home_metro_id == lead.metro_id, Provider.status == status, condition, *shared]
        for t in tiers:
            own = [Provider.tier == t] + ([not_lifted] if t in ("starter", "free") else [])
            parts.append(_walk(columns, at_home[:2] + [Provider.tier == t], [*at_home[2:], *own], limit))
        # The next two lists must start from their own small index range (the providers in a
        # trial; the metro's extra providers), not from the metro's or the state's providers:
        # `+ 0` and lower() keep both databases from walking those larger indexes instead.
        same_metro = (Provider.home_metro_id + 0) == lead.metro_id
        same_status = func.lower(Provider.status) == status
        if "growth" in tiers:  # a Growth trial counts as growth
            trials = [Provider.trial_ends_at > now, Provider.tier.in_(("starter", "free"))]
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
                provider_metros.c.metro_id == lead.metro_id,
                Provider.home_metro_id != lead.metro_id,
                same_status,
                condition,
                tier.in_(tiers),
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
