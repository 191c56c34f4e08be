"""Frames from data: what the registrations say, to calibrate the service level locally.

Per intervention type this module reports the observed age at start, extent, monthly cost
and duration (median, 80 % and 90 % quantiles) next to the limit of the frame in force as of
the as-of date, and a Kaplan–Meier survival curve of durations, so that allocations still
running count as "lasted at least this long" instead of being left out (which would make
durations look shorter than they are) or counted as ended (the same bias).

Everything is computed in DuckDB on top of ``figures.ENRICHED_SQL``; only aggregates reach
pandas.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from slcore import cache, sql
from slcore.facts import frame_checks_sql
from slcore.figures import ENRICHED_SQL, Filters, filter_sql
from slcore.labels import CALIBRATION_MEASURES, CALIBRATION_UNITS, EXTENT_UNITS
from slcore.store import Store

MEASURES = ("age", "extent", "monthly_cost", "duration_months")
UNIT_LABELS = CALIBRATION_UNITS  # their Danish words: ``labels``
DAYS_PER_MONTH = sql.DAYS_PER_MONTH
# Points of the survival summary: 6, 12 and 24 months in days.
SUMMARY_DAYS = {"still_running_6m": 182, "still_running_12m": 365, "still_running_24m": 730}
# S(t) is a product of fractions; 5/6 * 3/5 may come out as 0.5000000000000001, which must
# still count as "half have ended" for the median.
_EPS = 1e-9

DISTRIBUTION_COLUMNS = (
    "intervention_type",
    "measure",
    "unit",
    "n",
    "p50",
    "p80",
    "p90",
    "limit",
    "limit_min",
    "share_over_limit",
)
SURVIVAL_COLUMNS = ("intervention_type", "day", "at_risk", "ended", "censored", "survival")
SUMMARY_COLUMNS = (
    "intervention_type",
    "n",
    "ended",
    "ongoing",
    "km_median_days",
    "still_running_6m",
    "still_running_12m",
    "still_running_24m",
    "plain_median_days",
    "max_duration_months",
)

# The frame in force as of $as_of per type: the newest version that has started by then.
CURRENT_FRAME_SQL = f"""
current_frame AS (
    {sql.frame_in_force_sql("$as_of")}
)"""


def _population_sql(
    store: Store, as_of: dt.date, filters: Filters, started_from: dt.date | None
) -> tuple[str, dict[str, object]]:
    """Return the CTEs up to ``pop`` (registrations started in the window) and parameters."""
    where, params = filter_sql(store, filters)
    params["as_of"] = as_of
    conds = ["e.start_date <= $as_of", where]
    if started_from is not None:
        # Added only when given: a NULL parameter in a comparison has no type to bind to.
        conds.append("e.start_date >= $started_from")
        params["started_from"] = started_from
    query = f"""{ENRICHED_SQL},
{CURRENT_FRAME_SQL},
pop AS (
    SELECT e.* FROM enriched e WHERE {" AND ".join(conds)}
)"""
    return query, params


@cache.cached
def distributions(
    store: Store,
    as_of: dt.date,
    filters: Filters = Filters(),
    started_from: dt.date | None = None,
) -> pd.DataFrame:
    """Return per type and measure the observed p50, p80, p90 and the current frame's limit."""
    pop_sql, params = _population_sql(store, as_of, filters, started_from)
    # The current frame's checks, exactly as the key figures judge a registration, so that
    # "share over the limit" here agrees with the compliance screens (the duration check in
    # calendar months, the price check with its half-øre tolerance). For age it is the share
    # outside the target group, below age_min or above age_max, as the frame check fails.
    checks = frame_checks_sql(
        "p",
        "c.age_min",
        "c.age_max",
        "c.max_extent",
        "c.extent_unit",
        "c.max_duration_months",
        "c.max_monthly_cost",
    )
    query = f"""
WITH {pop_sql},
framed AS (
    SELECT p.*,
        c.intervention_type IS NOT NULL AS has_frame,
        c.age_min AS cur_age_min, c.age_max AS cur_age_max,
        c.max_extent AS cur_max_extent, c.extent_unit AS cur_extent_unit,
        c.max_duration_months AS cur_max_duration_months,
        c.max_monthly_cost AS cur_max_monthly_cost,
        {checks["age"]} AS over_age,
        {checks["extent"]} AS over_extent,
        {checks["duration"]} AS over_duration,
        {checks["price"]} AS over_price
    FROM pop p LEFT JOIN current_frame c USING (intervention_type)
),
-- Extents are only comparable within one unit: the frame's unit when it names one, else the
-- unit most registrations of the type use (ties broken alphabetically, to be reproducible).
common_unit AS (
    SELECT intervention_type, extent_unit
    FROM framed
    WHERE extent IS NOT NULL AND extent_unit IS NOT NULL
    GROUP BY intervention_type, extent_unit
    QUALIFY row_number() OVER (
        PARTITION BY intervention_type ORDER BY count(*) DESC, extent_unit) = 1
),
extent_unit AS (
    SELECT t.intervention_type,
        coalesce(c.extent_unit, u.extent_unit) AS unit,
        -- A max_extent without a unit is never checked (registrations.md §5), so no limit.
        CASE WHEN c.extent_unit IS NOT NULL THEN c.max_extent END AS lim
    FROM (SELECT DISTINCT intervention_type FROM framed) t
    LEFT JOIN current_frame c USING (intervention_type)
    LEFT JOIN common_unit u USING (intervention_type)
),
vals AS (
    -- A negative age (birth after start) is a data error, 'ukendt' in the age bands too.
    SELECT intervention_type, 'age' AS measure, 'år' AS unit, age::DOUBLE AS value,
        cur_age_max::DOUBLE AS lim, cur_age_min::DOUBLE AS lim_min, over_age AS over
    FROM framed WHERE age >= 0
    UNION ALL
    SELECT f.intervention_type, 'extent', u.unit, f.extent, u.lim, NULL, over_extent
    FROM framed f JOIN extent_unit u
        ON u.intervention_type = f.intervention_type AND f.extent_unit = u.unit
    WHERE f.extent IS NOT NULL
    UNION ALL
    -- One-off payments have no monthly price.
    SELECT intervention_type, 'monthly_cost', 'kr. pr. måned', monthly_cost,
        cur_max_monthly_cost, NULL, over_price
    FROM framed WHERE cost_period <> 'once'
    UNION ALL
    -- Ended ones only (ongoing ones are in the survival curve); one-off payments last no time.
    SELECT intervention_type, 'duration_months', 'måneder',
        {sql.months_sql("(date_diff('day', start_date, end_date) + 1)")},
        cur_max_duration_months::DOUBLE, NULL, over_duration
    FROM framed WHERE end_date <= $as_of AND cost_period <> 'once'
)
SELECT intervention_type, measure, unit,
    count(*) AS n,
    quantile_cont(value, 0.5) AS p50,
    quantile_cont(value, 0.8) AS p80,
    quantile_cont(value, 0.9) AS p90,
    lim AS "limit",
    lim_min AS limit_min,
    CASE WHEN lim IS NOT NULL OR lim_min IS NOT NULL
        THEN avg(CASE WHEN over THEN 1.0 ELSE 0.0 END) END
        AS share_over_limit
FROM vals
GROUP BY intervention_type, measure, unit, lim, lim_min
ORDER BY intervention_type,
    CASE measure WHEN 'age' THEN 1 WHEN 'extent' THEN 2 WHEN 'monthly_cost' THEN 3 ELSE 4 END
"""
    df = store.df(query, params)
    df["n"] = df["n"].astype("int64")
    for c in ("p50", "p80", "p90", "limit", "limit_min", "share_over_limit"):
        df[c] = df[c].astype("float64")
    return df[list(DISTRIBUTION_COLUMNS)].reset_index(drop=True)


