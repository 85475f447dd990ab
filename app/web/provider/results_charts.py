"""The results page's charts: the admin dashboard's server-rendered SVG shapes
(app/web/admin/charts.py), each with its data table."""

from __future__ import annotations

from app.economics import results
from app.web.admin.charts import Chart, bars, columns, duration, percent

MODE_LABELS = {"direct": "Direct", "broadcast": "Broadcast", "quote": "Quotes", "teaser": "Teaser"}


def money(value) -> str:
    return "–" if value is None else f"${value:,.2f}"


def charts(r: results.Report) -> list[Chart]:
    weeks = [w for w, _n, _k in r.weekly]
    leads = Chart(
        "results-leads",
        "Leads received and won, by week",
        columns(
            "results-leads",
            "Leads received and won, by week",
            weeks,
            [("Received", [float(n) for _w, n, _k in r.weekly]), ("Won", [float(k) for _w, _n, k in r.weekly])],
            fmt=lambda v: f"{v:g}",
        ),
        ["Week of", "Received", "Won"],
        [[w.strftime("%b %d"), str(n), str(k)] for w, n, k in r.weekly],
        figures=[("Received", str(r.received)), ("Won", str(r.won)), ("Win rate", percent(r.win_rate))],
        legend=["Received", "Won"],
        note="Weeks start on Monday (UTC). Won counts leads received that week that you won.",
    )
    labels = [MODE_LABELS[m] for m in results.MODES]
    by_mode = Chart(
        "results-modes",
        "Leads by mode",
        bars(
            "results-modes",
            "Leads by mode",
            labels,
            [("Leads", [float(r.by_mode[m]) for m in results.MODES])],
            fmt=lambda v: f"{v:g}",
        ),
        ["Mode", "Leads"],
        [[MODE_LABELS[m], str(r.by_mode[m])] for m in results.MODES],
    )
    speed_labels = ["You (median)", "You (90th percentile)", "Your metro (median)"]
    speed_values = [r.response_p50, r.response_p90, r.metro_median]
    speed = Chart(
        "results-speed",
        "Response time",
        bars(
            "results-speed",
            "Response time",
            speed_labels,
            [("Time", [float(v or 0) for v in speed_values])],
            fmt=duration,
            value_labels=[duration(v) for v in speed_values],
        ),
        ["Measure", "Time"],
        [[label, duration(v)] for label, v in zip(speed_labels, speed_values, strict=True)],
        figures=[
            ("Median", duration(r.response_p50)),
            ("90th pct", duration(r.response_p90)),
            ("Metro median", duration(r.metro_median)),
        ],
        note="From when you were told of a lead to your first step on it (contacted, visit or quote).",
    )
    money_labels = ["Quoted", "Won"]
    revenue = Chart(
        "results-revenue",
        "Revenue",
        bars(
            "results-revenue",
            "Revenue",
            money_labels,
            [("USD", [float(r.revenue_quoted), float(r.revenue_won)])],
            fmt=lambda v: f"${v:,.0f}",
        ),
        ["", "USD"],
        [["Quoted", money(r.revenue_quoted)], ["Won", money(r.revenue_won)]],
    )
    missed_labels = [results.MISSED_LABELS[k] for k in results.MISSED_LABELS]
    missed = Chart(
        "results-missed",
        "Missed offers and why",
        bars(
            "results-missed",
            "Missed offers and why",
            missed_labels,
            [("Missed", [float(r.missed[k]) for k in results.MISSED_LABELS])],
            fmt=lambda v: f"{v:g}",
        ),
        ["Why", "Leads"],
        [[results.MISSED_LABELS[k], str(r.missed[k])] for k in results.MISSED_LABELS],
        note="Too slow: another provider accepted first, or the offer ran out before you answered. "
        "Held: direct requests for you that wait in escrow because of your weekly cap or a pause.",
    )
    return [leads, by_mode, speed, revenue, missed]
