"""Hand-written DuckDB queries for the key figures and monthly series, independent of slcore.

Each figure is one query written from ../shared/spec/metrics.md alone, over the raw tables:
the current ``registrations`` (only the base columns of registrations.md and ``batch_id``),
the ``frames_current`` view, ``intervention_types`` and ``budgets``. No prepared table, no
SQL piece of slcore. The queries filter to the period first (a registration that runs on no
day of the period cannot count), then enrich only those rows.

They serve two ends: the benchmark's yardstick (what a DuckDB expert would write, to hold
slcore's time against) and an independent oracle (tests/test_bench.py, bench/run.py check
that slcore's results equal these).

Results are pandas DataFrames with metrics.md's column names, so ``differences`` can hold
a project table against a reference table.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import pandas as pd

GROUP_COLUMNS = ("intervention_type", "age_band", "team")
UNKNOWN_TEAM = "(ukendt)"

KEY_FIGURE_COLUMNS = (
    "active_registrations",
    "active_citizens",
    "new_registrations",
    "ended_registrations",
    "realized_spend_dkk",
    "committed_spend_dkk",
    "projected_spend_dkk",
    "budget_dkk",
    "budget_deviation_dkk",
    "within_frame",
    "approved_exceptions",
    "unapproved_deviations",
    "no_frame",
    "median_duration_days",
)
SERIES_COLUMNS = (
    "month",
    "month_start",
    "month_end",
    "active_registrations",
    "active_citizens",
    "new_registrations",
    "ended_registrations",
    "child_days",
    "realized",
    "committed",
)
SPEND_COLUMNS = ("month", "month_start", "month_end", "realized", "committed", "budget")
# Columns compared to 0.01 kr.; every other column must be equal.
MONEY_COLUMNS = frozenset(
    {
        "realized_spend_dkk",
        "committed_spend_dkk",
        "projected_spend_dkk",
        "budget_dkk",
        "budget_deviation_dkk",
        "realized",
        "committed",
        "budget",
    }
)
MONEY_TOLERANCE = 0.01


@dataclass(frozen=True)
class Selection:
    """Which registrations count (empty: all): the sidebar's four filters, as plain values."""

    intervention_types: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    age_bands: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()

    @property
    def has_budget(self) -> bool:
        """Return whether a budget applies: budgets exist per year and type only."""
        return not self.age_bands and not self.teams


ALL = Selection()

# --- SQL -------------------------------------------------------------------------------------

# The registrations that run on at least one day of [$p_from, $p_to] ('once' runs on its start
# day, which lies in the period exactly when its amount can fall in it), with only the columns
# the later steps need, the team already as its group ('(ukendt)' when empty). Filters on the
# raw columns (team, type) are added here, before any enrichment.
IN_PERIOD = """
    SELECT r.citizen_id, r.intervention_type, r.start_date, r.end_date, r.birth_date,
        r.age_at_start, r.extent, r.extent_unit, r.cost_amount, r.cost_period,
        r.committee_approved,
        coalesce(nullif(trim(r.team), ''), '(ukendt)') AS team
    FROM registrations r
    WHERE r.start_date <= $p_to AND (r.end_date IS NULL OR r.end_date >= $p_from)"""

# metrics.md, daily_cost. An 'hour' price without hours has no cost (no hours were granted).
DAILY_COST = """CASE cost_period
            WHEN 'day' THEN cost_amount
            WHEN 'week' THEN cost_amount / 7
            WHEN 'month' THEN cost_amount * 12 / 365
            WHEN 'year' THEN cost_amount / 365
            WHEN 'hour' THEN cost_amount * coalesce(extent, 0) / 7
            ELSE 0.0
        END"""

# daily_cost × 365 / 12 written out per period (not through the daily cost), so a monthly
# price is compared with the frame exactly as typed.
MONTHLY_COST = """CASE cost_period
            WHEN 'month' THEN cost_amount
            WHEN 'year' THEN cost_amount / 12
            WHEN 'day' THEN cost_amount * 365 / 12
            WHEN 'week' THEN cost_amount * 365 / 84
            WHEN 'hour' THEN cost_amount * coalesce(extent, 0) * 365 / 84
        END"""

