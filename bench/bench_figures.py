"""Time the demo generator and the overview's figures on a large store.

Usage: python bench/bench_figures.py [--scale 200] [--db /tmp/bench.duckdb]
Prints one line per step with seconds; the figures go into the README.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from slcore import activity, economy, figures
from slcore.demo import build_demo
from slcore.periods import preset_period
from slcore.store import open_store


def timed(label: str, fn):
    t0 = time.perf_counter()
    out = fn()
    print(f"{label:<55} {time.perf_counter() - t0:7.2f} s", flush=True)
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--scale", type=float, default=200)
    p.add_argument("--db", default="/tmp/slcore-bench.duckdb")
    args = p.parse_args()
    today = dt.date(2026, 11, 22)
    summary = timed(
        f"demo --scale {args.scale:g}",
        lambda: build_demo(args.db, scale=args.scale, today=today, force=True),
    )
    print(f"{'registrations':<55} {summary.registrations:>10,}")
    store = open_store(args.db)
    period = preset_period("this_year", summary.as_of)
    timed("key figures, total", lambda: figures.key_figures(store, period))
    timed(
        "key figures by intervention_type",
        lambda: figures.key_figures(store, period, ("intervention_type",)),
    )
    timed(
        "key figures by intervention_type, age_band, team",
        lambda: figures.key_figures(store, period, ("intervention_type", "age_band", "team")),
    )
    timed("monthly spend (12 months)", lambda: figures.monthly_spend(store, period))
    f = figures.Filters(categories=("anbringelse",), teams=("Team Nord",))
    timed("key figures total, filtered", lambda: figures.key_figures(store, period, (), f))
    # The Aktivitet and Økonomi pages' series.
    timed(
        "monthly series by intervention_type",
        lambda: figures.monthly_series(store, period, by="intervention_type"),
    )
    timed("ladder mix per month", lambda: activity.ladder_mix(store, period))
    timed("durations per type", lambda: activity.durations(store, period))
    timed(
        "year comparison by type",
        lambda: activity.year_comparison(store, period, by="intervention_type"),
    )
    timed("volume/mix/price split", lambda: economy.change_decomposition(store, period))
    timed("top providers", lambda: economy.top_providers(store, period))
    timed("allocation list, first 2000", lambda: activity.allocations(store, period, limit=2000))


if __name__ == "__main__":
    main()
