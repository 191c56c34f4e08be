"""The product's Danish words: one word per code, and each table column's number format.

Every page, chart and download takes the Danish word for a code from here, so a concept has
one name everywhere (``no_frame`` is "Uden ramme" on the tiles, in the tables, the charts and
the files). A table column is a ``Column``: its Danish label and how its numbers are shown
(kroner, count, share, signed share, decimal, date or text), as data rather than read from
the label's wording. ``shown`` renames a table's codes and returns the formats, which the
screen (``ui.danish_table``) and the downloads (``export``) both follow.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

import pandas as pd


class Format(StrEnum):
    """How a column's numbers are shown on the screen and written to a download."""

    KR = "kr"  # whole kroner: 1.234.567 kr.
    COUNT = "count"  # a whole number: 1.234
    SHARE = "share"  # a fraction shown in percent with one decimal: 53,2 %
    SIGNED_SHARE = "signed_share"  # a deviation in percent with its sign: +5,3 %
    DECIMAL = "decimal"  # one decimal where needed: 12,5 (a whole column has none)
    DATE = "date"  # 31-12-2025 on the screen and in CSV, a real date in Excel
    TEXT = "text"  # as it is


@dataclass(frozen=True)
class Column:
    """A table column in Danish: its label and its number format."""

    label: str
    format: Format = Format.TEXT


# --- Codes ----------------------------------------------------------------------------------

