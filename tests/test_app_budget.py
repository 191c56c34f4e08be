"""The real app through AppTest: budgets that are missing, and the month that is not whole.

Issue 12: a type without a budget showed "Budget 0 kr." and a deviation of its whole spend;
with no budget at all Overblik showed "0,0 mio. kr." and a budget line at 0; under a team
filter the deviation table rated every type "Intet budget". And the as-of month was drawn as
a whole month's bar.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from streamlit import dataframe_util
from streamlit.testing.v1 import AppTest

from slcore import economy, figures, fmt
from slcore.frames import import_frames
from slcore.importer import import_file
from slcore.periods import Period
from slcore.store import open_store
from tests.conftest import ROOT, SAMPLES

APP = str(ROOT / "app.py")
AS_OF = dt.date(2025, 9, 30)
YEAR_2025 = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31), AS_OF)
RAW = {"None", "nan", "NaN", "<NA>", "NaT"}


@pytest.fixture
def sample_app(sample_copy, monkeypatch):
    monkeypatch.setenv("SLCORE_DB", str(sample_copy))
    return sample_copy


@pytest.fixture
def unbudgeted_app(tmp_path, monkeypatch):
    """The sample registrations and frames, and no budgets at all."""
    db = tmp_path / "no_budgets.duckdb"
    store = open_store(db)
    import_file(store, SAMPLES / "registrations_canonical.csv")
    import_frames(store, SAMPLES / "serviceniveau_frames.csv")
    store.close()
    monkeypatch.setenv("SLCORE_DB", str(db))
    return db


def open_page(page: str | None, as_of: dt.date = AS_OF, **widgets: list[str]) -> AppTest:
    """Run the app, go to a page, and set the as-of date and the sidebar's multiselects."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    set_as_of(at, as_of)
    for key, values in widgets.items():
        for v in values:
            at.sidebar.multiselect(key=key).select(v).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def set_as_of(at: AppTest, day: dt.date) -> None:
    """Set the sidebar's as-of date, a date field or a text field typed as dd-mm-åååå."""
    try:
        field = at.sidebar.date_input(key="opgjort")
    except KeyError:
        at.sidebar.text_input(key="opgjort").input(fmt.date(day)).run()
    else:
        field.set_value(day).run()


def shown(element) -> pd.DataFrame:
    """Return a table as the user sees it: the Styler's display values."""
    data = element.proto.arrow_data.styler.display_values
    return dataframe_util.convert_arrow_bytes_to_pandas_df(data) if data else element.value


def tables(at: AppTest) -> list[pd.DataFrame]:
    return [shown(d) for d in at.dataframe]


def table_with(at: AppTest, column: str) -> pd.DataFrame:
    return next(t for t in tables(at) if column in t.columns)


def tiles(at: AppTest) -> dict[str, object]:
    return {m.label: m for m in at.metric}


def charts_by_title(at: AppTest) -> dict[str, dict]:
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    return {s["layout"]["title"]["text"].split("<br>")[0]: s for s in specs}


def cumulative_note(at: AppTest) -> str:
    """Return the cumulative chart's note on why it has no budget line (empty: it has one)."""
    spec = charts_by_title(at)["Akkumuleret forbrug"]
    assert "Budget" not in [trace.get("name") for trace in spec["data"]]
    return " ".join(a["text"] for a in spec["layout"].get("annotations", []))


def texts(at: AppTest) -> str:
    parts = [e.value for kind in ("info", "caption", "markdown", "warning") for e in at.get(kind)]
    return "\n".join(str(p) for p in parts)


def assert_no_raw_values(at: AppTest) -> None:
    """Assert that no table shows "None" or "nan": neither as text nor for a missing cell."""
    for element in at.dataframe:
        t = shown(element)
        raw = t.astype(str).isin(RAW)
        assert not raw.any().any(), t.loc[raw.any(axis=1), raw.any()]
        # The browser draws a missing cell as "None", whatever the Styler says, unless the
        # table has a placeholder.
        if element.value.isna().any().any():
            assert element.proto.placeholder == "–", list(t.columns)


# --- Defect 3: a type without a budget, no budget at all, a team filter ---------------------


