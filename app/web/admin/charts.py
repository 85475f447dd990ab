"""Server-rendered SVG charts for the admin dashboard (issue 8): no JS library, no inline style.

Two shapes cover every chart: `columns` (one column group per day, series side by side or
stacked) and `bars` (one horizontal bar per label, series stacked). Colours come from CSS
classes (`series-0`...) so the page keeps its CSP; every mark has a <title> (hover text and
screen readers) and every chart comes with a data table (`Chart.headers` / `Chart.rows`) that
the template shows under it in a <details>.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from markupsafe import Markup

from app.direct.escrow_inbox import InboxFilter
from app.models import LeadMode
from app.reporting import metrics

WIDTH = 640
COLUMN_HEIGHT = 180
BAR_HEIGHT = 22
MODE_GROUPS = {"direct": "Direct leads", "broadcast": "Broadcast leads", "quotes": "Quote leads"}


@dataclass
class Chart:
    key: str
    title: str
    svg: Markup
    headers: list[str]
    rows: list[list[str]]
    figures: list[tuple[str, str]] = field(default_factory=list)  # ("Median", "4 min")
    legend: list[str] = field(default_factory=list)
    note: str = ""


def duration(seconds: float | None) -> str:
    """45 s, 12 min, 3.5 h, 2.0 d; an en dash when there is no figure."""
    if seconds is None:
        return "–"
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def percent(rate: float | None) -> str:
    return "–" if rate is None else f"{rate * 100:.0f}%"


def _title(text: str) -> Markup:
    return Markup("<title>{}</title>").format(text)


def _svg(key: str, title: str, height: int, body: list[Markup]) -> Markup:
    return Markup(
        '<svg class="chart-svg" id="chart-{key}" role="img" aria-labelledby="chart-{key}-title" '
        'width="{w}" height="{h}" viewBox="0 0 {w} {h}" xmlns="http://www.w3.org/2000/svg">'
        '<title id="chart-{key}-title">{title}</title>{body}</svg>'
    ).format(key=key, w=WIDTH, h=height, title=title, body=Markup("").join(body))


def _nice_max(value: float) -> float:
    """A round axis top at or above `value` (1, 2, 5 x 10^n)."""
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1) if value >= 1 else 1
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def columns(
    key: str,
    title: str,
    days: list[date],
    series: list[tuple[str, list[float | None]]],
    fmt=str,
    stacked: bool = False,
    scale: float = 1,
) -> Markup:
    """Vertical columns per day; `scale` divides values for the axis (e.g. 60 for minutes)."""
    top_pad, bottom = 16, COLUMN_HEIGHT + 16
    left, right = 44, WIDTH - 8
    if stacked:
        peak = max((sum(v or 0 for v in vals) for vals in zip(*(s[1] for s in series), strict=True)), default=0)
    else:
        peak = max((v or 0 for _n, vals in series for v in vals), default=0)
    axis_top = _nice_max(peak / scale)
    slot = (right - left) / max(1, len(days))
    gap = max(1.0, slot * 0.15)
    bar_width = (slot - gap) if stacked else (slot - gap) / max(1, len(series))
    body = [
        Markup('<line class="chart-axis" x1="{l}" y1="{b}" x2="{r}" y2="{b}"/>').format(l=left, r=right, b=bottom),
        Markup('<line class="chart-gridline" x1="{l}" y1="{t}" x2="{r}" y2="{t}"/>').format(l=left, r=right, t=top_pad),
        Markup('<text class="chart-tick" x="{x}" y="{y}" text-anchor="end">{v}</text>').format(
            x=left - 4, y=top_pad + 4, v=_axis_label(axis_top)
        ),
        Markup('<text class="chart-tick" x="{x}" y="{y}" text-anchor="end">0</text>').format(x=left - 4, y=bottom),
    ]
    every = max(1, len(days) // 7)
    for i, day in enumerate(days):
        x0 = left + i * slot + gap / 2
        base: float = bottom
        for n, (name, values) in enumerate(series):
            value = values[i]
            if not value:
                continue
            h = (value / scale) / axis_top * COLUMN_HEIGHT
            x = x0 if stacked else x0 + n * bar_width
            y = base - h
            body.append(
                Markup(
                    '<rect class="series-{n}" x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}">{t}</rect>'
                ).format(n=n, x=x, y=y, w=bar_width, h=h, t=_title(f"{day.isoformat()} · {name}: {fmt(value)}"))
            )
            if stacked:
                base = y
        last = len(days) - 1
        if (i % every == 0 and last - i >= every / 2) or i == last:
            # the last day's label ends at the plot's edge so it is never cut off
            anchor, x = ("end", right) if i == last and slot < 40 else ("middle", x0 + (slot - gap) / 2)
            body.append(
                Markup('<text class="chart-tick" x="{x:.1f}" y="{y}" text-anchor="{a}">{d}</text>').format(
                    x=x, y=bottom + 14, a=anchor, d=day.strftime("%b %d")
                )
            )
    return _svg(key, title, bottom + 22, body)


def _axis_label(value: float) -> str:
    return f"{value:g}"


def bars(
    key: str,
    title: str,
    labels: list[str],
    series: Sequence[tuple[str, Sequence[float]]],
    fmt=str,
    value_labels: list[str] | None = None,
    axis_top: float | None = None,
) -> Markup:
    """One horizontal bar per label, series stacked; the total (or `value_labels`) after the bar."""
    plot_left = min(260, 16 + 7 * max((len(label) for label in labels), default=10))
    right = WIDTH - 90
    totals = [sum(values[i] or 0 for _n, values in series) for i in range(len(labels))]
    top = axis_top or _nice_max(max(totals, default=0))
    body = []
    for i, label in enumerate(labels):
        y = 6 + i * (BAR_HEIGHT + 8)
        body.append(
            Markup('<text class="chart-label" x="{x}" y="{y}" text-anchor="end">{t}</text>').format(
                x=plot_left - 8, y=y + BAR_HEIGHT - 6, t=label
            )
        )
        x: float = plot_left
        for n, (name, values) in enumerate(series):
            value = values[i] or 0
            if not value:
                continue
            w = value / top * (right - plot_left)
            body.append(
                Markup('<rect class="series-{n}" x="{x:.1f}" y="{y}" width="{w:.1f}" height="{h}">{t}</rect>').format(
                    n=n, x=x, y=y, w=w, h=BAR_HEIGHT, t=_title(f"{label} · {name}: {fmt(value)}")
                )
            )
            x += w
        body.append(
            Markup('<text class="chart-value" x="{x:.1f}" y="{y}">{t}</text>').format(
                x=x + 6, y=y + BAR_HEIGHT - 6, t=value_labels[i] if value_labels else fmt(totals[i])
            )
        )
    if not labels:
        body.append(
            Markup('<text class="chart-label" x="{x}" y="20">No data in this period</text>').format(x=plot_left)
        )
    height = max(30, 6 + len(labels) * (BAR_HEIGHT + 8))
    return _svg(key, title, height, body)


# ------------------------------------------------------------------ the dashboard's charts
def speed_to_lead(d: metrics.Durations) -> Chart:
    return _duration_chart(
        "speed",
        "Speed to lead",
        d,
        "Lead created until the first provider got it "
        "(direct delivery, broadcast accept or quote unlock), by the day the lead came in.",
    )


def time_to_accept(d: metrics.Durations) -> Chart:
    return _duration_chart(
        "accept",
        "Time to accept (broadcast)",
        d,
        "First wave's offers sent until a provider accepted, by the day the first wave went out.",
    )


def duration_unit(peak: float | None) -> tuple[float, str]:
    """The axis unit for durations up to `peak` seconds: (seconds per unit, its name)."""
    if not peak or peak < 120:
        return 1, "seconds"
    if peak < 7200:
        return 60, "minutes"
    return 3600, "hours"


def _duration_chart(key: str, title: str, d: metrics.Durations, note: str) -> Chart:
    days = [day for day, _s in d.daily]
    series = [("Median", [s.p50 for _d, s in d.daily]), ("90th percentile", [s.p90 for _d, s in d.daily])]
    scale, unit = duration_unit(max((s.p90 or 0 for _d, s in d.daily), default=0))
    return Chart(
        key=key,
        title=title,
        note=f"{note} Axis in {unit}.",
        svg=columns(
            key, f"{title}: median and 90th percentile per day, in {unit}", days, series, fmt=duration, scale=scale
        ),
        headers=["Day", "Leads", "Median", "90th percentile"],
        rows=[[day.isoformat(), str(s.count), duration(s.p50), duration(s.p90)] for day, s in d.daily if s.count],
        figures=[
            ("Median", duration(d.overall.p50)),
            ("90th percentile", duration(d.overall.p90)),
            ("Leads", str(d.overall.count)),
        ],
        legend=[name for name, _v in series],
    )


def fill_rate(f: metrics.FillRate) -> Chart:
    rows = [("Mode", fill) for fill in f.by_mode] + [("Metro", fill) for fill in f.by_metro]
    labels = [MODE_GROUPS.get(fill.label, fill.label) if kind == "Mode" else fill.label for kind, fill in rows]
    return Chart(
        key="fill",
        title="Fill rate",
        note="Share of verified leads that reached a provider, per mode and per metro.",
        svg=bars(
            "fill",
            "Fill rate per mode and per metro, in percent",
            labels,
            [("Fill rate", [(fill.rate or 0) * 100 for _k, fill in rows])],
            fmt=lambda v: f"{v:.0f}%",
            axis_top=100,
            value_labels=[f"{percent(fill.rate)} · {fill.filled}/{fill.total}" for _k, fill in rows],
        ),
        headers=["Group", "Name", "Verified leads", "Reached a provider", "Fill rate"],
        rows=[
            [kind, label, str(fill.total), str(fill.filled), percent(fill.rate)]
            for (kind, fill), label in zip(rows, labels, strict=True)
        ],
        figures=[("Overall", percent(f.overall.rate)), ("Reached", f"{f.overall.filled} of {f.overall.total}")],
    )


def metro_speed(speeds: list[metrics.MetroSpeed]) -> Chart:
    """Issue 13: per metro, the share filled within 20 minutes and answered within 5 minutes."""
    labels = [f"{m.metro} · {kind}" for m in speeds for kind in ("within 20 min", "within 5 min")]
    filled = [v for m in speeds for v in ((m.fill_rate_20 or 0) * 100, 0.0)]
    answered = [v for m in speeds for v in (0.0, (m.answered_rate_5 or 0) * 100)]
    values = [
        text
        for m in speeds
        for text in (
            f"{percent(m.fill_rate_20)} · {m.filled_in_20}/{m.total}",
            f"{percent(m.answered_rate_5)} · {m.answered_in_5}/{m.total}",
        )
    ]
    total = sum(m.total for m in speeds)
    return Chart(
        key="metro-speed",
        title="Filled fast, per metro",
        note="Share of verified leads a provider got within 20 minutes (fill rate) and within 5 minutes "
        "(answered) of coming in, per metro.",
        svg=bars(
            "metro-speed",
            "Per metro: percent of leads filled within 20 minutes and answered within 5 minutes",
            labels,
            [("Filled within 20 min", filled), ("Answered within 5 min", answered)],
            fmt=lambda v: f"{v:.0f}%",
            axis_top=100,
            value_labels=values,
        ),
        headers=["Metro", "Verified leads", "Filled within 20 min", "Answered within 5 min"],
        rows=[[m.metro, str(m.total), percent(m.fill_rate_20), percent(m.answered_rate_5)] for m in speeds],
        figures=[
            ("Filled within 20 min", percent(sum(m.filled_in_20 for m in speeds) / total if total else None)),
            ("Answered within 5 min", percent(sum(m.answered_in_5 for m in speeds) / total if total else None)),
        ],
        legend=["Filled within 20 min", "Answered within 5 min"],
    )


def leads_per_metro(metros: list[metrics.MetroLeads]) -> Chart:
    series = [(LeadMode(mode).title, [m.by_mode.get(mode, 0) for m in metros]) for mode in metrics.MODES]
    return Chart(
        key="metros",
        title="Leads per metro",
        note="Every lead that came in during the period, by mode.",
        svg=bars(
            "metros", "Leads per metro, stacked by mode", [m.metro for m in metros], series, fmt=lambda v: f"{v:g}"
        ),
        headers=["Metro", *[LeadMode(m).title for m in metrics.MODES], "Total"],
        rows=[[m.metro, *[str(m.by_mode.get(mode, 0)) for mode in metrics.MODES], str(m.total)] for m in metros],
        figures=[("Leads", str(sum(m.total for m in metros))), ("Metros", str(len(metros)))],
        legend=[name for name, _v in series],
    )


def escrow_backlog(b: metrics.Backlog) -> list[Chart]:
    reasons = list(b.waiting)
    labels = [InboxFilter(r).title for r in reasons]
    series = [(f"Waiting {bucket}", [b.waiting[r][bucket] for r in reasons]) for bucket in metrics.AGE_BUCKETS]
    waiting = Chart(
        key="backlog",
        title="Escrow backlog now",
        note="Leads waiting in the escrow inbox, by reason and how long the customer has waited.",
        svg=bars(
            "backlog", "Escrow backlog by reason, stacked by waiting time", labels, series, fmt=lambda v: f"{v:g}"
        ),
        headers=["Reason", *metrics.AGE_BUCKETS, "Total"],
        rows=[
            [label, *[str(b.waiting[r][bucket]) for bucket in metrics.AGE_BUCKETS], str(sum(b.waiting[r].values()))]
            for r, label in zip(reasons, labels, strict=True)
        ],
        figures=[("Waiting", str(b.total))],
        legend=[name for name, _v in series],
    )
    days = [day for day, _n in b.entered_daily]
    entered = Chart(
        key="entered",
        title="Leads entering escrow",
        note="Leads that went to the escrow inbox each day (held for review, direct escrow, unaccepted "
        "broadcast, no matching provider).",
        svg=columns(
            "entered",
            "Leads entering escrow per day",
            days,
            [("Entered escrow", [n for _d, n in b.entered_daily])],
            fmt=lambda v: f"{v:g}",
        ),
        headers=["Day", "Leads"],
        rows=[[day.isoformat(), str(n)] for day, n in b.entered_daily if n],
        figures=[("In period", str(sum(n for _d, n in b.entered_daily)))],
    )
    return [waiting, entered]


def dashboard_charts(data: metrics.Dashboard) -> list[Chart]:
    return [
        speed_to_lead(data.speed),
        fill_rate(data.fill),
        metro_speed(data.speed_by_metro),
        time_to_accept(data.accept),
        leads_per_metro(data.metros),
        *escrow_backlog(data.backlog),
    ]
