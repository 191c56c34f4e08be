"""The small-number rule (metrics.md, "Small numbers (diskretionering)") in slcore.publish.

Worked examples with the threshold 5, then property tests over random tables and random cross
tables: no line keeps a lone hidden cell, an exact cell is the input's value, a small count is
never exact, and a guarded value of a row with few citizens is never exact.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slcore import figures
from slcore.publish import (
    GROUP_COLUMNS,
    HIDDEN,
    KEY_COUNTS,
    KEY_FIGURE_COLUMNS,
    KEY_GUARDED,
    KEY_MONEY,
    STATUS_COLUMNS,
    Published,
    as_text,
    below,
    key_figures,
    suppress,
)

NAN = float("nan")
H = HIDDEN
L = below(5)  # "<5"
Kwargs = dict[str, Any]  # the keyword arguments of suppress a strategy drew
SETTINGS = settings(
    max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def cells(pub: Published, column: str) -> list[object]:
    """Return a published column as a list, NaN as None (NaN != NaN in comparisons)."""
    return [None if isinstance(v, float) and math.isnan(v) else v for v in pub.table[column]]


# --- worked examples -----------------------------------------------------------------------


def test_markers():
    assert below(5) == "<5"
    assert below(10) == "<10"
    assert HIDDEN == ".."


def test_primary_counts_and_zero_stays_zero():
    table = pd.DataFrame({"n": [0, 1, 4, 5, 12]})
    pub = suppress(table, threshold=5, counts=["n"])
    # Two cells are "<5": neither is alone in the column, so nothing more is hidden.
    assert cells(pub, "n") == [0, L, L, 5, 12]
    assert pub.hidden["n"].tolist() == [False, True, True, False, False]
    assert pub.table["n"].dtype == object


def test_money_of_a_row_with_few_citizens_is_hidden():
    table = pd.DataFrame(
        {"citizens": [3, 10, 20], "spend": [100.0, 200.0, 300.0]}, index=["a", "b", "c"]
    )
    pub = suppress(table, threshold=5, counts=["citizens"], guarded={"spend": "citizens"})
    # Row a's spend is hidden (3 citizens); it is alone in its column, so the smallest other
    # spend (b's) is hidden too. The citizens column does the same on its own.
    assert cells(pub, "spend") == [H, H, 300.0]
    assert cells(pub, "citizens") == [L, H, 20]
    assert list(pub.table.index) == ["a", "b", "c"]


def test_rows_without_citizens_and_missing_values():
    table = pd.DataFrame(
        {
            "citizens": [0, 0, 0, 2, 2, 30, 40],
            "spend": [0.0, NAN, 50.0, NAN, 0.0, 300.0, 400.0],
        }
    )
    pub = suppress(table, threshold=5, counts=["citizens"], guarded={"spend": "citizens"})
    # 0 citizens: a 0 or a missing value has nothing to protect; 50 kr. without citizens is
    # hidden. A missing value is never hidden; a 0 of a row with 2 citizens is.
    # Two hidden spends (50 and the 0): no secondary in spend. Two "<5": none in citizens.
    assert cells(pub, "spend") == [0.0, None, H, None, H, 300.0, 400.0]
    assert cells(pub, "citizens") == [0, 0, 0, L, L, 30, 40]


def test_secondary_hides_the_smallest_other_nonzero_cell():
    table = pd.DataFrame(
        {
            "citizens": [2, 10, 10, 10, 10],
            "deviation": [5.0, 0.0, 50.0, -30.0, 20.0],
        }
    )
    pub = suppress(table, threshold=5, counts=["citizens"], guarded={"deviation": "citizens"})
    # Smallest by absolute value (20, not -30) and never a 0; of equal citizens the first.
    assert cells(pub, "deviation") == [H, 0.0, 50.0, -30.0, H]
    assert cells(pub, "citizens") == [L, H, 10, 10, 10]


def test_no_total_row_leaves_a_lone_cell_among_zeros():
    table = pd.DataFrame({"n": [0, 3, 0]})
    pub = suppress(table, threshold=5, counts=["n"])
    assert cells(pub, "n") == [0, L, 0]


def test_lone_hidden_cell_among_zeros_hides_the_total():
    table = pd.DataFrame(
        {"citizens": [2, 10, 10, 22], "spend": [500.0, 0.0, 0.0, 500.0]},
        index=["a", "b", "c", "total"],
    )
    pub = suppress(
        table, threshold=5, counts=["citizens"], guarded={"spend": "citizens"}, total_row="total"
    )
    # a's spend is the total minus zeros: the total is hidden instead.
    assert cells(pub, "spend") == [H, 0.0, 0.0, H]
    # In citizens there is another non-zero cell: that one goes, not the total.
    assert cells(pub, "citizens") == [L, H, 10, 22]


def test_total_row_is_under_the_primary_rule_only():
    table = pd.DataFrame(
        {
            "n": [3, 10, 12, 25],
            "m": [1, 3, 0, 4],
            "citizens": [1, 1, 2, 4],
            "spend": [10.0, 20.0, 30.0, 60.0],
        },
        index=["a", "b", "c", "total"],
    )
    pub = suppress(
        table,
        threshold=5,
        counts=["n", "m", "citizens"],
        guarded={"spend": "citizens"},
        total_row="total",
    )
    # The total row is never chosen by the secondary rule: b's 10 goes, the total 25 stays.
    assert cells(pub, "n") == [L, H, 12, 25]
    # A total of 4 is itself a small count.
    assert cells(pub, "m") == [L, L, 0, L]
    # The total row has 4 citizens: its spend is hidden like the rest.
    assert cells(pub, "spend") == [H, H, H, H]


def test_repeated_secondary_in_a_cross_table():
    table = pd.DataFrame(
        {"type": ["A", "B", "C"], "x": [3, 8, 9], "y": [10, 40, 12], "z": [20, 30, 7]}
    )
    pub = suppress(table, threshold=5, counts=["x", "y", "z"], cross=["x", "y", "z"])
    # Column x: A's "<5" is alone, B.x (8) goes. Row A: A.y (10) goes. Row B: B.z (30).
    # Then column y has only A.y: C.y (12) goes; column z only B.z: C.z (7) goes.
    assert cells(pub, "x") == [L, H, 9]
    assert cells(pub, "y") == [H, 40, H]
    assert cells(pub, "z") == [20, H, H]
    assert pub.table["type"].tolist() == ["A", "B", "C"]


def test_cross_table_with_row_totals_and_a_total_row():
    table = pd.DataFrame(
        {"x": [3, 0, 10, 13], "y": [20, 6, 12, 38], "z": [0, 0, 9, 9], "all": [23, 6, 31, 60]},
        index=["A", "B", "C", "total"],
    )
    pub = suppress(
        table,
        threshold=5,
        counts=["x", "y", "z", "all"],
        cross=["x", "y", "z"],
        cross_total="all",
        total_row="total",
    )
    # Column x: C.x; row A: A.y; row C: C.z. Column y: B.y. Column z has only zeros beside
    # C.z: its total goes. Row B has only zeros beside B.y: its row total goes. The total
    # row, a row of the cross table too, has z alone: its x goes. Column "all": A's goes.
    assert pub.table.to_dict("index") == {
        "A": {"x": L, "y": H, "z": 0, "all": H},
        "B": {"x": 0, "y": H, "z": 0, "all": H},
        "C": {"x": H, "y": 12, "z": H, "all": 31},
        "total": {"x": H, "y": 38, "z": H, "all": 60},
    }


def test_linked_columns_are_hidden_together_in_a_row():
    table = pd.DataFrame(
        {
            "citizens": [3, 10, 20],
            "realized": [10.0, 200.0, 100.0],
            "committed": [5.0, 0.0, 50.0],
            "projected": [15.0, 200.0, 150.0],
        }
    )
    guarded = dict.fromkeys(("realized", "committed", "projected"), "citizens")
    pub = suppress(
        table,
        threshold=5,
        counts=["citizens"],
        guarded=guarded,
        linked=[("realized", "committed", "projected")],
    )
    # realized takes c's 100 (smallest); c's committed and projected go with it, so
    # committed and projected need nothing more. Without the link, b's projected 200 = its
    # realized 200 + committed 0 would be shown beside a hidden c.
    assert cells(pub, "realized") == [H, 200.0, H]
    assert cells(pub, "committed") == [H, 0.0, H]
    assert cells(pub, "projected") == [H, 200.0, H]


def key_table() -> pd.DataFrame:
    """Return a hand-made key figures table by intervention_type with a total row."""
    rows = {
        "A": [12, 10, 4, 6, 1000.0, 500.0, 1500.0, 2000.0, -500.0, 10, 2, 0, 0, 100.0],
        "B": [3, 2, 0, 1, 50.0, 20.0, 70.0, 100.0, -30.0, 3, 0, 0, 0, 40.0],
        "C": [30, 25, 10, 8, 3000.0, 900.0, 3900.0, 5000.0, -1100.0, 20, 5, 5, 0, NAN],
        "I alt": [45, 37, 14, 15, 4050.0, 1420.0, 5470.0, 7100.0, -1630.0, 33, 7, 5, 0, 90.0],
    }
    table = pd.DataFrame.from_dict(rows, orient="index", columns=list(KEY_FIGURE_COLUMNS))
    for c in KEY_FIGURE_COLUMNS:
        if not c.endswith(("_dkk", "_days")):
            table[c] = table[c].astype("int64")
    table.insert(0, "intervention_type", ["A", "B", "C", None])
    return table


def test_key_figures_on_a_hand_made_table():
    table = key_table()
    pub = key_figures(table, 5, total_row="I alt")
    t = pub.table
    assert list(t.columns) == list(table.columns)
    assert t["intervention_type"].tolist()[:3] == ["A", "B", "C"]
    # Counts: small ones "<5", and one more per column where one is alone.
    assert cells(pub, "active_registrations") == [H, L, 30, 45]
    assert cells(pub, "active_citizens") == [H, L, 25, 37]
    assert cells(pub, "new_registrations") == [L, 0, H, 14]
    assert cells(pub, "ended_registrations") == [H, L, 8, 15]
    # B has 2 citizens: its money and median are hidden; A's money goes as the smallest, all
    # four money columns together. The budget is never hidden.
    for c in KEY_MONEY:
        assert cells(pub, c)[:3] == [H, H, table.loc["C", c]], c
        assert cells(pub, c)[3] == table.loc["I alt", c]
    assert cells(pub, "budget_dkk") == [2000.0, 100.0, 5000.0, 7100.0]
    assert not pub.hidden["budget_dkk"].any()
    assert cells(pub, "median_duration_days") == [H, H, None, 90.0]
    # Statuses: per column, and per row as a breakdown of active_registrations. C's
    # approved_exceptions ".." is alone in row C: its unapproved_deviations (5) goes, which
    # is alone in its column among zeros: the total's 5 goes. That is alone in the total row
    # (45 - 33 - 7 - 0 = 5): the total's approved_exceptions (7) goes.
    assert cells(pub, "within_frame") == [H, L, 20, 33]
    assert cells(pub, "approved_exceptions") == [L, 0, H, H]
    assert cells(pub, "unapproved_deviations") == [0, 0, H, H]
    assert cells(pub, "no_frame") == [0, 0, 0, 0]


def test_key_figures_without_a_total_row_and_without_budgets():
    table = key_table().drop(index="I alt").rename(columns={"intervention_type": "team"})
    table["budget_dkk"] = NAN
    table["budget_deviation_dkk"] = NAN
    pub = key_figures(table, 5)
    # Missing deviations stay missing; nothing to subtract from for the lone unapproved.
    assert cells(pub, "budget_deviation_dkk") == [None, None, None]
    assert cells(pub, "unapproved_deviations") == [0, 0, H]
    assert cells(pub, "realized_spend_dkk") == [H, H, 3000.0]


def test_key_figures_refuses_other_tables():
    table = key_table()
    with pytest.raises(ValueError, match="missing"):
        key_figures(table.drop(columns="no_frame"), 5)
    table["within_frame_share"] = 0.5
    with pytest.raises(ValueError, match="unknown"):
        key_figures(table, 5)


def test_key_figure_columns_are_those_of_figures():
    assert KEY_FIGURE_COLUMNS == figures.FIGURE_COLUMNS
    assert GROUP_COLUMNS == figures.GROUP_COLUMNS


def test_numbers_for_charts():
    table = pd.DataFrame(
        {"group": ["a", "b", "c"], "n": [3, 10, 12], "spend": [1.5, 2.5, NAN]}, index=[7, 8, 9]
    )
    pub = suppress(table, threshold=5, counts=["n"], guarded={"spend": "n"})
    nums = pub.numbers()
    assert nums["group"].tolist() == ["a", "b", "c"]
    assert nums["n"].dtype == "float64"
    assert nums["n"].isna().tolist() == [True, True, False]
    assert nums["n"].iloc[2] == 12
    assert nums["spend"].isna().tolist() == [True, True, True]
    assert list(nums.index) == [7, 8, 9]
    # A rule column with nothing hidden is numbers again, in its own type.
    whole = suppress(pd.DataFrame({"n": [10, 20]}), threshold=5, counts=["n"]).numbers()
    assert whole["n"].dtype == "int64"


def test_as_text():
    assert as_text(12) == "12"
    assert as_text(np.int64(3)) == "3"
    assert as_text(12.0) == "12"
    assert as_text(-1234.5) == "-1234.5"
    assert as_text(1234567.25) == "1234567.25"
    assert as_text(0.1 + 0.2) == "0.30000000000000004"
    assert as_text(1e20) == "100000000000000000000"
    assert as_text(np.float64(2.5)) == "2.5"
    assert as_text(NAN) == ""
    assert as_text(None) == ""
    assert as_text(pd.NA) == ""
    assert as_text(L) == "<5"
    assert as_text(H) == ".."
    assert as_text("Team Nord") == "Team Nord"


def test_arguments_are_checked():
    table = pd.DataFrame({"n": [1, 2], "label": ["a", "b"]}, index=["x", "y"])
    with pytest.raises(ValueError, match="threshold"):
        suppress(table, threshold=0, counts=["n"])
    with pytest.raises(ValueError, match="no such columns"):
        suppress(table, threshold=5, counts=["m"])
    with pytest.raises(ValueError, match="not numeric"):
        suppress(table, threshold=5, counts=["label"])
    with pytest.raises(ValueError, match="total row"):
        suppress(table, threshold=5, counts=["n"], total_row="z")
    with pytest.raises(ValueError, match="cross and linked"):
        suppress(table, threshold=5, counts=["n"], cross=["label"])
    with pytest.raises(ValueError, match="cross_total"):
        suppress(table, threshold=5, counts=["n"], cross_total="n")
    with pytest.raises(ValueError, match="twice"):
        suppress(table, threshold=5, counts=["n"], guarded={"n": "n"})
    with pytest.raises(ValueError, match="negative"):
        suppress(pd.DataFrame({"n": [-1]}), threshold=5, counts=["n"])
    # A published table cannot be published again: its markers are not numbers.
    once = suppress(table, threshold=5, counts=["n"]).table
    with pytest.raises(ValueError, match="not numeric"):
        suppress(once, threshold=5, counts=["n"])


# --- properties ----------------------------------------------------------------------------

COUNT = st.one_of(st.integers(0, 8), st.integers(0, 300))
MONEY = st.one_of(
    st.just(0.0),
    st.just(NAN),
    st.integers(-10, 10).map(float),
    st.floats(-1e7, 1e7, allow_nan=False, allow_subnormal=False),
)


def nansum(values: list[Any]) -> float:
    """Return the sum of the values that are not missing."""
    return float(sum(v for v in values if not math.isnan(v)))


@st.composite
def plain_tables(draw: st.DrawFn) -> tuple[pd.DataFrame, Kwargs]:
    """Draw a table of counts and guarded money, with or without a total row."""
    n = draw(st.integers(1, 7))
    n_counts = draw(st.integers(1, 3))
    data: dict[str, list[Any]] = {"group": [f"g{i}" for i in range(n)]}
    for k in range(n_counts):
        data[f"n{k}"] = draw(st.lists(COUNT, min_size=n, max_size=n))
    guarded = {}
    for k in range(draw(st.integers(0, 2))):
        data[f"m{k}"] = draw(st.lists(MONEY, min_size=n, max_size=n))
        guarded[f"m{k}"] = f"n{draw(st.integers(0, n_counts - 1))}"
    index = [f"r{i}" for i in range(n)]
    total_row = None
    if draw(st.booleans()):
        unknown = guarded and draw(st.booleans())  # a total that is not known
        for c, values in data.items():
            if c == "group":
                values.append("I alt")
            elif c.startswith("n"):
                values.append(sum(values))
            else:
                values.append(NAN if unknown and c == "m0" else nansum(values))
        index.append(total_row := "total")
    table = pd.DataFrame(data, index=index)
    counts = [c for c in table.columns if c.startswith("n")]
    kwargs = {"counts": counts, "guarded": guarded, "total_row": total_row}
    return table, kwargs


@st.composite
def cross_tables(draw: st.DrawFn) -> tuple[pd.DataFrame, Kwargs]:
    """Draw a type x band table of counts, with or without row totals and a total row."""
    n_types = draw(st.integers(1, 6))
    bands = [f"b{k}" for k in range(draw(st.integers(1, 5)))]
    row = st.lists(COUNT, min_size=len(bands), max_size=len(bands))
    matrix = draw(st.lists(row, min_size=n_types, max_size=n_types))
    index = [f"t{i}" for i in range(n_types)]
    columns, counts = list(bands), list(bands)
    cross_total = None
    if draw(st.booleans()):
        matrix = [[*r, sum(r)] for r in matrix]
        columns.append(cross_total := "all")
        counts.append("all")
    total_row = None
    if draw(st.booleans()):
        matrix.append([sum(col) for col in zip(*matrix, strict=True)])
        index.append(total_row := "total")
    table = pd.DataFrame(matrix, columns=columns, index=index, dtype="int64")
    kwargs = {"counts": counts, "total_row": total_row, "cross": bands, "cross_total": cross_total}
    return table, kwargs


class Grid:
    """A table and its published form as plain arrays, for fast checks by position."""

    def __init__(self, pub: Published, table: pd.DataFrame) -> None:
        self.columns = list(table.columns)
        self.rows = list(table.index)
        self.given = table.to_numpy(dtype=object)
        self.shown = pub.table.to_numpy(dtype=object)
        self.hidden = pub.hidden.to_numpy(dtype=bool)

    def col(self, name: str) -> int:
        """Return a column's position."""
        return self.columns.index(name)

    def value(self, cell: tuple[int, int]) -> float:
        """Return the input's value of a cell as a float."""
        return float(self.given[cell])


