"""The real app through Streamlit's AppTest: every page runs, and shows slcore's numbers."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from slcore import activity, economy, figures, fmt
from slcore.figures import Filters
from slcore.periods import Period, preset_period
from slcore.store import open_store
from tests.conftest import ROOT

APP = str(ROOT / "app.py")
PAGES = [
    "views/overblik.py",
    "views/aktivitet.py",
    "views/oekonomi.py",
    "views/rammeoverholdelse.py",
    "views/serviceniveau.py",
    "views/indlaes.py",
    "views/personer.py",
    "views/indstillinger.py",
    "views/log.py",
]


@pytest.fixture
def app_db(sample_copy, monkeypatch):
    monkeypatch.setenv("SLCORE_DB", str(sample_copy))
    return sample_copy


def run_app(**query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(query)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


# The key of each page's tabs, which is also the tab's name in the URL (``?akt_fane=Varighed``).
TAB_KEYS = {
    "views/aktivitet.py": "akt_fane",
    "views/oekonomi.py": "oek_fane",
    "views/rammeoverholdelse.py": "ram_fane",
    "views/serviceniveau.py": "sn_fane",
}


def tab_bar(at: AppTest):
    """Return the page's ``st.tabs`` block (its tabs are its children)."""
    bars = [n for n in at.main if getattr(n, "type", None) == "tab_container"]
    assert len(bars) == 1, bars
    return bars[0]


def tab_labels(at: AppTest) -> list[str]:
    return [tab.label for tab in tab_bar(at).children.values()]


def open_tab_label(at: AppTest) -> str:
    """Return the label of the tab the page has open (the one the browser shows)."""
    return tab_labels(at)[tab_bar(at).proto.tab_container.default_tab_index]


def tab_contents(at: AppTest) -> dict[str, int]:
    """Return how many elements each tab holds, by label."""
    return {tab.label: len(list(tab)) - 1 for tab in tab_bar(at).children.values()}


def open_tab(at: AppTest, label: str) -> AppTest:
    """Open a tab as a click on it does: the tabs' widget takes the label, and the page reruns."""
    key = tab_bar(at).proto.tab_container.query_param_key
    assert key, "the tabs are not bound to the URL"
    at.session_state[key] = label
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert open_tab_label(at) == label
    return at


def every_tab(at: AppTest):
    """Open each of the page's tabs in turn; yield its label while it is open."""
    for label in tab_labels(at):
        open_tab(at, label)
        yield label


def expected_tiles(db, preset: str, filters: Filters = Filters()) -> dict[str, str]:
    store = open_store(db)
    period = preset_period(preset, figures.default_as_of(store))
    row = figures.key_figures(store, period, (), filters).iloc[0]
    return {
        "Aktive bevillinger": fmt.number(row["active_registrations"]),
        "Aktive børn og unge": fmt.number(row["active_citizens"]),
        "Inden for rammen": fmt.pct(figures.within_frame_share(row)),
        "Ikke-godkendte afvigelser": fmt.number(row["unapproved_deviations"]),
        f"Forbrug til og med {fmt.date(period.last_past_day)}": fmt.mio_kr(
            row["realized_spend_dkk"]
        ),
        f"Forventet forbrug for perioden til {fmt.date(period.end)}": fmt.mio_kr(
            row["projected_spend_dkk"]
        ),
        "Budget for perioden": fmt.mio_kr(row["budget_dkk"]) if filters.budget_applies else "–",
    }


TITLES = {
    "views/overblik.py": "Overblik",
    "views/aktivitet.py": "Aktivitet",
    "views/oekonomi.py": "Økonomi",
    "views/rammeoverholdelse.py": "Rammeoverholdelse",
    "views/serviceniveau.py": "Serviceniveau",
    "views/indlaes.py": "Indlæs data",
    "views/personer.py": "Personer og roller",
    "views/indstillinger.py": "Indstillinger",
    "views/log.py": "Log",
}


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_without_exception(app_db, page):
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception
    # The page itself ran, not Overblik again: a switch_page that stayed would pass above.
    assert [t.value for t in at.title] == [TITLES[page]]


COMPLIANCE_TABS = [
    "Pr. indsatstype",
    "Årsager",
    "Type og alder",
    "Udvikling",
    "Varighed og pris",
    "Visitationsudvalget",
]


