"""Frames: validation, versions, replacement, XLSX, bounds; files of frames and budgets alike."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import zipfile

import numpy as np
import pandas as pd
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from slcore.budgets import BUDGET_COLUMNS as BUDGET_COLS
from slcore.budgets import budgets_xlsx, import_budgets, set_budgets
from slcore.export import defuse
from slcore.frames import (
    FRAME_COLUMNS,
    FRAME_LABELS,
    FrameError,
    add_frames,
    compare_versions,
    frame_versions,
    frames_csv,
    frames_on,
    frames_xlsx,
    import_frames,
    save_frame_version,
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
        ({"age_max": 31}, r"Linje 3, age_max: 31 er uden for det tilladte \(0-30 år\)"),
        ({"max_extent": 0}, "max_extent: 0 er uden for"),
        ({"max_monthly_cost": -1}, "max_monthly_cost: -1 er uden for"),
        ({"extent_unit": "timer"}, "omfangsenhed"),
        ({"intervention_type": "NOPE"}, "ukendt indsatstype"),
        ({"valid_from": "31-13-2025"}, "kunne ikke forstås"),  # 01-01-2025 is a date now
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
    base = dict.fromkeys(COLS) | {
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


# --- frame versions from a page ------------------------------------------------------------

D2020, D2025 = dt.date(2020, 1, 1), dt.date(2025, 1, 1)


def frame(**values: object) -> dict[str, object]:
    """Return a frame with only a monthly price as limit, changed by values."""
    base: dict[str, object] = dict.fromkeys(COLS)
    base |= {"intervention_type": "OEK", "valid_from": D2020, "max_monthly_cost": 1000.0}
    return base | values


def budget_rows(store) -> list[tuple]:
    sql = "SELECT year, intervention_type, budget_dkk, planned_cases FROM budgets ORDER BY ALL"
    return store.cursor().execute(sql).fetchall()


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
        ({"max_monthly_cost": -5}, "Højeste pris pr. måned .*: -5 er uden for"),
        ({"age_min": 10, "age_max": 5}, "mindste alder"),
        ({"age_max": 40}, r"Alder til: 40 er uden for det tilladte \(0-30 år\)"),
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
    add_frames(
        store, [frame(intervention_type="SI_KONTAKT")], demo=True
    )  # the one demo flag (issue 13)
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


# --- plausibility bounds -------------------------------------------------------------------


def refused_file(store, tmp_path, values: dict[str, object]) -> str:
    """Import a frames file whose line 3 holds values; return the refusal, store unchanged."""
    good = {"intervention_type": "OEK", "valid_from": "2020-01-01", "max_monthly_cost": 100}
    bad = {"intervention_type": "OEK", "valid_from": "2021-01-01", "max_monthly_cost": 100}
    with pytest.raises(FrameError) as refused:
        import_frames(store, write_csv(tmp_path / "f.csv", COLS, [good, bad | values]))
    assert frame_rows(store) == []
    return str(refused.value)


def test_a_huge_duration_is_refused_with_line_column_and_range(store, tmp_path):
    message = refused_file(store, tmp_path, {"max_duration_months": "1e9"})
    assert message == (
        "Linje 3, max_duration_months: 1.000.000.000 er uden for det tilladte (1-360 måneder)."
    )


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"max_duration_months": 361}, "max_duration_months: 361 er uden for det tilladte"),
        ({"max_duration_months": 0}, "(1-360 måneder)"),
        ({"max_duration_months": "nan"}, "max_duration_months: nan er uden for"),
        ({"max_duration_months": "inf"}, "max_duration_months: inf er uden for"),
        ({"max_duration_months": "-inf"}, "max_duration_months: -inf er uden for"),
        ({"max_duration_months": "1e400"}, "max_duration_months: inf er uden for"),
        ({"max_duration_months": "1e308"}, "max_duration_months: 1e+308 er uden for"),
        ({"max_duration_months": "9" * 40}, "max_duration_months: 1e+40 er uden for"),
        ({"age_min": "nan"}, "Linje 3, age_min: nan er uden for det tilladte (0-30 år)."),
        ({"age_max": "inf"}, "Linje 3, age_max: inf er uden for det tilladte (0-30 år)."),
        ({"age_max": 31}, "Linje 3, age_max: 31 er uden for det tilladte (0-30 år)."),
        ({"age_min": -1}, "Linje 3, age_min: -1 er uden for det tilladte (0-30 år)."),
        (
            {"max_monthly_cost": "3000000,5"},
            "Linje 3, max_monthly_cost: 3.000.000,5 er uden for det tilladte "
            "(over 0 og højst 3.000.000 kr. pr. måned).",
        ),
        ({"max_monthly_cost": "nan"}, "max_monthly_cost: nan er uden for"),
        ({"max_monthly_cost": "1e308"}, "max_monthly_cost: 1e+308 er uden for"),
        ({"max_monthly_cost": "-inf"}, "max_monthly_cost: -inf er uden for"),
        ({"max_monthly_cost": 0}, "max_monthly_cost: 0 er uden for"),
        (
            {"max_extent": "168,5", "extent_unit": "hours_per_week"},
            "Linje 3, max_extent: 168,5 er uden for det tilladte "
            "(over 0 og højst 168 timer pr. uge).",
        ),
        (
            {"max_extent": 32, "extent_unit": "days_per_month"},
            "(over 0 og højst 31 dage pr. måned)",
        ),
        (
            {"max_extent": 32, "extent_unit": "nights_per_month"},
            "(over 0 og højst 31 døgn pr. måned)",
        ),
        ({"max_extent": "1,5", "extent_unit": "full_time"}, "(over 0 og højst 1 fuld tid)"),
        ({"max_extent": 169}, "max_extent: 169 er uden for det tilladte (over 0 og højst 168)."),
        ({"max_extent": "nan", "extent_unit": "hours_per_week"}, "max_extent: nan er uden"),
        (
            {"valid_from": "2101-01-01"},
            "Linje 3, valid_from: 01-01-2101 er uden for det tilladte (år 1900-2100).",
        ),
        ({"valid_from": "1899-12-31"}, "valid_from: 31-12-1899 er uden for"),
        ({"valid_from": "0025-01-01"}, "valid_from: 01-01-0025 er uden for"),
        ({"valid_from": "9999-12-31"}, "valid_from: 31-12-9999 er uden for"),
    ],
)
def test_frame_values_out_of_bounds_refuse_the_file(store, tmp_path, values, expected):
    assert expected in refused_file(store, tmp_path, values)


def test_a_refused_frame_file_leaves_the_figures_working(sample_copy, tmp_path):
    from slcore.figures import key_figures
    from slcore.periods import Period

    store = open_store(sample_copy)
    try:
        period = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31), dt.date(2025, 9, 30))
        before = key_figures(store, period, ("intervention_type",))
        frames_before = frames_csv(store)
        bad = [{"intervention_type": "OEK", "valid_from": "2021-01-01", "max_duration_months": 1e9}]
        with pytest.raises(FrameError, match="Linje 2, max_duration_months"):
            import_frames(store, write_csv(tmp_path / "f.csv", COLS, bad))
        assert frames_csv(store) == frames_before
        pd.testing.assert_frame_equal(key_figures(store, period, ("intervention_type",)), before)
    finally:
        store.close()


def test_frame_values_at_the_bounds_are_accepted(store, tmp_path):
    rows = [
        {
            "intervention_type": "OEK",
            "valid_from": "1900-01-01",
            "age_min": 0,
            "age_max": 30,
            "max_duration_months": 1,
            "max_monthly_cost": 3_000_000,
        },
        {
            "intervention_type": "OEK",
            "valid_from": "2100-12-31",
            "age_min": 30,
            "age_max": 30,
            "max_duration_months": 360,
            "max_monthly_cost": "0,01",
        },
        {
            "intervention_type": "SI_HJEM",
            "valid_from": "2025-01-01",
            "max_extent": 168,
            "extent_unit": "hours_per_week",
        },
        {
            "intervention_type": "SI_AFLAST",
            "valid_from": "2025-01-01",
            "max_extent": 31,
            "extent_unit": "nights_per_month",
        },
        {
            "intervention_type": "SI_DAG",
            "valid_from": "2025-01-01",
            "max_extent": 31,
            "extent_unit": "days_per_month",
        },
        {
            "intervention_type": "SI_KONTAKT",
            "valid_from": "2025-01-01",
            "max_extent": 1,
            "extent_unit": "full_time",
        },
        {"intervention_type": "SI_BEHANDL", "valid_from": "2025-01-01", "max_extent": 168},
    ]
    assert import_frames(store, write_csv(tmp_path / "f.csv", COLS, rows)) == 7
    save_frame_version(store, frame(valid_from=dt.date(2100, 12, 31), max_duration_months=360))
    save_frame_version(store, frame(valid_from=dt.date(1900, 1, 1), max_monthly_cost=3e6))


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            {"max_duration_months": 10**9},
            "Længste varighed (måneder): 1.000.000.000 er uden for det tilladte (1-360 måneder).",
        ),
        ({"max_duration_months": 10**400}, "Længste varighed (måneder): inf er uden for"),
        ({"max_duration_months": float("inf")}, "Længste varighed (måneder): inf er uden for"),
        ({"max_duration_months": "1e308"}, "Længste varighed (måneder): 1e+308 er uden for"),
        ({"max_monthly_cost": "inf"}, "Højeste pris pr. måned (kr.): inf er uden for"),
        ({"max_monthly_cost": "nan"}, "Højeste pris pr. måned (kr.): nan er uden for"),
        ({"max_monthly_cost": 3_000_001.0}, "(over 0 og højst 3.000.000 kr. pr. måned)"),
        ({"max_monthly_cost": -5}, "Højeste pris pr. måned (kr.): -5 er uden for"),
        (
            {"max_extent": 200, "extent_unit": "hours_per_week"},
            "Højeste omfang: 200 er uden for det tilladte (over 0 og højst 168 timer pr. uge).",
        ),
        ({"age_max": 31}, "Alder til: 31 er uden for det tilladte (0-30 år)."),
        (
            {"valid_from": dt.date(2101, 1, 1)},
            "Gælder fra: 01-01-2101 er uden for det tilladte (år 1900-2100).",
        ),
    ],
)
def test_a_frame_from_the_page_is_checked_against_the_bounds(store, values, expected):
    add_frames(store, [frame()])
    with pytest.raises(FrameError) as refused:
        save_frame_version(store, frame(**({"valid_from": D2025} | values)))
    assert expected in str(refused.value)
    assert len(frame_rows(store)) == 1


def test_add_frames_checks_the_bounds_too(store):
    with pytest.raises(FrameError, match=r"max_duration_months|Længste varighed"):
        add_frames(store, [frame(max_duration_months=10**9)])
    with pytest.raises(FrameError, match="uden for det tilladte"):
        add_frames(store, [frame(), frame(age_min=float("nan"))])
    assert frame_rows(store) == []


# --- hostile numbers and dates never raise anything but FrameError --------------------------

HOSTILE = [
    "nan", "NaN", "-nan", "inf", "-inf", "Infinity", "1e308", "-1e308", "1e400", "1e-400",
    "9" * 400, "-" + "9" * 400, "1_000", "0x10", "1,2,3", "1.2.3", "١٢", "--1", "+-1", "1e",
    ",", ".", "e", "'=1+1", "\x00", "٫", "½", "1" * 5000,
]  # fmt: skip


@pytest.mark.parametrize("value", HOSTILE, ids=lambda v: repr(v)[:12])
def test_hostile_values_give_a_frame_error_or_pass_the_bounds(store, tmp_path, value):
    for column in (*_FRAME_NUMBERS, "valid_from"):
        row = {"intervention_type": "OEK", "valid_from": "2025-01-01", "max_monthly_cost": 1}
        row |= {column: value, "extent_unit": "hours_per_week" if column == "max_extent" else ""}
        with contextlib.suppress(FrameError):
            import_frames(store, write_csv(tmp_path / "f.csv", COLS, [row]))
    for column in ("year", "budget_dkk", "planned_cases"):
        row = {"year": 2025, "intervention_type": "OEK", "budget_dkk": 1} | {column: value}
        with contextlib.suppress(FrameError):
            import_budgets(store, write_csv(tmp_path / "b.csv", BUDGET_COLS, [row]))
    stored = store.cursor().execute("SELECT * FROM frames_current").fetchall()
    for r in stored:
        assert r[3] is None or 0 <= r[3] <= 30  # age_min
    assert all(0 <= b[2] <= 1e10 for b in budget_rows(store))


_FRAME_NUMBERS = ("age_min", "age_max", "max_extent", "max_duration_months", "max_monthly_cost")


@pytest.mark.parametrize(
    "raw",
    [
        b"intervention_type,valid_from,max_monthly_cost\rOEK,2025-01-01,5\r",  # old Mac endings
        b'intervention_type,valid_from,max_monthly_cost\nOEK,2025-01-01,"' + b"x" * 200_000,
        b"intervention_type,valid_from,max_monthly_cost\nOEK,2025-01-01,5\x00\n",
        b"\x00\x01\x02",
        b"",
    ],
    ids=["cr", "long-field", "nul", "binary", "empty"],
)
def test_odd_csv_bytes_give_a_frame_error_or_import(store, tmp_path, raw):
    path = tmp_path / "odd.csv"
    path.write_bytes(raw)
    try:
        import_frames(store, path)
    except FrameError as exc:
        assert str(exc)


def test_xlsx_with_huge_numbers_is_refused(store, tmp_path):
    rows = [list(COLS), ["OEK", dt.date(2025, 1, 1), None, None, None, None, 1e308, None]]
    with pytest.raises(FrameError, match="Linje 2, max_duration_months: 1e\\+308 er uden for"):
        import_frames(store, write_xlsx(tmp_path / "f.xlsx", rows))
    rows = [list(BUDGET_COLS), [2025, "OEK", 1e300, None]]
    with pytest.raises(FrameError, match="Linje 2, budget_dkk: 1e\\+300 er uden for"):
        import_budgets(store, write_xlsx(tmp_path / "b.xlsx", rows))


# --- formulas in downloads -----------------------------------------------------------------

FORMULAS = [
    '=HYPERLINK("http://x","klik")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    " =1+1",
    "'=1+1",
    "''@x",
    "'almindelig tekst",
    "Tekst med = og - inde i",
]


def test_frames_csv_defuses_formulas_and_imports_back_to_the_same_text(store, tmp_path):
    add_frames(
        store,
        [frame(valid_from=dt.date(2020, 1, i + 1), description=d) for i, d in enumerate(FORMULAS)],
    )
    text = frames_csv(store)
    cells = [r[-1] for r in csv.reader(io.StringIO(text))][1:]
    assert cells == [defuse(d) for d in FORMULAS]
    assert cells[0] == "'" + FORMULAS[0] and cells[3] == "'@SUM(A1:A9)"
    assert cells[5] == "''=1+1" and cells[7] == "'almindelig tekst"
    assert not any(c.lstrip().startswith(("=", "+", "-", "@")) for c in cells)
    path = tmp_path / "rammer.csv"
    path.write_text(text, encoding="utf-8")
    again = open_store(tmp_path / "again.duckdb")
    try:
        assert import_frames(again, path) == len(FORMULAS)
        stored = again.cursor().execute("SELECT description FROM frames ORDER BY valid_from")
        assert [r[0] for r in stored.fetchall()] == FORMULAS  # exactly, leading space too
        assert frames_csv(again) == text
    finally:
        again.close()


def test_frames_and_budgets_xlsx_keep_formulas_as_text(store, tmp_path):
    add_frames(
        store,
        [frame(valid_from=dt.date(2020, 1, i + 1), description=d) for i, d in enumerate(FORMULAS)],
    )
    raw = frames_xlsx(store)
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet
    rows = CalamineWorkbook.from_filelike(io.BytesIO(raw)).get_sheet_by_index(0).to_python()
    assert [r[-1] for r in rows[1:]] == FORMULAS  # the very text, kept text by the quote prefix
    store.cursor().execute("INSERT INTO intervention_types (code) VALUES ('@X')")
    set_budgets(store, [[2025, "@X", 5.0, None]])
    raw = budgets_xlsx(store)
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        assert "<f>" not in z.read("xl/worksheets/sheet1.xml").decode()
    rows = CalamineWorkbook.from_filelike(io.BytesIO(raw)).get_sheet_by_index(0).to_python()
    assert rows[1][:3] == [2025.0, "@X", 5.0]


# --- sources: a path, an upload or bytes ------------------------------------------------------


def test_frames_and_budgets_are_read_from_bytes_and_uploads(store, tmp_path):
    raw = (SAMPLES / "serviceniveau_frames.csv").read_bytes()
    assert import_frames(store, raw) == 18
    upload = io.BytesIO((SAMPLES / "budgetter.csv").read_bytes())
    upload.name = "budgetter.csv"
    upload.read()  # a position at the end does not matter
    assert import_budgets(store, upload) == 47
    other = open_store(tmp_path / "other.duckdb")
    try:
        assert import_frames(other, io.BytesIO(frames_xlsx(store))) == 18
        assert frames_csv(other) == frames_csv(store)
        assert import_budgets(other, budgets_xlsx(store)) == 47
    finally:
        other.close()
    # The extracts' reader words it (issue 13): neither UTF-8 nor Windows-1252.
    with pytest.raises(FrameError, match="Filen uden navn er hverken UTF-8 eller Windows-1252"):
        import_frames(store, "\ufffe".encode("utf-16") * 3 + b"\xff\xfe\x81")
    bad = io.BytesIO(b"PK\x03\x04 not a zip")
    bad.name = "rammer.xlsx"
    with pytest.raises(FrameError, match=r"rammer\.xlsx"):
        import_frames(store, bad)
    with pytest.raises(FrameError, match=r"Filen findesikke\.csv kan ikke åbnes"):
        import_budgets(store, tmp_path / "findesikke.csv")


def test_an_unreadable_csv_row_is_named_by_its_first_line(store):
    head = b"intervention_type,valid_from,max_monthly_cost\nOEK,2025-01-01,5\n"
    # The extracts' reader words it (issue 13): the quote that is never closed, by its line.
    with pytest.raises(FrameError, match=r"^Linje 3 i uden navn har et anførselstegn"):
        import_frames(store, head + b'OEK,2026-01-01,"' + b"x" * 200_000 + b"\n\n")
    assert frame_rows(store) == []


# --- Danish notation, as in extracts (issue 13) ---------------------------------------------


def test_a_danish_frames_csv_is_read_as_an_extract_is(store, tmp_path):
    path = tmp_path / "rammer.csv"
    path.write_bytes(
        (
            "Serviceniveau for børn og unge 2025;;;\n"
            "Indsatstype;Gælder fra;Alder fra;Alder til;Højeste omfang;Omfangsenhed;"
            "Højeste pris pr. måned (kr.);Beskrivelse\n"
            "OEK;01-02-2025;0;17;;;7.862;Økonomisk støtte\n"
            "SI_HJEM;15.03.2025;;;7,5;timer/uge;1.234.567;\n"
            "SI_KONTAKT;01/04/2025;;;;;1.234,50;\n"
            ";;;;;;;\n"
        ).encode("cp1252")
    )
    assert import_frames(store, path) == 3
    rows = store.cursor().execute(
        "SELECT intervention_type, valid_from, age_max, max_extent, extent_unit, "
        "max_monthly_cost, description FROM frames ORDER BY frame_id"
    )
    assert rows.fetchall() == [
        ("OEK", dt.date(2025, 2, 1), 17, None, None, 7862.0, "Økonomisk støtte"),
        ("SI_HJEM", dt.date(2025, 3, 15), None, 7.5, "hours_per_week", 1234567.0, None),
        ("SI_KONTAKT", dt.date(2025, 4, 1), None, None, None, 1234.5, None),
    ]


def test_a_frames_xlsx_with_danish_text_values(store, tmp_path):
    rows = [
        ["Rammer"],
        list(COLS),
        ["OEK", "01-02-2025", None, "17", None, None, None, "7.862", None],
        ["SI_HJEM", "2025-03-01", None, None, "7,5", "timer pr. uge", "12", None, None],
    ]
    assert import_frames(store, write_xlsx(tmp_path / "f.xlsx", rows)) == 2
    on = frames_on(store, dt.date(2025, 6, 1)).set_index("intervention_type")
    assert on.loc["OEK", "max_monthly_cost"] == 7862.0
    assert on.loc["OEK", "valid_from"] == dt.date(2025, 2, 1)
    assert on.loc["SI_HJEM", "extent_unit"] == "hours_per_week"


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            {"Gælder fra": "01-02-25"},
            "Linje 4, Gælder fra: Året skal skrives med fire cifre (fx 22-01-2025, ikke 22-01-25).",
        ),
        ({"Gælder fra": "31-02-2025"}, "Linje 4, Gælder fra: datoen '31-02-2025' kunne ikke"),
        ({"Gælder fra": "februar 2025"}, "Linje 4, Gælder fra: datoen 'februar 2025' kunne"),
        (
            {"Højeste pris pr. måned (kr.)": "1_000"},
            "Linje 4, Højeste pris pr. måned (kr.): '1_000' er ikke et tal.",
        ),
        (
            {"Højeste pris pr. måned (kr.)": "1,2,3"},
            "Linje 4, Højeste pris pr. måned (kr.): '1,2,3' er ikke et tal.",
        ),
        (
            {"Højeste pris pr. måned (kr.)": "3.000.001"},
            "Linje 4, Højeste pris pr. måned (kr.): 3.000.001 er uden for det tilladte",
        ),
        ({"Alder til": "17,5"}, "Linje 4, Alder til: '17,5' skal være et helt tal."),
        ({"Omfangsenhed": "timer"}, "Linje 4, Omfangsenhed: ukendt omfangsenhed 'timer'"),
    ],
)
def test_danish_frame_files_are_refused_with_line_and_column(
    store, tmp_path, kind, values, expected
):
    header = ["Indsatstype", "Gælder fra", "Alder til", "Omfangsenhed"]
    header.append("Højeste pris pr. måned (kr.)")
    good = {"Indsatstype": "OEK", "Gælder fra": "01-01-2025", "Højeste pris pr. måned (kr.)": "5"}
    bad = good | {"Indsatstype": "SI_HJEM"} | values
    title = ["Rammer fra økonomiafdelingen"]
    if kind == "csv":
        lines = [title, header, *([r.get(h, "") for h in header] for r in (good, bad))]
        path = tmp_path / "f.csv"
        path.write_text("\n".join(";".join(cells) for cells in lines) + "\n", encoding="utf-8")
    else:
        path = write_xlsx(
            tmp_path / "f.xlsx", [title, header, *([r.get(h) for h in header] for r in (good, bad))]
        )
    with pytest.raises(FrameError) as refused:
        import_frames(store, path)
    assert expected in str(refused.value)
    assert frame_rows(store) == []


def test_a_frames_file_without_the_columns_names_what_is_missing(store, tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("Rammer 2025\nIndsatstype;Pris\nOEK;5\n", encoding="utf-8")
    with pytest.raises(FrameError, match=r"Filen f\.csv mangler kolonnen/kolonnerne: valid_from"):
        import_frames(store, path)
    path.write_text("Indsatstype;Højeste omfang\nOEK;5\n", encoding="utf-8")
    with pytest.raises(FrameError, match=r"mangler kolonnen/kolonnerne: valid_from \(Gælder fra\)"):
        import_frames(store, path)


def test_a_price_with_three_decimals_survives_the_round_trip(store, tmp_path):
    add_frames(
        store,
        [
            frame(max_monthly_cost=7.862),
            frame(valid_from=D2025, max_extent=1.125, extent_unit="hours_per_week"),
        ],
    )
    text = frames_csv(store)
    assert "7.8620" in text and "1.1250" in text  # not "7.862": that is 7862 in a Danish file
    again = open_store(tmp_path / "again.duckdb")
    try:
        path = tmp_path / "rammer.csv"
        path.write_text(text, encoding="utf-8")
        assert import_frames(again, path) == 2
        assert frames_csv(again) == text
        assert import_frames(again, frames_xlsx(store)) == 2
        assert frames_csv(again) == text
    finally:
        again.close()


def test_a_price_typed_in_the_page_is_read_as_a_file_is(store):
    save_frame_version(store, frame(max_monthly_cost="7.862"))
    save_frame_version(store, frame(valid_from=D2025, max_monthly_cost="1.234,50"))
    assert frame_versions(store, "OEK")["max_monthly_cost"].tolist() == [7862.0, 1234.5]
