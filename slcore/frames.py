"""Service-level frames and budgets (registrations.md §5 and §6): import, export, lookup.

Frames are versioned: every import or edit adds rows and never deletes one. For a given
(type, valid_from) the newest row is in force (view ``frames_current``). Frames and budgets
are read from CSV or XLSX (detected from the bytes) and written as CSV or XLSX.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import numbers
import os
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import BinaryIO

import duckdb
import pandas as pd

from slcore import bounds, fmt
from slcore.batches import leave_demo
from slcore.export import defuse, restore, to_xlsx_bytes
from slcore.store import Store

# A file to read: a path, an upload (a binary file-like, named by its ``name``) or its bytes.
Source = str | os.PathLike[str] | BinaryIO | bytes

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
BUDGET_COLUMNS = ("year", "intervention_type", "budget_dkk", "planned_cases")
BUDGET_LABELS = {"year": "År", "budget_dkk": "Budget (kr.)", "planned_cases": "Planlagte sager"}
EXTENT_UNITS = ("hours_per_week", "days_per_month", "nights_per_month", "full_time")
FRAME_LABELS: dict[str, str] = {
    "intervention_type": "Indsatstype",
    "valid_from": "Gælder fra",
    "age_min": "Alder fra",
    "age_max": "Alder til",
    "max_extent": "Højeste omfang",
    "extent_unit": "Omfangsenhed",
    "max_duration_months": "Længste varighed (måneder)",
    "max_monthly_cost": "Højeste pris pr. måned (kr.)",
    "description": "Beskrivelse",
}
FRAME_LIMITS = ("age_min", "age_max", "max_extent", "max_duration_months", "max_monthly_cost")
_FRAME_INTEGERS = ("age_min", "age_max", "max_duration_months")
_FRAME_DECIMALS = ("max_extent", "max_monthly_cost")
_FRAME_FIELDS = FRAME_COLUMNS[2:]  # what a version says, beside its key (type, valid_from)
XLSX_MAGIC = b"PK\x03\x04"
HEADER_SEARCH_ROWS = 30
NO_NAME = "uden navn"  # the name in messages of a file given as bytes


class FrameError(Exception):
    """Frames or budgets refused as a whole; the message is Danish."""


def _load(source: Source) -> tuple[bytes, str]:
    """Return a file's bytes and its name for messages (a path, an upload or bytes)."""
    if isinstance(source, bytes):
        return source, NO_NAME
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            return path.read_bytes(), path.name
        except OSError:
            raise FrameError(f"Filen {path.name} kan ikke åbnes.") from None
    raw = source.getvalue() if isinstance(source, io.BytesIO) else source.read()
    return raw, Path(str(getattr(source, "name", "") or "")).name or NO_NAME


def _read_csv_text(raw: bytes, name: str) -> str:
    for enc in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise FrameError(f"Filen {name} kan ikke læses som tekst.")


def _header(cell: str, aliases: dict[str, str]) -> str:
    name = cell.strip()
    return aliases.get(name, name)


def _missing_columns(headers: list[str], required: tuple[str, ...]) -> FrameError:
    missing = [c for c in required if c not in headers]
    return FrameError(f"Filen mangler kolonnen/kolonnerne: {', '.join(missing)}.")


def _csv_rows(
    raw: bytes, name: str, required: tuple[str, ...], aliases: dict[str, str]
) -> list[tuple[int, dict[str, str]]]:
    text = _read_csv_text(raw, name)
    first_line = text[:4096].splitlines()[0] if text.strip() else ""
    delim = max((";", ",", "\t"), key=first_line.count)
    # newline="": a line may end in CR, LF or CRLF, and a quoted value keeps its line breaks.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    out = []
    done = 0  # the last line of the last row read
    try:
        headers = [_header(h, aliases) for h in next(reader, [])]
        done = reader.line_num
        if any(c not in headers for c in required):
            raise _missing_columns(headers, required)
        for cells in reader:
            done = reader.line_num
            # Undo the apostrophe our CSV export puts before a formula-like text.
            values = [restore(c.strip()) for c in cells]
            if any(values):
                row = dict(zip(headers, values + [""] * (len(headers) - len(values)), strict=False))
                out.append((reader.line_num, row))
    except csv.Error:
        raise FrameError(
            f"Linje {done + 1} i filen {name} kan ikke læses som CSV "
            "(et felt er for langt, eller et anførselstegn lukkes ikke)."
        ) from None
    return out


