"""Import registration extracts as batches (registrations.md §1-4).

The pipeline, all in DuckDB over the whole file at once (no Python loop per row):

1. ``reader.read_to_raw``: the file becomes temp table ``raw_rows`` (text plus ``line_no``).
2. ``columns.map_headers``: its headers are matched to canonical columns by their aliases
   (the analyst may override the mapping).
3. ``validate``: every value is parsed in SQL (``slcore.values``) and held to ``slcore.bounds``; CPR numbers
   become pseudonyms and birth months, and one anywhere else in a stored text rejects its
   row; each row gets typed values or exactly one rejection (the first problem in column
   order) with line, column, value (any CPR number masked) and a Danish reason. The texts a
   file repeats (dates, codes, names, teams, CPR numbers) are parsed once each, in lookup
   tables; the valid rows with a unique id go to ``valid_rows`` in one pass, and only the
   others are parsed again to be compared and given their reasons.
4. ``batches.write_batch``: one transaction adds the batch, its history rows and rejections and
   rebuilds the current view, so a crash or a kill leaves the store as it was. A replace
   that would remove more than ``bounds.MAX_REPLACE_REMOVAL_SHARE`` must be confirmed.

``inspect_file`` runs 1-3 without writing, for the upload page's report. Both drop the
staging tables (the file's raw text) when they end.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from slcore import access, audit, bounds, fmt, periods, privacy, sql
from slcore.batches import (
    MODES,
    ImportResult,
    Removal,
    RemovalRefused,
    data_as_of,
    previous_batch,
    removal_of,
    write_batch,
)
from slcore.columns import COLUMN_LABELS, map_headers
from slcore.reader import Detection, ImportRefused, read_to_raw
from slcore.store import FREE_TEXT_COLUMNS, REGISTRATION_COLUMNS, Store, alias_key, scalar
from slcore.values import (
    BAD_DATE,
    DATE_OUT_OF_RANGE,
    TWO_DIGIT_YEAR,
    boolean_sql,
    cpr_birth_sql,
    cpr_digits_sql,
    date_sql,
    mask_if_cpr_sql,
    number_sql,
    period_sql,
    two_digit_year_sql,
    unit_sql,
)

DEFAULT_MAX_BYTES = 200 * 1024 * 1024
REQUIRED = ("registration_id", "intervention_type", "start_date", "cost_amount", "cost_period")

Progress = Callable[[float, str], None]


@dataclass
class Inspection:
    """What importing a file would do, without doing it."""

    file_name: str
    sha256: str
    detection: Detection
    mapping: dict[str, str]
    rows_read: int
    valid: int
    rejections: list[dict[str, object]]
    unknown_types: list[tuple[str, int]]
    preview: pd.DataFrame
    already_imported_as: int | None
    replace_removal: Removal
    # Required fields no column is mapped to: nothing is checked until the user maps them.
    missing_required: tuple[str, ...] = ()

    @property
    def reason_counts(self) -> list[tuple[str, int]]:
        """Return (reason, rows) pairs, most frequent first."""
        counts: dict[str, int] = {}
        for r in self.rejections:
            counts[str(r["reason"])] = counts.get(str(r["reason"]), 0) + 1
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def file_sha256(path: Path) -> str:
    """Return the SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def is_required(field: str) -> bool:
    """Return whether an extract must have a column for the field (CPR-nr or citizen id)."""
    return field in REQUIRED or field in ("cpr", "citizen_id")


def missing_required(mapping: dict[str, str]) -> list[str]:
    """Return the required fields a mapping leaves out (``cpr`` for CPR-nr or citizen id)."""
    missing = [c for c in REQUIRED if c not in mapping]
    if "citizen_id" not in mapping and "cpr" not in mapping:
        missing.append("cpr")
    return missing


def check_required(mapping: dict[str, str]) -> None:
    """Refuse the file when a required column is missing."""
    missing = missing_required(mapping)
    if missing:
        names = ", ".join(COLUMN_LABELS[c] for c in missing)
        raise ImportRefused(f"Filen mangler en påkrævet kolonne: {names}.")


# --- SQL pieces ------------------------------------------------------------------------------


NO_TEXT = "NULL::VARCHAR"  # the text of a column the file does not have


def _text(mapping: dict[str, str], col: str) -> str:
    """SQL for a column's trimmed text, NULL when empty or absent."""
    if col not in mapping:
        return NO_TEXT
    # The file's headers are the whitelist: a mapping names only columns the file has.
    return f"nullif(trim(raw.{sql.quote_ident(mapping[col], mapping.values())}), '')"


CPR_COLUMNS = ("cpr", "citizen_id")  # the columns a CPR number is pseudonymised from

DATE_COLUMNS = {
    "birth_date": "birth_date_raw",
    "start_date": "start_raw",
    "end_date": "end_raw",
    "decision_date": "decision_raw",
}


def _cpr_check(column: str, raw: str, found: str | None = None) -> tuple[str, str, str, str]:
    """Return the check that rejects a CPR-shaped number written in a stored text column.

    ``found`` is SQL telling that there is one (its lookup's ``has_cpr``); else the text is
    searched.
    """
    return (
        column,
        found or privacy.contains_cpr_sql(raw),
        raw,
        f"{COLUMN_LABELS[column]} indeholder et CPR-nummer, som aldrig må gemmes. Fjern det "
        "i kildesystemet eller i filen, og indlæs igen.",
    )


