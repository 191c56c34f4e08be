"""Every figure of metrics.md, computed once, in DuckDB SQL.

The building blocks are SQL fragments:

- ``ENRICHED_SQL``: each current registration with its prepared facts (``slcore.facts``: daily
  cost, age, age band, category, ladder step, frame and checks) and its frame status as of
  ``$as_of`` (the duration check needs the as-of date).
- ``measures_sql(from, to)``: per registration, what it contributes to an interval
  [from, to] as of ``$as_of``: active, new, ended, realised and committed spend.

Key figures and monthly series both build on them, so the months of a period add up to the
period's key figures by construction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from slcore import cache, facts, periods, sql
from slcore.access import AccessDenied
from slcore.periods import Period
from slcore.store import Store

GROUP_COLUMNS = ("intervention_type", "age_band", "team")
AGE_BANDS = ("0-5", "6-11", "12-17", "18-22", "23+", "ukendt")
STATUSES = ("within_frame", "approved_exception", "unapproved_deviation", "no_frame")
REASONS = ("age", "extent", "duration", "price")
UNKNOWN_TEAM = sql.UNKNOWN_GROUP
# The enriched column behind each grouping (an empty team is grouped as "(ukendt)").
GROUP_SQL = {"intervention_type": "intervention_type", "age_band": "age_band", "team": "team_group"}
# The series (monthly figures, activity, economy) can also be split by category and ladder step.
SERIES_SQL = {**GROUP_SQL, "category": "category", "ladder_step": "ladder_step"}

FIGURE_COLUMNS = (
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


@dataclass(frozen=True)
class Filters:
    """Which registrations a figure covers; an empty tuple means all."""

    intervention_types: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    age_bands: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()

    @property
    def budget_applies(self) -> bool:
        """Return whether a budget can be compared: budgets exist per type only."""
        return not self.age_bands and not self.teams


# --- SQL building blocks -------------------------------------------------------------------

# The per-registration facts (daily cost, age, band, frame, checks) are prepared in the store
# by slcore.facts; the rules live there. What needs the as-of date is completed here: the
# duration check and the status (metrics.md).
ENRICHED_SQL = f"""
enriched AS (
    SELECT r.*,
        {facts.duration_check_sql("r", "r.frame_last_day")} AS fail_duration,
        CASE
            WHEN r.frame_valid_from IS NULL THEN 'no_frame'
            WHEN r.fail_age OR r.fail_extent OR r.fail_price
                OR {facts.duration_check_sql("r", "r.frame_last_day")} THEN
                CASE WHEN coalesce(r.committee_approved, false)
                    THEN 'approved_exception' ELSE 'unapproved_deviation' END
            ELSE 'within_frame'
        END AS status
    FROM registrations r
)"""


def measures_sql(start: str, end: str) -> str:
    """Return per-registration measures for the interval [start, end] as of ``$as_of``.

    ``start`` and ``end`` are SQL expressions (parameters or columns). ``e`` is the enriched row.
    """
    last_past = f"least({end}, $as_of)"
    first_future = f"greatest({start}, $as_of + 1)"
    past_days = sql.days_sql(
        f"greatest(e.start_date, {start})", f"least(coalesce(e.end_date, {last_past}), {last_past})"
    )
    future_days = sql.days_sql(
        f"greatest(e.start_date, {first_future})", f"least(coalesce(e.end_date, {end}), {end})"
    )
    is_once = "e.cost_period = 'once'"
    return f"""
        {past_days} > 0 AS active,
        {past_days} AS past_days,
        e.start_date BETWEEN {start} AND {last_past} AS is_new,
        coalesce(e.end_date BETWEEN {start} AND {last_past}, false) AS is_ended,
        e.daily_cost * {past_days}
            + CASE WHEN {is_once} AND e.start_date BETWEEN {start} AND {last_past}
                   THEN e.cost_amount ELSE 0 END AS realized,
        e.daily_cost * {future_days}
            + CASE WHEN {is_once} AND e.start_date BETWEEN {first_future} AND {end}
                   THEN e.cost_amount ELSE 0 END AS committed"""


def filter_sql(
    store: Store, filters: Filters, alias: str = "e", *, in_period: bool = False
) -> tuple[str, dict[str, object]]:
    """Return a WHERE condition (``TRUE`` when none) and its parameters.

    Every query of registrations filters here, so the person's team scope (``store.access``,
    access.md) is applied here, once: a team leader's figures cover their teams whatever the
    filters ask. ``in_period`` also keeps only registrations running in ``$p_from``..``$p_to``:
    no other can count in the period, and filtering first spares the measures the rest of
    the history.
    """
    if store.access.published:
        # A politician's figures come only through slcore.published, under the small-number
        # rule; a plain query for them is refused here, where every query passes.
        raise AccessDenied(
            "Som politiker ser du tallene under reglen om små tal; denne opgørelse vises ikke."
        )
    if filters.teams:
        store.access.require_detail()
    conds: list[str] = [sql.runs_in_sql(alias, "$p_from", "$p_to")] if in_period else []
    params: dict[str, object] = {}
    scope = store.access.scope
    if scope is not None:
        conds.append(f"{alias}.team_group IN (SELECT unnest($scope_teams::VARCHAR[]))")
        params["scope_teams"] = list(scope)
    pairs = (
        ("intervention_type", filters.intervention_types),
        ("category", filters.categories),
        ("age_band", filters.age_bands),
        ("team_group", filters.teams),
    )
    for column, values in pairs:
        if values:
            conds.append(f"{alias}.{column} IN (SELECT unnest(${column}_f))")
            params[f"{column}_f"] = list(values)
    return (" AND ".join(conds) or "TRUE"), params


def budget_applies(store: Store, filters: Filters) -> bool:
    """Return whether a budget can be compared: per type only, so not for a team's figures."""
    return filters.budget_applies and store.access.scope is None


