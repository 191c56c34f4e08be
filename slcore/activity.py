"""Activity: what lies behind the key figures' activity, month by month, step by step.

Monthly counts come from ``figures.monthly_series``; this module adds the views that need
their own SQL: the mix across the *indsatstrappe*, durations, this year against the same days
last year, and the list of allocations behind a drill-down. All of them start from
``figures.ENRICHED_SQL`` and ``figures.measures_sql``, so they agree with the key figures.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from slcore import audit, cache, fmt, sql
from slcore.figures import (
    ENRICHED_SQL,
    MONTHS_SQL,
    Filters,
    filter_sql,
    key_figures,
    measures_sql,
    month_rows_sql,
    monthly_series,
    months_so_far,
)
from slcore.labels import WHOLE_PERIOD, ladder_step
from slcore.periods import Period, add_months, year_earlier
from slcore.store import Store

# The ladder's steps in Danish (and the duration states): ``labels``.
ladder_label = ladder_step

# Duration bands for the distribution, in days: (label, first day, last day).
DURATION_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("Under 3 mdr.", 1, 91),
    ("3-6 mdr.", 92, 182),
    ("6-12 mdr.", 183, 365),
    ("1-2 år", 366, 730),
    ("Over 2 år", 731, None),
)


@cache.cached
def ladder_mix(store: Store, period: Period, filters: Filters = Filters()) -> pd.DataFrame:
    """Return, per month up to the as-of date, children and realised spend on each ladder step.

    A child on several steps in a month counts once, on the highest step it is on (the
    placement, not the support beside it), so the children's shares add up to 100 %. Spend is
    the realised spend of the registrations on each step, so it adds up to the month's
    realised spend. Columns: month, ladder_step (NULL: no step), children, child_share,
    realized, spend_share.
    """
    where, params = filter_sql(store, filters, in_period=True)
    params.update(sql.period_params(period))
    query = f"""
        WITH {ENRICHED_SQL}, {MONTHS_SQL}, {month_rows_sql(where, ["citizen_id", "ladder_step"])},
        measured AS (
            SELECT e.month, e.citizen_id, e.ladder_step,
                {measures_sql("e.month_start", "e.month_end")}
            FROM month_rows e
            WHERE e.month_start <= $as_of
        ),
        -- The highest step per child and month. Support for young adults has no step (NULL):
        -- step 0 here, so it joins; max() ranks it below every real step.
        children AS (
            SELECT month, max(coalesce(ladder_step, 0)) AS step, citizen_id
            FROM measured WHERE active GROUP BY month, citizen_id
        ),
        child_counts AS (
            SELECT month, step, count(*) AS children FROM children GROUP BY ALL
        ),
        -- Realised spend only (not sql.touches_period_sql): committed spend is not shown here.
        spend AS (
            SELECT month, coalesce(ladder_step, 0) AS step, sum(realized) AS realized
            FROM measured WHERE active OR realized <> 0 GROUP BY ALL
        )
        SELECT month, nullif(step, 0) AS ladder_step,
            coalesce(c.children, 0) AS children,
            coalesce(c.children, 0) / nullif(sum(coalesce(c.children, 0)) OVER w, 0)
                AS child_share,
            coalesce(s.realized, 0) AS realized,
            coalesce(s.realized, 0) / nullif(sum(coalesce(s.realized, 0)) OVER w, 0)
                AS spend_share
        FROM child_counts c FULL OUTER JOIN spend s USING (month, step)
        WINDOW w AS (PARTITION BY month)
        ORDER BY month, step = 0, step
    """
    df = store.df(query, params)
    df["children"] = df["children"].astype("int64")
    df["ladder_step"] = df["ladder_step"].astype("Int64")
    return df


def _band_sql(days: str) -> str:
    whens = " ".join(
        f"WHEN {days} <= {sql.literal(last)} THEN {sql.literal(label)}"
        for label, _, last in DURATION_BANDS
        if last
    )
    return f"CASE {whens} ELSE {sql.literal(DURATION_BANDS[-1][0])} END"


@cache.cached
def durations(store: Store, period: Period, filters: Filters = Filters()) -> pd.DataFrame:
    """Return the durations of the registrations active in the period, per type and state.

    The active registrations fall in two states: ``ended`` (ended in the period up to the
    as-of date: their whole duration, as the key figures' median) and ``ongoing`` (still
    running on the period's last past day: their duration so far). Columns:
    intervention_type, state, registrations, p10, p25, median, p75, p90 (days), and one
    column per duration band with its count.
    """
    where, params = filter_sql(store, filters, in_period=True)
    params.update(sql.period_params(period))
    last_past = "least($p_to, $as_of)"
    days = (
        f"CASE WHEN m.is_ended THEN date_diff('day', m.start_date, m.end_date) + 1 "
        f"ELSE date_diff('day', m.start_date, {last_past}) + 1 END"
    )
    labels = [label for label, _, _ in DURATION_BANDS]
    bands = ",\n".join(
        f"count(*) FILTER (WHERE band = {sql.literal(label)}) AS {sql.quote_ident(label, labels)}"
        for label in labels
    )
    query = f"""
        WITH {ENRICHED_SQL},
        measured AS (
            SELECT e.intervention_type, e.start_date, e.end_date,
                {measures_sql("$p_from", "$p_to")}
            FROM enriched e WHERE {where}
        ),
        lasting AS (
            SELECT m.intervention_type,
                CASE WHEN m.is_ended THEN 'ended' ELSE 'ongoing' END AS state,
                {days} AS days
            FROM measured m WHERE m.active
        ),
        with_band AS (SELECT *, {_band_sql("days")} AS band FROM lasting)
        SELECT intervention_type, state, count(*) AS registrations,
            quantile_cont(days, 0.10) AS p10,
            quantile_cont(days, 0.25) AS p25,
            median(days) AS median,
            quantile_cont(days, 0.75) AS p75,
            quantile_cont(days, 0.90) AS p90,
            {bands}
        FROM with_band GROUP BY ALL ORDER BY intervention_type, state
    """
    df = store.df(query, params)
    df["registrations"] = df["registrations"].astype("int64")
    for label, _, _ in DURATION_BANDS:
        df[label] = df[label].astype("int64")
    return df


def same_days_last_year(period: Period) -> tuple[Period, Period] | None:
    """Return this period's past days and the same days a year earlier, both as of the as-of.

    Comparing only days that have passed keeps the comparison fair: a half-run year is
    compared with the same half of the year before. None when no day of the period has passed.
    """
    last = period.last_past_day
    if last < period.start:
        return None
    current = Period(period.start, last, period.as_of)
    previous = Period(add_months(period.start, -12), add_months(last, -12), period.as_of)
    return current, previous


@cache.cached
def months_against_last_year(
    store: Store, period: Period, filters: Filters = Filters()
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the period's months up to the as-of date, and the same months a year earlier.

    Both are ``figures.monthly_series``; the earlier one has all its months. The month the
    as-of date falls in is compared with the same days a year earlier, not the whole month,
    as the tiles compare the same days.
    """
    now = monthly_series(store, period, filters)
    now = months_so_far(now, period.as_of)
    previous = year_earlier(period)
    before = monthly_series(store, previous, filters)
    cut = len(now) - 1
    if 0 <= cut < len(before) and now["month_end"].iloc[cut].date() > period.as_of:
        same_days = Period(previous.start, previous.end, add_months(period.as_of, -12))
        before.iloc[cut] = monthly_series(store, same_days, filters).iloc[cut]
    return now, before


@dataclass(frozen=True)
class YearComparison:
    """Key figures of this period's past days against the same days last year."""

    current: Period
    previous: Period
    table: pd.DataFrame


COMPARED = (
    "active_registrations",
    "active_citizens",
    "new_registrations",
    "ended_registrations",
    "realized_spend_dkk",
    "median_duration_days",
)


@cache.cached
def year_comparison(
    store: Store, period: Period, filters: Filters = Filters(), by: str | None = None
) -> YearComparison | None:
    """Return the key figures now and the same days last year, with their change.

    Columns: [by], then for each compared figure ``<figure>_now``, ``<figure>_before`` and
    ``<figure>_change``; a last row ``Total`` (``by`` empty) when grouped. None when no day
    of the period has passed.
    """
    pair = same_days_last_year(period)
    if pair is None:
        return None
    current, previous = pair
    groups = (by,) if by else ()
    now = key_figures(store, current, groups, filters)
    before = key_figures(store, previous, groups, filters)
    keep = [*groups, *COMPARED]
    if by:
        table = now[keep].merge(
            before[keep], on=by, how="outer", suffixes=("_now", "_before"), sort=False
        )
        total = compare_totals(store, current, previous, filters)
        table = pd.concat([table, total], ignore_index=True)
    else:
        table = compare_totals(store, current, previous, filters)
    for c in COMPARED:
        if c != "median_duration_days":
            table[f"{c}_now"] = table[f"{c}_now"].fillna(0)
            table[f"{c}_before"] = table[f"{c}_before"].fillna(0)
        table[f"{c}_change"] = table[f"{c}_now"] - table[f"{c}_before"]
    ordered = [*groups, *(f"{c}_{s}" for c in COMPARED for s in ("now", "before", "change"))]
    return YearComparison(current, previous, table[ordered])


def compare_totals(
    store: Store, current: Period, previous: Period, filters: Filters
) -> pd.DataFrame:
    """Return one row with the compared figures of two periods (``_now`` and ``_before``)."""
    now = key_figures(store, current, (), filters)[list(COMPARED)].add_suffix("_now")
    before = key_figures(store, previous, (), filters)[list(COMPARED)].add_suffix("_before")
    return pd.concat([now, before], axis=1)


ALLOCATION_COLUMNS = (
    "registration_id",
    "citizen_id",
    "intervention_type",
    "team",
    "provider",
    "age_band",
    "start_date",
    "end_date",
    "monthly_cost",
    "realized",
    "committed",
    "status",
)


@audit.allocation_level("Bevillingsliste")
@cache.cached
def allocations(
    store: Store, period: Period, filters: Filters = Filters(), limit: int | None = None
) -> pd.DataFrame:
    """Return the registrations behind the period's figures, most expensive first.

    Only pseudonymised ids leave the store: ``citizen_id`` is the pseudonym made on import.
    Those that count in the key figures are listed: active ones and planned ones with spend.
    """
    where, params = filter_sql(store, filters, in_period=True)
    params.update(sql.period_params(period))
    params["limit"] = limit
    query = f"""
        WITH {ENRICHED_SQL},
        measured AS (
            SELECT e.*, {measures_sql("$p_from", "$p_to")} FROM enriched e WHERE {where}
        )
        SELECT registration_id, citizen_id, intervention_type, team_group AS team,
            {sql.unknown_group_sql("provider")} AS provider, age_band,
            start_date, end_date,
            CASE WHEN cost_period = 'once' THEN NULL ELSE monthly_cost END AS monthly_cost,
            realized, committed, status
        FROM measured
        WHERE {sql.touches_period_sql()}
        ORDER BY realized + committed DESC, registration_id
        LIMIT $limit
    """
    df = store.df(query, params)
    for c in ("start_date", "end_date"):
        df[c] = [None if pd.isna(v) else pd.Timestamp(v).date() for v in df[c]]
    return df[list(ALLOCATION_COLUMNS)]


MONTH_TABLE_COLUMNS = (
    "month",
    "active_registrations",
    "active_citizens",
    "new_registrations",
    "ended_registrations",
    "child_days",
)


def monthly_table(months: pd.DataFrame, total: pd.Series, as_of: dt.date) -> pd.DataFrame:
    """Return the activity per month with a last row for the whole period.

    ``months`` is ``figures.monthly_series`` (the months so far), ``total`` the period's key
    figures row. Months are named in Danish, a partial one with its days (``dec 2025 (1
    dag)``). New, ended and child-days of the whole period are the months' sums; active
    registrations and children are counted once over the period (one runs many months).
    """
    from slcore.charts import month_name, partial_months

    partial = partial_months(months, as_of)
    table = months[list(MONTH_TABLE_COLUMNS)].copy()
    table["month"] = [month_name(pd.Timestamp(m).date(), partial) for m in table["month"]]
    whole = {
        "month": WHOLE_PERIOD,
        "active_registrations": total["active_registrations"],
        "active_citizens": total["active_citizens"],
        "new_registrations": total["new_registrations"],
        "ended_registrations": total["ended_registrations"],
        "child_days": int(table["child_days"].sum()),
    }
    return pd.concat([table, pd.DataFrame([whole])], ignore_index=True)


def ladder_table(mix: pd.DataFrame) -> pd.DataFrame:
    """Return ``ladder_mix`` for a table: months and steps in Danish."""
    table = mix.copy()
    table["month"] = [fmt.month_label(pd.Timestamp(m).date()) for m in table["month"]]
    table["ladder_step"] = table["ladder_step"].map(ladder_step)
    return table