def _xlsx_cell(value: object) -> str:
    """Return an Excel cell as the text a CSV would hold (dates ISO, numbers with a dot)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    # Undo the apostrophe of our CSV export (a CSV download opened and saved in Excel).
    return restore(str(value).strip())


class _NamedBytes(io.BytesIO):
    """A file in memory with a name, for the messages of ``reader.check_zip``."""

    def __init__(self, raw: bytes, name: str) -> None:
        super().__init__(raw)
        self.name = name


def _xlsx_rows(
    raw: bytes, name: str, required: tuple[str, ...], aliases: dict[str, str]
) -> list[tuple[int, dict[str, str]]]:
    from python_calamine import CalamineError, CalamineWorkbook

    from slcore.reader import ImportRefused, check_zip

    try:
        check_zip(_NamedBytes(raw, name))  # type: ignore[arg-type]  # a zip file-like with a name
        wb = CalamineWorkbook.from_filelike(io.BytesIO(raw))
        if not wb.sheet_names:
            raise FrameError(f"Excel-filen {name} har ingen ark.")
        rows = wb.get_sheet_by_index(0).to_python(skip_empty_area=False)  # row i = Excel i + 1
    except ImportRefused as exc:
        raise FrameError(str(exc)) from None
    except CalamineError:
        raise FrameError(f"Excel-filen {name} kan ikke læses; den er beskadiget.") from None
    cells = [[_xlsx_cell(v) for v in r] for r in rows]
    at = _header_row(cells, required, aliases)
    headers = [_header(h, aliases) for h in cells[at]]
    return [
        (j + 1, dict(zip(headers, r + [""] * (len(headers) - len(r)), strict=False)))
        for j, r in enumerate(cells[at + 1 :], start=at + 1)
        if any(r)
    ]


def _header_row(cells: list[list[str]], required: tuple[str, ...], aliases: dict[str, str]) -> int:
    """Return the index of the first row naming all required columns (a title may be above)."""
    for i, row in enumerate(cells[:HEADER_SEARCH_ROWS]):
        if all(c in [_header(h, aliases) for h in row] for c in required):
            return i
    first = next((r for r in cells if any(r)), [])
    raise _missing_columns([_header(h, aliases) for h in first], required)


def _rows(
    source: Source, required: tuple[str, ...], aliases: dict[str, str] | None = None
) -> list[tuple[int, dict[str, str]]]:
    """Return (line or Excel row, cells as text by header) for each non-empty row of a file."""
    raw, name = _load(source)
    read = _xlsx_rows if raw[:4] == XLSX_MAGIC else _csv_rows
    return read(raw, name, required, aliases or {})


def _num(value: str, line: int, column: str, integer: bool = False) -> float | int | None:
    """Return a number from a file's text; NaN and infinity as they are, for the range check."""
    if value == "":
        return None
    text = value.replace(" ", "")
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        raise FrameError(f"Linje {line}, {column}: '{value}' er ikke et tal.") from None
    if integer and math.isfinite(number):
        if not number.is_integer():
            raise FrameError(f"Linje {line}, {column}: '{value}' skal være et helt tal.")
        return int(number)
    return number


# --- plausibility bounds (slcore.bounds) -----------------------------------------------------


@dataclass(frozen=True)
class Range:
    """The values a field may take: low to high, with low itself allowed or not."""

    low: float
    high: float
    unit: str = ""
    low_allowed: bool = True
    year: bool = False  # written without a thousands separator

    def holds(self, value: float) -> bool:
        """Return whether a value lies in the range (never NaN or infinity)."""
        above = self.low <= value if self.low_allowed else self.low < value
        return above and value <= self.high

    def text(self) -> str:
        """Return the range in Danish: ``1-360 måneder`` or ``over 0 og højst 168 timer pr. uge``."""
        low, high = (_shown(v, self.year) for v in (self.low, self.high))
        span = f"{low}-{high}" if self.low_allowed else f"over {low} og højst {high}"
        return f"{span} {self.unit}".rstrip()


