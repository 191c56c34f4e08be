"""Is the service level the frame for practice? Status, reasons, committee lists, what-if.

Everything builds on ``figures.ENRICHED_SQL`` (status and failed checks per registration) and
``figures.measures_sql`` (activity and spend in the period), so the status counts here equal
the key figures table's by construction.

The amount outside the frame of a registration in a period (spend in P, realised + committed):

- age outside the target group: the whole amount (the allocation is not for this group);
- otherwise the days after the frame's last day (duration) in full, and on the other days the
  share of the price above the frame's price or of the extent above the frame's extent,
  whichever is larger.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from slcore import audit, cache, sql
from slcore.facts import frame_checks_sql
from slcore.figures import ENRICHED_SQL, REASONS, Filters, filter_sql, measures_sql
from slcore.labels import REASONS as REASONS_DA
from slcore.labels import STATUSES as STATUSES_DA
from slcore.labels import WHATIF_ROWS, YES_NO
from slcore.periods import Period
from slcore.store import Store

# The reasons' and statuses' Danish words: ``labels``.
REASON_LABELS = REASONS_DA
STATUS_LABELS = STATUSES_DA


def outside_amount_sql(
    fail: dict[str, str], last_day: str, max_extent: str, max_monthly_cost: str
) -> str:
    """Return SQL for the spend in [$p_from, $p_to] that lies outside the frame (module doc).

    ``e`` is a registration with its measures (realized, committed) for the period.
    """
    in_p = sql.days_sql(
        "greatest(e.start_date, $p_from)", "least(coalesce(e.end_date, $p_to), $p_to)"
    )
    beyond = (
        f"CASE WHEN {fail['duration']} THEN "
        + sql.days_sql(
            f"greatest(e.start_date, {last_day} + 1, $p_from)",
            "least(coalesce(e.end_date, $p_to), $p_to)",
        )
        + " ELSE 0 END"
    )
    price_share = (
        f"CASE WHEN {fail['price']} THEN 1 - {max_monthly_cost} / "
        f"{sql.monthly_cost_sql('e.daily_cost')} ELSE 0 END"
    )
    extent_share = f"CASE WHEN {fail['extent']} THEN 1 - {max_extent} / e.extent ELSE 0 END"
    return f"""CASE
        WHEN {fail["age"]} THEN e.realized + e.committed
        ELSE e.daily_cost * ({beyond})
            + e.daily_cost * ({in_p} - ({beyond})) * greatest({price_share}, {extent_share})
    END"""


def _current_outside_sql() -> str:
    fail = {r: f"e.fail_{r}" for r in REASONS}
    return outside_amount_sql(
        fail, "e.frame_last_day", "e.frame_max_extent", "e.frame_max_monthly_cost"
    )


def _reasons_sql(prefix: str = "e.fail_") -> str:
    """SQL for the failed checks as a Danish list, e.g. 'varighed, pris'."""
    parts = ", ".join(
        f"CASE WHEN {prefix}{r} THEN {sql.literal(REASON_LABELS[r])} END" for r in REASONS
    )
    return f"concat_ws(', ', {parts})"


def _active_sql(
    store: Store, filters: Filters, extra_select: str = ""
) -> tuple[str, dict[str, object]]:
    """SQL selecting the registrations active in P, with status, measures and outside amount."""
    where, params = filter_sql(store, filters, in_period=True)
    query = f"""
        WITH {ENRICHED_SQL},
        measured AS (
            SELECT e.*, {measures_sql("$p_from", "$p_to")}
            FROM enriched e WHERE {where}
        ),
        active AS (
            SELECT e.*, {_reasons_sql()} AS reasons,
                {_current_outside_sql()} AS outside_dkk
                {extra_select}
            FROM measured e WHERE e.active
        )"""
    return query, params


@cache.cached
def status_by_type(store: Store, period: Period, filters: Filters = Filters()) -> pd.DataFrame:
    """Return per type the active registrations by status and the within-frame share."""
    query, params = _active_sql(store, filters)
    return store.df(
        f"""{query}
        SELECT intervention_type,
            count(*) AS active_registrations,
            count(*) FILTER (WHERE status = 'within_frame') AS within_frame,
            count(*) FILTER (WHERE status = 'approved_exception') AS approved_exceptions,
            count(*) FILTER (WHERE status = 'unapproved_deviation') AS unapproved_deviations,
            count(*) FILTER (WHERE status = 'no_frame') AS no_frame,
            count(*) FILTER (WHERE status = 'within_frame')
                / nullif(count(*) FILTER (WHERE status <> 'no_frame'), 0) AS within_frame_share,
            sum(outside_dkk) AS outside_dkk
        FROM active GROUP BY intervention_type ORDER BY intervention_type""",
        params | sql.period_params(period),
    )


@cache.cached
def reason_counts(store: Store, period: Period, filters: Filters = Filters()) -> pd.DataFrame:
    """Return per type and reason how many active registrations fail that check, by approval."""
    query, params = _active_sql(store, filters)
    unions = " UNION ALL ".join(
        f"SELECT intervention_type, {sql.literal(REASON_LABELS[r])} AS reason, status FROM active "
        f"WHERE fail_{r} AND status <> 'no_frame'"
        for r in REASONS
    )
    return store.df(
        f"""{query}, per_reason AS ({unions})
        SELECT intervention_type, reason,
            count(*) FILTER (WHERE status = 'approved_exception') AS approved_exceptions,
            count(*) FILTER (WHERE status = 'unapproved_deviation') AS unapproved_deviations
        FROM per_reason GROUP BY ALL ORDER BY intervention_type, reason""",
        params | sql.period_params(period),
    )


@cache.cached
def reason_combinations(store: Store, period: Period, filters: Filters = Filters()) -> pd.DataFrame:
    """Return how often each combination of failed checks occurs, by approval."""
    query, params = _active_sql(store, filters)
    return store.df(
        f"""{query}
        SELECT reasons,
            count(*) FILTER (WHERE status = 'approved_exception') AS approved_exceptions,
            count(*) FILTER (WHERE status = 'unapproved_deviation') AS unapproved_deviations,
            count(*) AS total, sum(outside_dkk) AS outside_dkk
        FROM active WHERE status IN ('approved_exception', 'unapproved_deviation')
        GROUP BY reasons ORDER BY total DESC, reasons""",
        params | sql.period_params(period),
    )


@cache.cached
def status_by_type_age(store: Store, period: Period, filters: Filters = Filters()) -> pd.DataFrame:
    """Return per type and age band the registrations with a frame and the share outside it."""
    query, params = _active_sql(store, filters)
    return store.df(
        f"""{query}
        SELECT intervention_type, age_band,
            count(*) FILTER (WHERE status <> 'no_frame') AS with_frame,
            count(*) FILTER (WHERE status IN ('approved_exception', 'unapproved_deviation'))
                AS outside,
            outside / nullif(with_frame, 0) AS outside_share
        FROM active GROUP BY ALL ORDER BY intervention_type, age_band""",
        params | sql.period_params(period),
    )


@cache.cached
def trend_by_start_month(
    store: Store, period: Period, filters: Filters = Filters()
) -> pd.DataFrame:
    """Return per start month (registrations started in P up to the as-of date) the statuses."""
    where, params = filter_sql(store, filters)
    return store.df(
        f"""WITH {ENRICHED_SQL}
        SELECT date_trunc('month', e.start_date)::DATE AS month,
            count(*) AS started,
            count(*) FILTER (WHERE status = 'within_frame') AS within_frame,
            count(*) FILTER (WHERE status = 'approved_exception') AS approved_exceptions,
            count(*) FILTER (WHERE status = 'unapproved_deviation') AS unapproved_deviations,
            count(*) FILTER (WHERE status = 'no_frame') AS no_frame
        FROM enriched e
        WHERE e.start_date BETWEEN $p_from AND least($p_to, $as_of) AND {where}
        GROUP BY month ORDER BY month""",
        params | sql.period_params(period),
    )


@cache.cached
def limit_points(
    store: Store, period: Period, intervention_type: str, measure: str, filters: Filters = Filters()
) -> pd.DataFrame:
    """Return each active registration of a type with its duration or price and its limit.

    ``measure`` is 'duration' (months so far, or planned when an end is registered) or 'price'
    (kr. a month). Rows are one type's registrations, for a chart of each against its limit.
    """
    store.access.require_detail()  # one point per allocation
    if measure not in ("duration", "price"):
        raise ValueError(f"Ukendt mål: {measure}")
    value, limit = {
        "duration": (
            sql.months_sql("date_diff('day', start_date, coalesce(end_date, $as_of))"),
            "frame_max_duration_months",
        ),
        "price": (
            "CASE WHEN cost_period <> 'once' THEN monthly_cost END",
            "frame_max_monthly_cost",
        ),
    }[measure]
    f = Filters(
        intervention_types=(intervention_type,),
        categories=filters.categories,
        age_bands=filters.age_bands,
        teams=filters.teams,
    )
    query, params = _active_sql(store, f)
    return store.df(
        f"""{query}
        SELECT registration_id, citizen_id, start_date, status,
            {value} AS value, {limit} AS limit_value
        FROM active WHERE {value} IS NOT NULL
        ORDER BY value""",
        params | sql.period_params(period),
    )


@audit.allocation_level("Visitationsudvalget: ikke-godkendte afvigelser")
@cache.cached
def committee_deviations(
    store: Store, period: Period, filters: Filters = Filters()
) -> pd.DataFrame:
    """Return the unapproved deviations active in P, largest amount outside the frame first."""
    query, params = _active_sql(store, filters)
    return store.df(
        f"""{query}
        SELECT registration_id, citizen_id, intervention_type,
            {sql.unknown_group_sql("team")} AS team, caseworker,
            start_date, end_date, reasons, outside_dkk
        FROM active WHERE status = 'unapproved_deviation'
        ORDER BY outside_dkk DESC, registration_id""",
        params | sql.period_params(period),
    )


@audit.allocation_level("Visitationsudvalget: udløber snart")
@cache.cached
def committee_expiring(
    store: Store, as_of: dt.date, days: int = 60, filters: Filters = Filters()
) -> pd.DataFrame:
    """Return allocations running on the as-of date that pass their frame's max duration within
    ``days`` days (and run on past it), so they can be re-assessed before, not after."""
    if days < 0:
        raise ValueError("Antal dage skal være 0 eller derover.")
    where, params = filter_sql(store, filters)
    params.update({"as_of": as_of, "horizon": as_of + dt.timedelta(days=days)})
    return store.df(
        f"""WITH {ENRICHED_SQL}
        SELECT e.registration_id, e.citizen_id, e.intervention_type,
            {sql.unknown_group_sql("e.team")} AS team, e.caseworker,
            e.start_date, e.end_date, e.frame_last_day,
            date_diff('day', $as_of, e.frame_last_day) AS days_left,
            e.frame_max_duration_months, e.committee_approved,
            {_reasons_sql()} AS reasons_now
        FROM enriched e
        WHERE {where}
            AND e.start_date <= $as_of AND coalesce(e.end_date, DATE '9999-12-31') >= $as_of
            AND e.frame_last_day BETWEEN $as_of AND $horizon
            AND coalesce(e.end_date, DATE '9999-12-31') > e.frame_last_day
        ORDER BY e.frame_last_day, e.registration_id""",
        params,
    )


# --- What-if -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """A sandbox frame's limits for one type; None means no limit."""

    age_min: int | None = None
    age_max: int | None = None
    max_extent: float | None = None
    extent_unit: str | None = None
    max_duration_months: int | None = None
    max_monthly_cost: float | None = None


