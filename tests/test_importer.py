"""The canonical import path: validation with one reason per row, batches, upsert, replace, undo."""

from __future__ import annotations

import datetime as dt

import pytest

from slcore.importer import ImportRefused, import_file
from slcore.store import open_store
from tests.conftest import CANONICAL_HEADER, SAMPLES, registration, write_csv


@pytest.fixture
def store(tmp_path):
    s = open_store(tmp_path / "imp.duckdb")
    yield s
    s.close()


def snapshot(store):
    return (
        store.cursor()
        .execute("SELECT * EXCLUDE (batch_id) FROM registrations ORDER BY registration_id")
        .fetchall()
    )


def test_every_row_is_imported_or_rejected_with_line_column_reason(store, tmp_path):
    rows = [
        registration("OK1", cost_amount="1.234,50", start_date="01-02-2025"),
        registration("", cost_amount="1"),
        registration("BADDATE", start_date="31-02-2025"),
        registration("ENDBEFORE", start_date="2025-05-01", end_date="2025-04-01"),
        registration("NEG", cost_amount="-1"),
        registration("UNKNOWN", intervention_type="Svømmeundervisning"),
        registration("HOUR", cost_period="hour", cost_amount="300"),
        registration("DUP", cost_amount="1"),
        registration("DUP", cost_amount="2"),
        registration("SAME", cost_amount="1"),
        registration("SAME", cost_amount="1"),
        registration(
            "DANISH",
            intervention_type="Fast kontaktperson",
            cost_period="pr. måned",
            committee_approved="Ja",
            extent="3,5",
            extent_unit="timer/uge",
        ),
    ]
    result = import_file(store, write_csv(tmp_path / "f.csv", CANONICAL_HEADER, rows))
    by_line = {r["line_no"]: r for r in result.rejections}
    # The column as the file names it (this file has the canonical header).
    assert by_line[3]["column_name"] == "registration_id"
    assert by_line[4]["column_name"] == "start_date" and "forstås" in by_line[4]["reason"]
    assert by_line[5]["reason"] == "Slutdatoen ligger før startdatoen."
    assert by_line[6]["reason"] == "Prisen må ikke være negativ."
    assert (
        by_line[7]["value"] == "Svømmeundervisning" and "Ukendt indsatstype" in by_line[7]["reason"]
    )
    assert "timer pr. uge" in by_line[8]["reason"]
    assert {9, 10} <= set(by_line) and "flere gange" in by_line[9]["reason"]
    assert result.rejected == 8
    assert result.inserted == 3  # OK1, SAME (once), DANISH
    assert result.inserted + result.rejected + result.unchanged == result.rows_read == 12
    cur = store.cursor()
    assert cur.execute(
        "SELECT cost_amount, start_date FROM registrations WHERE registration_id = 'OK1'"
    ).fetchone() == (1234.5, dt.date(2025, 2, 1))
    assert cur.execute(
        "SELECT intervention_type, cost_period, committee_approved, extent, "
        "extent_unit FROM registrations WHERE registration_id = 'DANISH'"
    ).fetchone() == ("SI_KONTAKT", "month", True, 3.5, "hours_per_week")
    stored = cur.execute(
        "SELECT count(*) FROM rejected_rows WHERE batch_id = ?", [result.batch_id]
    ).fetchone()[0]
    assert stored == 8


def test_birth_date_is_stored_as_first_of_month(store, tmp_path):
    import_file(
        store,
        write_csv(
            tmp_path / "b.csv", CANONICAL_HEADER, [registration("A", birth_date="2012-07-23")]
        ),
    )
    assert store.cursor().execute("SELECT birth_date FROM registrations").fetchone()[0] == (
        dt.date(2012, 7, 1)
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "er tom"),
        (
            b"registration_id,citizen_id,intervention_type,start_date,cost_amount,cost_period\n",
            "ingen rækker",
        ),
        (b"registration_id,intervention_type\nA,OEK\n", "mangler en påkrævet kolonne"),
        (
            b"registration_id,citizen_id,intervention_type,start_date,cost_amount,cost_period\n"
            b"A,C,Ukendt,2025-01-01,1,day\n",
            "Alle 1 rækker",
        ),
    ],
)
def test_refused_files_leave_the_store_unchanged(store, tmp_path, content, message):
    import_file(store, SAMPLES / "registrations_canonical.csv")
    before = snapshot(store)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    with pytest.raises(ImportRefused, match=message):
        import_file(store, bad)
    assert snapshot(store) == before
    assert store.cursor().execute("SELECT count(*) FROM import_batches").fetchone()[0] == 1


