"""Read an uploaded extract into a staging table of text, as the analyst sees the file.

``read_to_raw`` leaves a temp table ``raw_rows`` on the cursor: ``line_no`` (the line in a CSV,
the row in Excel, the row number in Parquet, as the analyst would find it) and one VARCHAR
column per header. It detects the format from the bytes (not the file name), the encoding
(UTF-8 with or without BOM, else Windows-1252), the delimiter and the header row (a title line
above it is skipped). CSV is read by DuckDB with explicit options over the whole file; XLSX by
python-calamine (DuckDB 2.0 has no Excel reader here), with a zip-bomb guard; Parquet by DuckDB.
Anything unreadable raises ``ImportRefused`` with one Danish message.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from slcore.columns import map_headers
from slcore.fmt import number

MAX_LINE_BYTES = 1 << 20  # a line longer than 1 MB is not a registration
HEADER_SEARCH_LINES = 30
MIN_HEADER_MATCHES = 2  # a title line is one cell; two known names make a header
MAX_XLSX_UNPACKED = 1 << 30  # 1 GB unpacked
MAX_XLSX_RATIO = 200  # a real sheet compresses maybe 10-20 times; a zip bomb far more

BINARY_MAGIC = {
    b"\x89PNG": "et PNG-billede",
    b"\xff\xd8\xff": "et JPEG-billede",
    b"GIF8": "et GIF-billede",
    b"%PDF": "en PDF-fil",
    b"\xd0\xcf\x11\xe0": "et gammelt Excel-/Office-dokument (.xls); gem det som .xlsx eller CSV",
    b"\x1f\x8b": "en komprimeret fil (gzip)",
}


class ImportRefused(Exception):
    """The file is refused as a whole; the message is Danish and safe to show."""


@dataclass
class Detection:
    """What was detected about a file, shown to the analyst before importing."""

    format: str
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    sheets: tuple[str, ...] = ()
    header_line: int | None = None
    headers: tuple[str, ...] = ()
    columns: tuple[str, ...] = field(default=(), repr=False)  # staging column names

    @property
    def delimiter_label(self) -> str | None:
        """Return the delimiter in words."""
        names = {";": "semikolon (;)", ",": "komma (,)", "\t": "tabulator"}
        return names.get(self.delimiter or "", self.delimiter)


def sniff_format(path: Path) -> str:
    """Return 'xlsx', 'parquet' or 'text' from the file's first bytes; refuse anything else."""
    with path.open("rb") as fh:
        head = fh.read(8192)
    if not head:
        raise ImportRefused(f"Filen {path.name} er tom.")
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "xlsx"
    if head.startswith(b"PAR1"):
        return "parquet"
    for magic, what in BINARY_MAGIC.items():
        if head.startswith(magic):
            raise ImportRefused(
                f"Filen {path.name} er {what}, ikke et udtræk. Brug CSV, XLSX eller Parquet."
            )
    if b"\x00" in head:
        raise ImportRefused(
            f"Filen {path.name} er en binær fil, ikke CSV. Brug CSV, XLSX eller Parquet."
        )
    return "text"


def read_to_raw(cur: duckdb.DuckDBPyConnection, path: Path, sheet: str | None = None) -> Detection:
    """Read a file into temp table ``raw_rows``; return what was detected."""
    kind = sniff_format(path)
    if kind == "xlsx":
        det = _read_xlsx(cur, path, sheet)
    elif kind == "parquet":
        det = _read_parquet(cur, path)
    else:
        det = _read_csv(cur, path)
    _drop_empty_rows(cur, det.columns)
    return det


# --- header detection ----------------------------------------------------------------------


def _find_header(rows: list[list[str]]) -> tuple[int, list[str]] | None:
    """Return (index, cells) of the first row that names enough known columns."""
    for i, cells in enumerate(rows[:HEADER_SEARCH_LINES]):
        if len(map_headers([c for c in cells if c])) >= MIN_HEADER_MATCHES:
            return i, cells
    return None


def _no_header(path: Path) -> ImportRefused:
    return ImportRefused(
        f"Filen {path.name} har ingen genkendelig overskriftsrække (fx Bevillings-id, "
        "Indsatstype, Startdato, Takst) blandt de første "
        f"{HEADER_SEARCH_LINES} linjer."
    )


