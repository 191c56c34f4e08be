"""Small numbers (diskretionering, metrics.md): what a table may show outside the organisation.

The rule is written once, here, as pure functions over pandas DataFrames; committee mode, the
deck and ``figures --publish`` all call it. T is the threshold.

- Primary. A count of citizens or registrations from 1 to T - 1 shows as ``<T``; 0 stays 0.
  A money, share or duration value of a row with fewer than T citizens shows as ``..``.
- Secondary. Within each column (over the rows other than the total row), if exactly one cell
  is not shown exactly, the smallest other non-zero cell (by absolute value, the first of
  equals) is hidden too. When there is no such cell the column's total is hidden instead, if
  the table has a total row: otherwise the lone value would be the total minus zeros. Along
  each row of a cross table the same holds over the cross columns, with the row's total
  column in the total's part. Columns are checked left to right, then rows top to bottom,
  and again until nothing changes (each pass hides a cell or ends it, so it ends).

Choices the contract leaves open:

- A missing value (NaN) is never hidden and never chosen: it has no number to protect or to
  subtract. In the key figures a missing value follows from cells that are shown (no median
  when no registration ended, no budget deviation when there is no budget).
- A row with 0 citizens keeps a guarded value of 0 (nothing to protect). A non-zero guarded
  value of such a row is hidden: money without active citizens is the committed spend of
  registrations that start after the as-of date, which is about a few citizens too.
- A missing number of citizens counts as 0.
- Hiding a row's number of citizens by the secondary rule does not hide the row's money: the
  money does not reveal the count, and each column is checked on its own. Money is hidden by
  its own primary rule, its column's secondary rule, and the identities of ``linked``.
- The total row takes part in the row rule of a cross table (its cells are the column totals,
  its row total the grand total), but never in the column rule, except as the fallback.
- Without a total row a lone hidden cell with only zeros beside it stays lone: the table holds
  nothing to subtract it from. A caller that publishes the total elsewhere (the ungrouped key
  figures) should append it as the total row so that the fallback can hide it.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

HIDDEN = ".."

# The key figures table of metrics.md, in its order (tests check it against slcore.figures,
# which is not imported here: it pulls in the store and DuckDB).
GROUP_COLUMNS = ("intervention_type", "age_band", "team")
STATUS_COLUMNS = ("within_frame", "approved_exceptions", "unapproved_deviations", "no_frame")
KEY_COUNTS = (
    "active_registrations",
    "active_citizens",
    "new_registrations",
    "ended_registrations",
    *STATUS_COLUMNS,
)
# realized + committed = projected, and projected - budget = deviation with the budget shown:
# any one of them is recoverable from the others, so they are hidden together in a row.
KEY_MONEY = (
    "realized_spend_dkk",
    "committed_spend_dkk",
    "projected_spend_dkk",
    "budget_deviation_dkk",
)
KEY_GUARDED = dict.fromkeys((*KEY_MONEY, "median_duration_days"), "active_citizens")
KEY_FIGURE_COLUMNS = (
    "active_registrations",
    "active_citizens",
    "new_registrations",
    "ended_registrations",
    "realized_spend_dkk",
    "committed_spend_dkk",
    "projected_spend_dkk",
    "budget_dkk",  # a political decision, not about citizens: never hidden
    "budget_deviation_dkk",
    "within_frame",
    "approved_exceptions",
    "unapproved_deviations",
    "no_frame",
    "median_duration_days",
)


def below(threshold: int) -> str:
    """Return the marker of a count from 1 to threshold - 1, ``<5`` for threshold 5."""
    return f"<{threshold}"


@dataclass(frozen=True)
class Published:
    """A table under the small-number rule and where it hides cells."""

    table: pd.DataFrame  # the input's shape; the rule's columns are object: numbers or markers
    hidden: pd.DataFrame  # True where a cell is not shown exactly (``<T`` or ``..``)

    def numbers(self) -> pd.DataFrame:
        """Return the input's values with every cell not shown exactly as NaN (for charts)."""
        columns: dict[Hashable, pd.Series] = {}
        for c in self.table.columns:
            column, mask = self.table[c], self.hidden[c].to_numpy()
            if column.dtype == object:
                values = column.to_numpy(copy=True)
                values[mask] = np.nan
                # Only a column of numbers is made numeric again; group labels stay as they are.
                if all(_is_number(v) or _is_missing(v) for v in values):
                    column = pd.to_numeric(pd.Series(values, index=column.index, dtype=object))
            elif mask.any():
                column = column.mask(mask)
            columns[c] = column
        return _frame(columns, self.table)


