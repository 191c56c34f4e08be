"""Downloads of tables: CSV that Danish Excel opens correctly, and XLSX.

Both keep a spreadsheet from running a text cell as a formula: CSV by an apostrophe before
it, XLSX by writing it as text with Excel's (invisible) quote prefix. A formula-like text starts
with ``=``, ``+``, ``-`` or ``@`` (also after leading spaces, which some spreadsheets trim), or
with a tab, a line break or NUL (OWASP's CSV injection list and ASVS 1.2.10). Only text is
changed; a number such as -5 stays a number.
"""

from __future__ import annotations

import datetime as dt
import io
import numbers

import pandas as pd
import xlsxwriter

from slcore import fmt

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


def _csv_cell(value: object) -> object:
    if isinstance(value, dt.date):  # also datetime and Timestamp
        return fmt.date(value if type(value) is dt.date else pd.Timestamp(value).date())
    return defuse(value)


def _safe(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(_csv_cell)
    out.columns = [str(defuse(str(c))) for c in out.columns]
    return out


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """Return CSV for Danish Excel: UTF-8 with BOM, ``;``, decimal comma, dates dd-mm-yyyy."""
    text = _safe(df).to_csv(index=False, sep=";", decimal=",", lineterminator="\r\n")
    return ("\ufeff" + text).encode("utf-8")


def to_xlsx_bytes(df: pd.DataFrame, sheet: str = "Data") -> bytes:
    """Return an XLSX workbook: numbers as numbers, dates as dates, text as the very text."""
    buf = io.BytesIO()
    options = {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    with xlsxwriter.Workbook(buf, options) as wb:
        ws = wb.add_worksheet(sheet[:31])
        bold = wb.add_format({"bold": True})
        as_text = wb.add_format({"quote_prefix": True})
        as_date = wb.add_format({"num_format": "dd-mm-yyyy"})
        for c, name in enumerate(df.columns):
            ws.write_string(0, c, str(name), bold)
            width = len(str(name))
            for r, value in enumerate(df[name].tolist(), start=1):
                if fmt.is_missing(value):
                    continue
                if isinstance(value, bool):
                    ws.write_boolean(r, c, value)
                elif isinstance(value, numbers.Real):
                    ws.write_number(r, c, float(value))
                elif isinstance(value, dt.date):
                    day = pd.Timestamp(value).to_pydatetime().replace(tzinfo=None)
                    ws.write_datetime(r, c, day, as_date)
                    value = fmt.date(day)  # as wide as the shown date
                else:
                    value = str(value)
                    risky = is_formula_like(value)
                    ws.write_string(r, c, value, as_text if risky else None)
                if r <= 200:
                    width = max(width, len(str(value)))
            ws.set_column(c, c, min(max(width, 8) + 2, 50))
    return buf.getvalue()