def _date_checks(column: str) -> list[tuple[str, str, str, str]]:
    """Return the checks of a date column: four-digit year, understood, within the years."""
    raw = DATE_COLUMNS[column]
    any_date = f"{column}_any"
    in_range = f"year({any_date}) BETWEEN {bounds.MIN_YEAR} AND {bounds.MAX_YEAR}"
    if column == "end_date":  # 31-12-9999 is the case systems' open end
        in_range += f" OR year({any_date}) = {bounds.OPEN_END_YEAR}"
    return [
        (column, f"{column}_two_digit", raw, TWO_DIGIT_YEAR),
        (column, f"{raw} IS NOT NULL AND {any_date} IS NULL", raw, BAD_DATE),
        (column, f"{any_date} IS NOT NULL AND NOT ({in_range})", raw, DATE_OUT_OF_RANGE),
    ]


def _range_checks() -> list[tuple[str, str, str, str]]:
    """Return the plausibility checks of extent (per unit) and price (per cost period)."""
    checks = [
        (
            "extent",
            f"extent_unit = '{unit}' AND extent > {limit}",
            "extent_raw",
            f"Omfanget er for stort: højst {fmt.number(limit)} {bounds.EXTENT_UNIT_WORDS[unit]}.",
        )
        for unit, limit in bounds.MAX_EXTENT.items()
    ]
    checks.append(
        (
            "extent",
            f"extent_unit IS NULL AND extent > {bounds.MAX_EXTENT_ANY_UNIT}",
            "extent_raw",
            f"Omfanget er for stort: højst {fmt.number(bounds.MAX_EXTENT_ANY_UNIT)}.",
        )
    )
    checks += [
        (
            "cost_amount",
            f"cost_period = '{period}' AND cost_amount > {limit}",
            "cost_raw",
            f"Prisen er urimeligt høj: over {bounds.price_limit_text(period)}. "
            "Tjek beløb og prisenhed.",
        )
        for period, limit in bounds.MAX_COST.items()
    ]
    return checks


def _checks(has_cpr: bool) -> list[tuple[str, str, str, str]]:
    """Return (column, condition, raw value column, Danish reason), in column order."""
    citizen = (
        (
            "cpr",
            "cpr_raw IS NULL AND citizen_raw IS NULL",
            "cpr_raw",
            "CPR-nr mangler (eller et borger-id).",
        )
        if has_cpr
        else ("citizen_id", "citizen_raw IS NULL", "citizen_raw", "Borger ID mangler.")
    )
    age_range = f"BETWEEN {bounds.MIN_AGE} AND {bounds.MAX_AGE}"
    range_checks = _range_checks()
    return [
        ("registration_id", "registration_id IS NULL", "registration_id", "Bevillings-id mangler."),
        _cpr_check("registration_id", "registration_id"),
        (
            "registration_id",
            "dup_conflict",
            "registration_id",
            "Samme bevillings-id står flere gange i filen med forskelligt indhold.",
        ),
        citizen,
        (
            "cpr",
            "cpr_raw IS NOT NULL AND cpr_birth IS NULL",
            "cpr_raw",
            "Ugyldigt CPR-nummer: skal være 10 cifre (DDMMÅÅ-NNNN) med en gyldig dato.",
        ),
        # A citizen id that is a whole CPR number became its pseudonym (never checked: it is
        # ours); one that holds a CPR number among other text cannot be pseudonymised safely.
        (
            "citizen_id",
            "NOT pseudonymised AND citizen_has_cpr",
            "citizen_id",
            _cpr_check("citizen_id", "citizen_id")[3],
        ),
        *_date_checks("birth_date"),
        (
            "age_at_start",
            f"age_raw IS NOT NULL AND (age_at_start IS NULL OR age_at_start NOT {age_range})",
            "age_raw",
            f"Alderen skal være et helt tal fra {bounds.MIN_AGE} til {bounds.MAX_AGE}.",
        ),
        (
            "age_at_start",
            "cpr_birth IS NULL AND birth_parsed IS NULL AND age_at_start IS NULL",
            "age_raw",
            "Alder mangler: angiv CPR-nr, fødselsdato eller alder ved start.",
        ),
        ("intervention_type", "type_raw IS NULL", "type_raw", "Indsatstype mangler."),
        (
            "intervention_type",
            "type_has_cpr",
            "type_raw",
            "Indsatstype indeholder et CPR-nummer, som aldrig må gemmes. Ret værdien i "
            "kildesystemet eller i filen.",
        ),
        (
            "intervention_type",
            "intervention_type IS NULL",
            "type_raw",
            "Ukendt indsatstype. Knyt navnet til en indsatstype og indlæs igen.",
        ),
        ("start_date", "start_raw IS NULL", "start_raw", "Startdato mangler."),
        *_date_checks("start_date"),
        # A birth date (or a parent's CPR number) far before the start: not a child.
        (
            "birth_date",
            f"age_from_birth > {bounds.MAX_AGE}",
            "cpr_raw" if has_cpr else "birth_date_raw",
            f"Alderen ved start er over {bounds.MAX_AGE} år; tjek fødselsdato (eller CPR-nr) "
            "og startdato.",
        ),
        *_date_checks("end_date"),
        ("end_date", "end_date < start_date", "end_raw", "Slutdatoen ligger før startdatoen."),
        (
            "extent",
            "extent_raw IS NOT NULL AND extent IS NULL",
            "extent_raw",
            "Omfanget er ikke et tal.",
        ),
        ("extent", "extent < 0", "extent_raw", "Omfanget må ikke være negativt."),
        (
            "extent_unit",
            "unit_raw IS NOT NULL AND extent_unit IS NULL",
            "unit_raw",
            "Ukendt omfangsenhed (brug timer/uge, dage/måned, døgn/måned eller fuld tid).",
        ),
        *[c for c in range_checks if c[0] == "extent"],
        ("cost_amount", "cost_raw IS NULL", "cost_raw", "Pris mangler."),
        ("cost_amount", "cost_amount IS NULL", "cost_raw", "Prisen er ikke et tal."),
        ("cost_amount", "cost_amount < 0", "cost_raw", "Prisen må ikke være negativ."),
        ("cost_period", "period_raw IS NULL", "period_raw", "Prisenhed mangler."),
        (
            "cost_period",
            "cost_period IS NULL",
            "period_raw",
            "Ukendt prisenhed (brug fx pr. døgn, pr. uge, pr. måned, pr. år, pr. time, engang).",
        ),
        *[c for c in range_checks if c[0] == "cost_amount"],
        (
            "cost_period",
            "cost_period = 'hour' AND (extent IS NULL OR extent_unit IS DISTINCT FROM 'hours_per_week')",
            "period_raw",
            "Pris pr. time kræver et omfang i timer pr. uge.",
        ),
        (
            "committee_approved",
            "committee_approved IS NULL",
            "approved_raw",
            "Visitationsudvalg skal være Ja eller Nej.",
        ),
        *_date_checks("decision_date"),
        # The other free texts (registration id and citizen id are checked above).
        *(_cpr_check(c, c, f"{c}_has_cpr") for c in FREE_TEXT_COLUMNS[2:]),
    ]


