"""Aktivitet: how many allocations and children, of which kind, age, step and duration."""

import streamlit as st

import ui
from slcore import activity, fmt

PAGE = "akt"
TEAMS = ui.TeamsTab(
    "active_registrations",
    "Aktive bevillinger pr. team",
    (*ui.activity.FIGURES, "median_duration_days"),
    "aktivitet_pr_team",
    "akt_teams",
)

view = ui.data_page("Aktivitet")
filters = ui.drill_bar(PAGE, view)

# --- Key figures against the same days last year -------------------------------------------
comparison = activity.year_comparison(view.store, view.period, filters)
if comparison is None:
    st.info(
        f"Perioden begynder efter opgørelsesdagen {fmt.date(view.period.as_of)}; der er endnu "
        "ingen aktivitet at vise. Vælg en anden periode eller opgørelsesdag i sidepanelet."
    )
    st.stop()
ui.activity.year_tiles(comparison)

# --- Per month, by type or category; children against last year --------------------------
ui.activity.monthly_chart(PAGE, view, filters)
ui.activity.children_by_month(view, filters)

tabs = st.tabs(
    ["Alder", "Indsatstrappen", "Varighed", "Teams og bevillinger", "I år mod sidste år"]
)
with tabs[0]:
    ui.activity.age_tab(PAGE, view, filters)
with tabs[1]:
    ui.activity.ladder_tab(view, filters)
with tabs[2]:
    ui.activity.durations_tab(view, filters)
with tabs[3]:
    ui.teams_tab(PAGE, view, filters, TEAMS)
with tabs[4]:
    ui.activity.year_tab(view, filters, comparison)
