"""Provider inbox (delivered leads in full, escrow previews masked) and notifications (issue 4)."""

from __future__ import annotations

from flask import abort, g, has_request_context, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from htmx_flask import request as hx_request
from jinja2_fragments.flask import render_block

from app.broadcast import offer_cards
from app.direct import inbox as inbox_service
from app.extensions import db
from app.models import Notification
from app.platform import changes, notify
from app.web.access import provider_required
from app.web.provider import live
from app.web.provider.views import bp
from app.web.responses import private, render


def _provider():
    return current_user.provider


@bp.get("/inbox")
@provider_required
def inbox():
    items = inbox_service.page(db.session, _provider(), request.args.get("after"))
    held = inbox_service.held(db.session, _provider(), items.rows)
    return render("provider/inbox.html", private=True, provider=_provider(), items=items, held=held)


@bp.get("/inbox/<int:lead_id>")
@provider_required
def inbox_lead(lead_id: int):
    item = inbox_service.item(db.session, _provider(), lead_id) or abort(404)
    return render("provider/inbox_lead.html", private=True, provider=_provider(), item=item)


@bp.before_app_request
def _forget_unread_count() -> None:
    g.pop("unread_notifications", None)
    g.pop("bell_version", None)


@bp.app_context_processor
def bell_context():
    """The header bell's unread count: a number, counted once per request (first render)."""
    if not has_request_context():  # emails rendered by a worker have no bell
        return {}
    if "unread_notifications" not in g:
        provider = getattr(current_user, "provider", None) if current_user.is_authenticated else None
        # the version first: a change after it makes the bell's next poll render again
        g.bell_version = changes.version(db.session, provider.id) if provider is not None else 0
        g.unread_notifications = notify.unread_count(db.session, provider.id) if provider is not None else 0
    return {"unread_notifications": g.unread_notifications, "bell_version": g.bell_version}


@bp.get("/notifications/bell")
@live.unchanged_204  # before the user is loaded: an unchanged poll reads one Redis key
@provider_required
def bell():
    """The header bell (htmx-polled with the version it has): 204 while nothing changed."""
    provider = _provider()
    if (
        provider is not None
        and not live.stale_token()
        and request.args.get("v", type=int) == changes.version(db.session, provider.id)
    ):
        return private(make_response("", 204))
    return render("provider/_bell.html", private=True)


@bp.get("/notifications")
@provider_required
def notifications():
    provider = _provider()
    rows = notify.recent(db.session, provider.id) if provider else []
    return render("provider/notifications.html", private=True, notifications=rows, **_note_outcomes(provider, rows))


def _note_outcomes(provider, rows) -> dict:
    """What became of each offer a "new offer" notification announced (open, taken, closed…)."""
    if provider is None:
        return {"outcomes": {}}
    lead_ids = [n.lead_id for n in rows if n.kind == "new_offer" and n.lead_id is not None]
    return {"outcomes": offer_cards.outcomes(db.session, provider.id, lead_ids)}


@bp.post("/notifications/<int:notification_id>/read")
@provider_required
def notification_read(notification_id: int):
    provider = _provider() or abort(404)
    note = db.session.get(Notification, notification_id)
    if note is None or note.provider_id != provider.id:
        abort(404)
    notify.mark_read(db.session, provider.id, notification_id)
    db.session.commit()
    if hx_request.htmx:  # the item, and the bell lowered at once (out-of-band)
        db.session.refresh(note)
        item = render_block("provider/notifications.html", "item", note=note, **_note_outcomes(provider, [note]))
        return private(make_response(item + render_template("provider/_bell.html", bell_oob=True)))
    next_url = request.form.get("next", "")
    return redirect(
        next_url if next_url.startswith("/provider/") else url_for("provider.notifications"),
        code=303,
    )


@bp.post("/notifications/read-all")
@provider_required
def notifications_read_all():
    provider = _provider() or abort(404)
    notify.mark_read(db.session, provider.id)
    db.session.commit()
    return redirect(url_for("provider.notifications"), code=303)