def _finite(column: str) -> str:
    """SQL keeping a parsed number only when it is finite (NaN and infinity are no prices)."""
    return f"CASE WHEN isfinite({column}) THEN {column} END"


def _in_years(column: str) -> str:
    """SQL keeping a parsed date only when its year is plausible (else the check says why)."""
    return f"CASE WHEN year({column}) BETWEEN {bounds.MIN_YEAR} AND {bounds.MAX_YEAR} THEN {column} END"


# --- lookups: each distinct text of a column parsed once ------------------------------------
#
# Files repeat their dates, codes, names and teams on row after row, and DuckDB spends most of
# an import trimming and parsing texts. A lookup holds each distinct raw text of its columns
# (NULL too) with its trimmed text ``v`` and the values parsed from ``v``; a row joined to it
# gets exactly what parsing its own text would give, for the price of a hash join.


Values = dict[str, Callable[[str], str]]  # a value's name -> its SQL over a text


@dataclass(frozen=True)
class _Lookup:
    """A lookup table: the columns read through it, and the SQL of each one's values.

    A shared lookup holds the distinct texts of all its columns (the dates), and each column
    is joined to it; a combined one (``together``) holds each distinct combination of its
    columns' texts, and a row needs one join for all of them (the codes, the teams and
    providers: few combinations, and one join costs less than five).
    """

    table: str
    values: dict[str, Values]
    together: bool = False
    joined: str = ""  # the table the rows are joined to, when not ``table`` itself

    @property
    def join_table(self) -> str:
        """Return the table the rows are joined to."""
        return self.joined or self.table


def _type_code_sql(v: str) -> str:
    """SQL for the code an intervention name is mapped to (NULL when unknown)."""
    key = f"lower(regexp_replace({v}, '[\\s._/-]', '', 'g'))"
    return f"(SELECT a.code FROM intervention_aliases a WHERE a.alias_key = {key})"


def _cpr_only_sql(v: str) -> str:
    """SQL: whether a citizen id holds a CPR number when it is not one (pseudonymised)."""
    return f"CASE WHEN {cpr_digits_sql(v)} IS NULL THEN {privacy.contains_cpr_sql(v)} END"


_DATE_VALUES: Values = {"any": date_sql, "two_digit": two_digit_year_sql}
LOOKUPS = (
    _Lookup("date_lookup", dict.fromkeys(DATE_COLUMNS, _DATE_VALUES)),
    _Lookup(
        "code_lookup",
        {
            "intervention_type": {"code": _type_code_sql, "has_cpr": privacy.contains_cpr_sql},
            "age_at_start": {"value": lambda v: f"try_cast({v} AS INTEGER)"},
            "extent": {"value": number_sql},
            "extent_unit": {"code": unit_sql},
            "cost_period": {"code": period_sql},
            "committee_approved": {"value": boolean_sql},
        },
        together=True,
    ),
    _Lookup(
        "text_lookup",
        {c: {"has_cpr": privacy.contains_cpr_sql} for c in FREE_TEXT_COLUMNS[2:]},
        together=True,
    ),
    # Their CPR numbers' pseudonyms and birth dates are added by _cpr_numbers.
    _Lookup("cpr_texts", {"cpr": {"d": cpr_digits_sql}}, joined="cpr_lookup"),
    _Lookup(
        "citizen_texts",
        {"citizen_id": {"d": cpr_digits_sql, "has_cpr": _cpr_only_sql}},
        joined="citizen_lookup",
    ),
)
CPR_LOOKUPS = {"cpr_texts": "cpr_lookup", "citizen_texts": "citizen_lookup"}
STAGING_LOOKUPS = (*(lk.table for lk in LOOKUPS), *CPR_LOOKUPS.values(), "cpr_numbers")