# Whole years from the birth date to the start. date_sub counts whole years but rounds a
# negative span towards zero; a birth after the start is an impossible age, and any negative
# value gives the band 'ukendt' and fails an age check (frames have age_min >= 0), so -1
# stands for all of them.
AGE = """CASE
            WHEN birth_date IS NULL THEN age_at_start
            WHEN birth_date > start_date THEN -1
            ELSE date_sub('year', birth_date, start_date)
        END"""

AGE_BAND = """CASE
            WHEN age IS NULL OR age < 0 THEN 'ukendt'
            WHEN age < 6 THEN '0-5'
            WHEN age < 12 THEN '6-11'
            WHEN age < 18 THEN '12-17'
            WHEN age < 23 THEN '18-22'
            ELSE '23+'
        END"""

# What a registration contributes to the interval [{lo}, {hi}] as of $as_of (metrics.md,
# activity and economy): its running days up to the as-of date (past) and after it (future),
# and a 'once' amount on its start day.
MEASURES = """
            greatest(0, least(coalesce(end_date, {hi}), {hi}, $as_of)
                        - greatest(start_date, {lo}) + 1) AS past_days,
            greatest(0, least(coalesce(end_date, {hi}), {hi})
                        - greatest(start_date, {lo}, $as_of + 1) + 1) AS future_days,
            start_date BETWEEN {lo} AND least({hi}, $as_of) AS is_new,
            coalesce(end_date BETWEEN {lo} AND least({hi}, $as_of), false) AS is_ended,
            CASE WHEN cost_period = 'once' AND start_date BETWEEN {lo} AND least({hi}, $as_of)
                 THEN cost_amount ELSE 0.0 END AS once_past,
            CASE WHEN cost_period = 'once' AND start_date BETWEEN greatest({lo}, $as_of + 1) AND {hi}
                 THEN cost_amount ELSE 0.0 END AS once_future"""

# The frame checks (metrics.md, service level) on a row ``m`` joined to its frame ``f``: a check
# applies only when both sides have the value. Duration: the effective end is after
# start + months - 1 day, i.e. on or after start + months.
STATUS = """CASE
            WHEN f.intervention_type IS NULL THEN 'no_frame'
            WHEN coalesce(m.age < f.age_min, false)
                OR coalesce(m.age > f.age_max, false)
                OR coalesce(m.extent_unit = f.extent_unit AND m.extent > f.max_extent, false)
                OR coalesce(coalesce(m.end_date, $as_of)
                            >= (m.start_date + INTERVAL 1 MONTH * f.max_duration_months)::DATE,
                            false)
                OR coalesce(m.cost_period <> 'once'
                            AND m.monthly_cost > f.max_monthly_cost + 0.005, false)
            THEN CASE WHEN m.committee_approved THEN 'approved_exception'
                      ELSE 'unapproved_deviation' END
            ELSE 'within_frame'
        END"""

# Days of [{lo}, {hi}] in the budget's year b.year, over the days of that year.
BUDGET_SHARE = """b.budget_dkk
            * greatest(0, least({hi}, make_date(b.year, 12, 31))
                          - greatest({lo}, make_date(b.year, 1, 1)) + 1)
            / dayofyear(make_date(b.year, 12, 31))"""


def _conditions(sel: Selection) -> tuple[str, str, str, dict[str, object]]:
    """Return the conditions on raw rows ``r``, enriched rows and budgets ``b``; and parameters."""
    raw, rich, budget = ["TRUE"], ["TRUE"], ["TRUE"]
    params: dict[str, object] = {}
    if sel.teams:
        raw.append("coalesce(nullif(trim(r.team), ''), '(ukendt)') IN (SELECT unnest($teams))")
        params["teams"] = list(sel.teams)
    if sel.intervention_types:
        raw.append("r.intervention_type IN (SELECT unnest($types))")
        budget.append("b.intervention_type IN (SELECT unnest($types))")
        params["types"] = list(sel.intervention_types)
    if sel.categories:
        rich.append("category IN (SELECT unnest($categories))")
        budget.append("t.category IN (SELECT unnest($categories))")
        params["categories"] = list(sel.categories)
    if sel.age_bands:
        rich.append("age_band IN (SELECT unnest($age_bands))")
        params["age_bands"] = list(sel.age_bands)
    return " AND ".join(raw), " AND ".join(rich), " AND ".join(budget), params