def suppress(
    table: pd.DataFrame,
    *,
    threshold: int,
    # Columns of counts of citizens or registrations.
    counts: Sequence[str],
    # A money, share or duration column -> the column with its row's number of citizens.
    guarded: Mapping[str, str] = {},  # read only
    # The index label of the total row, if the table has one.
    total_row: object | None = None,
    # The data columns of a cross table (a row is one type, the columns e.g. its age bands),
    # and the column with each row's total over them, if the table has one.
    cross: Sequence[str] = (),
    cross_total: str | None = None,
    # Groups of columns tied by an identity within a row (realized + committed = projected):
    # when a cell of a group is hidden, the group's other cells in its row are hidden too.
    linked: Sequence[Sequence[str]] = (),
) -> Published:
    """Apply the small-number rule of metrics.md to the rule's (numeric) columns of a table."""
    if threshold < 1:
        raise ValueError(f"threshold must be at least 1, not {threshold}")
    rule = _rule_columns(table, counts, guarded, cross, cross_total, linked)
    total = _total_position(table, total_row)
    grid = _Grid(table, rule, linked)
    grid.primary(table, threshold, counts, guarded)
    _settle(grid, _lines(len(table), rule, total, cross, cross_total))
    return grid.published(table)


def key_figures(table: pd.DataFrame, threshold: int, total_row: object | None = None) -> Published:
    """Apply the small-number rule to a key figures table (metrics.md, "nøgletal")."""
    missing = [c for c in KEY_FIGURE_COLUMNS if c not in table.columns]
    unknown = [c for c in table.columns if c not in (*GROUP_COLUMNS, *KEY_FIGURE_COLUMNS)]
    if missing or unknown:
        # An unknown column would be published as it is: refuse rather than guess its rule.
        raise ValueError(f"not a key figures table: missing {missing}, unknown {unknown}")
    return suppress(
        table,
        threshold=threshold,
        counts=KEY_COUNTS,
        guarded=KEY_GUARDED,
        total_row=total_row,
        # Every active registration has exactly one status, so the statuses add up to
        # active_registrations: along a row they are a cross table with that total.
        cross=STATUS_COLUMNS,
        cross_total="active_registrations",
        linked=(KEY_MONEY,),
    )


def as_text(value: object) -> str:
    """Return a published cell as CSV text: decimal point, no thousands separator."""
    if _is_missing(value):
        return ""
    if isinstance(value, str):
        return value  # a marker or a group label
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return str(int(value))
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        # The shortest digits that read back as the same float, never an exponent, and a
        # whole number without ".0".
        return np.format_float_positional(float(value), trim="-")
    return str(value)


# --- the rule ------------------------------------------------------------------------------

_Cell = tuple[int, int]  # (row position, position among the rule's columns)
_Line = tuple[list[_Cell], _Cell | None]  # the cells of a column or row, and its total's cell


class _Grid:
    """The rule's columns as numbers, which cells are hidden and how they are marked."""

    def __init__(self, table: pd.DataFrame, rule: list[str], linked: Sequence[Sequence[str]]):
        self.columns = rule
        self.values = np.zeros((len(table), len(rule)))
        for j, c in enumerate(rule):
            self.values[:, j] = _numeric(table[c], c)
        self.hidden = np.zeros(self.values.shape, dtype=bool)
        self.marks = np.full(self.values.shape, HIDDEN, dtype=object)
        position = {c: j for j, c in enumerate(rule)}
        self.links: dict[int, list[int]] = {}
        for group in linked:
            for c in group:
                self.links.setdefault(position[c], []).extend(position[o] for o in group if o != c)

    def primary(
        self,
        table: pd.DataFrame,
        threshold: int,
        counts: Sequence[str],
        guarded: Mapping[str, str],
    ) -> None:
        """Mark small counts ``<T`` and hide the guarded values of rows with few citizens."""
        for c in counts:
            j = self.columns.index(c)
            v = self.values[:, j]
            if (v < 0).any():
                raise ValueError(f"column {c!r} holds a negative count")
            for i in np.flatnonzero((v > 0) & (v < threshold)):
                self.hide((int(i), j), below(threshold))
        for c, citizens_column in guarded.items():
            j = self.columns.index(c)
            v = self.values[:, j]
            if citizens_column in self.columns:
                citizens = self.values[:, self.columns.index(citizens_column)]
            else:
                citizens = _numeric(table[citizens_column], citizens_column)
            citizens = np.nan_to_num(citizens, nan=0.0)
            # A missing value is never hidden, nor a 0 of a row without citizens.
            few = (citizens < threshold) & ~np.isnan(v) & ~((citizens == 0) & (v == 0))
            for i in np.flatnonzero(few):
                self.hide((int(i), j))

    def hide(self, cell: _Cell, mark: str = HIDDEN) -> None:
        """Hide a cell, and its row's cells of the columns tied to it as ``..``."""
        if self.hidden[cell]:
            return
        self.hidden[cell] = True
        self.marks[cell] = mark
        i, j = cell
        for other in self.links.get(j, []):
            if not math.isnan(self.values[i, other]):
                self.hide((i, other))

    def shown(self, cell: _Cell) -> bool:
        """Return whether a cell is shown exactly with a number other than 0."""
        v = self.values[cell]
        return not self.hidden[cell] and v != 0 and not math.isnan(v)

    def published(self, table: pd.DataFrame) -> Published:
        """Return the table with the marks in place of the hidden cells."""
        columns: dict[Hashable, pd.Series] = {c: table[c] for c in table.columns}
        hidden = np.zeros(table.shape, dtype=bool)
        for j, c in enumerate(self.columns):
            mask = self.hidden[:, j]
            cells = table[c].to_numpy(dtype=object, copy=True)  # Python ints and floats
            cells[mask] = self.marks[mask, j]
            columns[c] = pd.Series(cells, index=table.index, dtype=object)
            hidden[:, table.columns.get_loc(c)] = mask
        return Published(
            table=_frame(columns, table),
            hidden=pd.DataFrame(hidden, index=table.index, columns=table.columns),
        )


