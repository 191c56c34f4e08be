"""Economy: spend against budget per type, why spend moved since last year, where it goes.

Every figure starts from ``figures.ENRICHED_SQL`` and ``figures.measures_sql`` (or from
``figures.key_figures`` itself), so the tables here add up to the key figures' totals.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from slcore import cache, sql
from slcore.activity import same_days_last_year
from slcore.figures import ENRICHED_SQL, Filters, filter_sql, key_figures, measures_sql
from slcore.labels import DEVIATION_BANDS, WHOLE_PERIOD
from slcore.periods import Period
from slcore.store import Store

# --- Deviation from budget per type --------------------------------------------------------

# Bands of the projected spend against the budget (the "within 5 %"): over means
# more than 5 % above the budget, under more than 5 % below, within everything in between.
TOLERANCE = 0.05
BANDS = DEVIATION_BANDS  # their Danish words: ``labels``


def deviation_band(projected: float, budget: float | None, tolerance: float = TOLERANCE) -> str:
    """Return over, within, under or no_budget for a projected spend against a budget."""
    if budget is None or pd.isna(budget) or budget <= 0:
        return "no_budget"
    share = (projected - budget) / budget
    if share > tolerance:
        return "over"
    if share < -tolerance:
        return "under"
    return "within"


def no_budget_reason(store: Store, filters: Filters) -> str | None:
    """Return why budgets are ruled out (Danish, lower case), or None when they are not.

    Budgets exist per type only: not for an age band, a team, or a team leader's teams.
    """
    if store.access.scope is not None:
        return "budgetter findes kun pr. indsatstype, så et team har intet budget"
    if filters.budget_applies:
        return None
    split = [name for name, on in (("alder", filters.age_bands), ("team", filters.teams)) if on]
    return f"budgettet kan ikke opdeles på {' og '.join(split)}"


@cache.cached
def budget_deviation(
    store: Store,
    period: Period,
    filters: Filters = Filters(),
    tolerance: float = TOLERANCE,
    total: bool = False,
) -> pd.DataFrame:
    """Return projected spend against budget per intervention type, with its band.

    Columns: intervention_type, realized, committed, projected, budget, deviation,
    deviation_share (deviation / budget), band (see ``BANDS``). A type without a budget for
    the period has an empty budget, deviation and share, and the band ``no_budget``; so has
    every type when the filters rule budgets out (age or team, see ``no_budget_reason``).
    Types with a budget but no spend are included, so an unused budget shows. With
    ``total`` a last row (intervention_type empty) holds the sums, banded the same way.
    """
    kf = key_figures(store, period, ("intervention_type",), filters, missing_budget_empty=True)
    return deviation_table(kf, tolerance, total)


def deviation_table(
    key_figures_by_type: pd.DataFrame, tolerance: float = TOLERANCE, total: bool = False
) -> pd.DataFrame:
    """Return ``budget_deviation``'s table from key figures by type (missing budgets empty)."""
    kf = key_figures_by_type
    df = pd.DataFrame(
        {
            "intervention_type": kf["intervention_type"],
            "realized": kf["realized_spend_dkk"],
            "committed": kf["committed_spend_dkk"],
            "projected": kf["projected_spend_dkk"],
            "budget": kf["budget_dkk"],
            "deviation": kf["budget_deviation_dkk"],
        }
    ).astype(
        dict.fromkeys(("realized", "committed", "projected", "budget", "deviation"), "float64")
    )
    if total:
        sums = df[["realized", "committed", "projected"]].sum()
        # The total's budget is the budgets that exist (empty when none does). Its deviation
        # is all projected spend against them, as metrics.md defines it and the key figures'
        # total has it: the municipality's spend against the budget it has. So the spend on
        # types without a budget is in it, where the sum of the types' deviations would leave
        # it out and look better than the books; the pages say how much of it that is
        # (``unbudgeted_spend``), and the per-type rows show no deviation for such a type.
        budget = df["budget"].sum(min_count=1)
        row = {
            "intervention_type": None,
            **sums.to_dict(),
            "budget": budget,
            "deviation": sums["projected"] - budget,
        }
        df = pd.concat([df, pd.DataFrame([row])], ignore_index=True)
    positive = df["budget"].where(df["budget"] > 0)
    df["deviation_share"] = df["deviation"] / positive
    df["band"] = [
        deviation_band(p, b, tolerance) for p, b in zip(df["projected"], df["budget"], strict=True)
    ]
    return df


def without_budget(table: pd.DataFrame) -> pd.DataFrame:
    """Return the types of a ``budget_deviation`` table that have spend but no budget."""
    types = table[table["intervention_type"].notna()]
    return types[types["budget"].isna() & (types["projected"] != 0)]


def unbudgeted_spend(table: pd.DataFrame) -> float:
    """Return the projected spend on types without a budget in a ``budget_deviation`` table."""
    return float(without_budget(table)["projected"].sum())


# --- The change against last year: volume, mix and price -----------------------------------