def _survival_ctes(
    store: Store, as_of: dt.date, filters: Filters, started_from: dt.date | None
) -> tuple[str, dict[str, object]]:
    """Return the CTEs of the Kaplan–Meier curve (``curve``, ``durations``) and parameters."""
    pop_sql, params = _population_sql(store, as_of, filters, started_from)
    query = f"""{pop_sql},
-- Duration observed as of $as_of; an allocation not ended by then is censored there: we only
-- know it lasted at least this long.
durations AS (
    SELECT intervention_type,
        date_diff('day', start_date, least(coalesce(end_date, $as_of), $as_of)) + 1 AS day,
        coalesce(end_date <= $as_of, false) AS is_event
    FROM pop
    WHERE cost_period <> 'once'
),
by_day AS (
    SELECT intervention_type, day,
        count(*) FILTER (WHERE is_event) AS ended,
        count(*) FILTER (WHERE NOT is_event) AS censored
    FROM durations
    GROUP BY intervention_type, day
),
-- At risk at day t: everyone whose observed duration is >= t. Those censored on day t are
-- still at risk on t (the usual convention: censoring happens just after the events).
risk AS (
    SELECT *,
        sum(ended + censored) OVER (
            PARTITION BY intervention_type ORDER BY day DESC
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS at_risk
    FROM by_day
),
-- S(t) = product over event days u <= t of (1 - ended_u / at_risk_u). A running product
-- instead of exp(sum(ln(...))): the factor 0 (everyone at risk ends that day) needs no
-- special case, and no rounding is added by exp/ln.
steps AS (
    SELECT *,
        product(1 - ended / at_risk) OVER (
            PARTITION BY intervention_type ORDER BY day
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS survival
    FROM risk
),
curve AS (
    SELECT intervention_type, 0 AS day, sum(ended + censored) AS at_risk,
        0 AS ended, 0 AS censored, 1.0::DOUBLE AS survival
    FROM by_day GROUP BY intervention_type
    UNION ALL
    SELECT intervention_type, day, at_risk, ended, censored, survival
    FROM steps
)"""
    return query, params


