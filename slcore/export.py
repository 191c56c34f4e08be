"""Downloads of tables: CSV that Danish Excel opens correctly, and XLSX.

Both keep a spreadsheet from running a text cell as a formula: CSV by an apostrophe before
it, XLSX by writing it as text with Excel's (invisible) quote prefix. A formula-like text starts
with ``=``, ``+``, ``-`` or ``@`` (also after leading spaces, which some spreadsheets trim), or
with a tab, a line break or NUL (OWASP's CSV injection list and ASVS 1.2.10). Only text is
changed; a number such as -5 stays a number.

A table the user sees is downloaded ``as_shown``: by each column's format (``labels.Format``,
given with the table or registered for its Danish name in ``labels``), kroner are whole
kroner, shares are percent with one decimal, counts are integers and other numbers have one
decimal where needed, as on the screen. In XLSX a
share stays a real fraction with a percent format (Excel computes with it and shows
``53,2 %``); CSV has no formats, so there it is the number in percent (53,2) and the column's
name says "(%)". Without ``as_shown`` every value is written as it is (files to import back).

A title (what, for which period, as of which day) can head both files: its own line, an empty
line, then the table, so that the table stays one block that Excel can filter and sort.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd
import xlsxwriter

from slcore import fmt, labels
from slcore.labels import Format
from slcore.periods import Period

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")


def is_formula_like(text: str) -> bool:
    """Return whether a spreadsheet may read a text as a formula (also after leading spaces)."""
    return text.startswith(FORMULA_STARTS) or text.lstrip().startswith(FORMULA_STARTS)


def defuse(value: object) -> object:
    """Prefix a text cell that a spreadsheet would read as a formula with an apostrophe.

    Apostrophes before a formula-like text count as part of it ("'=1" becomes "''=1"), so
    that ``restore`` gives back exactly the text.
    """
    if isinstance(value, str) and is_formula_like(value.lstrip("'")):
        return "'" + value
    return value


def restore(text: str) -> str:
    """Undo ``defuse``: drop the one apostrophe it put before a formula-like text."""
    if text.startswith("'") and is_formula_like(text.lstrip("'")):
        return text[1:]
    return text


# --- numbers as the screen shows them ----------------------------------------------------

PERCENT_SUFFIX = " (%)"
WHOLE_FORMAT = "#,##0"  # Danish Excel shows 1.234.567
PERCENT_FORMAT = "0.0 %"
SIGNED_PERCENT_FORMAT = "+0.0 %;-0.0 %;0.0 %"
DATE_FORMAT = "dd-mm-yyyy"
DATETIME_FORMAT = "dd-mm-yyyy hh:mm:ss"
SHARES = (Format.SHARE, Format.SIGNED_SHARE)
Formats = Mapping[str, Format]


def _formats(df: pd.DataFrame, formats: Formats | None) -> dict[str, Format]:
    # The formats given, else those registered for the table's Danish names (labels).
    known = labels.formats_of(df)
    return {**known, **(formats or {})}


def _is_number(value: object) -> bool:
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and not fmt.is_missing(value)
        and abs(float(value)) != float("inf")
    )


def _half_up(value: float, decimals: int) -> Decimal:
    # As fmt.number, so a file says what the screen says (2,5 -> 3; Python's round gives 2).
    return Decimal(str(float(value))).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)


def round_half_up(value: object, decimals: int = 0) -> object:
    """Round a number half up as by hand (an int for none); keep anything else as it is."""
    if not _is_number(value):
        return value
    rounded = _half_up(value, decimals)  # type: ignore[arg-type]
    return int(rounded) if decimals == 0 else float(rounded) or 0.0  # never -0.0


def share_as_shown(value: object) -> object:
    """Round a share (0.53249) to the screen's 0.1 percentage point, as a fraction (0.532)."""
    if not _is_number(value):
        return value
    return float(_half_up(float(value) * 100, 1) / 100) or 0.0  # type: ignore[arg-type]


def _column(values: list[object], index: pd.Index) -> pd.Series:
    # Whole numbers become a nullable integer column (written without decimals), other numbers
    # a float column (written with the decimal comma); gaps stay empty.
    present = [v for v in values if not fmt.is_missing(v)]
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return pd.Series([None if fmt.is_missing(v) else v for v in values], index, "Int64")
    if all(_is_number(v) for v in present):
        return pd.Series([None if fmt.is_missing(v) else v for v in values], index, "float64")
    return pd.Series(values, index, dtype=object)


