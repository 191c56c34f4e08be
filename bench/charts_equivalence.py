"""Time every chart builder against an earlier version's and check the figures are the same.

Usage: python bench/charts_equivalence.py [--old REV]   (REV: a commit; the merge base
with main unless given)

Each chart is drawn from the demo store with the inputs the pages give it, by slcore/charts.py
as it is and as it was at REV, from the same inputs (DuckDB's sums of floats may differ in
their last bit from run to run). The earlier figure's validated form
(``go.Figure(fig.to_dict())`` as JSON, what plotly would have checked and sent) must equal
both the new figure's validated form and its unvalidated JSON (what Streamlit sends). Prints
the CPU time per chart, the best of five builds, before and after.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from slcore import activity, calibration, charts, compliance, economy, figures, fmt, labels
from slcore.demo import build_demo
from slcore.figures import Filters
from slcore.periods import Period, preset_period, year_earlier
from slcore.store import intervention_types, open_store

TODAY = dt.date(2026, 11, 22)


Build = Callable[[types.ModuleType], go.Figure]


def monthly_cases(store, period: Period, filters: Filters) -> dict[str, Build]:
    """Return the monthly charts, each drawn by a given charts module."""
    names = {str(t["code"]): str(t["name_da"]) for t in intervention_types(store)}
    caption = charts.period_caption(period.start, period.end, period.as_of)
    out: dict[str, Build] = {}
    add = out.__setitem__

    words = {**names, **labels.CATEGORIES}
    for dim in ("intervention_type", "category", "ladder_step"):
        s = figures.months_so_far(
            figures.monthly_series(store, period, filters, by=dim), period.as_of
        )
        for measure in ("active_registrations", "new_registrations"):
            add(
                f"monthly_stacked[{dim},{measure}]",
                lambda c, s=s, dim=dim, m=measure: c.monthly_stacked_chart(
                    s, dim, m, words, f"t<br><sup>{caption}</sup>", as_of=period.as_of
                ),
            )
    money = figures.months_so_far(
        figures.monthly_series(store, period, filters, by="intervention_type"), period.as_of
    )
    add(
        "monthly_stacked[money]",
        lambda c: c.monthly_stacked_chart(
            money, "intervention_type", "realized", names, "t", money=True, as_of=period.as_of
        ),
    )
    add(
        "monthly_stacked[no as_of]",
        lambda c: c.monthly_stacked_chart(
            money, "intervention_type", "realized", names, "t", money=True
        ),
    )
    return out


def economy_cases(store, period: Period, filters: Filters) -> dict[str, Build]:
    """Return the economy's other charts."""
    names = {str(t["code"]): str(t["name_da"]) for t in intervention_types(store)}
    caption = charts.period_caption(period.start, period.end, period.as_of)
    out: dict[str, Build] = {}
    add = out.__setitem__

    spend = figures.monthly_spend(store, period, filters)
    for show in (True, False):
        add(
            f"cumulative[{show}]",
            lambda c, show=show: c.cumulative_spend_chart(
                spend, period.as_of, caption, show_budget=show, no_budget="intet budget"
            ),
        )
    add(
        "cumulative[empty]",
        lambda c: c.cumulative_spend_chart(spend.iloc[:0], period.as_of, caption),
    )
    by_type = figures.key_figures(
        store, period, ("intervention_type",), filters, missing_budget_empty=True
    )
    for show in (True, False):
        add(
            f"spend_by_type[{show}]",
            lambda c, show=show: c.spend_by_type_chart(by_type, names, caption, show),
        )
    return out


def activity_cases(store, period: Period, filters: Filters) -> dict[str, Build]:
    """Return the activity's other charts."""
    names = {str(t["code"]): str(t["name_da"]) for t in intervention_types(store)}
    out: dict[str, Build] = {}
    add = out.__setitem__

    totals, before = activity.months_against_last_year(store, period, filters)
    previous = year_earlier(period)
    add(
        "year_over_year",
        lambda c: c.year_over_year_chart(
            totals,
            before,
            "active_citizens",
            (fmt.period_label(previous.start, previous.end), "nu"),
            "t",
            as_of=period.as_of,
        ),
    )
    by_age = figures.key_figures(store, period, ("age_band",), filters)
    add(
        "group_bar[age]",
        lambda c: c.group_bar_chart(
            by_age,
            "age_band",
            "active_citizens",
            {b: labels.age_band(b) for b in figures.AGE_BANDS},
            "t",
            keep_order=True,
        ),
    )
    by_team = figures.without_zero(
        figures.key_figures(store, period, ("team",), filters), "active_registrations"
    )
    add(
        "group_bar[team]",
        lambda c: c.group_bar_chart(
            by_team, "team", "active_registrations", {}, "t", horizontal=True
        ),
    )
    add(
        "group_bar[team,money]",
        lambda c: c.group_bar_chart(
            by_team, "team", "realized_spend_dkk", {}, "t", money=True, horizontal=True
        ),
    )
    steps = economy.spend_by_step(store, period, filters)
    add(
        "group_bar[steps]",
        lambda c: c.group_bar_chart(
            steps,
            "ladder_step",
            "projected",
            {s: labels.ladder_step(s) for s in steps["ladder_step"]},
            "t",
            money=True,
            horizontal=True,
            keep_order=True,
        ),
    )
    providers = economy.top_providers(store, period, filters)
    add(
        "group_bar[providers]",
        lambda c: c.group_bar_chart(
            providers, "provider", "projected", {}, "t", money=True, horizontal=True
        ),
    )
    grid = figures.without_zero(
        figures.key_figures(store, period, ("intervention_type", "age_band"), filters),
        "active_registrations",
    )
    add(
        "activity_heatmap",
        lambda c: c.activity_heatmap(grid, names, "active_registrations", "t"),
    )
    mix = activity.ladder_mix(store, period, filters)
    for share in ("child_share", "spend_share"):
        add(f"ladder_mix[{share}]", lambda c, share=share: c.ladder_mix_chart(mix, share, "t"))
    lengths = activity.durations(store, period, filters)
    add("duration", lambda c: c.duration_chart(lengths, names, "t"))
    deviation = economy.budget_deviation(store, period, filters, total=True)
    add("deviation", lambda c: c.deviation_chart(deviation.iloc[:-1], names, "t"))
    d = economy.change_decomposition(store, period, filters)
    if d is not None:
        add("decomposition", lambda c: c.decomposition_chart(d.totals, ("2025", "2026"), "t"))
    return out