def _period_params(p_from: dt.date, p_to: dt.date, as_of: dt.date) -> dict[str, object]:
    return {"p_from": p_from, "p_to": p_to, "as_of": as_of}


def key_figures_sql(by: Sequence[str], sel: Selection) -> tuple[str, dict[str, object]]:
    """Return the key figures query (metrics.md) grouped by ``by`` and its filter parameters."""
    groups = [c for c in GROUP_COLUMNS if c in by]
    if len(groups) != len(by):
        raise ValueError(f"Unknown grouping: {by}")
    raw, rich, budget_where, params = _conditions(sel)
    sel_groups = "".join(f"{c}, " for c in groups)
    group_by = f"GROUP BY {', '.join(groups)}" if groups else ""
    with_budget = groups in ([], ["intervention_type"]) and sel.has_budget

    def counts(names: str) -> str:
        # A group with only a budget has no registrations: its counts are 0.
        return ", ".join(f"coalesce({n}, 0) AS {n}" for n in names.split(", "))

    budget_cte = f"""
        budget AS (
            SELECT b.intervention_type, sum({BUDGET_SHARE.format(lo="$p_from", hi="$p_to")})
                AS budget_dkk
            FROM budgets b LEFT JOIN intervention_types t ON t.code = b.intervention_type
            WHERE b.year BETWEEN year($p_from) AND year($p_to) AND {budget_where}
            GROUP BY b.intervention_type
        ),"""
    if not with_budget:
        final = "SELECT *, NULL::DOUBLE AS budget_dkk FROM agg"
    elif groups:
        final = """SELECT coalesce(agg.intervention_type, budget.intervention_type)
                AS intervention_type, agg.* EXCLUDE (intervention_type),
                coalesce(budget.budget_dkk, 0) AS budget_dkk
            FROM agg FULL OUTER JOIN budget USING (intervention_type)"""
    else:
        final = "SELECT *, (SELECT coalesce(sum(budget_dkk), 0) FROM budget) AS budget_dkk FROM agg"
    query = f"""
        WITH in_period AS ({IN_PERIOD} AND {raw}),
        costed AS (
            SELECT i.*, t.category,
                {DAILY_COST} AS daily_cost,
                {MONTHLY_COST} AS monthly_cost,
                {AGE} AS age
            FROM in_period i LEFT JOIN intervention_types t ON t.code = i.intervention_type
        ),
        banded AS (SELECT *, {AGE_BAND} AS age_band FROM costed),
        measured AS (
            SELECT *,
                past_days > 0 AS active,
                daily_cost * past_days + once_past AS realized,
                daily_cost * future_days + once_future AS committed
            FROM (SELECT *, {MEASURES.format(lo="$p_from", hi="$p_to")} FROM banded WHERE {rich})
        ),
        counted AS (
            SELECT m.*, {STATUS} AS status
            FROM measured m
            ASOF LEFT JOIN frames_current f
                ON f.intervention_type = m.intervention_type AND m.start_date >= f.valid_from
            WHERE m.active OR m.realized <> 0 OR m.committed <> 0
        ),
        agg AS (
            SELECT {sel_groups}
                count(*) FILTER (WHERE active) AS active_registrations,
                count(DISTINCT citizen_id) FILTER (WHERE active) AS active_citizens,
                count(*) FILTER (WHERE is_new) AS new_registrations,
                count(*) FILTER (WHERE is_ended) AS ended_registrations,
                coalesce(sum(realized), 0) AS realized_spend_dkk,
                coalesce(sum(committed), 0) AS committed_spend_dkk,
                count(*) FILTER (WHERE active AND status = 'within_frame') AS within_frame,
                count(*) FILTER (WHERE active AND status = 'approved_exception')
                    AS approved_exceptions,
                count(*) FILTER (WHERE active AND status = 'unapproved_deviation')
                    AS unapproved_deviations,
                count(*) FILTER (WHERE active AND status = 'no_frame') AS no_frame,
                quantile_cont(end_date - start_date + 1, 0.5) FILTER (WHERE is_ended)
                    AS median_duration_days
            FROM counted
            {group_by}
        ),
        {budget_cte}
        result AS ({final})
        SELECT {sel_groups}
            {counts("active_registrations, active_citizens, new_registrations")},
            {counts("ended_registrations")},
            coalesce(realized_spend_dkk, 0) AS realized_spend_dkk,
            coalesce(committed_spend_dkk, 0) AS committed_spend_dkk,
            coalesce(realized_spend_dkk, 0) + coalesce(committed_spend_dkk, 0)
                AS projected_spend_dkk,
            budget_dkk,
            coalesce(realized_spend_dkk, 0) + coalesce(committed_spend_dkk, 0) - budget_dkk
                AS budget_deviation_dkk,
            {counts("within_frame, approved_exceptions, unapproved_deviations, no_frame")},
            median_duration_days
        FROM result
    """
    return query, params


