"""The SQL pieces every figure shares: one definition per rule (metrics.md).

Each piece returns SQL text for expressions the caller names (a column, a parameter such as
``$as_of``), so one rule reads the same in the key figures, the series and the pages' tables.

Values never enter SQL as text: they are bound parameters. What does enter as text is
either an identifier, which must come from a whitelist and goes through ``quote_ident``, or
a constant of the program (a label, a band's limit), which goes through ``literal``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection, Sequence
from typing import TypeAlias

from slcore.periods import Period

# The group of a registration whose team or provider is empty (metrics.md: key figures).
UNKNOWN_GROUP = "(ukendt)"

# metrics.md: monthly_cost = daily_cost × 365 / 12; a month of days is 365 / 12 days.
DAYS_PER_MONTH = 365 / 12

# --- Quoting -------------------------------------------------------------------------------

# What ``literal`` writes: the program's constants, never a user's value.
Constant: TypeAlias = str | int | float | bool | dt.date | None


def quote_ident(name: str, allowed: Collection[str]) -> str:
    """Return an identifier double-quoted for DuckDB, refusing one not in ``allowed``.

    ``allowed`` is the whitelist the name must come from: the program's own columns, or the
    column names a file was read with. Quoting keeps a name exactly (case, spaces, quotes).
    """
    if name not in allowed:
        raise ValueError(f"Identifier not allowed here: {name!r}")
    return '"' + name.replace('"', '""') + '"'


def literal(value: Constant | Sequence[Constant]) -> str:
    """Return a constant of the program as a DuckDB literal (a list or tuple as a list).

    Only for constants (labels, limits, word lists); a user's value is a bound parameter.
    """
    if value is None:
        return "NULL"
    if isinstance(value, bool):  # before int: True is an int too
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"Not a finite number: {value!r}")
        # A bare 30.416666666666668 would be read as a DECIMAL; from text it is the double.
        return f"'{value!r}'::DOUBLE"
    if isinstance(value, dt.datetime):
        raise TypeError("A timestamp is not a date literal; bind it as a parameter.")
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, Sequence):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    raise TypeError(f"No SQL literal for {type(value).__name__}")


# --- Parameters ----------------------------------------------------------------------------


def period_params(period: Period) -> dict[str, object]:
    """Return the parameters ``$p_from``, ``$p_to`` and ``$as_of`` of a period."""
    return {"p_from": period.start, "p_to": period.end, "as_of": period.as_of}


# --- Rules ---------------------------------------------------------------------------------


def days_sql(first: str, last: str) -> str:
    """Return the number of days from ``first`` to ``last``, both included; 0 when none."""
    return f"greatest(0, date_diff('day', {first}, {last}) + 1)"


def monthly_cost_sql(daily_cost: str) -> str:
    """Return the monthly cost of a daily cost (metrics.md: daily_cost × 365 / 12)."""
    # Written as daily × 365 / 12, in this order, so every figure rounds alike.
    return f"({daily_cost} * 365 / 12)"


def months_sql(days: str) -> str:
    """Return a number of days in months of 365 / 12 days."""
    return f"({days} / (365 / 12))"


def unknown_group_sql(column: str) -> str:
    """Return a team or provider column as its group: an empty one is ``(ukendt)``."""
    return f"coalesce(nullif(trim({column}), ''), {literal(UNKNOWN_GROUP)})"


def touches_period_sql(row: str = "") -> str:
    """Return whether a measured registration counts in an interval: active, or spend in it.

    ``row`` is the alias of a row with ``measures_sql``'s columns (empty: unqualified).
    """
    p = f"{row}." if row else ""
    return f"({p}active OR {p}realized <> 0 OR {p}committed <> 0)"


def runs_in_sql(row: str, first: str, last: str) -> str:
    """Return whether a registration runs on at least one day of [first, last]."""
    return f"({row}.start_date <= {last} AND coalesce({row}.end_date, {last}) >= {first})"


def frame_last_day_sql(start: str, max_duration_months: str) -> str:
    """Return the last day within a frame's duration: start + months - 1 day (metrics.md)."""
    return f"(({start} + to_months({max_duration_months}))::DATE - 1)"


def frame_in_force_sql(day: str) -> str:
    """Return a query of each type's frame version in force on ``day`` (one row per type).

    The version in force is the one with the latest ``valid_from`` on or before the day
    (metrics.md: its frame); ``frames_current`` already holds one row per version.
    """
    return f"""SELECT * FROM frames_current
        WHERE valid_from <= {day}
        QUALIFY row_number() OVER (PARTITION BY intervention_type ORDER BY valid_from DESC) = 1"""


def frame_in_force_join_sql(row: str, day: str, frame: str) -> str:
    """Return a join of each ``row`` to its type's frame in force on ``day`` (a column).

    The same rule as ``frame_in_force_sql``, for a day that differs per row (a
    registration's start date): an ASOF join takes the latest valid_from on or before it.
    """
    return (
        f"ASOF LEFT JOIN frames_current {frame}\n"
        f"        ON {row}.intervention_type = {frame}.intervention_type"
        f" AND {day} >= {frame}.valid_from"
    )
