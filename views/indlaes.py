"""Indlæs data: upload an extract, see what will happen, fix it, import it, undo it."""

import hashlib
from pathlib import Path

import pandas as pd
import streamlit as st

import ui
from slcore import fmt, importer, labels, privacy, uploads
from slcore.actors import current_actor
from slcore.columns import COLUMN_LABELS
from slcore.reader import ImportRefused
from slcore.store import intervention_types

NO_COLUMN = "(ingen)"

view = ui.page("Indlæs data")
store = view.store
limit_mb = int(st.get_option("server.maxUploadSize"))
max_bytes = limit_mb * 1024 * 1024

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


def forget_mapping_on_new_file(file) -> None:
    """Start the column mapping over when another file is uploaded."""
    digest = hashlib.sha256(file.getvalue()).hexdigest()
    if st.session_state.get("upload_digest") != digest:
        st.session_state["upload_digest"] = digest
        st.session_state.pop("mapping", None)


def required_text(field: str, missing: tuple[str, ...]) -> str:
    """Return whether a field is required, for the mapping table ("Ja – mangler" if unmapped)."""
    if field in ("cpr", "citizen_id"):  # one of the two is enough
        return "CPR-nr eller Borger ID" + (" – mangler" if "cpr" in missing else "")
    if not importer.is_required(field):
        return ""
    return "Ja – mangler" if field in missing else "Ja"