@dataclass(frozen=True)
class Decomposition:
    """The change in realised spend from the same days last year, split three ways."""

    current: Period
    previous: Period
    table: pd.DataFrame  # one row per type, see change_decomposition
    totals: dict[str, float]


DECOMPOSITION_COLUMNS = (
    "intervention_type",
    "child_days_before",
    "child_days_now",
    "spend_before",
    "spend_now",
    "unit_cost_before",
    "unit_cost_now",
    "frame_price_year",
    "volume",
    "mix",
    "price",
    "change",
)


def _spend_and_days(
    store: Store, period: Period, filters: Filters, frame_day: object
) -> pd.DataFrame:
    """Return child-days and realised spend per type for a period, with the frame's price."""
    where, params = filter_sql(store, filters, in_period=True)
    params.update(sql.period_params(period))
    params["fday"] = frame_day
    query = f"""
        WITH {ENRICHED_SQL},
        measured AS (
            SELECT e.intervention_type, {measures_sql("$p_from", "$p_to")}
            FROM enriched e WHERE {where}
        ),
        -- Past days only (not sql.touches_period_sql): the comparison has no committed spend.
        per_type AS (
            SELECT intervention_type, sum(past_days) AS child_days, sum(realized) AS spend
            FROM measured WHERE active OR realized <> 0 GROUP BY ALL
        ),
        -- The frame in force on the comparison's last day, per type.
        frame AS ({sql.frame_in_force_sql("$fday")})
        SELECT p.intervention_type, p.child_days, p.spend,
            fr.max_monthly_cost * 12 AS frame_price_year
        FROM per_type p LEFT JOIN frame fr USING (intervention_type)
    """
    return store.df(query, params)


@cache.cached
def change_decomposition(
    store: Store, period: Period, filters: Filters = Filters()
) -> Decomposition | None:
    """Split the change in realised spend against the same days last year into three parts.

    With D child-days in all, w_t = D_t / D the share of type t and c_t = S_t / D_t its unit
    cost, spend is S = sum_t D w_t c_t, and the change per type is split as
    volume_t = (D1 - D0) w0_t c0_t (more or fewer child-days in all),
    mix_t = D1 (w1_t - w0_t) c0_t (the days moved to dearer or cheaper types) and
    price_t = D1_t (c1_t - c0_t) (each child-day of the type costs more or less).
    The three add up exactly to S1_t - S0_t; a type new this year is all mix.
    Unit costs are shown per child-year (365 child-days) beside the frame's price per year
    (the frame's highest monthly price times 12). A child-day is a day of a registration,
    so a child with two interventions of one type on a day counts twice. None when no day
    of the period has passed.
    """
    pair = same_days_last_year(period)
    if pair is None:
        return None
    current, previous = pair
    now = _spend_and_days(store, current, filters, current.end)
    before = _spend_and_days(store, previous, filters, current.end)
    df = now.merge(
        before.drop(columns="frame_price_year"),
        on="intervention_type",
        how="outer",
        suffixes=("_now", "_before"),
    )
    # A type seen only last year has no row this year, so take its frame from last year's.
    frame_before = before.set_index("intervention_type")["frame_price_year"]
    df["frame_price_year"] = df["frame_price_year"].fillna(
        df["intervention_type"].map(frame_before)
    )
    for c in ("child_days_now", "child_days_before", "spend_now", "spend_before"):
        df[c] = df[c].fillna(0).astype("float64")
    d0, d1 = df["child_days_before"].sum(), df["child_days_now"].sum()
    c1 = df["spend_now"] / df["child_days_now"].where(df["child_days_now"] > 0)
    c0 = df["spend_before"] / df["child_days_before"].where(df["child_days_before"] > 0)
    c0_used = c0.fillna(c1).fillna(0.0)
    w0 = df["child_days_before"] / d0 if d0 > 0 else 0.0 * df["child_days_before"]
    w1 = df["child_days_now"] / d1 if d1 > 0 else 0.0 * df["child_days_now"]
    df["volume"] = (d1 - d0) * w0 * c0_used
    df["mix"] = d1 * (w1 - w0) * c0_used
    df["price"] = df["child_days_now"] * (c1.fillna(0.0) - c0_used)
    df["change"] = df["spend_now"] - df["spend_before"]
    df["unit_cost_now"] = c1 * 365
    df["unit_cost_before"] = c0 * 365
    df["child_days_now"] = df["child_days_now"].astype("int64")
    df["child_days_before"] = df["child_days_before"].astype("int64")
    df = df.sort_values("intervention_type").reset_index(drop=True)[list(DECOMPOSITION_COLUMNS)]
    totals = {
        "spend_before": float(df["spend_before"].sum()),
        "spend_now": float(df["spend_now"].sum()),
        "volume": float(df["volume"].sum()),
        "mix": float(df["mix"].sum()),
        "price": float(df["price"].sum()),
        "change": float(df["change"].sum()),
        "child_days_before": float(d0),
        "child_days_now": float(d1),
    }
    return Decomposition(current, previous, df, totals)