def budget_filter_sql(filters: Filters) -> tuple[str, dict[str, object]]:
    """Return the condition on budgets (alias ``bu``, joined to types ``t``) for the filters."""
    conds: list[str] = []
    params: dict[str, object] = {}
    if filters.intervention_types:
        conds.append("bu.intervention_type IN (SELECT unnest($intervention_type_f))")
        params["intervention_type_f"] = list(filters.intervention_types)
    if filters.categories:
        conds.append("t.category IN (SELECT unnest($category_f))")
        params["category_f"] = list(filters.categories)
    return (" AND ".join(conds) or "TRUE"), params


def budget_share_sql(start: str, end: str) -> str:
    """Return the budget's share for [start, end] (metrics.md: days of P in Y / days in Y)."""
    y_start = "make_date(bu.year, 1, 1)"
    y_end = "make_date(bu.year, 12, 31)"
    in_p = sql.days_sql(f"greatest({start}, {y_start})", f"least({end}, {y_end})")
    return f"bu.budget_dkk * {in_p} / (date_diff('day', {y_start}, {y_end}) + 1)"


# --- Key figures ---------------------------------------------------------------------------


def _check_by(by: Sequence[str]) -> tuple[str, ...]:
    unknown = [c for c in by if c not in GROUP_COLUMNS]
    if unknown:
        raise ValueError(f"Ukendt gruppering: {', '.join(unknown)}")
    # metrics.md: in the order intervention_type, age_band, team whatever order was asked.
    return tuple(c for c in GROUP_COLUMNS if c in by)


