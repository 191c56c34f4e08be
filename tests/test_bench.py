"""bench/reference.py is an independent oracle: its hand-written queries agree with slcore.

The reference queries are written from metrics.md without slcore's SQL, so where both agree
on the demo, the samples and the edge cases below, a rule is unlikely to be wrong in both.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from bench import reference as ref
from slcore import figures
from slcore.budgets import import_budgets
from slcore.demo import build_demo
from slcore.frames import FRAME_COLUMNS, import_frames
from slcore.importer import import_file
from slcore.periods import Period, preset_period
from slcore.store import Store, open_store
from tests.conftest import CANONICAL_HEADER, registration, write_csv
from tests.test_figures import _expected_files, assert_matches_expected, parse_expected_name

D = dt.date
TODAY = D(2026, 11, 22)
GROUPINGS = [
    (),
    ("intervention_type",),
    ("age_band",),
    ("team",),
    ("intervention_type", "age_band", "team"),
]
SELECTIONS = [
    ref.ALL,
    ref.Selection(categories=("anbringelse",), teams=("Team Nord",)),
    ref.Selection(intervention_types=("SI_KONTAKT", "OEK"), age_bands=("6-11", "12-17")),
]


def filters_of(sel: ref.Selection) -> figures.Filters:
    return figures.Filters(sel.intervention_types, sel.categories, sel.age_bands, sel.teams)


def key_figure_differences(
    store: Store, period: Period, by: tuple[str, ...], sel: ref.Selection
) -> list[str]:
    got = figures.key_figures(store, period, by, filters_of(sel))
    want = ref.key_figures(store.cursor(), period.start, period.end, period.as_of, by, sel)
    return ref.differences(got, want, by, ref.KEY_FIGURE_COLUMNS)


def series_differences(store: Store, period: Period, sel: ref.Selection) -> list[str]:
    cur, p = store.cursor(), (period.start, period.end, period.as_of)
    f = filters_of(sel)
    return ref.differences(
        figures.monthly_series(store, period, f),
        ref.monthly_series(cur, *p, sel),
        ("month",),
        ref.SERIES_COLUMNS,
    ) + ref.differences(
        figures.monthly_spend(store, period, f),
        ref.monthly_spend(cur, *p, sel),
        ("month",),
        ref.SPEND_COLUMNS,
    )


# --- The demo municipality -------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    path = tmp_path_factory.mktemp("bench") / "demo.duckdb"
    build_demo(path, scale=0.2, today=TODAY, force=True)
    store = open_store(path)
    yield store
    store.close()


def demo_periods() -> list[Period]:
    return [
        preset_period("this_year", TODAY),
        # Half the period in the future, and a period across a new year.
        preset_period("this_year", D(2025, 6, 17)),
        Period(D(2024, 7, 15), D(2025, 3, 10), D(2024, 12, 31)),
    ]


# Every grouping unfiltered, and each filter where it changes the most: budgets (total, by
# type) and small groups (all three columns).
DEMO_CASES = [
    *[(by, ref.ALL) for by in GROUPINGS],
    *[((), sel) for sel in SELECTIONS[1:]],
    (("intervention_type",), SELECTIONS[1]),
    (GROUPINGS[-1], SELECTIONS[2]),
]


def case_id(case: tuple[str, ...] | ref.Selection) -> str:
    if isinstance(case, ref.Selection):
        return "+".join(v for values in dataclasses.astuple(case) for v in values) or "all"
    return "-".join(case) or "total"


@pytest.mark.parametrize(("by", "sel"), DEMO_CASES, ids=case_id)
def test_key_figures_equal_the_reference_on_the_demo(demo_store, by, sel):
    for period in demo_periods():
        assert key_figure_differences(demo_store, period, by, sel) == [], period


def test_monthly_series_and_spend_equal_the_reference_on_the_demo(demo_store):
    for period in demo_periods():
        for sel in SELECTIONS:
            assert series_differences(demo_store, period, sel) == [], (period, sel)


# --- The shared samples ----------------------------------------------------------------------


@pytest.mark.parametrize("path", _expected_files(), ids=lambda p: p.name)
def test_reference_reproduces_the_samples_expected_figures(sample_store, path):
    period, by = parse_expected_name(path)
    got = ref.key_figures(sample_store.cursor(), period.start, period.end, period.as_of, by)
    assert_matches_expected(got, path)


# --- Edge cases, one registration each -------------------------------------------------------

EDGE_REGISTRATIONS = [
    # 'once' amounts: before the as-of date (realised), on it, after it (committed).
    registration(
        "once-past",
        cost_amount="5000",
        cost_period="once",
        start_date="2025-03-10",
        end_date="2025-03-10",
        intervention_type="OEK",
    ),
    registration(
        "once-later",
        cost_amount="7000",
        cost_period="once",
        start_date="2025-10-01",
        end_date="2025-10-01",
        intervention_type="OEK",
    ),
    # An hour price needs the hours per week; a week and a year price; partial months.
    registration(
        "hour",
        cost_amount="300",
        cost_period="hour",
        extent="5",
        extent_unit="hours_per_week",
        start_date="2025-01-01",
        end_date="2025-01-14",
    ),
    registration(
        "week",
        cost_amount="700",
        cost_period="week",
        start_date="2024-12-20",
        end_date="2025-02-10",
    ),
    registration(
        "year",
        cost_amount="36500",
        cost_period="year",
        start_date="2024-02-01",
        intervention_type="OEK",
    ),
    # The frame version at the start: the old one's price limit fails, the new one's holds.
    registration(
        "old-frame",
        cost_amount="20000",
        cost_period="month",
        start_date="2024-12-31",
        committee_approved="true",
    ),
    registration("new-frame", cost_amount="20000", cost_period="month", start_date="2025-01-01"),
    registration("before-frames", cost_amount="100", start_date="2019-12-31"),
    registration("no-frame-type", cost_amount="900", intervention_type="ANB_PLEJE"),
    # Planned: committed only; with no cost it touches the period not at all.
    registration("planned", cost_amount="10", start_date="2025-09-01", team="Team P"),
    registration("planned-free", cost_amount="0", start_date="2025-09-01", team="Team Z"),
    # Ended before and after the as-of date; durations against a one-month frame.
    registration("ended", cost_amount="50", start_date="2024-01-01", end_date="2025-05-31"),
    registration("ends-later", cost_amount="50", start_date="2024-01-01", end_date="2025-08-31"),
    registration(
        "month-end", intervention_type="SI_HJEM", start_date="2025-01-31", end_date="2025-02-28"
    ),
    registration("ongoing-long", intervention_type="SI_HJEM", start_date="2025-05-01"),
    # Extent in the (old) frame's unit and in another; age bands and impossible ages.
    registration("extent-over", extent="8", extent_unit="hours_per_week", start_date="2024-06-01"),
    registration(
        "extent-other-unit", extent="8", extent_unit="days_per_month", start_date="2024-06-01"
    ),
    registration("born-after-start", birth_date="2025-06-01", start_date="2025-01-01"),
    registration("age-18", birth_date="2006-12-20", start_date="2025-01-01"),
    registration("age-only", birth_date="", age_at_start="19", intervention_type="UNG_KONTAKT"),
    # An empty team and a blank one are both (ukendt).
    registration("no-team", team="", cost_amount="20"),
    registration("blank-team", team="   ", cost_amount="20"),
    registration("outside", cost_amount="99", start_date="2023-01-01", end_date="2023-12-31"),
]
FRAME = {"intervention_type": "SI_KONTAKT", "valid_from": "2020-01-01"}
EDGE_FRAMES = [
    {
        **FRAME,
        "age_min": 0,
        "age_max": 17,
        "max_monthly_cost": 16000,
        "max_extent": 6,
        "extent_unit": "hours_per_week",
    },
    {**FRAME, "valid_from": "2025-01-01", "age_min": 0, "age_max": 17, "max_monthly_cost": 25000},
    {"intervention_type": "SI_HJEM", "valid_from": "2020-01-01", "max_duration_months": 1},
    {"intervention_type": "OEK", "valid_from": "2020-01-01", "age_min": 0, "age_max": 17},
    {"intervention_type": "UNG_KONTAKT", "valid_from": "2020-01-01", "age_min": 18, "age_max": 22},
]
EDGE_BUDGETS = [
    {"year": 2024, "intervention_type": "SI_KONTAKT", "budget_dkk": 366_000},
    {"year": 2025, "intervention_type": "SI_KONTAKT", "budget_dkk": 730_000},
    {"year": 2025, "intervention_type": "OEK", "budget_dkk": 100_000},
    {"year": 2025, "intervention_type": "SI_PRAKTIK", "budget_dkk": 250_000},
]
EDGE_PERIODS = [
    Period(D(2025, 1, 1), D(2025, 12, 31), D(2025, 6, 30)),
    Period(D(2024, 7, 1), D(2025, 6, 30), D(2025, 12, 31)),
    Period(D(2025, 3, 1), D(2025, 3, 31), D(2025, 3, 10)),  # a 'once' on the as-of day
    Period(D(2026, 1, 1), D(2026, 12, 31), D(2025, 6, 30)),  # wholly in the future
    Period(D(2025, 2, 10), D(2025, 11, 20), D(2025, 2, 28)),  # months cut by the period
]


@pytest.fixture
def edge_store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(tmp_path / "edge.duckdb")
    header = (*CANONICAL_HEADER, "age_at_start")
    rows = [{"age_at_start": "", **r} for r in EDGE_REGISTRATIONS]
    result = import_file(store, write_csv(tmp_path / "r.csv", header, rows), today=D(2030, 1, 1))
    assert result.rejected == 0
    import_frames(store, write_csv(tmp_path / "f.csv", FRAME_COLUMNS, EDGE_FRAMES))
    cols = ("year", "intervention_type", "budget_dkk", "planned_cases")
    import_budgets(store, write_csv(tmp_path / "b.csv", cols, EDGE_BUDGETS))
    yield store
    store.close()


def test_key_figures_and_series_equal_the_reference_on_edge_cases(edge_store):
    for period in EDGE_PERIODS:
        for by in GROUPINGS:
            assert key_figure_differences(edge_store, period, by, ref.ALL) == [], (period, by)
        for by in [(), ("team",)]:
            teams = ref.Selection(teams=("(ukendt)", "Team P"))
            assert key_figure_differences(edge_store, period, by, teams) == [], (period, by)
        assert series_differences(edge_store, period, ref.ALL) == [], period
    # The cases are live: each status and an unknown team and age band occur.
    year = (D(2025, 1, 1), D(2025, 12, 31), D(2025, 6, 30))
    row = ref.key_figures(edge_store.cursor(), *year).iloc[0]
    assert min(row[c] for c in ("within_frame", "approved_exceptions", "no_frame")) > 0
    assert row["unapproved_deviations"] >= 5
    by = ref.key_figures(edge_store.cursor(), *year, ("age_band", "team"))
    assert {"ukendt", "18-22"} <= set(by["age_band"]) and "(ukendt)" in set(by["team"])
    assert "Team Z" not in set(by["team"])


# --- The comparison itself -------------------------------------------------------------------


def test_differences_finds_groups_counts_money_and_empty_cells():
    want = pd.DataFrame(
        {"team": ["A", "B", "C"], "n": [1, 2, 3], "budget_dkk": [10.0, float("nan"), 5.0]}
    )
    same = want.copy()
    same.loc[0, "budget_dkk"] += 0.009  # within 0.01 kr.
    assert ref.differences(same, want, ("team",), ("n", "budget_dkk")) == []
    got = want.drop(index=2).copy()
    got.loc[0, "n"] = 7
    got.loc[1, "budget_dkk"] = 0.0
    got.loc[0, "budget_dkk"] += 0.02
    found = ref.differences(got, want, ("team",), ("n", "budget_dkk"))
    assert len(found) == 4
    assert found[0] == "group ('C',) only in the reference"
