"""Reading extracts as users upload them (registrations.md §1 "Extract formats" and "What bad
input gets"): every format that must be accepted, every file that must be refused as a whole
with one Danish message and the store left exactly as it was, and physical line numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slcore import bounds, importer
from slcore.budgets import import_budgets
from slcore.figures import key_figures
from slcore.frames import import_frames
from slcore.importer import ImportRefused, import_file, inspect_file
from slcore.store import open_store
from tests.conftest import SAMPLES
from tests.test_figures import assert_matches_expected, parse_expected_name

DUBU = SAMPLES / "udtraek_dubu_cp1252.csv"
XLSX = SAMPLES / "registreringer.xlsx"
CANONICAL = SAMPLES / "registrations_canonical.csv"
EXPECTED = sorted(SAMPLES.glob("expected_figures_*.csv"))
D = dt.date
DANISH_HEADER = "Bevillings-id;CPR-nr;Indsatstype;Startdato;Slutdato;Takst;Takstenhed;Leverandør"


@pytest.fixture(autouse=True)
def _fixed_key(monkeypatch):
    monkeypatch.setenv("SLCORE_KEY", "test-reader")


@pytest.fixture
def store(tmp_path):
    s = open_store(tmp_path / "x.duckdb")
    yield s
    s.close()


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    """A store holding the canonical sample; refusal tests check it stays exactly so."""
    # Module scope starts before the autouse key fixture: set the same key here, or the store
    # would remember another key's fingerprint.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SLCORE_KEY", "test-reader")
        s = open_store(tmp_path_factory.mktemp("filled") / "x.duckdb")
        assert import_file(s, CANONICAL).inserted == 600
    yield s
    s.close()


def state(store) -> tuple:
    cur = store.cursor()
    regs = cur.execute("SELECT * FROM registrations ORDER BY registration_id").fetchall()
    # fetchall, not fetchone: a half-read result on the thread's cursor upsets the XLSX
    # reader (see test_xlsx_after_a_half_read_result_on_the_cursor).
    counts = tuple(
        cur.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
        for t in ("import_batches", "registration_history", "rejected_rows", "intervention_aliases")
    )
    return regs, counts


def physical_line(path: Path, marker: bytes) -> int:
    """The 1-based physical line (split on LF) whose bytes contain the marker."""
    hits = [i for i, line in enumerate(path.read_bytes().split(b"\n"), 1) if marker in line]
    assert len(hits) == 1, hits
    return hits[0]


# --- files refused as a whole --------------------------------------------------------------------


def _zip(path: Path, entries: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return path


def _zip_bomb(path: Path) -> Path:
    """A workbook-looking zip holding 64 MB of zeros, written in chunks (about 70 kB)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        chunk = b"\0" * (4 << 20)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            for _ in range(16):
                fh.write(chunk)
    assert path.stat().st_size < 200_000
    return path


def _smallest_bomb(path: Path) -> Path:
    """Just enough zeros that unpacked / packed passes the ratio limit."""
    size = 1000
    while True:
        _zip(path, {"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b"\0" * size})
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
        ratio = sum(i.file_size for i in infos) / sum(i.compress_size for i in infos)
        if ratio > bounds.MAX_XLSX_RATIO:
            return path
        size = int(size * 1.2)


def _text(content: str, encoding: str = "utf-8"):
    return lambda p: (p.write_bytes(content.encode(encoding)), p)[1]


def _bytes(content: bytes):
    return lambda p: (p.write_bytes(content), p)[1]


def _header_only_xlsx(path: Path) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Ark1")
    for j, h in enumerate(DANISH_HEADER.split(";")):
        ws.write(0, j, h)
    wb.close()
    return path


ROW = "A1;170421-9462;Familiebehandling;01-03-2024;;500;pr. måned;Kommunal"

REFUSALS = [
    # (id, file name, writer, import_file keyword arguments, message pattern)
    ("empty", "tom.csv", _bytes(b""), {}, r"Filen tom\.csv er tom\."),
    ("empty-xlsx", "tom.xlsx", _bytes(b""), {}, r"er tom\."),
    (
        "header-no-rows",
        "kun_overskrift.csv",
        _text(f"Udtræk\n{DANISH_HEADER}\n;;;;;;;\n\n;;;\n"),
        {},
        r"har en overskrift, men ingen rækker",
    ),
    (
        "header-no-rows-xlsx",
        "kun.xlsx",
        _header_only_xlsx,
        {},
        "har en overskrift, men ingen rækker",
    ),
    (
        "png",
        "billede.csv",
        _bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8),
        {},
        r"billede\.csv er et PNG-billede, ikke et udtræk\. Brug CSV, XLSX eller Parquet\.",
    ),
    (
        "random-binary",
        "data.csv",
        _bytes(random.Random(7).randbytes(6000)),
        {},
        r"data\.csv er en binær fil, ikke CSV",
    ),
    ("pdf", "rapport.xlsx", _bytes(b"%PDF-1.7\n" + b"x" * 500), {}, "er en PDF-fil"),
    ("xls", "gammel.xls", _bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 500), {}, r"\(\.xls\)"),
    (
        "not-cp1252",
        "tekst.csv",
        _bytes(b"Bevillings-id;Indsatstype\n\x81\x8d\x8f\x90\x9d;x\n"),
        {},
        "hverken UTF-8 eller Windows-1252",
    ),
    (
        "over-size-limit",
        "stor.csv",
        _text(f"{DANISH_HEADER}\n{ROW}\n" * 40),
        {"max_bytes": 1000},
        r"stor\.csv er for stor .*grænsen er",
    ),
    ("zip-bomb", "bombe.xlsx", _zip_bomb, {}, r"bombe\.xlsx fylder 67 MB udpakket .*zip-bombe"),
    ("smallest-zip-bomb", "lille.xlsx", _smallest_bomb, {}, "zip-bombe"),
    (
        "corrupt-zip",
        "ødelagt.xlsx",
        _bytes(b"PK\x03\x04" + random.Random(3).randbytes(3000)),
        {},
        r"ødelagt\.xlsx ligner en Excel-fil, men er beskadiget",
    ),
    (
        "zip-not-excel",
        "dokument.xlsx",
        lambda p: _zip(p, {"word/document.xml": b"<w/>"}),
        {},
        "er en zip-fil, men ikke et Excel-regneark",
    ),
    (
        "broken-workbook",
        "brudt.xlsx",
        lambda p: _zip(p, {"xl/workbook.xml": b"<<<"}, zipfile.ZIP_STORED),
        {},
        r"Excel-filen brudt\.xlsx kan ikke læses; den er beskadiget",
    ),
    (
        "broken-parquet",
        "d.parquet",
        _bytes(b"PAR1" + b"x" * 300),
        {},
        "Parquet-filen .* beskadiget",
    ),
    (
        "missing-required-column",
        "mangler.csv",
        _text(
            "Bevillings-id;CPR-nr;Indsatstype;Startdato;Takstenhed\nA1;170421-9462;OEK;01-03-2024;engang\n"
        ),
        {},
        r"Filen mangler en påkrævet kolonne: Pris\.",
    ),
    (
        "no-header",
        "noter.csv",
        _text("Mødereferat\nPunkt 1;godkendt\nPunkt 2;udsat\n"),
        {},
        r"noter\.csv har ingen genkendelig overskriftsrække .*blandt de første 30 linjer",
    ),
    (
        "unknown-sheet",
        "registreringer.xlsx",
        lambda p: (p.write_bytes(XLSX.read_bytes()), p)[1],
        {"sheet": "Nope"},
        r"Arket 'Nope' findes ikke i registreringer\.xlsx\. Arkene er: Bevillinger\.",
    ),
    (
        "mapping-names-missing-column",
        "a.csv",
        _text(f"{DANISH_HEADER}\n{ROW}\n"),
        {
            "mapping": {
                "registration_id": "Bevillings-id",
                "cpr": "CPR-nr",
                "intervention_type": "Indsatstype",
                "start_date": "Startdato",
                "cost_amount": "Beløb",
                "cost_period": "Takstenhed",
            }
        },
        r"Kolonnen 'Beløb' findes ikke i filen\.",
    ),
    (
        "line-of-3-mb",
        "lang.csv",
        _text(
            f"{DANISH_HEADER}\n{ROW}\nA2;170421-9462;OEK;01-03-2024;;5;engang;{'x' * 3_000_000}\n"
        ),
        {},
        r"Linje 3 i lang\.csv er over 1 MB lang",
    ),
]


