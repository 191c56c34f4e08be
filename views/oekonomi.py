"""Økonomi: spend against budget, why it moved since last year, and where the money goes."""

import streamlit as st

import ui
from slcore import economy, figures

PAGE = "oek"
TEAMS = ui.TeamsTab(
    "projected_spend_dkk",
    "Forventet forbrug pr. team (mio. kr.)",
    (
        "active_registrations",
        "active_citizens",
        "realized_spend_dkk",
        "committed_spend_dkk",
        "projected_spend_dkk",
    ),
    "forbrug_pr_team",
    "oek_teams",
    money=True,
)

view = ui.data_page("Økonomi")
if view.store.access.published:  # a politician: type level, small numbers hidden
    ui.published.economy(view)
    st.stop()
filters = ui.drill_bar(PAGE, view)
period, store = view.period, view.store
# A type without a budget has none here (not 0 kr.), nor a deviation of its whole spend.
total = figures.key_figures(store, period, (), filters, missing_budget_empty=True).iloc[0]
deviation = economy.budget_deviation(store, period, filters, total=True)
decomposition = economy.change_decomposition(store, period, filters)
# No budget to compare with: a filter on age or team rules it out, or none exists.
split_reason = economy.no_budget_reason(view.store, filters)
budget = economy.comparable_budget(total, filters)

ui.economy.spend_tiles(view, total, deviation, decomposition, budget, split_reason)
ui.economy.monthly(PAGE, view, filters, total, budget, split_reason)

ui.tabs(
    "oek_fane",
    {
        "Afvigelse pr. indsatstype": lambda: ui.economy.deviation_tab(
            PAGE, view, deviation, budget, split_reason
        ),
        "Forklaring af ændringen": lambda: ui.economy.decomposition_tab(view, decomposition),
        "Indsatstrappen": lambda: ui.economy.steps_tab(view, filters),
        "Leverandører": lambda: ui.economy.providers_tab(view, filters),
        "Teams og bevillinger": lambda: ui.teams_tab(PAGE, view, filters, TEAMS),
    },
)
