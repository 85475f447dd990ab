"""'Try a plan' (issue 13) in Chromium: an admin runs a candidate plan and the results (the side-by-
side table, the charts, the save form) pass axe and fit a 390 px phone, like every audited page."""

from __future__ import annotations

import pytest

from app import demo
from tests.browser.test_audits import DESKTOP, PHONE, WIDEST_JS, audit, axe_source, build_data, describe

pytestmark = pytest.mark.browser


def test_try_plan_results_pass_axe_and_fit_a_phone(request, db, factory, rq, browser):
    data = build_data(db, factory, rq)
    base = request.getfixturevalue("live_server").url
    context = browser.new_context(viewport=DESKTOP)
    context.add_init_script(path=str(axe_source()))
    page = context.new_page()
    page.goto(base + "/auth/login")
    page.get_by_label("Email").fill(demo.ADMIN_EMAIL)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/auth/login" not in url)
    page.goto(f"{base}/admin/metros/{data['metro_id']}/try")
    page.fill("#wave-1-size", "1")
    page.fill("#leads", "20")
    page.get_by_role("button", name="Run both plans").click()
    page.get_by_role("heading", name="The same day, two plans").wait_for(timeout=120_000)
    assert page.locator(".try-table").inner_text().count("%") >= 6
    assert page.locator("#chart-try-fill").count() == 1
    failures = []
    for size in (DESKTOP, PHONE):
        if found := audit(page, size):
            failures.append(f"at {size['width']} px:\n{describe(found)}")
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > PHONE["width"]:
        failures.append(f"{width} px wide:\n" + "\n".join(page.evaluate(WIDEST_JS, PHONE["width"])))
    assert not failures, "\n".join(failures)
    context.close()