def test_strict_refuses_file_with_rejections(store, tmp_path):
    f = write_csv(
        tmp_path / "s.csv",
        CANONICAL_HEADER,
        [registration("A"), registration("B", cost_amount="x")],
    )
    with pytest.raises(ImportRefused, match="--strict"):
        import_file(store, f, strict=True)
    assert snapshot(store) == []


def test_size_limit(store, tmp_path):
    f = write_csv(tmp_path / "big.csv", CANONICAL_HEADER, [registration("A")])
    with pytest.raises(ImportRefused, match="for stor"):
        import_file(store, f, max_bytes=10)


# --- plausibility (issue 11) -----------------------------------------------------------------


def reasons(result) -> dict[str, tuple[str, str]]:
    """Return registration id -> (column, reason) of the rejected rows, by line."""
    return {r["line_no"]: (r["column_name"], r["reason"]) for r in result.rejections}


def test_nan_infinite_and_absurd_prices_are_rejected_not_summed(store, tmp_path):
    rows = [registration("OK", cost_amount="1000", cost_period="month")]
    rows += [
        registration(f"P{i}", cost_amount=v, cost_period="month")
        for i, v in enumerate(["NaN", "nan", "inf", "-Infinity", "1e308", "1e15", "1e400"])
    ]
    result = import_file(store, write_csv(tmp_path / "p.csv", CANONICAL_HEADER, rows))
    assert result.inserted == 1 and result.rejected == 7
    got = reasons(result)
    assert got[3] == ("cost_amount", "Prisen er ikke et tal.")  # NaN
    assert got[5] == ("cost_amount", "Prisen er ikke et tal.")  # inf
    assert got[7][1].startswith("Prisen er urimeligt høj: over 3.000.000 kr. pr. måned")
    assert got[8][1].startswith("Prisen er urimeligt høj")  # 1e15
    assert got[9][1] == "Prisen er ikke et tal."  # 1e400 overflows to infinity
    # The one good row's spend is what the key figures show, not 0 or NaN.
    from slcore.figures import key_figures
    from slcore.periods import Period

    period = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31), dt.date(2025, 12, 31))
    spend = key_figures(store, period)["realized_spend_dkk"].iloc[0]
    assert spend == pytest.approx(12 * 1000)


def test_prices_and_extents_at_the_bounds_are_kept(store, tmp_path):
    rows = [
        registration("D", cost_amount="100.000", cost_period="pr. døgn"),
        registration("D+", cost_amount="100.001", cost_period="pr. døgn"),
        registration(
            "H", extent="168", extent_unit="timer/uge", cost_amount="1", cost_period="hour"
        ),
        registration(
            "H+", extent="200", extent_unit="timer/uge", cost_amount="1", cost_period="hour"
        ),
        registration("M+", extent="32", extent_unit="dage/måned"),
        registration("X+", extent="169"),
    ]
    result = import_file(store, write_csv(tmp_path / "b.csv", CANONICAL_HEADER, rows))
    got = reasons(result)
    assert result.inserted == 2
    assert got[3] == (
        "cost_amount",
        "Prisen er urimeligt høj: over 100.000 kr. pr. døgn. Tjek beløb og prisenhed.",
    )
    assert got[5] == ("extent", "Omfanget er for stort: højst 168 timer pr. uge.")
    assert got[6] == ("extent", "Omfanget er for stort: højst 31 dage pr. måned.")
    assert got[7] == ("extent", "Omfanget er for stort: højst 168.")


