"""Text to value: the value vocabulary and the parsers of every file the product reads.

Extracts, frames and budgets are read alike (registrations.md §1, §5, §6): dates
``dd-mm-yyyy``, ``dd.mm.yyyy``, ``dd/mm/yyyy`` and ISO; numbers with a decimal comma and
thousands dots (``1.234,50``, ``7.862`` is 7862) or a decimal point (``1234.50``); booleans
``Ja/Nej``; Danish cost periods and extent units. Each parser is a SQL expression over a value
expression (NULL when the text is not understood), run by DuckDB over a whole staged file.

``read_table`` reads a frames or budgets file with the extracts' reader and these parsers;
``number``, ``date`` and ``unit`` take a value from it or refuse it with line and column.
``parse_number`` reads a number typed in a page with the same parser, ``plain_number``
writes one back so that it reads back unchanged, and ``Range`` words slcore.bounds in Danish.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import math
import numbers
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import duckdb
import pandas as pd

from slcore import bounds, fmt, privacy, uploads
from slcore.export import defuse, restore
from slcore.reader import Columns, ImportRefused, read_to_raw

COST_PERIODS: dict[str, str] = {
    "day": "day",
    "pr. døgn": "day",
    "pr. dag": "day",
    "dagligt": "day",
    "døgn": "day",
    "dag": "day",
    "week": "week",
    "pr. uge": "week",
    "ugentlig": "week",
    "uge": "week",
    "month": "month",
    "pr. måned": "month",
    "månedlig": "month",
    "måned": "month",
    "pr. md.": "month",
    "md.": "month",
    "year": "year",
    "pr. år": "year",
    "årlig": "year",
    "år": "year",
    "hour": "hour",
    "pr. time": "hour",
    "time": "hour",
    "once": "once",
    "engangsbeløb": "once",
    "engang": "once",
    "engangsydelse": "once",
}
EXTENT_UNITS: dict[str, str] = {
    "hours_per_week": "hours_per_week",
    "timer/uge": "hours_per_week",
    "timer pr. uge": "hours_per_week",
    "timer om ugen": "hours_per_week",
    "days_per_month": "days_per_month",
    "dage/måned": "days_per_month",
    "dage pr. måned": "days_per_month",
    "nights_per_month": "nights_per_month",
    "døgn/måned": "nights_per_month",
    "døgn pr. måned": "nights_per_month",
    "full_time": "full_time",
    "fuld tid": "full_time",
    "fuldtid": "full_time",
}
TRUE_WORDS = ("ja", "j", "x", "true", "1", "sand", "yes")
FALSE_WORDS = ("nej", "n", "false", "0", "falsk", "no")
DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S")


def date_sql(v: str) -> str:
    """SQL parsing Danish and ISO dates; NULL when not understood.

    The common shapes (ISO, and dd-mm-yyyy with one separator) are cast directly; anything
    else goes through the list of formats, which is several times slower.
    """
    formats = ", ".join(f"'{f}'" for f in DATE_FORMATS)
    return f"""CASE
        WHEN regexp_full_match({v}, '\\d{{4}}-\\d{{2}}-\\d{{2}}') THEN try_cast({v} AS DATE)
        WHEN regexp_full_match({v}, '\\d{{2}}[-./]\\d{{2}}[-./]\\d{{4}}')
            AND substr({v}, 3, 1) = substr({v}, 6, 1) THEN
            try_cast(substr({v}, 7, 4) || '-' || substr({v}, 4, 2) || '-' || substr({v}, 1, 2)
                     AS DATE)
        ELSE try_strptime({v}, [{formats}])::DATE END"""


def number_sql(v: str) -> str:
    """SQL parsing Danish (1.234,50 and 7.862) and plain (1234.50) numbers."""
    # Only digits, separators and an exponent: "nan", "inf" and "infinity" are no numbers.
    return f"""CASE
        WHEN NOT regexp_full_match({v}, '[-+]?[0-9.,]+([eE][-+]?[0-9]+)?') THEN NULL
        WHEN {v} LIKE '%,%' THEN try_cast(replace(replace({v}, '.', ''), ',', '.') AS DOUBLE)
        WHEN regexp_full_match({v}, '-?\\d{{1,3}}(\\.\\d{{3}})+') THEN
            try_cast(replace({v}, '.', '') AS DOUBLE)
        ELSE try_cast({v} AS DOUBLE) END"""


def boolean_sql(v: str) -> str:
    """SQL parsing Ja/Nej, J/N, x/empty, true/false, 1/0; NULL when not understood."""
    true_list = ", ".join(f"'{w}'" for w in TRUE_WORDS)
    false_list = ", ".join(f"'{w}'" for w in FALSE_WORDS)
    return f"""CASE WHEN {v} IS NULL THEN false
        WHEN lower({v}) IN ({true_list}) THEN true
        WHEN lower({v}) IN ({false_list}) THEN false END"""


def _map_sql(v: str, mapping: dict[str, str]) -> str:
    keys = {k.replace(" ", ""): code for k, code in mapping.items()}
    pairs = ", ".join(f"'{k}': '{code}'" for k, code in keys.items())
    return f"MAP {{{pairs}}}[lower(replace({v}, ' ', ''))]"


def period_sql(v: str) -> str:
    """SQL mapping Danish or canonical cost periods to codes; NULL when unknown."""
    return _map_sql(v, COST_PERIODS)


def unit_sql(v: str) -> str:
    """SQL mapping Danish or canonical extent units to codes; NULL when unknown."""
    return _map_sql(v, EXTENT_UNITS)


# A whole value that is one CPR number, as the CPR or citizen column may write it: the ten
# digits in any of the spellings of privacy.CPR_IN_TEXT, optionally labelled ("CPR
# 010203-1234", "CPR-nr.: 0102031234"), or nine digits (Excel dropped the leading zero).
CPR_VALUE = (
    "(?i)(cpr(-?nr\\.?|-?nummer)?:?[ \u00a0]*)?"
    f"([0-9]{{2}}[ \u00a0]?[0-9]{{2}}[ \u00a0]?[0-9]{{2}}{privacy.CPR_SEPARATOR}{{0,3}}[0-9]{{4}}"
    "|[0-9]{9})"
)


def cpr_digits_sql(v: str) -> str:
    """SQL for the ten digits of a value that is one CPR number (see CPR_VALUE); else NULL."""
    # The two common spellings first (DDMMYY-SSSS, DDMMYYSSSS): CPR_VALUE matches them too and
    # their digits are the text without its dash, but the short pattern is several times
    # cheaper for the hundreds of thousands of numbers in a large extract.
    return (
        f"CASE WHEN regexp_full_match({v}, '[0-9]{{6}}-?[0-9]{{4}}') THEN replace({v}, '-', '') "
        f"WHEN regexp_full_match({v}, '{CPR_VALUE}') "
        f"THEN lpad(regexp_replace({v}, '[^0-9]', '', 'g'), 10, '0') END"
    )


def mask_if_cpr_sql(v: str) -> str:
    """SQL for a value as it is, or masked as ``DDMMYY-****`` when it is written as a CPR."""
    return f"CASE WHEN {cpr_digits_sql(v)} IS NULL THEN {v} ELSE {privacy.mask_cpr_sql(v)} END"


def cpr_birth_sql(digits: str) -> str:
    """SQL for the birth date in a CPR's digits (century rule); NULL for an impossible date."""
    year = privacy.cpr_birth_year_sql(
        f"substr({digits}, 5, 2)::INTEGER", f"substr({digits}, 7, 1)::INTEGER"
    )
    return (
        f"try_strptime(({year})::VARCHAR || '-' || substr({digits}, 3, 2) || '-' "
        f"|| substr({digits}, 1, 2), '%Y-%m-%d')::DATE"
    )