def show_upload(uploaded, path: Path) -> None:
    """Inspect the upload, show the report and mapping, and import it on request."""
    sheet = st.session_state.get("sheet")
    mapping = st.session_state.get("mapping")
    try:
        with st.spinner("Læser og kontrollerer filen …"):
            ins = importer.inspect_file(
                store,
                path,
                sheet=sheet,
                mapping=mapping,
                max_bytes=max_bytes,
                file_name=uploaded.name,
            )
    except ImportRefused as exc:
        st.error(f"**Filen kan ikke indlæses.** {exc}", icon=":material/block:")
        ins = None

    if ins is not None:
        det = ins.detection
        # --- What was detected ---------------------------------------------------------
        st.subheader("1. Det fandt vi i filen")
        found = {"Format": det.format}
        if det.encoding:
            found["Tegnsæt"] = det.encoding
        if det.delimiter:
            found["Skilletegn"] = det.delimiter_label
        if det.sheet:
            found["Ark"] = privacy.mask_cprs(det.sheet)
        if det.header_line:
            found["Overskrift i linje"] = str(det.header_line)
        found["Rækker"] = fmt.number(ins.rows_read)
        st.markdown("  \n".join(f"**{k}:** {v}" for k, v in found.items()))
        if len(det.sheets) > 1:
            st.selectbox(
                "Ark",
                det.sheets,
                index=det.sheets.index(det.sheet),
                format_func=privacy.mask_cprs,  # a sheet may be named after a child
                key="sheet",
            )

        missing = ins.missing_required
        if missing:
            names = ", ".join(COLUMN_LABELS[c] for c in missing)
            st.error(
                f"**Filen mangler en påkrævet kolonne: {names}.** Hedder den noget andet i "
                "filen, så vælg den under Kolonner herunder og tryk *Brug denne tilknytning*.",
                icon=":material/block:",
            )
        with st.expander("Kolonner: hvilken kolonne i filen er hvad", expanded=bool(missing)):
            st.caption("Ret tilknytningen, hvis en kolonne er gættet forkert; tjek igen bagefter.")
            options = [NO_COLUMN, *det.columns]
            table = pd.DataFrame(
                {
                    "Felt": [COLUMN_LABELS[c] for c in COLUMN_LABELS],
                    "Påkrævet": [required_text(c, missing) for c in COLUMN_LABELS],
                    "Kolonne i filen": [ins.mapping.get(c, NO_COLUMN) for c in COLUMN_LABELS],
                }
            )
            edited = st.data_editor(
                table,
                hide_index=True,
                disabled=["Felt", "Påkrævet"],
                key="mapping_editor",
                column_config={
                    "Kolonne i filen": st.column_config.SelectboxColumn(
                        options=options, required=True
                    )
                },
            )
            new_mapping = {
                canonical: col
                for canonical, col in zip(COLUMN_LABELS, edited["Kolonne i filen"], strict=True)
                if col != NO_COLUMN
            }
            if new_mapping != ins.mapping and st.button("Brug denne tilknytning"):
                st.session_state["mapping"] = new_mapping
                st.rerun()

        st.caption("De første rækker, som de står i filen (CPR-numre skjult):")
        st.dataframe(ins.preview, hide_index=True, placeholder="")
        if missing:
            return  # nothing is checked until every required field has a column

        # --- Validation report --------------------------------------------------------
        st.subheader("2. Kontrol")
        c1, c2, c3 = st.columns(3)
        c1.metric("Rækker læst", fmt.number(ins.rows_read), border=True)
        c2.metric("Kan indlæses", fmt.number(ins.rows_read - len(ins.rejections)), border=True)
        c3.metric("Afvises", fmt.number(len(ins.rejections)), border=True)
        if ins.rejections:
            st.markdown("**Afviste rækker efter årsag**")
            ui.table_with_downloads(
                pd.DataFrame(ins.reason_counts, columns=list(labels.REASON_COUNT_COLUMNS)),
                "afviste_raekker_efter_aarsag",
                key="rej_reasons",
                columns=labels.REASON_COUNT_COLUMNS,
            )
            rejected = pd.DataFrame(ins.rejections, columns=list(importer.REJECTION_FIELDS)).fillna(
                ""
            )
            st.markdown("**Afviste rækker** (ret dem i kildesystemet eller i filen)")
            ui.table_with_downloads(
                rejected,
                "afviste_raekker",
                key="rej",
                columns=labels.REJECTION_COLUMNS,
                height=min(400, ui.full_height(len(rejected))),
                placeholder="",
            )
        else:
            st.success("Alle rækker kan indlæses.", icon=":material/check_circle:")

        # --- Unknown intervention names ------------------------------------------------
        if ins.unknown_types:
            st.subheader("Ukendte indsatstyper")
            st.markdown(
                "Disse navne kendes ikke. Knyt hvert navn til en indsatstype én gang; det huskes "
                "til næste indlæsning."
            )
            types = intervention_types(store)
            codes = [t["code"] for t in types]
            names = {t["code"]: t["name_da"] for t in types}
            with st.form("aliases"):
                chosen = {}
                for name, count in ins.unknown_types:
                    chosen[name] = st.selectbox(
                        f"**{name}** ({fmt.number(count)} rækker)",
                        codes,
                        index=None,
                        format_func=lambda c: f"{names[c]} ({c})",
                        placeholder="Vælg indsatstype (eller lad være)",
                        key=f"alias_{name}",
                    )
                if st.form_submit_button("Gem tilknytninger og kontrollér igen"):
                    for name, code in chosen.items():
                        if code:
                            importer.add_alias(store, name, code)
                    st.rerun()

        # --- Import -------------------------------------------------------------------
        st.subheader("3. Indlæs")
        if ins.already_imported_as is not None:
            st.info(
                f"Denne fil er allerede indlæst som import nr. {ins.already_imported_as}. "
                "At indlæse den igen ændrer intet.",
                icon=":material/info:",
            )
        else:
            mode = st.radio(
                "Hvordan skal filen indlæses?",
                importer.MODES,
                format_func=labels.IMPORT_MODES.get,
                captions=[labels.IMPORT_MODE_TEXTS[m] for m in importer.MODES],
                key="mode",
            )
            n_ok = ins.rows_read - len(ins.rejections)
            removal = ins.replace_removal
            confirmed = True
            if mode == "replace" and removal.needs_confirmation:
                st.warning(
                    f"{removal.text()} Bevillinger, hvis rækker står i filen men afvises, "
                    "beholder deres seneste version.",
                    icon=":material/warning:",
                )
                confirmed = st.checkbox(
                    f"Ja, fjern {fmt.number(removal.removed)} bevillinger fra opgørelserne",
                    key="confirm_removal",
                )
            if n_ok == 0:
                st.error("Alle rækker afvises; der er intet at indlæse.")
            elif st.button(
                f"Indlæs {fmt.number(n_ok)} rækker", type="primary", disabled=not confirmed
            ):
                bar = st.progress(0.0, text="Starter …")
                try:
                    result = importer.import_file(
                        store,
                        path,
                        mode=mode,
                        sheet=sheet,
                        mapping=ins.mapping,
                        max_bytes=max_bytes,
                        file_name=uploaded.name,
                        user=current_actor(app=True),
                        progress=lambda f, t: bar.progress(min(f, 1.0), text=t),
                        allow_removal=mode == "replace" and removal.needs_confirmation,
                    )
                except ImportRefused as exc:
                    bar.empty()
                    st.error(str(exc))
                else:
                    bar.empty()
                    st.session_state["last_result"] = result
                    st.rerun()