def numbers_as_shown(df: pd.DataFrame, formats: Formats | None = None) -> pd.DataFrame:
    """Return a table's numbers as the screen shows them (module docstring); shares stay fractions."""
    out = df.copy()
    kinds = _formats(df, formats)
    for col in out.columns:
        values = out[col].tolist()
        kind = kinds[str(col)]
        if kind is Format.KR:
            out[col] = _column([round_half_up(v) for v in values], out.index)
        elif kind in SHARES:
            out[col] = _column([share_as_shown(v) for v in values], out.index)
        elif kind is Format.COUNT and not pd.api.types.is_integer_dtype(out[col]):
            out[col] = _column([round_half_up(v) for v in values], out.index)
        elif pd.api.types.is_float_dtype(out[col]):
            out[col] = _column(_one_decimal(values), out.index)
    return out


def _one_decimal(values: list[object]) -> list[object]:
    # Other numbers get the screen's one decimal; a column of whole numbers (counts) gets none.
    rounded = [round_half_up(v, 1) for v in values]
    if all(not _is_number(v) or float(v).is_integer() for v in rounded):  # type: ignore[arg-type]
        return [int(v) if _is_number(v) else v for v in rounded]  # type: ignore[call-overload]
    return rounded


def _in_percent(df: pd.DataFrame, formats: Formats) -> pd.DataFrame:
    # CSV has no number formats: a share is written in percent and its name says so.
    out = df.copy()
    shares = [c for c in out.columns if formats.get(str(c)) in SHARES]
    for col in shares:
        percent = [float(Decimal(str(v)) * 100) or 0.0 if _is_number(v) else v for v in out[col]]
        out[col] = _column(percent, out.index)
    return out.rename(columns={c: f"{c}{PERCENT_SUFFIX}" for c in shares})


# --- what a file is: its name and its title -------------------------------------------------


def file_stem(name: str, period: Period | None = None) -> str:
    """Return a download's file name without extension, with the period and as-of date if given.

    ISO dates, so the files of several meetings sort by date in a folder:
    ``ikke_godkendte_afvigelser_2025-01-01_til_2025-12-31_opgjort_2026-03-18``.
    """
    if period is None:
        return name
    return (
        f"{name}_{period.start:%Y-%m-%d}_til_{period.end:%Y-%m-%d}_opgjort_{period.as_of:%Y-%m-%d}"
    )


def heading(title: str | None, period: Period | None = None) -> str | None:
    """Return a file's title line: the title, then the period and as-of date in Danish (if given)."""
    if title is None or period is None:
        return title
    p = period
    return f"{title} · {fmt.date(p.start)} – {fmt.date(p.end)}, opgjort pr. {fmt.date(p.as_of)}"


# --- the files ------------------------------------------------------------------------------


def _has_time(value: dt.date) -> bool:
    return isinstance(value, dt.datetime) and value.time() != dt.time(0)


def _csv_cell(value: object) -> object:
    if fmt.is_missing(value):  # NaT too, which is a datetime
        return value
    if isinstance(value, dt.date):  # also datetime and Timestamp
        day = value if type(value) is dt.date else pd.Timestamp(value).date()
        return f"{fmt.date(day)} {value:%H:%M:%S}" if _has_time(value) else fmt.date(day)
    return defuse(value)


