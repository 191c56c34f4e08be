"""Frames in the words of a service-level document: the frame in force, a line per frame.

The pages show frames as the municipality's service-level document words them (target group,
highest extent, longest duration, highest price); the document itself will be built from the
same functions.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from slcore import cache, fmt, frames
from slcore.labels import FRAME_DOCUMENT_COLUMNS, YES_NO, extent_unit
from slcore.store import Store


def _num(v: object) -> float | None:
    return None if fmt.is_missing(v) else float(v)  # type: ignore[arg-type]


def target_group(age_min: object, age_max: object) -> str:
    """Return a frame's ages as ``6–17 år`` (``–17 år`` with no lower limit); '' for none."""
    lo, hi = _num(age_min), _num(age_max)
    if lo is None and hi is None:
        return ""
    return f"{'' if lo is None else int(lo)}–{'' if hi is None else int(hi)} år"


def max_extent_text(extent: object, unit: object) -> str:
    """Return a frame's highest extent with its unit: ``10 timer/uge``; '' for none."""
    value = _num(extent)
    return "" if value is None else f"{fmt.number(value, 1)} {extent_unit(unit)}"


def max_duration_text(months: object) -> str:
    """Return a frame's longest duration: ``24 mdr.``; '' for none."""
    value = _num(months)
    return "" if value is None else f"{int(value)} mdr."


def readable(table: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """Return frames in the words of a service-level document (``labels.FRAME_DOCUMENT_COLUMNS``)."""
    out = pd.DataFrame(
        {
            "intervention_name": table["intervention_type"].map(names),
            "target_group": [
                target_group(lo, hi)
                for lo, hi in zip(table["age_min"], table["age_max"], strict=True)
            ],
            "max_extent": [
                max_extent_text(e, u)
                for e, u in zip(table["max_extent"], table["extent_unit"], strict=True)
            ],
            "max_duration": [max_duration_text(m) for m in table["max_duration_months"]],
            "max_monthly_cost": table["max_monthly_cost"],
            "valid_from": [fmt.date(pd.Timestamp(d).date()) for d in table["valid_from"]],
            "description": table["description"].fillna(""),
        }
    )
    return out.rename(columns={c: col.label for c, col in FRAME_DOCUMENT_COLUMNS.items()})


@cache.cached
def current_frame(store: Store, code: str, day: dt.date) -> dict[str, object]:
    """Return a type's frame in force on a day as a dict (None for no limit); {} for none."""
    table = frames.frames_on(store, day)
    row = table[table["intervention_type"] == code]
    if row.empty:
        return {}
    return {str(k): (None if fmt.is_missing(v) else v) for k, v in row.iloc[0].to_dict().items()}


def first_of_next_month(day: dt.date) -> dt.date:
    """Return the first day of the month after a day's month (a new version's default start)."""
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def frame_text(frame: dict[str, object]) -> str:
    """Return a frame as one line of a service-level document, or 'ingen.'."""
    if not frame:
        return "ingen."
    parts = [
        f"{label}: {text}"
        for label, text in (
            ("Målgruppe", target_group(frame.get("age_min"), frame.get("age_max"))),
            ("Højeste omfang", max_extent_text(frame.get("max_extent"), frame.get("extent_unit"))),
            ("Længste varighed", max_duration_text(frame.get("max_duration_months"))),
        )
        if text
    ]
    cost = _num(frame.get("max_monthly_cost"))
    if cost is not None:
        parts.append(f"Højeste pris pr. måned: {fmt.kr(cost)}")
    parts.append(f"gælder fra {fmt.date(pd.Timestamp(frame['valid_from']).date())}")  # type: ignore[arg-type]
    return " · ".join(parts)


def version_value(field: str, value: object) -> str:
    """Return a frame field's value in Danish for the version comparison ('–' for none)."""
    if fmt.is_missing(value):
        return "–"
    if isinstance(value, dt.date):
        return fmt.date(value)
    if field == "extent_unit":
        return extent_unit(value)
    if isinstance(value, int | float):
        return (
            fmt.kr(value)
            if field == "max_monthly_cost"
            else fmt.number(value, 0 if float(value).is_integer() else 1)
        )
    return str(value)


@cache.cached
def version_comparison(store: Store, code: str, a: dt.date, b: dt.date) -> pd.DataFrame:
    """Return two versions of a type's frame side by side, in words (``frames.compare_versions``).

    Columns: field (Danish), version_a, version_b, changed ("Ja" or '').
    """
    diff = frames.compare_versions(store, code, a, b)
    fields = {label: code for code, label in frames.FRAME_LABELS.items()}
    for col in ("version_a", "version_b"):
        diff[col] = [
            version_value(fields.get(f, f), v)
            for f, v in zip(diff["field"], diff[col], strict=True)
        ]
    diff["changed"] = diff["changed"].map({True: YES_NO[True], False: ""})
    return diff


def without_frame(table: pd.DataFrame, names: dict[str, str]) -> list[str]:
    """Return the names of the types (code order) that have no frame in a ``frames_on`` table."""
    framed = set(table["intervention_type"])
    return [names[c] for c in sorted(names) if c not in framed]