BAD_DATE = "Datoen kunne ikke forstås (brug fx 31-12-2025)."
TWO_DIGIT_YEAR = "Året skal skrives med fire cifre (fx 22-01-2025, ikke 22-01-25)."
DATE_OUT_OF_RANGE = (
    f"Datoen ligger uden for årene {bounds.MIN_YEAR}-{bounds.MAX_YEAR}; tjek årstallet."
)


def two_digit_year_sql(v: str) -> str:
    """SQL telling whether a date is written with a two-digit year (22-01-25)."""
    return f"regexp_full_match({v}, '\\d{{1,2}}[-./]\\d{{1,2}}[-./]\\d{{2}}')"


# --- frames and budgets: a file of values, and values typed in a page ------------------------

# A file to read: a path, an upload (a binary file-like, named by its ``name``) or its bytes.
Source = str | os.PathLike[str] | BinaryIO | bytes
NO_NAME = "uden navn"  # the name in messages of a file given as bytes
# A number in a file exported by slcore: Python writes 7.862 (a float) as "7.862", which the
# parser reads as 7862; "7.8620" is unambiguous.
_THOUSANDS_SHAPE = re.compile(r"-?\d{1,3}(\.\d{3})+")
_NON_FINITE = re.compile(r"[-+]?(nan|inf|infinity)", re.IGNORECASE)


