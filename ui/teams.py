"""The "Teams og bevillinger" tab, shared by Aktivitet and Økonomi."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from slcore import charts, figures
from slcore.figures import Filters
from ui.drill import allocation_list, drill_chart
from ui.sidebar import View
from ui.tables import table_with_downloads


@dataclass(frozen=True)
class TeamsTab:
    """What a page's "Teams og bevillinger" tab shows: one figure per team, and its table."""

    figure: str
    title: str
    columns: tuple[str, ...]
    name: str
    key: str
    money: bool = False


def teams_tab(page_key: str, view: View, filters: Filters, tab: TeamsTab) -> None:
    """Draw the teams' bars (a click lists a team's allocations), their table and the list."""
    by_team = figures.without_zero(
        figures.key_figures(view.store, view.period, ("team",), filters), tab.figure
    )
    drill_chart(
        charts.group_bar_chart(
            by_team,
            "team",
            tab.figure,
            {},
            f"{tab.title}<br><sup>{view.caption}</sup>",
            money=tab.money,
            horizontal=True,
        ),
        page_key,
        "teams",
    )
    with st.expander("Tal pr. team"):
        table_with_downloads(
            by_team[["team", *tab.columns]], tab.name, period=view.period, key=tab.key
        )
    allocation_list(page_key, view, filters)