@pytest.mark.parametrize(
    ("name", "write", "kwargs", "message"),
    [r[1:] for r in REFUSALS],
    ids=[r[0] for r in REFUSALS],
)
def test_unreadable_files_are_refused_and_the_store_is_unchanged(
    filled, tmp_path, name, write, kwargs, message
):
    path = write(tmp_path / name)
    before = state(filled)
    if name == "mangler.csv":
        # The page shows such a file with the missing field marked, so it can be mapped.
        assert inspect_file(filled, path, **kwargs).missing_required == ("cost_amount",)
    else:
        with pytest.raises(ImportRefused, match=message):
            inspect_file(filled, path, **kwargs)
    with pytest.raises(ImportRefused, match=message):
        import_file(filled, path, **kwargs)
    assert state(filled) == before


def test_file_whose_every_row_is_rejected_is_refused(filled, tmp_path):
    path = tmp_path / "alle_afvist.csv"
    path.write_text(
        f"{DANISH_HEADER}\n"
        "A1;123;Familiebehandling;01-03-2024;;500;pr. måned;\n"
        "A2;170421-9462;Svømning;01-03-2024;;500;pr. måned;\n"
        "\n"
        "A3;170421-9462;Familiebehandling;01-03-2024;;-5;pr. måned;\n",
        encoding="utf-8",
    )
    before = state(filled)
    inspection = inspect_file(filled, path)  # the report shows every reason
    assert inspection.valid == 0
    assert [(r["line_no"], r["column_name"]) for r in inspection.rejections] == [
        (2, "CPR-nr"),
        (3, "Indsatstype"),
        (5, "Takst"),
    ]
    with pytest.raises(
        ImportRefused,
        match=r"Alle 3 rækker i alle_afvist\.csv blev afvist; intet er indlæst\. "
        r"Første fejl: linje 2, CPR-nr: Ugyldigt CPR-nummer",
    ):
        import_file(filled, path)
    assert state(filled) == before


def test_zip_bomb_message_reads_as_written(filled, tmp_path):
    with pytest.raises(ImportRefused) as refused:
        import_file(filled, _smallest_bomb(tmp_path / "lille.xlsx"))
    assert "Gem arket som CSV, hvis det er et rigtigt udtræk." in str(refused.value)


@settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.binary(min_size=1, max_size=3000))
def test_any_bytes_are_refused_with_a_message_never_a_crash(filled, tmp_path, data):
    path = tmp_path / "vilkårlig.csv"
    path.write_bytes(data)
    before = state(filled)
    with pytest.raises(ImportRefused) as refused:
        import_file(filled, path)
    assert "vilkårlig.csv" in str(refused.value) or "Filen mangler" in str(refused.value)
    assert state(filled) == before


# --- the samples -----------------------------------------------------------------------------------

BAD_ROWS = {
    "BAD-1": ("Slutdato", "01-05-2024", "Slutdatoen ligger før startdatoen."),
    "BAD-2": ("Takst", "-500", "Prisen må ikke være negativ."),  # the file's column name
    "BAD-3": ("Indsatstype", "Svømmeundervisning", "Ukendt indsatstype."),
    "BAD-4": ("Startdato", "31-02-2024", "Datoen kunne ikke forstås"),
    "BAD-5": ("Takstenhed", "pr. time", "Pris pr. time kræver et omfang i timer pr. uge."),
    "BAD-6": ("CPR-nr", "***", "Ugyldigt CPR-nummer"),
    "BAD-7": ("CPR-nr", None, "CPR-nr mangler"),
    "BAD-8": ("Startdato", None, "Startdato mangler."),
}


def test_dubu_sample_rejects_exactly_the_bad_rows_with_their_physical_lines(store):
    result = import_file(store, DUBU)
    assert (result.rows_read, result.inserted, result.rejected) == (608, 600, 8)
    got = {r["line_no"]: r for r in result.rejections}
    assert len(got) == 8
    for rid, (column, value, reason) in BAD_ROWS.items():
        line = physical_line(DUBU, rid.encode() + b";")
        assert line in got, rid
        r = got[line]
        assert (r["column_name"], r["value"]) == (column, value), rid
        assert reason in r["reason"], rid
    stored = (
        store.cursor()
        .execute("SELECT line_no, column_name, reason FROM rejected_rows ORDER BY line_no")
        .fetchall()
    )
    assert stored == [(r["line_no"], r["column_name"], r["reason"]) for r in result.rejections]
    ids = {
        r[0] for r in store.cursor().execute("SELECT registration_id FROM registrations").fetchall()
    }
    assert not any(i.startswith("BAD") for i in ids)
    assert "R011-000001" in ids  # the padded ' R011-000001 ' is trimmed