def _raw(mapping: dict[str, str], col: str) -> str:
    """SQL for a column's text as read (the file's headers are the whitelist)."""
    return f"raw.{sql.quote_ident(mapping[col], mapping.values())}"


def _build_lookup(cur: duckdb.DuckDBPyConnection, lk: _Lookup, mapping: dict[str, str]) -> None:
    """Build one lookup table over the distinct raw texts of the file's columns.

    Distinct raw texts first: the trimming and parsing then run once per text, not per row.
    A shared lookup has ``raw``, ``v`` (the trimmed text) and its values; a combined one has
    ``raw_<column>``, ``v_<column>`` and ``<column>_<value>`` for each of its columns.
    """
    present = [c for c in lk.values if c in mapping]
    if lk.together:
        raws = ", ".join(f"{_raw(mapping, c)} AS raw_{c}" for c in present)
        texts = ", ".join(f"raw_{c}, nullif(trim(raw_{c}), '') AS v_{c}" for c in present)
        values = ", ".join(
            f"{fn(f'v_{c}')} AS {c}_{name}" for c in present for name, fn in lk.values[c].items()
        )
        source = f"SELECT DISTINCT {raws} FROM raw_rows raw"
    else:
        texts = "raw, nullif(trim(raw), '') AS v"
        values = ", ".join(f"{fn('v')} AS {name}" for name, fn in lk.values[present[0]].items())
        union = " UNION ALL ".join(
            f"SELECT DISTINCT {_raw(mapping, c)} AS raw FROM raw_rows raw" for c in present
        )
        source = f"SELECT DISTINCT raw FROM ({union})"
    cur.execute(
        f"""CREATE OR REPLACE TEMP TABLE {lk.table} AS
            SELECT *, {values} FROM (SELECT {texts} FROM ({source}))"""
    )


def _cpr_numbers(cur: duckdb.DuckDBPyConnection, key: bytes) -> None:
    """Build ``cpr_lookup`` and ``citizen_lookup``: the texts with their pseudonym, birth date.

    HMAC-SHA256 is the dearest step of the validation; a child with several registrations
    (written with and without the dash, in the CPR or the citizen column) needs it once, in
    ``cpr_numbers``. The lookups get them by a join over their distinct texts, so a row needs
    one join, not two.
    """
    ipad, opad = privacy.hmac_pads(key)
    cur.execute(
        f"""CREATE OR REPLACE TEMP TABLE cpr_numbers AS
            SELECT d, {privacy.pseudonym_sql("d")} AS pseudonym, {cpr_birth_sql("d")} AS birth
            FROM (SELECT d FROM cpr_texts UNION SELECT d FROM citizen_texts)
            WHERE d IS NOT NULL""",
        {"ipad": ipad, "opad": opad},
    )
    for texts, table in CPR_LOOKUPS.items():
        cur.execute(
            f"""CREATE OR REPLACE TEMP TABLE {table} AS
                SELECT t.*, n.pseudonym, n.birth FROM {texts} t LEFT JOIN cpr_numbers n USING (d)"""
        )


def _lookups(cur: duckdb.DuckDBPyConnection, mapping: dict[str, str], key: bytes) -> None:
    """Build the lookup tables of the file's columns (an empty CPR lookup for an absent one)."""
    for lk in LOOKUPS:
        if any(c in mapping for c in lk.values):
            _build_lookup(cur, lk, mapping)
        elif lk.table in CPR_LOOKUPS:  # cpr_numbers reads both
            cur.execute(
                f"CREATE OR REPLACE TEMP TABLE {lk.table} AS "
                f"SELECT {NO_TEXT} AS raw, {NO_TEXT} AS v, {NO_TEXT} AS d WHERE false"
            )
    _cpr_numbers(cur, key)


def _looked_up(mapping: dict[str, str]) -> tuple[dict[str, str], str]:
    """Return the SQL of each column's text and values for a row, and the joins giving them.

    Keys are ``<column>`` (the trimmed text) and ``<column>_<value>``; a column the file lacks
    gets its values parsed from NULL, as parsing its (absent) text would.
    """
    out: dict[str, str] = {}
    joins: list[str] = []
    for lk in LOOKUPS:
        present = [c for c in lk.values if c in mapping]
        for c in lk.values:
            if c not in mapping:
                out[c] = NO_TEXT
                out.update({f"{c}_{name}": fn(NO_TEXT) for name, fn in lk.values[c].items()})
        # IS NOT DISTINCT FROM: an empty cell (NULL) has its own row in the lookup.
        if lk.together and present:
            alias = lk.table
            on = " AND ".join(
                f"{alias}.raw_{c} IS NOT DISTINCT FROM {_raw(mapping, c)}" for c in present
            )
            joins.append(f"LEFT JOIN {lk.join_table} {alias} ON {on}")
            for c in present:
                out[c] = f"{alias}.v_{c}"
                out.update({f"{c}_{name}": f"{alias}.{c}_{name}" for name in lk.values[c]})
        elif not lk.together:
            for c in present:
                alias = f"{c}_lk"
                joins.append(
                    f"LEFT JOIN {lk.join_table} {alias} "
                    f"ON {alias}.raw IS NOT DISTINCT FROM {_raw(mapping, c)}"
                )
                out[c] = f"{alias}.v"
                out.update({f"{c}_{name}": f"{alias}.{name}" for name in lk.values[c]})
    for c in CPR_COLUMNS:  # added to their lookups by _cpr_numbers
        out[f"{c}_pseudonym"] = f"{c}_lk.pseudonym" if c in mapping else NO_TEXT
        out[f"{c}_birth"] = f"{c}_lk.birth" if c in mapping else "NULL::DATE"
    return out, "\n".join(joins)