def test_overview_shows_a_type_without_a_budget_as_a_dash(sample_app):
    at = open_page(None)
    table = table_with(at, "Budget (kr.)").set_index("Indsatstype")
    # ANB_KOST has no 2025 budget: "–", not "0 kr.", and no deviation of its whole spend.
    assert table.loc["ANB_KOST", "Budget (kr.)"] == "–"
    assert table.loc["ANB_KOST", "Afvigelse fra budget (kr.)"] == "–"
    assert table.loc["ANB_KOST", "Forventet forbrug (kr.)"] != "–"
    assert table.loc["SI_PRAKTIK", "Budget (kr.)"] == "250.000 kr."
    row = figures.key_figures(open_store(sample_app), YEAR_2025).iloc[0]
    assert tiles(at)["Budget for perioden"].value == fmt.mio_kr(row["budget_dkk"])
    # The total's deviation includes the spend without a budget, and the page says so.
    unbudgeted = economy.unbudgeted_spend(
        economy.budget_deviation(open_store(sample_app), YEAR_2025)
    )
    assert (
        f"{fmt.kr(unbudgeted)} af det forventede forbrug er på indsatstyper uden budget"
        in texts(at)
    )
    assert_no_raw_values(at)


def test_overview_without_any_budget_shows_none(unbudgeted_app):
    at = open_page(None)
    t = tiles(at)
    assert t["Budget for perioden"].value == "–"
    assert t["Budget for perioden"].delta == "intet budget"
    assert "budget" not in t["Forventet forbrug for perioden til 31-12-2025"].delta
    assert "budget" not in t["Forbrug til og med 30-09-2025"].delta
    assert cumulative_note(at) == "Intet budget"
    # No column of dashes: the table says there is no budget.
    table = table_with(at, "Forventet forbrug (kr.)")
    assert not {"Budget (kr.)", "Afvigelse fra budget (kr.)"} & set(table.columns)
    assert "Der er intet budget for perioden." in texts(at)
    assert_no_raw_values(at)


def test_economy_shows_a_type_without_a_budget_as_intet_budget(sample_app):
    at = open_page("views/oekonomi.py")
    table = table_with(at, "Vurdering").set_index("Indsatstype")
    kost = table.loc["ANB_KOST"]
    assert (kost["Budget (kr.)"], kost["Afvigelse fra budget (kr.)"]) == ("–", "–")
    assert kost["Andel afvigelse fra budget"] == "–" and kost["Vurdering"] == "Intet budget"
    # Every type with a budget is rated; "Intet budget" is ANB_KOST's alone.
    assert list(table.index[table["Vurdering"] == "Intet budget"]) == ["ANB_KOST"]
    row = figures.key_figures(open_store(sample_app), YEAR_2025).iloc[0]
    assert table.loc["I alt", "Afvigelse fra budget (kr.)"] == fmt.kr(row["budget_deviation_dkk"])
    assert "af det forventede forbrug er på indsatstyper uden budget" in texts(at)
    assert_no_raw_values(at)


def test_economy_without_any_budget(unbudgeted_app):
    at = open_page("views/oekonomi.py")
    t = tiles(at)
    assert (t["Budget for perioden"].value, t["Budget for perioden"].delta) == ("–", "intet budget")
    assert cumulative_note(at) == "Intet budget"
    assert "Der er intet budget for perioden" in texts(at)
    months = table_with(at, "Disponeret (kr.)")
    assert "Budget (kr.)" not in months.columns
    assert not any("Budget (kr.)" in t.columns for t in tables(at))
    assert_no_raw_values(at)


