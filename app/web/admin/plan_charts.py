"""Charts of "Try a plan" (issue 13): the current plan and the candidate side by side, drawn with
the dashboard's server-rendered SVG bars (CSS-coloured, with data tables)."""

from __future__ import annotations

from app.dispatch.report import Report, TierOffers
from app.dispatch.text import counts_words, fairness_words, pct, plan_words, secs
from app.dispatch.trial import Comparison
from app.web.admin.charts import Chart, bars

PLANS = ("Current plan", "Candidate")


def _pair(
    key: str,
    title: str,
    note: str,
    labels: list[str],
    current: list[float],
    candidate: list[float],
    shown: list[tuple[str, str]],
    top: float | None,
    unit: str,
) -> Chart:
    """Two bars per label (current, candidate) as two series with their own colours."""
    names = [f"{label} · {plan}" for label in labels for plan in PLANS]
    first = [v for pair in zip(current, [0.0] * len(current), strict=True) for v in pair]
    second = [v for pair in zip([0.0] * len(candidate), candidate, strict=True) for v in pair]
    return Chart(
        key=key,
        title=title,
        note=note,
        svg=bars(
            key,
            title,
            names,
            [(PLANS[0], first), (PLANS[1], second)],
            fmt=lambda v: f"{v:.1f}{unit}",
            axis_top=top,
            value_labels=[text for pair in shown for text in pair],
        ),
        headers=["Measure", *PLANS],
        rows=[[label, a, b] for label, (a, b) in zip(labels, shown, strict=True)],
        legend=list(PLANS),
    )


def _rate(value: float | None) -> float:
    return (value or 0) * 100


def comparison_charts(result: Comparison) -> list[Chart]:
    a, b = result.current, result.candidate
    fill = _pair(
        "try-fill",
        "Fill rate",
        "Share of the day's leads a provider got at all, within 20 minutes, and of broadcast requests "
        "within 20 minutes; share that reached the escrow inbox.",
        ["Filled", "Within 20 min", "Broadcast within 20 min", "Reached escrow"],
        [_rate(a.fill_rate), _rate(a.fill_rate_20), _rate(a.broadcast_fill_rate_20), _rate(a.escrow_share)],
        [_rate(b.fill_rate), _rate(b.fill_rate_20), _rate(b.broadcast_fill_rate_20), _rate(b.escrow_share)],
        [
            (pct(a.fill_rate), pct(b.fill_rate)),
            (pct(a.fill_rate_20), pct(b.fill_rate_20)),
            (pct(a.broadcast_fill_rate_20), pct(b.broadcast_fill_rate_20)),
            (pct(a.escrow_share), pct(b.escrow_share)),
        ],
        100,
        " %",
    )
    speed = _pair(
        "try-accept",
        "Time to accept (broadcast)",
        "Lead in until a provider accepted: median and 90th percentile, in minutes.",
        ["Median", "90th percentile"],
        [(a.accept_p50 or 0) / 60, (a.accept_p90 or 0) / 60],
        [(b.accept_p50 or 0) / 60, (b.accept_p90 or 0) / 60],
        [(secs(a.accept_p50), secs(b.accept_p50)), (secs(a.accept_p90), secs(b.accept_p90))],
        None,
        " min",
    )
    tiers = [t.tier for t in a.tiers if t.providers]
    fairness = _pair(
        "try-gini",
        "Offers per provider: Gini within tier",
        "0 means every provider of the tier got as many offers as the others; 1 means one got them all. "
        "With fewer offers than providers even the fairest rotation scores 1 − offers/providers (shown as fairest).",
        [f"{t.title()} (mean offers)" for t in tiers],
        [_gini(a, t) * 100 for t in tiers],
        [_gini(b, t) * 100 for t in tiers],
        [(_tier_words(a, t), _tier_words(b, t)) for t in tiers],
        100,
        "",
    )
    return [fill, speed, fairness]


def _gini(report: Report, tier: str) -> float:
    return next((t.gini for t in report.tiers if t.tier == tier), 0.0)


def _tier_words(report: Report, tier: str) -> str:
    t = next(t for t in report.tiers if t.tier == tier)
    return f"Gini {t.gini:.2f} (fairest {t.fairest:.2f}) · {t.mean} offers"


def comparison_rows(result: Comparison) -> list[tuple[str, str, str]]:
    """The side-by-side table: (measure, current plan, candidate) in words."""
    a, b = result.current, result.candidate
    rows = [
        ("Plan", plan_words(a.wave_plan), plan_words(b.wave_plan)),
        ("Fill rate", pct(a.fill_rate), pct(b.fill_rate)),
        ("Filled within 20 min", pct(a.fill_rate_20), pct(b.fill_rate_20)),
        ("Broadcast requests filled within 20 min", pct(a.broadcast_fill_rate_20), pct(b.broadcast_fill_rate_20)),
        ("Not filled by the end of the day, why", _why(a.unfilled), _why(b.unfilled)),
        ("Filled after 20 min, how", _why(a.late), _why(b.late)),
        ("Reached the escrow inbox", pct(a.escrow_share), pct(b.escrow_share)),
        ("Time to accept, median", secs(a.accept_p50), secs(b.accept_p50)),
        ("Time to accept, 90th percentile", secs(a.accept_p90), secs(b.accept_p90)),
        ("Teasers used", str(a.teasers), str(b.teasers)),
        ("Credits spent", str(a.credits_spent), str(b.credits_spent)),
        ("Automatic pauses (unanswered offers)", str(a.sla_pauses), str(b.sla_pauses)),
    ]
    for ta, tb in zip(a.tiers, b.tiers, strict=True):
        if ta.providers:
            rows.append((f"Offers per {ta.tier} provider (Gini; fairest possible)", _tier_row(ta), _tier_row(tb)))
    return rows


def _why(counts: dict[str, int]) -> str:
    return counts_words(counts) if counts else "none"


def _tier_row(t: TierOffers) -> str:
    """Mean offers, the Gini, and the fairest Gini that many offers allow (unfair rotation or a sparse tier)."""
    return f"{t.mean} ({t.gini:.2f}; fairest {t.fairest:.2f}: {fairness_words(t)})"
