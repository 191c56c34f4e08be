"""Aktivitet: how many allocations and children, of which kind, age, step and duration."""

import streamlit as st

import ui

PAGE = "akt"
TEAMS = ui.TeamsTab(
    "active_registrations",
    "Aktive bevillinger pr. team",
    (*ui.activity.FIGURES, "median_duration_days"),
    "aktivitet_pr_team",
    "akt_teams",
)

view = ui.data_page("Aktivitet")
if view.store.access.published:  # a politician: type level, small numbers hidden
    ui.published.activity(view)
    st.stop()
filters = ui.drill_bar(PAGE, view)

# --- Key figures against the same days last year -------------------------------------------
comparison = ui.activity.year_comparison_or_stop(view, filters)
ui.activity.year_tiles(comparison)

# --- Per month, by type or category; children against last year --------------------------
ui.activity.monthly_chart(PAGE, view, filters)
ui.activity.children_by_month(view, filters, comparison)

ui.tabs(
    "akt_fane",
    {
        "Alder": lambda: ui.activity.age_tab(PAGE, view, filters),
        "Indsatstrappen": lambda: ui.activity.ladder_tab(view, filters),
        "Varighed": lambda: ui.activity.durations_tab(view, filters),
        "Teams og bevillinger": lambda: ui.teams_tab(PAGE, view, filters, TEAMS),
        "I år mod sidste år": lambda: ui.activity.year_tab(view, filters, comparison),
    },
)