def _parsed_sql(mapping: dict[str, str], source: str) -> str:
    """Return the SELECT parsing the rows of ``source`` (``raw_rows raw`` or a part of it).

    Every value is parsed (through the lookups; the registration id and the price, which
    rarely repeat, directly); a CPR number becomes its pseudonym and birth date and goes no
    further than this query.
    """
    birth = "coalesce(cpr_birth, birth_parsed)"
    v, joins = _looked_up(mapping)
    rid, cost = _text(mapping, "registration_id"), _text(mapping, "cost_amount")
    dates = ",\n".join(
        f"{v[c]} AS {raw}, {v[c + '_any']} AS {c}_any, {v[c + '_two_digit']} AS {c}_two_digit"
        for c, raw in DATE_COLUMNS.items()
    )
    texts = ", ".join(
        f"{v[c]} AS {c}, {v[c + '_has_cpr']} AS {c}_has_cpr" for c in FREE_TEXT_COLUMNS[2:]
    )
    return f"""
        WITH base AS (
            SELECT raw.line_no,
                {rid} AS registration_id,
                {v["cpr"]} AS cpr_raw,
                {v["cpr_pseudonym"]} AS cpr_pseudonym,
                {v["cpr_birth"]} AS cpr_birth,
                {v["citizen_id"]} AS citizen_raw,
                {v["citizen_id_pseudonym"]} AS citizen_pseudonym,
                {v["citizen_id_has_cpr"]} AS citizen_has_cpr,
                {dates},
                {v["age_at_start"]} AS age_raw, {v["age_at_start_value"]} AS age_at_start,
                {v["intervention_type"]} AS type_raw,
                {v["intervention_type_code"]} AS intervention_type,
                {v["intervention_type_has_cpr"]} AS type_has_cpr,
                {v["extent"]} AS extent_raw, {v["extent_value"]} AS extent_any,
                {v["extent_unit"]} AS unit_raw, {v["extent_unit_code"]} AS extent_unit,
                {cost} AS cost_raw, {number_sql(cost)} AS cost_any,
                {v["cost_period"]} AS period_raw, {v["cost_period_code"]} AS cost_period,
                {v["committee_approved"]} AS approved_raw,
                {v["committee_approved_value"]} AS committee_approved,
                {texts}
            FROM {source}
            {joins}
        ),
        typed AS (
            SELECT * EXCLUDE (cpr_pseudonym, citizen_pseudonym, citizen_raw),
                -- A citizen id written as a CPR number is one: it gets the same pseudonym.
                CASE WHEN citizen_pseudonym IS NULL THEN citizen_raw
                     ELSE {privacy.mask_cpr_sql("citizen_raw")} END AS citizen_raw,
                {_in_years("birth_date_any")} AS birth_parsed,
                {_in_years("start_date_any")} AS start_date,
                {_in_years("end_date_any")} AS end_date,
                {_in_years("decision_date_any")} AS decision_date,
                {_finite("extent_any")} AS extent,
                {_finite("cost_any")} AS cost_amount,
                cpr_pseudonym IS NOT NULL OR citizen_pseudonym IS NOT NULL AS pseudonymised,
                coalesce(cpr_pseudonym, citizen_pseudonym, citizen_raw) AS citizen_id
            FROM base
        )
        -- Whole years from birth to start: the year difference, less one before the birthday
        -- (month and day compared as MMDD).
        SELECT *, CASE WHEN {birth} IS NOT NULL AND start_date IS NOT NULL THEN
                year(start_date) - year({birth})
                - CASE WHEN month(start_date) * 100 + day(start_date)
                            < month({birth}) * 100 + day({birth})
                       THEN 1 ELSE 0 END END AS age_from_birth
        FROM typed
        """


def _problem_sql(mapping: dict[str, str]) -> str:
    """Return the CASE giving a row's first problem in column order (NULL for none)."""

    def shown(val: str) -> str:
        # Rejected values are kept masked: the CPR column as DDMMYY-****, every other value
        # with any CPR-shaped number in it masked the same way.
        if val == "cpr_raw":
            return privacy.mask_cpr_sql(val)
        return privacy.mask_cprs_sql(f"{val}::VARCHAR")

    def column(col: str) -> str:
        # The column as the file names it ("Takst"), else our word for the field ("Pris").
        return privacy.mask_cprs(mapping[col]) if col in mapping else COLUMN_LABELS[col]

    whens = "\n".join(
        f"WHEN {cond} THEN {{'column_name': {sql.literal(column(col))}, "
        f"'value': {shown(val)}, 'reason': {sql.literal(reason)}}}"
        for col, cond, val, reason in _checks("cpr" in mapping)
    )
    return f"CASE {whens} END"


BIRTH_MONTH = "date_trunc('month', coalesce(cpr_birth, birth_parsed))::DATE AS birth_date"


