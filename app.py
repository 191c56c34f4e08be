"""Serviceniveau: the dashboard's entry point (``streamlit run app.py``).

Each page starts with ``ui.page(title)``, which opens the store (building the demo
municipality on first start), draws the shared sidebar filters and the page header.
"""

import streamlit as st

st.set_page_config(page_title="Serviceniveau", page_icon="📊", layout="wide")

page = st.navigation(
    [
        st.Page("views/overblik.py", title="Overblik", icon=":material/dashboard:", default=True),
        st.Page("views/aktivitet.py", title="Aktivitet", icon=":material/groups:"),
        st.Page("views/oekonomi.py", title="Økonomi", icon=":material/payments:"),
        st.Page("views/rammeoverholdelse.py", title="Rammeoverholdelse", icon=":material/rule:"),
        st.Page("views/serviceniveau.py", title="Serviceniveau", icon=":material/tune:"),
        st.Page("views/indlaes.py", title="Indlæs data", icon=":material/upload_file:"),
    ]
)
page.run()