@cache.cached
def whatif(
    store: Store,
    period: Period,
    intervention_type: str,
    limits: Limits,
    filters: Filters = Filters(),
) -> pd.DataFrame:
    """Return, for one type's registrations active in P, today's frame against a sandbox frame.

    Two rows ('today', 'sandbox'): registrations judged, outside the frame, per reason, and the
    spend in P outside the frame. Nothing is saved.
    """
    sb = {
        "age_min": "$sb_age_min::INTEGER",
        "age_max": "$sb_age_max::INTEGER",
        "max_extent": "$sb_max_extent::DOUBLE",
        "extent_unit": "$sb_extent_unit::VARCHAR",
        "max_duration_months": "$sb_max_duration_months::INTEGER",
        "max_monthly_cost": "$sb_max_monthly_cost::DOUBLE",
    }
    fail = frame_checks_sql(
        "e",
        sb["age_min"],
        sb["age_max"],
        sb["max_extent"],
        sb["extent_unit"],
        sb["max_duration_months"],
        sb["max_monthly_cost"],
    )
    last_day = sql.frame_last_day_sql("e.start_date", sb["max_duration_months"])
    outside = outside_amount_sql(fail, last_day, sb["max_extent"], sb["max_monthly_cost"])
    extra = ", " + ", ".join(f"{check} AS sb_fail_{r}" for r, check in fail.items())
    extra += f", {outside} AS sb_outside_dkk"
    f = Filters(
        intervention_types=(intervention_type,),
        categories=filters.categories,
        age_bands=filters.age_bands,
        teams=filters.teams,
    )
    query, params = _active_sql(store, f, extra_select=extra)
    params.update({f"sb_{k}": getattr(limits, k) for k in sb})
    today = ", ".join(
        f"count(*) FILTER (WHERE status <> 'no_frame' AND fail_{r}) AS {r}" for r in REASONS
    )
    sandbox = ", ".join(f"count(*) FILTER (WHERE sb_fail_{r}) AS {r}" for r in REASONS)
    any_sb = " OR ".join(f"sb_fail_{r}" for r in REASONS)
    return store.df(
        f"""{query}
        SELECT 'today' AS scenario,
            count(*) FILTER (WHERE status <> 'no_frame') AS judged,
            count(*) FILTER (WHERE status IN ('approved_exception', 'unapproved_deviation'))
                AS outside,
            {today},
            coalesce(sum(outside_dkk) FILTER (WHERE status <> 'no_frame'), 0) AS outside_dkk
        FROM active
        UNION ALL
        SELECT 'sandbox', count(*), count(*) FILTER (WHERE {any_sb}), {sandbox},
            coalesce(sum(sb_outside_dkk), 0)
        FROM active""",
        params | sql.period_params(period),
    )


