"""What every figure needs per registration, prepared once per write instead of per click.

The current view (``registrations``) holds, beside each registration's own columns, its
*facts*: what metrics.md derives from the registration, its type and its frame and what does
not depend on the period or the as-of date (``FACT_COLUMNS``): daily and monthly cost, age and
age band, team group, category and ladder step, the frame version in force at its start with
that frame's limits and last day, and the three checks that need no as-of date (age, extent,
price). The duration check and the status need the as-of date; ``figures.ENRICHED_SQL``
completes them at query time from ``frame_last_day``.

Every write keeps the facts true, touching only what it changes (``refresh``):

- an import or an undo: the registrations of that batch (``batch_ids_sql``);
- a frame version: the registrations of its type (``type_ids_sql``);
- the demo's end, or a new definition of a fact (``FACTS_VERSION``): all of them.

Budgets are no fact of a registration; a budget edit only changes the data version.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import duckdb

from slcore import sql

# Raise when a fact's definition changes: a store with older facts recomputes them on open.
FACTS_VERSION = "1"

# The prepared columns, in table order (schema version 4 added them to ``registrations``).
FACT_COLUMNS: dict[str, str] = {
    "daily_cost": "DOUBLE",
    "monthly_cost": "DOUBLE",
    "age": "INTEGER",
    "age_band": "VARCHAR",
    "team_group": "VARCHAR",
    "category": "VARCHAR",
    "ladder_step": "INTEGER",
    "frame_valid_from": "DATE",
    "frame_age_min": "INTEGER",
    "frame_age_max": "INTEGER",
    "frame_max_extent": "DOUBLE",
    "frame_extent_unit": "VARCHAR",
    "frame_max_duration_months": "INTEGER",
    "frame_max_monthly_cost": "DOUBLE",
    "frame_last_day": "DATE",
    "fail_age": "BOOLEAN",
    "fail_extent": "BOOLEAN",
    "fail_price": "BOOLEAN",
}

# --- The rules (metrics.md) ----------------------------------------------------------------

DAILY_COST_SQL = """
    CASE r.cost_period
        WHEN 'day' THEN r.cost_amount
        WHEN 'week' THEN r.cost_amount / 7
        WHEN 'month' THEN r.cost_amount * 12 / 365
        WHEN 'year' THEN r.cost_amount / 365
        WHEN 'hour' THEN r.cost_amount * coalesce(r.extent, 0) / 7
        ELSE 0
    END"""

# Whole years from birth_date to start_date. A birth date after the start gives a negative
# age: its age band is 'ukendt', and it fails the frame's age check, so the impossible
# registration is listed as a deviation for someone to correct (as the sample figures do).
AGE_SQL = """
    CASE
        WHEN r.birth_date IS NULL THEN r.age_at_start
        ELSE year(r.start_date) - year(r.birth_date)
            - CASE WHEN month(r.start_date) * 100 + day(r.start_date)
                      < month(r.birth_date) * 100 + day(r.birth_date) THEN 1 ELSE 0 END
    END"""

AGE_BAND_SQL = """
    CASE
        WHEN age IS NULL OR age < 0 THEN 'ukendt'
        WHEN age <= 5 THEN '0-5'
        WHEN age <= 11 THEN '6-11'
        WHEN age <= 17 THEN '12-17'
        WHEN age <= 22 THEN '18-22'
        ELSE '23+'
    END"""


def frame_checks_sql(
    row: str,
    age_min: str,
    age_max: str,
    max_extent: str,
    extent_unit: str,
    max_duration_months: str,
    max_monthly_cost: str,
) -> dict[str, str]:
    """Return the SQL of the four frame checks (metrics.md) for a row and a frame's limits.

    A check applies only when both the registration and the frame have the value; a NULL
    anywhere means the check does not fail. The what-if sandbox passes its own limits here,
    so it judges by exactly the rules of the key figures.
    """
    return {
        "age": f"coalesce({row}.age < {age_min} OR {row}.age > {age_max}, false)",
        "extent": f"coalesce({row}.extent_unit = {extent_unit} "
        f"AND {row}.extent > {max_extent}, false)",
        "duration": duration_check_sql(
            row, sql.frame_last_day_sql(f"{row}.start_date", max_duration_months)
        ),
        "price": f"coalesce({row}.cost_period <> 'once' "
        f"AND {sql.monthly_cost_sql(f'{row}.daily_cost')} > {max_monthly_cost} + 0.005, false)",
    }


def duration_check_sql(row: str, last_day: str) -> str:
    """Return the duration check: the registration runs (as of ``$as_of``) past ``last_day``."""
    return f"coalesce(coalesce({row}.end_date, $as_of) > {last_day}, false)"


# --- Computing the facts -------------------------------------------------------------------


def _facts_select(source: str) -> str:
    """Return a query of ``source``'s registrations (its own columns) with their facts."""
    checks = frame_checks_sql(
        "b",
        "f.age_min",
        "f.age_max",
        "f.max_extent",
        "f.extent_unit",
        "f.max_duration_months",
        "f.max_monthly_cost",
    )
    return f"""
        WITH base AS (
            SELECT r.*,
                {DAILY_COST_SQL} AS daily_cost,
                {AGE_SQL} AS age,
                {sql.unknown_group_sql("r.team")} AS team_group,
                t.category, t.ladder_step
            FROM {source} r
            LEFT JOIN intervention_types t ON t.code = r.intervention_type
        ),
        banded AS (SELECT *, {AGE_BAND_SQL} AS age_band FROM base)
        SELECT b.*,
            {sql.monthly_cost_sql("b.daily_cost")} AS monthly_cost,
            f.valid_from AS frame_valid_from,
            f.age_min AS frame_age_min, f.age_max AS frame_age_max,
            f.max_extent AS frame_max_extent, f.extent_unit AS frame_extent_unit,
            f.max_duration_months AS frame_max_duration_months,
            f.max_monthly_cost AS frame_max_monthly_cost,
            {sql.frame_last_day_sql("b.start_date", "f.max_duration_months")} AS frame_last_day,
            {checks["age"]} AS fail_age,
            {checks["extent"]} AS fail_extent,
            {checks["price"]} AS fail_price
        FROM banded b
        {sql.frame_in_force_join_sql("b", "b.start_date", "f")}"""