def canonical_parquet(path: Path, timestamps: bool = False) -> Path:
    """The canonical sample as Parquet: dates as real dates, amounts as floats."""
    df = pd.read_csv(
        CANONICAL,
        keep_default_na=False,
        na_values=[""],
        dtype=dict.fromkeys(("citizen_id", "team", "caseworker", "provider"), "string"),
    )
    for c in ("birth_date", "start_date", "end_date", "decision_date"):
        df[c] = pd.to_datetime(df[c])
        if not timestamps:
            df[c] = df[c].dt.date
    assert df["cost_amount"].dtype == "float64" and df["committee_approved"].dtype == bool
    df.to_parquet(path, index=False)
    return path


@pytest.mark.parametrize("source", ["dubu", "xlsx", "parquet"])
def test_formats_give_the_expected_key_figures(store, tmp_path, source):
    path = {
        "dubu": DUBU,
        "xlsx": XLSX,
        "parquet": canonical_parquet(tmp_path / "r.parquet") if source == "parquet" else None,
    }[source]
    result = import_file(store, path)
    assert result.inserted == 600
    import_frames(store, SAMPLES / "serviceniveau_frames.csv")
    import_budgets(store, SAMPLES / "budgetter.csv")
    assert len(EXPECTED) == 4
    for expected in EXPECTED:
        period, by = parse_expected_name(expected)
        assert_matches_expected(key_figures(store, period, by), expected)


@pytest.mark.parametrize("timestamps", [False, True], ids=["dates", "timestamps"])
def test_parquet_gives_exactly_the_canonical_values(store, tmp_path, timestamps):
    import_file(store, CANONICAL)
    before = state(store)[0]
    result = import_file(
        store, canonical_parquet(tmp_path / "r.parquet", timestamps), mode="replace"
    )
    assert (result.rows_read, result.inserted, result.updated, result.removed) == (600, 0, 0, 0)
    assert result.unchanged == 600 and result.rejected == 0
    assert [r[1:] for r in state(store)[0]] == [r[1:] for r in before]  # all but batch_id


def test_xlsx_sample_is_read_from_its_named_sheet(store):
    inspection = inspect_file(store, XLSX)
    assert inspection.detection.format == "XLSX"
    assert inspection.detection.sheet == "Bevillinger"
    assert (inspection.rows_read, inspection.valid, inspection.rejections) == (600, 600, [])
    assert inspect_file(store, XLSX, sheet="Bevillinger").valid == 600


# --- CSV dialects -------------------------------------------------------------------------------

HEADER = ["Bevillings-id", "CPR-nr", "Indsatstype", "Startdato", "Slutdato", "Omfang",
          "Omfangsenhed", "Takst", "Takstenhed", "Visitationsudvalg", "Leverandør"]  # fmt: skip
ROWS = [
    ["R1", "170421-9462", "Fast kontaktperson", "01-02-2025", "31.12.2025", "3,5", "timer/uge",
     "512,75", "pr. time", "Ja", "Kommunal"],
    ["R2", "0101154123", "Økonomisk støtte", "2025-03-01", "", "", "", "1.234.567,89",
     "engangsbeløb", "", ""],
    ["R3", "250108-4851", "ANB_PLEJE", "05/08/2024", "", "", "fuld tid", "42.423", "pr. måned",
     "Nej", "Privat leverandør A"],
    ["BAD", "250108-4851", "ANB_PLEJE", "31-02-2024", "", "", "", "100", "pr. døgn", "", ""],
    ["R4", "150608-5123", "TFI_KONS", "14.03.2022", "30.03.2022", "", "", "11507.5", "engang",
     "x", "Ærø Kommune"],
    ["R5", "010115-4123", "Familiebehandling", "2024-01-01", "2024-06-30", "2", "timer/uge",
     "39.534,00", "pr. måned", "1", "Privat leverandør B"],
]  # fmt: skip


def dialect_file(
    path: Path,
    *,
    delimiter: str = ";",
    encoding: str = "utf-8",
    newline: str = "\n",
    title: str | None = None,
    blank_after: tuple[int, ...] = (),
    embedded_newline: bool = False,
    trailing_columns: int = 0,
    trailing_rows: int = 0,
    quote_all: bool = False,
) -> Path:
    """Write HEADER and ROWS as a CSV the way a case system or a spreadsheet might."""
    rows = [list(r) for r in ROWS]
    if embedded_newline:
        rows[0][-1] = "Kommunal\nafdeling for\nfamilier"
        rows[2][-1] = "Privat\nleverandør A"
    buf = io.StringIO()
    quoting = csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL
    w = csv.writer(buf, delimiter=delimiter, lineterminator=newline, quoting=quoting)
    if title is not None:
        w.writerow([title] + [""] * (len(HEADER) - 1 + trailing_columns))
    w.writerow(HEADER + [""] * trailing_columns)
    for i, row in enumerate(rows):
        w.writerow(row + [""] * trailing_columns)
        if i in blank_after:
            buf.write(newline)
    for _ in range(trailing_rows):
        w.writerow([""] * (len(HEADER) + trailing_columns))
    text = buf.getvalue()  # newlines inside quoted cells stay LF, as Excel writes them
    data = text.encode(encoding.replace("-sig", ""))
    if encoding.endswith("-sig"):
        data = b"\xef\xbb\xbf" + data
    path.write_bytes(data)
    return path


def reference_import(store, tmp_path, embedded_newline: bool = False):
    """Import the plain file (UTF-8, ';', LF, every field quoted); variants must give
    exactly its values."""
    path = dialect_file(
        tmp_path / "reference.csv", embedded_newline=embedded_newline, quote_all=True
    )
    result = import_file(store, path)
    assert (result.inserted, result.rejected) == (5, 1)
    return state(store)[0]


def import_variant(store, path: Path):
    """Import a variant over the reference: every value must come out the same."""
    result = import_file(store, path, mode="replace")
    assert (result.inserted, result.updated, result.removed) == (0, 0, 0)
    assert (result.unchanged, result.rejected, result.rows_read) == (5, 1, 6)
    return result


DIALECTS = {
    "utf8-bom": {"encoding": "utf-8-sig"},
    "windows-1252": {"encoding": "cp1252"},
    "tab": {"delimiter": "\t"},
    "comma": {"delimiter": ","},
    "crlf": {"newline": "\r\n"},
    "title-line": {"title": "Udtræk af bevillinger - børn og unge, 31-12-2025"},
    "blank-lines-in-the-middle": {"blank_after": (0, 3)},
    "embedded-newlines": {"embedded_newline": True},
    "trailing-columns-and-rows": {"trailing_columns": 3, "trailing_rows": 4},
    "all-at-once": {
        "encoding": "cp1252",
        "delimiter": "\t",
        "newline": "\r\n",
        "title": "Udtræk",
        "blank_after": (1, 4),
        "embedded_newline": True,
        "trailing_columns": 2,
        "trailing_rows": 2,
    },
    "embedded-newline-then-blank-line": {"embedded_newline": True, "blank_after": (2,)},
}


