"""Log: the audit log of who did what and when (administrator only)."""

import datetime as dt

import streamlit as st

import ui
from slcore import audit, fmt, labels

view = ui.page("Log")
st.markdown(
    "Hvem har gjort hvad og hvornår: login, indlæsninger og fortrydelser, ændringer af "
    "rammer, budgetter, navne, personer og indstillinger, og hver visning eller download "
    "af lister over enkelte bevillinger. Loggen kan ikke ændres, og den indeholder aldrig "
    "CPR-numre."
)
c1, c2, c3 = st.columns([1, 1, 2])
since = ui.date_field(
    c1, "Fra og med", "log_since", view.period.as_of - dt.timedelta(days=30), in_url=False
)
who = c2.text_input("Person", key="log_who", placeholder="Alle")
events = c3.multiselect(
    "Hændelser",
    list(audit.EVENTS),
    format_func=lambda e: audit.EVENTS[e],
    key="log_events",
    placeholder="Alle hændelser",
)
log = audit.entries(view.store, since=since, who=who or None, events=tuple(events))
if log.empty:
    st.info(
        "Ingen hændelser med de valgte filtre. Vælg en tidligere dato.", icon=":material/history:"
    )
else:
    st.caption(f"{fmt.number(len(log))} hændelser, nyeste først.")
    shown = log.drop(columns=["event"]).assign(logged_at=log["logged_at"].map(fmt.timestamp))
    ui.table_with_downloads(shown, "log", key="audit", columns=labels.AUDIT_COLUMNS)
st.caption("Fra kommandolinjen: `python -m slcore audit [--since DATO] [--format csv]`.")