def test_two_digit_and_implausible_years_are_rejected_with_a_reason(store, tmp_path):
    rows = [
        registration("A", start_date="25-01-22"),  # was stored as the year 0022
        registration("B", start_date="25.01.22"),
        registration("C", start_date="0001-01-01"),
        registration("D", start_date="01-01-9999"),
        registration("E", start_date="01-01-2025", end_date="31-12-9999"),  # open end
        registration("F", start_date="01-01-2025", end_date="01-01-2200"),
        registration("G", birth_date="1899-12-31", start_date="01-01-2025"),
        registration("H", start_date="01-01-2025", decision_date="1-1-25"),
        registration("I", birth_date="2090-01-01", start_date="01-01-2100"),
    ]
    result = import_file(store, write_csv(tmp_path / "y.csv", CANONICAL_HEADER, rows))
    got = reasons(result)
    two_digits = "Året skal skrives med fire cifre (fx 22-01-2025, ikke 22-01-25)."
    out_of_range = "Datoen ligger uden for årene 1900-2100; tjek årstallet."
    assert got[2] == ("start_date", two_digits)
    assert got[3] == ("start_date", two_digits)
    assert got[4] == ("start_date", out_of_range)
    assert got[5] == ("start_date", out_of_range)
    assert 6 not in got  # 31-12-9999: the case system's "no end"
    assert got[7] == ("end_date", out_of_range)
    assert got[8] == ("birth_date", out_of_range)
    assert got[9] == ("decision_date", two_digits)
    assert 10 not in got, got[10]
    kept = dict(
        store.cursor()
        .execute("SELECT registration_id, end_date FROM registrations ORDER BY 1")
        .fetchall()
    )
    assert kept == {"E": None, "I": None}


def test_ages_outside_0_to_30_are_rejected(store, tmp_path):
    header = ("registration_id", "citizen_id", "age_at_start", "intervention_type",
              "start_date", "cost_amount", "cost_period")  # fmt: skip
    rows = [
        {
            "registration_id": rid,
            "citizen_id": "C",
            "age_at_start": age,
            "intervention_type": "SI_KONTAKT",
            "start_date": "2025-01-01",
            "cost_amount": "1",
            "cost_period": "day",
        }
        for rid, age in [("A0", "0"), ("A30", "30"), ("A31", "31"), ("A200", "200"), ("N", "-1")]
    ]
    result = import_file(store, write_csv(tmp_path / "a.csv", header, rows))
    got = reasons(result)
    assert result.inserted == 2
    assert set(got) == {4, 5, 6}
    assert got[5] == ("age_at_start", "Alderen skal være et helt tal fra 0 til 30.")


# --- replace (issue 11) ----------------------------------------------------------------------


def test_inspection_tells_how_many_a_replace_would_remove(store, tmp_path):
    from slcore.importer import inspect_file

    rows = [registration(f"R{i:02d}", cost_amount="5") for i in range(10)]
    import_file(store, write_csv(tmp_path / "a.csv", CANONICAL_HEADER, rows))
    ins = inspect_file(store, write_csv(tmp_path / "b.csv", CANONICAL_HEADER, rows[:4]))
    assert (ins.replace_removal.removed, ins.replace_removal.current) == (6, 10)
    assert ins.replace_removal.needs_confirmation


# --- resources (issue 11) --------------------------------------------------------------------


def test_thousands_of_unknown_type_names_are_refused_at_once(store, tmp_path):
    rows = [registration(f"R{i}", intervention_type=f"Ukendt {i}") for i in range(600)]
    path = write_csv(tmp_path / "u.csv", CANONICAL_HEADER, rows)
    with pytest.raises(ImportRefused, match="600 forskellige ukendte indsatstyper"):
        import_file(store, path)
    assert snapshot(store) == []
    # 500 are still offered for mapping.
    from slcore.importer import inspect_file

    ins = inspect_file(store, write_csv(tmp_path / "v.csv", CANONICAL_HEADER, rows[:500]))
    assert len(ins.unknown_types) == 500


def test_staging_tables_are_dropped_after_inspect_and_import(store, tmp_path):
    from slcore.importer import inspect_file

    path = write_csv(tmp_path / "a.csv", CANONICAL_HEADER, [registration("A")])
    inspect_file(store, path)
    import_file(store, path)
    temp = (
        store.cursor().execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()
    )
    assert temp == []


# --- values that repeat (issue 14: each distinct text is parsed once) -------------------------


def stored(store, columns: str) -> dict[str, tuple]:
    rows = store.cursor().execute(f"SELECT registration_id, {columns} FROM registrations")
    return {r[0]: r[1:] for r in rows.fetchall()}