def lone_cells(grid: Grid, line: list[tuple[int, int]], total: tuple[int, int] | None) -> list:
    """Return what is wrong with one line (a column or a row) of a published table."""
    hidden = [cell for cell in line if grid.hidden[cell]]
    if len(hidden) != 1:
        return []
    if total is not None and not math.isnan(grid.value(total)):
        return [] if grid.hidden[total] else [(hidden[0], "alone, the total shown", total)]
    shown = [
        cell
        for cell in line
        if not grid.hidden[cell] and not math.isnan(grid.value(cell)) and grid.value(cell) != 0
    ]
    return [(hidden[0], "alone beside", shown)] if shown else []


def check_lines(pub: Published, table: pd.DataFrame, kwargs: Kwargs) -> None:
    """Assert (1): no column (and for a cross table no row) has a lone hidden cell."""
    grid = Grid(pub, table)
    total_row = kwargs.get("total_row")
    t = None if total_row is None else grid.rows.index(total_row)
    body = [i for i in range(len(grid.rows)) if i != t]
    problems = []
    for c in [*kwargs["counts"], *(kwargs.get("guarded") or {})]:
        j = grid.col(c)
        problems += lone_cells(grid, [(i, j) for i in body], None if t is None else (t, j))
    cross = [grid.col(c) for c in kwargs.get("cross") or ()]
    row_total = kwargs.get("cross_total")
    for i in range(len(grid.rows)) if cross else ():
        total = None if row_total is None else (i, grid.col(row_total))
        problems += lone_cells(grid, [(i, j) for j in cross], total)
    assert not problems


