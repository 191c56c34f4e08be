"""Compliance: status and reasons, the committee's lists, the amount outside the frame, what-if."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from slcore import compliance, figures
from slcore.compliance import Limits
from slcore.periods import Period
from tests.conftest import registration

D = dt.date
FRAME = {"intervention_type": "SI_KONTAKT", "valid_from": "2020-01-01"}
YEAR = Period(D(2025, 1, 1), D(2025, 12, 31), D(2025, 12, 31))


def test_status_counts_equal_key_figures_on_the_sample(sample_store):
    for period in (YEAR, Period(D(2023, 7, 1), D(2026, 6, 30), D(2025, 12, 31))):
        status = compliance.status_by_type(sample_store, period).set_index("intervention_type")
        kf = figures.key_figures(sample_store, period, ("intervention_type",))
        kf = kf[kf["active_registrations"] > 0].set_index("intervention_type")
        cols = [
            "active_registrations",
            "within_frame",
            "approved_exceptions",
            "unapproved_deviations",
            "no_frame",
        ]
        assert status[cols].equals(kf[cols])


def test_reasons_several_at_once_and_no_frame(make_store):
    store = make_store(
        [
            registration("ok", cost_amount="1000", cost_period="month"),
            registration("price", cost_amount="2000", cost_period="month"),
            registration("both", birth_date="2000-01-01", cost_amount="2000", cost_period="month"),
            registration(
                "approved", cost_amount="2000", cost_period="month", committee_approved="Ja"
            ),
            registration("noframe", intervention_type="OEK"),
        ],
        frames=[{**FRAME, "age_min": 0, "age_max": 17, "max_monthly_cost": 1500}],
    )
    combos = compliance.reason_combinations(store, YEAR).set_index("reasons")
    assert combos.loc["pris", "unapproved_deviations"] == 1
    assert combos.loc["pris", "approved_exceptions"] == 1
    assert combos.loc["alder, pris", "unapproved_deviations"] == 1
    per_reason = compliance.reason_counts(store, YEAR).set_index("reason")
    assert per_reason.loc["pris", "unapproved_deviations"] == 2  # "both" counts under each
    assert per_reason.loc["alder", "unapproved_deviations"] == 1
    status = compliance.status_by_type(store, YEAR).set_index("intervention_type")
    assert status.loc["OEK", "no_frame"] == 1
    assert status.loc["SI_KONTAKT", "within_frame_share"] == pytest.approx(1 / 4)


def test_amount_outside_the_frame(make_store):
    # 2,000 a month against a 1,500 frame: a quarter of its spend is outside.
    # 10 a day running 2025-01-01.. with a 3-month frame: the days after 31 March are outside.
    # Outside the target group: all of its spend.
    store = make_store(
        [
            registration(
                "price",
                cost_amount="2000",
                cost_period="month",
                start_date="2025-01-01",
                end_date="2025-01-31",
            ),
            registration(
                "long",
                cost_amount="10",
                cost_period="day",
                start_date="2025-01-01",
                end_date="2025-12-31",
                intervention_type="SI_HJEM",
            ),
            registration(
                "age",
                cost_amount="10",
                cost_period="day",
                birth_date="2000-01-01",
                start_date="2025-01-01",
                end_date="2025-01-10",
            ),
        ],
        frames=[
            {**FRAME, "age_min": 0, "age_max": 17, "max_monthly_cost": 1500},
            {"intervention_type": "SI_HJEM", "valid_from": "2020-01-01", "max_duration_months": 3},
        ],
    )
    rows = compliance.committee_deviations(store, YEAR).set_index("registration_id")
    assert rows.loc["price", "outside_dkk"] == pytest.approx(2000 * 12 / 365 * 31 * 0.25)
    assert rows.loc["long", "outside_dkk"] == pytest.approx(10 * (365 - 90))
    assert rows.loc["age", "outside_dkk"] == pytest.approx(100)
    assert list(rows.index) == ["long", "price", "age"]  # largest amount first
    assert rows.loc["long", "reasons"] == "varighed"


def test_expiring_list(make_store):
    as_of = D(2025, 6, 1)
    store = make_store(
        [
            # A 12-month frame: the last day within is start + 12 months - 1 day.
            registration("soon", start_date="2024-07-15"),  # last day 2025-07-14: in 43 days
            registration("later", start_date="2024-09-15"),  # last day 2025-09-14: beyond 60
            registration("ends_in_time", start_date="2024-07-15", end_date="2025-07-14"),
            registration("ended", start_date="2024-01-01", end_date="2025-05-31"),
            registration("today", start_date="2024-06-02"),  # last day is the as-of date
        ],
        frames=[{**FRAME, "max_duration_months": 12}],
    )
    rows = compliance.committee_expiring(store, as_of, 60)
    assert list(rows["registration_id"]) == ["today", "soon"]
    assert list(rows["days_left"]) == [0, 43]
    longer = compliance.committee_expiring(store, as_of, 120)
    assert "later" in set(longer["registration_id"])
    with pytest.raises(ValueError, match="Antal dage skal være 0"):
        compliance.committee_expiring(store, as_of, -1)


def test_whatif_against_todays_frame(make_store):
    store = make_store(
        [
            registration("a", cost_amount="1000", cost_period="month"),
            registration("b", cost_amount="1400", cost_period="month"),
            registration("c", cost_amount="2000", cost_period="month", start_date="2025-07-01"),
        ],
        frames=[{**FRAME, "max_monthly_cost": 1500}],
    )
    result = compliance.whatif(store, YEAR, "SI_KONTAKT", Limits(max_monthly_cost=1200))
    today, sandbox = result.iloc[0], result.iloc[1]
    assert (today["outside"], today["price"]) == (1, 1)
    assert (sandbox["outside"], sandbox["price"]) == (2, 2)
    assert sandbox["duration"] == 0 and sandbox["age"] == 0
    c_days = 184  # 1 July to 31 December
    b_outside = 1400 * 12 / 365 * 365 * (1 - 1200 / 1400)
    c_outside_today = 2000 * 12 / 365 * c_days * (1 - 1500 / 2000)
    c_outside_sandbox = 2000 * 12 / 365 * c_days * (1 - 1200 / 2000)
    assert today["outside_dkk"] == pytest.approx(c_outside_today)
    assert sandbox["outside_dkk"] == pytest.approx(b_outside + c_outside_sandbox)
    # Nothing was saved.
    assert store.cursor().execute("SELECT count(*) FROM frames").fetchone()[0] == 1
    # No limits at all: nothing outside.
    assert compliance.whatif(store, YEAR, "SI_KONTAKT", Limits()).iloc[1]["outside"] == 0


def test_type_age_view_trend_and_limit_points(make_store):
    store = make_store(
        [
            registration(
                "young",
                birth_date="2020-06-01",
                start_date="2025-02-03",
                cost_amount="100",
                cost_period="month",
            ),
            registration(
                "old",
                birth_date="2005-06-01",
                start_date="2025-03-03",
                cost_amount="900",
                cost_period="month",
            ),
        ],
        frames=[{**FRAME, "age_min": 0, "age_max": 17, "max_monthly_cost": 500}],
    )
    grid = compliance.status_by_type_age(store, YEAR).set_index("age_band")
    assert grid.loc["0-5", "outside_share"] == 0 and grid.loc["18-22", "outside_share"] == 1
    trend = compliance.trend_by_start_month(store, YEAR)
    assert list(trend["started"]) == [1, 1] and trend["month"].iloc[1].date() == D(2025, 3, 1)
    points = compliance.limit_points(store, YEAR, "SI_KONTAKT", "price")
    assert list(points["value"].round(2)) == [100.0, 900.0]
    assert list(points["limit_value"]) == [500.0, 500.0]


# --- moved out of the page (issue 13) --------------------------------------------------------


def test_status_totals_framed_types_and_the_lists(sample_store):
    status = compliance.status_by_type(sample_store, YEAR)
    totals = compliance.status_totals(status)
    row = figures.key_figures(sample_store, YEAR).iloc[0]
    for c in compliance.STATUS_COUNT_COLUMNS:
        assert totals[c] == row[c], c
    framed = compliance.framed_types(status)
    assert framed and all(
        r["no_frame"] < r["active_registrations"]
        for _, r in status.set_index("intervention_type").loc[framed].iterrows()
    )
    names = {c: f"Navn {c}" for c in status["intervention_type"]}
    dev = compliance.deviations_list(compliance.committee_deviations(sample_store, YEAR), names)
    assert list(dev.columns)[:3] == ["registration_id", "citizen_id", "intervention_name"]
    assert dev["intervention_name"].str.startswith("Navn ").all()
    exp = compliance.expiring_list(compliance.committee_expiring(sample_store, YEAR.as_of), names)
    assert "planned_end" in exp.columns and set(exp["committee_approved"]) <= {"Ja", "Nej"}
    assert exp["days_left"].dtype == "int64"


def test_whatif_table_names_its_two_rows():
    result = pd.DataFrame(
        {
            "scenario": ["today", "sandbox"],
            "judged": [4, 4],
            "outside": [1, 3],
            "outside_dkk": [0.0, 5.0],
        }
    )
    table = compliance.whatif_table(result)
    assert list(table.columns) == ["frame", "judged", "outside", "outside_dkk"]
    assert list(table["frame"]) == ["Dagens ramme", "Ny ramme"]


def test_the_spend_outside_the_frame_in_all_is_the_types_summed(sample_store):
    period = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31), dt.date(2025, 9, 30))
    status = compliance.status_by_type(sample_store, period)
    reasons = compliance.reason_combinations(sample_store, period)
    total = compliance.outside_total(status)
    assert total > 0
    # The same amount, summed another way: over the reasons' combinations.
    assert total == pytest.approx(float(reasons["outside_dkk"].sum()))