YEARS = Range(bounds.MIN_YEAR, bounds.MAX_YEAR, year=True)
AGES = Range(bounds.MIN_AGE, bounds.MAX_AGE, "år")
FRAME_RANGES: dict[str, Range] = {
    "age_min": AGES,
    "age_max": AGES,
    "max_duration_months": Range(1, bounds.MAX_FRAME_DURATION_MONTHS, "måneder"),
    "max_monthly_cost": Range(0, bounds.MAX_FRAME_MONTHLY_COST, "kr. pr. måned", low_allowed=False),
}
BUDGET_RANGES: dict[str, Range] = {
    "year": YEARS,
    "budget_dkk": Range(0, bounds.MAX_BUDGET_DKK, "kr."),
    "planned_cases": Range(0, bounds.MAX_PLANNED_CASES),
}


def extent_range(unit: object) -> Range:
    """Return the range of max_extent in a unit (any unit's largest when there is none)."""
    if unit in bounds.MAX_EXTENT:
        return Range(0, bounds.MAX_EXTENT[unit], bounds.EXTENT_UNIT_WORDS[unit], low_allowed=False)  # type: ignore[index]
    return Range(0, bounds.MAX_EXTENT_ANY_UNIT, low_allowed=False)


def _float(value: object) -> float:
    """Return a number as float; an int beyond any float as infinity."""
    try:
        return float(value)  # type: ignore[arg-type]
    except OverflowError:
        return math.inf if value > 0 else -math.inf  # type: ignore[operator]


def _shown(value: object, year: bool = False) -> str:
    """Return a number as Danish text for a message; NaN, infinity and huge values too."""
    number = _float(value)
    if not math.isfinite(number):
        return str(number)  # nan, inf, -inf
    if abs(number) >= 1e15:
        return f"{number:.3g}".replace(".", ",")  # 1e+308
    if year and number.is_integer():
        return str(int(number))
    text = fmt.number(number, 6)
    return text.rstrip("0").rstrip(",") if "," in text else text