def _staging_names(headers: list[str]) -> list[str]:
    """Return unique, non-empty staging column names for the headers (trailing empties cut)."""
    while headers and not headers[-1].strip():
        headers = headers[:-1]
    names: list[str] = []
    for i, h in enumerate(headers, start=1):
        name = h.strip() or f"kolonne {i}"
        while name in names:
            name = f"{name} ({i})"
        names.append(name)
    return names


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --- CSV -----------------------------------------------------------------------------------


def _decode(raw: bytes, path: Path) -> tuple[str, str]:
    """Return (text, encoding label); UTF-8 (BOM or not) else Windows-1252."""
    if raw.startswith(b"\xef\xbb\xbf"):
        try:
            return raw[3:].decode("utf-8"), "UTF-8 med BOM"
        except UnicodeDecodeError:
            pass
    try:
        return raw.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        raise ImportRefused(
            f"Filen {path.name} er hverken UTF-8 eller Windows-1252 tekst. Gem den som CSV "
            "(UTF-8) og prøv igen."
        ) from None


def _line_stats(raw: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Return (length without newline, inside-quotes flag) of every physical line, vectorised.

    A line is inside a quoted field when an odd number of quote characters precede it (an
    escaped quote "" adds two, so it does not change that).
    """
    buf = np.frombuffer(raw, dtype=np.uint8)
    newlines = np.flatnonzero(buf == 10)
    starts = np.concatenate(([0], newlines + 1))
    ends = np.concatenate((newlines, [len(buf)]))
    if len(raw) and raw.endswith(b"\n"):
        starts, ends = starts[:-1], ends[:-1]
    lengths = ends - starts
    # A line ending in \r (Windows) is one byte shorter than it looks.
    has_cr = np.zeros(len(lengths), dtype=bool)
    nonempty = lengths > 0
    has_cr[nonempty] = buf[ends[nonempty] - 1] == 13
    # Count quotes before each line start by binary search over the quotes' positions
    # (a cumulative sum over every byte would allocate 8 bytes per byte of the file).
    quotes_before = np.searchsorted(np.flatnonzero(buf == 34), starts)
    return lengths - has_cr, (quotes_before % 2) == 1


def _read_csv(cur: duckdb.DuckDBPyConnection, path: Path) -> Detection:
    raw = path.read_bytes()
    text, encoding = _decode(raw, path)
    lengths, in_quotes = _line_stats(raw)
    too_long = np.flatnonzero(lengths > MAX_LINE_BYTES)
    if len(too_long):
        raise ImportRefused(
            f"Linje {too_long[0] + 1} i {path.name} er over 1 MB lang og kan ikke være en "
            "bevilling. Tjek at filen er et udtræk af bevillinger."
        )
    head_lines = text[:200_000].splitlines()[:HEADER_SEARCH_LINES]
    best: tuple[int, int, str, list[str]] | None = None  # (matches, -line, delim, cells)
    for delim in (";", ",", "\t"):
        rows = [next(csv.reader([line], delimiter=delim), []) for line in head_lines]
        found = _find_header(rows)
        if found:
            i, cells = found
            score = (len(map_headers([c for c in cells if c])), -i)
            if best is None or score > best[:2]:
                best = (score[0], score[1], delim, cells)
    if best is None:
        raise _no_header(path)
    header_idx, delim, header_cells = -best[1], best[2], best[3]
    names = _staging_names([c.strip() for c in header_cells])

    # DuckDB reads UTF-8; anything else (or a BOM) is handed over as a UTF-8 copy.
    source, tmp = path, None
    if encoding != "UTF-8":
        fd, tmp_name = tempfile.mkstemp(suffix=".csv", prefix="slcore-import-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8"))
        source, tmp = Path(tmp_name), Path(tmp_name)
    columns = (
        "{" + ", ".join(f"'{n.replace(chr(39), chr(39) * 2)}': 'VARCHAR'" for n in names) + "}"
    )
    try:
        cur.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE raw_records AS
            SELECT row_number() OVER () AS rec_no, *
            FROM read_csv(?, delim = ?, quote = '"', escape = '"', header = false,
                          skip = ?, auto_detect = false, columns = {columns},
                          null_padding = true, strict_mode = false, parallel = false,
                          max_line_size = {MAX_LINE_BYTES * 4})
            """,
            [str(source), delim, header_idx + 1],
        )
    except duckdb.Error as exc:
        raise ImportRefused(
            f"Filen {path.name} kunne ikke læses som CSV ({str(exc).splitlines()[0][:120]})."
        ) from None
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
    _number_csv_lines(
        cur, names, header_idx, (lengths == 0) & ~in_quotes, bool(in_quotes[header_idx + 1 :].any())
    )
    return Detection(
        format="CSV",
        encoding=encoding,
        delimiter=delim,
        header_line=header_idx + 1,
        headers=tuple(names),
        columns=tuple(names),
    )