def key_figures(
    con: duckdb.DuckDBPyConnection,
    p_from: dt.date,
    p_to: dt.date,
    as_of: dt.date,
    by: Sequence[str] = (),
    sel: Selection = ALL,
) -> pd.DataFrame:
    """Return the key figures table of metrics.md for [p_from, p_to] as of ``as_of``."""
    query, params = key_figures_sql(by, sel)
    params.update(_period_params(p_from, p_to, as_of))
    return con.execute(query, params).df()


# The months of [$p_from, $p_to], each cut to the period.
MONTHS = """
    months AS (
        SELECT m AS month, greatest(m, $p_from) AS m_from,
            least((m + INTERVAL 1 MONTH)::DATE - 1, $p_to) AS m_to
        FROM (
            SELECT (date_trunc('month', $p_from) + INTERVAL 1 MONTH * i)::DATE AS m
            FROM range(0, 12 * (year($p_to) - year($p_from))
                          + month($p_to) - month($p_from) + 1) r(i))
    )"""


def monthly_series_sql(sel: Selection) -> tuple[str, dict[str, object]]:
    """Return the query of each month's figures (measured like a period) and its parameters."""
    raw, rich, _, params = _conditions(sel)
    # The age band is needed only to filter on it.
    band = f", {AGE_BAND} AS age_band" if sel.age_bands else ""
    age = f", {AGE} AS age" if sel.age_bands else ""
    query = f"""
        WITH {MONTHS},
        in_period AS ({IN_PERIOD} AND {raw}),
        costed AS (
            SELECT i.citizen_id, i.start_date, i.end_date, i.cost_period, i.cost_amount,
                t.category, {DAILY_COST} AS daily_cost {age}
            FROM in_period i LEFT JOIN intervention_types t ON t.code = i.intervention_type
        ),
        selected AS (SELECT * {band} FROM costed WHERE {rich}),
        measured AS (
            SELECT month, citizen_id, past_days, is_new, is_ended,
                past_days > 0 AS active,
                daily_cost * past_days + once_past AS realized,
                daily_cost * future_days + once_future AS committed
            FROM (
                SELECT s.*, mo.month, {MEASURES.format(lo="mo.m_from", hi="mo.m_to")}
                FROM selected s
                JOIN months mo ON s.start_date <= mo.m_to
                    AND coalesce(s.end_date, $p_to) >= mo.m_from)
        ),
        agg AS (
            SELECT month,
                count(*) FILTER (WHERE active) AS active_registrations,
                count(DISTINCT citizen_id) FILTER (WHERE active) AS active_citizens,
                count(*) FILTER (WHERE is_new) AS new_registrations,
                count(*) FILTER (WHERE is_ended) AS ended_registrations,
                sum(past_days) AS child_days,
                sum(realized) AS realized,
                sum(committed) AS committed
            FROM measured
            WHERE active OR realized <> 0 OR committed <> 0
            GROUP BY month
        )
        SELECT mo.month, mo.m_from AS month_start, mo.m_to AS month_end,
            coalesce(a.active_registrations, 0) AS active_registrations,
            coalesce(a.active_citizens, 0) AS active_citizens,
            coalesce(a.new_registrations, 0) AS new_registrations,
            coalesce(a.ended_registrations, 0) AS ended_registrations,
            coalesce(a.child_days, 0) AS child_days,
            coalesce(a.realized, 0) AS realized,
            coalesce(a.committed, 0) AS committed
        FROM months mo LEFT JOIN agg a USING (month)
        ORDER BY mo.month
    """
    return query, params