def check_shape(pub: Published, table: pd.DataFrame, rule: list[str]) -> None:
    """Assert that the result has the input's shape and leaves other columns alone."""
    assert pub.table.shape == table.shape == pub.hidden.shape
    assert pub.table.index.equals(table.index) and pub.hidden.index.equals(table.index)
    assert list(pub.table.columns) == list(table.columns) == list(pub.hidden.columns)
    for c in table.columns:
        if c in rule:
            assert pub.table[c].dtype == object
        else:
            assert pub.table[c].equals(table[c]) and pub.table[c].dtype == table[c].dtype
            assert not pub.hidden[c].any()


def same(a: object, b: object) -> bool:
    """Return whether two cell values are equal, NaN equal to NaN."""
    return bool((pd.isna(a) and pd.isna(b)) or a == b)


def check_cells(pub: Published, table: pd.DataFrame, kwargs: Kwargs, t: int) -> None:
    """Assert properties (2) to (4), and that the markers and numbers() agree with hidden."""
    guarded = kwargs.get("guarded") or {}
    counts = kwargs["counts"]
    check_shape(pub, table, [*counts, *guarded])
    grid = Grid(pub, table)
    numbers = pub.numbers().to_numpy(dtype=object)
    for j in map(grid.col, [*counts, *guarded]):
        for i in range(len(grid.rows)):
            given_value, shown = grid.given[i, j], grid.shown[i, j]
            if grid.hidden[i, j]:
                assert shown in (below(t), HIDDEN)
                assert pd.isna(numbers[i, j])
                assert not pd.isna(given_value)  # a missing value is never hidden
            else:
                assert not isinstance(shown, str)
                assert same(shown, given_value)  # (2) an exact cell is the input's value
                assert same(numbers[i, j], given_value)
    check_rules(grid, counts, guarded, t)


