"""Budgets: files, budgets per year from the page, copying, bounds, formulas in downloads."""

from __future__ import annotations

import pandas as pd
import pytest

from slcore.budgets import (
    BUDGET_COLUMNS as BUDGET_COLS,
)
from slcore.budgets import (
    budgets_csv,
    budgets_for_year,
    budgets_xlsx,
    copy_budgets,
    import_budgets,
    save_budgets_for_year,
    set_budgets,
)
from slcore.store import open_store
from slcore.values import FrameError
from tests.conftest import write_csv
from tests.test_frames import budget_rows, write_xlsx


@pytest.fixture
def store(tmp_path):
    s = open_store(tmp_path / "bu.duckdb")
    yield s
    s.close()


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
    with pytest.raises(FrameError, match="Linje 2, budget_dkk: -5 er uden for"):
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
    with pytest.raises(FrameError, match="Linje 5, budget_dkk: -1 er uden for"):
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
        (-1, None, r"SI_HJEM, Budget \(kr.\): -1 er uden for"),
        ("mange", None, "SI_HJEM: budgettet 'mange' er ikke et tal"),
        (100, 2.5, "SI_HJEM: planlagte sager skal være et helt tal"),
        (100, -1, "SI_HJEM, Planlagte sager: -1 er uden for"),
        (100, "mange", "SI_HJEM: planlagte sager 'mange' er ikke et tal"),
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


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            {"budget_dkk": "1e308"},
            "Linje 3, budget_dkk: 1e+308 er uden for det tilladte (0-10.000.000.000 kr.).",
        ),
        ({"budget_dkk": "nan"}, "Linje 3, budget_dkk: nan er uden for"),
        ({"budget_dkk": "inf"}, "Linje 3, budget_dkk: inf er uden for"),
        ({"budget_dkk": "10000000001"}, "budget_dkk: 10.000.000.001 er uden for"),
        ({"budget_dkk": -5}, "Linje 3, budget_dkk: -5 er uden for"),
        (
            {"planned_cases": 1_000_001},
            "Linje 3, planned_cases: 1.000.001 er uden for det tilladte (0-1.000.000).",
        ),
        ({"planned_cases": "nan"}, "Linje 3, planned_cases: nan er uden for"),
        ({"planned_cases": "inf"}, "Linje 3, planned_cases: inf er uden for"),
        ({"planned_cases": -1}, "Linje 3, planned_cases: -1 er uden for"),
        ({"planned_cases": "1e308"}, "Linje 3, planned_cases: 1e+308 er uden for"),
        ({"year": "nan"}, "Linje 3, year: nan er uden for det tilladte (1900-2100)."),
        ({"year": "inf"}, "Linje 3, year: inf er uden for"),
        ({"year": 2101}, "Linje 3, year: 2101 er uden for det tilladte (1900-2100)."),
        ({"year": 1899}, "Linje 3, year: 1899 er uden for"),
        ({"year": "1e308"}, "Linje 3, year: 1e+308 er uden for"),
    ],
)
def test_budget_values_out_of_bounds_refuse_the_file(store, tmp_path, values, expected):
    good = {"year": 2025, "intervention_type": "OEK", "budget_dkk": 1}
    bad = {"year": 2025, "intervention_type": "SI_HJEM", "budget_dkk": 1} | values
    with pytest.raises(FrameError) as refused:
        import_budgets(store, write_csv(tmp_path / "b.csv", BUDGET_COLS, [good, bad]))
    assert expected in str(refused.value)
    assert budget_rows(store) == []


def test_budget_values_at_the_bounds_are_accepted(store, tmp_path):
    rows = [
        {"year": 1900, "intervention_type": "OEK", "budget_dkk": 0, "planned_cases": 0},
        {"year": 2100, "intervention_type": "OEK", "budget_dkk": 10**10, "planned_cases": 10**6},
    ]
    assert import_budgets(store, write_csv(tmp_path / "b.csv", BUDGET_COLS, rows)) == 2
    assert budget_rows(store) == [(1900, "OEK", 0.0, 0), (2100, "OEK", 1e10, 1_000_000)]
    table = pd.DataFrame(
        {"intervention_type": ["OEK"], "budget_dkk": [1e10], "planned_cases": [10**6]}
    )
    assert save_budgets_for_year(store, 2100, table) == 1
    assert copy_budgets(store, 2100, 1900, factor=1.0, overwrite=True) == 1
    assert budget_rows(store)[0] == (1900, "OEK", 1e10, 1_000_000)


@pytest.mark.parametrize(
    ("budget", "planned", "expected"),
    [
        (1e11, None, "SI_HJEM, Budget (kr.): 100.000.000.000 er uden for det tilladte"),
        (float("inf"), None, "SI_HJEM, Budget (kr.): inf er uden for"),
        ("1e308", None, "SI_HJEM, Budget (kr.): 1e+308 er uden for"),
        (10**400, None, "SI_HJEM, Budget (kr.): inf er uden for"),
        (100, 2_000_000, "SI_HJEM, Planlagte sager: 2.000.000 er uden for det tilladte"),
        (100, float("inf"), "SI_HJEM, Planlagte sager: inf er uden for"),
    ],
)
def test_budgets_from_the_page_are_checked_against_the_bounds(store, budget, planned, expected):
    set_budgets(store, [[2025, "OEK", 500.0, 3]])
    before = budget_rows(store)
    table = pd.DataFrame(
        {
            "intervention_type": ["OEK", "SI_HJEM"],
            "budget_dkk": pd.Series([None, budget], dtype=object),
            "planned_cases": pd.Series([None, planned], dtype=object),
        }
    )
    with pytest.raises(FrameError) as refused:
        save_budgets_for_year(store, 2025, table)
    assert expected in str(refused.value)
    assert budget_rows(store) == before


