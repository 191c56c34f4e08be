"""The real app's downloads through AppTest: the very bytes a user gets, read back.

A download button's file is built only when the button is clicked: the button carries the id
of a deferred file, and the browser asks the server's media file manager to make it. AppTest
makes a (real) media file manager for each run and drops it after; a subclass that remembers
itself lets a test ask for each file as the browser does, and read it with its file name.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest, app_test

from slcore import compliance, figures
from slcore.periods import Period, preset_period
from slcore.store import open_store
from tests.conftest import ROOT
from tests.test_app import TAB_KEYS, every_tab, open_tab

APP = str(ROOT / "app.py")
AS_OF = dt.date(2026, 3, 18)  # the sample's newest data date, the app's default as-of date
THIS_YEAR = Period(dt.date(2026, 1, 1), dt.date(2026, 12, 31), AS_OF)  # the default: "I år"
# Files for re-import (frames, budgets) keep their exact, canonical form.
RAW_FILES = {"rammer", "budgetter"}
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


@pytest.fixture
def app_db(sample_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the app at a private copy of the sample store."""
    monkeypatch.setenv("SLCORE_DB", str(sample_copy))
    return sample_copy


@pytest.fixture
def media(monkeypatch: pytest.MonkeyPatch) -> list[MediaFileManager]:
    """Keep the media file managers AppTest makes (one per run), to ask for the downloads."""
    kept: list[MediaFileManager] = []

    class KeptManager(MediaFileManager):
        def __init__(self, storage: MemoryMediaFileStorage) -> None:
            super().__init__(storage)
            self.storage = storage  # the files made, to count
            kept.append(self)

    monkeypatch.setattr(app_test, "MediaFileManager", KeptManager)
    return kept


def open_page(page: str) -> AppTest:
    """Run the app and switch to a page (the default filters: this year as of the data date)."""
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def fetch(manager: MediaFileManager, button: object) -> tuple[str, bytes]:
    """Ask for a download button's file as a click does; return its file name and bytes."""
    url = manager.execute_deferred(button.proto.deferred_file_id)  # type: ignore[attr-defined]
    file = manager.read_file(url.rsplit("/", 1)[-1])
    assert file is not None and file.filename, url
    return file.filename, file.content


def downloads(at: AppTest, media: list[MediaFileManager]) -> dict[str, bytes]:
    """Return the last run's downloads as {file name: bytes}, each asked for as a click does."""
    out: dict[str, bytes] = {}
    for button in at.get("download_button"):
        name, content = fetch(media[-1], button)
        assert name not in out, name
        out[name] = content
    return out


def half_up(value: float) -> int:
    """Round to whole kroner as by hand (2,5 -> 3), like the screen."""
    return int(Decimal(str(value)).quantize(Decimal(1), ROUND_HALF_UP))


def xlsx_rows(raw: bytes) -> list[list[object]]:
    """Return the first sheet's values."""
    return CalamineWorkbook.from_filelike(io.BytesIO(raw)).get_sheet_by_index(0).to_python()


def xlsx_formats(raw: bytes) -> dict[str, str]:
    """Return each cell's number format code ("General" when none), by reference (A1)."""
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        sheet = ElementTree.fromstring(z.read("xl/worksheets/sheet1.xml"))
        styles = ElementTree.fromstring(z.read("xl/styles.xml"))
    codes = {"0": "General", "14": "mm-dd-yy"}
    for nf in styles.iterfind("m:numFmts/m:numFmt", NS):
        codes[nf.get("numFmtId")] = nf.get("formatCode")
    xfs = [xf.get("numFmtId", "0") for xf in styles.iterfind("m:cellXfs/m:xf", NS)]
    return {
        c.get("r"): codes.get(xfs[int(c.get("s", "0"))], "builtin")
        for c in sheet.iterfind("m:sheetData/m:row/m:c", NS)
    }