@pytest.mark.parametrize("options", DIALECTS.values(), ids=DIALECTS.keys())
def test_csv_dialects_give_the_same_registrations_and_physical_lines(store, tmp_path, options):
    reference = reference_import(store, tmp_path, options.get("embedded_newline", False))
    path = dialect_file(tmp_path / "variant.csv", **options)
    result = import_variant(store, path)
    assert [r[1:] for r in state(store)[0]] == [r[1:] for r in reference]
    [rejection] = result.rejections
    assert rejection["line_no"] == physical_line(path, b"BAD")
    assert (rejection["column_name"], rejection["value"]) == ("Startdato", "31-02-2024")
    detection = inspect_file(store, path).detection
    assert detection.delimiter == options.get("delimiter", ";")
    assert detection.header_line == (2 if "title" in options else 1)


def test_csv_values_are_read_correctly(store, tmp_path):
    import_file(store, dialect_file(tmp_path / "a.csv", embedded_newline=True))
    got = {
        r[0]: r[1:]
        for r in store.cursor()
        .execute(
            """SELECT registration_id, intervention_type, start_date, end_date, extent, extent_unit,
                      cost_amount, cost_period, committee_approved, provider, birth_date
               FROM registrations"""
        )
        .fetchall()
    }
    assert got["R1"] == ("SI_KONTAKT", D(2025, 2, 1), D(2025, 12, 31), 3.5, "hours_per_week",
                         512.75, "hour", True, "Kommunal\nafdeling for\nfamilier", D(2021, 4, 1))  # fmt: skip
    assert got["R2"][5:8] == (1234567.89, "once", False)
    assert got["R3"][4:7] == ("full_time", 42423.0, "month")
    assert got["R4"][1:3] == (D(2022, 3, 14), D(2022, 3, 30))
    # 150608-5123: 7th digit 5 and year 08 give the 2000s.
    assert got["R4"][5:8] == (11507.5, "once", True) and got["R4"][9] == D(2008, 6, 1)
    assert got["R5"][5:8] == (39534.0, "month", True)


def test_consecutive_blank_lines_keep_later_line_numbers_right(store, tmp_path):
    reference_import(store, tmp_path)
    path = dialect_file(tmp_path / "blanks.csv", blank_after=(1,))
    text = path.read_bytes().replace(b"\nR3;", b"\n\n\nR3;")  # three blank lines before R3
    path.write_bytes(text)
    result = import_variant(store, path)
    assert result.rejections[0]["line_no"] == physical_line(path, b"BAD")


def test_empty_line_inside_a_quoted_field_keeps_later_line_numbers_right(store, tmp_path):
    reference_import(store, tmp_path)
    path = dialect_file(tmp_path / "quoted.csv")
    text = path.read_bytes().replace(b";Kommunal\n", b';"Kommunal\n\nafdeling"\n', 1)
    path.write_bytes(text)
    result = import_file(store, path)
    assert result.rejections[0]["line_no"] == physical_line(path, b"BAD")


# --- XLSX written by hand ---------------------------------------------------------------------------


def write_workbook(path: Path, sheets: dict[str, list[list[object]]], top: int = 0) -> Path:
    """Write sheets of rows with xlsxwriter: dates as real Excel dates, numbers as numbers."""
    wb = xlsxwriter.Workbook(str(path))
    date_format = wb.add_format({"num_format": "dd-mm-yyyy"})
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                if isinstance(v, dt.date):
                    ws.write_datetime(top + i, j, dt.datetime.combine(v, dt.time()), date_format)
                elif v is not None:
                    ws.write(top + i, j, v)
    wb.close()
    return path


XLSX_ROWS = [
    ["Udtræk fra DUBU pr. 31-12-2025"],
    ["Bevillings-id", "CPR-nr", "Indsatstype", "Startdato", "Slutdato", "Omfang", "Omfangsenhed",
     "Takst", "Takstenhed", "Visitationsudvalg", "Alder"],
    ["X1", "170421-9462", "Fast kontaktperson", D(2025, 2, 1), D(2025, 12, 31), 3.5, "timer/uge",
     512.75, "pr. time", "Ja", None],
    ["X2", 1704219462, "OEK", D(2025, 3, 1), None, None, None, 1234567.89, "engangsbeløb", True,
     3],
    ["X3", "170421-9462", "OEK", D(2025, 3, 1), D(2025, 2, 1), None, None, 10, "engangsbeløb",
     False, None],
    [],
    ["X4", "250108-4851", "Almen plejefamilie", D(2024, 8, 5), None, None, "fuld tid",
     42423, "pr. måned", None, None],
]  # fmt: skip


def test_handmade_xlsx_imports_values_and_excel_row_numbers(store, tmp_path):
    path = write_workbook(tmp_path / "udtraek.xlsx", {"Ark1": XLSX_ROWS})
    result = import_file(store, path)
    assert (result.rows_read, result.inserted, result.rejected) == (4, 3, 1)
    [rejection] = result.rejections
    assert rejection["line_no"] == 5  # X3 is in Excel row 5 (title 1, header 2)
    assert (rejection["column_name"], rejection["value"]) == ("Slutdato", "2025-02-01")
    got = {
        r[0]: r[1:]
        for r in store.cursor()
        .execute(
            """SELECT registration_id, intervention_type, start_date, end_date, extent, extent_unit,
                      cost_amount, cost_period, committee_approved, birth_date
               FROM registrations"""
        )
        .fetchall()
    }
    assert got["X1"] == ("SI_KONTAKT", D(2025, 2, 1), D(2025, 12, 31), 3.5, "hours_per_week",
                         512.75, "hour", True, D(2021, 4, 1))  # fmt: skip
    assert got["X2"] == ("OEK", D(2025, 3, 1), None, None, None, 1234567.89, "once", True,
                         D(2021, 4, 1))  # fmt: skip
    assert got["X4"][0] == "ANB_PLEJE" and got["X4"][4:7] == ("full_time", 42423.0, "month")
    assert got["X4"][7] is False  # empty committee cell: not approved
    assert inspect_file(store, path).detection.header_line == 2


def test_xlsx_with_empty_rows_above_the_title_keeps_excel_row_numbers(store, tmp_path):
    path = write_workbook(tmp_path / "udtraek.xlsx", {"Ark1": XLSX_ROWS}, top=2)
    result = import_file(store, path)
    assert result.rejections[0]["line_no"] == 7  # X3 in Excel row 7


