"""Serviceniveau: the dashboard's entry point (``streamlit run app.py``).

The entrypoint opens the store (building the demo municipality on first start), holds its
file for the run (between runs a command line job may have it, ``slcore.store``), finds who
is asking (login or local mode, ``ui.login``), offers the pages their roles open, and draws
the shared sidebar filters before the page runs. Widgets drawn here belong to every page,
so the filters and their query parameters survive each navigation; drawn in a page, they
would be new widgets on every page and a shared link would lose them on the first click.
Each page then starts with ``ui.page(title)``, which draws the header and returns the view.
"""

import streamlit as st

import ui
from slcore.privacy import mask_cprs_in_logs

st.set_page_config(page_title="Serviceniveau", page_icon="📊", layout="wide")
mask_cprs_in_logs()  # a bug's traceback in the server's log never shows a CPR number

store = ui.open_app_store()
with ui.holding(store):  # the file is this run's until it ends (other programs wait)
    page = ui.navigation(store)
    ui.start()
    page.run()