def column_letter(index: int) -> str:
    """Return the spreadsheet column name of a 0-based index (0 -> A, 26 -> AA)."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def read_csv(raw: bytes, skip: int = 0, **options: object) -> pd.DataFrame:
    """Read a downloaded CSV the way Danish Excel does: ``;`` and decimal comma."""
    return pd.read_csv(
        io.BytesIO(raw), sep=";", decimal=",", skiprows=skip, encoding="utf-8-sig", **options
    )


# --- defect 10: numbers as the screen shows them ---------------------------------------------


def test_key_figures_download_has_whole_kroner_and_shares_in_percent(app_db, media):
    at = open_page("views/overblik.py")
    got = downloads(at, media)
    stem = "noegletal_2026-01-01_til_2026-12-31_opgjort_2026-03-18"  # dated, as every page's
    got = {n.replace(stem, "noegletal"): b for n, b in got.items()}
    assert set(got) == {"noegletal.csv", "noegletal.xlsx"}
    by_type = figures.key_figures(open_store(app_db), THIS_YEAR, ("intervention_type",))
    by_type = by_type.set_index("intervention_type")

    table = read_csv(got["noegletal.csv"]).set_index("Indsatstype")
    assert "Andel inden for rammen" not in table.columns
    share = table["Andel inden for rammen (%)"]
    expected = [figures.within_frame_share(by_type.loc[code]) for code in table.index]
    for code, value, fraction in zip(table.index, share, expected, strict=True):
        if fraction is None:
            assert pd.isna(value), code
        else:
            assert value == pytest.approx(round(fraction * 100, 1), abs=0.051), code
    assert share.max() > 1  # percent, not a fraction
    text_table = read_csv(got["noegletal.csv"], dtype=str)
    for column in [c for c in table.columns if c.endswith("(kr.)")]:
        assert text_table[column].dropna().str.fullmatch(r"-?\d+").all(), column
    assert table["Forbrug (kr.)"].dtype == "int64"
    assert table["Forbrug (kr.)"].to_dict() == {
        code: half_up(v) for code, v in by_type["realized_spend_dkk"].items()
    }
    text = got["noegletal.csv"].decode("utf-8-sig")
    assert not re.search(r";\d+,\d{2,}", text)  # no raw float anywhere
    for column in ("Aktive bevillinger", "Nye bevillinger", "Ikke-godkendte afvigelser"):
        assert pd.api.types.is_integer_dtype(table[column]), column

    rows = xlsx_rows(got["noegletal.xlsx"])
    header = rows[0]
    formats = xlsx_formats(got["noegletal.xlsx"])
    money = header.index("Forbrug (kr.)")
    share_col = header.index("Andel inden for rammen")
    for r, row in enumerate(rows[1:], start=2):
        assert row[money] == int(row[money])
        assert formats[f"{column_letter(money)}{r}"] == "#,##0"
        if row[share_col] != "":
            assert 0 <= row[share_col] <= 1  # a real fraction, shown as percent
            assert row[share_col] == round(row[share_col], 3)
            assert formats[f"{column_letter(share_col)}{r}"] == "0.0 %"


def stored_bytes(manager: MediaFileManager) -> int:
    """Return the size of the files a run's media file manager holds."""
    stats = manager.storage.get_stats()  # type: ignore[attr-defined]
    return sum(stat.byte_length for group in stats.values() for stat in group)