@cache.cached
def key_figures(
    store: Store,
    period: Period,
    by: Sequence[str] = (),
    filters: Filters = Filters(),
    *,
    missing_budget_empty: bool = False,
) -> pd.DataFrame:
    """Return the key figures table (metrics.md) for a period, grouped by ``by``.

    A type without a budget row for the period's years has, in the table of metrics.md (the
    command line and the sample figures), the budget 0 and its whole spend as deviation. The
    pages pass ``missing_budget_empty``: such a type's budget and deviation are then empty,
    and so are the total's when no type has a budget. The total's budget is the sum of the
    budgets that exist either way, and its deviation all projected spend against it.
    """
    by = _check_by(by)
    if "team" in by:
        store.access.require_detail()
    # No budget row: empty for the pages, 0 in the table metrics.md defines.
    no_budget = "NULL" if missing_budget_empty else "0"
    where, params = filter_sql(store, filters, in_period=True)
    params.update(sql.period_params(period))
    group_exprs = {c: f"m.{sql.quote_ident(GROUP_SQL[c], GROUP_SQL.values())}" for c in by}
    sel_groups = ", ".join(f"{group_exprs[c]} AS {sql.quote_ident(c, GROUP_COLUMNS)}" for c in by)
    group_by = f"GROUP BY {', '.join(group_exprs[c] for c in by)}" if by else ""
    with_budget = by in ((), ("intervention_type",)) and budget_applies(store, filters)

    agg_sql = f"""
        SELECT {sel_groups + "," if by else ""}
            count(*) FILTER (WHERE m.active) AS active_registrations,
            count(DISTINCT m.citizen_id) FILTER (WHERE m.active) AS active_citizens,
            count(*) FILTER (WHERE m.is_new) AS new_registrations,
            count(*) FILTER (WHERE m.is_ended) AS ended_registrations,
            coalesce(sum(m.realized), 0) AS realized_spend_dkk,
            coalesce(sum(m.committed), 0) AS committed_spend_dkk,
            count(*) FILTER (WHERE m.active AND m.status = 'within_frame') AS within_frame,
            count(*) FILTER (WHERE m.active AND m.status = 'approved_exception')
                AS approved_exceptions,
            count(*) FILTER (WHERE m.active AND m.status = 'unapproved_deviation')
                AS unapproved_deviations,
            count(*) FILTER (WHERE m.active AND m.status = 'no_frame') AS no_frame,
            median(date_diff('day', m.start_date, m.end_date) + 1) FILTER (WHERE m.is_ended)
                AS median_duration_days
        FROM measured m
        {group_by}
    """
    # Only registrations that touch P count: active ones, and planned ones with spend in P.
    measured = f"""
        measured AS (
            SELECT * FROM (
                SELECT e.*, {measures_sql("$p_from", "$p_to")}
                FROM enriched e
                WHERE {where})
            WHERE {sql.touches_period_sql()}
        )
    """
    if not with_budget:
        query = f"WITH {ENRICHED_SQL}, {measured}, agg AS ({agg_sql}) SELECT * FROM agg"
        df = store.df(query, params)
        df["budget_dkk"] = None
    else:
        b_where, b_params = budget_filter_sql(filters)
        params.update(b_params)
        budget_sql = f"""
            SELECT bu.intervention_type, sum({budget_share_sql("$p_from", "$p_to")}) AS budget_dkk
            FROM budgets bu LEFT JOIN intervention_types t ON t.code = bu.intervention_type
            WHERE bu.year BETWEEN year($p_from) AND year($p_to) AND {b_where}
            GROUP BY bu.intervention_type
        """
        if by:
            query = f"""
                WITH {ENRICHED_SQL}, {measured}, agg AS ({agg_sql}), bud AS ({budget_sql})
                SELECT coalesce(agg.intervention_type, bud.intervention_type) AS intervention_type,
                    agg.* EXCLUDE (intervention_type),
                    coalesce(bud.budget_dkk, {no_budget}) AS budget_dkk
                FROM agg FULL OUTER JOIN bud USING (intervention_type)
            """
        else:
            query = f"""
                WITH {ENRICHED_SQL}, {measured}, agg AS ({agg_sql}), bud AS ({budget_sql})
                SELECT agg.*,
                    (SELECT coalesce(sum(budget_dkk), {no_budget}) FROM bud) AS budget_dkk
                FROM agg
            """
        df = store.df(query, params)
    return _finish_key_figures(df, by, with_budget)


