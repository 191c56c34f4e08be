"""Serviceniveau: the dashboard's entry point (``streamlit run app.py``)."""

import streamlit as st

import ui

st.set_page_config(page_title="Serviceniveau", page_icon="📊", layout="wide")

store = ui.get_store()
st.session_state["view"] = ui.sidebar(store)

page = st.navigation(
    [st.Page("pages/overblik.py", title="Overblik", icon=":material/dashboard:", default=True)]
)
page.run()