def test_a_download_is_built_only_when_asked_for(app_db, media):
    at = open_page("views/overblik.py")
    csv, xlsx = at.get("download_button")
    assert (csv.label, xlsx.label) == ("Hent CSV", "Hent Excel")
    # The run made no file: each button holds the id of a file to make on a click.
    assert csv.proto.deferred_file_id and xlsx.proto.deferred_file_id
    assert not csv.proto.url and not xlsx.proto.url
    assert stored_bytes(media[-1]) == 0
    # A click makes the file: the table on screen, under the name the page gives it.
    name, raw = fetch(media[-1], csv)
    assert name == "noegletal_2026-01-01_til_2026-12-31_opgjort_2026-03-18.csv"
    assert stored_bytes(media[-1]) == len(raw)
    table = read_csv(raw)
    screen = at.dataframe[0].value
    assert [c.removesuffix(" (%)") for c in table.columns] == list(screen.columns)  # CSV: in %
    assert list(table["Indsatstype"]) == list(screen["Indsatstype"])
    name, raw = fetch(media[-1], xlsx)
    assert name == "noegletal_2026-01-01_til_2026-12-31_opgjort_2026-03-18.xlsx"
    assert xlsx_rows(raw)[0] == list(screen.columns)
    # Asked for again (a second click), the file is made again, as it is now.
    assert fetch(media[-1], csv)[1] == fetch(media[-1], csv)[1]


PAGES = [
    "views/overblik.py",
    "views/aktivitet.py",
    "views/oekonomi.py",
    "views/rammeoverholdelse.py",
    "views/serviceniveau.py",
]


@pytest.mark.parametrize("page", PAGES)
def test_every_table_download_looks_like_the_screen(app_db, media, page):
    at = open_page(page)
    # Some tabs hold a chart alone; the page has tables.
    assert sum(check_downloads_look_like_the_screen(at, media, tab) for tab in tabs(at, page))


def tabs(at: AppTest, page: str) -> object:
    """Open each of a page's tabs in turn (a page without tabs: once, as it is)."""
    return every_tab(at) if page in TAB_KEYS else [None]


def check_downloads_look_like_the_screen(
    at: AppTest, media: list[MediaFileManager], tab: str | None
) -> int:
    """Check that the open tab's downloads look like its tables; return how many it has."""
    # The tables' downloads (the service-level document's PDF and DOCX are no table).
    got = {n: b for n, b in downloads(at, media).items() if n.endswith((".csv", ".xlsx"))}
    csvs = {n: b for n, b in got.items() if n.endswith(".csv")}
    buttons = [b for b in at.get("download_button") if b.proto.label in ("Hent CSV", "Hent Excel")]
    assert len(got) == 2 * len(csvs) == len(buttons), tab
    for name, raw in csvs.items():
        if name.removesuffix(".csv").split("_20")[0] in RAW_FILES:
            continue
        lines = raw.decode("utf-8-sig").split("\r\n")
        skip = 2 if lines[1] == "" else 0  # a title line and an empty line above the table
        table = read_csv(raw, skip, dtype=str)
        for column in table.columns:
            values = table[column].dropna()
            if column.endswith("(kr.)"):
                assert values.str.fullmatch(r"-?\d+").all(), (name, column)
            elif column.startswith("Andel"):
                assert column.endswith(" (%)"), (name, column)
                assert values.str.fullmatch(r"-?\d{1,4}(,\d)?").all(), (name, column)
            else:
                numbers = values[values.str.fullmatch(r"-?\d+(,\d+)?")]
                # At most one decimal, as the screen, and a whole-number column has none.
                assert not numbers.str.contains(r",\d\d").any(), (name, column)
                assert not (len(numbers) and numbers.str.endswith(",0").all()), (name, column)
        # XLSX: the same table; shares are fractions, shown as percent.
        rows = xlsx_rows(got[name.removesuffix(".csv") + ".xlsx"])[skip:]
        assert len(rows) == len(table) + 1, name
        for c, column in enumerate(rows[0]):
            if str(column).startswith("Andel"):
                assert f"{column} (%)" in table.columns, (name, column)
                values = [r[c] for r in rows[1:] if r[c] != ""]
                assert all(-10 <= v <= 10 for v in values), (name, column)
    return len(csvs)


# --- defect 11: the committee's lists, for the meeting ---------------------------------------


