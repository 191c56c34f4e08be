"""The figures of metrics.md: small hand-computed cases for every rule, and the samples."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest

from slcore.figures import Filters, budget_total, key_figures, monthly_spend, within_frame_share
from slcore.periods import Period
from tests.conftest import SAMPLES, registration

D = dt.date


def total(store, start, end, as_of, filters=Filters()):
    return key_figures(store, Period(start, end, as_of), (), filters).iloc[0]


def test_leap_day_counts_and_leap_year_budget(make_store):
    store = make_store(
        [
            registration(
                "day",
                cost_amount="100",
                cost_period="day",
                start_date="2024-02-01",
                end_date="2024-03-31",
            ),
            # 36,600 a year is 100.27 a day (÷365, not ÷366): metrics.md fixes the divisor.
            registration(
                "year",
                cost_amount="36500",
                cost_period="year",
                start_date="2024-02-01",
                end_date="2024-03-31",
                intervention_type="OEK",
            ),
        ],
        budgets=[{"year": 2024, "intervention_type": "SI_KONTAKT", "budget_dkk": 366000}],
    )
    row = total(store, D(2024, 2, 1), D(2024, 2, 29), D(2024, 12, 31))
    assert row["realized_spend_dkk"] == pytest.approx(29 * 100 + 29 * 100)
    assert row["committed_spend_dkk"] == 0
    # 366,000 over a leap year is 1,000 a day; February 2024 has 29 days.
    assert row["budget_dkk"] == pytest.approx(29_000)


def test_once_falls_in_full_on_start_date(make_store):
    store = make_store(
        [
            registration(
                "once",
                cost_amount="5000",
                cost_period="once",
                start_date="2025-03-10",
                end_date="2025-03-10",
            ),
        ]
    )
    march = (D(2025, 3, 1), D(2025, 3, 31))
    before = total(store, *march, D(2025, 3, 9))
    assert (before["realized_spend_dkk"], before["committed_spend_dkk"]) == (0, 5000)
    assert before["active_registrations"] == 0
    on = total(store, *march, D(2025, 3, 10))
    assert (on["realized_spend_dkk"], on["committed_spend_dkk"]) == (5000, 0)
    assert on["active_registrations"] == 1 and on["new_registrations"] == 1
    april = total(store, D(2025, 4, 1), D(2025, 4, 30), D(2025, 12, 31))
    assert april["realized_spend_dkk"] == 0 and april["active_registrations"] == 0


def test_hour_price_uses_hours_per_week(make_store):
    store = make_store(
        [
            registration(
                "h",
                cost_amount="300",
                cost_period="hour",
                extent="5",
                extent_unit="hours_per_week",
                start_date="2025-01-01",
                end_date="2025-01-14",
            ),
        ]
    )
    row = total(store, D(2025, 1, 1), D(2025, 12, 31), D(2025, 12, 31))
    assert row["realized_spend_dkk"] == pytest.approx(300 * 5 / 7 * 14)


def test_week_and_month_prices(make_store):
    store = make_store(
        [
            registration(
                "w",
                cost_amount="700",
                cost_period="week",
                start_date="2025-01-01",
                end_date="2025-01-10",
            ),
            registration(
                "m",
                cost_amount="3650",
                cost_period="month",
                start_date="2025-01-01",
                end_date="2025-01-10",
            ),
        ]
    )
    row = total(store, D(2025, 1, 1), D(2025, 1, 31), D(2025, 12, 31))
    assert row["realized_spend_dkk"] == pytest.approx(10 * 100 + 10 * 3650 * 12 / 365)


def test_ongoing_runs_to_the_end_of_the_period(make_store):
    store = make_store([registration("o", cost_amount="10", start_date="2024-06-01")])
    row = total(store, D(2025, 1, 1), D(2025, 12, 31), D(2025, 6, 30))
    assert row["realized_spend_dkk"] == pytest.approx(181 * 10)
    assert row["committed_spend_dkk"] == pytest.approx(184 * 10)
    assert row["active_registrations"] == 1
    assert row["new_registrations"] == 0 and row["ended_registrations"] == 0


def test_planned_registration_is_committed_but_not_active(make_store):
    store = make_store(
        [
            registration("p", cost_amount="10", start_date="2025-09-01", team="Team P"),
            registration("a", cost_amount="1", start_date="2025-01-01", team="Team A"),
        ]
    )
    period = Period(D(2025, 1, 1), D(2025, 12, 31), D(2025, 6, 30))
    row = key_figures(store, period).iloc[0]
    assert row["active_registrations"] == 1 and row["new_registrations"] == 1
    by_team = key_figures(store, period, ("team",)).set_index("team")
    # A group appears with spend in P even without an active registration.
    assert by_team.loc["Team P", "active_registrations"] == 0
    assert by_team.loc["Team P", "committed_spend_dkk"] == pytest.approx(122 * 10)


def test_period_cut_by_as_of(make_store):
    store = make_store(
        [
            registration("c", cost_amount="1", start_date="2024-01-01", end_date="2025-06-30"),
        ]
    )
    row = total(store, D(2025, 1, 1), D(2025, 12, 31), D(2025, 3, 31))
    assert row["ended_registrations"] == 0  # its end is after the as-of date
    assert row["realized_spend_dkk"] == pytest.approx(90)
    assert row["committed_spend_dkk"] == pytest.approx(91)
    later = total(store, D(2025, 1, 1), D(2025, 12, 31), D(2025, 7, 1))
    assert later["ended_registrations"] == 1
    assert later["median_duration_days"] == 547  # 2024 (366) + 181 days


def test_period_entirely_after_as_of_has_no_activity(make_store):
    store = make_store([registration("x", cost_amount="1", start_date="2024-01-01")])
    row = total(store, D(2026, 1, 1), D(2026, 1, 31), D(2025, 12, 31))
    assert row["active_registrations"] == 0
    assert row["realized_spend_dkk"] == 0 and row["committed_spend_dkk"] == pytest.approx(31)


def test_median_duration_even_count_is_mean_of_middle(make_store):
    store = make_store(
        [
            registration("a", start_date="2025-01-01", end_date="2025-01-10"),  # 10 days
            registration("b", start_date="2025-02-01", end_date="2025-02-21"),  # 21 days
        ]
    )
    row = total(store, D(2025, 1, 1), D(2025, 12, 31), D(2025, 12, 31))
    assert row["median_duration_days"] == 15.5
    none_ended = total(store, D(2025, 1, 1), D(2025, 1, 5), D(2025, 12, 31))
    assert pd.isna(none_ended["median_duration_days"])


FRAME = {"intervention_type": "SI_KONTAKT", "valid_from": "2020-01-01"}


@pytest.mark.parametrize(
    ("start", "end", "status"),
    [
        # 31 Jan + 1 month = 28 Feb (month end), minus a day: the last day within is 27 Feb.
        ("2025-01-31", "2025-02-27", "within_frame"),
        ("2025-01-31", "2025-02-28", "unapproved_deviation"),
        # In a leap year, 31 Jan + 1 month = 29 Feb: the last day within is 28 Feb.
        ("2024-01-31", "2024-02-28", "within_frame"),
        ("2024-01-31", "2024-02-29", "unapproved_deviation"),
        ("2025-03-15", "2025-04-14", "within_frame"),
        ("2025-03-15", "2025-04-15", "unapproved_deviation"),
    ],
)
def test_duration_check_with_month_ends(make_store, start, end, status):
    store = make_store(
        [registration("r", start_date=start, end_date=end)],
        frames=[{**FRAME, "max_duration_months": 1}],
    )
    row = total(store, D(2024, 1, 1), D(2025, 12, 31), D(2025, 12, 31))
    expected = {"within_frame": 0, "unapproved_deviation": 0}
    expected[status] = 1
    assert row["within_frame"] == expected["within_frame"]
    assert row["unapproved_deviations"] == expected["unapproved_deviation"]


def test_duration_of_ongoing_uses_as_of(make_store):
    store = make_store(
        [registration("r", start_date="2025-01-01")], frames=[{**FRAME, "max_duration_months": 3}]
    )
    assert total(store, D(2025, 1, 1), D(2025, 12, 31), D(2025, 3, 31))["within_frame"] == 1
    later = total(store, D(2025, 1, 1), D(2025, 12, 31), D(2025, 4, 1))
    assert later["unapproved_deviations"] == 1


def test_frame_version_by_start_date_and_no_frame(make_store):
    store = make_store(
        [
            registration("old", cost_amount="1500", cost_period="month", start_date="2024-12-31"),
            registration("new", cost_amount="1500", cost_period="month", start_date="2025-01-01"),
            registration(
                "before", cost_amount="1500", cost_period="month", start_date="2019-12-31"
            ),
        ],
        frames=[
            {**FRAME, "max_monthly_cost": 1000},
            {**FRAME, "valid_from": "2025-01-01", "max_monthly_cost": 2000},
        ],
    )
    row = total(store, D(2025, 1, 1), D(2025, 1, 31), D(2025, 12, 31))
    assert (row["within_frame"], row["unapproved_deviations"], row["no_frame"]) == (1, 1, 1)
    assert within_frame_share(row) == 0.5


def test_reimported_frame_version_replaces_that_version_only(make_store, tmp_path):
    from slcore.frames import frames_csv, import_frames
    from tests.conftest import write_csv

    store = make_store(
        [registration("r", cost_amount="1500", cost_period="month")],
        frames=[{**FRAME, "max_monthly_cost": 1000}],
    )
    p = Period(D(2025, 1, 1), D(2025, 1, 31), D(2025, 12, 31))
    assert key_figures(store, p).iloc[0]["unapproved_deviations"] == 1
    cols = ("intervention_type", "valid_from", "max_monthly_cost")
    import_frames(
        store, write_csv(tmp_path / "f2.csv", cols, [{**FRAME, "max_monthly_cost": 1600}])
    )
    assert key_figures(store, p).iloc[0]["within_frame"] == 1
    assert frames_csv(store).count("SI_KONTAKT") == 1
    assert store.cursor().execute("SELECT count(*) FROM frames").fetchone()[0] == 2


def test_price_check_tolerance_and_once(make_store):
    store = make_store(
        [
            registration("equal", cost_amount="1000", cost_period="month"),
            registration("above", cost_amount="1000.02", cost_period="month"),
            registration("once", cost_amount="99999", cost_period="once", end_date="2025-01-01"),
        ],
        frames=[{**FRAME, "max_monthly_cost": 1000}],
    )
    row = total(store, D(2025, 1, 1), D(2025, 1, 31), D(2025, 12, 31))
    assert (row["within_frame"], row["unapproved_deviations"]) == (2, 1)


def test_extent_check_needs_equal_units(make_store):
    store = make_store(
        [
            registration("same", extent="6", extent_unit="hours_per_week"),
            registration("other", extent="6", extent_unit="days_per_month"),
            registration("ok", extent="4", extent_unit="hours_per_week"),
        ],
        frames=[{**FRAME, "max_extent": 5, "extent_unit": "hours_per_week"}],
    )
    row = total(store, D(2025, 1, 1), D(2025, 1, 31), D(2025, 12, 31))
    assert (row["within_frame"], row["unapproved_deviations"]) == (2, 1)


def test_age_check_committee_approval_and_several_reasons(make_store):
    store = make_store(
        [
            # Born Feb 2007: 17 on 1 Jan 2025 (birth month's first day is what is stored).
            registration("17", birth_date="2007-02-20", start_date="2025-01-01"),
            registration("18", birth_date="2006-12-20", start_date="2025-01-01"),
            registration(
                "18ok", birth_date="2006-12-20", start_date="2025-01-01", committee_approved="true"
            ),
            registration(
                "both",
                birth_date="2006-12-20",
                start_date="2025-01-01",
                cost_amount="5000",
                cost_period="month",
            ),
        ],
        frames=[{**FRAME, "age_min": 8, "age_max": 17, "max_monthly_cost": 1000}],
    )
    row = total(store, D(2025, 1, 1), D(2025, 1, 31), D(2025, 12, 31))
    assert (row["within_frame"], row["approved_exceptions"], row["unapproved_deviations"]) == (
        1,
        1,
        2,
    )


def test_budget_over_two_years(make_store):
    store = make_store(
        [registration("r")],
        budgets=[
            {"year": 2024, "intervention_type": "SI_KONTAKT", "budget_dkk": 366_000},
            {"year": 2025, "intervention_type": "SI_KONTAKT", "budget_dkk": 730_000},
            {"year": 2025, "intervention_type": "OEK", "budget_dkk": 365_000},
        ],
    )
    # 184 days of 2024 at 1,000 a day and 181 days of 2025 at 2,000 (+1,000 for OEK) a day.
    p = Period(D(2024, 7, 1), D(2025, 6, 30), D(2025, 12, 31))
    assert key_figures(store, p).iloc[0]["budget_dkk"] == pytest.approx(184_000 + 181 * 3000)
    by_type = key_figures(store, p, ("intervention_type",)).set_index("intervention_type")
    assert by_type.loc["OEK", "budget_dkk"] == pytest.approx(181_000)
    assert by_type.loc["OEK", "active_registrations"] == 0  # shown for its budget alone
    assert budget_total(store, p.start, p.end, Filters(intervention_types=("OEK",))) == (
        pytest.approx(181_000)
    )
    assert budget_total(store, p.start, p.end, Filters(teams=("Team A",))) is None


def test_empty_team_is_unknown_group(make_store):
    store = make_store(
        [
            registration("a", team=""),
            registration("b", team="   "),
            registration("c", team="Team Nord"),
        ]
    )
    p = Period(D(2025, 1, 1), D(2025, 1, 31), D(2025, 12, 31))
    table = key_figures(store, p, ("team",)).set_index("team")
    assert table.loc["(ukendt)", "active_registrations"] == 2
    assert table["budget_dkk"].isna().all()
    only = key_figures(store, p, (), Filters(teams=("(ukendt)",))).iloc[0]
    assert only["active_registrations"] == 2


def test_age_bands_and_birth_after_start(make_store):
    store = make_store(
        [
            registration("a5", birth_date="2019-02-15", start_date="2025-01-01"),  # 5 (Feb 1st)
            registration("a6", birth_date="2018-12-15", start_date="2025-01-01"),  # 6
            registration("neg", birth_date="2025-06-01", start_date="2025-01-01"),
        ],
        frames=[{**FRAME, "age_min": 0, "age_max": 17}],
    )
    p = Period(D(2025, 1, 1), D(2025, 1, 31), D(2025, 12, 31))
    table = key_figures(store, p, ("age_band",)).set_index("age_band")
    assert list(table.index) == ["0-5", "6-11", "ukendt"]
    # An impossible age is listed as outside the frame so someone corrects it.
    assert table.loc["ukendt", "unapproved_deviations"] == 1


def test_monthly_series_sum_to_period_figures(sample_store):
    p = Period(D(2025, 2, 10), D(2025, 11, 20), D(2025, 6, 15))
    f = Filters(categories=("anbringelse",))
    months = monthly_spend(sample_store, p, f)
    row = key_figures(sample_store, p, (), f).iloc[0]
    assert len(months) == 10
    assert months["realized"].sum() == pytest.approx(row["realized_spend_dkk"])
    assert months["committed"].sum() == pytest.approx(row["committed_spend_dkk"])
    assert months["budget"].sum() == pytest.approx(row["budget_dkk"])


def _expected_files():
    return sorted(SAMPLES.glob("expected_figures_*.csv"))


def parse_expected_name(path):
    m = re.search(r"from_(\S+)_to_(\S+)_asof_(\S+)_by_(\S+)\.csv", path.name)
    start, end, as_of, by = m.groups()
    cols = (
        ()
        if by == "total"
        else tuple(c for c in ("intervention_type", "age_band", "team") if c in by)
    )
    return Period(D.fromisoformat(start), D.fromisoformat(end), D.fromisoformat(as_of)), cols


def assert_matches_expected(got: pd.DataFrame, path) -> None:
    """Compare a key figures table with an expected file: same rows, money within 1 kr."""
    expected = pd.read_csv(path, keep_default_na=False, na_values=[""])
    _, by = parse_expected_name(path)
    assert list(got.columns) == list(expected.columns)
    assert len(got) == len(expected)
    if by:
        got = got.set_index(list(by)).sort_index()
        expected = expected.set_index(list(by)).sort_index()
        assert list(got.index) == list(expected.index)
    for col in expected.columns:
        for key in expected.index:
            e, g = expected.loc[key, col], got.loc[key, col]
            if pd.isna(e):
                assert pd.isna(g), (key, col)
            else:
                assert float(g) == pytest.approx(float(e), abs=1.0), (key, col)


@pytest.mark.parametrize("path", _expected_files(), ids=lambda p: p.name)
def test_sample_expected_figures(sample_store, path):
    period, by = parse_expected_name(path)
    assert_matches_expected(key_figures(sample_store, period, by), path)


def test_there_are_four_expected_files():
    assert len(_expected_files()) == 4


# --- A type without a budget (issue 12, defect 3) ------------------------------------------

SAMPLE_2025 = Period(D(2025, 1, 1), D(2025, 12, 31), D(2025, 9, 30))


def test_a_type_without_a_budget_row_has_an_empty_budget_for_the_pages(sample_store):
    # ANB_KOST has no budget for 2025 in the samples; SI_PRAKTIK has one and no registrations.
    shown = key_figures(
        sample_store, SAMPLE_2025, ("intervention_type",), missing_budget_empty=True
    ).set_index("intervention_type")
    kost = shown.loc["ANB_KOST"]
    assert pd.isna(kost["budget_dkk"]) and pd.isna(kost["budget_deviation_dkk"])
    assert kost["projected_spend_dkk"] == pytest.approx(765_677.87, abs=1)
    assert shown.loc["SI_PRAKTIK", "budget_dkk"] == pytest.approx(250_000)
    assert shown.loc["SI_PRAKTIK", "budget_deviation_dkk"] == pytest.approx(-250_000)
    # The key figures table of metrics.md (command line, the sample files) keeps 0 kr.
    table = key_figures(sample_store, SAMPLE_2025, ("intervention_type",))
    assert table.set_index("intervention_type").loc["ANB_KOST", "budget_dkk"] == 0
    # The total is the budgets that exist, against all the projected spend (metrics.md).
    row = key_figures(sample_store, SAMPLE_2025, (), missing_budget_empty=True).iloc[0]
    assert row["budget_dkk"] == pytest.approx(shown["budget_dkk"].sum())
    assert row["budget_deviation_dkk"] == pytest.approx(
        row["projected_spend_dkk"] - row["budget_dkk"]
    )
    kost_only = Filters(intervention_types=("ANB_KOST",))
    assert budget_total(sample_store, SAMPLE_2025.start, SAMPLE_2025.end, kost_only) is None
    months = monthly_spend(sample_store, SAMPLE_2025, kost_only)
    assert months["budget"].isna().all()


def test_no_budget_at_all_is_empty_not_zero(make_store):
    store = make_store([registration("r", cost_amount="100")])
    p = Period(D(2025, 1, 1), D(2025, 12, 31), D(2025, 6, 30))
    row = key_figures(store, p, (), missing_budget_empty=True).iloc[0]
    assert row["projected_spend_dkk"] == pytest.approx(36_500)
    assert pd.isna(row["budget_dkk"]) and pd.isna(row["budget_deviation_dkk"])
    by_type = key_figures(store, p, ("intervention_type",), missing_budget_empty=True)
    assert by_type["budget_dkk"].isna().all() and by_type["budget_deviation_dkk"].isna().all()
    assert budget_total(store, p.start, p.end) is None
    months = monthly_spend(store, p)
    assert len(months) == 12 and months["budget"].isna().all()


def test_months_without_a_budget_row_are_empty(make_store):
    store = make_store(
        [registration("r", cost_amount="100")],
        budgets=[{"year": 2025, "intervention_type": "SI_KONTAKT", "budget_dkk": 365_000}],
    )
    # A rolling year whose second half has no budget yet: its months have none, not 0 kr.
    p = Period(D(2025, 7, 1), D(2026, 6, 30), D(2025, 9, 30))
    months = monthly_spend(store, p)
    assert months["budget"].iloc[:6].notna().all() and months["budget"].iloc[6:].isna().all()
    row = key_figures(store, p, (), missing_budget_empty=True).iloc[0]
    assert months["budget"].sum() == pytest.approx(row["budget_dkk"]) == pytest.approx(184_000)


def test_without_zero_keeps_the_groups_with_a_figure():
    from slcore.figures import without_zero

    table = pd.DataFrame({"team": ["A", "B", "C"], "active_registrations": [2, 0, 1]})
    kept = without_zero(table, "active_registrations")
    assert list(kept["team"]) == ["A", "C"]
    assert len(table) == 3  # the table itself is not changed
