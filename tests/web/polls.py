"""What htmx sends on a live poll, read from the page (or the last poll answer) like htmx does:
the poller's hx-vals (version, bell count) and every `input.poll-key` (each card's status key)."""

from __future__ import annotations

import html as html_lib
import json
import re

POLL_KEY = re.compile(r'<input type="hidden" class="poll-key" name="s" value="([^"]+)">')
POLLER_VALS = re.compile(r'id="(?:offer-poller|notification-bell)"[^>]*?hx-vals=\'([^\']+)\'', re.S)


def poll_args(page: str, *answers: str) -> list[tuple[str, str]]:
    """Query parameters of the next poll: the page's keys, updated by later poll answers."""
    keys: dict[str, str] = {}
    vals: dict = {}
    for text in (page, *answers):
        for raw in POLL_KEY.findall(text):
            value = html_lib.unescape(raw)
            keys[value.split(":", 1)[0]] = value
        found = POLLER_VALS.findall(text)
        if found:
            vals = json.loads(html_lib.unescape(found[0]))
    return [(k, str(v)) for k, v in vals.items()] + [("s", v) for v in keys.values()]


POLL_TOKEN = re.compile(r'id="(?:offer-poller|notification-bell)"[^>]*?hx-headers=\'([^\']+)\'', re.S)


def poll_headers(page: str, *answers: str) -> dict[str, str]:
    """The headers htmx sends with the next poll: HX-Request and the poller's hx-headers (the
    fast path's token), from the page or the last poll answer that re-rendered the poller."""
    headers = {"HX-Request": "true"}
    for text in (page, *answers):
        found = POLL_TOKEN.findall(text)
        if found:
            headers.update(json.loads(html_lib.unescape(found[0])))
    return headers


def two_pro_providers(db, factory) -> dict:
    """Houston, grease trap pumping, and two pro providers (alpha, bravo) with their own users."""
    metro = factory.metro("Houston", slug="houston")
    cat = factory.category("Grease trap pumping")
    people = {}
    for name in ("alpha", "bravo"):
        user = factory.user(email=f"{name}@example.com")
        people[name] = factory.provider(metro=metro, categories=[cat], tier="pro", owner=user, name=name.title())
    db.session.commit()
    return {"metro": metro, "cat": cat, "people": people}


def new_broadcast(db, factory, scene, **kw):
    """A broadcast lead in the scene's metro, its first wave started and committed."""
    from app.broadcast import waves

    lead = factory.lead(metro=scene["metro"], category=scene["cat"], delivery_status="ready", **kw)
    waves.start(db.session, lead)
    db.session.commit()
    return lead