def test_committee_lists_carry_period_as_of_title_and_real_dates(app_db, media):
    assert preset_period("this_year", AS_OF) == THIS_YEAR
    at = open_page("views/rammeoverholdelse.py")
    got = downloads(at, media)  # the first tab's: the statuses per type
    open_tab(at, "Visitationsudvalget")
    got |= downloads(at, media)
    stem = "ikke_godkendte_afvigelser_2026-01-01_til_2026-12-31_opgjort_2026-03-18"
    horizon = AS_OF + dt.timedelta(days=60)
    soon = f"naar_laengste_varighed_2026-03-18_til_{horizon.isoformat()}_opgjort_2026-03-18"
    for name in (stem, soon):
        assert f"{name}.csv" in got and f"{name}.xlsx" in got, sorted(got)
    # The other tables of the page are dated too.
    assert "rammeoverholdelse_2026-01-01_til_2026-12-31_opgjort_2026-03-18.xlsx" in got

    dev = compliance.committee_deviations(open_store(app_db), THIS_YEAR)
    title = "Ikke-godkendte afvigelser · 01-01-2026 – 31-12-2026, opgjort pr. 18-03-2026"

    # XLSX: the title, an empty row, the table; dates are real dates shown as dd-mm-yyyy.
    raw = got[f"{stem}.xlsx"]
    rows = xlsx_rows(raw)
    assert rows[0][0] == title
    assert all(v == "" for v in rows[1])
    header = rows[2]
    assert header[:3] == ["Bevillings-id", "Borger (pseudonym)", "Indsats"]
    assert len(rows) == 3 + len(dev)
    start = header.index("Startdato")
    formats = xlsx_formats(raw)
    assert [r[start] for r in rows[3:]] == [d.date() for d in dev["start_date"]]
    assert all(formats[f"{column_letter(start)}{r}"] == "dd-mm-yyyy" for r in range(4, 4 + 3))
    end = header.index("Slutdato")
    ends = [r[end] for r in rows[3:]]
    assert any(isinstance(v, dt.date) for v in ends) and "" in ends  # open-ended: empty
    money = header.index("Uden for rammen (kr.)")
    assert [r[money] for r in rows[3:]] == [half_up(v) for v in dev["outside_dkk"]]

    # CSV: the same title line above the header, dates as 31-12-2025.
    lines = got[f"{stem}.csv"].decode("utf-8-sig").split("\r\n")
    assert lines[0] == title and lines[1] == ""
    assert lines[2].startswith("Bevillings-id;Borger (pseudonym);Indsats;Team")
    table = read_csv(got[f"{stem}.csv"], skip=2)
    assert len(table) == len(dev)
    assert list(table["Startdato"]) == [f"{d:%d-%m-%Y}" for d in dev["start_date"]]

    # The screen still shows Danish dates as text.
    screen = next(d.value for d in at.dataframe if "Slutdato" in d.value.columns)
    assert list(screen["Startdato"]) == [f"{d:%d-%m-%Y}" for d in dev["start_date"]]
    assert "" in set(screen["Slutdato"])

    # The list of those passing the longest duration soon: as-of date and horizon.
    rows = xlsx_rows(got[f"{soon}.xlsx"])
    assert rows[0][0] == (
        "Når snart længste varighed (inden for 60 dage) · "
        f"18-03-2026 – {horizon:%d-%m-%Y}, opgjort pr. 18-03-2026"
    )
    header = rows[2]
    last = header.index("Rammens sidste dag")
    left = header.index("Dage tilbage")
    assert rows[3:] and all(AS_OF <= r[last] <= horizon for r in rows[3:])
    assert all(r[left] == (r[last] - AS_OF).days for r in rows[3:])


def test_committee_list_title_names_the_sidebar_filters(app_db, media):
    at = open_page("views/rammeoverholdelse.py")
    open_tab(at, "Visitationsudvalget")
    at.sidebar.multiselect(key="team").select("Team Nord").run()
    assert not at.exception, [e.message for e in at.exception]
    got = downloads(at, media)
    name = "ikke_godkendte_afvigelser_2026-01-01_til_2026-12-31_opgjort_2026-03-18.csv"
    lines = got[name].decode("utf-8-sig").split("\r\n")
    assert lines[0] == (
        "Ikke-godkendte afvigelser · Team Nord · 01-01-2026 – 31-12-2026, opgjort pr. 18-03-2026"
    )
    table = read_csv(got[name], skip=2)
    assert set(table["Team"]) == {"Team Nord"}


