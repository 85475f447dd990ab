"""The public directory: metros, categories and provider listings as the public sees them."""

from __future__ import annotations

from sqlalchemy import case, func, select, union
from sqlalchemy.orm import Session, selectinload

from app.leads import pool_query, zips
from app.models import Category, Metro, Provider
from app.models.provider import provider_metros


def metros_with_counts(session: Session) -> list[tuple[Metro, int]]:
    count = (
        select(func.count(Provider.id))
        .where(Provider.home_metro_id == Metro.id, Provider.status != "suspended")
        .correlate(Metro)
        .scalar_subquery()
    )
    return [(metro, n) for metro, n in session.execute(select(Metro, count).order_by(Metro.name))]


def metro_by_slug(session: Session, slug: str) -> Metro | None:
    return session.scalar(select(Metro).where(Metro.slug == slug))


def provider_by_slug(session: Session, slug: str) -> Provider | None:
    return session.scalar(
        select(Provider)
        .where(Provider.slug == slug, Provider.status != "suspended")
        .options(selectinload(Provider.categories), selectinload(Provider.extra_metros))
    )


def providers_in_metro(
    session: Session, metro: Metro, category_slug: str | None = None, site: zips.Zip | None = None
) -> list[Provider]:
    """Listings serving the metro (home or extra): verified first, then by tier, then name;
    with a customer's ZIP (`site`), only those whose service area covers it (issue 13)."""
    status_order = case({"verified": 0, "claimed": 1, "unclaimed": 2}, value=Provider.status, else_=3)
    tier_order = case({"pro": 0, "growth": 1, "starter": 2, "free": 3}, value=Provider.tier, else_=4)
    # one id list (home metro UNION extra metros): each side reads its index, where an OR of the
    # two would make SQLite scan every provider
    serving = union(
        select(Provider.id).where(Provider.home_metro_id == metro.id),
        select(provider_metros.c.provider_id).where(provider_metros.c.metro_id == metro.id),
    )
    query = (
        select(Provider)
        .where(Provider.id.in_(serving))
        .where(Provider.status != "suspended")
        .options(selectinload(Provider.categories))
        .order_by(status_order, tier_order, Provider.name)
    )
    if category_slug:
        query = query.where(Provider.categories.any(Category.slug == category_slug))
    if site is not None:
        query = query.where(pool_query.covers(site))
    return list(session.scalars(query))


def categories(session: Session) -> list[Category]:
    return list(session.scalars(select(Category).order_by(Category.position, Category.name)))
