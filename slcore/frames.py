"""Service-level frames (registrations.md §5): import, export, versions, lookup.

Frames are versioned: every import or edit adds rows and never deletes one. For a given
(type, valid_from) the newest row is in force (view ``frames_current``). A frames file is
read as an extract is (``values.read_table``: CSV, XLSX or Parquet, Danish notation, a title
line above the header) and written as CSV or XLSX. Budgets live in ``slcore.budgets``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable

import duckdb
import pandas as pd

from slcore import access, audit, bounds, cache, facts, labels, sql, values
from slcore.batches import begin_write
from slcore.export import to_xlsx_bytes
from slcore.reader import Columns
from slcore.store import Store
from slcore.values import YEARS, FrameError, Range, Source, check_range, rows_csv

FRAME_COLUMNS = (
    "intervention_type",
    "valid_from",
    "age_min",
    "age_max",
    "max_extent",
    "extent_unit",
    "max_duration_months",
    "max_monthly_cost",
    "description",
)
EXTENT_UNITS = tuple(bounds.MAX_EXTENT)  # the codes; values.EXTENT_UNITS has their spellings
FRAME_LABELS = labels.FRAME_FILE_COLUMNS  # the Danish header of each column
FRAME_LIMITS = ("age_min", "age_max", "max_extent", "max_duration_months", "max_monthly_cost")
_FRAME_INTEGERS = ("age_min", "age_max", "max_duration_months")
_FRAME_DECIMALS = ("max_extent", "max_monthly_cost")
_FRAME_FIELDS = FRAME_COLUMNS[2:]  # what a version says, beside its key (type, valid_from)
# A frames file: the canonical names or the Danish labels of the export, as headers.
FRAME_FILE = Columns(
    aliases={c: (label,) for c, label in FRAME_LABELS.items()},
    labels=FRAME_LABELS,
    required=("intervention_type", "valid_from"),
    examples="Indsatstype, Gælder fra",
)
_FRAME_KINDS = {
    "intervention_type": "text",
    "valid_from": "date",
    **dict.fromkeys(FRAME_LIMITS, "number"),
    "extent_unit": "unit",
    "description": "text",
}

AGES = Range(bounds.MIN_AGE, bounds.MAX_AGE, "år")
FRAME_RANGES: dict[str, Range] = {
    "age_min": AGES,
    "age_max": AGES,
    "max_duration_months": Range(1, bounds.MAX_FRAME_DURATION_MONTHS, "måneder"),
    "max_monthly_cost": Range(0, bounds.MAX_FRAME_MONTHLY_COST, "kr. pr. måned", low_allowed=False),
}


def extent_range(unit: object) -> Range:
    """Return the range of max_extent in a unit (any unit's largest when there is none)."""
    if unit in bounds.MAX_EXTENT:
        word = bounds.EXTENT_UNIT_WORDS[str(unit)]
        return Range(0, bounds.MAX_EXTENT[str(unit)], word, low_allowed=False)
    return Range(0, bounds.MAX_EXTENT_ANY_UNIT, low_allowed=False)


def _day(value: dt.date) -> str:
    return f"{value.day:02d}-{value.month:02d}-{value.year:04d}"  # 0025 as 0025, not 25


def _check_frame_bounds(frame: dict[str, object], where: Callable[[str], str]) -> None:
    """Refuse a frame with a date, age or limit outside slcore.bounds."""

    day = frame["valid_from"]
    if isinstance(day, dt.date) and not YEARS.holds(day.year):
        raise FrameError(
            f"{where('valid_from')}: {_day(day)} er uden for det tilladte (år {YEARS.text()})."
        )
    ranges = FRAME_RANGES | {"max_extent": extent_range(frame["extent_unit"])}
    for column in FRAME_LIMITS:
        if frame[column] is not None:
            check_range(frame[column], ranges[column], where(column))


def validate_frame(
    frame: dict[str, object],
    known_types: set[str],
    line: int = 0,
    headers: dict[str, str] | None = None,
) -> None:
    """Check one frame: a known type and unit, a date, ages and limits in slcore.bounds, min <= max.

    ``line`` and ``headers`` (the file's names of the columns) say where a file's frame is.
    """
    where = f"Linje {line}: " if line else ""

    def column(name: str) -> str:
        return f"Linje {line}, {(headers or {}).get(name, name)}" if line else FRAME_LABELS[name]

    if frame["intervention_type"] not in known_types:
        raise FrameError(f"{where}ukendt indsatstype '{frame['intervention_type']}'.")
    if frame["valid_from"] is None:
        raise FrameError(f"{where}gyldig fra-dato mangler.")
    unit = frame["extent_unit"]
    if unit is not None and unit not in EXTENT_UNITS:
        raise FrameError(f"{where}ukendt omfangsenhed '{unit}'.")
    _check_frame_bounds(frame, column)
    if (
        frame["age_min"] is not None
        and frame["age_max"] is not None
        and frame["age_min"] > frame["age_max"]  # type: ignore[operator]
    ):
        raise FrameError(f"{where}mindste alder er større end højeste alder.")


def _known_types(cur: duckdb.DuckDBPyConnection) -> set[str]:
    """Return the codes of the reference intervention types."""
    return {r[0] for r in cur.execute("SELECT code FROM intervention_types").fetchall()}


def parse_frames(store: Store, source: Source) -> list[dict[str, object]]:
    """Read and validate a frames file (registrations.md §5 columns or FRAME_LABELS)."""
    table = values.read_table(store.path, source, FRAME_FILE, _FRAME_KINDS)
    known = _known_types(store.cursor())
    frames = []
    for row in table.rows:
        frame: dict[str, object] = {
            "intervention_type": values.text(row, "intervention_type") or "",
            "valid_from": values.date(table, row, "valid_from"),
            **{c: values.number(table, row, c, integer=c in _FRAME_INTEGERS) for c in FRAME_LIMITS},
            "extent_unit": values.unit(table, row, "extent_unit"),
            "description": values.text(row, "description"),
        }
        validate_frame(frame, known, line=row.line, headers=table.headers)
        frames.append({c: frame[c] for c in FRAME_COLUMNS})
    if not frames:
        raise FrameError("Filen indeholder ingen rammer.")
    return frames


def add_frames(
    store: Store,
    frames: list[dict[str, object]],
    *,
    user: str | None = None,
    demo: bool = False,
    end_demo: bool = True,
) -> int:
    """Add frame versions in one transaction; return how many were added.

    ``user`` is who adds them (``actors.current_actor``); ``demo`` marks the demo's own
    frames. On the demo store the first real frame ends the demo; with ``end_demo=False``
    it refuses instead (``DemoNotEnded``), so a page can ask first.
    """
    with store.write(access.EDIT_FRAMES) as cur:
        who = begin_write(cur, user=user or store.access.who, demo=demo, end_demo=end_demo)
        known = _known_types(cur)
        for i, f in enumerate(frames, start=1):
            validate_frame(f, known, line=0 if len(frames) == 1 else i)
        cur.executemany(
            f"""INSERT INTO frames (frame_id, {", ".join(FRAME_COLUMNS)}, created_by)
                VALUES (nextval('frame_seq'), {", ".join("?" * len(FRAME_COLUMNS))}, ?)""",
            [[f[c] for c in FRAME_COLUMNS] + [who] for f in frames],
        )
        # A new version can change the frame in force of every registration of its type.
        types = sorted({str(f["intervention_type"]) for f in frames})
        facts.refresh(cur, facts.type_ids_sql(), [types])
        if not demo:
            audit.record(
                cur, who, "frames", f"{len(frames)} rammeversioner tilføjet: {', '.join(types)}"
            )
    return len(frames)


def import_frames(
    store: Store, source: Source, *, user: str | None = None, end_demo: bool = True
) -> int:
    """Import a frames CSV or XLSX (a path, an upload or bytes) as new versions; return the count."""
    store.access.require(access.EDIT_FRAMES)
    return add_frames(store, parse_frames(store, source), user=user, end_demo=end_demo)


def _all_versions(store: Store) -> list[tuple[object, ...]]:
    """Return every version in force per (type, valid_from), in FRAME_COLUMNS order."""
    return (
        store.cursor()
        .execute(
            f"SELECT {', '.join(FRAME_COLUMNS)} FROM frames_current "
            "ORDER BY intervention_type, valid_from"
        )
        .fetchall()
    )


def frames_csv(store: Store) -> str:
    """Return the frames in force per (type, valid_from) as CSV (registrations.md §5)."""
    rows = _all_versions(store)
    return rows_csv(FRAME_COLUMNS, rows)


# --- values typed in a page ----------------------------------------------------------------


def _as_date(value: object) -> dt.date | None:
    if values.is_empty(value):
        return None
    if isinstance(value, dt.datetime):  # also pandas Timestamp
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise FrameError(f"Gælder fra skal være en dato, ikke '{value}'.")


def _clean_frame(frame: dict[str, object]) -> dict[str, object]:
    """Return a frame typed in a page as plain Python values (None for empty)."""
    clean: dict[str, object] = {
        "intervention_type": values.as_text(frame.get("intervention_type")) or "",
        "valid_from": _as_date(frame.get("valid_from")),
        "extent_unit": values.as_text(frame.get("extent_unit")),
        "description": values.as_text(frame.get("description")),
    }
    for col in _FRAME_INTEGERS + _FRAME_DECIMALS:
        value = frame.get(col)
        try:
            number = values.as_number(value)
        except (ValueError, TypeError, FrameError):
            raise FrameError(f"{FRAME_LABELS[col]}: '{value}' er ikke et tal.") from None
        if col in _FRAME_INTEGERS and number is not None and math.isfinite(number):
            if not number.is_integer():
                raise FrameError(f"{FRAME_LABELS[col]} skal være et helt tal.")
            number = int(number)
        clean[col] = number
    return {c: clean[c] for c in FRAME_COLUMNS}


def _check_limits(frame: dict[str, object]) -> None:
    if all(frame[c] is None for c in FRAME_LIMITS):
        raise FrameError(
            "Rammen har ingen grænser. Angiv mindst én: alder, omfang, varighed eller pris."
        )
    if frame["max_extent"] is not None and frame["extent_unit"] is None:
        raise FrameError("Højeste omfang kræver en omfangsenhed.")
    if frame["extent_unit"] is not None and frame["max_extent"] is None:
        raise FrameError("En omfangsenhed kræver et højeste omfang.")


# --- frame versions ------------------------------------------------------------------------


def _frames_df(rows: list[tuple[object, ...]], columns: tuple[str, ...]) -> pd.DataFrame:
    """Return frame rows as a table: whole numbers Int64, limits Float64, dates as dates."""
    df = pd.DataFrame.from_records(rows, columns=list(columns))
    for col in _FRAME_INTEGERS:
        df[col] = df[col].astype("Int64")
    for col in _FRAME_DECIMALS:
        df[col] = df[col].astype("Float64")
    df["valid_from"] = df["valid_from"].astype(object)
    return df


@cache.cached
def frames_on(store: Store, day: dt.date) -> pd.DataFrame:
    """Return the frame in force on a day for every type that has one (columns FRAME_COLUMNS)."""
    cols = ", ".join(FRAME_COLUMNS)
    rows = (
        store.cursor()
        .execute(
            f"SELECT {cols} FROM ({sql.frame_in_force_sql('?')}) ORDER BY intervention_type",
            [day],
        )
        .fetchall()
    )
    return _frames_df(rows, FRAME_COLUMNS)


def first_valid_from(store: Store) -> dt.date | None:
    """Return the day the earliest frame version starts to apply, None without frames."""
    row = store.cursor().execute("SELECT min(valid_from) FROM frames_current").fetchone()
    return row[0] if row else None


@cache.cached
def frame_versions(store: Store, intervention_type: str) -> pd.DataFrame:
    """Return every version (frames_current rows) of a type's frame, oldest first."""
    columns = (*FRAME_COLUMNS, "created_at", "created_by")
    rows = (
        store.cursor()
        .execute(
            f"SELECT {', '.join(columns)} FROM frames_current WHERE intervention_type = ? "
            "ORDER BY valid_from",
            [intervention_type],
        )
        .fetchall()
    )
    return _frames_df(rows, columns)


def save_frame_version(
    store: Store, frame: dict[str, object], *, user: str | None = None, end_demo: bool = True
) -> None:
    """Validate and add one frame version from its valid_from date; history is never overwritten."""
    clean = _clean_frame(frame)
    if clean["valid_from"] is None:
        raise FrameError("Gælder fra-dato mangler.")
    _check_limits(clean)
    add_frames(store, [clean], user=user, end_demo=end_demo)


def _version(store: Store, intervention_type: str, valid_from: dt.date) -> tuple[object, ...]:
    row = (
        store.cursor()
        .execute(
            f"SELECT {', '.join(_FRAME_FIELDS)} FROM frames_current "
            "WHERE intervention_type = ? AND valid_from = ?",
            [intervention_type, valid_from],
        )
        .fetchone()
    )
    if row is None:
        raise FrameError(
            f"{intervention_type} har ingen ramme, der gælder fra {valid_from:%d-%m-%Y}."
        )
    return row


def compare_versions(
    store: Store, intervention_type: str, valid_from_a: dt.date, valid_from_b: dt.date
) -> pd.DataFrame:
    """Return two versions side by side: one row per field with both values and whether it changed."""
    a = _version(store, intervention_type, valid_from_a)
    b = _version(store, intervention_type, valid_from_b)
    return pd.DataFrame(
        {
            "field": [FRAME_LABELS[c] for c in _FRAME_FIELDS],
            "version_a": pd.Series(a, dtype=object),
            "version_b": pd.Series(b, dtype=object),
            "changed": pd.Series([x != y for x, y in zip(a, b, strict=True)], dtype=bool),
        }
    )


def frames_xlsx(store: Store) -> bytes:
    """Return all frame versions in force per (type, valid_from) as an XLSX workbook (FRAME_COLUMNS headers)."""
    rows = _all_versions(store)
    return to_xlsx_bytes(_frames_df(rows, FRAME_COLUMNS), sheet="Rammer")
