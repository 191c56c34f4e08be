"""Serviceniveau: the frames and budgets, maintained here; what-if; what the data say."""

import streamlit as st

import ui
from slcore.actors import current_actor

view = ui.page("Serviceniveau")
# On the demo, the first save ends the demo: say so and let the user confirm once.
editor = ui.servicelevel.Editor(view, current_actor(app=True), ui.servicelevel.demo_end(view))

tabs = st.tabs(
    ["Rammer", "Ret en ramme", "Ændringer", "Hvad nu hvis", "Rammer ud fra data", "Budgetter"]
)
with tabs[0]:
    ui.servicelevel.frames_tab(editor)
with tabs[1]:
    ui.servicelevel.edit_tab(editor)
with tabs[2]:
    ui.servicelevel.versions_tab(editor)
with tabs[3]:
    ui.servicelevel.whatif_tab(editor)
with tabs[4]:
    ui.servicelevel.from_data_tab(view)
with tabs[5]:
    ui.servicelevel.budgets_tab(editor)
