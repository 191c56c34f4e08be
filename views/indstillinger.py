"""Indstillinger: the municipality's name, logo, colours, small-number threshold, retention."""

import datetime as dt

import streamlit as st

import ui
from slcore import periods, retention, settings
from slcore.access import AccessDenied

view = ui.page("Indstillinger")
store = view.store
ui.show_flash("settings")
st.markdown(
    "Kommunens navn, logo og farver bruges i dashboardets top, i udvalgsvisningen og i alle "
    "eksporter (præsentationen og serviceniveaudokumentet). Grænsen for små tal gælder alt, "
    "der forlader organisationens egne skærme."
)
current = settings.all_settings(store)
with st.form("settings_form"):
    name = st.text_input("Kommunens navn", value=current[settings.MUNICIPALITY_NAME])
    c1, c2, c3 = st.columns(3)
    primary = c1.color_picker("Primærfarve", value=current[settings.PRIMARY_COLOR])
    accent = c2.color_picker("Accentfarve", value=current[settings.ACCENT_COLOR])
    threshold = c3.number_input(
        "Grænse for små tal",
        min_value=2,
        max_value=100,
        value=int(current[settings.SMALL_NUMBER_THRESHOLD]),
        help="Et antal fra 1 til grænsen − 1 vises som »<grænse«; beløb for så små grupper "
        "skjules.",
    )
    role_map = st.text_input(
        "Roller fra login (valgfrit)",
        value=current[settings.ROLE_MAP],
        help="Værdier af login-udbyderens rolle-claim og den rolle, de giver, adskilt af "
        "semikolon, fx Serviceniveau.Analytiker=analytiker;Serviceniveau.Direktion=direktion.",
    )
    if st.form_submit_button("Gem indstillingerne", type="primary"):
        values = {
            settings.MUNICIPALITY_NAME: name,
            settings.PRIMARY_COLOR: primary,
            settings.ACCENT_COLOR: accent,
            settings.SMALL_NUMBER_THRESHOLD: str(threshold),
            settings.ROLE_MAP: role_map,
        }
        try:
            for key, value in values.items():
                if value != current[key]:
                    settings.set_value(store, key, value)
        except (ValueError, AccessDenied) as exc:
            st.error(str(exc), icon=":material/error:")
        else:
            ui.flash("settings", "Indstillingerne er gemt.")
            st.rerun()

st.subheader("Logo")
logo = settings.logo_bytes(store)
if logo is not None:
    st.image(logo[0], width=200)
upload = st.file_uploader(
    "Logo (PNG eller SVG, højst 2 MB)", type=["png", "svg"], key="logo_upload"
)
if upload is not None and st.button("Gem logoet", key="logo_save"):
    try:
        settings.set_logo(store, upload.getvalue())
    except (ValueError, AccessDenied) as exc:
        st.error(str(exc), icon=":material/error:")
    else:
        ui.flash("settings", "Logoet er gemt.")
        st.rerun()
st.caption("Fra kommandolinjen: `python -m slcore settings show|set NØGLE VÆRDI`.")

st.subheader("Sletning efter opbevaringsperioden")
ui.show_flash("purge")
st.markdown(
    "Bevillinger, der sluttede før datoen, slettes med hele deres historik, og afviste rækker "
    "fra udtræk opgjort før datoen slettes. Bevillinger uden slutdato og tal for perioder fra "
    "datoen og frem ændres ikke. Sletningen kan ikke fortrydes: tag en sikkerhedskopi først "
    "(`python -m slcore backup FIL`)."
)
today = periods.today()
ended_before = st.date_input(
    "Slet bevillinger, der sluttede før",
    value=dt.date(today.year - 5, 1, 1),
    max_value=today,
    format="DD-MM-YYYY",
    key="purge_date",
)
try:
    plan = retention.preview(store, ended_before)
except (retention.PurgeRefused, AccessDenied) as exc:
    st.error(str(exc), icon=":material/error:")
else:
    st.info(plan.summary(), icon=":material/info:")
    if plan.anything:
        sure = st.checkbox(
            "Jeg har taget en sikkerhedskopi og vil slette dem. Det kan ikke fortrydes.",
            key="purge_sure",
        )
        if st.button("Slet", type="primary", disabled=not sure, key="purge_go"):
            try:
                done = retention.purge(store, ended_before)
            except (retention.PurgeRefused, AccessDenied) as exc:
                st.error(str(exc), icon=":material/error:")
            else:
                ui.flash("purge", f"Slettet. {done.summary()}")
                st.session_state.pop("purge_sure", None)
                st.rerun()
    else:
        st.caption("Der er intet at slette for den dato.")
st.caption("Fra kommandolinjen: `python -m slcore purge --ended-before ÅÅÅÅ-MM-DD [--yes]`.")