STATUSES: dict[str, str] = {
    "within_frame": "Inden for rammen",
    "approved_exception": "Godkendt undtagelse",
    "unapproved_deviation": "Ikke-godkendt afvigelse",
    "no_frame": "Uden ramme",
}
# The statuses counted over allocations: the key figures' columns.
STATUS_COUNTS: dict[str, str] = {
    "within_frame": "Inden for rammen",
    "approved_exceptions": "Godkendte undtagelser",
    "unapproved_deviations": "Ikke-godkendte afvigelser",
    "no_frame": "Uden ramme",
}
# A status as one coloured series of a chart (a bar or a point is one allocation).
STATUS_SERIES: dict[str, str] = {
    "within_frame": STATUSES["within_frame"],
    "approved_exceptions": STATUSES["approved_exception"],
    "unapproved_deviations": STATUSES["unapproved_deviation"],
    "no_frame": STATUSES["no_frame"],
}
# Lower case: they are listed inside a sentence or a cell ("alder, varighed").
REASONS: dict[str, str] = {
    "age": "alder",
    "extent": "omfang",
    "duration": "varighed",
    "price": "pris",
}
CATEGORIES: dict[str, str] = {
    "tidlig_forebyggende": "Tidlig forebyggende indsats",
    "stottende": "Støttende indsats",
    "anbringelse": "Anbringelse",
    "ungestotte": "Ungestøtte (18-22 år)",
}
# Socialstyrelsen's indsatstrappe as the reference list uses it (step 1, the universal
# services, is never registered as an allocation). Support for 18-22-year-olds has no step.
LADDER_STEPS: dict[int, str] = {
    2: "Trin 2: Tidlig forebyggende indsats",
    3: "Trin 3: Støtte i hjemmet",
    4: "Trin 4: Netværksanbringelse",
    5: "Trin 5: Plejefamilie",
    6: "Trin 6: Institution og opholdssted",
}
NO_STEP = "Ungestøtte (uden trin)"
EXTENT_UNITS: dict[str, str] = {
    "hours_per_week": "timer/uge",
    "days_per_month": "dage/måned",
    "nights_per_month": "døgn/måned",
    "full_time": "fuld tid",
}
# The Danish headers of the frames and budgets files (registrations.md §5, §6), which the
# export writes and the import reads beside the canonical names.
FRAME_FILE_COLUMNS: dict[str, str] = {
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
BUDGET_FILE_COLUMNS: dict[str, str] = {
    "year": "År",
    "budget_dkk": "Budget (kr.)",
    "planned_cases": "Planlagte sager",
}
# The same units inside a sentence ("højst 168 timer pr. uge"), where a slash reads badly.
EXTENT_UNITS_IN_TEXT: dict[str, str] = {
    "hours_per_week": "timer pr. uge",
    "days_per_month": "dage pr. måned",
    "nights_per_month": "døgn pr. måned",
    "full_time": "fuld tid",
}
COST_PERIODS: dict[str, str] = {
    "day": "pr. dag",
    "week": "pr. uge",
    "month": "pr. måned",
    "year": "pr. år",
    "hour": "pr. time",
    "once": "engangsbeløb",
}
DEVIATION_BANDS: dict[str, str] = {
    "over": "Over budget",
    "within": "Inden for ±5 %",
    "under": "Under budget",
    "no_budget": "Intet budget",
}
DURATION_STATES: dict[str, str] = {"ended": "Afsluttet i perioden", "ongoing": "Løbende"}
IMPORT_MODES: dict[str, str] = {"upsert": "Opdatér", "replace": "Erstat"}
IMPORT_MODE_TEXTS: dict[str, str] = {
    "upsert": "Opdatér: bevillinger i filen tilføjes eller opdateres; andre bevillinger i "
    "databasen bliver, som de er.",
    "replace": "Erstat: filen er det komplette udtræk; bevillinger, der ikke står i filen, "
    "fjernes fra opgørelserne (de kan hentes tilbage ved at fortryde importen).",
}
# The measures of the calibration's distributions, and the unit each is counted in.
CALIBRATION_MEASURES: dict[str, str] = {
    "age": "Alder ved start",
    "extent": "Omfang",
    "monthly_cost": "Pris pr. måned",
    "duration_months": "Varighed",
}
CALIBRATION_UNITS: dict[str, str] = {
    "age": "år",
    "monthly_cost": "kr. pr. måned",
    "duration_months": "måneder",
}
# What a frame's limit chart can show.
LIMIT_MEASURES: dict[str, str] = {"duration": "Varighed", "price": "Pris"}
# What the activity page's monthly chart counts, and what it splits by.
ACTIVITY_MEASURES: dict[str, str] = {
    "active_registrations": "Aktive bevillinger",
    "new_registrations": "Nye bevillinger",
    "ended_registrations": "Afsluttede bevillinger",
}
ACTIVITY_DIMENSIONS: dict[str, str] = {"intervention_type": "Indsatstype", "category": "Kategori"}
YES_NO: dict[bool, str] = {True: "Ja", False: "Nej"}
TOTAL = "I alt"
WHOLE_PERIOD = "Hele perioden"
UNKNOWN_AGE = "Ukendt"


def ladder_step(step: object) -> str:
    """Return the Danish label of a ladder step; no step is the support for young adults."""
    if step is None or pd.isna(step):  # type: ignore[call-overload]
        return NO_STEP
    return LADDER_STEPS.get(int(step), f"Trin {int(step)}")  # type: ignore[call-overload]


def age_band(band: str) -> str:
    """Return an age band in Danish: ``6-11 år``, or ``Ukendt``."""
    return UNKNOWN_AGE if band == "ukendt" else f"{band} år"


def extent_unit(unit: object) -> str:
    """Return an extent unit in Danish (``timer/uge``); an unknown code as it is."""
    return EXTENT_UNITS.get(str(unit), str(unit)) if unit else ""


# --- Table columns --------------------------------------------------------------------------

_K, _N, _S, _SS, _D, _DT = (
    Format.KR,
    Format.COUNT,
    Format.SHARE,
    Format.SIGNED_SHARE,
    Format.DECIMAL,
    Format.DATE,
)

# The columns of slcore's tables (metrics.md names and the other modules' columns) in Danish.
COLUMNS: dict[str, Column] = {
    # Groups
    "intervention_type": Column("Indsatstype"),
    "intervention_name": Column("Indsats"),
    "category": Column("Kategori"),
    "age_band": Column("Aldersgruppe"),
    "team": Column("Team"),
    "provider": Column("Leverandør"),
    "month": Column("Måned"),
    "ladder_step": Column("Trin"),
    # Key figures
    "active_registrations": Column("Aktive bevillinger", _N),
    "active_citizens": Column("Aktive børn og unge", _N),
    "new_registrations": Column("Nye bevillinger", _N),
    "ended_registrations": Column("Afsluttede bevillinger", _N),
    "realized_spend_dkk": Column("Forbrug (kr.)", _K),
    "committed_spend_dkk": Column("Disponeret (kr.)", _K),
    "projected_spend_dkk": Column("Forventet forbrug (kr.)", _K),
    "budget_dkk": Column("Budget (kr.)", _K),
    "budget_deviation_dkk": Column("Afvigelse fra budget (kr.)", _K),
    **{code: Column(label, _N) for code, label in STATUS_COUNTS.items()},
    "median_duration_days": Column("Median varighed (dage)", _D),
    "within_frame_share": Column("Andel inden for rammen", _S),
    # Activity and economy
    "child_days": Column("Barnedage", _N),
    "realized": Column("Forbrug (kr.)", _K),
    "committed": Column("Disponeret (kr.)", _K),
    "projected": Column("Forventet forbrug (kr.)", _K),
    "budget": Column("Budget (kr.)", _K),
    "deviation": Column("Afvigelse fra budget (kr.)", _K),
    "deviation_share": Column("Andel afvigelse fra budget", _SS),
    "band": Column("Vurdering"),
    "children": Column("Børn og unge", _N),
    "child_share": Column("Andel af børnene", _S),
    "spend_share": Column("Andel af forbruget", _S),
    "share": Column("Andel af forbruget", _S),
    "intervention_types": Column("Antal indsatstyper", _N),
    "volume": Column("Volumen (kr.)", _K),
    "mix": Column("Mix (kr.)", _K),
    "price": Column("Pris (kr.)", _K),
    "change": Column("Ændring i alt (kr.)", _K),
    "frame_price_year": Column("Rammens pris pr. år (kr.)", _K),
    # Durations
    "state": Column("Status"),
    "registrations": Column("Bevillinger", _N),
    "p10": Column("10 %-fraktil (dage)", _D),
    "p25": Column("25 %-fraktil (dage)", _D),
    "median": Column("Median (dage)", _D),
    "p75": Column("75 %-fraktil (dage)", _D),
    "p90": Column("90 %-fraktil (dage)", _D),
    # Allocations
    "registration_id": Column("Bevilling"),
    "citizen_id": Column("Borger (pseudonym)"),
    "start_date": Column("Start", _DT),
    "end_date": Column("Slut", _DT),
    "monthly_cost": Column("Pris pr. måned (kr.)", _K),
    "status": Column("Ramme"),
    # Compliance
    "outside_dkk": Column("Uden for rammen (kr.)", _K),
    "reason": Column("Årsag"),
    "reasons": Column("Årsager"),
    "total": Column("I alt", _N),
}

# People and roles (access.md), and the audit log.
PEOPLE_COLUMNS: dict[str, Column] = {
    "email": Column("E-mail"),
    "name": Column("Navn"),
    "roles": Column("Roller"),
    "teams": Column("Teams"),
    "updated_at": Column("Ændret"),
    "updated_by": Column("Ændret af"),
}
AUDIT_COLUMNS: dict[str, Column] = {
    "logged_at": Column("Tidspunkt"),
    "who": Column("Hvem"),
    "event_name": Column("Hændelse"),
    "detail": Column("Detaljer"),
}

# The committee's lists: for a meeting, with the case system's words.
COMMITTEE_COLUMNS: dict[str, Column] = {
    "registration_id": Column("Bevillings-id"),
    "citizen_id": Column("Borger (pseudonym)"),
    "intervention_name": Column("Indsats"),
    "team": Column("Team"),
    "caseworker": Column("Sagsbehandler"),
    "start_date": Column("Startdato", _DT),
    "end_date": Column("Slutdato", _DT),
    "reasons": Column("Årsager"),
    "outside_dkk": Column("Uden for rammen (kr.)", _K),
    "planned_end": Column("Planlagt slut", _DT),
    "frame_last_day": Column("Rammens sidste dag", _DT),
    "days_left": Column("Dage tilbage", _N),
    "committee_approved": Column("Godkendt i udvalget"),
}

# The what-if table: today's frame against a new one.
WHATIF_COLUMNS: dict[str, Column] = {
    "frame": Column(""),
    "judged": Column("Vurderet", _N),
    "outside": Column("Uden for rammen", _N),
    "age": Column("Alder", _N),
    "extent": Column("Omfang", _N),
    "duration": Column("Varighed", _N),
    "price": Column("Pris", _N),
    "outside_dkk": Column("Forbrug uden for rammen (kr.)", _K),
}
WHATIF_ROWS = ("Dagens ramme", "Ny ramme")

# The calibration: durations by Kaplan–Meier, and the distributions against the frame.
SURVIVAL_COLUMNS: dict[str, Column] = {
    "intervention_name": Column("Indsats"),
    "n": Column("Bevillinger", _N),
    "ended": Column("Afsluttede", _N),
    "ongoing": Column("Løber stadig", _N),
    "km_median_days": Column("Median varighed, Kaplan–Meier (dage)", _D),
    "plain_median_days": Column("Median af afsluttede (dage)", _D),
    "still_running_6m": Column("Andel efter 6 mdr.", _S),
    "still_running_12m": Column("Andel efter 12 mdr.", _S),
    "still_running_24m": Column("Andel efter 24 mdr.", _S),
    "max_duration_months": Column("Rammens længste varighed (mdr.)", _D),
}
DISTRIBUTION_COLUMNS: dict[str, Column] = {
    "measure": Column("Mål"),
    "unit": Column("Enhed"),
    "n": Column("Antal", _N),
    "p50": Column("50 %", _D),
    "p80": Column("80 %", _D),
    "p90": Column("90 %", _D),
    "limit": Column("Rammens grænse", _D),
    "share_over_limit": Column("Andel over grænsen", _S),
}

# A frame in the words of a service-level document (``servicelevel.readable``).
FRAME_DOCUMENT_COLUMNS: dict[str, Column] = {
    "intervention_name": Column("Indsats"),
    "target_group": Column("Målgruppe"),
    "max_extent": Column("Højeste omfang"),
    "max_duration": Column("Længste varighed"),
    "max_monthly_cost": Column("Højeste pris pr. måned (kr.)", _K),
    "valid_from": Column("Gælder fra"),
    "description": Column("Beskrivelse"),
}
# Two versions of a frame side by side (values already in words).
VERSION_COLUMNS: dict[str, Column] = {
    "field": Column("Felt"),
    "changed": Column("Ændret"),
}

# The upload page's report.
REJECTION_COLUMNS: dict[str, Column] = {
    "line_no": Column("Linje"),  # a line of the file: shown as it is, without a separator
    "registration_id": Column("Bevillings-id"),
    "column_name": Column("Kolonne i filen"),
    "value": Column("Værdi"),
    "reason": Column("Årsag"),
}
REASON_COUNT_COLUMNS: dict[str, Column] = {
    "reason": Column("Årsag"),
    "rows": Column("Rækker", _N),
}


def year_columns(before: str, now: str) -> dict[str, Column]:
    """Return the columns of the change against last year (``economy.change_decomposition``)."""
    return {
        "child_days_before": Column(f"Barnedage {before}", _N),
        "child_days_now": Column(f"Barnedage {now}", _N),
        "spend_before": Column(f"Forbrug {before} (kr.)", _K),
        "spend_now": Column(f"Forbrug {now} (kr.)", _K),
        "unit_cost_before": Column(f"Pris pr. barneår {before} (kr.)", _K),
        "unit_cost_now": Column(f"Pris pr. barneår {now} (kr.)", _K),
    }


# The figures compared with the same days last year (``activity.year_comparison``).
COMPARED: dict[str, Column] = {
    "active_registrations": Column("Aktive bevillinger", _N),
    "active_citizens": Column("Aktive børn og unge", _N),
    "new_registrations": Column("Nye", _N),
    "ended_registrations": Column("Afsluttede", _N),
    "realized_spend_dkk": Column("Forbrug", _K),
    "median_duration_days": Column("Median varighed", _D),
}


def comparison_columns(now: str, before: str) -> dict[str, Column]:
    """Return the columns of ``activity.year_comparison``: each figure now, before, change."""
    suffix = {"now": now, "before": before, "change": "ændring"}
    out: dict[str, Column] = {}
    for code, column in COMPARED.items():
        for s, word in suffix.items():
            unit = " (kr.)" if column.format is Format.KR else ""
            out[f"{code}_{s}"] = Column(f"{column.label} {word}{unit}", column.format)
    return out


# Every registered label and its format, to format a table whose columns are already Danish.
_BY_LABEL: dict[str, Format] = {
    c.label: c.format
    for table in (
        COLUMNS,
        COMMITTEE_COLUMNS,
        WHATIF_COLUMNS,
        SURVIVAL_COLUMNS,
        DISTRIBUTION_COLUMNS,
        FRAME_DOCUMENT_COLUMNS,
        REJECTION_COLUMNS,
        REASON_COUNT_COLUMNS,
    )
    for c in table.values()
    if c.label
}

# The Danish names of the key figures and the other modules' columns (code -> label).
FIGURE_LABELS: dict[str, str] = {code: c.label for code, c in COLUMNS.items()}


def _format_of_values(values: pd.Series) -> Format:
    # A column not registered: its type decides (a count, a number, a date or text).
    if pd.api.types.is_bool_dtype(values):
        return Format.TEXT
    if pd.api.types.is_integer_dtype(values):
        return Format.COUNT
    if pd.api.types.is_float_dtype(values):
        return Format.DECIMAL
    if pd.api.types.is_datetime64_any_dtype(values) or any(
        isinstance(v, dt.date) for v in values.head(50)
    ):
        return Format.DATE
    return Format.TEXT


def shown(
    df: pd.DataFrame, columns: Mapping[str, Column] | None = None
) -> tuple[pd.DataFrame, dict[str, Format]]:
    """Return a table with Danish column names, and each column's format by its Danish name.

    A column is named by ``columns`` (then ``COLUMNS``) when its code is there; a column
    already in Danish keeps its name and the format registered for it; any other keeps its
    name, formatted by its type.
    """
    known = {**COLUMNS, **(columns or {})}
    names: dict[str, str] = {}
    formats: dict[str, Format] = {}
    for col in df.columns:
        column = known.get(col)
        label = column.label if column is not None else str(col)
        names[col] = label
        if column is not None:
            formats[label] = column.format
        else:
            formats[label] = _BY_LABEL.get(label) or _format_of_values(df[col])
    return df.rename(columns=names), formats


def formats_of(df: pd.DataFrame) -> dict[str, Format]:
    """Return the format of each column of a table whose columns are already Danish."""
    return {str(c): _BY_LABEL.get(str(c)) or _format_of_values(df[c]) for c in df.columns}


def translate(
    df: pd.DataFrame, **words: Mapping[object, str] | Callable[[object], str]
) -> pd.DataFrame:
    """Return a copy of a table with the codes of the named columns in Danish words.

    ``translate(table, status=STATUSES)`` or ``translate(table, ladder_step=ladder_step)``;
    a value without a word in a mapping stays as it is.
    """
    out = df.copy()
    for col, word in words.items():
        if callable(word):
            out[col] = out[col].map(word)
        else:
            out[col] = out[col].map(lambda v, m=word: m.get(v, v))
    return out


def version_columns(a: str, b: str) -> dict[str, Column]:
    """Return the columns of two frame versions side by side, each named by its start date."""
    return {**VERSION_COLUMNS, "version_a": Column(f"Fra {a}"), "version_b": Column(f"Fra {b}")}