class FrameError(Exception):
    """Frames or budgets refused: a file as a whole, or a value typed in a page; Danish."""


@dataclass(frozen=True)
class Row:
    """One row of a frames or budgets file: its line, each column's text and parsed value."""

    line: int
    text: dict[str, str]
    value: dict[str, object]
    two_digit_years: frozenset[str] = frozenset()  # date columns written like 22-01-25


@dataclass(frozen=True)
class Table:
    """A frames or budgets file as read: the file's header of each column, and its rows."""

    headers: dict[str, str]
    rows: list[Row]

    def where(self, line: int, column: str) -> str:
        """Return ``Linje 3, Takst``: a line and a column as the file names it."""
        return f"Linje {line}, {self.headers.get(column, column)}"


def _load(source: Source) -> tuple[Path | None, bytes, str]:
    """Return a file's path (or its bytes, for an upload) and its name for messages."""
    if isinstance(source, bytes):
        return None, source, NO_NAME
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.is_file():
            raise FrameError(f"Filen {path.name} kan ikke åbnes.")
        return path, b"", path.name
    raw = source.getvalue() if isinstance(source, io.BytesIO) else source.read()
    return None, raw, Path(str(getattr(source, "name", "") or "")).name or NO_NAME


@contextmanager
def _on_disk(store_path: Path, source: Source) -> Iterator[Path]:
    """Yield a path to read the file from: its own, or a private staged copy of an upload."""
    path, raw, name = _load(source)
    if path is not None:
        yield path
        return
    with uploads.staged(store_path, raw, name) as staged:
        yield staged