def _check_range(value: object, allowed: Range, where: str) -> None:
    """Refuse a value outside its range; ``where`` names the line and column, or the field."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise FrameError(f"{where}: '{value}' er ikke et tal.")
    if not allowed.holds(value):  # type: ignore[arg-type]
        shown = _shown(value, allowed.year)
        raise FrameError(f"{where}: {shown} er uden for det tilladte ({allowed.text()}).")


def _day(value: dt.date) -> str:
    return f"{value.day:02d}-{value.month:02d}-{value.year:04d}"  # 0025 as 0025, not 25


def _check_frame_bounds(frame: dict[str, object], line: int) -> None:
    """Refuse a frame with a date, age or limit outside slcore.bounds."""

    def where(column: str) -> str:
        return f"Linje {line}, {column}" if line else FRAME_LABELS[column]

    day = frame["valid_from"]
    if isinstance(day, dt.date) and not YEARS.holds(day.year):
        raise FrameError(
            f"{where('valid_from')}: {_day(day)} er uden for det tilladte (år {YEARS.text()})."
        )
    ranges = FRAME_RANGES | {"max_extent": extent_range(frame["extent_unit"])}
    for column in FRAME_LIMITS:
        if frame[column] is not None:
            _check_range(frame[column], ranges[column], where(column))


def validate_frame(frame: dict[str, object], known_types: set[str], line: int = 0) -> None:
    """Check one frame: a known type and unit, a date, ages and limits in slcore.bounds, min <= max."""
    where = f"Linje {line}: " if line else ""
    if frame["intervention_type"] not in known_types:
        raise FrameError(f"{where}ukendt indsatstype '{frame['intervention_type']}'.")
    if frame["valid_from"] is None:
        raise FrameError(f"{where}gyldig fra-dato mangler.")
    unit = frame["extent_unit"]
    if unit is not None and unit not in EXTENT_UNITS:
        raise FrameError(f"{where}ukendt omfangsenhed '{unit}'.")
    _check_frame_bounds(frame, line)
    if (
        frame["age_min"] is not None
        and frame["age_max"] is not None
        and frame["age_min"] > frame["age_max"]  # type: ignore[operator]
    ):
        raise FrameError(f"{where}mindste alder er større end højeste alder.")


def _known_types(cur: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in cur.execute("SELECT code FROM intervention_types").fetchall()}


def parse_frames(source: Source, known_types: set[str]) -> list[dict[str, object]]:
    """Read and validate a frames CSV or XLSX (registrations.md §5 columns or FRAME_LABELS)."""
    aliases = {label: col for col, label in FRAME_LABELS.items()}
    frames = []
    for i, row in _rows(source, ("intervention_type", "valid_from"), aliases):
        try:
            valid_from = dt.date.fromisoformat(row["valid_from"]) if row["valid_from"] else None
        except ValueError:
            raise FrameError(
                f"Linje {i}: datoen '{row['valid_from']}' kunne ikke forstås (brug ÅÅÅÅ-MM-DD)."
            ) from None
        frame: dict[str, object] = {
            "intervention_type": row["intervention_type"],
            "valid_from": valid_from,
            "age_min": _num(row.get("age_min", ""), i, "age_min", integer=True),
            "age_max": _num(row.get("age_max", ""), i, "age_max", integer=True),
            "max_extent": _num(row.get("max_extent", ""), i, "max_extent"),
            "extent_unit": row.get("extent_unit") or None,
            "max_duration_months": _num(
                row.get("max_duration_months", ""), i, "max_duration_months", integer=True
            ),
            "max_monthly_cost": _num(row.get("max_monthly_cost", ""), i, "max_monthly_cost"),
            "description": row.get("description") or None,
        }
        validate_frame(frame, known_types, line=i)
        frames.append(frame)
    if not frames:
        raise FrameError("Filen indeholder ingen rammer.")
    return frames


def add_frames(
    store: Store, frames: list[dict[str, object]], user: str = "", end_demo: bool = True
) -> int:
    """Add frame versions in one transaction; return how many were added.

    On the demo store the first real frame ends the demo; with ``end_demo=False`` it
    refuses instead (``DemoNotEnded``), so a page can ask first.
    """
    with store.write() as cur:
        if user != "demo":
            leave_demo(cur, confirmed=end_demo)
        known = _known_types(cur)
        for i, f in enumerate(frames, start=1):
            validate_frame(f, known, line=0 if len(frames) == 1 else i)
        cur.executemany(
            f"""INSERT INTO frames (frame_id, {", ".join(FRAME_COLUMNS)}, created_by)
                VALUES (nextval('frame_seq'), {", ".join("?" * len(FRAME_COLUMNS))}, ?)""",
            [[f[c] for c in FRAME_COLUMNS] + [user] for f in frames],
        )
    return len(frames)


def import_frames(store: Store, source: Source, user: str = "", end_demo: bool = True) -> int:
    """Import a frames CSV or XLSX (a path, an upload or bytes) as new versions; return the count."""
    return add_frames(store, parse_frames(source, _known_types(store.cursor())), user, end_demo)


def frames_csv(store: Store) -> str:
    """Return the frames in force per (type, valid_from) as CSV (registrations.md §5)."""
    rows = (
        store.cursor()
        .execute(
            f"SELECT {', '.join(FRAME_COLUMNS)} FROM frames_current "
            "ORDER BY intervention_type, valid_from"
        )
        .fetchall()
    )
    return _to_csv(FRAME_COLUMNS, rows)


def _check_budget(row: list[object], line: int = 0) -> None:
    """Refuse a budgets row (year, type, budget_dkk, planned_cases) outside slcore.bounds."""
    for column, value in zip(BUDGET_COLUMNS, row, strict=True):
        if column == "intervention_type" or (column == "planned_cases" and value is None):
            continue
        where = f"Linje {line}, {column}" if line else f"{row[1]}, {BUDGET_LABELS[column]}"
        _check_range(value, BUDGET_RANGES[column], where)


def parse_budgets(source: Source, known_types: set[str]) -> list[list[object]]:
    """Read and validate a budgets CSV or XLSX (registrations.md §6 columns)."""
    out: list[list[object]] = []
    seen: set[tuple[int, str]] = set()
    for i, row in _rows(source, ("year", "intervention_type", "budget_dkk")):
        year = _num(row["year"], i, "year", integer=True)
        if year is None:
            raise FrameError(f"Linje {i}: året mangler.")
        _check_range(year, YEARS, f"Linje {i}, year")
        if row["intervention_type"] not in known_types:
            raise FrameError(f"Linje {i}: ukendt indsatstype '{row['intervention_type']}'.")
        budget = _num(row["budget_dkk"], i, "budget_dkk")
        if budget is None:
            raise FrameError(f"Linje {i}: budgettet mangler.")
        planned = _num(row.get("planned_cases", ""), i, "planned_cases", integer=True)
        budget_row = [year, row["intervention_type"], budget, planned]
        _check_budget(budget_row, i)
        key = (int(year), row["intervention_type"])
        if key in seen:
            raise FrameError(f"Linje {i}: {key[1]} {key[0]} står to gange.")
        seen.add(key)
        out.append(budget_row)
    if not out:
        raise FrameError("Filen indeholder ingen budgetter.")
    return out


def _insert_budgets(cur: duckdb.DuckDBPyConnection, rows: list[list[object]]) -> None:
    """Insert or replace budgets rows, each checked against slcore.bounds first."""
    for row in rows:
        _check_budget(row)
    if rows:
        cur.executemany(
            """INSERT OR REPLACE INTO budgets (year, intervention_type, budget_dkk, planned_cases,
                   updated_at) VALUES (?, ?, ?, ?, current_timestamp)""",
            rows,
        )


def set_budgets(
    store: Store, rows: list[list[object]], demo: bool = False, end_demo: bool = True
) -> int:
    """Insert or replace budgets per (year, type) in one transaction; return the count."""
    with store.write() as cur:
        if not demo:
            leave_demo(cur, confirmed=end_demo)
        _insert_budgets(cur, rows)
    return len(rows)


def import_budgets(store: Store, source: Source, end_demo: bool = True) -> int:
    """Import a budgets CSV or XLSX (a path, an upload or bytes); a (year, type) present is replaced."""
    rows = parse_budgets(source, _known_types(store.cursor()))
    return set_budgets(store, rows, end_demo=end_demo)


def budgets_csv(store: Store) -> str:
    """Return the budgets as CSV (registrations.md §6)."""
    rows = (
        store.cursor()
        .execute(
            f"SELECT {', '.join(BUDGET_COLUMNS)} FROM budgets ORDER BY year, intervention_type"
        )
        .fetchall()
    )
    return _to_csv(BUDGET_COLUMNS, rows)


def _to_csv(columns: tuple[str, ...], rows: list[tuple[object, ...]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for r in rows:
        writer.writerow(["" if v is None else defuse(v) for v in r])
    return buf.getvalue()


# --- values typed in a page ----------------------------------------------------------------


def _is_empty(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return bool(pd.api.types.is_scalar(value) and pd.isna(value))


def _as_number(value: object) -> float | None:
    """Return a typed-in number (int, float, numpy or Danish text) as float; ValueError if not.

    NaN typed as text and infinity stay as they are, for the range check to refuse.
    """
    if _is_empty(value):
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    number = _num(value.strip(), 0, "") if isinstance(value, str) else _float(value)
    if number is None:
        raise ValueError(value)
    return float(number)


def _as_date(value: object) -> dt.date | None:
    if _is_empty(value):
        return None
    if isinstance(value, dt.datetime):  # also pandas Timestamp
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise FrameError(f"Gælder fra skal være en dato, ikke '{value}'.")


def _as_text(value: object) -> str | None:
    return None if _is_empty(value) else str(value).strip()


def _clean_frame(frame: dict[str, object]) -> dict[str, object]:
    """Return a frame typed in a page as plain Python values (None for empty)."""
    clean: dict[str, object] = {
        "intervention_type": _as_text(frame.get("intervention_type")) or "",
        "valid_from": _as_date(frame.get("valid_from")),
        "extent_unit": _as_text(frame.get("extent_unit")),
        "description": _as_text(frame.get("description")),
    }
    for col in _FRAME_INTEGERS + _FRAME_DECIMALS:
        value = frame.get(col)
        try:
            number = _as_number(value)
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


def frames_on(store: Store, day: dt.date) -> pd.DataFrame:
    """Return the frame in force on a day for every type that has one (columns FRAME_COLUMNS)."""
    cols = ", ".join(FRAME_COLUMNS)
    rows = (
        store.cursor()
        .execute(
            f"""SELECT {cols} FROM (
                    SELECT *, row_number() OVER (
                        PARTITION BY intervention_type ORDER BY valid_from DESC) AS rn
                    FROM frames_current WHERE valid_from <= ?)
                WHERE rn = 1 ORDER BY intervention_type""",
            [day],
        )
        .fetchall()
    )
    return _frames_df(rows, FRAME_COLUMNS)


def first_valid_from(store: Store) -> dt.date | None:
    """Return the day the earliest frame version starts to apply, None without frames."""
    row = store.cursor().execute("SELECT min(valid_from) FROM frames_current").fetchone()
    return row[0] if row else None


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
    store: Store, frame: dict[str, object], user: str = "", end_demo: bool = True
) -> None:
    """Validate and add one frame version from its valid_from date; history is never overwritten."""
    clean = _clean_frame(frame)
    if clean["valid_from"] is None:
        raise FrameError("Gælder fra-dato mangler.")
    _check_limits(clean)
    add_frames(store, [clean], user, end_demo)


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
    rows = (
        store.cursor()
        .execute(
            f"SELECT {', '.join(FRAME_COLUMNS)} FROM frames_current "
            "ORDER BY intervention_type, valid_from"
        )
        .fetchall()
    )
    return to_xlsx_bytes(_frames_df(rows, FRAME_COLUMNS), sheet="Rammer")


# --- budgets per year ----------------------------------------------------------------------


def _check_year(year: object) -> int:
    if isinstance(year, bool) or not isinstance(year, int):
        raise FrameError(f"År '{year}' er ikke gyldigt.")
    _check_range(year, YEARS, "År")
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
    code = _as_text(row.get("intervention_type")) or ""
    if code not in known:
        raise FrameError(f"Ukendt indsatstype '{code}'.")
    try:
        budget = _as_number(row.get("budget_dkk"))
    except (ValueError, TypeError, FrameError):
        raise FrameError(f"{code}: budgettet '{row.get('budget_dkk')}' er ikke et tal.") from None
    try:
        planned = _as_number(row.get("planned_cases"))
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
    store: Store, year: int, table: pd.DataFrame, end_demo: bool = True
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
        row = _budget_row(year, record, known)
        if row is None:
            continue
        if row[1] in seen:
            raise FrameError(f"{row[1]} står to gange.")
        seen.add(row[1])
        rows.append(row)
    with store.write() as cur:
        leave_demo(cur, confirmed=end_demo)
        cur.execute("DELETE FROM budgets WHERE year = ?", [year])
        _insert_budgets(cur, rows)
    return len(rows)


def _scaled(budget: float, factor: float) -> float:
    """Return budget times factor rounded half up to whole kroner, in decimal arithmetic."""
    exact = Decimal(repr(float(budget))) * Decimal(repr(float(factor)))
    if not exact <= bounds.MAX_BUDGET_DKK:  # too large to round; the bounds check refuses it
        return float(exact)
    return float(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def copy_budgets(
    store: Store, from_year: int, to_year: int, factor: float = 1.0, overwrite: bool = False
) -> int:
    """Copy one year's budgets to another, scaled by factor (e.g. 1.03 for price growth), rounded to whole kroner."""
    _check_year(from_year)
    _check_year(to_year)
    if from_year == to_year:
        raise FrameError("Vælg et andet år at kopiere budgetterne til.")
    if isinstance(factor, bool) or not (math.isfinite(factor) and factor > 0):
        raise FrameError("Faktoren skal være et tal større end 0.")
    with store.write() as cur:
        source = cur.execute(
            "SELECT intervention_type, budget_dkk, planned_cases FROM budgets WHERE year = ?",
            [from_year],
        ).fetchall()
        if not source:
            raise FrameError(f"Der er ingen budgetter for {from_year} at kopiere.")
        present = cur.execute("SELECT count(*) FROM budgets WHERE year = ?", [to_year]).fetchone()
        if present[0] and not overwrite:
            raise FrameError(
                f"{to_year} har allerede budgetter. Vælg at overskrive dem, hvis de skal erstattes."
            )
        cur.execute("DELETE FROM budgets WHERE year = ?", [to_year])
        _insert_budgets(
            cur, [[to_year, code, _scaled(b, factor), planned] for code, b, planned in source]
        )
    return len(source)
