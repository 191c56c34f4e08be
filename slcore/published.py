"""Figures that leave the organisation's own screens, under the small-number rule (metrics.md).

A politician's store (``Access.published``) gets no plain figure: ``figures.filter_sql``
refuses it. Their pages, committee mode, the deck and ``figures --publish`` take their
figures from here instead: the same figure functions, asked for the person without the rule,
and the rule (``slcore.publish``, threshold from the settings) applied before anything is
returned. Nothing here goes below intervention type for a politician.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pandas as pd

from slcore import figures, labels, publish, settings
from slcore.figures import Filters
from slcore.periods import Period
from slcore.publish import Published
from slcore.store import Store

TOTAL = labels.TOTAL
# The monthly figures a political page shows, with the rule's kind of each.
MONTH_COUNTS = ("active_registrations", "active_citizens", "new_registrations")
MONTH_MONEY = ("realized", "committed")


def _without_rule(store: Store) -> Store:
    """Return the person's store with the rule lifted, for the figures the rule is applied to."""
    return store.as_person(replace(store.access, published=False))


def _check(store: Store, by: Sequence[str], filters: Filters) -> None:
    if "team" in by or filters.teams:
        store.access.require_detail()


def key_figures(
    store: Store,
    period: Period,
    by: Sequence[str] = (),
    filters: Filters = Filters(),
    *,
    missing_budget_empty: bool = False,
) -> Published:
    """Return the key figures table under the rule, with its total as the last row ("I alt").

    The total row takes part in the rule (a lone hidden cell among zeros hides it), so the
    ungrouped figures are this table's last row, never computed apart.
    """
    _check(store, by, filters)
    inner = _without_rule(store)
    total = figures.key_figures(
        inner, period, (), filters, missing_budget_empty=missing_budget_empty
    )
    table = total
    if by:
        groups = figures.key_figures(
            inner, period, by, filters, missing_budget_empty=missing_budget_empty
        )
        total = total.assign(**dict.fromkeys([c for c in figures.GROUP_COLUMNS if c in by], TOTAL))
        table = pd.concat([groups, total[groups.columns]], ignore_index=True)
    return publish.key_figures(table, settings.threshold(store), total_row=table.index[-1])


def monthly(store: Store, period: Period, filters: Filters = Filters()) -> Published:
    """Return each month's activity and spend (all types together) under the rule.

    Columns: month, active_registrations, active_citizens, new_registrations, realized,
    committed; money of a month with fewer than T active citizens is hidden.
    """
    _check(store, (), filters)
    months = figures.monthly_series(_without_rule(store), period, filters)
    table = months[["month", *MONTH_COUNTS, *MONTH_MONEY]].reset_index(drop=True)
    # A month after the as-of date has no active children yet: its committed spend is that
    # of the children active on the as-of date, so their number guards it.
    past = pd.Series([pd.Timestamp(m).date() <= period.as_of for m in table["month"]])
    citizens = table["active_citizens"].astype("float64")
    table["guard"] = citizens.where(past, citizens.where(past).ffill().fillna(0.0))
    published = publish.suppress(
        table,
        threshold=settings.threshold(store),
        counts=MONTH_COUNTS,
        guarded=dict.fromkeys(MONTH_MONEY, "guard"),
        linked=(MONTH_MONEY,),
    )
    return Published(published.table.drop(columns="guard"), published.hidden.drop(columns="guard"))


def budget_total(store: Store, period: Period, filters: Filters = Filters()) -> float | None:
    """Return the period's budget (a political decision, never hidden) for the filters."""
    _check(store, (), filters)
    return figures.budget_total(_without_rule(store), period.start, period.end, filters)


def threshold(store: Store) -> int:
    """Return the threshold T the rule uses for this store."""
    return settings.threshold(store)
