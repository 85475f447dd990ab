"""Broadcast offers for providers (issues 5 and 11): the live offers page, accept and decline in
one click (without JS too), and the page's one cheap poll.

The poll sends the change version the page has (app/platform/changes.py), the bell's count and
each card's status key. Same version: 204, nothing read but one Redis key (app/web/provider/live.py:
before the user is loaded). Otherwise only what
differs goes back, out-of-band: new cards, the status region of a changed card (its actions
region removed once it can no longer be acted on), the bell; never a whole card the provider
may be using."""

from __future__ import annotations

from flask import abort, current_app, flash, make_response, redirect, request, url_for
from flask_login import current_user
from htmx_flask import request as hx_request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.broadcast import offer_actions, offer_cards
from app.core.refusal import Refusal
from app.extensions import db
from app.models import Offer
from app.models.offer import OPEN_STATES
from app.platform import changes, notify
from app.web.access import provider_required
from app.web.provider import live
from app.web.provider.views import bp
from app.web.responses import on_refusal, private, render


def _my_offer(offer_id: int) -> Offer:
    provider = current_user.provider
    offer = db.session.get(Offer, offer_id)
    if provider is None or offer is None or offer.provider_id != provider.id:
        abort(404)
    return offer


def _card(offer: Offer, error: str | None = None, status: int = 200):
    card = offer_cards.card(db.session, offer)
    return render(
        "provider/_offer_card.html",
        private=True,
        status=status,
        c=card,
        error=error,
        DECLINE_REASONS=offer_actions.DECLINE_REASONS,
    )


@bp.get("/offers")
@provider_required
def offers():
    provider = current_user.provider
    history = request.args.get("show") == "history"
    version = changes.version(db.session, provider.id) if provider else 0  # before the data it covers
    offers_ = []
    if provider is not None:
        offers_ = (offer_cards.history if history else offer_cards.open_offers)(db.session, provider.id)
    cards = offer_cards.cards(db.session, offers_)
    return render(
        "provider/offers.html",
        private=True,
        provider=provider,
        cards=cards,
        history=history,
        open_count=sum(not c.final for c in cards),
        version=version,
        unread=notify.unread_count(db.session, provider.id) if provider else 0,
        bell_poll=history,  # the open page's poll carries the bell
        poll=current_app.config["OFFER_POLL_SECONDS"],
        DECLINE_REASONS=offer_actions.DECLINE_REASONS,
    )


def _shown_keys() -> dict[int, str]:
    """{offer id: status key} the page reported (`s=<id>:<key>`, at most MAX_SHOWN)."""
    shown: dict[int, str] = {}
    for raw in request.args.getlist("s")[: offer_cards.MAX_SHOWN]:
        head, _, key = raw.partition(":")
        if head.isdigit():
            shown[int(head)] = key
    return shown


@bp.get("/offers/poll")
@live.unchanged_204  # before the user is loaded: an unchanged poll reads one Redis key
@provider_required
def offers_poll():
    provider = current_user.provider or abort(404)
    version = changes.version(db.session, provider.id)
    if request.args.get("v", type=int) == version and not live.stale_token():
        return private(make_response("", 204))
    shown = _shown_keys()
    cards = offer_cards.cards(db.session, offer_cards.live_offers(db.session, provider.id, shown))
    new_cards = [c for c in cards if c.offer.id not in shown and not c.final]
    changed = [c for c in cards if c.offer.id in shown and shown[c.offer.id] != c.key]
    was_final = {i for i, key in shown.items() if key.split(":", 1)[0] not in ("open", "restricted")}
    reopened = [c for c in changed if c.offer.id in was_final and not c.final]  # re-offered after a restart
    unread = notify.unread_count(db.session, provider.id)
    return render(
        "provider/_offer_poll.html",
        private=True,
        new_cards=sorted(new_cards, key=lambda c: c.offer.id),
        changed=[c for c in changed if c not in reopened],
        reopened=reopened,
        bell=request.args.get("n", type=int) != unread,
        version=version,
        unread=unread,
        poll=current_app.config["OFFER_POLL_SECONDS"],
        DECLINE_REASONS=offer_actions.DECLINE_REASONS,
    )


@bp.get("/offers/<int:offer_id>")
@provider_required
def offer_card(offer_id: int):
    offer = _my_offer(offer_id)
    if not hx_request.htmx:
        show = None if offer.is_open else "history"
        return redirect(url_for("provider.offers", show=show, _anchor=f"offer-{offer_id}"))
    return _card(offer)


def _where(offer_id: int) -> str:
    """The offers page tab the card is on now (open offers, or history once it is settled):
    read from the one column that says, as committed (32 providers may be refused at once)."""
    state = db.session.scalar(select(Offer.state).where(Offer.id == offer_id))
    show = None if state in OPEN_STATES else "history"
    return url_for("provider.offers", show=show, _anchor=f"offer-{offer_id}")


def _done(offer_id: int, message: str):
    if hx_request.htmx:  # htmx swaps 2xx only: the card itself says what happened
        db.session.expire_all()
        return _card(db.session.get_one(Offer, offer_id))
    flash(message, "success")
    return redirect(_where(offer_id), code=303)


def _refused_card(refusal: Refusal, offer_id: int):
    db.session.expire_all()
    return _card(db.session.get_one(Offer, offer_id), refusal.message)


def _refused_back(offer_id: int) -> str:
    db.session.rollback()  # nothing the refused action did is kept; read the offer as it is
    return _where(offer_id)


_REFUSED = on_refusal(
    back=_refused_back,
    again=_refused_card,
    status=200,  # the card says why; htmx swaps it like any other answer
)


@bp.post("/offers/<int:offer_id>/accept")
@provider_required
@_REFUSED
def offer_accept(offer_id: int):
    _my_offer(offer_id)
    offer_actions.accept(db.session, offer_id, current_user.provider.id, user=current_user)
    try:
        db.session.commit()
    except IntegrityError:  # the unique index caught a second winner: never two
        raise Refusal(offer_actions.STATE_REASONS["taken"]) from None
    return _done(offer_id, "The lead is yours: call the customer now.")


@bp.post("/offers/<int:offer_id>/decline")
@provider_required
@_REFUSED
def offer_decline(offer_id: int):
    _my_offer(offer_id)
    offer_actions.decline(db.session, offer_id, current_user.provider.id, request.form.get("reason") or None)
    db.session.commit()
    return _done(offer_id, "Offer declined. Thanks for letting us know.")