def _finish_key_figures(df: pd.DataFrame, by: tuple[str, ...], with_budget: bool) -> pd.DataFrame:
    counts = [
        "active_registrations",
        "active_citizens",
        "new_registrations",
        "ended_registrations",
        "within_frame",
        "approved_exceptions",
        "unapproved_deviations",
        "no_frame",
    ]
    for c in counts:
        df[c] = df[c].fillna(0).astype("int64")
    for c in ("realized_spend_dkk", "committed_spend_dkk"):
        df[c] = df[c].fillna(0.0).astype("float64")
    df["projected_spend_dkk"] = df["realized_spend_dkk"] + df["committed_spend_dkk"]
    if with_budget:
        df["budget_dkk"] = df["budget_dkk"].astype("float64")
        df["budget_deviation_dkk"] = df["projected_spend_dkk"] - df["budget_dkk"]
    else:
        df["budget_dkk"] = pd.Series([None] * len(df), dtype="float64")
        df["budget_deviation_dkk"] = pd.Series([None] * len(df), dtype="float64")
    df["median_duration_days"] = df["median_duration_days"].astype("float64")
    df = df[list(by) + list(FIGURE_COLUMNS)]
    if by:
        df = sort_groups(df, by)
    return df.reset_index(drop=True)


def sort_groups(df: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Sort rows by group columns, age bands in their natural order."""
    keys: list[pd.Series] = []
    for c in by:
        if c == "age_band":
            keys.append(df[c].map({b: i for i, b in enumerate(AGE_BANDS)}).fillna(99))
        else:
            keys.append(df[c].astype(str))
    order = (
        pd.DataFrame({f"k{i}": k for i, k in enumerate(keys)})
        .sort_values([f"k{i}" for i in range(len(keys))], kind="stable")
        .index
    )
    return df.loc[order]


def within_frame_share(row: pd.Series | dict[str, object]) -> float | None:
    """Return within_frame / (active_registrations - no_frame), or None when undefined."""

    def count(name: str) -> int:
        return int(row[name])  # type: ignore[arg-type]  # a count from DuckDB

    denominator = count("active_registrations") - count("no_frame")
    return count("within_frame") / denominator if denominator > 0 else None


# --- Monthly series ------------------------------------------------------------------------


# What measures_sql needs of a registration.
MEASURED_COLUMNS = ("start_date", "end_date", "daily_cost", "cost_period", "cost_amount")


def month_rows_sql(where: str, columns: Sequence[str] = ()) -> str:
    """Return a CTE ``month_rows``: each enriched row matching ``where`` once per month it runs in.

    Needs ``MONTHS_SQL`` before it. A row has the month (``month``, ``month_start``,
    ``month_end``: cut to the period), ``MEASURED_COLUMNS`` and ``columns`` (enriched columns,
    a whitelist), so only what is needed is repeated per month. The join's conditions are
    plain ranges (an open end compared as ``$p_to``, the same for every month of the period),
    so DuckDB merges instead of testing every pair of registration and month.
    """
    cols = ", ".join(f"e.{c}" for c in dict.fromkeys([*MEASURED_COLUMNS, *columns]))
    return f"""
    month_rows AS (
        SELECT {cols}, mo.month, mo.month_start, mo.month_end
        FROM enriched e
        JOIN months mo
            ON e.start_date <= mo.month_end AND coalesce(e.end_date, $p_to) >= mo.month_start
        WHERE {where}
    )"""


# The months of the period $p_from..$p_to, each cut to the period.
MONTHS_SQL = """
    months AS (
        SELECT m::DATE AS month,
            greatest(m::DATE, $p_from) AS month_start,
            least((m + INTERVAL 1 MONTH)::DATE - 1, $p_to) AS month_end
        FROM generate_series(date_trunc('month', $p_from)::TIMESTAMP,
                             $p_to::TIMESTAMP, INTERVAL 1 MONTH) AS g(m)
    )"""


@cache.cached
def monthly_series(
    store: Store,
    period: Period,
    filters: Filters = Filters(),
    by: str | None = None,
) -> pd.DataFrame:
    """Return the figures of each month of the period (and of each ``by`` group).

    Each month is cut to the period and measured exactly like a key figures period, so new and
    ended registrations, child-days and spend add up over the months to the period's key
    figures. Active registrations and citizens do not add up: one runs through many months.
    Columns: month (first day), month_start, month_end, [by], active_registrations,
    active_citizens, new_registrations, ended_registrations, child_days, realized, committed.
    Every month appears; a group appears in the months where it has activity or spend.
    """
    if by is not None and by not in SERIES_SQL:
        raise ValueError(f"Ukendt gruppering: {by}")
    where, params = filter_sql(store, filters, in_period=True)
    params.update(sql.period_params(period))
    column = sql.quote_ident(SERIES_SQL[by], SERIES_SQL.values()) if by else ""
    name = sql.quote_ident(by, SERIES_SQL) if by else ""
    sel_group = f", e.{column} AS {name}" if by else ""  # a whitelisted column, quoted
    grp = f", {name}" if by else ""
    s_grp = f", s.{name}" if by else ""
    query = f"""
        WITH {ENRICHED_SQL}, {MONTHS_SQL},
        {month_rows_sql(where, ["citizen_id", *([SERIES_SQL[by]] if by else [])])},
        measured AS (
            SELECT e.month, e.citizen_id {sel_group},
                {measures_sql("e.month_start", "e.month_end")}
            FROM month_rows e
        ),
        agg AS (
            SELECT month {grp},
                count(*) FILTER (WHERE active) AS active_registrations,
                count(DISTINCT citizen_id) FILTER (WHERE active) AS active_citizens,
                count(*) FILTER (WHERE is_new) AS new_registrations,
                count(*) FILTER (WHERE is_ended) AS ended_registrations,
                sum(past_days) AS child_days,
                sum(realized) AS realized,
                sum(committed) AS committed
            FROM measured
            WHERE {sql.touches_period_sql()}
            GROUP BY ALL
        )
        SELECT mo.month, mo.month_start, mo.month_end {s_grp},
            coalesce(s.active_registrations, 0) AS active_registrations,
            coalesce(s.active_citizens, 0) AS active_citizens,
            coalesce(s.new_registrations, 0) AS new_registrations,
            coalesce(s.ended_registrations, 0) AS ended_registrations,
            coalesce(s.child_days, 0) AS child_days,
            coalesce(s.realized, 0) AS realized,
            coalesce(s.committed, 0) AS committed
        FROM months mo
        LEFT JOIN agg s USING (month)
        ORDER BY mo.month {s_grp} NULLS LAST
    """
    df = store.df(query, params)
    counts = ["active_registrations", "active_citizens", "new_registrations"]
    for c in [*counts, "ended_registrations", "child_days"]:
        df[c] = df[c].astype("int64")
    return df


@cache.cached
def monthly_spend(
    store: Store,
    period: Period,
    filters: Filters = Filters(),
    by: str | None = None,
) -> pd.DataFrame:
    """Return realised and committed spend per month of the period (and per ``by`` group).

    The months are cut to the period, so they add up to the period's key figures.
    Columns: month (first day), month_start, month_end, [by], realized, committed, and
    without ``by`` the month's budget: empty (NaN) when no budget row covers the month's year
    or the filters rule budgets out, so no month shows a budget of 0 kr. that was never set.
    """
    df = monthly_series(store, period, filters, by)
    df = df[["month", "month_start", "month_end", *([by] if by else []), "realized", "committed"]]
    df = df.copy()
    if by is None:
        df["budget"] = _monthly_budget(store, period, filters, df)
    return df


def _monthly_budget(
    store: Store, period: Period, filters: Filters, months: pd.DataFrame
) -> pd.Series:
    """Return each month's budget, NaN where no budget row covers it (see monthly_spend)."""
    if not budget_applies(store, filters):
        return pd.Series([float("nan")] * len(months), index=months.index, dtype="float64")
    b_where, params = budget_filter_sql(filters)
    params.update({"p_from": period.start, "p_to": period.end})
    # sum() over no joined budget row is NULL: the month has no budget, not one of 0 kr.
    query = f"""
        WITH {MONTHS_SQL}
        SELECT mo.month_start, sum({budget_share_sql("mo.month_start", "mo.month_end")})
        FROM months mo
        LEFT JOIN (budgets bu LEFT JOIN intervention_types t ON t.code = bu.intervention_type)
            ON bu.year = year(mo.month_start) AND {b_where}
        GROUP BY mo.month_start ORDER BY mo.month_start
    """
    rows = dict(store.cursor().execute(query, params).fetchall())
    values = [rows.get(d.date() if hasattr(d, "date") else d) for d in months["month_start"]]
    return pd.Series(
        [float("nan") if v is None else float(v) for v in values],
        index=months.index,
        dtype="float64",
    )


# --- Small helpers the pages and CLI share -------------------------------------------------


def default_as_of(store: Store) -> dt.date:
    """Return the default as-of date: the data date of the newest live import, else today."""
    day = store.scalar(
        """SELECT data_as_of FROM import_batches
           WHERE undone_at IS NULL AND data_as_of IS NOT NULL
           ORDER BY batch_id DESC LIMIT 1"""
    )
    return day if day is not None else periods.today()


@cache.cached
def teams(store: Store) -> list[str]:
    """Return the teams in the current registrations (the person's), ``(ukendt)`` for none."""
    store.access.require_detail()
    where, params = filter_sql(store, Filters())
    rows = (
        store.cursor()
        .execute(
            f"""SELECT DISTINCT team_group AS t FROM registrations e
            WHERE {where} ORDER BY t""",
            params,
        )
        .fetchall()
    )
    return [r[0] for r in rows]


@cache.cached
def budget_total(
    store: Store, start: dt.date, end: dt.date, filters: Filters = Filters()
) -> float | None:
    """Return the budget for [start, end] (metrics.md); None when there is none to compare with.

    None when no budget row covers the interval's years for the filtered types (not 0 kr.,
    which would read as a budget), or when the filters rule budgets out (age or team).
    """
    if not budget_applies(store, filters):
        return None
    if end < start:
        return 0.0
    b_where, params = budget_filter_sql(filters)
    params.update({"p_from": start, "p_to": end})
    budget = store.scalar(
        f"""SELECT sum({budget_share_sql("$p_from", "$p_to")})
            FROM budgets bu LEFT JOIN intervention_types t ON t.code = bu.intervention_type
            WHERE bu.year BETWEEN year($p_from) AND year($p_to) AND {b_where}""",
        params,
    )
    return None if budget is None else float(budget)


@dataclass(frozen=True)
class DataStatus:
    """How fresh the data are: shown on every page."""

    registrations: int
    as_of: dt.date
    last_import_at: dt.datetime | None
    last_import_file: str | None
    is_demo: bool


def data_status(store: Store) -> DataStatus:
    """Return the number of registrations, default as-of date and the newest live import."""
    cur = store.cursor()
    row = cur.execute(
        """SELECT imported_at, file_name FROM import_batches WHERE undone_at IS NULL
           ORDER BY batch_id DESC LIMIT 1"""
    ).fetchone()
    return DataStatus(
        registrations=store.registration_count(),
        as_of=default_as_of(store),
        last_import_at=row[0] if row else None,
        last_import_file=row[1] if row else None,
        is_demo=store.is_demo(),
    )


def months_so_far(months: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Return the rows of a monthly table up to the as-of date (later months have no activity).

    ``months`` is ``monthly_series`` or ``monthly_spend`` (``month_start`` a timestamp).
    """
    shown: pd.DataFrame = months[months["month_start"].dt.date <= as_of]
    return shown.reset_index(drop=True)


def with_within_frame_share(table: pd.DataFrame) -> pd.DataFrame:
    """Return a key figures table with each row's ``within_frame_share``."""
    out = table.copy()
    out["within_frame_share"] = [within_frame_share(r) for _, r in out.iterrows()]
    return out


def without_zero(table: pd.DataFrame, figure: str) -> pd.DataFrame:
    """Return the rows of a table whose figure is not 0 (the groups with something to show)."""
    return table[table[figure] != 0]
