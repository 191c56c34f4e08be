"""Frames and budgets: validation, versions, replacement, XLSX, budgets per year."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import xlsxwriter

from slcore.frames import (
    FRAME_COLUMNS,
    FRAME_LABELS,
    FrameError,
    add_frames,
    budgets_csv,
    budgets_for_year,
    budgets_xlsx,
    compare_versions,
    copy_budgets,
    frame_versions,
    frames_csv,
    frames_on,
    frames_xlsx,
    import_budgets,
    import_frames,
    save_budgets_for_year,
    save_frame_version,
    set_budgets,
)
from slcore.store import open_store
from tests.conftest import SAMPLES, write_csv

COLS = FRAME_COLUMNS


@pytest.fixture
def store(tmp_path):
    s = open_store(tmp_path / "fr.duckdb")
    yield s
    s.close()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"age_min": 5, "age_max": 3}, "mindste alder"),
        ({"age_max": 31}, "mellem 0 og 30"),
        ({"max_extent": 0}, "positive"),
        ({"max_monthly_cost": -1}, "positive"),
        ({"extent_unit": "timer"}, "omfangsenhed"),
        ({"intervention_type": "NOPE"}, "ukendt indsatstype"),
        ({"valid_from": "01-01-2025"}, "kunne ikke forstås"),
        ({"max_duration_months": "1,5"}, "helt tal"),
    ],
)
def test_invalid_frames_are_refused_whole(store, tmp_path, values, message):
    good = {"intervention_type": "OEK", "valid_from": "2020-01-01"}
    bad = {"intervention_type": "OEK", "valid_from": "2021-01-01", **values}
    with pytest.raises(FrameError, match=message):
        import_frames(store, write_csv(tmp_path / "f.csv", COLS, [good, bad]))
    assert store.cursor().execute("SELECT count(*) FROM frames").fetchone()[0] == 0


def test_versions_are_added_never_overwritten(store):
    base = {c: None for c in COLS} | {
        "intervention_type": "OEK",
        "valid_from": dt.date(2020, 1, 1),
        "max_monthly_cost": 100.0,
    }
    add_frames(store, [base])
    add_frames(store, [base | {"valid_from": dt.date(2025, 1, 1), "max_monthly_cost": 200.0}])
    add_frames(store, [base | {"max_monthly_cost": 150.0}])
    assert store.cursor().execute("SELECT count(*) FROM frames").fetchone()[0] == 3
    lines = frames_csv(store).strip().splitlines()
    assert lines[1].startswith("OEK,2020-01-01") and "150.0" in lines[1]
    assert lines[2].startswith("OEK,2025-01-01") and "200.0" in lines[2]


def test_budgets_refuse_duplicates_and_bad_values(store, tmp_path):
    cols = ("year", "intervention_type", "budget_dkk")
    with pytest.raises(FrameError, match="to gange"):
        import_budgets(
            store,
            write_csv(
                tmp_path / "b.csv",
                cols,
                [
                    {"year": 2025, "intervention_type": "OEK", "budget_dkk": 1},
                    {"year": 2025, "intervention_type": "OEK", "budget_dkk": 2},
                ],
            ),
        )
    with pytest.raises(FrameError, match="budgettet"):
        import_budgets(
            store,
            write_csv(
                tmp_path / "n.csv",
                cols,
                [{"year": 2025, "intervention_type": "OEK", "budget_dkk": -5}],
            ),
        )
    with pytest.raises(FrameError, match="ikke et tal"):
        import_budgets(
            store,
            write_csv(
                tmp_path / "c.csv",
                cols,
                [{"year": 2025, "intervention_type": "OEK", "budget_dkk": "mange"}],
            ),
        )
    with pytest.raises(FrameError, match="mangler kolonnen"):
        import_budgets(store, write_csv(tmp_path / "d.csv", ("year",), [{"year": 2025}]))
    assert store.cursor().execute("SELECT count(*) FROM budgets").fetchone()[0] == 0


def test_danish_semicolon_budget_file(store, tmp_path):
    p = tmp_path / "da.csv"
    p.write_bytes("year;intervention_type;budget_dkk\n2025;OEK;1.234.567,50\n".encode("cp1252"))
    assert import_budgets(store, p) == 1
    assert store.cursor().execute("SELECT budget_dkk FROM budgets").fetchone()[0] == 1234567.5


# --- frame versions from a page ------------------------------------------------------------

D2020, D2025 = dt.date(2020, 1, 1), dt.date(2025, 1, 1)


def frame(**values: object) -> dict[str, object]:
    """Return a frame with only a monthly price as limit, changed by values."""
    base: dict[str, object] = {c: None for c in COLS}
    base |= {"intervention_type": "OEK", "valid_from": D2020, "max_monthly_cost": 1000.0}
    return base | values


def frame_rows(store) -> list[tuple]:
    return store.cursor().execute("SELECT * FROM frames ORDER BY frame_id").fetchall()


def test_frames_on_picks_the_version_in_force(store):
    add_frames(
        store,
        [
            frame(max_monthly_cost=100.0),
            frame(valid_from=D2025, max_monthly_cost=200.0),
            frame(intervention_type="SI_KONTAKT", valid_from=dt.date(2024, 6, 1), age_max=17),
        ],
    )
    before = frames_on(store, dt.date(2019, 12, 31))
    assert before.empty and list(before.columns) == list(COLS)

    def cost(day: dt.date) -> dict[str, float]:
        on = frames_on(store, day)
        return dict(zip(on["intervention_type"], on["max_monthly_cost"], strict=True))

    assert cost(dt.date(2024, 12, 31)) == {"OEK": 100.0, "SI_KONTAKT": 1000.0}
    assert cost(D2025) == {"OEK": 200.0, "SI_KONTAKT": 1000.0}
    assert cost(dt.date(2030, 1, 1))["OEK"] == 200.0
    assert list(frames_on(store, dt.date(2024, 5, 31))["intervention_type"]) == ["OEK"]
    on = frames_on(store, D2025)
    assert list(on["intervention_type"]) == ["OEK", "SI_KONTAKT"]  # sorted by type
    assert on["valid_from"].tolist() == [D2025, dt.date(2024, 6, 1)]
    assert on.loc[1, "age_max"] == 17 and pd.isna(on.loc[0, "age_max"])


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"max_monthly_cost": None}, "ingen grænser"),
        ({"max_monthly_cost": None, "description": "Kun tekst"}, "ingen grænser"),
        ({"max_extent": 5}, "kræver en omfangsenhed"),
        ({"extent_unit": "hours_per_week"}, "kræver et højeste omfang"),
        ({"max_extent": 5, "extent_unit": "timer"}, "ukendt omfangsenhed"),
        ({"valid_from": "2025-01-01"}, "skal være en dato"),
        ({"valid_from": None}, "mangler"),
        ({"age_min": 2.5}, "helt tal"),
        ({"max_monthly_cost": "mange"}, "ikke et tal"),
        ({"max_monthly_cost": -5}, "positive"),
        ({"age_min": 10, "age_max": 5}, "mindste alder"),
        ({"age_max": 40}, "mellem 0 og 30"),
        ({"intervention_type": "NOPE"}, "ukendt indsatstype"),
    ],
)
def test_save_frame_version_refuses(store, values, message):
    add_frames(store, [frame()])
    with pytest.raises(FrameError, match=message):
        save_frame_version(store, frame(**({"valid_from": D2025} | values)))
    assert len(frame_rows(store)) == 1


def test_save_frame_version_adds_and_never_changes_a_row(store):
    save_frame_version(store, frame(max_monthly_cost=100.0), user="anna")
    old = frame_rows(store)
    save_frame_version(store, frame(valid_from=D2025, max_monthly_cost=200.0), user="bo")
    rows = frame_rows(store)
    assert len(rows) == 2 and rows[0] == old[0]
    versions = frame_versions(store, "OEK")
    assert versions["valid_from"].tolist() == [D2020, D2025]
    assert versions["max_monthly_cost"].tolist() == [100.0, 200.0]
    assert versions["created_by"].tolist() == ["anna", "bo"]
    assert frame_versions(store, "SI_KONTAKT").empty


def test_editing_a_version_twice_keeps_both_rows(store):
    save_frame_version(store, frame(max_monthly_cost=100.0))
    save_frame_version(store, frame(max_monthly_cost=150.0))
    assert [r[8] for r in frame_rows(store)] == [100.0, 150.0]  # both rows kept
    current = store.cursor().execute("SELECT max_monthly_cost FROM frames_current").fetchall()
    assert current == [(150.0,)]
    assert frame_versions(store, "OEK")["max_monthly_cost"].tolist() == [150.0]


def test_save_frame_version_takes_values_as_a_page_gives_them(store):
    save_frame_version(
        store,
        {
            "intervention_type": " OEK ",
            "valid_from": pd.Timestamp("2025-03-01"),
            "age_min": np.int64(3),
            "age_max": 17.0,
            "max_extent": "7,5",
            "extent_unit": "hours_per_week",
            "max_duration_months": pd.NA,
            "max_monthly_cost": np.nan,
            "description": "  ",
        },
    )
    row = store.cursor().execute(f"SELECT {', '.join(COLS)} FROM frames").fetchone()
    assert row == ("OEK", dt.date(2025, 3, 1), 3, 17, 7.5, "hours_per_week", None, None, None)


def test_saving_a_frame_ends_the_demo(store):
    cur = store.cursor()
    cur.execute("INSERT OR REPLACE INTO meta VALUES ('is_demo', 'true')")
    add_frames(store, [frame(intervention_type="SI_KONTAKT")], user="demo")
    save_frame_version(store, frame())
    assert not store.is_demo()
    assert frame_versions(store, "SI_KONTAKT").empty and len(frame_versions(store, "OEK")) == 1


def test_compare_versions_marks_exactly_the_changed_fields(store):
    add_frames(
        store,
        [
            frame(age_max=17, description="Gammel"),
            frame(valid_from=D2025, age_max=17, max_monthly_cost=1200.0, description="Ny"),
        ],
    )
    table = compare_versions(store, "OEK", D2020, D2025)
    assert list(table.columns) == ["field", "version_a", "version_b", "changed"]
    assert table["field"].tolist() == list(FRAME_LABELS.values())[2:]
    changed = table.loc[table["changed"], "field"].tolist()
    assert changed == ["Højeste pris pr. måned (kr.)", "Beskrivelse"]
    row = table.set_index("field").loc["Højeste pris pr. måned (kr.)"]
    assert (row["version_a"], row["version_b"]) == (1000.0, 1200.0)
    assert table.set_index("field").loc["Alder fra", "version_a"] is None
    assert not compare_versions(store, "OEK", D2025, D2025)["changed"].any()
    with pytest.raises(FrameError, match="01-01-2023"):
        compare_versions(store, "OEK", D2020, dt.date(2023, 1, 1))


# --- XLSX ----------------------------------------------------------------------------------


def write_xlsx(path, rows: list[list[object]]):
    """Write rows to the first sheet of an XLSX file; dates as real Excel dates."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Ark1")
    date_format = wb.add_format({"num_format": "dd-mm-yyyy"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_format)
            elif value is not None:
                ws.write(r, c, value)
    wb.close()
    return path


def test_frames_xlsx_round_trip(tmp_path):
    source = open_store(tmp_path / "a.duckdb")
    target = open_store(tmp_path / "b.duckdb")
    try:
        import_frames(source, SAMPLES / "serviceniveau_frames.csv")
        add_frames(source, [frame(description="-kun efter aftale; = 'særligt' æøå")])
        path = tmp_path / "rammer.xlsx"
        path.write_bytes(frames_xlsx(source))
        assert path.read_bytes()[:4] == b"PK\x03\x04"
        in_force = source.cursor().execute("SELECT count(*) FROM frames_current").fetchone()
        assert import_frames(target, path) == in_force[0] == 19
        assert frames_csv(target) == frames_csv(source)
        assert "-kun efter aftale" in frames_csv(target)
    finally:
        source.close()
        target.close()


def test_frames_xlsx_with_title_labels_and_excel_dates(store, tmp_path):
    labels = [FRAME_LABELS[c] for c in COLS]
    rows = [
        ["Serviceniveau 2025"],
        [],
        labels,
        ["OEK", dt.date(2025, 1, 1), 0, 17, 7.5, "hours_per_week", 12, 1234.5, "Tekst"],
        [],
        ["SI_KONTAKT", dt.date(2025, 2, 1), None, None, None, None, None, 900, None],
    ]
    assert import_frames(store, write_xlsx(tmp_path / "f.xlsx", rows)) == 2
    on = frames_on(store, dt.date(2025, 6, 1))
    assert on["valid_from"].tolist() == [D2025, dt.date(2025, 2, 1)]
    assert on.loc[0, "max_extent"] == 7.5 and on.loc[0, "max_duration_months"] == 12
    bad = [*rows[:5], ["SI_KONTAKT", dt.date(2025, 2, 1), 20, 5]]
    with pytest.raises(FrameError, match="Linje 6: mindste alder"):
        import_frames(store, write_xlsx(tmp_path / "g.xlsx", bad))
    with pytest.raises(FrameError, match="mangler kolonnen"):
        import_frames(store, write_xlsx(tmp_path / "h.xlsx", [["Indsatstype", "Pris"]]))
    assert len(frame_rows(store)) == 2


def test_budgets_xlsx_import_and_export(store, tmp_path):
    rows = [
        ["Budget"],
        ["year", "intervention_type", "budget_dkk", "planned_cases"],
        [2025, "OEK", 1234567.5, 12],
        [2025, "SI_KONTAKT", "1.000,00", None],
    ]
    assert import_budgets(store, write_xlsx(tmp_path / "b.xlsx", rows)) == 2
    assert budgets_csv(store) == (
        "year,intervention_type,budget_dkk,planned_cases\n"
        "2025,OEK,1234567.5,12\n2025,SI_KONTAKT,1000.0,\n"
    )
    bad = [*rows, [2025, "OEK", -1]]
    with pytest.raises(FrameError, match="Linje 5: budgettet"):
        import_budgets(store, write_xlsx(tmp_path / "c.xlsx", bad))
    path = tmp_path / "ud.xlsx"
    path.write_bytes(budgets_xlsx(store))
    again = open_store(tmp_path / "again.duckdb")
    try:
        assert import_budgets(again, path) == 2
        assert budgets_csv(again) == budgets_csv(store)
    finally:
        again.close()


# --- budgets per year ----------------------------------------------------------------------


def budget_rows(store) -> list[tuple]:
    sql = "SELECT year, intervention_type, budget_dkk, planned_cases FROM budgets ORDER BY ALL"
    return store.cursor().execute(sql).fetchall()


def test_budgets_for_year_lists_every_reference_type(store):
    set_budgets(store, [[2025, "OEK", 500.0, 3], [2024, "SI_KONTAKT", 7.0, None]])
    table = budgets_for_year(store, 2025)
    assert list(table.columns) == ["intervention_type", "name_da", "budget_dkk", "planned_cases"]
    assert len(table) == 24 and table["intervention_type"].is_monotonic_increasing
    assert table["name_da"].notna().all()
    by_code = table.set_index("intervention_type")
    assert by_code.loc["OEK", "budget_dkk"] == 500.0 and by_code.loc["OEK", "planned_cases"] == 3
    assert table["budget_dkk"].notna().sum() == 1  # 2024's budget is not 2025's
    assert pd.isna(by_code.loc["SI_KONTAKT", "budget_dkk"])


def test_save_budgets_for_year_replaces_the_year(store):
    set_budgets(store, [[2025, "OEK", 500.0, 3], [2025, "SI_KONTAKT", 100.0, None]])
    set_budgets(store, [[2024, "OEK", 400.0, 2]])
    table = budgets_for_year(store, 2025)
    table.loc[table["intervention_type"] == "SI_KONTAKT", "budget_dkk"] = pd.NA
    table.loc[table["intervention_type"] == "SI_HJEM", ["budget_dkk", "planned_cases"]] = [900, 4]
    table.loc[table["intervention_type"] == "OEK", "budget_dkk"] = 550.0
    assert save_budgets_for_year(store, 2025, table) == 2
    assert budget_rows(store) == [
        (2024, "OEK", 400.0, 2),
        (2025, "OEK", 550.0, 3),
        (2025, "SI_HJEM", 900.0, 4),
    ]


@pytest.mark.parametrize(
    ("budget", "planned", "message"),
    [
        (-1, None, "SI_HJEM: budgettet skal være 0"),
        ("mange", None, "SI_HJEM: budgettet 'mange' er ikke et tal"),
        (100, 2.5, "SI_HJEM: planlagte sager"),
        (100, -1, "SI_HJEM: planlagte sager"),
        (None, 3, "SI_HJEM: angiv et budget"),
    ],
)
def test_save_budgets_for_year_refuses_and_changes_nothing(store, budget, planned, message):
    set_budgets(store, [[2025, "OEK", 500.0, 3]])
    before = budget_rows(store)
    table = pd.DataFrame(
        {
            "intervention_type": ["OEK", "SI_HJEM"],
            "budget_dkk": pd.Series([None, budget], dtype=object),
            "planned_cases": pd.Series([None, planned], dtype=object),
        }
    )
    with pytest.raises(FrameError, match=message):
        save_budgets_for_year(store, 2025, table)
    assert budget_rows(store) == before


def test_save_budgets_for_year_ends_the_demo(store):
    cur = store.cursor()
    cur.execute("INSERT OR REPLACE INTO meta VALUES ('is_demo', 'true')")
    set_budgets(store, [[2024, "OEK", 1.0, None]], demo=True)
    table = pd.DataFrame({"intervention_type": ["OEK"], "budget_dkk": [2.0]})
    assert save_budgets_for_year(store, 2025, table) == 1
    assert not store.is_demo() and budget_rows(store) == [(2025, "OEK", 2.0, None)]


def test_copy_budgets_scales_and_rounds(store):
    set_budgets(store, [[2025, "OEK", 150.0, 3], [2025, "SI_KONTAKT", 1000.4, None]])
    assert copy_budgets(store, 2025, 2026, factor=1.03) == 2
    assert budget_rows(store)[2:] == [(2026, "OEK", 155.0, 3), (2026, "SI_KONTAKT", 1030.0, None)]
    assert copy_budgets(store, 2025, 2027) == 2  # factor 1 still rounds to whole kroner
    assert budget_rows(store)[-1] == (2027, "SI_KONTAKT", 1000.0, None)


def test_copy_budgets_refusals_and_overwrite(store):
    set_budgets(store, [[2025, "OEK", 100.0, None], [2026, "SI_HJEM", 5.0, None]])
    with pytest.raises(FrameError, match="2026 har allerede budgetter"):
        copy_budgets(store, 2025, 2026, factor=1.1)
    with pytest.raises(FrameError, match="ingen budgetter for 2023"):
        copy_budgets(store, 2023, 2027)
    for factor in (0, -1.0, float("nan")):
        with pytest.raises(FrameError, match="Faktoren"):
            copy_budgets(store, 2025, 2027, factor=factor)
    assert len(budget_rows(store)) == 2
    assert copy_budgets(store, 2025, 2026, factor=1.1, overwrite=True) == 1
    assert budget_rows(store) == [(2025, "OEK", 100.0, None), (2026, "OEK", 110.0, None)]
