"""The SVG chart helpers (issue 8): readable durations, escaped labels, marks sized to their
values, no style attributes (CSP)."""

import re
from datetime import date

from app.web.admin import charts


def test_duration_and_axis_unit_wording():
    assert [charts.duration(v) for v in (None, 45, 90, 5400, 3 * 86400)] == ["–", "45 s", "2 min", "1.5 h", "3.0 d"]
    assert charts.duration_unit(100) == (1, "seconds")
    assert charts.duration_unit(600) == (60, "minutes")
    assert charts.duration_unit(9000) == (3600, "hours")
    assert charts.percent(None) == "–" and charts.percent(2 / 3) == "67%"


def test_bars_are_proportional_stacked_and_escaped():
    svg = str(
        charts.bars("t", "Leads <by> metro", ["A & B", "C"], [("one", [2, 1]), ("two", [2, 0])], fmt=lambda v: f"{v:g}")
    )
    widths = [float(w) for w in re.findall(r'<rect class="series-\d" x="[\d.]+" y="\d+" width="([\d.]+)"', svg)]
    assert len(widths) == 3  # a zero value draws nothing
    assert widths[0] == widths[1] == 2 * widths[2]  # stacked 2 + 2 for A, 1 for C
    assert "<title>A &amp; B · two: 2</title>" in svg and "Leads &lt;by&gt; metro" in svg
    assert ">4</text>" in svg and ">1</text>" in svg  # totals after the bars
    assert "style" not in svg


def test_columns_scale_and_label_days():
    days = [date(2026, 3, d) for d in (1, 2, 3)]
    svg = str(charts.columns("c", "Per day", days, [("Median", [60, None, 120])], fmt=charts.duration, scale=60))
    heights = [float(h) for h in re.findall(r'height="([\d.]+)"><title>', svg)]
    assert heights == [charts.COLUMN_HEIGHT / 2, charts.COLUMN_HEIGHT]  # axis top is 2 (minutes)
    assert "<title>2026-03-03 · Median: 2 min</title>" in svg
    assert "Mar 01" in svg and "Mar 03" in svg and "style" not in svg