def check_rules(grid: Grid, counts: list[str], guarded: dict[str, str], t: int) -> None:
    """Assert (3) a small count is never exact and (4) nor a guarded value of few citizens."""
    for j in map(grid.col, counts):
        for i, v in enumerate(grid.given[:, j]):
            if 1 <= v < t:
                assert grid.shown[i, j] == below(t)  # (3)
            if v == 0:
                assert grid.shown[i, j] == 0  # 0 stays 0
    for c, citizens_column in guarded.items():
        j, k = grid.col(c), grid.col(citizens_column)
        for i, (v, citizens) in enumerate(zip(grid.given[:, j], grid.given[:, k], strict=True)):
            nothing = pd.isna(v) or (citizens == 0 and v == 0)
            if citizens < t and not nothing:
                assert grid.shown[i, j] == HIDDEN  # (4)


@SETTINGS
@given(plain_tables(), st.integers(1, 6))
def test_random_tables(drawn: tuple[pd.DataFrame, Kwargs], t: int) -> None:
    table, kwargs = drawn
    before = table.copy()
    pub = suppress(table, threshold=t, **kwargs)
    assert table.equals(before)  # the input is not changed
    check_lines(pub, table, kwargs)
    check_cells(pub, table, kwargs, t)


@SETTINGS
@given(cross_tables(), st.integers(1, 6))
def test_random_cross_tables(drawn: tuple[pd.DataFrame, Kwargs], t: int) -> None:
    table, kwargs = drawn
    pub = suppress(table, threshold=t, **kwargs)
    check_lines(pub, table, kwargs)
    check_cells(pub, table, kwargs, t)


