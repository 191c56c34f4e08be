"""Danish presentation: numbers ``1.234.567 kr.``, dates ``31-12-2025``, month names.

The Danish words for codes and table columns are in ``labels``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

MONTHS_DA = (
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
)
MONTHS_DA_SHORT = (
    "jan",
    "feb",
    "mar",
    "apr",
    "maj",
    "jun",
    "jul",
    "aug",
    "sep",
    "okt",
    "nov",
    "dec",
)


def is_missing(value: object) -> bool:
    """Return whether a value is empty: None, NaN, NaT or pandas' NA."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def number(value: float | int | None, decimals: int = 0) -> str:
    """Format a number the Danish way: ``1.234.567`` or ``1.234,5``; empty as a dash."""
    if is_missing(value):
        return "–"
    # Half up, as by hand (Python's own rounding is half to even: 2,5 would become 2), and
    # no "-0" for a tiny negative amount.
    rounded = Decimal(str(float(value))).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)  # type: ignore[arg-type]
    if rounded == 0:
        rounded = abs(rounded)
    text = f"{rounded:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def kr(value: float | int | None) -> str:
    """Format whole kroner: ``1.234.567 kr.``."""
    return "–" if is_missing(value) else f"{number(value)} kr."


def mio_kr(value: float | int | None) -> str:
    """Format millions of kroner for tiles: ``12,3 mio. kr.``."""
    return "–" if is_missing(value) else f"{number(float(value) / 1e6, 1)} mio. kr."  # type: ignore[arg-type]


def short_kr(value: float | int | None) -> str:
    """Format money for a label: millions from one million (``12,3 mio. kr.``), else kroner."""
    if is_missing(value):
        return "–"
    return mio_kr(value) if abs(float(value)) >= 1e6 else kr(value)  # type: ignore[arg-type]


def pct(value: float | None, decimals: int = 0, signed: bool = False) -> str:
    """Format a share (0.123) as ``12 %``."""
    if value is None or is_missing(value):
        return "–"
    text = number(abs(value) * 100 if signed else value * 100, decimals)
    if signed and text.strip("0,."):  # a share that rounds to zero has no sign
        text = ("+" if value >= 0 else "-") + text
    return f"{text} %"


def date(value: dt.date | None) -> str:
    """Format a date as ``31-12-2025``."""
    return "–" if value is None else value.strftime("%d-%m-%Y")


_DANISH_DATE = re.compile(r"\s*(\d{1,2})[-./](\d{1,2})[-./](\d{4})\s*")
_ISO_DATE = re.compile(r"\s*(\d{4})-(\d{2})-(\d{2})\s*")
# The same forms for the browser's check of a typed date (JavaScript regex, anchored).
DATE_INPUT_PATTERN = r"^\s*(\d{1,2}[-./]\d{1,2}[-./]\d{4}|\d{4}-\d{2}-\d{2})\s*$"


def parse_date(text: str | None) -> dt.date | None:
    """Return the date a user typed (``31-12-2025``, ``31.12.2025``, ``2025-12-31``), or None."""
    from slcore import bounds  # bounds formats its messages with fmt: import here, not above

    if not text:
        return None
    if m := _DANISH_DATE.fullmatch(text):
        day, month, year = (int(g) for g in m.groups())
    elif m := _ISO_DATE.fullmatch(text):
        year, month, day = (int(g) for g in m.groups())
    else:
        return None
    if not bounds.MIN_YEAR <= year <= bounds.MAX_YEAR:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def month_label(value: dt.date, short: bool = True) -> str:
    """Return ``jan 2025`` (or ``januar 2025``)."""
    names = MONTHS_DA_SHORT if short else MONTHS_DA
    return f"{names[value.month - 1]} {value.year}"


def period_label(start: dt.date, end: dt.date) -> str:
    """Return a short name for a period: ``2026`` within one year, else ``2025/26``."""
    if start.year == end.year:
        return str(start.year)
    if end.year == start.year + 1:
        return f"{start.year}/{end.year % 100:02d}"
    return f"{start.year}-{end.year}"


def timestamp(value: dt.datetime | None) -> str:
    """Return a moment as ``31-12-2025 kl. 14:03`` (empty for none)."""
    if value is None or is_missing(value):
        return ""
    return f"{date(value.date())} kl. {value:%H:%M}"
