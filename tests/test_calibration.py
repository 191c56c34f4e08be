"""Frames from data: hand-computed Kaplan–Meier curves and quantiles, and the samples."""

from __future__ import annotations

import datetime as dt

import pytest

from slcore.calibration import distributions, survival, survival_summary
from slcore.figures import Filters, default_as_of
from tests.conftest import registration

D = dt.date
AS_OF = D(2025, 6, 30)
MONTH = 365 / 12


def ended(rid: str, days: int, **values: object) -> dict[str, object]:
    """A registration that ended before AS_OF after ``days`` days (both ends included)."""
    start = D(2023, 1, 1)
    end = start + dt.timedelta(days=days - 1)
    assert end <= AS_OF
    return registration(rid, start_date=start.isoformat(), end_date=end.isoformat(), **values)


def running(rid: str, days: int, end: str = "", **values: object) -> dict[str, object]:
    """A registration still running on AS_OF, observed for ``days`` days by then."""
    start = AS_OF - dt.timedelta(days=days - 1)
    return registration(rid, start_date=start.isoformat(), end_date=end, **values)


def frame(type_: str, valid_from: str, **values: object) -> dict[str, object]:
    return {"intervention_type": type_, "valid_from": valid_from, **values}


def rows_of(df, type_):
    return df[df["intervention_type"] == type_].reset_index(drop=True)


@pytest.fixture
def km_store(make_store):
    regs = [
        # SI_KONTAKT: 100 ended, 200 censored, 200 ended, 300 ended, 400 censored, 500 ended.
        ended("k1", 100),
        running("k2", 200),
        ended("k3", 200),
        ended("k4", 300),
        # Ends after AS_OF: censored at AS_OF, where it has run 400 days.
        running("k5", 400, end="2026-01-01"),
        ended("k6", 500),
        # A one-off payment has no duration: left out (else a 1-day event would come first).
        registration(
            "k7",
            start_date="2024-01-01",
            end_date="2024-01-01",
            cost_amount="5000",
            cost_period="once",
        ),
        # Started after AS_OF: not in the population.
        registration("k8", start_date="2025-07-01", end_date="2025-07-10"),
        # SI_BEHANDL: 100 ended, 300 censored; the curve stops at 300 with S = 1/2.
        ended("b1", 100, intervention_type="SI_BEHANDL"),
        running("b2", 300, intervention_type="SI_BEHANDL"),
        # SI_AFLAST: all three end on day 30, so S drops straight to 0.
        ended("a1", 30, intervention_type="SI_AFLAST"),
        ended("a2", 30, intervention_type="SI_AFLAST"),
        ended("a3", 30, intervention_type="SI_AFLAST"),
    ]
    frames = [
        frame("SI_KONTAKT", "2020-01-01", max_duration_months="20"),
        frame("SI_KONTAKT", "2025-01-01", max_duration_months="12"),
        # Not yet in force on AS_OF.
        frame("SI_KONTAKT", "2026-01-01", max_duration_months="3"),
    ]
    return make_store(regs, frames)


def test_kaplan_meier_curve_by_hand(km_store):
    curve = rows_of(survival(km_store, AS_OF), "SI_KONTAKT")
    # day  at risk  ended  censored  S
    #   0     6       0       0      1
    # 100     6       1       0      5/6
    # 200     5       1       1      5/6 * 4/5 = 2/3   (the censored one is at risk on day 200)
    # 300     3       1       0      2/3 * 2/3 = 4/9
    # 400     2       0       1      4/9               (censoring does not move S)
    # 500     1       1       0      4/9 * 0   = 0
    assert curve["day"].tolist() == [0, 100, 200, 300, 400, 500]
    assert curve["at_risk"].tolist() == [6, 6, 5, 3, 2, 1]
    assert curve["ended"].tolist() == [0, 1, 1, 1, 0, 1]
    assert curve["censored"].tolist() == [0, 0, 1, 0, 1, 0]
    assert curve["survival"].tolist() == pytest.approx(
        [1, 5 / 6, 2 / 3, 4 / 9, 4 / 9, 0], abs=1e-12
    )


def test_everyone_ending_on_one_day_drops_to_zero(km_store):
    curve = rows_of(survival(km_store, AS_OF), "SI_AFLAST")
    assert curve["day"].tolist() == [0, 30]
    assert curve["at_risk"].tolist() == [3, 3]
    assert curve["survival"].tolist() == [1.0, 0.0]
    s = rows_of(survival_summary(km_store, AS_OF), "SI_AFLAST").iloc[0]
    assert s["km_median_days"] == 30
    # Everyone has ended: nobody is still running at 6, 12 or 24 months.
    assert [s["still_running_6m"], s["still_running_12m"], s["still_running_24m"]] == [0, 0, 0]