def _parsed_sql(header: str, column: str, kind: str) -> list[str]:
    """Return the SQL of one file column: its text, its value as ``kind`` reads it, and more."""
    text = f"nullif(trim(raw.{_quoted(header)}), '')"
    value = {"number": number_sql, "date": date_sql, "unit": unit_sql}.get(kind)
    out = [f"{text} AS {_quoted(column + ':text')}"]
    if kind == "date":  # a year DuckDB has but Python has not (0000) stays out of the value
        out.append(
            f"CASE WHEN year({date_sql(text)}) BETWEEN 1 AND 9999 THEN {date_sql(text)} END "
            f"AS {_quoted(column + ':value')}"
        )
        out.append(f"{two_digit_year_sql(text)} AS {_quoted(column + ':two_digit')}")
    else:
        out.append(f"{value(text) if value else text} AS {_quoted(column + ':value')}")
    return out


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_table(store_path: Path, source: Source, columns: Columns, kinds: dict[str, str]) -> Table:
    """Read a frames or budgets file with the extracts' reader and value parsers.

    ``kinds`` says how each column is read: ``number``, ``date``, ``unit`` or ``text``. The
    file is CSV (UTF-8 or Windows-1252, any delimiter), XLSX or Parquet, with or without a
    title line above the header, its values in Danish or plain notation. Refuse the file
    (FrameError) when it cannot be read or lacks a required column. A text keeps what our
    CSV export defused (the apostrophe before a formula-like text is removed).
    """
    con = duckdb.connect()
    try:
        with _on_disk(store_path, source) as path:
            try:
                det = read_to_raw(con, path, columns=columns)
            except ImportRefused as exc:
                raise FrameError(str(exc)) from None
        headers = columns.match(list(det.columns))
        missing = [c for c in columns.required if c not in headers]
        if missing:
            listed = ", ".join(f"{c} ({columns.labels[c]})" for c in missing)
            raise FrameError(f"Filen {path.name} mangler kolonnen/kolonnerne: {listed}.")
        present = [c for c in kinds if c in headers]
        select = ["line_no"] + [p for c in present for p in _parsed_sql(headers[c], c, kinds[c])]
        cur = con.execute(f"SELECT {', '.join(select)} FROM raw_rows raw ORDER BY line_no")
        names = [d[0] for d in cur.description]
        records = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()
    rows = []
    for rec in records:
        text = {c: restore(rec[f"{c}:text"] or "") for c in present}
        value: dict[str, object] = {c: rec[f"{c}:value"] for c in present}
        short = frozenset(c for c in present if kinds[c] == "date" and rec[f"{c}:two_digit"])
        rows.append(Row(int(rec["line_no"]), text, value, short))
    return Table(headers, rows)


def number(table: Table, row: Row, column: str, integer: bool = False) -> float | int | None:
    """Return a column's number, None when empty; refuse a text that is no number.

    NaN and infinity (``nan``, ``inf``, ``1e400``) are returned as they are, for the range
    check to refuse with the range.
    """
    text = row.text.get(column, "")
    if not text:
        return None
    value = row.value[column]
    if value is None:
        value = non_finite(text)
        if value is None:
            raise FrameError(f"{table.where(row.line, column)}: '{text}' er ikke et tal.")
    number = float(value)  # type: ignore[arg-type]
    if integer and math.isfinite(number):
        if not number.is_integer():
            raise FrameError(f"{table.where(row.line, column)}: '{text}' skal være et helt tal.")
        return int(number)
    return number


def date(table: Table, row: Row, column: str) -> dt.date | None:
    """Return a column's date, None when empty; refuse a two-digit year or no date."""
    text = row.text.get(column, "")
    if not text:
        return None
    if column in row.two_digit_years:
        raise FrameError(f"{table.where(row.line, column)}: {TWO_DIGIT_YEAR}")
    value = row.value[column]
    if not isinstance(value, dt.date):
        raise FrameError(
            f"{table.where(row.line, column)}: datoen '{text}' kunne ikke forstås "
            "(brug fx 31-12-2025 eller 2025-12-31)."
        )
    return value


def unit(table: Table, row: Row, column: str) -> str | None:
    """Return a column's extent unit as its code, None when empty; refuse an unknown one."""
    text = row.text.get(column, "")
    if not text:
        return None
    if row.value[column] is None:
        raise FrameError(
            f"{table.where(row.line, column)}: ukendt omfangsenhed '{text}' (brug timer/uge, "
            "dage/måned, døgn/måned eller fuld tid)."
        )
    return str(row.value[column])


def text(row: Row, column: str) -> str | None:
    """Return a column's text, None when empty."""
    return row.text.get(column) or None


def non_finite(text: str) -> float | None:
    """Return NaN or infinity written as a word (``nan``, ``-inf``), else None."""
    return float(text) if _NON_FINITE.fullmatch(text.strip()) else None