def _safe(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        kind = out[col].dtype
        if (
            pd.api.types.is_object_dtype(kind)
            or pd.api.types.is_string_dtype(kind)
            or pd.api.types.is_datetime64_any_dtype(kind)
        ):
            out[col] = out[col].map(_csv_cell).astype(object)
    out.columns = [str(defuse(str(c))) for c in out.columns]
    return out


def _csv_title(title: str | None) -> str:
    if title is None:
        return ""
    line = io.StringIO()
    csv.writer(line, delimiter=";", lineterminator="\r\n").writerow([defuse(title)])
    return line.getvalue() + "\r\n"  # an empty line between the title and the table


def to_csv_bytes(
    df: pd.DataFrame,
    *,
    title: str | None = None,
    as_shown: bool = False,
    formats: Formats | None = None,
) -> bytes:
    """Return CSV for Danish Excel: UTF-8 with BOM, ``;``, decimal comma, dates dd-mm-yyyy.

    ``as_shown``: numbers as the screen shows them (by ``formats``, else the labels'
    formats), shares in percent; ``title``: a first line.
    """
    if as_shown:
        kinds = _formats(df, formats)
        df = _in_percent(numbers_as_shown(df, kinds), kinds)
    text = _safe(df).to_csv(index=False, sep=";", decimal=",", lineterminator="\r\n")
    return ("\ufeff" + _csv_title(title) + text).encode("utf-8")


def _number_formats(df: pd.DataFrame, kinds: Formats) -> dict[object, str]:
    formats: dict[object, str] = {}
    for col in df.columns:
        kind = kinds.get(str(col))
        if kind in SHARES:
            formats[col] = SIGNED_PERCENT_FORMAT if kind is Format.SIGNED_SHARE else PERCENT_FORMAT
        elif kind is Format.KR or (
            pd.api.types.is_integer_dtype(df[col]) and not pd.api.types.is_bool_dtype(df[col])
        ):
            formats[col] = WHOLE_FORMAT
    return formats


def to_xlsx_bytes(
    df: pd.DataFrame,
    sheet: str = "Data",
    *,
    title: str | None = None,
    as_shown: bool = False,
    formats: Formats | None = None,
) -> bytes:
    """Return an XLSX workbook: numbers as numbers, dates as dates, text as the very text.

    ``as_shown``: numbers as the screen shows them (by ``formats``, else the labels'
    formats), with Danish number formats (shares as percent); ``title``: a first row above
    the table, which then stays in view and is printed on every page.
    """
    kinds = _formats(df, formats) if as_shown else {}
    if as_shown:
        df = numbers_as_shown(df, kinds)
    buf = io.BytesIO()
    options = {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    with xlsxwriter.Workbook(buf, options) as wb:
        ws = wb.add_worksheet(sheet[:31])
        bold = wb.add_format({"bold": True})
        as_text = wb.add_format({"quote_prefix": True})
        as_date = wb.add_format({"num_format": DATE_FORMAT})
        as_time = wb.add_format({"num_format": DATETIME_FORMAT})
        styles = {
            c: wb.add_format({"num_format": f}) for c, f in _number_formats(df, kinds).items()
        }
        styles = styles if as_shown else {}
        top = 0 if title is None else _write_title(ws, wb, title)
        cells = _Cells(ws, as_text, as_date, as_time)
        for c, name in enumerate(df.columns):
            ws.write_string(top, c, str(name), bold)
            width = len(str(name))
            style = styles.get(name)
            share = kinds.get(str(name)) in SHARES
            for r, value in enumerate(df[name].tolist(), start=top + 1):
                shown = cells.write(r, c, value, style, share)
                if r <= top + 200:
                    width = max(width, len(shown))
            ws.set_column(c, c, min(max(width, 8) + 2, 50))
    return buf.getvalue()


def _write_title(ws: Any, wb: Any, title: str) -> int:
    """Write a title above the table, kept in view and on every printed page; return its row."""
    big = {"bold": True, "font_size": 12, "quote_prefix": is_formula_like(title)}
    ws.write_string(0, 0, title, wb.add_format(big))
    top = 2  # the title, an empty row, then the table
    ws.freeze_panes(top + 1, 0)
    ws.repeat_rows(top)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    return top


@dataclass(frozen=True)
class _Cells:
    """Write one value as its kind of cell: number, date, boolean or text (never a formula)."""

    ws: Any
    as_text: Any
    as_date: Any
    as_time: Any

    def write(self, r: int, c: int, value: object, style: Any, share: bool) -> str:
        """Write a cell; return the text it shows (for the column's width)."""
        if fmt.is_missing(value):
            return ""
        if isinstance(value, bool):
            self.ws.write_boolean(r, c, value)
            return str(value)
        if isinstance(value, numbers.Real):
            amount = float(value)
            self.ws.write_number(r, c, amount, style)
            if style is None:
                return str(value)
            return fmt.pct(amount, 1) if share else fmt.number(amount)  # as shown
        if isinstance(value, dt.date):
            day = pd.Timestamp(value).to_pydatetime().replace(tzinfo=None)
            self.ws.write_datetime(r, c, day, self.as_time if _has_time(day) else self.as_date)
            return str(_csv_cell(day))
        text = str(value)
        self.ws.write_string(r, c, text, self.as_text if is_formula_like(text) else None)
        return text
