"""Broadcast offers for providers (issue 5): the live offers page, one self-refreshing card per
offer (polls while open, stops with 286), accept and decline in one click, without JS too."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, request, url_for
from flask_login import current_user
from htmx_flask import request as hx_request
from sqlalchemy.exc import IntegrityError

from app.broadcast import offer_actions, offer_cards
from app.core.refusal import Refusal
from app.extensions import db
from app.models import Offer
from app.web.access import provider_required
from app.web.provider.views import bp
from app.web.responses import on_refusal, render


def _my_offer(offer_id: int) -> Offer:
    provider = current_user.provider
    offer = db.session.get(Offer, offer_id)
    if provider is None or offer is None or offer.provider_id != provider.id:
        abort(404)
    return offer


def _card(offer: Offer, error: str | None = None, *, polled: bool = False):
    """One offer's card; a poll (`polled`) of a card that will not change again answers 286."""
    card = offer_cards.card(db.session, offer)
    return render(
        "provider/_offer_card.html",
        private=True,
        final=polled and card.final,
        c=card,
        error=error,
        poll=current_app.config["OFFER_POLL_SECONDS"],
        DECLINE_REASONS=offer_actions.DECLINE_REASONS,
    )


@bp.get("/offers")
@provider_required
def offers():
    provider = current_user.provider
    cards = (
        [offer_cards.card(db.session, o) for o in offer_cards.offers_for(db.session, provider.id)] if provider else []
    )
    return render(
        "provider/offers.html",
        private=True,
        provider=provider,
        cards=cards,
        after=max([c.offer.id for c in cards] + [0]),
        poll=current_app.config["OFFER_POLL_SECONDS"],
        DECLINE_REASONS=offer_actions.DECLINE_REASONS,
    )


@bp.get("/offers/new")
@provider_required
def offers_new():
    """The page's poller (htmx): offers that arrived since the page loaded, then a fresh poller."""
    provider = current_user.provider or abort(404)
    after = request.args.get("after", type=int) or 0
    fresh = offer_cards.new_offers(db.session, provider.id, after)
    latest = max([o.id for o in fresh] + [after])
    return render(
        "provider/_offer_poller.html",
        private=True,
        new_cards=[offer_cards.card(db.session, o) for o in fresh],
        after=latest,
        poll=current_app.config["OFFER_POLL_SECONDS"],
        DECLINE_REASONS=offer_actions.DECLINE_REASONS,
    )


@bp.get("/offers/<int:offer_id>")
@provider_required
def offer_card(offer_id: int):
    offer = _my_offer(offer_id)
    if not hx_request.htmx:
        return redirect(url_for("provider.offers", _anchor=f"offer-{offer_id}"))
    return _card(offer, polled=True)


def _done(offer_id: int, message: str):
    if hx_request.htmx:  # htmx swaps 2xx only: the card itself says what happened
        db.session.expire_all()
        return _card(db.session.get_one(Offer, offer_id))
    flash(message, "success")
    return redirect(url_for("provider.offers", _anchor=f"offer-{offer_id}"), code=303)


def _refused_card(refusal: Refusal, offer_id: int):
    return _card(db.session.get_one(Offer, offer_id), refusal.message)


_REFUSED = on_refusal(
    back=lambda offer_id: url_for("provider.offers", _anchor=f"offer-{offer_id}"),
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
