"""The customer's answer to a provider's "won" on a direct or broadcast request (issue 14)."""

from __future__ import annotations

from app.extensions import db
from app.pipeline import stages
from app.web.public.quotes import _REFUSED, _done, _lead
from app.web.public.views import bp


@bp.post("/t/<token>/won/<int:assignment_id>/<verdict>")
@_REFUSED
def won_verdict(token: str, assignment_id: int, verdict: str):
    lead = _lead(token, mode=None)
    return _done(lead, stages.customer_verdict(db.session, lead, assignment_id, verdict).message)