def test_summary_km_median_shares_and_plain_median(km_store):
    summary = survival_summary(km_store, AS_OF)
    assert summary["intervention_type"].tolist() == ["SI_AFLAST", "SI_BEHANDL", "SI_KONTAKT"]
    s = rows_of(summary, "SI_KONTAKT").iloc[0]
    assert (s["n"], s["ended"], s["ongoing"]) == (6, 4, 2)
    # S first falls to 1/2 or below on day 300 (4/9).
    assert s["km_median_days"] == 300
    # Ended ones only: 100, 200, 300, 500 -> (200 + 300) / 2. The two still running are
    # ignored, so the plain median understates how long allocations last.
    assert s["plain_median_days"] == 250
    assert s["km_median_days"] > s["plain_median_days"]
    # S(182) = S(100); S(365) = S(300); at 730 the curve has ended at 0 on day 500.
    assert s["still_running_6m"] == pytest.approx(5 / 6, abs=1e-12)
    assert s["still_running_12m"] == pytest.approx(4 / 9, abs=1e-12)
    assert s["still_running_24m"] == 0
    # The frame version in force on AS_OF (2025), not the old one nor the future one.
    assert s["max_duration_months"] == 12

    b = rows_of(summary, "SI_BEHANDL").iloc[0]
    # 100 ended (S = 1/2), 300 censored: the median is reached exactly at 1/2.
    assert b["km_median_days"] == 100
    assert b["still_running_6m"] == pytest.approx(0.5)
    # The curve stops at day 300 with S = 1/2: beyond it nothing is known.
    assert b["still_running_12m"] != b["still_running_12m"]  # NaN
    assert b["still_running_24m"] != b["still_running_24m"]
    assert b["max_duration_months"] != b["max_duration_months"]  # no frame


def test_km_median_missing_when_half_never_end(make_store):
    store = make_store([ended("e", 100), running("r1", 200), running("r2", 300)])
    s = survival_summary(store, AS_OF).iloc[0]
    # S(100) = 2/3 and nothing after ends: the median is not reached.
    assert s["km_median_days"] != s["km_median_days"]
    assert s["plain_median_days"] == 100
    assert s["still_running_6m"] == pytest.approx(2 / 3)


def test_survival_started_from_narrows(km_store):
    # Only the two censored SI_KONTAKT ones started in 2024 or later (and b2 of SI_BEHANDL).
    curve = survival(km_store, AS_OF, started_from=D(2024, 1, 1))
    assert sorted(set(curve["intervention_type"])) == ["SI_BEHANDL", "SI_KONTAKT"]
    k = rows_of(curve, "SI_KONTAKT")
    assert k["day"].tolist() == [0, 200, 400]
    assert k["survival"].tolist() == [1.0, 1.0, 1.0]


