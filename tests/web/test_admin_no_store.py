"""Issue 16: every admin page (they list customers' contact data) is sent `Cache-Control:
no-store`; walked from the URL map so pages added later are covered."""

from __future__ import annotations


def test_every_admin_page_is_no_store(app, as_admin, factory):
    lead = factory.lead(customer_email="maria.garcia@gmail.com")
    factory.outbox_email(to="maria.garcia@gmail.com")
    factory.session.commit()
    urls = ["/admin/emails", "/admin/emails?status=pending", "/admin/leads?q=maria", f"/admin/leads/{lead.id}"]
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/admin") and "GET" in rule.methods and not rule.arguments:
            urls.append(rule.rule)
    seen = {}
    for url in urls:
        response = as_admin.get(url)
        if response.status_code == 200:
            seen[url] = response.headers.get("Cache-Control")
    assert "/admin/emails" in seen and len(seen) > 10, seen
    assert {url: cc for url, cc in seen.items() if cc != "no-store"} == {}
