"""Service-level frames and budgets (registrations.md §5 and §6): import, export, lookup.

Frames are versioned: every import or edit adds rows and never deletes one. For a given
(type, valid_from) the newest row is in force (view ``frames_current``).
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import duckdb

from slcore.store import Store, leave_demo

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
EXTENT_UNITS = ("hours_per_week", "days_per_month", "nights_per_month", "full_time")


class FrameError(Exception):
    """Frames or budgets refused as a whole; the message is Danish."""


def _read_csv_text(path: str | os.PathLike[str]) -> str:
    raw = Path(path).read_bytes()
    for enc in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise FrameError(f"Filen {Path(path).name} kan ikke læses som tekst.")


def _rows(path: str | os.PathLike[str], required: tuple[str, ...]) -> list[dict[str, str]]:
    text = _read_csv_text(path)
    sample = text[:4096]
    delim = max((";", ",", "\t"), key=sample.split("\n")[0].count)
    reader = csv.DictReader(io.StringIO(text), delimiter=delim)
    headers = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in required if c not in headers]
    if missing:
        raise FrameError(f"Filen mangler kolonnen/kolonnerne: {', '.join(missing)}.")
    return [
        {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
        for row in reader
        if any((v or "").strip() for v in row.values() if isinstance(v, str))
    ]


def _num(value: str, line: int, column: str, integer: bool = False) -> float | int | None:
    if value == "":
        return None
    text = value.replace(" ", "")
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        raise FrameError(f"Linje {line}, {column}: '{value}' er ikke et tal.") from None
    if integer:
        if number != int(number):
            raise FrameError(f"Linje {line}, {column}: '{value}' skal være et helt tal.")
        return int(number)
    return number


def validate_frame(frame: dict[str, object], known_types: set[str], line: int = 0) -> None:
    """Check one frame (ages 0-30 and min <= max, positive limits, a known unit and type)."""
    where = f"Linje {line}: " if line else ""
    if frame["intervention_type"] not in known_types:
        raise FrameError(f"{where}ukendt indsatstype '{frame['intervention_type']}'.")
    if frame["valid_from"] is None:
        raise FrameError(f"{where}gyldig fra-dato mangler.")
    for c in ("age_min", "age_max"):
        v = frame[c]
        if v is not None and not 0 <= v <= 30:  # type: ignore[operator]
            raise FrameError(f"{where}alder skal ligge mellem 0 og 30.")
    if (
        frame["age_min"] is not None
        and frame["age_max"] is not None
        and frame["age_min"] > frame["age_max"]
    ):  # type: ignore[operator]
        raise FrameError(f"{where}mindste alder er større end højeste alder.")
    for c in ("max_extent", "max_duration_months", "max_monthly_cost"):
        v = frame[c]
        if v is not None and v <= 0:  # type: ignore[operator]
            raise FrameError(f"{where}grænserne skal være positive tal.")
    unit = frame["extent_unit"]
    if unit is not None and unit not in EXTENT_UNITS:
        raise FrameError(f"{where}ukendt omfangsenhed '{unit}'.")


def _known_types(cur: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in cur.execute("SELECT code FROM intervention_types").fetchall()}


def parse_frames(path: str | os.PathLike[str], known_types: set[str]) -> list[dict[str, object]]:
    """Read and validate a frames CSV (registrations.md §5 columns)."""
    import datetime as dt

    frames = []
    for i, row in enumerate(_rows(path, ("intervention_type", "valid_from")), start=2):
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


def add_frames(store: Store, frames: list[dict[str, object]], user: str = "") -> int:
    """Add frame versions in one transaction; return how many were added."""
    with store.write() as cur:
        if user != "demo":
            leave_demo(cur)
        known = _known_types(cur)
        for i, f in enumerate(frames, start=1):
            validate_frame(f, known, line=0 if len(frames) == 1 else i)
        cur.executemany(
            f"""INSERT INTO frames (frame_id, {", ".join(FRAME_COLUMNS)}, created_by)
                VALUES (nextval('frame_seq'), {", ".join("?" * len(FRAME_COLUMNS))}, ?)""",
            [[f[c] for c in FRAME_COLUMNS] + [user] for f in frames],
        )
    return len(frames)


def import_frames(store: Store, path: str | os.PathLike[str], user: str = "") -> int:
    """Import a frames CSV as new versions; return how many were added."""
    return add_frames(store, parse_frames(path, _known_types(store.cursor())), user)


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


def parse_budgets(path: str | os.PathLike[str], known_types: set[str]) -> list[list[object]]:
    """Read and validate a budgets CSV (registrations.md §6 columns)."""
    out: list[list[object]] = []
    seen: set[tuple[int, str]] = set()
    for i, row in enumerate(_rows(path, ("year", "intervention_type", "budget_dkk")), start=2):
        year = _num(row["year"], i, "year", integer=True)
        if year is None or not 1990 <= year <= 2100:  # type: ignore[operator]
            raise FrameError(f"Linje {i}: år '{row['year']}' er ikke gyldigt.")
        if row["intervention_type"] not in known_types:
            raise FrameError(f"Linje {i}: ukendt indsatstype '{row['intervention_type']}'.")
        budget = _num(row["budget_dkk"], i, "budget_dkk")
        if budget is None or budget < 0:
            raise FrameError(f"Linje {i}: budgettet skal være et tal, 0 eller derover.")
        key = (int(year), row["intervention_type"])  # type: ignore[arg-type]
        if key in seen:
            raise FrameError(f"Linje {i}: {key[1]} {key[0]} står to gange.")
        seen.add(key)
        planned = _num(row.get("planned_cases", ""), i, "planned_cases", integer=True)
        out.append([year, row["intervention_type"], budget, planned])
    if not out:
        raise FrameError("Filen indeholder ingen budgetter.")
    return out


def set_budgets(store: Store, rows: list[list[object]], demo: bool = False) -> int:
    """Insert or replace budgets per (year, type) in one transaction; return the count."""
    with store.write() as cur:
        if not demo:
            leave_demo(cur)
        cur.executemany(
            """INSERT OR REPLACE INTO budgets (year, intervention_type, budget_dkk, planned_cases,
                   updated_at) VALUES (?, ?, ?, ?, current_timestamp)""",
            rows,
        )
    return len(rows)


def import_budgets(store: Store, path: str | os.PathLike[str]) -> int:
    """Import a budgets CSV; a (year, type) already present is replaced."""
    return set_budgets(store, parse_budgets(path, _known_types(store.cursor())))


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
        writer.writerow(["" if v is None else v for v in r])
    return buf.getvalue()