def compliance_page(**query: str) -> AppTest:
    """Run the app, then follow a link to Rammeoverholdelse with these query parameters."""
    at = run_app()
    at.query_params.update(query)
    at.switch_page("views/rammeoverholdelse.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def headings(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith("#")]


def download_keys(at: AppTest) -> set[str]:
    return {b.key for b in at.get("download_button")}


def test_a_hidden_tab_is_neither_drawn_nor_computed(app_db):
    at = compliance_page()
    assert tab_labels(at) == COMPLIANCE_TABS
    assert open_tab_label(at) == "Pr. indsatstype"
    # Only the open tab has content: the others' figures were never asked for.
    assert [label for label, n in tab_contents(at).items() if n] == ["Pr. indsatstype"]
    assert download_keys(at) == {"status_csv", "status_xlsx"}
    assert "#### Ikke-godkendte afvigelser" not in headings(at)
    assert not at.number_input  # the committee's horizon
    # A click on the committee's tab: its lists are drawn, the types' table is gone.
    open_tab(at, "Visitationsudvalget")
    assert [label for label, n in tab_contents(at).items() if n] == ["Visitationsudvalget"]
    assert {"dev_csv", "exp_csv"} <= download_keys(at)
    assert "status_csv" not in download_keys(at)
    assert "#### Ikke-godkendte afvigelser" in headings(at)
    assert at.number_input(key="horizon").value == 60
    # The tiles above the tabs are drawn whichever tab is open.
    assert "Ikke-godkendte afvigelser" in metrics(at)


def test_a_link_opens_its_tab_and_an_unknown_tab_opens_the_first(app_db):
    at = compliance_page(ram_fane="Visitationsudvalget")
    assert open_tab_label(at) == "Visitationsudvalget"
    assert "#### Ikke-godkendte afvigelser" in headings(at)
    assert at.query_params["ram_fane"] == "Visitationsudvalget"
    # A tab renamed since the link was made: the first tab, and the stale name leaves the URL.
    at = compliance_page(ram_fane="Findes ikke")
    assert open_tab_label(at) == "Pr. indsatstype"
    assert "ram_fane" not in at.query_params
    assert download_keys(at) == {"status_csv", "status_xlsx"}


def test_a_choice_in_a_tab_outlives_the_tab_being_hidden(app_db):
    at = compliance_page()
    open_tab(at, "Varighed og pris")
    options = at.selectbox(key="limit_type").options
    assert len(options) > 1
    at.selectbox(key="limit_type").set_value(at.selectbox(key="limit_type").options[1])
    at.radio(key="limit_measure").set_value("price").run()
    chosen = at.selectbox(key="limit_type").value
    open_tab(at, "Visitationsudvalget")
    at.number_input(key="horizon").set_value(90).run()
    open_tab(at, "Varighed og pris")
    assert at.selectbox(key="limit_type").value == chosen
    assert at.radio(key="limit_measure").value == "price"
    open_tab(at, "Visitationsudvalget")
    assert at.number_input(key="horizon").value == 90


def test_the_tabs_keys_in_the_url_are_not_the_sidebars(app_db):
    # Every sidebar filter drawn (the custom period has two dates more), on every tabbed page.
    at = run_app(periode="Valgfri periode")
    sidebar = {w.key for w in at.sidebar if getattr(w, "key", None)}
    assert {"periode", "opgjort", "fra", "til", "kategori", "indsats", "alder", "team"} <= sidebar
    for page, key in TAB_KEYS.items():
        at.switch_page(page).run()
        assert not at.exception, page
        assert tab_bar(at).proto.tab_container.query_param_key == key, page
    assert not set(TAB_KEYS.values()) & sidebar
    assert len(set(TAB_KEYS.values())) == len(TAB_KEYS)


def test_overview_tiles_equal_slcore(app_db):
    at = run_app()
    assert metrics(at) == expected_tiles(app_db, "this_year")
    # The sample's as-of date is the newest import's data date, shown on the page.
    assert any("18-03-2026" in c.value for c in at.caption)
    assert not at.warning  # not demo data


def test_changed_filters_change_tiles_like_slcore(app_db):
    at = run_app()
    at.sidebar.selectbox(key="periode").select("last_year").run()
    at.sidebar.multiselect(key="kategori").select("anbringelse").run()
    assert not at.exception
    f = Filters(categories=("anbringelse",))
    assert metrics(at) == expected_tiles(app_db, "last_year", f)
    # Team filter: budgets cannot be compared, so the budget tile says so.
    at.sidebar.multiselect(key="team").select("Team Nord").run()
    f = Filters(categories=("anbringelse",), teams=("Team Nord",))
    assert metrics(at) == expected_tiles(app_db, "last_year", f)


def test_filters_come_from_the_url(app_db):
    at = run_app(periode="Sidste år", kategori="Anbringelse", opgjort="2025-12-31")
    # "Sidste år" seen from 31-12-2025 is 2024.
    period = Period(dt.date(2024, 1, 1), dt.date(2024, 12, 31), dt.date(2025, 12, 31))
    row = figures.key_figures(
        open_store(app_db), period, (), Filters(categories=("anbringelse",))
    ).iloc[0]
    assert metrics(at)["Aktive bevillinger"] == fmt.number(row["active_registrations"])
    assert at.sidebar.selectbox(key="periode").value == "last_year"


def test_overview_charts_and_table(app_db):
    at = run_app()
    charts = at.get("plotly_chart")
    assert len(charts) == 2
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in charts]
    assert titles[0].startswith("Akkumuleret forbrug mod budget")
    assert "opgjort pr. 18-03-2026" in titles[0]
    assert json.loads(charts[0].proto.spec)["layout"]["separators"] == ",."
    table = at.dataframe[0].value
    assert "Forventet forbrug (kr.)" in table.columns and "Indsats" in table.columns
    store = open_store(app_db)
    by_type = figures.key_figures(
        store, preset_period("this_year", dt.date(2026, 3, 18)), ("intervention_type",)
    )
    assert table["Forventet forbrug (kr.)"].sum() == pytest.approx(
        by_type["projected_spend_dkk"].sum()
    )
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Hent CSV", "Hent Excel"]


def test_empty_store_says_what_to_do(tmp_path, monkeypatch):
    db = tmp_path / "empty.duckdb"
    open_store(db).close()
    monkeypatch.setenv("SLCORE_DB", str(db))
    at = run_app()
    assert any("ingen bevillinger" in i.value for i in at.info)
    assert not at.metric


def test_first_start_builds_the_demo_with_banner(tmp_path, monkeypatch):
    db = tmp_path / "fresh" / "slcore.duckdb"
    monkeypatch.setenv("SLCORE_DB", str(db))
    at = run_app()
    assert db.exists()
    assert any("Demodata" in w.value for w in at.warning)
    store = open_store(db)
    assert store.is_demo() and store.registration_count() > 10_000
    # The demo's as-of date is the day it was built; its tiles equal slcore's.
    assert metrics(at) == expected_tiles(db, "this_year")
    active = int(metrics(at)["Aktive bevillinger"].replace(".", ""))
    # About 1,100-1,300 at a time; over a year, with turnover, more than twice that.
    assert 2000 <= active <= 4000


