"""Downloads of tables: CSV that Danish Excel opens correctly, and XLSX.

Both make text cells harmless that a spreadsheet would run as a formula.
"""

from __future__ import annotations

import io

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defuse(value: object) -> object:
    """Prefix a text cell that a spreadsheet would read as a formula with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _safe(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(defuse)
    out.columns = [str(defuse(str(c))) for c in out.columns]
    return out


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """Return CSV for Danish Excel: UTF-8 with BOM, ``;`` between fields, decimal comma."""
    text = _safe(df).to_csv(index=False, sep=";", decimal=",", lineterminator="\r\n")
    return ("\ufeff" + text).encode("utf-8")


def to_xlsx_bytes(df: pd.DataFrame, sheet: str = "Data") -> bytes:
    """Return an XLSX workbook with the table, numbers as numbers, text never as formulas."""
    buf = io.BytesIO()
    with pd.ExcelWriter(
        buf,
        engine="xlsxwriter",
        engine_kwargs={"options": {"strings_to_formulas": False, "strings_to_urls": False}},
    ) as writer:
        _safe(df).to_excel(writer, sheet_name=sheet[:31], index=False)
        ws = writer.sheets[sheet[:31]]
        for i, col in enumerate(df.columns):
            width = max(len(str(col)), *(len(str(v)) for v in df[col].head(200)), 8)
            ws.set_column(i, i, min(width + 2, 50))
    return buf.getvalue()