# --- Where the money goes: ladder steps and providers --------------------------------------


def _grouped_spend(
    store: Store, period: Period, filters: Filters, group_sql: str, limit: int | None = None
) -> pd.DataFrame:
    where, params = filter_sql(store, filters, in_period=True)
    params.update(sql.period_params(period))
    params["limit"] = limit
    query = f"""
        WITH {ENRICHED_SQL},
        measured AS (
            SELECT {group_sql} AS grp, e.citizen_id, e.intervention_type,
                {measures_sql("$p_from", "$p_to")}
            FROM enriched e WHERE {where}
        )
        SELECT grp,
            count(*) FILTER (WHERE active) AS active_registrations,
            count(DISTINCT citizen_id) FILTER (WHERE active) AS active_citizens,
            count(DISTINCT intervention_type) AS intervention_types,
            coalesce(sum(realized), 0) AS realized,
            coalesce(sum(committed), 0) AS committed,
            coalesce(sum(realized + committed), 0) AS projected
        FROM measured
        WHERE {sql.touches_period_sql()}
        GROUP BY grp
        ORDER BY projected DESC, grp
        LIMIT $limit
    """
    df = store.df(query, params)
    for c in ("active_registrations", "active_citizens", "intervention_types"):
        df[c] = df[c].astype("int64")
    return df


@cache.cached
def spend_by_step(store: Store, period: Period, filters: Filters = Filters()) -> pd.DataFrame:
    """Return children and spend per ladder step (NULL: support for young adults).

    Columns: ladder_step, active_registrations, active_citizens, realized, committed,
    projected, share (of the projected spend). A child on two steps counts on both.
    """
    df = _grouped_spend(store, period, filters, "e.ladder_step")
    df = df.rename(columns={"grp": "ladder_step"}).drop(columns="intervention_types")
    df["ladder_step"] = df["ladder_step"].astype("Int64")
    total = df["projected"].sum()
    df["share"] = df["projected"] / total if total else 0.0
    return df.sort_values("ladder_step", na_position="last").reset_index(drop=True)


UNKNOWN_PROVIDER = sql.UNKNOWN_GROUP


@cache.cached
def top_providers(
    store: Store, period: Period, filters: Filters = Filters(), limit: int = 15
) -> pd.DataFrame:
    """Return the providers with the largest projected spend in the period, largest first.

    Columns: provider (``(ukendt)`` when not registered), active_registrations,
    active_citizens, intervention_types (how many types they deliver), realized, committed,
    projected, share (of the period's projected spend under the filters).
    """
    store.access.require_detail()
    grp = sql.unknown_group_sql("e.provider")
    df = _grouped_spend(store, period, filters, grp, limit).rename(columns={"grp": "provider"})
    total = key_figures(store, period, (), filters)["projected_spend_dkk"].iloc[0]
    df["share"] = df["projected"] / total if total else 0.0
    return df


# --- For the pages: the budget to compare with, the change in per cent, the months ---------


def comparable_budget(total: pd.Series, filters: Filters) -> float | None:
    """Return the period's budget to compare spend with, or None (filters rule it out, or none).

    ``total`` is the key figures' total row with missing budgets empty (and so for a team
    leader's teams, who have none).
    """
    if not filters.budget_applies or pd.isna(total["budget_dkk"]):
        return None
    return float(total["budget_dkk"])


def change_share(decomposition: Decomposition) -> float | None:
    """Return the change in spend against the same days last year as a share of last year's."""
    before = decomposition.totals["spend_before"]
    return decomposition.totals["change"] / before if before else None


def monthly_spend_table(
    monthly: pd.DataFrame, total: pd.Series, budget: float | None, as_of: object
) -> pd.DataFrame:
    """Return spend per month with a last row for the whole period (``figures.monthly_spend``).

    Every month stays, so the months add up to the period; a partial month is named with its
    days. Without a budget to compare with (``comparable_budget`` None) there is no budget
    column; a month without a budget has an empty one.
    """
    from slcore.charts import month_name, partial_months

    partial = partial_months(monthly, as_of)  # type: ignore[arg-type]
    table = monthly.drop(columns=["month_start", "month_end"]).copy()
    table["month"] = [month_name(pd.Timestamp(m).date(), partial) for m in table["month"]]
    sums = {
        "month": WHOLE_PERIOD,
        "realized": total["realized_spend_dkk"],
        "committed": total["committed_spend_dkk"],
        "budget": budget,
    }
    table = pd.concat([table, pd.DataFrame([sums])], ignore_index=True)
    if budget is None:
        return table.drop(columns="budget")
    table["budget"] = table["budget"].astype("float64")
    return table


def total_deviation(table: pd.DataFrame) -> tuple[float, float]:
    """Return the deviation in kroner and as a share of the total row (``total=True``)."""
    last = table.iloc[-1]
    return float(last["deviation"]), float(last["deviation_share"])