@st.composite
def key_tables(draw: st.DrawFn) -> pd.DataFrame:
    """Draw a consistent key figures table by team (statuses add up, projected = sum)."""
    rows = []
    for i in range(draw(st.integers(1, 6))):
        statuses = draw(st.lists(COUNT, min_size=4, max_size=4))
        active = sum(statuses)
        realized, committed = draw(MONEY), draw(MONEY)
        projected = realized + committed
        budget = draw(st.one_of(st.just(NAN), st.floats(0, 1e7)))
        rows.append(
            {
                "team": f"team {i}",
                "active_registrations": active,
                "active_citizens": draw(st.integers(0, active)),
                "new_registrations": draw(st.integers(0, active)),
                "ended_registrations": draw(st.integers(0, active)),
                "realized_spend_dkk": realized,
                "committed_spend_dkk": committed,
                "projected_spend_dkk": projected,
                "budget_dkk": budget,
                "budget_deviation_dkk": projected - budget,
                **dict(zip(STATUS_COLUMNS, statuses, strict=True)),
                "median_duration_days": draw(MONEY),
            }
        )
    return pd.DataFrame(rows)


@settings(SETTINGS, max_examples=100)  # the wrapper's own part; the rule has 200 above
@given(key_tables(), st.integers(1, 6))
def test_random_key_figures(table: pd.DataFrame, t: int) -> None:
    pub = key_figures(table, t)
    assert pub.table["team"].tolist() == table["team"].tolist()
    assert not pub.hidden["budget_dkk"].any()
    kwargs = {
        "counts": KEY_COUNTS,
        "guarded": KEY_GUARDED,
        "cross": STATUS_COLUMNS,
        "cross_total": "active_registrations",
    }
    check_lines(pub, table, kwargs)
    # The money identities: in a row, the four money cells are all shown or all hidden.
    for r in table.index:
        hidden = {bool(pub.hidden.loc[r, c]) for c in KEY_MONEY if not pd.isna(table.loc[r, c])}
        assert len(hidden) <= 1, r