def _valid_first(cur: duckdb.DuckDBPyConnection, mapping: dict[str, str], problem: str) -> None:
    """Build ``valid_rows`` from the rows with no problem whose id occurs once in the file.

    One pass over ``raw_rows`` parses, checks and keeps only the stored columns. Ids are
    counted by their hash: a collision only sends a row down the exact path of ``_the_rest``.
    """
    rid = _text(mapping, "registration_id")
    cur.execute(
        f"""CREATE OR REPLACE TEMP TABLE dup_ids AS
            SELECT hash({rid}) AS h FROM raw_rows raw
            WHERE {rid} IS NOT NULL GROUP BY 1 HAVING count(*) > 1"""
    )
    unique_ids = f"raw_rows raw ANTI JOIN dup_ids d ON d.h = hash({rid})"
    cur.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE valid_rows AS
        WITH parsed AS ({_parsed_sql(mapping, unique_ids)}),
        flagged AS (SELECT *, {BIRTH_MONTH}, false AS dup_conflict FROM parsed)
        SELECT line_no, {", ".join(REGISTRATION_COLUMNS)} FROM flagged WHERE ({problem}) IS NULL
        """
    )


def _content_hash() -> str:
    """SQL hashing a parsed row's stored values other than its id."""
    content = [
        "coalesce(cpr_birth, birth_parsed)" if c == "birth_date" else c
        for c in REGISTRATION_COLUMNS
        if c != "registration_id"
    ]
    return f"hash({', '.join(content)})"


