"""The admin dashboard's automatic refunds chart (issue 14): how many unlocks were refunded
without asking, and how many credits, per UTC day, in the admin charts' shape."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.economics import refunds
from app.reporting import metrics
from app.web.admin.charts import Chart, columns


def auto_refunds(session: Session, period: metrics.Period) -> Chart:
    by_day = {day: (n, c) for day, n, c in refunds.per_day(session, period.start)}
    days = period.dates()
    counts: list[float | None] = [float(by_day.get(d.isoformat(), (0, 0))[0]) for d in days]
    amounts: list[float | None] = [float(by_day.get(d.isoformat(), (0, 0))[1]) for d in days]
    title = "Automatic refunds"
    return Chart(
        "auto-refunds",
        title,
        columns("auto-refunds", title, days, [("Refunds", counts), ("Credits", amounts)], fmt=lambda v: f"{v:g}"),
        ["Day", "Refunds", "Credits"],
        [
            [d.isoformat(), f"{n or 0:g}", f"{c or 0:g}"]
            for d, n, c in zip(days, counts, amounts, strict=True)
            if n or c
        ],
        figures=[("Refunds", f"{sum(n or 0 for n in counts):g}"), ("Credits", f"{sum(c or 0 for c in amounts):g}")],
        legend=["Refunds", "Credits"],
        note="Unlocks refunded without a dispute: hard-bounced email with no valid phone, "
        "not opened within 48 hours, or closed by staff as spam or duplicate.",
    )
