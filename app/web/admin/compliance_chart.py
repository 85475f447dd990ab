"""The dashboard's compliance chart (issue 12): grease traps by status per metro."""

from __future__ import annotations

from app.compliance import admin as compliance_admin
from app.extensions import db
from app.models import TrapStatus
from app.web.admin.charts import Chart, bars


def overdue_chart() -> Chart:
    """Traps per metro by status, overdue first (for the dashboard)."""
    metros = compliance_admin.status_per_metro(db.session)
    order = [TrapStatus.overdue, TrapStatus.due_soon, TrapStatus.current, TrapStatus.unscheduled]
    series = [(s.title, [m.counts[s.value] for m in metros]) for s in order]
    return Chart(
        key="traps",
        title="Grease traps by status per metro",
        note="Every trap FogForge tracks, by where it stands against its next due date today.",
        svg=bars(
            "traps", "Traps per metro, stacked by status", [m.metro for m in metros], series, fmt=lambda v: f"{v:g}"
        ),
        headers=["Metro", *[s.title for s in order]],
        rows=[[m.metro, *[str(m.counts[s.value]) for s in order]] for m in metros],
        figures=[
            ("Overdue", str(sum(m.counts["overdue"] for m in metros))),
            ("Traps", str(sum(sum(m.counts.values()) for m in metros))),
        ],
        legend=[name for name, _v in series],
    )