def _settle(grid: _Grid, lines: list[_Line]) -> None:
    """Apply the secondary rule to every line until no line has a lone hidden cell."""
    changed = True
    while changed:
        changed = False
        for cells, total in lines:
            changed = _fix_line(grid, cells, total) or changed


def _fix_line(grid: _Grid, cells: list[_Cell], total: _Cell | None) -> bool:
    """Hide a second cell of a line with one hidden cell; return whether one was hidden."""
    if sum(bool(grid.hidden[c]) for c in cells) != 1:
        return False
    if total is not None and (grid.hidden[total] or math.isnan(grid.values[total])):
        # Nothing to subtract from here; but the total may be known elsewhere (another table,
        # or the other totals of a cross table), so a second cell still goes, as without one.
        total = None
    others = [c for c in cells if grid.shown(c)]
    if others:
        # min keeps the first of equals: the outcome does not depend on anything but order.
        grid.hide(min(others, key=lambda c: abs(grid.values[c])))
        return True
    if total is not None:
        grid.hide(total)
        return True
    return False


def _lines(
    n_rows: int,
    rule: list[str],
    total: int | None,
    cross: Sequence[str],
    cross_total: str | None,
) -> list[_Line]:
    """Return the columns of the rule's cells and, for a cross table, its rows."""
    body = [i for i in range(n_rows) if i != total]
    lines: list[_Line] = [
        ([(i, j) for i in body], None if total is None else (total, j)) for j in range(len(rule))
    ]
    if cross:
        spots = [rule.index(c) for c in cross]
        row_total = None if cross_total is None else rule.index(cross_total)
        lines += [
            ([(i, j) for j in spots], None if row_total is None else (i, row_total))
            for i in range(n_rows)
        ]
    return lines


# --- checks and conversions ----------------------------------------------------------------


def _rule_columns(
    table: pd.DataFrame,
    counts: Sequence[str],
    guarded: Mapping[str, str],
    cross: Sequence[str],
    cross_total: str | None,
    linked: Sequence[Sequence[str]],
) -> list[str]:
    """Return the columns the rule applies to, after checking the arguments name real ones."""
    if not table.columns.is_unique:
        raise ValueError("the table's column names must be unique")
    rule = list(dict.fromkeys([*counts, *guarded]))
    if len(rule) != len(counts) + len(guarded):
        raise ValueError("a column is named twice in counts and guarded")
    named = [*rule, *guarded.values()]
    absent = [c for c in named if c not in table.columns]
    if absent:
        raise ValueError(f"no such columns: {absent}")
    loose = [c for c in [*cross, *(c for g in linked for c in g)] if c not in rule]
    if loose:
        raise ValueError(f"cross and linked columns must be counts or guarded: {loose}")
    if cross_total is not None and (cross_total not in rule or cross_total in cross or not cross):
        raise ValueError("cross_total must be a rule column outside cross, with cross given")
    return rule


def _total_position(table: pd.DataFrame, total_row: object | None) -> int | None:
    """Return the position of the total row, or None."""
    if total_row is None:
        return None
    try:
        position = table.index.get_loc(total_row)
    except KeyError:
        raise ValueError(f"no total row {total_row!r} in the table") from None
    if not isinstance(position, int):
        raise ValueError(f"the total row {total_row!r} must name exactly one row")
    return position


def _frame(columns: dict[Hashable, pd.Series], like: pd.DataFrame) -> pd.DataFrame:
    """Return a frame of these columns with the index and column index of another."""
    out = pd.DataFrame(columns, index=like.index)
    out.columns = like.columns
    return out


def _numeric(column: pd.Series, name: Hashable) -> np.ndarray:
    """Return a column's values as floats (NaN where missing)."""
    if isinstance(column.dtype, np.dtype) and column.dtype.kind in "iuf":
        return column.to_numpy(dtype="float64")
    try:
        values = pd.to_numeric(column)
    except (ValueError, TypeError):
        raise ValueError(f"column {name!r} is not numeric") from None
    return values.to_numpy(dtype="float64", na_value=np.nan)


def _is_missing(value: object) -> bool:
    """Return whether a scalar is None, NaN, NA or NaT."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, numbers.Real) and math.isnan(float(value))


def _is_number(value: object) -> bool:
    """Return whether a value is a real number (not a marker, label or bool)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)
