"""Plausibility and resource bounds: the one home of every limit an upload is checked against.

Two kinds of limit live here:

- *Plausibility*: a value outside these ranges is a typing or export error, not a real
  allocation, frame or budget (a price of 1e15 kr., 200 hours a week, the year 0025). The
  importer rejects such a row with a Danish reason; frame and budget files are refused with
  the line. The ranges are generous: they must never reject a real registration.
- *Resources*: limits checked before the work on a file grows, so a small hostile file cannot
  exhaust the server (thousands of columns, a huge header or field, a zip bomb).

The limits are listed in the README's import section; change them here only.
"""

from __future__ import annotations

from slcore import fmt, labels

# --- plausibility ---------------------------------------------------------------------------

MIN_YEAR = 1900  # dates before this are typing errors (or a two-digit year read as 00xx)
MAX_YEAR = 2100
# Case systems write an open end as 31-12-9999; it is read as "ongoing", not as a date.
OPEN_END_YEAR = 9999
MIN_AGE, MAX_AGE = 0, 30  # children and young people, with room for after-care

# The most a registration's extent may be, per unit (a week has 168 hours, a month 31 days).
MAX_EXTENT: dict[str, float] = {
    "hours_per_week": 168,
    "days_per_month": 31,
    "nights_per_month": 31,
    "full_time": 1,
}
MAX_EXTENT_ANY_UNIT = 168.0  # extent without a unit: the largest of the units above
EXTENT_UNIT_WORDS = labels.EXTENT_UNITS_IN_TEXT  # the units' words in a message

# The highest price per cost period: far above any real placement (a secure institution
# costs about 10.000 kr. a day), far below what breaks a sum.
MAX_COST: dict[str, float] = {
    "hour": 10_000,
    "day": 100_000,
    "week": 700_000,
    "month": 3_000_000,
    "year": 36_000_000,
    "once": 10_000_000,
}

# Frames (registrations.md §5) and budgets (§6).
MAX_FRAME_DURATION_MONTHS = 360  # 30 years: a whole childhood and after-care
MAX_FRAME_MONTHLY_COST = MAX_COST["month"]
MAX_BUDGET_DKK = 10_000_000_000  # 10 mia. kr. for one type in one year
MAX_PLANNED_CASES = 1_000_000

# A replace that would remove more than this share of the current registrations must be
# confirmed (--allow-removal, or on the page): a truncated extract must not empty the store.
MAX_REPLACE_REMOVAL_SHARE = 0.10

# --- resources ------------------------------------------------------------------------------

MAX_COLUMNS = 500  # an extract has 15-40 columns
MAX_HEADER_BYTES = 64 * 1024  # the header row
MAX_FIELD_BYTES = 64 * 1024  # one value (a free-text note is at most a few KB)
MAX_FIELD_LINES = 50  # line breaks inside one quoted value; more means a stray quote
MAX_UNKNOWN_TYPE_NAMES = 500  # distinct unrecognised intervention names in one file
MAX_LINE_BYTES = 1 << 20  # a line longer than 1 MB is not a registration
MAX_XLSX_UNPACKED = 1 << 30  # 1 GB unpacked
MAX_XLSX_RATIO = 200  # a real sheet compresses maybe 10-20 times; a zip bomb far more
# calamine holds a sheet as one dense block of ~70 bytes a cell while it reads it (from the first
# to the last row with a value, across the columns in use): 1,000,000 rows x 25 columns.
MAX_XLSX_CELLS = 25_000_000
MAX_XLSX_STRINGS = 5_000_000  # distinct texts in sharedStrings.xml, each kept by calamine
MAX_XLSX_STRINGS_BYTES = 256 << 20  # sharedStrings.xml unpacked
MAX_XLSX_PART_BYTES = 16 << 20  # workbook, relationships and styles: a few KB in a real file


def price_limit_text(period: str) -> str:
    """Return the Danish text of the price limit for a cost period, e.g. 'pr. døgn'."""
    words = {
        "hour": "pr. time",
        "day": "pr. døgn",
        "week": "pr. uge",
        "month": "pr. måned",
        "year": "pr. år",
        "once": "som engangsbeløb",
    }
    return f"{fmt.number(MAX_COST[period])} kr. {words[period]}"
