"""Keyset paging (issue 10): every list that can grow shows one page and a "Next page" link
carrying the last row's key; following the links shows every row once, in order, and a list
exactly one page long has no link. A broken cursor shows the first page, never an error."""

from __future__ import annotations

import html as html_lib
import re
from datetime import timedelta

import pytest

from app.core import clock, paging
from app.direct import escrow_inbox
from app.models import Assignment, Lead, OutboxEmail
from app.pipeline import inbox as pipeline_inbox
from app.web.admin import leads as admin_leads
from app.web.admin import views as admin_views

NEXT = re.compile(r'<a rel="next" href="([^"]+)">Next page')


def walk(client, url: str, row: re.Pattern, next_link: re.Pattern = NEXT) -> tuple[list[int], int]:
    """Follow "Next page" from `url`: (every row id seen, in order; pages visited)."""
    seen: list[int] = []
    pages = 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, f"GET {url}: {response.status_code}"
        body = response.get_data(as_text=True)
        seen += [int(i) for i in row.findall(body)]
        pages += 1
        link = next_link.search(body)
        url = html_lib.unescape(link.group(1)) if link else ""
        assert pages < 20, "paging never ends"
    return seen, pages


def _leads(db, factory, n: int, **kw) -> list[int]:
    """n leads in one flush, one minute apart (oldest first); their ids."""
    metro, category = factory.metro(), factory.category()
    start = clock.now() - timedelta(days=3)
    rows = [
        Lead(
            mode=kw.get("mode", "broadcast"),
            metro=metro,
            category=category,
            description="Trap full",
            customer_name=f"Customer {i}",
            customer_email=f"c{i}@example.com",
            city="Houston",
            status=kw.get("status", "verified"),
            delivery_status=kw.get("delivery_status", "new"),
            created_at=start + timedelta(minutes=i),
        )
        for i in range(n)
    ]
    db.session.add_all(rows)
    db.session.commit()
    return [lead.id for lead in rows]


@pytest.mark.parametrize(("extra", "pages"), [(0, 1), (1, 2)])
def test_admin_leads_page_boundary(as_admin, db, factory, extra, pages):
    ids = _leads(db, factory, admin_leads.PAGE + extra)
    seen, visited = walk(as_admin, "/admin/leads", re.compile(r'href="/admin/leads/(\d+)"'))
    assert seen == sorted(ids, reverse=True), "every lead once, newest first"
    assert visited == pages


def test_admin_leads_pages_keep_the_search(as_admin, db, factory):
    _leads(db, factory, admin_leads.PAGE + 5)
    first = as_admin.get("/admin/leads?q=customer&status=verified").get_data(as_text=True)
    link = html_lib.unescape(NEXT.search(first).group(1))
    assert "q=customer" in link and "status=verified" in link and "after=" in link
    second = as_admin.get(link).get_data(as_text=True)
    assert len(re.findall(r'href="/admin/leads/(\d+)"', second)) == 5 and "« First page" in second


@pytest.mark.parametrize("cursor", ["garbage", "W10", "WyJ4Il0", "%00", "x" * 600, "WzEsMiwzXQ"])
def test_a_broken_cursor_shows_the_first_page(as_admin, db, factory, cursor):
    _leads(db, factory, 3)
    page = as_admin.get(f"/admin/leads?after={cursor}")
    assert page.status_code == 200 and len(re.findall(r'href="/admin/leads/(\d+)"', page.get_data(as_text=True))) == 3


def test_escrow_inbox_pages_beyond_500_oldest_first(as_admin, db, factory):
    ids = _leads(db, factory, escrow_inbox.PAGE + 2, status="pending")  # held for review
    seen, visited = walk(as_admin, "/admin/escrow", re.compile(r'id="escrow-(\d+)"'))
    assert seen == ids and visited == 2
    box = escrow_inbox.inbox(db.session)
    assert box.total == len(ids) and box.counts["low_quality"] == len(ids), "counts cover every page"


def test_escrow_inbox_exactly_one_page_has_no_next_link(as_admin, db, factory):
    _leads(db, factory, 3, status="pending")
    body = as_admin.get("/admin/escrow").get_data(as_text=True)
    assert not NEXT.search(body) and "First page" not in body


def test_emails_page_boundary(as_admin, db):
    rows = [OutboxEmail(kind="t", to_email=f"e{i}@example.com", template="x", context={}) for i in range(201)]
    db.session.add_all(rows)
    db.session.commit()
    assert admin_views.EMAILS_PAGE == 200
    seen, visited = walk(as_admin, "/admin/emails", re.compile(r"<td>(\d+)</td><td>t</td>"))
    assert seen == sorted((r.id for r in rows), reverse=True) and visited == 2


def test_providers_page_by_name(as_admin, db, factory):
    metro = factory.metro()
    made = [factory.provider(metro=metro, name=f"P{i:03d}") for i in range(101)]
    db.session.commit()
    seen, visited = walk(as_admin, "/admin/providers", re.compile(r'href="/admin/providers/(\d+)"'))
    assert seen == [p.id for p in sorted(made, key=lambda p: p.name)] and visited == 2


def test_provider_inbox_pages_beyond_200(db, factory, as_provider):
    client = as_provider()
    provider = client.provider
    lead_ids = _leads(db, factory, 201, mode="direct", delivery_status="delivered")  # the old cap was 200
    start = clock.now() - timedelta(days=2)
    db.session.add_all(
        Assignment(
            lead_id=lead_id,
            provider_id=provider.id,
            kind="direct",
            status="delivered",
            created_at=start + timedelta(seconds=i),
        )
        for i, lead_id in enumerate(lead_ids)
    )
    db.session.commit()
    older = re.compile(r'rel="next" href="([^"]+)">Older leads')  # the pipeline inbox's own pager
    seen, visited = walk(client, "/provider/inbox", re.compile(r'href="/provider/inbox/(\d+)"'), older)
    pages = -(-201 // pipeline_inbox.PAGE_SIZE)
    assert list(dict.fromkeys(seen)) == list(reversed(lead_ids)) and visited == pages, (len(seen), visited)


def test_cursor_round_trip_and_in_python_pages():
    now = clock.now()
    token = paging.encode([now, 7])
    assert paging.decode(token, (type(now), int)) == (now, 7)
    assert paging.decode(token, (int, int)) is None
    rows = [(now + timedelta(seconds=i), i) for i in range(5)]
    first = paging.page_of(rows, lambda r: r, (type(now), int), size=2)
    second = paging.page_of(rows, lambda r: r, (type(now), int), after=first.next_after, size=2)
    last = paging.page_of(rows, lambda r: r, (type(now), int), after=second.next_after, size=2)
    assert [r[1] for r in first.rows + second.rows + last.rows] == [0, 1, 2, 3, 4]
    assert first.first and not second.first and last.next_after is None
