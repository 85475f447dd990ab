"""Admin "Try a plan" (issue 13): a metro's current wave plan and a candidate replayed on the same
simulated day through the real engine, side by side with charts, before saving the candidate."""

from __future__ import annotations

from flask import abort, request

from app.broadcast import metro_policy
from app.core.refusal import Refusal
from app.dispatch import metro_day, trial
from app.extensions import db
from app.models import Metro
from app.models.provider import TIERS
from app.web.access import admin_required
from app.web.admin.plan_charts import comparison_charts, comparison_rows
from app.web.admin.views import bp
from app.web.responses import on_refusal, render


def _page(metro: Metro, data: trial.TrialInput, result: trial.Comparison | None = None, status: int = 200):
    return render(
        "admin/try_plan.html",
        status=status,
        metro=metro,
        data=data,
        tiers=TIERS,
        result=result,
        charts=comparison_charts(result) if result else [],
        rows=comparison_rows(result) if result else [],
        summary=metro_policy.plan_summary,
        max_leads=trial.MAX_WEB_LEADS,
        max_days=metro_day.MAX_REPLAY_DAYS,
    )


def _refused(refusal: Refusal, metro_id: int):
    metro = db.session.get(Metro, metro_id) or abort(404)
    return _page(metro, trial.parse(request.form), status=422)


@bp.route("/metros/<int:metro_id>/try", methods=["GET", "POST"])
@admin_required
@on_refusal(again=_refused)
def try_plan(metro_id: int):
    metro = db.session.get(Metro, metro_id) or abort(404)
    if request.method == "GET":
        return _page(metro, trial.initial(metro))
    data = trial.parse(request.form)
    result = trial.compare(db.session, metro, data)  # nothing is saved: the form below saves
    return _page(metro, data, result)