def monthly_series(
    con: duckdb.DuckDBPyConnection,
    p_from: dt.date,
    p_to: dt.date,
    as_of: dt.date,
    sel: Selection = ALL,
) -> pd.DataFrame:
    """Return each month's activity, child-days and spend for [p_from, p_to] as of ``as_of``."""
    query, params = monthly_series_sql(sel)
    params.update(_period_params(p_from, p_to, as_of))
    return con.execute(query, params).df()


def monthly_spend(
    con: duckdb.DuckDBPyConnection,
    p_from: dt.date,
    p_to: dt.date,
    as_of: dt.date,
    sel: Selection = ALL,
) -> pd.DataFrame:
    """Return each month's realised and committed spend and its budget (NaN when none)."""
    series, params = monthly_series_sql(sel)
    _, _, budget_where, _ = _conditions(sel)
    budget = "NULL::DOUBLE"
    if sel.has_budget:
        # The month's budget: the share of its year's budgets; NULL when no row covers it.
        budget = f"""(SELECT sum({BUDGET_SHARE.format(lo="s.month_start", hi="s.month_end")})
                FROM budgets b LEFT JOIN intervention_types t ON t.code = b.intervention_type
                WHERE b.year = year(s.month_start) AND {budget_where})"""
    query = f"""
        SELECT s.month, s.month_start, s.month_end, s.realized, s.committed, {budget} AS budget
        FROM ({series}) s ORDER BY s.month
    """
    params.update(_period_params(p_from, p_to, as_of))
    return con.execute(query, params).df()


# --- Comparing a project table with a reference table --------------------------------------


def _key(row: pd.Series, keys: Sequence[str]) -> tuple[str, ...]:
    return tuple(_plain(row[k]) for k in keys)


def _plain(value: object) -> str:
    """Return a group or month value as text: dates as ISO days, whatever their type."""
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def _cell_differs(column: str, got: object, want: object) -> bool:
    if _is_missing(got) or _is_missing(want):
        return _is_missing(got) != _is_missing(want)
    if column in MONEY_COLUMNS:
        return abs(float(got) - float(want)) > MONEY_TOLERANCE  # type: ignore[arg-type]
    if isinstance(got, numbers.Real) and isinstance(want, numbers.Real):
        return float(got) != float(want)
    return _plain(got) != _plain(want)


def differences(
    got: pd.DataFrame, want: pd.DataFrame, keys: Sequence[str], columns: Sequence[str]
) -> list[str]:
    """Return how ``got`` differs from ``want``: groups (rows by ``keys``), then each cell.

    Counts must be equal, money within 0.01 kr., an empty cell empty on both sides.
    """
    missing = [c for c in (*keys, *columns) if c not in got.columns]
    if missing:
        return [f"columns missing: {', '.join(missing)}"]
    got_rows = {_key(r, keys): r for _, r in got.iterrows()}
    want_rows = {_key(r, keys): r for _, r in want.iterrows()}
    out: list[str] = []
    if len(got_rows) != len(got) or len(want_rows) != len(want):
        out.append(f"duplicate groups: project {len(got)} rows, reference {len(want)} rows")
    out.extend(
        f"group {k} only in the reference" for k in sorted(want_rows.keys() - got_rows.keys())
    )
    out.extend(f"group {k} only in the project" for k in sorted(got_rows.keys() - want_rows.keys()))
    for k in sorted(got_rows.keys() & want_rows.keys()):
        g, w = got_rows[k], want_rows[k]
        out.extend(
            f"group {k} {c}: project {g[c]!r}, reference {w[c]!r}"
            for c in columns
            if c not in keys and _cell_differs(c, g[c], w[c])
        )
    return out
