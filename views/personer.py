"""Personer og roller: who may log in, with which roles and teams (administrator only)."""

import streamlit as st

import ui
from slcore import access, figures, fmt, labels, people
from slcore.access import AccessDenied

view = ui.page("Personer og roller")
store = view.store
ui.show_flash("people")

st.markdown(
    "Her bestemmer du, hvem der kan logge ind, og hvad de ser. En person kendes på sin "
    "e-mailadresse fra login. Uden en rolle ser man intet. Teamledere og sagsbehandlere "
    "ser kun deres egne teams. Alle ændringer skrives i loggen."
)
if view.store.access.local:
    st.info(
        "Dashboardet kører i lokal tilstand uden login, så personerne bruges først, når "
        "login er sat op (se README, *Login og roller*).",
        icon=":material/info:",
    )

table = people.people(store)
if table.empty:
    st.info("Der er ingen personer endnu. Tilføj den første herunder.", icon=":material/badge:")
else:
    shown = table.assign(
        roles=table["roles"].map(lambda rs: ", ".join(access.ROLES.get(r, r) for r in rs)),
        teams=table["teams"].map(", ".join),
        updated_at=table["updated_at"].map(fmt.timestamp),
    )
    ui.table_with_downloads(shown, "personer", key="people", columns=labels.PEOPLE_COLUMNS)

existing = {} if table.empty else {str(r["email"]): r for r in table.to_dict("records")}
st.subheader("Tilføj eller ret en person")
chosen = st.selectbox(
    "Person",
    ["", *existing],
    format_func=lambda e: e or "Ny person",
    key="people_pick",
)
row = existing.get(chosen)
# Each person's form has its own keys, so picking another person shows their values.
suffix = chosen or "new"
with st.form(f"people_form_{suffix}"):
    email = st.text_input("E-mail", value=chosen, disabled=bool(chosen), key=f"pe_{suffix}")
    name = st.text_input("Navn", value=str(row["name"] or "") if row else "", key=f"pn_{suffix}")
    roles = st.multiselect(
        "Roller",
        list(access.ROLES),
        default=list(row["roles"]) if row else [],
        format_func=lambda r: access.ROLES[r],
        key=f"pr_{suffix}",
        help="Teamleder og sagsbehandler ser kun de valgte teams. Politiker ser tal pr. "
        "indsatstype under reglen om små tal.",
    )
    known_teams = sorted(set(figures.teams(store)) | set(row["teams"] if row else []))
    teams = st.multiselect(
        "Teams",
        known_teams,
        default=list(row["teams"]) if row else [],
        key=f"pt_{suffix}",
        help="Teams fra de indlæste bevillinger. Bruges af rollerne teamleder og sagsbehandler.",
    )
    if st.form_submit_button("Gem personen", type="primary"):
        try:
            saved = people.save(store, email or chosen, roles, teams, name)
        except (ValueError, AccessDenied) as exc:
            st.error(str(exc), icon=":material/error:")
        else:
            ui.flash("people", f"{saved.email} er gemt.")
            st.rerun()

if existing:
    st.subheader("Fjern en person")
    gone = st.selectbox("Person, der skal fjernes", list(existing), key="people_remove_pick")
    if st.button("Fjern personen", key="people_remove"):
        try:
            people.remove(store, gone)
        except (ValueError, AccessDenied) as exc:
            st.error(str(exc), icon=":material/error:")
        else:
            ui.flash("people", f"{gone} er fjernet og kan ikke længere se noget.")
            st.rerun()

st.caption("Det samme kan gøres fra kommandolinjen: `python -m slcore users list|add|remove`.")