def test_xlsx_after_a_half_read_result_on_the_cursor(store):
    import_file(store, CANONICAL)
    assert store.registration_count() == 600  # fetchone: the result stays open
    try:
        inspection = inspect_file(store, XLSX)
    except Exception as exc:  # the bug is any exception here
        raise AssertionError(f"{type(exc).__name__}: {exc}") from exc
    assert inspection.valid == 600


def test_sheet_option_picks_a_named_sheet(store, tmp_path):
    cover = [["Bevillinger for Ærø Kommune"], ["Udtrukket 31-12-2025 af SB03"]]
    path = write_workbook(tmp_path / "to_ark.xlsx", {"Forside": cover, "Data": XLSX_ROWS})
    with pytest.raises(ImportRefused, match="ingen genkendelig overskriftsrække"):
        inspect_file(store, path)  # the first sheet is the cover page
    inspection = inspect_file(store, path, sheet="Data")
    assert inspection.detection.sheets == ("Forside", "Data")
    assert (inspection.detection.sheet, inspection.valid) == ("Data", 3)
    result = import_file(store, path, sheet="Data")
    assert (result.inserted, result.rejected) == (3, 1)
    with pytest.raises(ImportRefused, match=r"Arkene er: Forside, Data\."):
        inspect_file(store, path, sheet="data")


# --- aliases ------------------------------------------------------------------------------------------


def test_unknown_type_is_listed_then_imported_after_an_alias(store, tmp_path):
    path = tmp_path / "alias.csv"
    path.write_text(
        f"{DANISH_HEADER}\n"
        "A1;170421-9462;Svømmeundervisning;01-03-2024;;500;pr. måned;\n"
        "A2;170421-9462;Familiebehandling;01-03-2024;;500;pr. måned;\n"
        "A3;0101154123;Svømmeundervisning;01-04-2024;;500;pr. måned;\n"
        "A4;0101154123;SVØMME-UNDERVISNING;01-04-2024;;500;pr. måned;\n"
        "A5;0101154123;Ridning;01-04-2024;;500;pr. måned;\n",
        encoding="utf-8",
    )
    inspection = inspect_file(store, path)
    assert inspection.unknown_types == [
        ("Svømmeundervisning", 2),
        ("Ridning", 1),
        ("SVØMME-UNDERVISNING", 1),
    ]
    assert inspection.valid == 1
    unknown = [r for r in inspection.rejections if r["column_name"] == "Indsatstype"]
    assert {r["line_no"] for r in unknown} == {2, 4, 5, 6}
    assert all("Ukendt indsatstype" in r["reason"] for r in unknown)

    importer.add_alias(store, "Svømmeundervisning", "SI_KONTAKT")
    assert inspect_file(store, path).unknown_types == [("Ridning", 1)]
    result = import_file(store, path)
    assert (result.inserted, result.rejected) == (4, 1)
    types = dict(
        store.cursor()
        .execute("SELECT registration_id, intervention_type FROM registrations")
        .fetchall()
    )
    assert types == {"A1": "SI_KONTAKT", "A2": "SI_BEHANDL", "A3": "SI_KONTAKT", "A4": "SI_KONTAKT"}


def test_alias_to_an_unknown_code_or_empty_name_is_refused(store):
    before = state(store)
    with pytest.raises(ImportRefused, match=r"Ukendt indsatstype: NOPE\."):
        importer.add_alias(store, "Svømmeundervisning", "NOPE")
    with pytest.raises(ImportRefused, match="Navnet er tomt"):
        importer.add_alias(store, " - ", "SI_KONTAKT")
    assert state(store) == before


# --- hostile and careless files ---------------------------------------------------------------------
# Generated files only; the CPR-shaped values are made up (010215-4001, ...: born 2015).

TEAM_HEADER = "Bevillings-id;CPR-nr;Indsatstype;Startdato;Slutdato;Takst;Takstenhed;Team;Leverandør"


def team_row(
    i: int, team: str = "Team Nord", provider: str = "Kommunal", start: str = "01-03-2024"
) -> str:
    return f"A{i};010215-4{i % 1000:03d};Familiebehandling;{start};;500;pr. måned;{team};{provider}"


def team_file(path: Path, rows: list[str], encoding: str = "utf-8") -> Path:
    """Write TEAM_HEADER and rows: line 1 is the header, rows[k] is line k + 2."""
    path.write_bytes(("\n".join([TEAM_HEADER, *rows]) + "\n").encode(encoding))
    return path


def rows_3008() -> list[str]:
    """3,007 data rows: with the header a 3,008-line file."""
    return [team_row(i) for i in range(1, 3008)]


STRAY_QUOTE = r'Linje {line} i {name} har et anførselstegn \("\), der ikke lukkes'


def test_stray_quote_at_the_start_of_a_field_is_refused_with_its_line(store, tmp_path):
    rows = rows_3008()
    rows[10] = team_row(11, team='"Team Nord')  # line 12: the quote never closes
    path = team_file(tmp_path / "stray.csv", rows)
    with pytest.raises(ImportRefused, match=STRAY_QUOTE.format(line=12, name=r"stray\.csv")):
        inspect_file(store, path)


def test_stray_quote_closed_rows_later_is_refused_with_the_line_it_opened(store, tmp_path):
    rows = rows_3008()
    rows[10] = team_row(11, team='"Team Nord')  # line 12 opens ...
    rows[15] = team_row(16, team='Team Nord"')  # ... line 17 closes: rows 12-17 would be one value
    path = team_file(tmp_path / "stray.csv", rows)
    with pytest.raises(ImportRefused, match=STRAY_QUOTE.format(line=12, name=r"stray\.csv")):
        inspect_file(store, path)


def test_stray_quote_opening_a_field_on_the_last_line_is_refused(store, tmp_path):
    rows = rows_3008()
    rows[-1] = team_row(3007, provider='"Kommunal')
    path = team_file(tmp_path / "slut.csv", rows)
    with pytest.raises(ImportRefused, match=STRAY_QUOTE.format(line=3008, name=r"slut\.csv")):
        inspect_file(store, path)


def test_stray_quote_inside_a_value_is_read_as_it_stands_and_lines_stay_right(store, tmp_path):
    rows = rows_3008()
    rows[10] = team_row(
        11, team='Team "Nord'
    )  # line 12: a quote inside a value is just a character
    rows[40] = team_row(41, start="31-02-2024")  # line 42
    rows[20:20] = [""]  # a blank line 22 after the quote moves that row to line 43
    path = team_file(tmp_path / "midt.csv", rows)
    result = import_file(store, path)
    assert (result.rows_read, result.rejected) == (3007, 1)
    assert result.rejections[0]["line_no"] == 43 == physical_line(path, b"31-02-2024")
    team = store.cursor().execute("SELECT team FROM registrations WHERE registration_id = 'A11'")
    assert team.fetchall() == [('Team "Nord',)]