def test_copy_budgets_refuses_a_result_out_of_bounds(store):
    set_budgets(store, [[2025, "OEK", 6e9, None], [2025, "SI_HJEM", 100.0, None]])
    for factor in (1e30, 1e300, 2.0):
        with pytest.raises(FrameError, match=r"OEK, Budget \(kr\.\): .* er uden for det tilladte"):
            copy_budgets(store, 2025, 2026, factor=factor)
    with pytest.raises(FrameError, match=r"er ikke gyldigt|uden for det tilladte"):
        copy_budgets(store, 2025, 2101)
    with pytest.raises(FrameError, match="uden for det tilladte"):
        set_budgets(store, [[2026, "OEK", float("inf"), None]])
    assert len(budget_rows(store)) == 2


def test_budgets_csv_defuses_a_formula_like_code(store):
    store.cursor().execute(
        "INSERT INTO intervention_types (code, name_da) VALUES ('=1+1', 'Mærkelig kode')"
    )
    set_budgets(store, [[2025, "=1+1", 5.0, None], [2025, "OEK", 7.0, 2]])
    assert budgets_csv(store).splitlines()[1:] == ["2025,'=1+1,5.0,", "2025,OEK,7.0,2"]


# --- Danish notation, as in extracts (issue 13) ---------------------------------------------


def test_danish_thousands_in_a_budget_file_are_thousands(store, tmp_path):
    p = tmp_path / "budget.csv"
    p.write_bytes(
        (
            "Budget 2025, vedtaget i økonomiudvalget\n"
            "År;Indsatstype;Budget (kr.);Planlagte sager\n"
            "2025;OEK;7.862;1.200\n"
            "2025;SI_HJEM;1.234.567;\n"
            "2025;SI_KONTAKT;1.234,50;3\n"
            "2025;SI_AFLAST;1234.50;\n"
        ).encode("cp1252")
    )
    assert import_budgets(store, p) == 4
    assert budget_rows(store) == [
        (2025, "OEK", 7862.0, 1200),  # was 7.862 kr. before issue 13
        (2025, "SI_AFLAST", 1234.5, None),
        (2025, "SI_HJEM", 1234567.0, None),  # was refused before issue 13
        (2025, "SI_KONTAKT", 1234.5, 3),
    ]


def test_a_budget_xlsx_with_danish_text_values(store, tmp_path):
    rows = [
        ["Budgetter"],
        [],
        ["År", "Indsatstype", "Budget (kr.)", "Planlagte sager"],
        ["2025", "OEK", "7.862", "1.200"],
        [2025, "SI_HJEM", 1234567.5, 4],
    ]
    assert import_budgets(store, write_xlsx(tmp_path / "b.xlsx", rows)) == 2
    assert budget_rows(store) == [(2025, "OEK", 7862.0, 1200), (2025, "SI_HJEM", 1234567.5, 4)]


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["2025", "OEK", "7.86.2"], "Linje 3, Budget (kr.): '7.86.2' er ikke et tal."),
        (["2025", "OEK", "mange"], "Linje 3, Budget (kr.): 'mange' er ikke et tal."),
        (["2025", "OEK", "-1.000"], "Linje 3, Budget (kr.): -1.000 er uden for det tilladte"),
        (["2.025", "OEK", "1"], "Linje 3, År: 2025"),  # 2.025 is 2025: accepted, see below
        (["25", "OEK", "1"], "Linje 3, År: 25 er uden for det tilladte (1900-2100)."),
        (["2025", "OEK", "1", "2,5"], "Linje 3, Planlagte sager: '2,5' skal være et helt tal."),
    ],
)
def test_danish_budget_files_are_refused_with_line_and_column(store, tmp_path, cells, expected):
    p = tmp_path / "b.csv"
    header = "År;Indsatstype;Budget (kr.);Planlagte sager"
    p.write_text(f"{header}\n2025;SI_HJEM;5;\n{';'.join(cells)}\n", encoding="utf-8")
    if cells[0] == "2.025":
        assert import_budgets(store, p) == 2 and budget_rows(store)[0][0] == 2025
        return
    with pytest.raises(FrameError) as refused:
        import_budgets(store, p)
    assert expected in str(refused.value)
    assert budget_rows(store) == []


def test_budgets_with_three_decimals_survive_the_round_trip(store, tmp_path):
    set_budgets(store, [[2025, "OEK", 7.862, None], [2025, "SI_HJEM", 1234567.125, 2]])
    text = budgets_csv(store)
    assert text.splitlines()[1:] == ["2025,OEK,7.8620,", "2025,SI_HJEM,1234567.125,2"]
    again = open_store(tmp_path / "again.duckdb")
    try:
        path = tmp_path / "budgetter.csv"
        path.write_text(text, encoding="utf-8")
        assert import_budgets(again, path) == 2
        assert budgets_csv(again) == text
        assert import_budgets(again, budgets_xlsx(store)) == 2
        assert budgets_csv(again) == text
    finally:
        again.close()


def test_budgets_typed_in_the_page_are_read_as_a_file_is(store):
    table = pd.DataFrame(
        {
            "intervention_type": ["OEK", "SI_HJEM"],
            "budget_dkk": ["1.234.567", "7.862"],
            "planned_cases": ["1.200", None],
        }
    )
    assert save_budgets_for_year(store, 2025, table) == 2
    assert budget_rows(store) == [(2025, "OEK", 1234567.0, 1200), (2025, "SI_HJEM", 7862.0, None)]


def test_table_total_skips_empty_cells():
    from slcore.budgets import table_total

    table = pd.DataFrame({"budget_dkk": [1000.0, None, "2500"]})
    assert table_total(table) == 3500.0
    assert table_total(pd.DataFrame({"budget_dkk": []})) == 0.0