if uploaded is not None:
    forget_mapping_on_new_file(uploaded)
    # The upload holds CPR numbers: it exists on disk only while this run reads it.
    with uploads.staged(store.path, uploaded.getvalue(), uploaded.name) as path:
        show_upload(uploaded, path)

last = st.session_state.pop("last_result", None)
if last is not None and last.batch_id is not None:
    st.success(
        f"**Import nr. {last.batch_id} er gemt.** Læst {fmt.number(last.rows_read)}, "
        f"indsat {fmt.number(last.inserted)}, opdateret {fmt.number(last.updated)}, "
        f"uændret {fmt.number(last.unchanged)}, afvist {fmt.number(last.rejected)}"
        + (f", fjernet {fmt.number(last.removed)}" if last.removed else "")
        + ".",
        icon=":material/check_circle:",
    )

# --- History and undo -------------------------------------------------------------------
st.subheader("Importhistorik")
history = importer.import_history(store)
if history.empty:
    st.caption("Der er ikke indlæst nogen filer endnu.")
else:
    st.dataframe(history, hide_index=True, placeholder="")
    ui.downloads(history, "importhistorik", key="hist")
    live = history.loc[history["Status"] == "", "Import nr."].tolist()
    if live:
        c1, c2 = st.columns([2, 3])
        batch = c1.selectbox(
            "Fortryd en import",
            live,
            key="undo_batch",
            format_func=lambda b: (
                f"Nr. {b}: " + str(history.loc[history["Import nr."] == b, "Fil"].iloc[0])
            ),
        )

        if c2.button("Fortryd …", key="undo_button"):
            st.session_state["confirm_undo"] = int(batch)
        pending = st.session_state.get("confirm_undo")
        if pending is not None:
            with st.container(border=True):
                st.warning(
                    f"Fortryd import nr. {pending}? Opgørelserne kommer til at se ud, som om "
                    "den aldrig var indlæst. Intet slettes: historikken bevares.",
                    icon=":material/undo:",
                )
                y, n, _ = st.columns([2, 1, 3])
                if y.button("Ja, fortryd importen", type="primary", key="undo_yes"):
                    user = current_actor(app=True)
                    importer.undo_batch(store, pending, user=user)
                    st.session_state.pop("confirm_undo")
                    st.session_state["undone"] = pending
                    st.rerun()
                if n.button("Annullér", key="undo_no"):
                    st.session_state.pop("confirm_undo")
                    st.rerun()
    undone = st.session_state.pop("undone", None)
    if undone is not None:
        st.success(f"Import nr. {undone} er fortrudt.", icon=":material/undo:")
