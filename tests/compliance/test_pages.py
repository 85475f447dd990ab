"""Provider "My customers", admin sites/search/manifest lookup, the metro rule editor, the
dashboard chart; who may open each."""

import re
from datetime import timedelta

from sqlalchemy import select

from app.models import AuditLog, ComplianceRule, Trap
from tests.compliance.conftest import record


def test_my_customers_shows_sites_due_dates_revenue_ahead_and_reminders(db, job, as_provider, clock):
    record(db, job)
    clock.advance(timedelta(days=80))
    from app.platform import sweep

    sweep.run(db.session)
    db.session.commit()
    page = as_provider(job.provider).get("/provider/customers").get_data(as_text=True)
    page = " ".join(re.sub(r"<[^>]+>", " ", page).split()).replace(" ,", ",")
    for expected in (
        "Taqueria Maria",
        "12 Main St",
        "2026-05-31",
        "Due soon",
        "1 job due in the next 30 days",
        "Due soon reminder",
    ):
        assert expected in page, expected
    assert "maria.garcia@gmail.com" not in page
    other = as_provider(job.other).get("/provider/customers").get_data(as_text=True)
    assert "Taqueria Maria" not in other and "No customers yet" in other


def test_admin_sites_search_site_page_and_manifest_lookup(db, job, as_admin):
    saved = record(db, job)
    listing = as_admin.get("/admin/sites?q=taqueria").get_data(as_text=True)
    assert "Taqueria Maria" in listing and "maria.garcia@gmail.com" in listing
    assert "Taqueria Maria" not in as_admin.get("/admin/sites?q=nomatch").get_data(as_text=True)
    found = as_admin.get(f"/admin/sites?manifest={saved.number.lower()}")
    assert found.status_code == 303 and f"/admin/sites/{job.lead.site_id}" in found.location
    page = as_admin.get(found.location).get_data(as_text=True)
    assert saved.number in page and "TX-GT-20931" in page
    assert "No manifest FM-NOPE" in as_admin.get("/admin/sites?manifest=FM-NOPE").get_data(as_text=True)


def test_admin_pages_are_admin_only(db, job, as_provider, anon):
    for client in (as_provider(job.provider), anon):
        for url in (
            "/admin/sites",
            f"/admin/sites/{job.lead.site_id}",
            f"/admin/metros/{job.lead.metro_id}/compliance",
        ):
            assert client.get(url).status_code in (302, 403), url


def test_rule_editor_validates_audits_and_recomputes_due_dates(db, job, as_admin):
    record(db, job)
    url = f"/admin/metros/{job.lead.metro_id}/compliance"
    bad = as_admin.post(url, data={"interval_days": "0", "lead_days": "500", "authority": "x", "rule_text": ""})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "from 1 to 3,650" in text and "from 0 to 120" in text
    assert db.session.get(ComplianceRule, job.lead.metro_id).interval_days == 90
    ok = as_admin.post(
        url, data={"interval_days": "60", "lead_days": "7", "authority": "City of Houston", "rule_text": "60 days"}
    )
    assert ok.status_code == 303
    db.session.expire_all()
    trap = db.session.get(Trap, job.lead.trap_id)
    assert str(trap.next_due) == "2026-05-01"
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "compliance_rule")) is not None
    as_admin.post(url, data={"interval_days": "", "lead_days": "14"})  # no rule: no due date
    db.session.expire_all()
    assert db.session.get(Trap, job.lead.trap_id).next_due is None


def test_dashboard_chart_counts_overdue_traps_per_metro(db, job, as_admin, clock):
    record(db, job)
    clock.advance(timedelta(days=100))
    page = as_admin.get("/admin/").get_data(as_text=True)
    assert "Grease traps by status per metro" in page
    row = page.split('id="traps"')[1]
    assert '<th scope="row">Houston</th><td>1</td><td>0</td><td>0</td><td>0</td>' in row.replace("\n", ""), row[:3000]