@pytest.fixture
def dist_store(make_store):
    def month(amount: int) -> dict[str, str]:
        return {"cost_amount": str(amount), "cost_period": "month"}

    regs = [
        # SI_KONTAKT, ages 8, 10, 12, 16, 20 at start.
        registration(
            "r1",
            birth_date="2017-01-01",
            start_date="2025-01-01",
            end_date="2025-03-31",  # 90 days
            extent="2",
            extent_unit="hours_per_week",
            **month(5000),
        ),
        registration(
            "r2",
            birth_date="2015-01-01",
            start_date="2025-01-01",
            end_date="2025-12-31",  # ends after AS_OF: not an ended duration
            extent="3",
            extent_unit="hours_per_week",
            **month(8000),
        ),
        registration(
            "r3",
            birth_date="2012-01-01",
            start_date="2024-01-01",
            end_date="2024-12-31",  # 366 days (leap year)
            extent="4",
            extent_unit="hours_per_week",
            **month(12000),
        ),
        registration(
            "r4",
            birth_date="2009-01-01",
            start_date="2025-01-01",
            extent="5",
            extent_unit="days_per_month",  # not the frame's unit
            team="Team B",
            **month(15000),
        ),
        registration(
            "r5",
            birth_date="2005-01-01",
            start_date="2025-02-01",
            end_date="2025-02-01",
            cost_amount="50000",
            cost_period="once",  # no monthly price, no duration
        ),
        registration(
            "r6",  # starts after AS_OF: nowhere
            birth_date="1995-01-01",
            start_date="2025-08-01",
            extent="10",
            extent_unit="hours_per_week",
            **month(99999),
        ),
        # SI_AFLAST, no frame: extents in the most common unit (days_per_month) only.
        registration("a1", intervention_type="SI_AFLAST", extent="2", extent_unit="days_per_month"),
        registration("a2", intervention_type="SI_AFLAST", extent="3", extent_unit="days_per_month"),
        registration("a3", intervention_type="SI_AFLAST", extent="1", extent_unit="hours_per_week"),
        # SI_HJEM: the frame's unit wins even though most registrations use another.
        registration("h1", intervention_type="SI_HJEM", extent="4", extent_unit="days_per_month"),
        registration("h2", intervention_type="SI_HJEM", extent="6", extent_unit="days_per_month"),
        registration("h3", intervention_type="SI_HJEM", extent="10", extent_unit="hours_per_week"),
    ]
    frames = [
        frame(
            "SI_KONTAKT",
            "2020-01-01",
            age_min="8",
            age_max="17",
            max_extent="3.8",
            extent_unit="hours_per_week",
            max_duration_months="20",
            max_monthly_cost="9733.33",
        ),
        frame(
            "SI_KONTAKT",
            "2025-01-01",
            age_min="10",
            age_max="15",
            max_extent="3",
            extent_unit="hours_per_week",
            max_duration_months="6",
            max_monthly_cost="10000",
        ),
        frame(
            "SI_KONTAKT",
            "2026-01-01",
            age_min="0",
            age_max="5",
            max_extent="1",
            extent_unit="hours_per_week",
            max_duration_months="1",
            max_monthly_cost="100",
        ),
        frame("SI_HJEM", "2020-01-01", max_extent="7.6", extent_unit="hours_per_week"),
    ]
    return make_store(regs, frames)


def measure(df, type_, name):
    hit = df[(df["intervention_type"] == type_) & (df["measure"] == name)]
    assert len(hit) == 1, (type_, name, df)
    return hit.iloc[0]


def test_distributions_by_hand(dist_store):
    df = distributions(dist_store, AS_OF)
    k = rows_of(df, "SI_KONTAKT")
    assert k["measure"].tolist() == ["age", "extent", "monthly_cost", "duration_months"]

    # quantile_cont on sorted x_0..x_{n-1}: position q * (n - 1), linear between neighbours.
    age = measure(df, "SI_KONTAKT", "age")
    # 8, 10, 12, 16, 20: p50 = x_2; p80 at 3.2 = 16 + 0.2 * 4; p90 at 3.6 = 16 + 0.6 * 4.
    assert (age["unit"], age["n"]) == ("år", 5)
    assert [age["p50"], age["p80"], age["p90"]] == pytest.approx([12, 16.8, 18.4])
    # The 2025 version applies (10-15), not 2020's (8-17) nor 2026's: 8 is below the target
    # group, 16 and 20 above it; the share is of ages outside the group, as the frame check.
    assert (age["limit"], age["limit_min"]) == (15, 10)
    assert age["share_over_limit"] == pytest.approx(3 / 5)

    ext = measure(df, "SI_KONTAKT", "extent")
    # Hours per week only (r4's days per month left out): 2, 3, 4 -> positions 1, 1.6, 1.8.
    assert (ext["unit"], ext["n"]) == ("hours_per_week", 3)
    assert [ext["p50"], ext["p80"], ext["p90"]] == pytest.approx([3, 3.6, 3.8])
    assert ext["limit"] == 3
    assert ext["limit_min"] != ext["limit_min"]
    assert ext["share_over_limit"] == pytest.approx(1 / 3)

    cost = measure(df, "SI_KONTAKT", "monthly_cost")
    # r5's one-off payment is left out: 5000, 8000, 12000, 15000 -> positions 1.5, 2.4, 2.7.
    assert (cost["unit"], cost["n"]) == ("kr. pr. måned", 4)
    assert [cost["p50"], cost["p80"], cost["p90"]] == pytest.approx([10000, 13200, 14100])
    assert cost["limit"] == 10000
    assert cost["share_over_limit"] == pytest.approx(0.5)

    dur = measure(df, "SI_KONTAKT", "duration_months")
    # Ended by AS_OF: r1 (90 days) and r3 (366 days), in months of 365/12 days.
    assert (dur["unit"], dur["n"]) == ("måneder", 2)
    expected = [(90 + q * 276) / MONTH for q in (0.5, 0.8, 0.9)]
    assert [dur["p50"], dur["p80"], dur["p90"]] == pytest.approx(expected)
    assert dur["limit"] == 6
    # r3 ran past 2024-01-01 + 6 months - 1 day; r1 did not.
    assert dur["share_over_limit"] == pytest.approx(0.5)