def test_quoted_values_over_a_few_lines_keep_their_newlines_and_later_lines(store, tmp_path):
    rows = rows_3008()[:50]
    rows[5] = team_row(6, provider='"Kommunal\nafdeling\n\nfor familier"')  # lines 7-10
    rows[6] = team_row(7, team='"Team ""Nord"""')  # an escaped quote
    rows[30] = team_row(31, start="31-02-2024")
    path = team_file(tmp_path / "flere.csv", rows)
    result = import_file(store, path)
    assert result.rejections[0]["line_no"] == physical_line(path, b"31-02-2024") == 35
    got = dict(
        store.cursor()
        .execute("SELECT registration_id, provider FROM registrations WHERE provider <> 'Kommunal'")
        .fetchall()
    )
    assert got == {"A6": "Kommunal\nafdeling\n\nfor familier"}
    team = store.cursor().execute("SELECT team FROM registrations WHERE registration_id = 'A7'")
    assert team.fetchall() == [('Team "Nord"',)]


def test_a_file_with_old_mac_line_endings_is_read_with_its_lines(store, tmp_path):
    rows = rows_3008()[:20]
    rows[12] = team_row(13, start="31-02-2024")
    rows[5:5] = [""]
    path = tmp_path / "mac.csv"
    path.write_bytes(("\r".join([TEAM_HEADER, *rows]) + "\r").encode("cp1252"))
    result = import_file(store, path)
    assert (result.rows_read, result.rejected) == (20, 1)
    assert result.rejections[0]["line_no"] == 15  # header 1, blank line 7


def test_a_field_over_the_limit_is_refused_with_its_line(store, tmp_path):

    # 140 KB in line 2 (past csv.reader's own limit of 128 KB) and just over the bound in line 40.
    for line, size in ((2, 140_000), (40, bounds.MAX_FIELD_BYTES + 1)):
        rows = rows_3008()[:60]
        rows[line - 2] = team_row(line - 1, provider="x" * size)
        path = team_file(tmp_path / "felt.csv", rows)
        with pytest.raises(
            ImportRefused, match=rf"Linje {line} i felt\.csv har et felt på over 64 KB"
        ):
            inspect_file(store, path)


def test_a_quoted_field_over_the_limit_is_refused(store, tmp_path):
    rows = rows_3008()[:60]
    rows[3] = team_row(4, provider='"' + "Note\n" * 14_000 + '"')  # 70 KB over 14,000 lines
    path = team_file(tmp_path / "note.csv", rows)
    with pytest.raises(ImportRefused, match=r"Linje 5 i note\.csv"):
        inspect_file(store, path)


def test_too_many_columns_are_refused(store, tmp_path):

    names = [f"Felt {i}" for i in range(bounds.MAX_COLUMNS)]
    path = tmp_path / "bred.csv"
    path.write_text(f"{TEAM_HEADER};{';'.join(names)}\n{team_row(1)}\n", encoding="utf-8")
    with pytest.raises(
        ImportRefused,
        match=r"Overskriften i linje 1 i bred\.csv har 509 kolonner; grænsen er 500\.",
    ):
        inspect_file(store, path)


@pytest.mark.timeout(60)
def test_a_header_of_50000_duplicate_names_is_refused_quickly(store, tmp_path):
    path = tmp_path / "bred.csv"
    path.write_text(
        TEAM_HEADER + ";" + ";".join(["A"] * 50_000) + "\n" + team_row(1) + "\n",  # 100 KB
        encoding="utf-8",
    )
    with pytest.raises(ImportRefused, match=r"har 50\.009 kolonner; grænsen er 500\."):
        inspect_file(store, path)


def test_a_header_over_the_size_limit_is_refused(store, tmp_path):
    path = tmp_path / "lang.csv"
    path.write_text(f"{TEAM_HEADER};{'Bemærkning ' * 7000}\n{team_row(1)}\n", encoding="utf-8")
    with pytest.raises(
        ImportRefused, match=r"Overskriften i linje 1 i lang\.csv fylder 82 KB; grænsen er 64 KB\."
    ):
        inspect_file(store, path)


def test_utf8_file_with_windows_1252_lines_is_refused_with_the_first_odd_line(store, tmp_path):
    rows = rows_3008()[:40]
    data = team_file(tmp_path / "x.csv", rows).read_bytes()  # UTF-8: Leverandør, måned
    odd = team_row(41, provider="Privat leverandør").encode("cp1252")
    path = tmp_path / "blandet.csv"
    path.write_bytes(data + odd + b"\n" + data.split(b"\n", 1)[1])
    with pytest.raises(
        ImportRefused,
        match=r"Filen blandet\.csv blander tegnsættene UTF-8 og Windows-1252 \(første gang i "
        r"linje 42\)\. Gem den igen som UTF-8\.",
    ):
        inspect_file(store, path)


def test_windows_1252_file_with_a_utf8_line_is_refused_with_that_line(store, tmp_path):
    rows = rows_3008()[:40]
    rows[30] = team_row(31, provider="Privat leverandør – afd. Øst")
    data = ("\n".join([TEAM_HEADER, *rows]) + "\n").encode("cp1252")
    utf8 = rows[30].encode("utf-8")
    path = tmp_path / "blandet.csv"
    path.write_bytes(data.replace(rows[30].encode("cp1252"), utf8))
    with pytest.raises(ImportRefused, match=r"første gang i linje 32\)"):
        inspect_file(store, path)
    # A BOM says UTF-8: a Windows-1252 byte after it is mixing too.
    path.write_bytes(b"\xef\xbb\xbf" + data)
    with pytest.raises(ImportRefused, match=r"første gang i linje 1\)"):
        inspect_file(store, path)