def _number_csv_lines(
    cur: duckdb.DuckDBPyConnection,
    names: list[str],
    header_idx: int,
    skipped: np.ndarray,
    has_quoted_lines: bool,
) -> None:
    """Give each record the physical line it starts on.

    DuckDB skips blank lines and a quoted field may span lines, so the record number alone
    drifts. Record k starts after the header, the lines of the records before it (1 + their
    embedded newlines) and the skipped blank lines among those. ``skipped`` flags the blank
    lines outside quoted fields, per physical line.
    """
    embedded = " + ".join(
        f"coalesce(length({_q(n)}) - length(replace({_q(n)}, chr(10), '')), 0)" for n in names
    )
    blank_lines = np.flatnonzero(skipped[header_idx + 1 :])
    # A blank line's rank: how many record lines come before it after the header. Several
    # blank lines in a row share a rank; the table keeps, per rank, how many blanks have a
    # rank up to it.
    ranks = blank_lines - np.arange(len(blank_lines))
    if not len(blank_lines) and not has_quoted_lines:
        # The common case: one line per record, no blank lines.
        cur.execute(
            f"CREATE OR REPLACE TEMP TABLE raw_rows AS SELECT {header_idx + 1} + rec_no AS line_no, "
            "* EXCLUDE (rec_no) FROM raw_records ORDER BY rec_no"
        )
        cur.execute("DROP TABLE raw_records")
        return
    cur.execute("CREATE OR REPLACE TEMP TABLE blank_ranks (r BIGINT, n BIGINT)")
    if len(ranks):
        cur.execute(
            "INSERT INTO blank_ranks SELECT r, sum(count(*)) OVER (ORDER BY r) "
            "FROM (SELECT unnest(?) AS r) GROUP BY r",
            [ranks.tolist()],
        )
    cur.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE raw_rows AS
        WITH consumed AS (
            SELECT *, coalesce(sum(1 + ({embedded})) OVER (
                ORDER BY rec_no ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
            FROM raw_records
        )
        SELECT {header_idx + 1} + 1 + c.before + coalesce(b.n, 0) AS line_no,
            c.* EXCLUDE (rec_no, before)
        FROM consumed c
        ASOF LEFT JOIN blank_ranks b ON c.before >= b.r
        ORDER BY c.rec_no
        """
    )
    cur.execute("DROP TABLE raw_records")


# --- XLSX ----------------------------------------------------------------------------------


def check_zip(path: Path) -> None:
    """Refuse a damaged zip, a zip that is no workbook, or a likely zip bomb."""
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            names = {i.filename for i in infos}
    except (zipfile.BadZipFile, OSError):
        raise ImportRefused(
            f"Filen {path.name} ligner en Excel-fil, men er beskadiget (ikke en gyldig zip). "
            "Åbn og gem den igen i Excel."
        ) from None
    if "xl/workbook.xml" not in names:
        raise ImportRefused(f"Filen {path.name} er en zip-fil, men ikke et Excel-regneark.")
    unpacked = sum(i.file_size for i in infos)
    packed = max(sum(i.compress_size for i in infos), 1)
    if unpacked > MAX_XLSX_UNPACKED or unpacked / packed > MAX_XLSX_RATIO:
        raise ImportRefused(
            f"Filen {path.name} fylder {number(unpacked / 1e6)} MB udpakket "
            f"({number(unpacked / packed)} gange sin egen størrelse) og afvises som en mulig "
            "zip-bombe. Gem arket som CSV, hvis det er et rigtigt udtræk."
        )


def _cell_text(v: object) -> str | None:
    """Return an Excel cell as text the validator understands, or None when empty."""
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float):
        # Decimal comma: unambiguous for the number parser (1.234 is not a thousand).
        return (str(int(v)) if v.is_integer() else repr(v)).replace(".", ",")
    if isinstance(v, int):
        return str(v)
    return str(v)


def _read_xlsx(cur: duckdb.DuckDBPyConnection, path: Path, sheet: str | None) -> Detection:
    from python_calamine import CalamineError, CalamineWorkbook

    check_zip(path)
    try:
        wb = CalamineWorkbook.from_path(str(path))
        sheets = tuple(wb.sheet_names)
        if sheet is not None and sheet not in sheets:
            raise ImportRefused(
                f"Arket '{sheet}' findes ikke i {path.name}. Arkene er: {', '.join(sheets)}."
            )
        name = sheet or sheets[0]
        ws = wb.get_sheet_by_name(name)
        rows = ws.to_python(skip_empty_area=False)  # from A1, so index + 1 is the Excel row
    except CalamineError:
        raise ImportRefused(f"Excel-filen {path.name} kan ikke læses; den er beskadiget.") from None
    text_rows = [
        ["" if c is None else str(c).strip() for c in r] for r in rows[:HEADER_SEARCH_LINES]
    ]
    found = _find_header(text_rows)
    if found is None:
        raise _no_header(path)
    header_idx, header_cells = found
    names = _staging_names(header_cells)
    data = rows[header_idx + 1 :]
    cols: dict[str, list[str | None]] = {"line_no": []}
    n = len(data)
    cols["line_no"] = list(range(header_idx + 2, header_idx + 2 + n))
    for j, col in enumerate(names):
        cols[col] = [_cell_text(r[j]) if j < len(r) else None for r in data]
    frame = pd.DataFrame(cols).astype({c: "object" for c in names})
    # DuckDB 2.0 refuses register() while an earlier result on this cursor is half-read
    # (a fetchone() elsewhere); finish it first.
    cur.complete()
    cur.register("xlsx_frame", frame)
    cast = ", ".join(f"{_q(n)}::VARCHAR AS {_q(n)}" for n in names)
    cur.execute(
        f"CREATE OR REPLACE TEMP TABLE raw_rows AS SELECT line_no::BIGINT AS line_no, "
        f"{cast} FROM xlsx_frame"
    )
    cur.unregister("xlsx_frame")
    return Detection(
        format="XLSX",
        sheet=name,
        sheets=sheets,
        header_line=header_idx + 1,
        headers=tuple(names),
        columns=tuple(names),
    )


# --- Parquet -------------------------------------------------------------------------------


def _read_parquet(cur: duckdb.DuckDBPyConnection, path: Path) -> Detection:
    try:
        desc = cur.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
    except duckdb.Error:
        raise ImportRefused(
            f"Parquet-filen {path.name} kan ikke læses; den er beskadiget."
        ) from None
    names = [r[0] for r in desc]
    if len(map_headers(names)) < MIN_HEADER_MATCHES:
        raise _no_header(path)
    exprs = []
    for name, typ, *_ in desc:
        col = _q(name)
        t = typ.upper()
        if t.startswith(("DOUBLE", "FLOAT", "DECIMAL", "REAL")):
            # Decimal comma, as for Excel: the number parser reads it unambiguously.
            exprs.append(f"replace({col}::VARCHAR, '.', ',') AS {col}")
        elif t.startswith("TIMESTAMP"):
            exprs.append(f"strftime({col}, '%Y-%m-%d') AS {col}")
        else:
            exprs.append(f"{col}::VARCHAR AS {col}")
    cur.execute(
        f"CREATE OR REPLACE TEMP TABLE raw_rows AS SELECT row_number() OVER () AS line_no, "
        f"{', '.join(exprs)} FROM read_parquet(?)",
        [str(path)],
    )
    return Detection(format="Parquet", headers=tuple(names), columns=tuple(names))


def _drop_empty_rows(cur: duckdb.DuckDBPyConnection, names: tuple[str, ...]) -> None:
    """Drop rows whose every cell is empty (trailing ;;;; rows, empty Excel rows)."""
    if not names:
        return
    cond = " AND ".join(f"nullif(trim({_q(n)}), '') IS NULL" for n in names)
    cur.execute(f"DELETE FROM raw_rows WHERE {cond}")
