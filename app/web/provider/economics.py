"""Provider economics pages (issue 14): spend control and the premium tools, the CSV export,
and the results page."""

from __future__ import annotations

from flask import abort, flash, redirect, request, stream_with_context, url_for
from flask_login import current_user

from app.core import clock
from app.economics import export, results
from app.extensions import db
from app.pipeline import spend
from app.web.access import provider_required
from app.web.provider import results_charts
from app.web.provider.views import bp
from app.web.responses import download, on_refusal, render


def _provider():
    return current_user.provider or abort(403, "Claim a listing first.")


def _tools_page(errors: dict | None = None, status: int = 200):
    provider = _provider()
    typed = request.form if errors else {}
    until = clock.local(provider.paused_until, provider.home_metro.timezone) if provider.paused_until else None
    return render(
        "provider/tools.html",
        private=True,
        status=status,
        provider=provider,
        errors=errors or {},
        typed=typed,
        paused_until=until.date().isoformat() if until else "",
        spent=spend.spent_this_week(db.session, provider.id),
    )


@bp.get("/tools")
@provider_required
def tools():
    return _tools_page()


@bp.post("/tools")
@provider_required
@on_refusal(again=lambda refusal: _tools_page(refusal.fields, 422))
def tools_save():
    form = request.form
    spend.update(
        db.session,
        _provider(),
        budget=form.get("weekly_budget"),
        paused_until=form.get("paused_until"),
        auto_reply=form.get("auto_reply"),
    )
    db.session.commit()
    flash("Saved.", "success")
    return redirect(url_for("provider.tools"), code=303)


@bp.get("/leads.csv")
@provider_required
def export_csv():
    provider = _provider()
    day = clock.local(clock.now(), provider.home_metro.timezone).date().isoformat()
    return download(stream_with_context(export.stream(db.session, provider)), "text/csv", f"fogforge-leads-{day}.csv")


@bp.get("/results")
@provider_required
def results_page():
    provider = _provider()
    days = request.args.get("days", type=int)
    report = results.report(db.session, provider, days if days in results.PERIODS else 90)
    return render(
        "provider/results.html",
        private=True,
        provider=provider,
        report=report,
        periods=results.PERIODS,
        charts=results_charts.charts(report),
        money=results_charts.money,
    )