def test_windows_1252_file_keeps_every_column(store, tmp_path):
    path = team_file(tmp_path / "ansi.csv", rows_3008()[:40], encoding="cp1252")
    inspection = inspect_file(store, path)
    assert inspection.detection.encoding == "Windows-1252"
    assert inspection.mapping["provider"] == "Leverandør"
    assert inspection.valid == 40


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (TEAM_HEADER + ";Leverandør", r"Kolonnen 'Leverandør' står to gange i overskriften i dobbelt\.csv\."),
        (TEAM_HEADER.replace("Startdato", "Startdato;Start dato"),
         r"Kolonnerne 'Startdato' og 'Start dato' i dobbelt\.csv betyder begge Startdato\."),
        (TEAM_HEADER + ";LEVERANDØR ", r"Kolonnerne 'Leverandør' og 'LEVERANDØR' i dobbelt\.csv betyder begge Leverandør\."),
    ],
    ids=["same-name", "same-column", "other-case"],
)  # fmt: skip
def test_a_column_named_twice_is_refused(store, tmp_path, header, message):
    path = tmp_path / "dobbelt.csv"
    n = header.count(";") + 1
    path.write_text(f"{header}\n" + ";".join(team_row(1).split(";") + ["x"] * (n - 9)) + "\n")
    with pytest.raises(ImportRefused, match=message):
        inspect_file(store, path)
    xlsx = write_workbook(
        tmp_path / "dobbelt.xlsx", {"Ark1": [header.split(";"), team_row(1).split(";")]}
    )
    with pytest.raises(ImportRefused, match=message.replace(r"dobbelt\.csv", r"dobbelt\.xlsx")):
        inspect_file(store, xlsx)


def test_two_aliases_of_one_column_use_the_first_and_the_mapping_can_choose(store, tmp_path):
    # Team and Afdeling both mean team: not a repeat; the first is used, as the page shows.
    path = tmp_path / "to.csv"
    path.write_text(f"{TEAM_HEADER};Afdeling\n{team_row(1)};Familie\n", encoding="utf-8")
    inspection = inspect_file(store, path)
    assert inspection.mapping["team"] == "Team" and inspection.valid == 1
    chosen = {**inspection.mapping, "team": "Afdeling"}
    assert inspect_file(store, path, mapping=chosen).mapping["team"] == "Afdeling"


def test_unknown_and_empty_columns_may_repeat(store, tmp_path):
    path = tmp_path / "ok.csv"
    header = TEAM_HEADER + ";Note;Note;Bemærkning;;"
    path.write_text(f"{header}\n{team_row(1)};a;b;c;;\n", encoding="utf-8")
    inspection = inspect_file(store, path)
    assert inspection.detection.columns[-3:] == ("Note", "Note (11)", "Bemærkning")
    assert inspection.valid == 1


def test_a_windows_1252_file_leaves_no_copy_on_disk(store, tmp_path, monkeypatch):
    import tempfile

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    made: list[str] = []
    real_mkstemp = tempfile.mkstemp

    def mkstemp(*args, **kwargs):
        fd, name = real_mkstemp(*args, **kwargs)
        made.append(name)  # and look at what is on disk while the reader runs
        made.extend(str(p) for p in tmp.iterdir())
        return fd, name

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    path = dialect_file(tmp_path / "ansi.csv", encoding="cp1252", embedded_newline=True)
    result = import_file(store, path)
    assert (result.inserted, result.rejected) == (5, 1)
    assert made == []
    assert list(tmp.iterdir()) == []


def test_a_windows_1252_file_is_read_through_a_pipe_without_memfd(store, tmp_path, monkeypatch):
    import os

    monkeypatch.delattr(os, "memfd_create", raising=False)
    reference = reference_import(store, tmp_path, embedded_newline=True)
    path = dialect_file(tmp_path / "variant.csv", **DIALECTS["all-at-once"])
    result = import_variant(store, path)
    assert [r[1:] for r in state(store)[0]] == [r[1:] for r in reference]
    assert result.rejections[0]["line_no"] == physical_line(path, b"BAD")


WINDOWS_1252_ONLY = "Kommunal – “Ærø” € ‰ Œ ™"  # bytes 0x80-0x9F: not Latin-1


@pytest.mark.parametrize("memfd", [True, False], ids=["memfd", "pipe"])
@pytest.mark.parametrize("provider", ["Kommunal ÆØÅ æøå § ½ ÿ", WINDOWS_1252_ONLY])
def test_a_windows_1252_file_reads_like_its_utf8_copy(
    store, tmp_path, monkeypatch, provider, memfd
):
    # Without bytes in 0x80-0x9F DuckDB reads the file itself as Latin-1; with them it reads a
    # UTF-8 copy in memory. Either way every character comes out as Windows-1252 means it.
    import os

    if not memfd:
        monkeypatch.delattr(os, "memfd_create", raising=False)
    path = dialect_file(tmp_path / "ansi.csv", encoding="cp1252", newline="\r\n", title="Udtræk")
    path.write_bytes(path.read_bytes().replace(b";Kommunal\r", f";{provider}\r".encode("cp1252")))
    result = import_file(store, path)
    assert (result.inserted, result.rejected) == (5, 1)
    assert result.rejections[0]["line_no"] == physical_line(path, b"BAD")
    [(stored,)] = (
        store.cursor()
        .execute("SELECT provider FROM registrations WHERE registration_id = 'R1'")
        .fetchall()
    )
    assert stored == provider
    assert inspect_file(store, path).detection.encoding == "Windows-1252"


def test_parquet_with_too_many_or_twice_named_columns_is_refused(store, tmp_path):
    df = pd.DataFrame({h: ["x"] for h in TEAM_HEADER.split(";")})
    wide = df.assign(**{f"Felt {i}": ["y"] for i in range(600)})
    wide.to_parquet(tmp_path / "bred.parquet", index=False)
    with pytest.raises(ImportRefused, match=r"bred\.parquet har 609 kolonner; grænsen er 500\."):
        inspect_file(store, tmp_path / "bred.parquet")
    df.assign(**{"Start dato": ["z"]}).to_parquet(tmp_path / "dobbelt.parquet", index=False)
    with pytest.raises(ImportRefused, match=r"'Startdato' og 'Start dato' i dobbelt\.parquet"):
        inspect_file(store, tmp_path / "dobbelt.parquet")


# --- hostile XLSX (written by hand: xlsxwriter refuses what these do) ---------------------------------

XLSX_HEADER = ["Bevillings-id", "CPR-nr", "Indsatstype", "Startdato", "Takst", "Takstenhed"]


def xlsx_cell(ref: str, value: object) -> str:
    if isinstance(value, str):
        return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'
    return f'<c r="{ref}"><v>{value}</v></c>'


def xlsx_ref(col: int, row: int) -> str:
    """The A1-style address of a 1-based column and row."""
    letters = ""
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row}"


