"""Budgets per year and intervention type (registrations.md §6): import, export, edit, copy.

One row per (year, type); an import or a save replaces the rows it names. A budgets file is
read as an extract is (``values.read_table``: CSV, XLSX or Parquet, Danish notation, a title
line above the header) and written as CSV or XLSX.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pandas as pd

from slcore import access, audit, bounds, cache, labels, values
from slcore.batches import begin_write
from slcore.export import to_xlsx_bytes
from slcore.reader import Columns
from slcore.store import Store, scalar
from slcore.values import YEARS, FrameError, Range, Source, check_range, rows_csv

BUDGET_COLUMNS = ("year", "intervention_type", "budget_dkk", "planned_cases")
BUDGET_LABELS = labels.BUDGET_FILE_COLUMNS  # the Danish header of each column
BUDGET_RANGES: dict[str, Range] = {
    "year": YEARS,
    "budget_dkk": Range(0, bounds.MAX_BUDGET_DKK, "kr."),
    "planned_cases": Range(0, bounds.MAX_PLANNED_CASES),
}
# A budgets file: the canonical names or the Danish labels, as headers.
BUDGET_FILE = Columns(
    aliases={
        "year": ("År",),
        "intervention_type": ("Indsatstype",),
        "budget_dkk": ("Budget (kr.)", "Budget"),
        "planned_cases": ("Planlagte sager",),
    },
    labels=BUDGET_LABELS | {"intervention_type": "Indsatstype"},
    required=("year", "intervention_type", "budget_dkk"),
    examples="År, Indsatstype, Budget (kr.)",
)
_BUDGET_KINDS = {
    "year": "number",
    "intervention_type": "text",
    "budget_dkk": "number",
    "planned_cases": "number",
}


def _known_types(cur: duckdb.DuckDBPyConnection) -> set[str]:
    """Return the codes of the reference intervention types."""
    return {r[0] for r in cur.execute("SELECT code FROM intervention_types").fetchall()}


def _check_budget(row: list[object], table: values.Table | None = None, line: int = 0) -> None:
    """Refuse a budgets row (year, type, budget_dkk, planned_cases) outside slcore.bounds."""
    for column, value in zip(BUDGET_COLUMNS, row, strict=True):
        if column == "intervention_type" or (column == "planned_cases" and value is None):
            continue
        where = table.where(line, column) if table else f"{row[1]}, {BUDGET_LABELS[column]}"
        check_range(value, BUDGET_RANGES[column], where)


def parse_budgets(store: Store, source: Source) -> list[list[object]]:
    """Read and validate a budgets file (registrations.md §6 columns or BUDGET_LABELS)."""
    table = values.read_table(store.path, source, BUDGET_FILE, _BUDGET_KINDS)
    known = _known_types(store.cursor())
    out: list[list[object]] = []
    seen: set[tuple[int, str]] = set()
    for row in table.rows:
        i = row.line
        year = values.number(table, row, "year", integer=True)
        if year is None:
            raise FrameError(f"Linje {i}: året mangler.")
        check_range(year, YEARS, table.where(i, "year"))
        code = values.text(row, "intervention_type") or ""
        if code not in known:
            raise FrameError(f"Linje {i}: ukendt indsatstype '{code}'.")
        budget = values.number(table, row, "budget_dkk")
        if budget is None:
            raise FrameError(f"Linje {i}: budgettet mangler.")
        planned = values.number(table, row, "planned_cases", integer=True)
        budget_row: list[object] = [year, code, budget, planned]
        _check_budget(budget_row, table, i)
        key = (int(year), code)
        if key in seen:
            raise FrameError(f"Linje {i}: {key[1]} {key[0]} står to gange.")
        seen.add(key)
        out.append(budget_row)
    if not out:
        raise FrameError("Filen indeholder ingen budgetter.")
    return out


def _insert_budgets(cur: duckdb.DuckDBPyConnection, rows: list[list[object]], who: str) -> None:
    """Insert or replace budgets rows, each checked against slcore.bounds first."""
    for row in rows:
        _check_budget(row)
    # One statement for all rows (executemany runs one per row: seconds for a few hundred).
    # A (year, type) given twice keeps its last row, as row-by-row replacing did.
    last = {(row[0], row[1]): row for row in rows}
    if last:
        columns = list(zip(*last.values(), strict=True))
        cur.execute(
            """INSERT OR REPLACE INTO budgets (year, intervention_type, budget_dkk, planned_cases,
                   updated_at, updated_by)
               SELECT unnest($year::INTEGER[]), unnest($type::VARCHAR[]),
                   unnest($budget::DOUBLE[]), unnest($planned::INTEGER[]),
                   current_timestamp, $who""",
            {
                "year": list(columns[0]),
                "type": list(columns[1]),
                "budget": list(columns[2]),
                "planned": list(columns[3]),
                "who": who,
            },
        )


def _budget_detail(rows: list[list[object]]) -> str:
    years = sorted({str(r[0]) for r in rows})
    return f"{len(rows)} budgetter gemt for {', '.join(years) or 'ingen år'}"


def set_budgets(
    store: Store,
    rows: list[list[object]],
    *,
    user: str | None = None,
    demo: bool = False,
    end_demo: bool = True,
) -> int:
    """Insert or replace budgets per (year, type) in one transaction; return the count.

    ``user`` is who saves them (``actors.current_actor``); ``demo`` marks the demo's own.
    """
    with store.write(access.EDIT_BUDGETS) as cur:
        who = begin_write(cur, user=user or store.access.who, demo=demo, end_demo=end_demo)
        _insert_budgets(cur, rows, who)
        if not demo:
            audit.record(cur, who, "budgets", _budget_detail(rows))
    return len(rows)


def import_budgets(
    store: Store, source: Source, *, user: str | None = None, end_demo: bool = True
) -> int:
    """Import a budgets CSV or XLSX (a path, an upload or bytes); a (year, type) present is replaced."""
    store.access.require(access.EDIT_BUDGETS)
    rows = parse_budgets(store, source)
    return set_budgets(store, rows, user=user, end_demo=end_demo)


def budgets_csv(store: Store) -> str:
    """Return the budgets as CSV (registrations.md §6)."""
    rows = (
        store.cursor()
        .execute(
            f"SELECT {', '.join(BUDGET_COLUMNS)} FROM budgets ORDER BY year, intervention_type"
        )
        .fetchall()
    )
    return rows_csv(BUDGET_COLUMNS, rows)


# --- budgets per year ----------------------------------------------------------------------


def _check_year(year: object) -> int:
    if isinstance(year, bool) or not isinstance(year, int):
        raise FrameError(f"År '{year}' er ikke gyldigt.")
    check_range(year, YEARS, "År")
    return year


def budgets_xlsx(store: Store) -> bytes:
    """Return the budgets as an XLSX workbook (BUDGET_COLUMNS headers)."""
    rows = (
        store.cursor()
        .execute(
            f"SELECT {', '.join(BUDGET_COLUMNS)} FROM budgets ORDER BY year, intervention_type"
        )
        .fetchall()
    )
    df = pd.DataFrame.from_records(rows, columns=list(BUDGET_COLUMNS))
    df = df.astype({"year": "Int64", "budget_dkk": "Float64", "planned_cases": "Int64"})
    return to_xlsx_bytes(df, sheet="Budgetter")


@cache.cached
def budgets_for_year(store: Store, year: int) -> pd.DataFrame:
    """Return one row per reference intervention type for a year: code, Danish name, budget_dkk (NULL if none), planned_cases."""
    rows = (
        store.cursor()
        .execute(
            """SELECT t.code, t.name_da, b.budget_dkk, b.planned_cases
               FROM intervention_types t
               LEFT JOIN budgets b ON b.intervention_type = t.code AND b.year = ?
               ORDER BY t.code""",
            [year],
        )
        .fetchall()
    )
    df = pd.DataFrame.from_records(
        rows, columns=["intervention_type", "name_da", "budget_dkk", "planned_cases"]
    )
    return df.astype({"budget_dkk": "Float64", "planned_cases": "Int64"})


def _budget_row(year: int, row: dict[str, object], known: set[str]) -> list[object] | None:
    """Return a table row as a budgets row, None when its budget is empty; refuse a bad one."""
    code = values.as_text(row.get("intervention_type")) or ""
    if code not in known:
        raise FrameError(f"Ukendt indsatstype '{code}'.")
    try:
        budget = values.as_number(row.get("budget_dkk"))
    except (ValueError, TypeError, FrameError):
        raise FrameError(f"{code}: budgettet '{row.get('budget_dkk')}' er ikke et tal.") from None
    try:
        planned = values.as_number(row.get("planned_cases"))
    except (ValueError, TypeError, FrameError):
        raise FrameError(
            f"{code}: planlagte sager '{row.get('planned_cases')}' er ikke et tal."
        ) from None
    if budget is None:
        if planned is not None:
            raise FrameError(f"{code}: angiv et budget, når der er planlagte sager.")
        return None
    _check_budget([year, code, budget, planned])
    if planned is not None and not planned.is_integer():
        raise FrameError(f"{code}: planlagte sager skal være et helt tal.")
    return [year, code, budget, None if planned is None else int(planned)]


def save_budgets_for_year(
    store: Store,
    year: int,
    table: pd.DataFrame,
    *,
    user: str | None = None,
    end_demo: bool = True,
) -> int:
    """Replace a year's budgets with the table's non-empty rows (validated); return how many."""
    _check_year(year)
    for col in ("intervention_type", "budget_dkk"):
        if col not in table.columns:
            raise FrameError(f"Tabellen mangler kolonnen {col}.")
    known = _known_types(store.cursor())
    rows: list[list[object]] = []
    seen: set[object] = set()
    for record in table.to_dict("records"):
        row = _budget_row(year, {str(k): v for k, v in record.items()}, known)
        if row is None:
            continue
        if row[1] in seen:
            raise FrameError(f"{row[1]} står to gange.")
        seen.add(row[1])
        rows.append(row)
    with store.write(access.EDIT_BUDGETS) as cur:
        who = begin_write(cur, user=user or store.access.who, demo=False, end_demo=end_demo)
        cur.execute("DELETE FROM budgets WHERE year = ?", [year])
        _insert_budgets(cur, rows, who)
        audit.record(cur, who, "budgets", f"Budgetter for {year} gemt: {len(rows)} indsatstyper")
    return len(rows)


def _scaled(budget: float, factor: float) -> float:
    """Return budget times factor rounded half up to whole kroner, in decimal arithmetic."""
    exact = Decimal(repr(float(budget))) * Decimal(repr(float(factor)))
    if not exact <= bounds.MAX_BUDGET_DKK:  # too large to round; the bounds check refuses it
        return float(exact)
    return float(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def copy_budgets(
    store: Store,
    from_year: int,
    to_year: int,
    factor: float = 1.0,
    overwrite: bool = False,
    *,
    user: str | None = None,
) -> int:
    """Copy one year's budgets to another, scaled by factor (e.g. 1.03 for price growth), rounded to whole kroner.

    On the demo store the copy stays demo data (the demo is not ended by it).
    """
    _check_year(from_year)
    _check_year(to_year)
    if from_year == to_year:
        raise FrameError("Vælg et andet år at kopiere budgetterne til.")
    if isinstance(factor, bool) or not (math.isfinite(factor) and factor > 0):
        raise FrameError("Faktoren skal være et tal større end 0.")
    with store.write(access.EDIT_BUDGETS) as cur:
        source = cur.execute(
            "SELECT intervention_type, budget_dkk, planned_cases FROM budgets WHERE year = ? "
            "ORDER BY intervention_type",
            [from_year],
        ).fetchall()
        if not source:
            raise FrameError(f"Der er ingen budgetter for {from_year} at kopiere.")
        present = scalar(cur, "SELECT count(*) FROM budgets WHERE year = ?", [to_year])
        if present and not overwrite:
            raise FrameError(
                f"{to_year} har allerede budgetter. Vælg at overskrive dem, hvis de skal erstattes."
            )
        cur.execute("DELETE FROM budgets WHERE year = ?", [to_year])
        who = user or store.access.who
        _insert_budgets(
            cur,
            [[to_year, code, _scaled(b, factor), planned] for code, b, planned in source],
            who,
        )
        audit.record(
            cur, who, "budgets", f"Budgetter for {from_year} kopieret til {to_year} × {factor}"
        )
    return len(source)


def table_total(table: pd.DataFrame) -> float:
    """Return the sum of a ``budgets_for_year`` table's budgets, as edited (empty cells are none)."""
    return float(pd.to_numeric(table["budget_dkk"], errors="coerce").sum())