def _the_rest(cur: duckdb.DuckDBPyConnection, mapping: dict[str, str], problem: str) -> None:
    """Parse the rows not in ``valid_rows`` into ``parsed`` and check them into ``checked``.

    They are the rows with a problem and every row of an id that occurs more than once, so the
    duplicates' windows see all of an id's rows. The valid ones (an id's first row, or its only
    row after all) are added to ``valid_rows``.
    """
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE other_lines AS "
        "SELECT line_no FROM raw_rows ANTI JOIN valid_rows USING (line_no)"
    )
    others = "raw_rows raw SEMI JOIN other_lines o ON o.line_no = raw.line_no"
    cur.execute(f"CREATE OR REPLACE TEMP TABLE parsed AS {_parsed_sql(mapping, others)}")
    cur.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE checked AS
        WITH dup_ids AS (
            SELECT registration_id FROM parsed
            WHERE registration_id IS NOT NULL
            GROUP BY registration_id HAVING count(*) > 1
        ),
        dups AS (
            SELECT line_no,
                count(DISTINCT {_content_hash()}) OVER (PARTITION BY registration_id) > 1
                    AS dup_conflict,
                row_number() OVER (PARTITION BY registration_id ORDER BY line_no) AS dup_rank
            FROM parsed SEMI JOIN dup_ids USING (registration_id)
        ),
        flagged AS (
            SELECT p.*, {BIRTH_MONTH.replace("cpr_birth, birth_parsed", "p.cpr_birth, p.birth_parsed")},
                coalesce(d.dup_conflict, false) AS dup_conflict,
                coalesce(d.dup_rank, 1) AS dup_rank
            FROM parsed p LEFT JOIN dups d USING (line_no)
        )
        SELECT *, {problem} AS problem FROM flagged
        """
    )
    # Exact duplicates (same id, same content) are one registration; the later copies are
    # counted as read and unchanged.
    cur.execute(
        f"INSERT INTO valid_rows SELECT line_no, {', '.join(REGISTRATION_COLUMNS)} "
        "FROM checked WHERE problem IS NULL AND dup_rank = 1"
    )


def validate(cur: duckdb.DuckDBPyConnection, mapping: dict[str, str], key: bytes) -> None:
    """Build temp tables ``valid_rows`` (typed, no CPR) and ``rejects`` (one reason per row).

    Nearly every row is valid and its id unique: those go straight from ``raw_rows`` to
    ``valid_rows`` (``_valid_first``). The few others are parsed again, where duplicates are
    compared and each problem gets its line, column and reason (``_the_rest``). Both parse
    through the lookups of the file's distinct texts (``_lookups``).
    """
    _lookups(cur, mapping, key)
    problem = _problem_sql(mapping)
    _valid_first(cur, mapping, problem)
    _the_rest(cur, mapping, problem)
    # The id of a rejected row is kept (when it holds no CPR number) so that a replace leaves
    # that registration as it was instead of removing it.
    cur.execute(
        f"""CREATE OR REPLACE TEMP TABLE rejects AS
           SELECT line_no, problem.column_name, problem.value, problem.reason,
               CASE WHEN NOT coalesce({privacy.contains_cpr_sql("registration_id")}, false)
                    THEN registration_id END AS registration_id
           FROM checked WHERE problem IS NOT NULL"""
    )


REJECTION_FIELDS = ("line_no", "registration_id", "column_name", "value", "reason")


def _fetch_rejections(cur: duckdb.DuckDBPyConnection) -> list[dict[str, object]]:
    rows = cur.execute(
        f"SELECT {', '.join(REJECTION_FIELDS)} FROM rejects ORDER BY line_no"
    ).fetchall()
    return [dict(zip(REJECTION_FIELDS, r, strict=True)) for r in rows]


def _unknown_types(cur: duckdb.DuckDBPyConnection) -> list[tuple[str, int]]:
    # A name with a CPR number in it is rejected as such and never offered as an alias.
    return cur.execute(
        f"""SELECT type_raw, count(*) AS n FROM parsed
           WHERE type_raw IS NOT NULL AND intervention_type IS NULL
               AND NOT {privacy.contains_cpr_sql("type_raw")}
           GROUP BY type_raw ORDER BY n DESC, type_raw"""
    ).fetchall()


def _check_unknown_types(cur: duckdb.DuckDBPyConnection, mapping: dict[str, str]) -> None:
    """Refuse a file with more distinct unknown intervention names than anyone would map."""
    n = scalar(
        cur,
        "SELECT count(DISTINCT type_raw) FROM parsed "
        "WHERE type_raw IS NOT NULL AND intervention_type IS NULL",
    )
    if n > bounds.MAX_UNKNOWN_TYPE_NAMES:
        raise ImportRefused(
            f"Filen har {fmt.number(n)} forskellige ukendte indsatstyper i kolonnen "
            f"'{mapping['intervention_type']}' (højst {fmt.number(bounds.MAX_UNKNOWN_TYPE_NAMES)}). "
            "Tjek at det er kolonnen med indsatstypen, eller ret kolonnernes tilknytning."
        )


def drop_staging(cur: duckdb.DuckDBPyConnection) -> None:
    """Drop an import's staging tables: they hold the file's raw text, CPR numbers among it."""
    for table in (
        "raw_rows",
        *STAGING_LOOKUPS,
        "dup_ids",
        "other_lines",
        "parsed",
        "checked",
        "valid_rows",
        "rejects",
    ):
        cur.execute(f"DROP TABLE IF EXISTS {table}")


def _preview(
    cur: duckdb.DuckDBPyConnection, det: Detection, mapping: dict[str, str], rows: int = 10
) -> pd.DataFrame:
    """Return the first rows as read, with any CPR column masked."""
    cpr_header, citizen_header = mapping.get("cpr"), mapping.get("citizen_id")

    def shown(c: str) -> str:
        q = sql.quote_ident(c, det.columns)
        if c == cpr_header:
            return f"{privacy.mask_cpr_sql(q)} AS {q}"
        if c == citizen_header:  # a citizen id written as a CPR number is masked like one
            return f"{mask_if_cpr_sql(privacy.mask_cprs_sql(q))} AS {q}"
        # Any column, mapped or not, may hold a CPR number in free text.
        return f"{privacy.mask_cprs_sql(q)} AS {q}"

    exprs = ["line_no::INTEGER AS Linje"] + [shown(c) for c in det.columns]
    return cur.execute(
        f"SELECT {', '.join(exprs)} FROM raw_rows ORDER BY line_no LIMIT {rows}"
    ).df()


# --- inspect and import ----------------------------------------------------------------------


def _check_size(path: Path, max_bytes: int) -> None:
    if not path.is_file():
        raise ImportRefused(f"Filen {path.name} findes ikke.")
    size = path.stat().st_size
    if size == 0:
        raise ImportRefused(f"Filen {path.name} er tom.")
    if size > max_bytes:
        raise ImportRefused(
            f"Filen {path.name} er for stor ({size / 1e6:.0f} MB); grænsen er "
            f"{max_bytes / 1e6:.0f} MB."
        )


def store_key(store: Store) -> bytes:
    """Return the store's pseudonymisation key; refuse a missing or different key.

    A store remembers its key's fingerprint from the first import. Importing with another
    key (or a new key because the key file was lost) would give the same children new
    pseudonyms and count them twice, so it is refused with what to do instead.
    """
    expected = store.meta("key_fingerprint")
    has_imports = scalar(
        store.cursor(), "SELECT count(*) FROM import_batches WHERE kind = 'import'"
    )
    where = privacy.key_path(store.path)
    restore = (
        f"Gendan nøglefilen {where.name} fra sikkerhedskopien (ved siden af databasen) eller "
        "sæt SLCORE_KEY til den rigtige nøgle; ellers får de samme børn nye pseudonymer."
    )
    if (expected or has_imports) and not os.environ.get("SLCORE_KEY") and not where.exists():
        raise ImportRefused(
            f"Nøglen til pseudonymisering ({where.name}) mangler, men databasen har allerede "
            f"indlæste data. {restore}"
        )
    try:
        key = privacy.load_key(store.path)
    except privacy.KeyError_ as exc:
        raise ImportRefused(str(exc)) from None
    if expected is not None and privacy.key_fingerprint(key) != expected:
        raise ImportRefused(
            f"Nøglen til pseudonymisering passer ikke til databasen (fingeraftryk "
            f"{privacy.key_fingerprint(key)}, databasen forventer {expected}). {restore}"
        )
    return key


@contextmanager
def _refusals_masked() -> Iterator[None]:
    """Mask any CPR-shaped number in a refusal: a file or sheet name, a header, DuckDB's text."""
    try:
        yield
    except RemovalRefused:
        raise
    except ImportRefused as exc:
        if privacy.contains_cpr(str(exc)):
            raise ImportRefused(privacy.mask_cprs(str(exc))) from None
        raise


def _prepare(
    store: Store,
    path: Path,
    sheet: str | None,
    mapping: dict[str, str] | None,
    max_bytes: int,
    progress: Progress,
    allow_missing: bool = False,
) -> tuple[Detection, dict[str, str], int, bytes]:
    """Read, map and validate a file on this thread's cursor; refuse unusable files.

    Return what was detected, the mapping used, the rows read and the store's key. With
    ``allow_missing`` a mapping without a required field returns unvalidated instead.
    """
    _check_size(path, max_bytes)
    key = store_key(store)
    cur = store.cursor()
    progress(0.05, "Læser filen …")
    det = read_to_raw(cur, path, sheet)
    rows_read = scalar(cur, "SELECT count(*) FROM raw_rows")
    if rows_read == 0:
        raise ImportRefused(f"Filen {path.name} har en overskrift, men ingen rækker.")
    final = map_headers(list(det.columns)) if mapping is None else dict(mapping)
    unknown = [h for h in final.values() if h not in det.columns]
    if unknown:
        raise ImportRefused(f"Kolonnen '{unknown[0]}' findes ikke i filen.")
    if allow_missing and missing_required(final):
        return det, final, rows_read, key
    check_required(final)
    progress(0.35, f"Kontrollerer {fmt.number(rows_read)} rækker …")
    validate(cur, final, key)
    _check_unknown_types(cur, final)
    return det, final, rows_read, key