def test_a_text_written_with_spaces_or_empty_parses_as_written_without(store, tmp_path):
    # Each distinct raw text is trimmed and parsed once: " Ja" and "Ja " are two texts of one
    # value, and a cell of spaces is empty like an empty cell.
    plain = {
        "intervention_type": "Fast kontaktperson",
        "start_date": "01-02-2025",
        "end_date": "31.12.2025",
        "extent": "3,5",
        "extent_unit": "timer/uge",
        "cost_amount": "1.234,50",
        "cost_period": "pr. måned",
        "committee_approved": "Ja",
        "team": "Team Nord",
    }
    padded = {k: f"  {v} " for k, v in plain.items()}
    empty = {"end_date": "   ", "extent": " ", "extent_unit": "", "committee_approved": "  "}
    rows = [
        registration("PLAIN", **plain),
        registration("PADDED", **padded),
        registration("EMPTY", **{**plain, **empty}),
    ]
    result = import_file(store, write_csv(tmp_path / "s.csv", CANONICAL_HEADER, rows))
    assert (result.inserted, result.rejected) == (3, 0)
    cols = (
        "intervention_type, start_date, end_date, extent, extent_unit, cost_amount, "
        "cost_period, committee_approved, team"
    )
    got = stored(store, cols)
    assert (
        got["PADDED"]
        == got["PLAIN"]
        == (
            "SI_KONTAKT",
            dt.date(2025, 2, 1),
            dt.date(2025, 12, 31),
            3.5,
            "hours_per_week",
            1234.5,
            "month",
            True,
            "Team Nord",
        )
    )
    assert got["EMPTY"] == ("SI_KONTAKT", dt.date(2025, 2, 1), None, None, None, 1234.5,
                            "month", False, "Team Nord")  # fmt: skip


def test_one_cpr_number_in_either_column_and_spelling_gets_one_pseudonym(store, tmp_path):
    header = ("registration_id", "cpr", "citizen_id", "birth_date", "intervention_type",
              "start_date", "cost_amount", "cost_period")  # fmt: skip
    base = {"intervention_type": "SI_KONTAKT", "start_date": "2025-01-01", "cost_amount": "1",
            "cost_period": "day"}  # fmt: skip
    rows = [
        {"registration_id": "A", "cpr": "170421-9462", **base},
        {"registration_id": "B", "cpr": " 1704219462", **base},
        {"registration_id": "C", "citizen_id": "170421-9462", "birth_date": "2021-04-17", **base},
        {"registration_id": "D", "citizen_id": "Barn 7", "birth_date": "2015-06-30", **base},
        {"registration_id": "E", "citizen_id": "Barn 7 170421-9462", "birth_date": "2015", **base},
        {"registration_id": "F", "cpr": "310299-4321", **base},
    ]
    result = import_file(store, write_csv(tmp_path / "c.csv", header, rows))
    got = stored(store, "citizen_id, birth_date")
    assert got["A"] == got["B"] and got["A"][1] == dt.date(2021, 4, 1)
    assert got["C"] == got["A"]  # the birth month from the CPR number and the file agree
    assert got["D"] == ("Barn 7", dt.date(2015, 6, 1))
    assert got["A"][0].startswith("P") and "9462" not in str(got)
    assert {r["registration_id"]: r["column_name"] for r in result.rejections} == {
        "E": "citizen_id",
        "F": "cpr",
    }


def test_repeated_ids_are_compared_after_trimming(store, tmp_path):
    # Ids that occur more than once take the exact path: compared by content after trimming.
    rows = [
        registration("R1", cost_amount="5"),
        registration(" R1 ", citizen_id="C-R1", cost_amount="5"),  # the same again: unchanged
        registration("R2", cost_amount="5"),
        registration("R2  ", citizen_id="C-R2", cost_amount="6"),  # other content: both out
        registration("R3", cost_amount="x"),  # rejected on its own
    ]
    result = import_file(store, write_csv(tmp_path / "d.csv", CANONICAL_HEADER, rows))
    assert (result.inserted, result.unchanged, result.rejected) == (1, 1, 3)
    assert set(stored(store, "cost_amount")) == {"R1"}
    assert {r["line_no"]: r["column_name"] for r in result.rejections} == {
        4: "registration_id",
        5: "registration_id",
        6: "cost_amount",
    }
