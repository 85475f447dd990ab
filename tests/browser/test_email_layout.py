"""Emails in Chromium (issue 15): the HTML part of every email, rendered as a mail client would
(page.set_content), passes the axe audit (0 critical/serious) and fits a 390 px phone."""

from __future__ import annotations

import os

import pytest

from tests.browser.test_audits import AXE_JS, BLOCKING, DESKTOP, PHONE, axe_source, describe
from tests.email_samples import SAMPLES, render

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("AUDIT_SHOTS")


def test_every_email_passes_axe_and_fits_a_phone(app, db, browser):
    axe = axe_source()
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    failures = []
    for template in sorted(SAMPLES):
        _subject, _text, html = render(template)
        for size in (PHONE, DESKTOP):
            page.set_viewport_size(size)
            page.set_content(html)
            page.add_script_tag(path=str(axe))
            found = [v for v in page.evaluate(AXE_JS) if v["impact"] in BLOCKING]
            if found:
                failures.append(f"{template} at {size['width']}px:\n{describe(found)}")
            if size is PHONE:
                width = page.evaluate("document.documentElement.scrollWidth")
                if width > PHONE["width"]:
                    failures.append(f"{template}: {width} px wide on a {PHONE['width']} px phone")
            if SHOTS:
                page.screenshot(path=f"{SHOTS}/email-{template}-{size['width']}.png", full_page=True)
    context.close()
    assert not failures, "\n".join(failures)
