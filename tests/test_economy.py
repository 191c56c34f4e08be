"""Economy: deviation bands, the volume/mix/price split, spend per step and per provider."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from slcore import economy
from slcore.figures import Filters, key_figures
from slcore.periods import Period
from tests.conftest import registration

D = dt.date
YEAR_2025 = Period(D(2025, 1, 1), D(2025, 12, 31), D(2025, 9, 30))


@pytest.mark.parametrize(
    ("projected", "budget", "band"),
    [
        (106, 100, "over"),
        (105, 100, "within"),
        (95, 100, "within"),
        (94.9, 100, "under"),
        (50, None, "no_budget"),
        (50, 0, "no_budget"),
    ],
)
def test_deviation_band(projected, budget, band):
    assert economy.deviation_band(projected, budget) == band


def test_budget_deviation_totals_and_bands(sample_store):
    table = economy.budget_deviation(sample_store, YEAR_2025, total=True)
    row = key_figures(sample_store, YEAR_2025).iloc[0]
    total = table.iloc[-1]
    assert (
        total["intervention_type"] is None
        or total["intervention_type"] != total["intervention_type"]
    )
    assert total["projected"] == pytest.approx(row["projected_spend_dkk"])
    assert total["budget"] == pytest.approx(row["budget_dkk"])
    assert total["deviation"] == pytest.approx(row["budget_deviation_dkk"])
    types = table.iloc[:-1]
    for _, r in types.iterrows():
        assert r["band"] == economy.deviation_band(r["projected"], r["budget"])
        if r["budget"] > 0:
            share = (r["projected"] - r["budget"]) / r["budget"]
            assert r["deviation_share"] == pytest.approx(share), r["intervention_type"]
        else:  # no budget: no share (NaN > 0 is false too)
            assert pd.isna(r["deviation_share"]), r["intervention_type"]
    # The sample has types on both sides, so the colours mean something.
    assert {"over", "under"} <= set(types["band"])


def test_budget_deviation_without_budget_under_team_filter(sample_store):
    table = economy.budget_deviation(sample_store, YEAR_2025, Filters(teams=("Team Nord",)))
    assert set(table["band"]) == {"no_budget"}
    assert table["budget"].isna().all()


def _decomposition_store(make_store, this_year: list[dict[str, object]]):
    last_year = [
        registration(
            "A1",
            intervention_type="SI_KONTAKT",
            start_date="2024-04-01",
            end_date="2024-06-30",
            cost_amount="100",
        ),
        registration(
            "B1",
            intervention_type="ANB_PLEJE",
            start_date="2024-04-01",
            end_date="2024-06-30",
            cost_amount="1000",
        ),
    ]
    return make_store(last_year + this_year)


Q2_2025 = Period(D(2025, 4, 1), D(2025, 6, 30), D(2025, 6, 30))


def test_pure_volume_change(make_store):
    # Twice as many child-days on both types at the same prices: all of it is volume.
    store = _decomposition_store(
        make_store,
        [
            registration(
                f"{t}{i}",
                intervention_type=code,
                start_date="2025-04-01",
                end_date="2025-06-30",
                cost_amount=price,
            )
            for t, code, price in (("A", "SI_KONTAKT", "100"), ("B", "ANB_PLEJE", "1000"))
            for i in (2, 3)
        ],
    )
    d = economy.change_decomposition(store, Q2_2025)
    t = d.totals
    assert t["spend_before"] == pytest.approx(91 * 1100)  # 91 days in both years
    assert t["change"] == pytest.approx(t["spend_now"] - t["spend_before"])
    assert t["volume"] == pytest.approx(t["change"])
    assert t["mix"] == pytest.approx(0)
    assert t["price"] == pytest.approx(0)


def test_pure_price_and_mix_changes(make_store):
    # Same child-days; the contact person costs 150 a day instead of 100: all price.
    store = _decomposition_store(
        make_store,
        [
            registration(
                "A2",
                intervention_type="SI_KONTAKT",
                start_date="2025-04-01",
                end_date="2025-06-30",
                cost_amount="150",
            ),
            registration(
                "B2",
                intervention_type="ANB_PLEJE",
                start_date="2025-04-01",
                end_date="2025-06-30",
                cost_amount="1000",
            ),
        ],
    )
    d = economy.change_decomposition(store, Q2_2025)
    assert d.totals["price"] == pytest.approx(91 * 50)
    assert d.totals["volume"] == pytest.approx(0)
    assert d.totals["mix"] == pytest.approx(0)
    row = d.table.set_index("intervention_type").loc["SI_KONTAKT"]
    assert row["unit_cost_now"] == pytest.approx(150 * 365)
    assert row["unit_cost_before"] == pytest.approx(100 * 365)


def test_mix_moves_days_to_the_dearer_type(make_store):
    # The same number of child-days, but both are now in foster care: all mix.
    store = _decomposition_store(
        make_store,
        [
            registration(
                f"B{i}",
                intervention_type="ANB_PLEJE",
                start_date="2025-04-01",
                end_date="2025-06-30",
                cost_amount="1000",
            )
            for i in (2, 3)
        ],
    )
    d = economy.change_decomposition(store, Q2_2025)
    assert d.totals["volume"] == pytest.approx(0)
    assert d.totals["price"] == pytest.approx(0)
    assert d.totals["mix"] == pytest.approx(91 * 900)


def test_a_new_type_is_mix_and_a_gone_type_adds_up(make_store):
    store = _decomposition_store(
        make_store,
        [
            registration(
                "C1",
                intervention_type="ANB_DOGNINST",
                start_date="2025-04-01",
                end_date="2025-06-30",
                cost_amount="3000",
            ),
        ],
    )
    d = economy.change_decomposition(store, Q2_2025)
    table = d.table.set_index("intervention_type")
    new = table.loc["ANB_DOGNINST"]
    assert new["spend_before"] == 0
    assert new["mix"] == pytest.approx(new["change"])
    assert new["volume"] == pytest.approx(0) and new["price"] == pytest.approx(0)
    parts = table["volume"] + table["mix"] + table["price"]
    assert parts.to_numpy() == pytest.approx(table["change"].to_numpy())


@pytest.mark.parametrize(
    "filters", [Filters(), Filters(categories=("anbringelse",)), Filters(teams=("Team Syd",))]
)
def test_split_adds_up_to_the_change_on_the_sample(sample_store, filters):
    d = economy.change_decomposition(sample_store, YEAR_2025, filters)
    t = d.totals
    assert t["volume"] + t["mix"] + t["price"] == pytest.approx(t["change"])
    parts = d.table["volume"] + d.table["mix"] + d.table["price"]
    assert parts.to_numpy() == pytest.approx(d.table["change"].to_numpy())
    # This year's side is the key figures' realised spend for the same days.
    now = key_figures(sample_store, d.current, (), filters).iloc[0]
    before = key_figures(sample_store, d.previous, (), filters).iloc[0]
    assert t["spend_now"] == pytest.approx(now["realized_spend_dkk"])
    assert t["spend_before"] == pytest.approx(before["realized_spend_dkk"])
    assert t["spend_before"] > 0


def test_frame_price_per_year_is_twelve_monthly_prices(sample_store):
    d = economy.change_decomposition(sample_store, YEAR_2025)
    frames = (
        sample_store.cursor()
        .execute(
            """SELECT intervention_type, arg_max(max_monthly_cost, valid_from)
           FROM frames_current WHERE valid_from <= ? GROUP BY ALL""",
            [d.current.end],
        )
        .fetchall()
    )
    table = d.table.set_index("intervention_type")
    checked = 0
    for code, monthly in frames:
        if code in table.index and monthly is not None:
            assert table.loc[code, "frame_price_year"] == pytest.approx(monthly * 12)
            checked += 1
    assert checked > 0


def test_spend_by_step_adds_up(sample_store):
    steps = economy.spend_by_step(sample_store, YEAR_2025)
    row = key_figures(sample_store, YEAR_2025).iloc[0]
    assert steps["projected"].sum() == pytest.approx(row["projected_spend_dkk"])
    assert steps["realized"].sum() == pytest.approx(row["realized_spend_dkk"])
    assert steps["share"].sum() == pytest.approx(1.0)
    assert steps["active_registrations"].sum() == row["active_registrations"]


def test_top_providers(make_store, sample_store):
    providers = economy.top_providers(sample_store, YEAR_2025, limit=1000)
    row = key_figures(sample_store, YEAR_2025).iloc[0]
    assert providers["projected"].sum() == pytest.approx(row["projected_spend_dkk"])
    assert providers["projected"].is_monotonic_decreasing
    top = economy.top_providers(sample_store, YEAR_2025, limit=2)
    assert len(top) == 2
    assert top["projected"].sum() <= row["projected_spend_dkk"]

    store = make_store(
        [
            registration("R1", provider="Solhøj", cost_amount="100"),
            registration("R2", provider="  ", cost_amount="10"),
        ]
    )
    p = Period(D(2025, 1, 1), D(2025, 1, 31), D(2025, 1, 31))
    table = economy.top_providers(store, p)
    assert list(table["provider"]) == ["Solhøj", economy.UNKNOWN_PROVIDER]
    assert list(table["projected"]) == pytest.approx([3100, 310])
    assert table["share"].sum() == pytest.approx(1.0)


def test_provider_download_defuses_formulas(make_store):
    from slcore import export

    store = make_store([registration("R1", provider='=HYPERLINK("x")', cost_amount="100")])
    p = Period(D(2025, 1, 1), D(2025, 1, 31), D(2025, 1, 31))
    table = economy.top_providers(store, p)
    assert table["provider"][0] == '=HYPERLINK("x")'
    text = export.to_csv_bytes(table).decode("utf-8-sig")
    assert "'=HYPERLINK" in text


# --- A type without a budget (issue 12, defect 3) ------------------------------------------


def test_a_type_without_a_budget_has_no_deviation(sample_store):
    table = economy.budget_deviation(sample_store, YEAR_2025, total=True)
    types, total = table.iloc[:-1], table.iloc[-1]
    kost = types.set_index("intervention_type").loc["ANB_KOST"]
    assert pd.isna(kost["budget"]) and pd.isna(kost["deviation"])
    assert pd.isna(kost["deviation_share"]) and kost["band"] == "no_budget"
    assert kost["projected"] > 0
    # The total holds all projected spend against the budgets that exist: the budgeted
    # types' deviations plus the spend that has no budget, as the key figures' total.
    row = key_figures(sample_store, YEAR_2025).iloc[0]
    assert total["budget"] == pytest.approx(types["budget"].sum()) == row["budget_dkk"]
    assert total["deviation"] == pytest.approx(types["deviation"].sum() + kost["projected"])
    assert total["deviation"] == pytest.approx(row["budget_deviation_dkk"])
    assert economy.unbudgeted_spend(table) == pytest.approx(kost["projected"])


def test_budget_deviation_without_any_budget(make_store):
    store = make_store([registration("r", cost_amount="100")])
    table = economy.budget_deviation(store, YEAR_2025, total=True)
    assert len(table) == 2
    assert table["budget"].isna().all() and table["deviation"].isna().all()
    assert set(table["band"]) == {"no_budget"}
    assert economy.unbudgeted_spend(table) == pytest.approx(36_500)


@pytest.mark.parametrize(
    ("filters", "reason"),
    [
        (Filters(), None),
        (Filters(intervention_types=("OEK",), categories=("anbringelse",)), None),
        (Filters(teams=("Team Nord",)), "budgettet kan ikke opdeles på team"),
        (Filters(age_bands=("0-5",)), "budgettet kan ikke opdeles på alder"),
        (Filters(age_bands=("0-5",), teams=("A",)), "budgettet kan ikke opdeles på alder og team"),
    ],
)
def test_why_a_budget_cannot_be_compared(sample_store, filters, reason):
    assert economy.no_budget_reason(sample_store, filters) == reason


# --- moved out of the pages (issue 13) -------------------------------------------------------


def test_comparable_budget_and_the_change_share(sample_store):
    total = key_figures(sample_store, YEAR_2025, missing_budget_empty=True).iloc[0]
    assert economy.comparable_budget(total, Filters()) == pytest.approx(total["budget_dkk"])
    assert economy.comparable_budget(total, Filters(teams=("Team Nord",))) is None
    unbudgeted = total.copy()
    unbudgeted["budget_dkk"] = float("nan")
    assert economy.comparable_budget(unbudgeted, Filters()) is None
    d = economy.change_decomposition(sample_store, YEAR_2025)
    assert d is not None
    share = economy.change_share(d)
    assert share == pytest.approx(d.totals["change"] / d.totals["spend_before"])


def test_the_pages_deviation_share_is_budget_deviations_total(sample_store):
    by_type = key_figures(
        sample_store, YEAR_2025, ("intervention_type",), missing_budget_empty=True
    )
    total = economy.deviation_table(by_type, total=True).iloc[-1]
    row = key_figures(sample_store, YEAR_2025, missing_budget_empty=True).iloc[0]
    assert total["deviation_share"] == pytest.approx(
        row["budget_deviation_dkk"] / row["budget_dkk"]
    )


def test_monthly_spend_table_adds_up_to_the_period(sample_store):
    from slcore.figures import monthly_spend

    monthly = monthly_spend(sample_store, YEAR_2025)
    total = key_figures(sample_store, YEAR_2025, missing_budget_empty=True).iloc[0]
    budget = economy.comparable_budget(total, Filters())
    table = economy.monthly_spend_table(monthly, total, budget, YEAR_2025.as_of)
    assert len(table) == len(monthly) + 1 == 13
    whole, months = table.iloc[-1], table.iloc[:-1]
    assert whole["month"] == "Hele perioden"
    assert months["realized"].sum() == pytest.approx(whole["realized"])
    assert months["committed"].sum() == pytest.approx(whole["committed"])
    assert whole["budget"] == pytest.approx(budget)
    assert table["budget"].dtype == "float64"
    assert "budget" not in economy.monthly_spend_table(monthly, total, None, YEAR_2025.as_of)


def test_the_frame_price_per_year_is_the_version_in_force_even_without_a_price(make_store):
    from slcore.economy import change_decomposition

    regs = [registration("R1", start_date="2024-01-01", cost_amount="100", cost_period="day")]
    old = {"intervention_type": "SI_KONTAKT", "valid_from": "2020-01-01", "age_max": "17"}
    priced = make_store(regs, frames=[{**old, "max_monthly_cost": "1500"}], name="a.duckdb")
    period = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31), dt.date(2025, 12, 31))
    table = change_decomposition(priced, period).table.set_index("intervention_type")
    assert table.loc["SI_KONTAKT", "frame_price_year"] == 18_000
    # A newer version without a price limit is the frame in force: no price, not the old one
    # (DuckDB's arg_max skips NULLs, which once returned the 2020 price here).
    newer = {"intervention_type": "SI_KONTAKT", "valid_from": "2025-01-01", "age_max": "17"}
    frames = [{**old, "max_monthly_cost": "1500"}, newer]
    unpriced = make_store(regs, frames=frames, name="b.duckdb")
    table = change_decomposition(unpriced, period).table.set_index("intervention_type")
    assert pd.isna(table.loc["SI_KONTAKT", "frame_price_year"])


def test_total_deviation_is_the_last_row():
    table = pd.DataFrame(
        {
            "intervention_type": ["A", None],
            "deviation": [100.0, -250.0],
            "deviation_share": [0.1, -0.05],
        }
    )
    assert economy.total_deviation(table) == (-250.0, -0.05)
