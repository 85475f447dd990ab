"""The audits as tests (issue 15): every page each role can reach, at a laptop's 1366×850 and a
phone's 390×844, has 0 critical and 0 serious axe-core violations, and at 390 px no page is
wider than the screen (no sideways scroll).

A new page is covered by adding one line to PAGES: (role, path). `{name}` in a path is filled
from the data `build_data` makes (lead ids, tracking tokens, slugs). Run alone with
`PYTEST_ARGS="tests/browser/test_audits.py" make test`.

axe-core is the pinned npm devDependency; `make test` copies it to tests/browser/vendor/ (never
under static/, so no page can load it) and the test injects it with Playwright.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app import demo
from app.broadcast import sla
from app.core import clock
from app.leads import intake
from app.models import Category, Metro, Provider

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
AXE_PATHS = (ROOT / "tests/browser/vendor/axe.min.js", ROOT / "node_modules/axe-core/axe.min.js")
DESKTOP = {"width": 1366, "height": 850}
PHONE = {"width": 390, "height": 844}
BLOCKING = ("critical", "serious")
# Rules axe rates lower that this product still holds every page to.
ALSO_BLOCKING = ("page-has-heading-one", "empty-table-header")
SHOTS = os.environ.get("AUDIT_SHOTS")  # a folder: full-page screenshots of every page at both sizes
PROVIDER_EMAIL = "houston-pro-pumping@demo.fogforge.local"

# (role, path): every page a role can reach. Roles: anon (customers, the public), provider
# (Houston Pro Pumping, verified, pro), admin. Tracking pages are the customer's (anon).
PAGES: list[tuple[str, str]] = [
    ("anon", "/"),
    ("anon", "/how-it-works"),
    ("anon", "/how-it-works/providers"),
    ("anon", "/m/houston"),
    ("anon", "/m/houston?category=grease-trap-pumping"),
    ("anon", "/m/houston?zip=77002"),
    ("anon", "/p/houston-pro-pumping"),
    ("anon", "/p/houston-aaa-grease-trap-cleaners"),
    ("anon", "/m/houston/request/broadcast"),
    ("anon", "/m/houston/request/quotes"),
    ("anon", "/p/houston-pro-pumping/request"),
    ("anon", "/p/houston-aaa-grease-trap-cleaners/claim"),
    ("anon", "/t/{broadcast_token}"),
    ("anon", "/t/{direct_token}"),
    ("anon", "/t/{escrow_token}"),
    ("anon", "/t/{quotes_token}"),
    ("anon", "/t/{held_token}"),
    ("anon", "/auth/login"),
    ("anon", "/auth/signup"),
    ("anon", "/auth/reset"),
    ("anon", "/dev/mailbox"),
    ("anon", "/dev/mailbox/{email_id}"),
    ("anon", "/no-such-page"),
    ("anon", "/resume-offers/{resume_token}"),
    ("provider", "/provider/"),
    ("provider", "/provider/inbox"),
    ("provider", "/provider/inbox/{direct_lead}"),
    ("provider", "/provider/offers"),
    ("provider", "/provider/offers?show=history"),
    ("provider", "/provider/quotes"),
    ("provider", "/provider/quotes/{quotes_lead}"),
    ("provider", "/provider/credits"),
    ("provider", "/provider/inbox?stage=new&mode=direct"),
    ("provider", "/provider/results?days=365"),
    ("provider", "/provider/tools"),
    ("provider", "/provider/settings"),
    ("provider", "/provider/settings/area"),
    ("provider", "/provider/settings/notifications"),
    ("provider", "/provider/notifications"),
    ("provider", "/provider/plan"),
    ("provider", "/provider/listing/new"),
    ("admin", "/admin/"),
    ("admin", "/admin/escrow"),
    ("admin", "/admin/verification"),
    ("admin", "/admin/leads"),
    ("admin", "/admin/leads/{direct_lead}"),
    ("admin", "/admin/leads/{broadcast_lead}"),
    ("admin", "/admin/providers"),
    ("admin", "/admin/providers/{provider_id}"),
    ("admin", "/admin/broadcasts"),
    ("admin", "/admin/broadcasts/{broadcast_lead}"),
    ("admin", "/admin/metros"),
    ("admin", "/admin/metros/{metro_id}"),
    ("admin", "/admin/metros/{metro_id}/try"),
    ("admin", "/admin/disputes"),
    ("admin", "/admin/credits"),
    ("admin", "/admin/plan-prices"),
    ("admin", "/admin/credits/{provider_id}"),
    ("admin", "/admin/partners"),
    ("admin", "/admin/partners/{partner_id}"),
    ("admin", "/admin/audit"),
    ("admin", "/admin/emails"),
    # issue 12: recurring compliance
    ("anon", "/my-sites/sign-in"),
    ("anon", "/my-sites/auth/{magic_token_spare}"),
    ("anon", "/manifests/{manifest_number}"),
    ("anon", "/rebook/{reminder_token}?mode=direct"),
    ("anon", "/rebook/{reminder_token}/cancel"),
    ("anon", "/compliance/{share_token}"),
    ("customer", "/my-sites"),
    ("provider", "/provider/customers"),
    ("provider", "/provider/jobs/{direct_lead}/service"),
    ("provider", "/provider/records/{record_id}/correct"),
    ("admin", "/admin/sites"),
    ("admin", "/admin/sites/{site_id}"),
    ("admin", "/admin/metros/{metro_id}/compliance"),
]

LOGINS = {"provider": PROVIDER_EMAIL, "admin": demo.ADMIN_EMAIL}

# What sticks out past the screen: the deepest elements beyond `limit`, not clipped by an
# ancestor that scrolls or hides its overflow.
WIDEST_JS = """(limit) => {
  const out = (el) => el.getBoundingClientRect().right > limit + 0.5;
  const clipped = (el) => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== 'visible' && !out(a)) return true;
    }
    return false;
  };
  const found = [];
  for (const el of document.querySelectorAll('body *')) {
    if (!out(el) || el.getBoundingClientRect().width === 0 || clipped(el)) continue;
    if ([...el.children].some(c => out(c) && !clipped(c))) continue;
    const cls = typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
    found.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + cls + ' right=' +
      Math.round(el.getBoundingClientRect().right) + ' "' + (el.textContent || '').trim().slice(0, 40) + '"');
  }
  return found.slice(0, 5);
}"""

AXE_JS = """async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: (n.failureSummary || '').split('\\n').slice(1, 2).join('')}))}));
}"""


def build_data(db, factory, rq) -> dict:
    """Demo data plus one lead of each kind, routed by the real jobs, and the rows admin pages list."""
    demo.seed(db.session)
    houston = db.session.scalar(select(Metro).where(Metro.slug == "houston"))
    grease = db.session.scalar(select(Category).where(Category.slug == "grease-trap-pumping"))
    pro = db.session.scalar(select(Provider).where(Provider.slug == "houston-pro-pumping"))
    unclaimed = db.session.scalar(select(Provider).where(Provider.slug == "houston-aaa-grease-trap-cleaners"))

    def submit(mode, email, phone, text, **kw):
        data = intake.LeadInput(
            mode=mode,
            metro_id=houston.id,
            category_id=grease.id,
            description=text,
            customer_name="Maria Garcia",
            customer_email=email,
            customer_phone=phone,
            street="4410 Westheimer Rd",
            city="Houston",
            postal_code="77027",
            business_name="Luciano's Trattoria",
            urgency="emergency",
            **kw,
        )
        return intake.submit_lead(db.session, data)

    # Long unbroken words (the e-mail addresses) are what push a narrow column past its card.
    direct = submit(
        "direct",
        "maria.garcia.orders@lucianostrattoria.com",
        "+17135550142",
        "1,000 gal trap, due for pumping.",
        requested_provider_id=pro.id,
    )
    escrow = submit(
        "direct", "ana@example.org", "+17135550143", "Trap smells, pump please.", requested_provider_id=unclaimed.id
    )
    broadcast = submit("broadcast", "li.kitchen.manager@example.org", "+17135550144", "Overflowing trap, today please.")
    quotes = submit("quotes", "sam@example.org", "+17135550145", "Quarterly pumping contract, 2 traps of 1,500 gal.")
    held = submit("broadcast", "bot@mailinator.com", "+17135550146", "x", honeypot_filled=True)
    db.session.commit()
    rq.run()

    # Finished offers (the offers page's history tab greys them out), a review (the rating
    # star), a notification (the bell count), a dispute, a partner, an email that failed.
    for state in ("taken", "expired", "declined"):
        old = factory.lead(metro=houston, category=grease, mode="broadcast", customer_email=f"{state}@example.org")
        factory.offer(old, pro, state=state, offered_at=clock.now() - timedelta(hours=2))
    done = factory.lead(metro=houston, category=grease, mode="quotes", status="completed", assigned_provider_id=pro.id)
    factory.review(done, pro, rating=4, text="Came the same day, clean job.")
    factory.notification(pro, title="New lead: grease trap pumping", lead=direct)
    bought = factory.assignment(done, pro, kind="quote")
    factory.dispute(bought)
    partner, _key = factory.partner_key(name="Kitchen Partners")
    factory.outbox_email(to="maria@example.org", status="failed", subject="We received your request")
    db.session.commit()
    email_id = factory.outbox_email(to="li@example.org", status="stored", subject="Your tracking link").id
    # a provider paused for unanswered offers (issue 13): its one-click resume page
    slow = db.session.scalar(
        select(Provider).where(Provider.status == "verified", Provider.id != pro.id).order_by(Provider.id)
    )
    slow.paused, slow.sla_paused_at, slow.missed_in_row = True, clock.now(), 3
    db.session.commit()
    compliance = _compliance_data(db, pro, direct)
    return {
        **compliance,
        "resume_token": sla.resume_token(slow),
        "direct_lead": direct.id,
        "direct_token": direct.public_token,
        "escrow_token": escrow.public_token,
        "broadcast_lead": broadcast.id,
        "broadcast_token": broadcast.public_token,
        "quotes_lead": quotes.id,
        "quotes_token": quotes.public_token,
        "held_token": held.public_token,
        "provider_id": pro.id,
        "metro_id": houston.id,
        "partner_id": partner.id,
        "email_id": email_id,
    }


def _compliance_data(db, pro, lead) -> dict:
    """Issue 12: the demo's sites and manifests, plus a reminder, an inspector link and
    sign-in links for the customer pages."""
    from app.compliance import demo as compliance_demo
    from app.compliance import magic, share
    from app.models import Reminder, ServiceRecord, Site

    site = db.session.scalar(select(Site).where(Site.owner_email == compliance_demo.SITES[0][0]))
    record = db.session.scalar(
        select(ServiceRecord)
        .where(ServiceRecord.provider_id == pro.id, ServiceRecord.lead_id.is_not(None))
        .order_by(ServiceRecord.id.desc())
    )
    trap = site.traps[0]
    reminder = Reminder(trap_id=trap.id, kind="auto_rebook", due_on=trap.next_due, provider_id=pro.id, lead_id=lead.id)
    db.session.add(reminder)
    share.create(db.session, site.id, site.owner_email)
    tokens = [magic.request_link(db.session, site.owner_email) for _ in range(2)]
    db.session.commit()
    return {
        "site_id": site.id,
        "record_id": record.id,
        "manifest_number": record.number,
        "reminder_token": reminder.token,
        "share_token": site.share_token,
        "magic_token": tokens[0],
        "magic_token_spare": tokens[1],
    }


def axe_source() -> Path:
    for path in AXE_PATHS:
        if path.exists():
            return path
    pytest.fail("axe-core is missing: run `make test` (or `npm ci && make tests/browser/vendor/axe.min.js`)")


def audit(page, size: dict) -> list[dict]:
    page.set_viewport_size(size)
    return [v for v in page.evaluate(AXE_JS) if v["impact"] in BLOCKING or v["id"] in ALSO_BLOCKING]


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"    [{v['impact']}] {v['id']}: {v['help']}")
        for n in v["nodes"][:6]:
            lines.append(f"        {n['target']}  {n['summary']}")
        if len(v["nodes"]) > 6:
            lines.append(f"        … and {len(v['nodes']) - 6} more")
    return "\n".join(lines)


def test_every_page_passes_axe_and_fits_a_phone(request, db, factory, rq, browser):
    data = build_data(db, factory, rq)
    base = request.getfixturevalue("live_server").url  # started after the data is committed
    axe = axe_source()
    failures: list[str] = []
    seen = 0
    for role in ("anon", "customer", "provider", "admin"):
        context = browser.new_context(viewport=DESKTOP)
        context.add_init_script(path=str(axe))  # into every page by Playwright, under the page's CSP
        page = context.new_page()
        if role in LOGINS:
            page.goto(base + "/auth/login")
            page.get_by_label("Email").fill(LOGINS[role])
            page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(lambda url: "/auth/login" not in url)
        if role == "customer":  # issue 12: a restaurant signed in to "My sites" by its magic link
            page.goto(base + f"/my-sites/auth/{data['magic_token']}")
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(lambda url: url.endswith("/my-sites"))
        for who, path in PAGES:
            if who != role:
                continue
            url = base + path.format(**data)
            page.set_viewport_size(DESKTOP)
            response = page.goto(url)
            where = f"{role} {path} ({page.url.removeprefix(base)}, HTTP {response.status if response else '?'})"
            if response is None or (response.status >= 400 and path != "/no-such-page"):
                failures.append(f"{where}: did not load")
                continue
            seen += 1
            if found := audit(page, DESKTOP):
                failures.append(f"{where} at 1366x850:\n{describe(found)}")
            if found := audit(page, PHONE):
                failures.append(f"{where} at 390x844:\n{describe(found)}")
            if SHOTS:
                name = f"{role}-{re.sub(r'[^a-z0-9]+', '-', path.lower()).strip('-') or 'home'}"
                page.screenshot(path=f"{SHOTS}/{name}-390.png", full_page=True)
                page.set_viewport_size(DESKTOP)
                page.screenshot(path=f"{SHOTS}/{name}-1366.png", full_page=True)
                page.set_viewport_size(PHONE)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                widest = "\n".join("        " + w for w in page.evaluate(WIDEST_JS, PHONE["width"]))
                failures.append(f"{where} at 390x844: page is {width} px wide; sticking out:\n{widest}")
        context.close()
    assert not failures, f"{len(failures)} audit failures ({seen} pages audited):\n" + "\n".join(failures)
    assert seen == len(PAGES), f"only {seen} of {len(PAGES)} pages audited"