@cache.cached
def survival(
    store: Store,
    as_of: dt.date,
    filters: Filters = Filters(),
    started_from: dt.date | None = None,
) -> pd.DataFrame:
    """Return the Kaplan–Meier survival curve of durations per type, ongoing ones censored at as_of."""
    ctes, params = _survival_ctes(store, as_of, filters, started_from)
    df = store.df(f"WITH {ctes} SELECT * FROM curve ORDER BY intervention_type, day", params)
    for c in ("day", "at_risk", "ended", "censored"):
        df[c] = df[c].astype("int64")
    df["survival"] = df["survival"].astype("float64")
    return df[list(SURVIVAL_COLUMNS)].reset_index(drop=True)


@cache.cached
def survival_summary(
    store: Store,
    as_of: dt.date,
    filters: Filters = Filters(),
    started_from: dt.date | None = None,
) -> pd.DataFrame:
    """Return per type the KM median duration, the share still running at 6, 12 and 24 months, and the plain median of ended ones."""
    ctes, params = _survival_ctes(store, as_of, filters, started_from)
    # S at day X is S of the last curve row on or before X. Beyond the longest observed
    # duration the curve is unknown (NULL) unless it has already reached 0: then everyone
    # has ended and 0 holds for every later day.
    points = ",\n    ".join(
        f"""CASE WHEN max(c.day) >= {sql.literal(days)} OR arg_max(c.survival, c.day) <= 0 THEN
            arg_max(c.survival, c.day) FILTER (WHERE c.day <= {sql.literal(days)})
            END AS {sql.quote_ident(name, SUMMARY_DAYS)}"""
        for name, days in SUMMARY_DAYS.items()
    )
    query = f"""
WITH {ctes},
counts AS (
    SELECT intervention_type, count(*) AS n,
        count(*) FILTER (WHERE is_event) AS ended,
        count(*) FILTER (WHERE NOT is_event) AS ongoing,
        median(day) FILTER (WHERE is_event) AS plain_median_days
    FROM durations GROUP BY intervention_type
),
km AS (
    SELECT c.intervention_type,
        min(c.day) FILTER (WHERE c.survival <= 0.5 + {sql.literal(_EPS)} AND c.day > 0)
            AS km_median_days,
        {points}
    FROM curve c GROUP BY c.intervention_type
)
SELECT n.intervention_type, n.n, n.ended, n.ongoing, km.km_median_days,
    km.still_running_6m, km.still_running_12m, km.still_running_24m,
    n.plain_median_days, f.max_duration_months
FROM counts n
JOIN km USING (intervention_type)
LEFT JOIN current_frame f USING (intervention_type)
ORDER BY n.intervention_type
"""
    df = store.df(query, params)
    for c in ("n", "ended", "ongoing"):
        df[c] = df[c].astype("int64")
    for c in SUMMARY_COLUMNS[4:]:
        df[c] = df[c].astype("float64")
    return df[list(SUMMARY_COLUMNS)].reset_index(drop=True)


# --- For the pages: the tables in Danish words ---------------------------------------------


def summary_table(summary: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """Return ``survival_summary`` for a table: each type by its name (``labels.SURVIVAL_COLUMNS``)."""
    table = summary.copy()
    table.insert(0, "intervention_name", table["intervention_type"].map(names))
    return table[list(SURVIVAL_TABLE_COLUMNS)]


SURVIVAL_TABLE_COLUMNS = (
    "intervention_name",
    "n",
    "ended",
    "ongoing",
    "km_median_days",
    "plain_median_days",
    "still_running_6m",
    "still_running_12m",
    "still_running_24m",
    "max_duration_months",
)
DISTRIBUTION_TABLE_COLUMNS = ("measure", "unit", "n", "p50", "p80", "p90", "limit")


def distribution_table(distributions: pd.DataFrame, intervention_type: str) -> pd.DataFrame:
    """Return one type's ``distributions`` for a table: measures and units in Danish words."""
    table = distributions[distributions["intervention_type"] == intervention_type]
    table = table[[*DISTRIBUTION_TABLE_COLUMNS, "share_over_limit"]].reset_index(drop=True)
    table["measure"] = table["measure"].map(lambda m: CALIBRATION_MEASURES.get(m, m))
    table["unit"] = table["unit"].map(lambda u: EXTENT_UNITS.get(u, u))
    return table


def of_type(table: pd.DataFrame, code: str) -> pd.DataFrame:
    """Return the rows of one intervention type from a table by type (``survival``, say)."""
    return table[table["intervention_type"] == code]


def duration_limit(summary: pd.DataFrame, code: str) -> float | None:
    """Return a type's longest duration in months from ``survival_summary`` (None: no limit)."""
    limit = of_type(summary, code)["max_duration_months"].iloc[0]
    return None if pd.isna(limit) else float(limit)