def plain_number(value: object) -> object:
    """Return a float as text the parser reads back unchanged (7.862 as ``7.8620``)."""
    if not isinstance(value, float):
        return value
    text = repr(value)
    return text + "0" if _THOUSANDS_SHAPE.fullmatch(text) else text


@functools.cache
def _connection() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


_connection_lock = threading.Lock()


def parse_number(text: str) -> float | None:
    """Return a number written as files write it (``7.862``, ``1.234,50``); None if none.

    NaN and infinity written as words are returned as they are, for a range check.
    """
    text = text.strip()
    if not text:
        return None
    with _connection_lock:
        row = _connection().execute(f"SELECT {number_sql('$1')}", [text]).fetchone()
    value = row[0] if row else None
    return float(value) if value is not None else non_finite(text)


# --- values typed in a page ----------------------------------------------------------------


def is_empty(value: object) -> bool:
    """Return whether a typed-in value is empty (None, blank text, NaN, pandas NA)."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return bool(pd.api.types.is_scalar(value) and pd.isna(value))  # type: ignore[call-overload]


def to_float(value: object) -> float:
    """Return a number as float; an int beyond any float as infinity."""
    try:
        return float(value)  # type: ignore[arg-type]
    except OverflowError:
        return math.inf if value > 0 else -math.inf  # type: ignore[operator]


def as_number(value: object) -> float | None:
    """Return a typed-in number (int, float, numpy or Danish text) as float; ValueError if not.

    NaN typed as text and infinity stay as they are, for the range check to refuse.
    """
    if is_empty(value):
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    number = parse_number(value) if isinstance(value, str) else to_float(value)
    if number is None:
        raise ValueError(value)
    return number


def as_text(value: object) -> str | None:
    """Return a typed-in text stripped, None when empty."""
    return None if is_empty(value) else str(value).strip()


# --- plausibility ranges (slcore.bounds) in Danish -------------------------------------------


@dataclass(frozen=True)
class Range:
    """The values a field may take: low to high, with low itself allowed or not."""

    low: float
    high: float
    unit: str = ""
    low_allowed: bool = True
    year: bool = False  # written without a thousands separator

    def holds(self, value: float) -> bool:
        """Return whether a value lies in the range (never NaN or infinity)."""
        above = self.low <= value if self.low_allowed else self.low < value
        return above and value <= self.high

    def text(self) -> str:
        """Return the range in Danish: ``1-360 måneder`` or ``over 0 og højst 168 timer pr. uge``."""
        low, high = (shown(v, self.year) for v in (self.low, self.high))
        span = f"{low}-{high}" if self.low_allowed else f"over {low} og højst {high}"
        return f"{span} {self.unit}".rstrip()


YEARS = Range(bounds.MIN_YEAR, bounds.MAX_YEAR, year=True)


def shown(value: object, year: bool = False) -> str:
    """Return a number as Danish text for a message; NaN, infinity and huge values too."""
    number = to_float(value)
    if not math.isfinite(number):
        return str(number)  # nan, inf, -inf
    if abs(number) >= 1e15:
        return f"{number:.3g}".replace(".", ",")  # 1e+308
    if year and number.is_integer():
        return str(int(number))
    text = fmt.number(number, 6)
    return text.rstrip("0").rstrip(",") if "," in text else text


def check_range(value: object, allowed: Range, where: str) -> None:
    """Refuse a value outside its range; ``where`` names the line and column, or the field."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise FrameError(f"{where}: '{value}' er ikke et tal.")
    if not allowed.holds(value):  # type: ignore[arg-type]
        raise FrameError(
            f"{where}: {shown(value, allowed.year)} er uden for det tilladte ({allowed.text()})."
        )


def rows_csv(columns: tuple[str, ...], rows: list[tuple[object, ...]]) -> str:
    """Return rows as CSV that reads back unchanged: numbers unambiguous, formulas defused."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for r in rows:
        writer.writerow(["" if v is None else defuse(plain_number(v)) for v in r])
    return buf.getvalue()
