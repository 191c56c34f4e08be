"""Serviceniveau: the dashboard's entry point (``streamlit run app.py``).

The entrypoint opens the store (building the demo municipality on first start), finds who
is asking (login or local mode, ``ui.login``), offers the pages their roles open, and draws
the shared sidebar filters before the page runs. Widgets drawn here belong to every page,
so the filters and their query parameters survive each navigation; drawn in a page, they
would be new widgets on every page and a shared link would lose them on the first click.
Each page then starts with ``ui.page(title)``, which draws the header and returns the view.
"""

import streamlit as st

import ui

st.set_page_config(page_title="Serviceniveau", page_icon="📊", layout="wide")

page = ui.navigation()
ui.start()
page.run()