def _newest_versions_sql(ids: str | None) -> str:
    """Return each id's newest version in a live batch (of the ids in ``ids``, else all).

    The newest version is ranked on the narrow key columns only, then fetched: ranking whole
    rows would sort every column of the history (gigabytes at ten million registrations).
    A batch holds an id at most once (a line, or a deletion without a line number).
    """
    only = f"AND h.registration_id IN (SELECT registration_id FROM {ids})" if ids else ""
    return f"""(
        WITH newest AS (
            SELECT h.registration_id, h.batch_id, h.line_no, h.deleted
            FROM registration_history h
            JOIN import_batches b USING (batch_id)
            WHERE b.undone_at IS NULL {only}
            QUALIFY row_number() OVER (
                PARTITION BY h.registration_id ORDER BY h.batch_id DESC, h.line_no DESC) = 1
        )
        SELECT h.* EXCLUDE (line_no, deleted)
        FROM registration_history h
        JOIN newest n ON h.registration_id = n.registration_id AND h.batch_id = n.batch_id
            AND h.line_no IS NOT DISTINCT FROM n.line_no
        WHERE NOT n.deleted)"""


def refresh(
    cur: duckdb.DuckDBPyConnection,
    ids_sql: str | None = None,
    params: Mapping[str, object] | Sequence[object] | None = None,
) -> None:
    """Rebuild the current view (with facts) for the ids ``ids_sql`` selects; all when None.

    Each id gets its newest version in a live batch, or no row when that version deletes it
    or no live batch has it. Call inside the write transaction that changed the history,
    the batches or the frames.
    """
    # With an empty current view (a first import, the demo) there is nothing to keep: the
    # full rebuild needs no list of ids.
    empty = cur.execute("SELECT 1 FROM registrations LIMIT 1").fetchone() is None
    if ids_sql is None or empty:
        cur.execute("DELETE FROM registrations")
        newest = _newest_versions_sql(None)
    else:
        cur.execute(
            f"CREATE OR REPLACE TEMP TABLE refresh_ids AS SELECT DISTINCT registration_id "
            f"FROM ({ids_sql})",
            params,
        )
        cur.execute(
            "DELETE FROM registrations WHERE registration_id IN "
            "(SELECT registration_id FROM refresh_ids)"
        )
        newest = _newest_versions_sql("refresh_ids")
    cur.execute(f"INSERT INTO registrations BY NAME {_facts_select(newest)}")
    cur.execute("DROP TABLE IF EXISTS refresh_ids")


def rebuilt_view_sql() -> str:
    """Return a query of the current view as a full rebuild from history makes it (tests)."""
    return _facts_select(_newest_versions_sql(None))


def batch_ids_sql() -> str:
    """Return a query (parameter ``?``: a batch) of the registration ids a batch holds."""
    return "SELECT registration_id FROM registration_history WHERE batch_id = ?"


def type_ids_sql() -> str:
    """Return a query (parameter ``?``: a list of types) of the current ids of those types."""
    return "SELECT registration_id FROM registrations WHERE intervention_type IN (SELECT unnest(?))"