def inspect_file(
    store: Store,
    path: str | os.PathLike[str],
    *,
    sheet: str | None = None,
    mapping: dict[str, str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    file_name: str | None = None,
) -> Inspection:
    """Return what importing a file would do: detection, mapping, report; writes nothing."""
    path = Path(path)
    cur = store.cursor()
    try:
        with _refusals_masked():
            det, final, rows_read, _key = _prepare(
                store, path, sheet, mapping, max_bytes, lambda *_: None, allow_missing=True
            )
        sha = file_sha256(path)
        missing = tuple(missing_required(final))
        # With a field missing nothing is checked: the page shows the file and its mapping
        # so the user can point out the column.
        return Inspection(
            file_name=privacy.mask_cprs(file_name or path.name),
            sha256=sha,
            detection=det,
            mapping=final,
            rows_read=rows_read,
            valid=0 if missing else scalar(cur, "SELECT count(*) FROM valid_rows"),
            rejections=[] if missing else _fetch_rejections(cur),
            unknown_types=[] if missing else _unknown_types(cur),
            preview=_preview(cur, det, final),
            already_imported_as=previous_batch(store, sha),
            replace_removal=Removal(0, 0) if missing else removal_of(cur),
            missing_required=missing,
        )
    finally:
        drop_staging(cur)


def import_file(
    store: Store,
    path: str | os.PathLike[str],
    mode: str = "upsert",
    strict: bool = False,
    *,
    sheet: str | None = None,
    mapping: dict[str, str] | None = None,
    user: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    today: dt.date | None = None,
    file_name: str | None = None,
    progress: Progress | None = None,
    allow_removal: bool = False,
) -> ImportResult:
    """Import an extract (CSV, XLSX, Parquet) as one batch; refuse bad files with ImportRefused.

    In replace mode, removing more than ``bounds.MAX_REPLACE_REMOVAL_SHARE`` of the current
    registrations raises ``RemovalRefused`` unless ``allow_removal`` confirms it. A person
    who may not import is refused (``AccessDenied``) before the file is read.
    """
    store.access.require(access.IMPORT_DATA)
    path = Path(path)
    report = progress or (lambda *_: None)
    if mode not in MODES:
        raise ValueError(f"Ukendt tilstand: {mode}")
    with _refusals_masked():
        _check_size(path, max_bytes)
    sha = file_sha256(path)
    prev = previous_batch(store, sha)
    if prev is not None:
        report(1.0, "Filen er allerede indlæst.")
        return ImportResult(batch_id=None, rows_read=0, already_imported_as=prev)
    cur = store.cursor()
    name = privacy.mask_cprs(file_name or path.name)  # it is stored and shown
    try:
        with _refusals_masked():
            _det, _mapping, rows_read, key = _prepare(
                store, path, sheet, mapping, max_bytes, report
            )
        n_valid = scalar(cur, "SELECT count(*) FROM valid_rows")
        rejections = _fetch_rejections(cur)
        if n_valid == 0:
            first = rejections[0]
            raise ImportRefused(
                f"Alle {rows_read} rækker i {name} blev afvist; intet er indlæst. "
                f"Første fejl: linje {first['line_no']}, {first['column_name']}: {first['reason']}"
            )
        if strict and rejections:
            first = rejections[0]
            raise ImportRefused(
                f"{len(rejections)} rækker blev afvist, og --strict afviser da hele filen. "
                f"Første fejl: linje {first['line_no']}, {first['column_name']}: {first['reason']}"
            )
        report(0.7, "Gemmer i databasen …")
        result = write_batch(
            store,
            file_name=name,
            sha256=sha,
            mode=mode,
            user=user,
            rows_read=rows_read,
            data_as_of_date=data_as_of(cur, today or periods.today()),
            rejections=rejections,
            allow_removal=allow_removal,
            key_fingerprint=privacy.key_fingerprint(key),
        )
    finally:
        drop_staging(cur)
    report(1.0, "Færdig.")
    return result


# --- aliases -------------------------------------------------------------------------------


def add_alias(store: Store, name: str, code: str) -> None:
    """Map a local intervention name to a reference code (used by every later import)."""
    cur = store.cursor()
    if not scalar(cur, "SELECT count(*) FROM intervention_types WHERE code = ?", [code]):
        raise ImportRefused(f"Ukendt indsatstype: {code}.")
    if not alias_key(name):
        raise ImportRefused("Navnet er tomt.")
    with store.write(access.MAP_ALIASES) as w:
        w.execute(
            "INSERT OR REPLACE INTO intervention_aliases (alias_key, alias, code, created_at) "
            "VALUES (?, ?, ?, current_timestamp)",
            [alias_key(name), name.strip(), code],
        )
        audit.record(w, store.access.who, "alias", f"»{name.strip()}« = {code}")
