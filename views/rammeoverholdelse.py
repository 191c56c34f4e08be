"""Rammeoverholdelse: which allocations fall outside the frame, why, and the committee's lists."""

import streamlit as st

import ui
from slcore import compliance

view = ui.data_page("Rammeoverholdelse")
status = compliance.status_by_type(view.store, view.period, view.filters)
ui.compliance.status_tiles(status)

TABS = ("Pr. indsatstype", "Årsager", "Type og alder", "Udvikling", "Varighed og pris")
tabs = st.tabs([*TABS, "Visitationsudvalget"])
with tabs[0]:
    ui.compliance.by_type_tab(view, status)
with tabs[1]:
    ui.compliance.reasons_tab(view)
with tabs[2]:
    ui.compliance.type_age_tab(view)
with tabs[3]:
    ui.compliance.trend_tab(view)
with tabs[4]:
    ui.compliance.limits_tab(view, status)
with tabs[5]:
    ui.compliance.committee_tab(view)