def handmade_xlsx(
    path: Path, sheet_xml: str | bytes, extra: dict[str, bytes] | None = None
) -> Path:
    """A minimal workbook whose one sheet 'Ark1' is the given sheetData content."""
    body = sheet_xml.encode() if isinstance(sheet_xml, str) else sheet_xml
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    rels = "http://schemas.openxmlformats.org/package/2006/relationships"
    kind = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    entries = {
        "[Content_Types].xml": b"<Types/>",
        "_rels/.rels": f'<Relationships xmlns="{rels}"><Relationship Id="rId1" '
        f'Type="{kind}/officeDocument" Target="xl/workbook.xml"/></Relationships>'.encode(),
        "xl/workbook.xml": f'<workbook {ns} {rel}><sheets><sheet name="Ark1" sheetId="1" '
        'r:id="rId1"/></sheets></workbook>'.encode(),
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{rels}"><Relationship Id="rId1" '
        f'Type="{kind}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'.encode(),
        "xl/worksheets/sheet1.xml": f"<worksheet {ns}><sheetData>".encode()
        + body
        + b"</sheetData></worksheet>",
        **(extra or {}),
    }
    return _zip(path, entries)


def xlsx_rows(rows: list[tuple[int, list[tuple[int, object]]]]) -> str:
    """sheetData rows from (row, [(column, value), ...]), 1-based."""
    return "".join(
        f'<row r="{r}">' + "".join(xlsx_cell(xlsx_ref(c, r), v) for c, v in cells) + "</row>"
        for r, cells in rows
    )


def xlsx_data(n: int, first_col: int = 1) -> list[tuple[int, list[tuple[int, object]]]]:
    header = [(first_col + j, h) for j, h in enumerate(XLSX_HEADER)]
    data = [
        (r, [(first_col + j, v) for j, v in enumerate(
            [f"X{r}", f"010215-4{r:03d}", "OEK", "01-03-2024", 100 + r, "engang"])])
        for r in range(2, n + 2)
    ]  # fmt: skip
    return [(1, header), *data]


def test_xlsx_whose_data_starts_in_column_c_keeps_its_values(store, tmp_path):
    path = handmade_xlsx(tmp_path / "c.xlsx", xlsx_rows(xlsx_data(3, first_col=3)))
    result = import_file(store, path)
    assert (result.inserted, result.rejected) == (3, 0)
    got = (
        store.cursor().execute("SELECT registration_id, cost_amount FROM registrations").fetchall()
    )
    assert sorted(got) == [("X2", 102.0), ("X3", 103.0), ("X4", 104.0)]


def test_xlsx_with_a_value_far_outside_the_data_is_refused(store, tmp_path):
    rows = [*xlsx_data(3), (1_000_000, [(30, 1)])]  # 1,000,000 rows x 30 columns
    path = handmade_xlsx(tmp_path / "spredt.xlsx", xlsx_rows(rows))
    with pytest.raises(
        ImportRefused,
        match=r"Arket 'Ark1' i spredt\.xlsx spænder over 1\.000\.000 rækker og 30 kolonner "
        r"\(til og med celle AD1000000\)",
    ):
        inspect_file(store, path)


def test_xlsx_with_rows_out_of_order_is_refused(store, tmp_path):
    rows = xlsx_data(4)
    rows[2], rows[4] = rows[4], rows[2]
    path = handmade_xlsx(tmp_path / "rod.xlsx", xlsx_rows(rows))
    with pytest.raises(ImportRefused, match=r"Arket 'Ark1' i rod\.xlsx .*Åbn filen i Excel"):
        inspect_file(store, path)


def test_xlsx_cell_over_the_field_limit_is_refused_with_its_row(store, tmp_path):

    rows = xlsx_data(5)
    rows[3][1][2] = (3, "x" * (bounds.MAX_FIELD_BYTES + 10))  # row 4, column C
    path = handmade_xlsx(tmp_path / "celle.xlsx", xlsx_rows(rows))
    with pytest.raises(
        ImportRefused, match=r"Række 4 i arket 'Ark1' i celle\.xlsx har en celle på over 64 KB"
    ):
        inspect_file(store, path)


def test_xlsx_with_too_many_columns_is_refused(store, tmp_path):
    rows = xlsx_data(2)
    rows[0][1].extend((7 + j, f"Felt {j}") for j in range(600))
    path = handmade_xlsx(tmp_path / "bred.xlsx", xlsx_rows(rows))
    with pytest.raises(
        ImportRefused, match=r"Overskriften i række 1 i arket 'Ark1' i bred\.xlsx har 606 kolonner"
    ):
        inspect_file(store, path)


def test_xlsx_with_two_parts_of_the_same_name_is_refused(store, tmp_path):
    path = handmade_xlsx(tmp_path / "to.xlsx", xlsx_rows(xlsx_data(2)))
    with zipfile.ZipFile(path, "a") as z, pytest.warns(UserWarning, match="Duplicate name"):
        z.writestr("xl/worksheets/sheet1.xml", b"<worksheet/>")
    with pytest.raises(ImportRefused, match=r"to\.xlsx ligner en Excel-fil, men er beskadiget"):
        inspect_file(store, path)


# --- found in review -------------------------------------------------------------------------

NOTE_HEADER = "Bevillings-id;CPR-nr;Indsatstype;Startdato;Takst;Takstenhed;Team;Note\n"


def note_row(i: int, team: str = "Syd", note: str = "") -> str:
    return f"A{i};170421-9462;Fast kontaktperson;01-02-2025;450;pr. måned;{team};{note}\n"


def test_text_after_a_closing_quote_is_refused_not_cut_off(store, tmp_path):
    # DuckDB would read '"Nord" 010210-4234' as 'Nord 010210-423': part lost, part of a CPR kept.
    path = tmp_path / "efter.csv"
    path.write_text(NOTE_HEADER + note_row(1) + note_row(2, '"Nord" 010210-4234'), "utf-8")
    with pytest.raises(ImportRefused, match=r"Linje 3 i efter\.csv har tekst efter et afsluttende"):
        inspect_file(store, path)
    # Spaces after the closing quote lose nothing.
    path.write_text(NOTE_HEADER + note_row(1, '"Nord"  ') + note_row(2), "utf-8")
    assert inspect_file(store, path).valid == 2


@pytest.mark.parametrize("delim", [";", ","])
def test_a_quoted_note_over_lines_with_many_delimiters_is_no_stray_quote(store, tmp_path, delim):
    note = (
        '"Mødet gik godt, mor; far, barn; lærer, pædagog; psykolog, sagsbehandler; var med\n'
        'Næste møde aftales, ok; fint, godt; igen, mere; tekst, her"'
    )
    header, first = NOTE_HEADER.replace(";", delim), note_row(1).replace(";", delim)
    second = note_row(2, note=note.replace(";", ",")).replace(";", delim)
    path = tmp_path / "note.csv"
    path.write_text(header + first + second + note_row(4).replace(";", delim), "utf-8")
    ins = inspect_file(store, path)
    assert ins.valid == 3 and ins.preview["Linje"].tolist() == [2, 3, 5]
