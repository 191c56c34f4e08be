"""Indlæs data: upload an extract, see what will happen, fix it, import it, undo it."""

import streamlit as st

import ui
from slcore import uploads

view = ui.page("Indlæs data")
limit_mb = int(st.get_option("server.maxUploadSize"))

st.markdown(
    "Indlæs et udtræk af bevillinger fra sagssystemet (DUBU, Nexus, SBSYS …) eller et regneark. "
    "Intet gemmes, før du trykker **Indlæs**. CPR-numre gemmes aldrig: de bliver til et "
    "pseudonym og en fødselsmåned."
)
if view.status.is_demo:
    st.info(
        "Databasen indeholder demodata. Når du indlæser den første fil (eller rammer eller "
        "budgetter), fjernes demokommunen, så rigtige og opdigtede tal aldrig blandes.",
        icon=":material/info:",
    )

uploaded = st.file_uploader(
    "Vælg udtrækket af bevillinger (CSV, Excel eller Parquet)",
    type=["csv", "txt", "xlsx", "parquet"],
    help="Ét udtræk med én række pr. bevilling, fx fra DUBU, Nexus eller SBSYS. "
    f"Højst {limit_mb} MB. CSV med semikolon, komma eller tabulator; UTF-8 eller Windows-1252.",
    key="upload",
)
st.caption(
    "Filen skal have en overskriftsrække "
    "med fx Bevillings-id, CPR-nr (eller borger-id), Indsatstype, Startdato og Pris. "
    f"Største filstørrelse: {limit_mb} MB."
)
if uploaded is not None:
    ui.upload.forget_mapping_on_new_file(uploaded)
    # The upload holds CPR numbers: it exists on disk only while this run reads it.
    with uploads.staged(view.store.path, uploaded.getvalue(), uploaded.name) as path:
        ui.upload.show_upload(view.store, uploaded.name, path, limit_mb * 1024 * 1024)

ui.upload.last_result()
ui.upload.history(view.store)
