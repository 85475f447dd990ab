"""A simulated metro day through the real engine (issue 13): 2,000 leads, 300 providers.

Runs the policy simulator (app/dispatch) with the default wave plan on its throwaway SQLite
database and prints the wall time, the fill rate within 20 minutes (and why the rest were not
filled in time), and the Gini of offers per provider within each tier beside the fairest Gini
that tier's offers allow (each provider floor(k/n) or ceil(k/n) of them: with fewer offers
than providers it is 1 - k/n, so a sparse tier cannot score low whatever the rotation does).
Targets: under a minute; fill within 20 min >= 98 %; Gini <= 0.15.

    .venv/bin/python bench/simulate_day.py [--leads 2000] [--seed 1] [--profile]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from app import create_app  # noqa: E402
from app.dispatch import simulate  # noqa: E402
from app.dispatch.scenario import DEFAULT_PROVIDERS, Scenario  # noqa: E402
from app.dispatch.text import counts_words, fairness_words, pct, report_lines  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="print the top of a cProfile of the run")
    args = parser.parse_args()
    # the simulation never commits, so it never reaches Redis: no embedded Redis is started for it
    app = create_app({"REDIS_URL": "redis://127.0.0.1:1/0"})
    scenario = Scenario(seed=args.seed, leads=args.leads, providers=dict(DEFAULT_PROVIDERS))
    with app.app_context():
        started = time.perf_counter()
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            report = profiler.runcall(simulate.run, scenario, simulate.Plan())
            stats = pstats.Stats(profiler).sort_stats("cumulative")
            stats.print_stats(25)
            if os.environ.get("PROFILE_CALLEES"):  # e.g. PROFILE_CALLEES="waves.py:.*expand"
                stats.print_callees(os.environ["PROFILE_CALLEES"])
        else:
            report = simulate.run(scenario, simulate.Plan())
        elapsed = time.perf_counter() - started
    load = os.getloadavg()
    print(f"simulated day: {report.leads} leads, {sum(scenario.providers.values())} providers, seed {args.seed}")
    for line in report_lines(report):
        print(f"  {line}")
    print(f"wall time: {elapsed:.1f} s (target < 60 s); load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(
        f"fill rate within 20 min: {pct(report.fill_rate_20)} (broadcast asked: {pct(report.broadcast_fill_rate_20)})"
        " (target >= 98 %)"
    )
    print(f"not filled within 20 min: {report.leads - report.filled_in_20}")
    print(f"  never filled: {counts_words(report.unfilled) or 'none'}")
    print(f"  filled after 20 min: {counts_words(report.late) or 'none'}")
    print(
        "Gini within tier: "
        + ", ".join(f"{t.tier} {t.gini:.3f}" for t in report.tiers if t.providers)
        + f"; worst {report.max_gini:.3f} (target <= 0.15)"
    )
    print(
        "fairest Gini for each tier's offers: "
        + ", ".join(
            f"{t.tier} {t.fairest:.3f} ({t.offers} offers / {t.providers}: {fairness_words(t)})"
            for t in report.tiers
            if t.providers
        )
    )


if __name__ == "__main__":
    main()