def compliance_cases(store, period: Period, filters: Filters) -> dict[str, Build]:
    """Return the compliance and service level pages' charts."""
    names = {str(t["code"]): str(t["name_da"]) for t in intervention_types(store)}
    caption = charts.period_caption(period.start, period.end, period.as_of)
    out: dict[str, Build] = {}
    add = out.__setitem__

    status = compliance.status_by_type(store, period, filters)
    add("status_by_type", lambda c: c.status_by_type_chart(status, names, caption))
    reasons = compliance.reason_counts(store, period, filters)
    if not reasons.empty:
        add("reasons", lambda c: c.reasons_chart(reasons, caption))
    age_grid = figures.without_zero(
        compliance.status_by_type_age(store, period, filters), "with_frame"
    )
    add("type_age_heatmap", lambda c: c.type_age_heatmap(age_grid, names, caption))
    trend = compliance.trend_by_start_month(store, period, filters)
    if not trend.empty:
        add("trend", lambda c: c.trend_chart(trend, caption))
    framed = compliance.framed_types(status)
    for measure in labels.LIMIT_MEASURES:
        points = compliance.limit_points(store, period, framed[0], measure, filters)
        if not points.empty:
            add(
                f"limit[{measure}]",
                lambda c, p=points, m=measure: c.limit_chart(p, m, "x", caption),
            )
    summary = calibration.survival_summary(store, period.as_of, filters)
    curves = calibration.survival(store, period.as_of, filters)
    of_type = {c: calibration.of_type(curves, c) for c in list(summary["intervention_type"])[:3]}
    for code, curve in of_type.items():
        add(
            f"survival[{code}]",
            lambda c, code=code, curve=curve: c.survival_chart(
                curve,
                names.get(code, code),
                "c",
                calibration.duration_limit(summary, code),
            ),
        )
    return out


def all_cases(store) -> dict[str, Build]:
    """Return the charts for a few periods and filters."""
    this_year = preset_period("this_year", TODAY)
    views = {
        "year": (this_year, Filters()),
        "rolling": (preset_period("last_12m", TODAY), Filters()),
        "team": (this_year, Filters(teams=(figures.teams(store)[0],))),
    }
    out: dict[str, Build] = {}
    for tag, (period, filters) in views.items():
        for cases in (monthly_cases, economy_cases, activity_cases, compliance_cases):
            out |= {f"{tag}/{n}": b for n, b in cases(store, period, filters).items()}
    return out


def old_charts(rev: str) -> types.ModuleType:
    """Return slcore/charts.py as it was at a commit, as a module of its own."""
    root = Path(__file__).resolve().parent.parent
    text = subprocess.run(
        ["git", "show", f"{rev}:slcore/charts.py"], cwd=root, check=True, capture_output=True
    ).stdout
    path = Path(tempfile.mkdtemp()) / "charts_old.py"
    path.write_bytes(text)
    spec = importlib.util.spec_from_file_location("charts_old", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def validated(fig: go.Figure) -> object:
    """Return the figure as plotly validates it, as plain JSON."""
    return json.loads(pio.to_json(go.Figure(fig.to_dict()), validate=False))


def raw(fig: go.Figure) -> object:
    """Return the figure's JSON as Streamlit sends it (no validation)."""
    return json.loads(pio.to_json(fig, validate=False))


def best_ms(build: Build, module: types.ModuleType, runs: int = 5) -> float:
    """Return the fastest of a few builds, in milliseconds of CPU time."""
    times = []
    for _ in range(runs):
        t0 = time.process_time()
        build(module)
        times.append(time.process_time() - t0)
    return min(times) * 1000


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--old", help="the commit to compare with (default: the merge base with main)")
    p.add_argument("--db", default="/tmp/charts-eq.duckdb")
    args = p.parse_args()
    root = Path(__file__).resolve().parent.parent
    rev = (
        args.old
        or subprocess.run(
            ["git", "merge-base", "HEAD", "main"],
            cwd=root,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    build_demo(args.db, scale=1, today=TODAY, force=True)
    store = open_store(args.db)
    old = old_charts(rev)
    built = all_cases(store)  # the inputs once, drawn by both versions
    bad = 0
    for name, build in built.items():
        fig, want = build(charts), validated(build(old))
        same = (validated(fig) == want, raw(fig) == want)
        bad += not all(same)
        flag = "" if all(same) else f"  DIFF validated={same[0]} unvalidated={same[1]}"
        before, after = best_ms(build, old), best_ms(build, charts)
        print(f"{name:<60} {before:6.1f} ms -> {after:5.1f} ms{flag}", flush=True)
    print(f"{len(built)} figures, {bad} differ (old: {rev[:10]})")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
