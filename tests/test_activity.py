"""Activity series: monthly counts, the ladder mix, durations, the year comparison, the list."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from slcore import activity
from slcore.figures import Filters, key_figures, monthly_series
from slcore.periods import Period
from tests.conftest import registration

D = dt.date
YEAR_2025 = Period(D(2025, 1, 1), D(2025, 12, 31), D(2025, 9, 30))


@pytest.mark.parametrize("by", [None, "intervention_type", "category", "ladder_step", "team"])
@pytest.mark.parametrize(
    "filters", [Filters(), Filters(categories=("stottende",)), Filters(teams=("Team Nord",))]
)
def test_monthly_series_sum_to_the_period_key_figures(sample_store, by, filters):
    months = monthly_series(sample_store, YEAR_2025, filters, by)
    row = key_figures(sample_store, YEAR_2025, (), filters).iloc[0]
    assert months["new_registrations"].sum() == row["new_registrations"]
    assert months["ended_registrations"].sum() == row["ended_registrations"]
    assert months["realized"].sum() == pytest.approx(row["realized_spend_dkk"])
    assert months["committed"].sum() == pytest.approx(row["committed_spend_dkk"])
    # No month after the as-of date has activity: only commitments.
    future = months[months["month_start"].dt.date > YEAR_2025.as_of]
    assert future["active_registrations"].sum() == 0
    assert future["realized"].sum() == 0


def test_grouped_months_stack_to_the_ungrouped_month(sample_store):
    whole = monthly_series(sample_store, YEAR_2025).set_index("month")
    by_type = monthly_series(sample_store, YEAR_2025, by="intervention_type")
    stacked = by_type.groupby("month")[["active_registrations", "child_days", "realized"]].sum()
    assert (stacked["active_registrations"] == whole["active_registrations"]).all()
    assert (stacked["child_days"] == whole["child_days"]).all()
    assert stacked["realized"].to_numpy() == pytest.approx(whole["realized"].to_numpy())
    # The first month of the sample year has activity, so the test means something.
    assert whole["active_registrations"].iloc[0] > 0


def test_child_days_per_month_by_hand(make_store):
    store = make_store(
        [registration("R1", start_date="2025-01-15", end_date="2025-03-10", cost_amount="10")]
    )
    months = monthly_series(store, Period(D(2025, 1, 1), D(2025, 12, 31), D(2025, 12, 31)))
    assert list(months["child_days"].head(4)) == [17, 28, 10, 0]
    assert months["realized"].sum() == pytest.approx(55 * 10)
    assert list(months["new_registrations"].head(3)) == [1, 0, 0]
    assert list(months["ended_registrations"].head(3)) == [0, 0, 1]


def test_ladder_mix_counts_a_child_once_on_the_highest_step(make_store):
    store = make_store(
        [
            # One child on step 3 (contact person) and step 5 (foster family) in January.
            registration("R1", citizen_id="A", start_date="2025-01-01", cost_amount="100"),
            registration(
                "R2",
                citizen_id="A",
                intervention_type="ANB_PLEJE",
                start_date="2025-01-01",
                end_date="2025-01-31",
                cost_amount="1000",
            ),
            registration("R3", citizen_id="B", intervention_type="TFI_GRUPPE", cost_amount="10"),
            registration(
                "R4",
                citizen_id="C",
                intervention_type="UNG_KONTAKT",
                cost_amount="50",
                birth_date="2005-01-01",
            ),
        ]
    )
    p = Period(D(2025, 1, 1), D(2025, 12, 31), D(2025, 2, 15))
    mix = activity.ladder_mix(store, p)
    jan = mix[mix["month"] == pd.Timestamp("2025-01-01")]
    steps = [None if pd.isna(k) else int(k) for k in jan["ladder_step"]]
    children = dict(zip(steps, jan["children"], strict=True))
    assert children == {2: 1, 3: 0, 5: 1, None: 1}
    assert jan["child_share"].sum() == pytest.approx(1.0)
    # Spend stays with the registration's own step: the contact person's 31 days on step 3.
    spend = dict(zip(steps, jan["realized"], strict=True))
    assert spend[3] == pytest.approx(31 * 100)
    assert spend[5] == pytest.approx(31 * 1000)
    # In February child A is only on step 3; no month after the as-of date is listed.
    feb = mix[mix["month"] == pd.Timestamp("2025-02-01")]
    assert dict(zip(feb["ladder_step"].fillna(0), feb["children"], strict=True))[3] == 1
    assert mix["month"].max() == pd.Timestamp("2025-02-01")


def test_ladder_mix_shares_and_spend_match_the_months(sample_store):
    mix = activity.ladder_mix(sample_store, YEAR_2025)
    months = monthly_series(sample_store, YEAR_2025).set_index("month")
    per_month = mix.groupby("month").agg(
        child_share=("child_share", "sum"),
        spend_share=("spend_share", "sum"),
        realized=("realized", "sum"),
        children=("children", "sum"),
    )
    assert per_month["child_share"].to_numpy() == pytest.approx(1.0)
    assert per_month["spend_share"].to_numpy() == pytest.approx(1.0)
    assert per_month["realized"].to_numpy() == pytest.approx(
        months.loc[per_month.index, "realized"].to_numpy()
    )
    # Every active child counts once a month.
    assert (per_month["children"] == months.loc[per_month.index, "active_citizens"]).all()


def test_durations_agree_with_the_key_figures(sample_store):
    lengths = activity.durations(sample_store, YEAR_2025)
    kf = key_figures(sample_store, YEAR_2025, ("intervention_type",)).set_index("intervention_type")
    per_type = lengths.groupby("intervention_type")["registrations"].sum()
    assert (per_type == kf.loc[per_type.index, "active_registrations"]).all()
    ended = lengths[lengths["state"] == "ended"].set_index("intervention_type")
    assert len(ended) > 0
    assert ended["median"].to_numpy() == pytest.approx(
        kf.loc[ended.index, "median_duration_days"].to_numpy()
    )
    bands = [label for label, _, _ in activity.DURATION_BANDS]
    assert (lengths[bands].sum(axis=1) == lengths["registrations"]).all()
    assert (lengths["p10"] <= lengths["median"]).all()
    assert (lengths["median"] <= lengths["p90"]).all()


def test_ongoing_duration_runs_to_the_last_past_day(make_store):
    store = make_store([registration("R1", start_date="2025-01-01")])
    p = Period(D(2025, 1, 1), D(2025, 12, 31), D(2025, 3, 31))
    row = activity.durations(store, p).iloc[0]
    assert row["state"] == "ongoing"
    assert row["median"] == 90  # 1 January to 31 March, both counted
    assert row["Under 3 mdr."] == 1


def test_same_days_last_year():
    current, previous = activity.same_days_last_year(
        Period(D(2026, 1, 1), D(2026, 12, 31), D(2026, 11, 22))
    )
    assert (current.start, current.end) == (D(2026, 1, 1), D(2026, 11, 22))
    assert (previous.start, previous.end) == (D(2025, 1, 1), D(2025, 11, 22))
    assert previous.as_of == D(2026, 11, 22)
    assert (
        activity.same_days_last_year(Period(D(2027, 1, 1), D(2027, 12, 31), D(2026, 5, 1))) is None
    )


def test_year_comparison_equals_key_figures_of_both_periods(sample_store):
    yoy = activity.year_comparison(sample_store, YEAR_2025, by="intervention_type")
    now = key_figures(sample_store, yoy.current, ("intervention_type",))
    before = key_figures(sample_store, yoy.previous, ())
    total = yoy.table[yoy.table["intervention_type"].isna()].iloc[0]
    assert total["active_registrations_before"] == before["active_registrations"].iloc[0]
    assert total["realized_spend_dkk_now"] == pytest.approx(now["realized_spend_dkk"].sum())
    assert total["new_registrations_change"] == (
        total["new_registrations_now"] - total["new_registrations_before"]
    )
    rows = yoy.table.dropna(subset=["intervention_type"]).set_index("intervention_type")
    kf = now.set_index("intervention_type")
    shared = kf.index.intersection(rows.index)
    assert (
        rows.loc[shared, "active_registrations_now"] == kf.loc[shared, "active_registrations"]
    ).all()


def test_allocations_are_the_key_figures_rows_with_pseudonyms(sample_store):
    f = Filters(teams=("Team Nord",))
    rows = activity.allocations(sample_store, YEAR_2025, f)
    row = key_figures(sample_store, YEAR_2025, (), f).iloc[0]
    assert rows["realized"].sum() == pytest.approx(row["realized_spend_dkk"])
    assert rows["committed"].sum() == pytest.approx(row["committed_spend_dkk"])
    assert set(rows["team"]) == {"Team Nord"}
    assert list(rows.columns) == list(activity.ALLOCATION_COLUMNS)
    # Pseudonyms only: no ten-digit CPR number in any id.
    assert not rows["citizen_id"].astype(str).str.fullmatch(r"\d{6}-?\d{4}").any()
    spend = rows["realized"] + rows["committed"]
    assert spend.is_monotonic_decreasing
    assert len(activity.allocations(sample_store, YEAR_2025, f, limit=3)) == 3


def test_months_against_last_year_compare_the_same_days(make_store):
    # One child from 2025 on; another only in the second half of March 2025.
    store = make_store(
        [
            registration("R1", citizen_id="A", start_date="2025-01-01"),
            registration("R2", citizen_id="B", start_date="2025-03-20", end_date="2025-03-31"),
            registration("R3", citizen_id="C", start_date="2026-03-01"),
        ]
    )
    p = Period(D(2026, 1, 1), D(2026, 12, 31), D(2026, 3, 18))
    now, before = activity.months_against_last_year(store, p)
    assert list(now["active_citizens"]) == [1, 1, 2]  # January to March 2026, to the 18th
    # A year earlier all twelve months; March only to the 18th, so child B is not counted.
    assert len(before) == 12
    assert list(before["active_citizens"].head(4)) == [1, 1, 1, 1]
    whole = monthly_series(store, Period(D(2025, 1, 1), D(2025, 12, 31), D(2026, 3, 18)))
    assert whole["active_citizens"].iloc[2] == 2  # the whole of March 2025 had both


# --- moved out of the page (issue 13) --------------------------------------------------------


def test_months_so_far_stop_at_the_as_of_date(sample_store):
    from slcore.figures import months_so_far

    months = months_so_far(monthly_series(sample_store, YEAR_2025), YEAR_2025.as_of)
    assert len(months) == 9  # January to September, the as-of month
    assert months["month_start"].dt.date.max() == D(2025, 9, 1)


def test_monthly_table_ends_with_the_whole_period(sample_store):
    now, _ = activity.months_against_last_year(sample_store, YEAR_2025, Filters())
    total = key_figures(sample_store, YEAR_2025).iloc[0]
    table = activity.monthly_table(now, total, YEAR_2025.as_of)
    assert list(table.columns) == list(activity.MONTH_TABLE_COLUMNS)
    assert list(table["month"].iloc[[0, -2, -1]]) == ["jan 2025", "sep 2025", "Hele perioden"]
    whole, months = table.iloc[-1], table.iloc[:-1]
    # Sums where a month's figure adds up; counted once over the period where it does not.
    assert whole["child_days"] == months["child_days"].sum() == now["child_days"].sum()
    assert whole["new_registrations"] == months["new_registrations"].sum()
    assert whole["active_citizens"] == total["active_citizens"]
    assert whole["active_registrations"] == total["active_registrations"]
    assert whole["active_registrations"] < months["active_registrations"].sum()


def test_monthly_table_names_a_partial_month_by_hand():
    months = pd.DataFrame(
        {
            "month": [pd.Timestamp("2025-11-01"), pd.Timestamp("2025-12-01")],
            "month_start": [pd.Timestamp("2025-11-01"), pd.Timestamp("2025-12-01")],
            "month_end": [pd.Timestamp("2025-11-30"), pd.Timestamp("2025-12-31")],
            "active_registrations": [3, 2],
            "active_citizens": [2, 2],
            "new_registrations": [1, 0],
            "ended_registrations": [0, 1],
            "child_days": [90, 2],
        }
    )
    total = pd.Series(
        {
            "active_registrations": 3,
            "active_citizens": 2,
            "new_registrations": 1,
            "ended_registrations": 1,
        }
    )
    table = activity.monthly_table(months, total, D(2025, 12, 1))
    assert list(table["month"]) == ["nov 2025", "dec 2025 (1 dag)", "Hele perioden"]
    assert table.iloc[-1].to_dict() == {
        "month": "Hele perioden",
        "active_registrations": 3,
        "active_citizens": 2,
        "new_registrations": 1,
        "ended_registrations": 1,
        "child_days": 92,
    }


def test_ladder_table_names_months_and_steps(sample_store):
    table = activity.ladder_table(activity.ladder_mix(sample_store, YEAR_2025))
    assert table["month"].iloc[0] == "jan 2025"
    assert all(s.startswith(("Trin ", "Ungestøtte")) for s in table["ladder_step"])