# --- every table on screen has its downloads (issue 13) ---------------------------------------


def in_order(node: object) -> list[object]:
    """Return the elements under an AppTest node in the order the page draws them."""
    children = getattr(node, "children", None)
    if children is None:
        return [node]
    return [e for _, child in sorted(children.items()) for e in in_order(child)]


def is_table(element: object) -> bool:
    """Return whether an element is a table shown (a data editor is a form, not a table)."""
    return getattr(element, "type", None) == "dataframe" and element.proto.editing_mode == 0


def tables_without_downloads(at: AppTest) -> list[list[str]]:
    """Return the columns of each table on screen not followed by Hent CSV and Hent Excel."""
    elements = in_order(at.main)
    tables = [e for e in elements if getattr(e, "type", None) == "dataframe"]
    assert len(tables) == len(at.main.dataframe)  # the walk sees every table
    missing = []
    for i, element in enumerate(elements):
        if not is_table(element):
            continue
        following = []
        for later in elements[i + 1 :]:
            if getattr(later, "type", None) == "dataframe":
                break
            if getattr(later, "type", None) == "download_button":
                following.append(later.proto.label)
        if following[:2] != ["Hent CSV", "Hent Excel"]:
            missing.append(list(element.value.columns))
    return missing


@pytest.mark.parametrize("page", PAGES)
def test_every_table_on_every_page_has_its_download_pair(app_db, page):
    at = open_page(page)
    shown = 0
    for tab in tabs(at, page):
        shown += len(at.dataframe)
        assert tables_without_downloads(at) == [], (page, tab)
    assert shown, page


def test_the_drill_down_and_version_tables_have_their_download_pair(app_db):
    at = open_page("views/aktivitet.py")
    at.session_state["akt_drill"] = [("intervention_type", "SI_KONTAKT"), ("team", "Team Nord")]
    open_tab(at, "Teams og bevillinger")
    assert any("Bevilling" in d.value.columns for d in at.dataframe)
    assert tables_without_downloads(at) == []
    at = open_page("views/serviceniveau.py")
    open_tab(at, "Ændringer")
    at.selectbox(key="cmp_type").set_value("SI_KONTAKT").run()
    assert not at.exception, [e.message for e in at.exception]
    # The versions, the what-if and the distributions.
    for tab, column in (
        ("Ændringer", "Felt"),
        ("Hvad nu hvis", "Vurderet"),
        ("Rammer ud fra data", "Andel over grænsen"),
    ):
        open_tab(at, tab)
        shown = [list(d.value.columns) for d in at.dataframe]
        assert any(column in c for c in shown), (column, shown)
        assert tables_without_downloads(at) == [], tab


def test_the_upload_report_tables_have_their_download_pair(tmp_path, monkeypatch):
    from slcore.store import open_store as create
    from tests.conftest import SAMPLES

    db = tmp_path / "up.duckdb"
    create(db).close()
    monkeypatch.setenv("SLCORE_DB", str(db))
    at = open_page("views/indlaes.py")
    data = (SAMPLES / "udtraek_dubu_cp1252.csv").read_bytes()
    at.file_uploader[0].set_value(("udtraek.csv", data, "text/csv")).run()
    assert not at.exception, [e.message for e in at.exception]
    reasons = next(d.value for d in at.dataframe if list(d.value.columns) == ["Årsag", "Rækker"])
    assert reasons["Rækker"].sum() == 8
    # The preview shows the user's own file (CPR numbers hidden): nothing to download.
    missing = tables_without_downloads(at)
    assert len(missing) == 1 and "CPR-nr" in missing[0], missing