@pytest.mark.parametrize(
    ("widgets", "dimension"),
    [({"team": ["Team Nord"]}, "team"), ({"alder": ["6-11"]}, "alder")],
)
def test_economy_under_a_team_or_age_filter_says_the_budget_cannot_be_split(
    sample_app, widgets, dimension
):
    at = open_page("views/oekonomi.py", **widgets)
    reason = f"budgettet kan ikke opdeles på {dimension}"
    t = tiles(at)
    tile = (t["Budget for perioden"].value, t["Budget for perioden"].delta)
    assert tile == ("–", "kan ikke opdeles")  # short, to fit a quarter of 1280 px
    assert f"{reason.capitalize()}: budgetter findes pr. år og indsatstype." in texts(at)
    assert any(i.value.startswith(reason.capitalize()) for i in at.info)
    assert cumulative_note(at) == reason.capitalize()
    # The deviation table shows spend per type, without a column of "–" or "Intet budget".
    table = table_with(at, "Forventet forbrug (kr.)")
    assert "I alt" in set(table["Indsatstype"])
    assert not {"Budget (kr.)", "Vurdering", "Afvigelse fra budget (kr.)"} & set(table.columns)
    assert not any("Intet budget" in set(x.astype(str).values.ravel()) for x in tables(at))
    assert_no_raw_values(at)


def test_overview_under_a_team_filter_says_the_budget_cannot_be_split(sample_app):
    at = open_page(None, team=["Team Nord"])
    reason = "budgettet kan ikke opdeles på team"
    t = tiles(at)
    tile = (t["Budget for perioden"].value, t["Budget for perioden"].delta)
    assert tile == ("–", "kan ikke opdeles")
    assert f"{reason.capitalize()}: budgetter findes pr. år og indsatstype." in texts(at)
    assert cumulative_note(at) == reason.capitalize()
    table = table_with(at, "Forventet forbrug (kr.)")
    assert "Budget (kr.)" not in table.columns
    assert reason.capitalize() in texts(at)
    assert_no_raw_values(at)


# --- Defect 12: the as-of month is not a whole month ---------------------------------------

DEC_1 = dt.date(2025, 12, 1)
PARTIAL_NOTE = "Skraveret: ikke en hel måned"


def bars(spec: dict) -> list[dict]:
    return [t for t in spec["data"] if t.get("name") != PARTIAL_NOTE]


def assert_december_marked(spec: dict) -> None:
    assert bars(spec)
    for bar in bars(spec):
        shape = bar["marker"].get("pattern", {}).get("shape", [])
        assert shape, "December is drawn like a whole month"
        assert shape[-1] == "/" and set(shape[:-1]) == {""}
    assert spec["layout"]["xaxis"]["ticktext"][-1] == "dec<br>1 dag"
    assert PARTIAL_NOTE in [t.get("name") for t in spec["data"]]


def test_economy_marks_the_as_of_month_as_partial(sample_app):
    at = open_page("views/oekonomi.py", as_of=DEC_1)
    assert_december_marked(charts_by_title(at)["Forbrug pr. måned efter indsatstype (mio. kr.)"])
    # The table still has every month, December named as partial, and adds up to the period.
    months = table_with(at, "Disponeret (kr.)")
    assert list(months["Måned"].iloc[-3:]) == ["nov 2025", "dec 2025 (1 dag)", "Hele perioden"]
    raw = next(d.value for d in at.dataframe if "Disponeret (kr.)" in d.value.columns)
    period = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31), DEC_1)
    row = figures.key_figures(open_store(sample_app), period).iloc[0]
    assert raw.iloc[:-1]["Forbrug (kr.)"].sum() == pytest.approx(row["realized_spend_dkk"])
    assert raw.iloc[:-1]["Disponeret (kr.)"].sum() == pytest.approx(row["committed_spend_dkk"])
    assert "dec 2025 (1 dag)" in texts(at)


def test_activity_marks_the_as_of_month_as_partial(sample_app):
    at = open_page("views/aktivitet.py", as_of=DEC_1)
    by_title = charts_by_title(at)
    assert_december_marked(by_title["Aktive bevillinger pr. måned efter indsatstype"])
    yoy = by_title["Børn og unge med en aktiv bevilling pr. måned, mod samme måned året før"]
    assert yoy["layout"]["xaxis"]["ticktext"][-1] == "dec<br>1 dag"
    months = table_with(at, "Barnedage")
    assert list(months["Måned"].iloc[-2:]) == ["dec 2025 (1 dag)", "Hele perioden"]
    raw = next(d.value for d in at.dataframe if "Barnedage" in d.value.columns)
    assert raw.iloc[:-1]["Barnedage"].sum() == raw.iloc[-1]["Barnedage"]