# --- For the pages: totals, the types with a frame, the what-if and committee tables -------

STATUS_COUNT_COLUMNS = (
    "active_registrations",
    "within_frame",
    "approved_exceptions",
    "unapproved_deviations",
    "no_frame",
)


def status_totals(status: pd.DataFrame) -> pd.Series:
    """Return the status counts of ``status_by_type`` summed over the types."""
    return status[list(STATUS_COUNT_COLUMNS)].sum()


def framed_types(status: pd.DataFrame) -> list[str]:
    """Return the types of ``status_by_type`` with an active registration that has a frame."""
    framed = status["no_frame"] < status["active_registrations"]
    return list(status.loc[framed, "intervention_type"])


def whatif_table(result: pd.DataFrame) -> pd.DataFrame:
    """Return ``whatif``'s two rows for a table: today's frame and the new one, named."""
    table = result.drop(columns="scenario").copy()
    table.insert(0, "frame", list(WHATIF_ROWS[: len(table)]))
    return table


# Who and what each of the committee's lists starts with: the allocation, the child, the
# type, the team and caseworker, the start.
_COMMITTEE_WHO = (
    "registration_id",
    "citizen_id",
    "intervention_name",
    "team",
    "caseworker",
    "start_date",
)


def deviations_list(deviations: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """Return ``committee_deviations`` as the committee's list (codes of ``COMMITTEE_COLUMNS``)."""
    table = deviations.copy()
    table["intervention_name"] = table["intervention_type"].map(names)
    return table[[*_COMMITTEE_WHO, "end_date", "reasons", "outside_dkk"]]


def expiring_list(expiring: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """Return ``committee_expiring`` as the committee's list (codes of ``COMMITTEE_COLUMNS``)."""
    table = expiring.rename(columns={"end_date": "planned_end"})
    table["intervention_name"] = table["intervention_type"].map(names)
    table["days_left"] = table["days_left"].astype("int64")
    table["committee_approved"] = table["committee_approved"].map(YES_NO)
    return table[
        [*_COMMITTEE_WHO, "planned_end", "frame_last_day", "days_left", "committee_approved"]
    ]


def outside_total(status: pd.DataFrame) -> float:
    """Return the spend outside the frame of ``status_by_type`` summed over the types."""
    return float(status["outside_dkk"].sum())