def test_extent_unit_without_frame_and_frame_unit_wins(dist_store):
    df = distributions(dist_store, AS_OF)
    a = measure(df, "SI_AFLAST", "extent")
    assert (a["unit"], a["n"], a["p50"]) == ("days_per_month", 2, 2.5)
    # No frame: no limit and no share.
    assert a["limit"] != a["limit"] and a["share_over_limit"] != a["share_over_limit"]
    assert measure(df, "SI_AFLAST", "age")["limit"] != measure(df, "SI_AFLAST", "age")["limit"]

    h = measure(df, "SI_HJEM", "extent")
    assert (h["unit"], h["n"], h["p50"], h["limit"]) == ("hours_per_week", 1, 10, 7.6)
    assert h["share_over_limit"] == 1
    # Nothing ended: no duration row.
    assert "duration_months" not in set(rows_of(df, "SI_HJEM")["measure"])


def test_filters_and_started_from_narrow_distributions(dist_store):
    df = distributions(dist_store, AS_OF, Filters(teams=("Team B",)))
    assert set(df["intervention_type"]) == {"SI_KONTAKT"}
    age = measure(df, "SI_KONTAKT", "age")
    assert (age["n"], age["p50"], age["share_over_limit"]) == (1, 16, 1)
    # r4 is in days per month, not the frame's unit: no extent row at all.
    assert "extent" not in set(df["measure"])

    df = distributions(dist_store, AS_OF, started_from=D(2025, 1, 1))
    age = measure(df, "SI_KONTAKT", "age")
    assert (age["n"], age["p50"]) == (4, 13)  # 8, 10, 16, 20
    assert measure(df, "SI_KONTAKT", "duration_months")["n"] == 1

    curve = rows_of(survival(dist_store, AS_OF, Filters(teams=("Team B",))), "SI_KONTAKT")
    # r4 alone, still running on AS_OF after 181 days.
    assert curve[["day", "at_risk", "censored"]].values.tolist() == [[0, 1, 0], [181, 1, 1]]


def test_sample_store(sample_store):
    as_of = default_as_of(sample_store)
    df = distributions(sample_store, as_of)
    assert not df.empty
    assert set(df["measure"]) == {"age", "extent", "monthly_cost", "duration_months"}
    assert (df["p50"] <= df["p80"] + 1e-9).all() and (df["p80"] <= df["p90"] + 1e-9).all()
    assert (df["n"] > 0).all()
    shares = df["share_over_limit"].dropna()
    assert ((shares >= 0) & (shares <= 1)).all()

    curve = survival(sample_store, as_of)
    assert ((curve["survival"] >= 0) & (curve["survival"] <= 1)).all()
    for _, c in curve.groupby("intervention_type"):
        assert c["day"].is_monotonic_increasing and c["day"].iloc[0] == 0
        assert c["survival"].iloc[0] == 1
        assert (c["survival"].diff().dropna() <= 1e-12).all()
        assert (c["at_risk"].diff().dropna() <= 0).all()

    summary = survival_summary(sample_store, as_of)
    # Every non-one-off registration started by the as-of date is in the curves, once.
    expected = (
        sample_store.cursor()
        .execute(
            "SELECT count(*) FROM registrations WHERE start_date <= ? AND cost_period <> 'once'",
            [as_of],
        )
        .fetchone()[0]
    )
    assert summary["n"].sum() == expected
    assert (summary["ended"] + summary["ongoing"] == summary["n"]).all()
    starts = curve[curve["day"] == 0].set_index("intervention_type")["at_risk"]
    assert starts.to_dict() == summary.set_index("intervention_type")["n"].to_dict()
    for col in ("still_running_6m", "still_running_12m", "still_running_24m"):
        vals = summary[col].dropna()
        assert ((vals >= 0) & (vals <= 1)).all()


def test_of_type_and_duration_limit():
    import pandas as pd

    from slcore.calibration import duration_limit, of_type

    summary = pd.DataFrame(
        {"intervention_type": ["A", "B"], "max_duration_months": [12.0, float("nan")]}
    )
    assert list(of_type(summary, "B")["intervention_type"]) == ["B"]
    assert duration_limit(summary, "A") == 12.0
    assert duration_limit(summary, "B") is None