@pytest.mark.parametrize(
    ("page", "first_chart"),
    [
        ("views/aktivitet.py", "Aktive bevillinger pr. måned efter indsatstype"),
        ("views/oekonomi.py", "Forbrug pr. måned efter indsatstype"),
    ],
)
def test_activity_and_economy_work_on_the_demo(tmp_path, monkeypatch, page, first_chart):
    db = tmp_path / "demo" / "slcore.duckdb"
    monkeypatch.setenv("SLCORE_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("Demodata" in w.value for w in at.warning)
    assert chart_titles(at)[0].startswith(first_chart)
    # Every tab draws on the demo, each table with its two downloads; 8 charts in all.
    charts = set()
    for label in every_tab(at):
        assert tab_contents(at)[label] > 0, label
        assert len(at.get("download_button")) == 2 * len(at.dataframe), label
        charts |= set(chart_titles(at))
    assert len(charts) == 8, charts
    # The demo runs to the day it was built: this year's tiles are not empty.
    store = open_store(db)
    period = preset_period("this_year", figures.default_as_of(store))
    row = figures.key_figures(store, period).iloc[0]
    assert row["active_registrations"] > 1000
    tiles = metrics(at)
    if page.endswith("aktivitet.py"):
        assert tiles["Aktive bevillinger"] == fmt.number(row["active_registrations"])
    else:
        assert tiles["Budget for perioden"] == fmt.mio_kr(row["budget_dkk"])


def upload_page(db, monkeypatch) -> AppTest:
    monkeypatch.setenv("SLCORE_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("views/indlaes.py")
    at.run()
    assert not at.exception
    return at


def test_upload_page_report_alias_import_and_undo(tmp_path, monkeypatch):
    from tests.conftest import SAMPLES

    db = tmp_path / "up.duckdb"
    open_store(db).close()
    at = upload_page(db, monkeypatch)
    assert any("Der er ikke indlæst nogen filer" in c.value for c in at.caption)
    data = (SAMPLES / "udtraek_dubu_cp1252.csv").read_bytes()
    at.file_uploader[0].set_value(("udtraek.csv", data, "text/csv")).run()
    assert not at.exception
    assert metrics(at) == {"Rækker læst": "608", "Kan indlæses": "600", "Afvises": "8"}, [
        d.value.to_dict("records") for d in at.dataframe
    ]
    assert any("Windows-1252" in m.value for m in at.markdown)
    # Map the unknown name, check again: that row now imports.
    at.selectbox(key="alias_Svømmeundervisning").set_value("SI_ANDEN")
    at.button[0].click().run()  # the form's submit button
    assert metrics(at)["Kan indlæses"] == "601"
    at.radio(key="mode").set_value("upsert")
    next(b for b in at.button if b.label.startswith("Indlæs")).click().run()
    assert not at.exception
    assert any("Import nr. 1 er gemt" in s.value and "indsat 601" in s.value for s in at.success)
    store = open_store(db)
    assert store.registration_count() == 601
    assert (
        store.cursor()
        .execute("SELECT code FROM intervention_aliases WHERE alias = 'Svømmeundervisning'")
        .fetchone()[0]
        == "SI_ANDEN"
    )
    # The same file again: nothing to do, and the page says so.
    assert any("allerede indlæst som import nr. 1" in i.value for i in at.info)
    # Undo with confirmation.
    at.button(key="undo_button").click().run()
    at.button(key="undo_yes").click().run()
    assert not at.exception
    assert store.registration_count() == 0
    assert any("Import nr. 1 er fortrudt" in s.value for s in at.success)


def test_upload_page_leaves_no_file_on_disk_and_asks_before_a_large_removal(tmp_path, monkeypatch):
    import tempfile

    from slcore import uploads
    from tests.conftest import CANONICAL_HEADER, registration, write_csv

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    db = tmp_path / "up.duckdb"
    store = open_store(db)
    full = [registration(f"R{i:02d}", cost_amount="1") for i in range(20)]
    from slcore.importer import import_file

    import_file(store, write_csv(tmp_path / "full.csv", CANONICAL_HEADER, full))
    half = write_csv(tmp_path / "half.csv", CANONICAL_HEADER, full[:10]).read_bytes()
    at = upload_page(db, monkeypatch)
    at.file_uploader[0].set_value(("halv.csv", half, "text/csv")).run()
    at.radio(key="mode").set_value("replace").run()
    assert not at.exception
    assert any("Erstat fjerner 10 af 20 bevillinger" in w.value for w in at.warning)
    button = next(b for b in at.button if b.label.startswith("Indlæs"))
    assert button.disabled  # not before the removal is confirmed
    at.checkbox(key="confirm_removal").check().run()
    next(b for b in at.button if b.label.startswith("Indlæs")).click().run()
    assert not at.exception
    assert any("fjernet 10" in s.value for s in at.success)
    assert store.registration_count() == 10
    history = at.dataframe[-1].value
    assert history["Fjernelse bekræftet"].tolist() == ["Ja", ""]
    # The upload (with its CPR numbers, in real life) was on disk only while it was read.
    assert list(uploads.upload_dir(db).iterdir()) == []
    assert list(tmp.iterdir()) == []


def test_upload_page_refuses_bad_file_in_danish(tmp_path, monkeypatch):
    db = tmp_path / "bad.duckdb"
    open_store(db).close()
    at = upload_page(db, monkeypatch)
    png = b"\x89PNG\r\n\x1a\n" + bytes(200)
    at.file_uploader[0].set_value(("billede.csv", png, "text/csv")).run()
    assert not at.exception
    assert any("PNG-billede" in e.value for e in at.error)
    assert open_store(db).registration_count() == 0


def test_compliance_page_equals_key_figures(app_db):
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("views/rammeoverholdelse.py")
    at.run()
    at.sidebar.text_input(key="opgjort").input("30-09-2025").run()
    assert not at.exception
    store = open_store(app_db)
    row = figures.key_figures(store, preset_period("this_year", dt.date(2025, 9, 30))).iloc[0]
    tiles = metrics(at)
    assert tiles["Inden for rammen"] == fmt.pct(figures.within_frame_share(row))
    assert tiles["Godkendte undtagelser"] == fmt.number(row["approved_exceptions"])
    assert tiles["Ikke-godkendte afvigelser"] == fmt.number(row["unapproved_deviations"])
    assert tiles["Uden ramme"] == fmt.number(row["no_frame"])
    # The committee's list has one row per unapproved deviation.
    open_tab(at, "Visitationsudvalget")
    committee = next(
        d.value
        for d in at.dataframe
        if "Borger (pseudonym)" in d.value.columns and "Årsager" in d.value.columns
    )
    assert len(committee) == row["unapproved_deviations"]
    # One chart in each of the other tabs.
    charts = [len(at.get("plotly_chart")) for tab in every_tab(at) if tab != "Visitationsudvalget"]
    assert charts == [1] * 5
    # A filter narrows the counts the same way as in slcore.
    at.sidebar.multiselect(key="team").select("Team Nord").run()
    f = Filters(teams=("Team Nord",))
    row = figures.key_figures(store, preset_period("this_year", dt.date(2025, 9, 30)), (), f).iloc[
        0
    ]
    assert metrics(at)["Ikke-godkendte afvigelser"] == fmt.number(row["unapproved_deviations"])


def test_edit_a_frame_changes_the_status_counts(app_db):
    store = open_store(app_db)
    period = preset_period("this_year", dt.date(2026, 3, 18))
    before = (
        figures.key_figures(store, period, ("intervention_type",))
        .set_index("intervention_type")
        .loc["SI_KONTAKT"]
    )
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("views/serviceniveau.py")
    at.run()
    assert not at.exception
    open_tab(at, "Ret en ramme")
    at.selectbox(key="edit_type").set_value("SI_KONTAKT").run()
    # A much lower price limit for the 2020 version: contact persons that started before the
    # 2025 revision are now outside on price.
    at.number_input(key="edit_cost").set_value(1.0)
    at.date_input(key="edit_from").set_value(dt.date(2020, 1, 1))
    next(b for b in at.button if b.label == "Gem som ny version").click().run()
    assert not at.exception
    assert any("Ny version af rammen" in s.value for s in at.success)
    after = (
        figures.key_figures(store, period, ("intervention_type",))
        .set_index("intervention_type")
        .loc["SI_KONTAKT"]
    )
    moved = before["within_frame"] - after["within_frame"]
    assert moved > 0
    outside = ("approved_exceptions", "unapproved_deviations")
    assert sum(after[c] for c in outside) == sum(before[c] for c in outside) + moved
    assert after["active_registrations"] == before["active_registrations"]
    # The compliance page shows the new counts.
    at.switch_page("views/rammeoverholdelse.py")
    at.run()
    total = figures.key_figures(store, period).iloc[0]
    assert metrics(at)["Ikke-godkendte afvigelser"] == fmt.number(total["unapproved_deviations"])


def test_budget_table_edit_and_copy(app_db):
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("views/serviceniveau.py")
    at.run()
    open_tab(at, "Budgetter")
    at.number_input(key="budget_year").set_value(2027).run()
    at.number_input(key="budget_factor").set_value(1.03)
    next(b for b in at.button if b.label == "Kopiér").click().run()
    assert not at.exception
    assert any("kopieret til 2027" in s.value for s in at.success)
    store = open_store(app_db)
    b26, b27 = (
        store.cursor()
        .execute("SELECT sum(budget_dkk) FROM budgets WHERE year = ?", [y])
        .fetchone()[0]
        for y in (2026, 2027)
    )
    assert b27 == pytest.approx(b26 * 1.03, abs=20)


def test_frames_import_on_the_service_level_page(app_db):
    from tests.conftest import SAMPLES

    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("views/serviceniveau.py")
    at.run()
    data = (SAMPLES / "serviceniveau_frames.csv").read_bytes()
    at.file_uploader(key="rammer_upload").set_value(("rammer.csv", data, "text/csv")).run()
    next(b for b in at.button if b.label == "Indlæs rammerne").click().run()
    assert not at.exception
    assert any("18 rammeversioner er tilføjet" in s.value for s in at.success)
    open_tab(at, "Budgetter")
    at.file_uploader(key="budgetter_upload").set_value(("b.csv", b"year\n2025\n", "text/csv")).run()
    next(b for b in at.button if b.label == "Indlæs budgetterne").click().run()
    assert any("mangler kolonnen" in e.value for e in at.error)


AS_OF = dt.date(2025, 9, 30)
YEAR_2025 = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31), AS_OF)


