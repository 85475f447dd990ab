"""A simulation report in words and figures (the CLI and the benchmark print these lines)."""

from __future__ import annotations

from app.dispatch.report import Report, TierOffers


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %"


def secs(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.0f} s" if value < 120 else f"{value / 60:.1f} min"


def plan_words(plan: list[dict]) -> str:
    return " → ".join(f"{'+'.join(w['tiers'])} ×{w['size']} / {w['minutes']} min" for w in plan)


def counts_words(counts: dict[str, int]) -> str:
    return "; ".join(f"{reason}: {n}" for reason, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def fairness_words(t: TierOffers) -> str:
    """Tells unfair rotation from a sparse tier."""
    if not t.offers:
        return "no offers"
    reached = "rotation reached it" if t.at_fairest else f"rotation {t.gini - t.fairest:.3f} above it"
    return f"{reached}; fewer offers than providers" if t.sparse else reached


def report_lines(r: Report) -> list[str]:
    lines = [
        f"plan: {plan_words(r.wave_plan)}",
        f"leads: {r.leads} {r.by_mode}",
        f"fill rate: {pct(r.fill_rate)}; within 20 min: {pct(r.fill_rate_20)} "
        f"(broadcast asked: {pct(r.broadcast_fill_rate_20)})",
        f"time to accept (broadcast): p50 {secs(r.accept_p50)}, p90 {secs(r.accept_p90)}",
        f"not filled within 20 min: {r.leads - r.filled_in_20}",
        f"  never filled: {r.leads - r.filled}" + (f" — {counts_words(r.unfilled)}" if r.unfilled else ""),
        f"  filled after 20 min: {r.filled - r.filled_in_20}" + (f" — {counts_words(r.late)}" if r.late else ""),
        f"reached escrow: {pct(r.escrow_share)}",
        "offers per provider, by tier (mean, least–most, Gini; fairest Gini for that many offers):",
    ]
    for t in r.tiers:
        if t.providers:
            lines.append(
                f"  {t.tier:<8} {t.providers:>4} providers, {t.offers:>5} offers: {t.mean:>7} ({t.least}–{t.most}), "
                f"Gini {t.gini:.3f}; fairest {t.fairest:.3f} ({fairness_words(t)})"
            )
    lines += [
        f"teasers used: {r.teasers}; credits spent: {r.credits_spent}; automatic SLA pauses: {r.sla_pauses}",
        f"engine: {r.stats}; wall time {r.wall_seconds} s",
    ]
    return lines