def open_page(page: str, **widgets: object) -> AppTest:
    """Run the app, go to a page and set the sidebar's as-of date and filters there."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page(page)
    at.run()
    at.sidebar.text_input(key="opgjort").input(fmt.date(AS_OF)).run()
    for key, values in widgets.items():
        for v in values:
            at.sidebar.multiselect(key=key).select(v).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def chart_titles(at: AppTest) -> list[str]:
    return [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]


def frame_with(at: AppTest, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_activity_page_with_a_category_filter(app_db):
    at = open_page("views/aktivitet.py", kategori=["anbringelse"])
    f = Filters(categories=("anbringelse",))
    store = open_store(app_db)
    yoy = activity.year_comparison(store, YEAR_2025, f).table.iloc[0]
    tiles = {m.label: m for m in at.metric}
    assert tiles["Aktive bevillinger"].value == fmt.number(yoy["active_registrations_now"])
    assert tiles["Nye bevillinger"].value == fmt.number(yoy["new_registrations_now"])
    change = yoy["active_citizens_change"]
    assert tiles["Aktive børn og unge"].delta.startswith(
        ("+" if change > 0 else "") + fmt.number(change)
    )
    assert chart_titles(at)[0].startswith("Aktive bevillinger pr. måned efter indsatstype")
    titles = {t for _ in every_tab(at) for t in chart_titles(at)}
    assert len(titles) == 8
    assert all("opgjort pr. 30-09-2025" in t for t in titles)
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["layout"]["separators"] == ",."
    # Only placement types are stacked, each in its fixed colour.
    stacked = {t["name"]: t["marker"]["color"] for t in spec["data"]}
    assert set(stacked) <= {
        "Almen plejefamilie",
        "Døgninstitution",
        "Opholdssted",
        "Netværksplejefamilie",
        "Forstærket plejefamilie",
        "Specialiseret plejefamilie",
        "Eget værelse / kollegium",
        "Efterskole / kostskole",
    }
    # The monthly table's sums are the period's key figures.
    months = frame_with(at, "Barnedage")
    row = figures.key_figures(store, YEAR_2025, (), f).iloc[0]
    whole = months.iloc[-1]
    assert whole["Måned"] == "Hele perioden"
    assert whole["Nye bevillinger"] == row["new_registrations"]
    assert months.iloc[:-1]["Nye bevillinger"].sum() == row["new_registrations"]
    assert months.iloc[:-1]["Afsluttede bevillinger"].sum() == row["ended_registrations"]
    assert whole["Aktive børn og unge"] == row["active_citizens"]
    # Switching the chart to new allocations by category redraws it.
    at.segmented_control(key="akt_maal").set_value("new_registrations").run()
    at.segmented_control(key="akt_opdeling").set_value("category").run()
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["layout"]["title"]["text"].startswith("Nye bevillinger pr. måned efter kategori")
    assert [t["name"] for t in spec["data"]] == ["Anbringelse"]
    # Each segment carries its group and value (a click reads them); they add up too.
    assert sum(v for t in spec["data"] for _, v in t["customdata"]) == row["new_registrations"]
    assert spec["data"][0]["customdata"][0][0] == "category:anbringelse"


def test_activity_drill_down_to_allocations_and_back(app_db):
    at = open_page("views/aktivitet.py")
    store = open_store(app_db)
    kind, team = "SI_KONTAKT", "Team Nord"
    assert "Bevilling" not in {c for d in at.dataframe for c in d.value.columns}
    at.session_state["akt_drill"] = [("intervention_type", kind)]
    at.run()
    narrowed = figures.key_figures(store, YEAR_2025, (), Filters(intervention_types=(kind,)))
    assert metrics(at)["Aktive bevillinger"] == fmt.number(narrowed["active_registrations"][0])
    at.session_state["akt_drill"] = [("intervention_type", kind), ("team", team)]
    at.run()
    assert "Bevilling" not in {c for d in at.dataframe for c in d.value.columns}
    open_tab(at, "Teams og bevillinger")  # the allocations are listed under their teams
    both = Filters(intervention_types=(kind,), teams=(team,))
    listed = frame_with(at, "Borger (pseudonym)")
    assert len(listed) == len(activity.allocations(store, YEAR_2025, both))
    assert set(listed["Team"]) == {team}
    assert listed["Forbrug (kr.)"].sum() == pytest.approx(
        figures.key_figures(store, YEAR_2025, (), both)["realized_spend_dkk"][0]
    )
    # Back goes to the type; reset to the whole municipality.
    at.button(key="akt_back").click().run()
    assert at.session_state["akt_drill"] == [("intervention_type", kind)]
    assert metrics(at)["Aktive bevillinger"] == fmt.number(narrowed["active_registrations"][0])
    at.button(key="akt_reset").click().run()
    whole = figures.key_figures(store, YEAR_2025).iloc[0]
    assert metrics(at)["Aktive bevillinger"] == fmt.number(whole["active_registrations"])
    assert not at.exception


def test_a_new_sidebar_choice_ends_the_drill_down(app_db):
    at = open_page("views/oekonomi.py")
    store = open_store(app_db)
    at.session_state["oek_drill"] = [("intervention_type", "SI_KONTAKT")]
    at.run()
    assert any("Filtreret ved klik" in m.value for m in at.markdown)
    # The sidebar now asks for foster families: the page shows them, not the clicked type.
    at.sidebar.multiselect(key="indsats").select("ANB_PLEJE").run()
    assert at.session_state["oek_drill"] == []
    assert not any("Filtreret ved klik" in m.value for m in at.markdown)
    row = figures.key_figures(store, YEAR_2025, (), Filters(intervention_types=("ANB_PLEJE",)))
    first = f"Forbrug til og med {fmt.date(AS_OF)}"
    assert metrics(at)[first] == fmt.mio_kr(row["realized_spend_dkk"][0])


def test_a_click_narrows_the_sidebar_choice_and_never_widens_it():
    import ui

    sidebar = Filters(intervention_types=("ANB_PLEJE", "SI_KONTAKT"), teams=("Team Nord",))
    narrowed = ui.drilled(sidebar, [("intervention_type", "SI_KONTAKT"), ("age_band", "6-11")])
    assert narrowed == Filters(
        intervention_types=("SI_KONTAKT",), age_bands=("6-11",), teams=("Team Nord",)
    )
    # A type the sidebar leaves out is not shown because of a stale click.
    assert ui.drilled(sidebar, [("intervention_type", "OEK")]) == sidebar


def test_economy_page_tables_equal_slcore(app_db):
    at = open_page("views/oekonomi.py")
    store = open_store(app_db)
    row = figures.key_figures(store, YEAR_2025).iloc[0]
    tiles = metrics(at)
    assert tiles["Forbrug til og med 30-09-2025"] == fmt.mio_kr(row["realized_spend_dkk"])
    assert tiles["Budget for perioden"] == fmt.mio_kr(row["budget_dkk"])
    d = economy.change_decomposition(store, YEAR_2025)
    assert tiles["Ændring mod sidste år"] == fmt.mio_kr(d.totals["change"])
    deviation = frame_with(at, "Vurdering")
    assert deviation.iloc[-1]["Indsatstype"] == "I alt"
    assert deviation.iloc[-1]["Afvigelse fra budget (kr.)"] == pytest.approx(
        row["budget_deviation_dkk"]
    )
    assert set(deviation["Vurdering"]) <= set(economy.BANDS.values())
    months = frame_with(at, "Disponeret (kr.)")
    assert months.iloc[:-1]["Forbrug (kr.)"].sum() == pytest.approx(row["realized_spend_dkk"])
    titles, buttons = set(), 0
    for _ in every_tab(at):
        titles |= set(chart_titles(at))
        buttons += len(at.get("download_button")) - 2  # the months' table's pair is on every tab
    assert len(titles) == 8
    assert all("30-09-2025" in t for t in titles)
    assert buttons == 2 * 5  # one table in each tab, besides the months' above the tabs
    open_tab(at, "Forklaring af ændringen")
    split = frame_with(at, "Volumen (kr.)")
    assert (split["Volumen (kr.)"] + split["Mix (kr.)"] + split["Pris (kr.)"]).sum() == (
        pytest.approx(split["Ændring i alt (kr.)"].sum())
    )
    assert split["Ændring i alt (kr.)"].sum() == pytest.approx(d.totals["change"])
    open_tab(at, "Leverandører")
    providers = frame_with(at, "Leverandør")
    assert providers["Forventet forbrug (kr.)"].sum() <= row["projected_spend_dkk"] + 0.01


def test_economy_page_with_a_team_filter_has_no_budget(app_db):
    at = open_page("views/oekonomi.py", team=["Team Nord"])
    store = open_store(app_db)
    f = Filters(teams=("Team Nord",))
    row = figures.key_figures(store, YEAR_2025, (), f).iloc[0]
    tiles = metrics(at)
    assert tiles["Budget for perioden"] == "–"
    assert tiles["Forbrug til og med 30-09-2025"] == fmt.mio_kr(row["realized_spend_dkk"])
    assert any("Fjern filteret på alder eller team" in i.value for i in at.info)
    assert any(i.value.startswith("Budgettet kan ikke opdeles på team") for i in at.info)
    table = frame_with(at, "Indsatstype")
    assert "Vurdering" not in table.columns and table.iloc[-1]["Indsatstype"] == "I alt"


def test_the_importing_session_follows_the_new_data_date(app_db, tmp_path):
    from tests.conftest import CANONICAL_HEADER, registration, write_csv

    at = run_app()
    at.switch_page("views/indlaes.py").run()
    assert at.sidebar.text_input(key="opgjort").value == "18-03-2026"
    newer = registration("NY-1", start_date="2026-05-04", decision_date="2026-05-29")
    data = write_csv(tmp_path / "ny.csv", CANONICAL_HEADER, [newer]).read_bytes()
    at.file_uploader[0].set_value(("ny.csv", data, "text/csv")).run()
    at.radio(key="mode").set_value("upsert")
    next(b for b in at.button if b.label.startswith("Indlæs")).click().run()
    assert not at.exception
    # As a fresh session would: the newest import's data date, on this page and the next.
    assert at.sidebar.text_input(key="opgjort").value == "29-05-2026"
    at.switch_page("views/overblik.py").run()
    assert any("Opgjort pr. **29-05-2026**" in c.value for c in at.caption)
    # A date the user chose stays chosen after the next import.
    at.sidebar.text_input(key="opgjort").input("31-03-2026").run()
    later = registration("NY-2", start_date="2026-06-01", decision_date="2026-06-02")
    store = open_store(app_db)
    from slcore.importer import import_file

    import_file(store, write_csv(tmp_path / "ny2.csv", CANONICAL_HEADER, [later]))
    at.run()
    assert at.sidebar.text_input(key="opgjort").value == "31-03-2026"


def test_a_typed_date_that_is_no_date_says_so_and_keeps_the_default(app_db):
    at = run_app(opgjort="31-02-2026")
    assert any("»31-02-2026« er ikke en dato" in e.value for e in at.sidebar.error)
    assert any("Opgjort pr. **18-03-2026**" in c.value for c in at.caption)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    from slcore.demo import build_demo

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    build_demo(path, scale=0.2, today=dt.date(2026, 3, 18))
    return path


@pytest.fixture
def demo_copy(demo_db, tmp_path, monkeypatch):
    import shutil

    dst = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, dst)
    key = demo_db.with_name(demo_db.name + ".key")
    if key.exists():
        shutil.copy(key, dst.with_name(dst.name + ".key"))
    monkeypatch.setenv("SLCORE_DB", str(dst))
    return dst


def service_level_page() -> AppTest:
    at = run_app()
    at.switch_page("views/serviceniveau.py").run()
    assert not at.exception
    return at


def test_a_save_on_the_demo_asks_before_it_ends_the_demo(demo_copy):
    store = open_store(demo_copy)
    demo_rows = store.registration_count()
    at = service_level_page()
    assert any("Dette afslutter demodata" in w.value for w in at.warning)
    open_tab(at, "Ret en ramme")
    at.number_input(key="edit_cost").set_value(1000.0)
    next(b for b in at.button if b.label == "Gem som ny version").click().run()
    assert not at.exception
    # Not confirmed: nothing is saved and the demo stays whole.
    assert any("Bekræft det, før du gemmer" in e.value for e in at.error)
    assert store.is_demo() and store.registration_count() == demo_rows
    at.checkbox(key="end_demo").check().run()
    next(b for b in at.button if b.label == "Gem som ny version").click().run()
    assert not at.exception
    assert not store.is_demo() and store.registration_count() == 0
    assert any("Demodata er afsluttet" in s.value for s in at.success)
    assert not any("Dette afslutter demodata" in w.value for w in at.warning)
    # Every page's empty state now points to the Indlæs data page, not the command line.
    at.switch_page("views/overblik.py").run()
    assert any("på siden Indlæs data" in i.value for i in at.info)
    assert not any("python -m slcore" in i.value for i in at.info)
    links = at.get("page_link")
    assert [link.proto.page for link in links] == ["indlaes"]


def test_budgets_on_the_demo_are_not_saved_unconfirmed(demo_copy):
    store = open_store(demo_copy)
    at = service_level_page()
    open_tab(at, "Budgetter")
    next(b for b in at.button if b.label == "Gem budgetterne").click().run()
    assert any("Dette afslutter demodata" in e.value for e in at.error)
    assert store.is_demo()


def test_frames_from_a_later_date_are_not_called_missing(tmp_path, monkeypatch):
    from tests.conftest import CANONICAL_HEADER, registration

    db = tmp_path / "later.duckdb"
    store = open_store(db)
    from slcore.frames import save_frame_version
    from slcore.importer import import_file
    from tests.conftest import write_csv

    import_file(store, write_csv(tmp_path / "r.csv", CANONICAL_HEADER, [registration("R1")]))
    later = {"intervention_type": "SI_KONTAKT", "valid_from": dt.date(2027, 1, 1), "age_max": 17}
    save_frame_version(store, later)
    monkeypatch.setenv("SLCORE_DB", str(db))
    at = service_level_page()
    infos = [i.value for i in at.info]
    assert not any("ingen rammer endnu" in i for i in infos), infos
    assert any("den første gælder fra 01-01-2027" in i for i in infos), infos


def test_tables_show_a_frame_file_import_at_once(tmp_path, monkeypatch):
    from slcore.importer import import_file
    from tests.conftest import CANONICAL_HEADER, SAMPLES, registration, write_csv

    db = tmp_path / "noframes.duckdb"
    import_file(
        open_store(db), write_csv(tmp_path / "r.csv", CANONICAL_HEADER, [registration("R1")])
    )
    monkeypatch.setenv("SLCORE_DB", str(db))
    at = service_level_page()
    assert any("ingen rammer endnu" in i.value for i in at.info)
    data = (SAMPLES / "serviceniveau_frames.csv").read_bytes()
    at.file_uploader(key="rammer_upload").set_value(("rammer.csv", data, "text/csv")).run()
    next(b for b in at.button if b.label == "Indlæs rammerne").click().run()
    assert not at.exception
    assert any("rammer.csv: 18 rammeversioner er tilføjet" in s.value for s in at.success)
    assert not any("ingen rammer endnu" in i.value for i in at.info)
    assert "Fast kontaktperson" in at.dataframe[0].value["Indsats"].tolist()


def test_the_frame_editor_speaks_danish(app_db):
    at = service_level_page()
    open_tab(at, "Ret en ramme")
    at.selectbox(key="edit_type").set_value("SI_KONTAKT").run()
    caption = next(c.value for c in at.caption if c.value.startswith("Nuværende ramme"))
    assert "Højeste pris pr. måned:" in caption and " kr." in caption, caption
    assert "\n" not in caption and "  " not in caption  # not a pandas dump
    cost = at.number_input(key="edit_cost")
    assert cost.proto.format == "%.0f"
    open_tab(at, "Ændringer")
    at.selectbox(key="cmp_type").set_value("SI_KONTAKT").run()
    diff = next(d.value for d in at.dataframe if "Felt" in d.value.columns)
    values = [str(v) for col in diff.columns[1:3] for v in diff[col]]
    assert not any(v in ("None", "nan", "") or v.endswith(".00") for v in values), values
    assert any(v.endswith(" kr.") for v in values), values


def dubu_with(old: str, new: str) -> bytes:
    from tests.conftest import SAMPLES

    text = (SAMPLES / "udtraek_dubu_cp1252.csv").read_bytes().decode("cp1252")
    lines = text.splitlines(keepends=True)
    lines[1] = lines[1].replace(old, new, 1)
    return "".join(lines).encode("cp1252")


def test_a_required_column_under_another_name_can_be_mapped(tmp_path, monkeypatch):
    db = tmp_path / "map.duckdb"
    open_store(db).close()
    at = upload_page(db, monkeypatch)
    data = dubu_with(";Startdato;", ";Bevilget fra;")
    at.file_uploader[0].set_value(("dubu.csv", data, "text/csv")).run()
    assert not at.exception
    assert any("mangler en påkrævet kolonne: Startdato" in e.value for e in at.error)
    # The inspection is shown: what was found, the mapping with the missing field marked.
    assert any("Windows-1252" in m.value for m in at.markdown)
    editor = next(d for d in at.dataframe if "Påkrævet" in d.value.columns)
    marks = dict(zip(editor.value["Felt"], editor.value["Påkrævet"], strict=True))
    assert marks["Startdato"] == "Ja – mangler" and marks["Bevillings-id"] == "Ja"
    assert "Bevilget fra" in at.dataframe[-1].value.columns  # the preview, as in the file
    assert not any(b.label.startswith("Indlæs ") for b in at.button)
    # Mapping the column (what "Brug denne tilknytning" stores) makes the file importable.
    from slcore.columns import map_headers

    header = dubu_with(";Startdato;", ";Bevilget fra;").decode("cp1252").splitlines()[1]
    mapping = map_headers(header.split(";"))
    at.session_state["mapping"] = {**mapping, "start_date": "Bevilget fra"}
    at.run()
    assert not at.error, [e.value for e in at.error]
    assert metrics(at)["Kan indlæses"] == "600"


def test_refusals_name_the_users_file_not_a_temporary_one(tmp_path, monkeypatch):
    db = tmp_path / "empty.duckdb"
    open_store(db).close()
    at = upload_page(db, monkeypatch)
    at.file_uploader[0].set_value(("maj-udtræk.csv", b"", "text/csv")).run()
    errors = " ".join(e.value for e in at.error)
    assert "maj-udtræk.csv" in errors and "upload-" not in errors, errors


def test_the_rejected_rows_report_names_the_registration_and_the_files_column(
    tmp_path, monkeypatch
):
    db = tmp_path / "rej.duckdb"
    open_store(db).close()
    at = upload_page(db, monkeypatch)
    data = dubu_with(";Afdeling;", ";Team;")  # as exported, but a column renamed
    at.file_uploader[0].set_value(("dubu.csv", data, "text/csv")).run()
    rejected = next(d.value for d in at.dataframe if "Værdi" in d.value.columns)
    assert list(rejected.columns) == ["Linje", "Bevillings-id", "Kolonne i filen", "Værdi", "Årsag"]
    assert sorted(rejected["Bevillings-id"]) == [f"BAD-{i}" for i in range(1, 9)]
    columns = set(rejected["Kolonne i filen"])
    assert {"Takst", "Takstenhed", "CPR-nr"} <= columns, columns
    assert not columns & {"Pris", "Prisenhed"}, columns


def test_the_import_history_speaks_danish(tmp_path, monkeypatch):
    from tests.conftest import CANONICAL_HEADER, registration, write_csv

    db = tmp_path / "hist.duckdb"
    from slcore.importer import import_file

    import_file(
        open_store(db), write_csv(tmp_path / "r.csv", CANONICAL_HEADER, [registration("R1")])
    )
    at = upload_page(db, monkeypatch)
    history = at.dataframe[-1].value
    row = history.iloc[0]
    assert row["Tilstand"] == "Opdatér"
    assert re.fullmatch(r"\d\d-\d\d-\d{4} kl\. \d\d:\d\d", row["Tidspunkt"]), row["Tidspunkt"]


@pytest.mark.parametrize("page", PAGES)
def test_no_table_draws_a_missing_cell_as_none(app_db, page):
    at = run_app(opgjort="30-09-2025")
    at.switch_page(page).run()
    assert not at.exception
    for tab in every_tab(at) if page in TAB_KEYS else [None]:
        for element in at.dataframe:
            table = element.value
            shown = table.astype(str).isin(["None", "nan", "NaN", "<NA>", "NaT"])
            assert not shown.any().any(), (page, tab, list(table.columns))
            # The browser draws a missing cell as "None" unless the table has a placeholder.
            if table.isna().any().any():
                assert element.proto.HasField("placeholder"), (page, tab, list(table.columns))


def test_the_frames_day_is_typed_and_applies_at_once(app_db):
    at = service_level_page()
    field = at.text_input(key="frames_day")
    assert field.value == "18-03-2026"
    field.input("01-01-2019").run()  # before the first frame version (2020)
    assert not at.exception
    assert any("den første gælder fra 01-01-2020" in i.value for i in at.info)
    assert "frames_day" not in at.query_params  # the page's own date is not in the link


def test_a_rerun_recomputes_nothing_and_an_import_shows_at_once(app_db, tmp_path):
    """The figures are cached per data version: a rerun hits, the next import misses."""
    from slcore import cache
    from slcore.importer import import_file
    from tests.conftest import CANONICAL_HEADER, registration, write_csv

    at = run_app(opgjort="18-03-2026")
    before = metrics(at)
    assert before == expected_tiles(app_db, "this_year")
    misses = cache.stats().misses
    at.run()
    assert metrics(at) == before
    assert cache.stats().misses == misses  # nothing recomputed
    # Another writer (a scheduled import) adds a running registration: the very next rerun
    # shows it, without a restart and without anyone clearing the cache.
    # Decided on the sample's data date, so the as-of date the page follows stays the same.
    new = registration(
        "NY-CACHE", start_date="2026-01-05", decision_date="2026-03-18", citizen_id="NY-BARN"
    )
    import_file(open_store(app_db), write_csv(tmp_path / "ny.csv", CANONICAL_HEADER, [new]))
    at.run()
    after = metrics(at)
    assert cache.stats().misses > misses
    active = int(after["Aktive bevillinger"].replace(".", ""))
    assert active == int(before["Aktive bevillinger"].replace(".", "")) + 1
    period = Period(dt.date(2026, 1, 1), dt.date(2026, 12, 31), dt.date(2026, 3, 18))
    row = figures.key_figures(open_store(app_db), period).iloc[0]
    assert after["Aktive bevillinger"] == fmt.number(row["active_registrations"])
