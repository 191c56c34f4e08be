"""The Indlæs data page's steps: detection, column mapping, validation report, unknown names,
import, and the history with undo."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from slcore import batches, fmt, importer, labels, privacy
from slcore.access import AccessDenied
from slcore.columns import COLUMN_LABELS
from slcore.importer import Inspection
from slcore.reader import ImportRefused
from slcore.store import Store, intervention_types
from ui.tables import downloads, full_height, table_with_downloads

NO_COLUMN = "(ingen)"


def forget_mapping_on_new_file(file: Any) -> None:
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


def detection(ins: Inspection) -> None:
    """Draw step 1: what was found in the file (format, encoding, sheet …) and the sheet choice."""
    det = ins.detection
    st.subheader("1. Det fandt vi i filen")
    found: dict[str, object] = {"Format": det.format}
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


def mapping_editor(ins: Inspection) -> None:
    """Draw the missing columns' error and the editor of which file column is which field."""
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
                    options=[NO_COLUMN, *ins.detection.columns], required=True
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


def validation_report(ins: Inspection) -> None:
    """Draw step 2: rows read, importable and rejected; the rejections by reason and by row."""
    st.subheader("2. Kontrol")
    c1, c2, c3 = st.columns(3)
    c1.metric("Rækker læst", fmt.number(ins.rows_read), border=True)
    c2.metric("Kan indlæses", fmt.number(ins.rows_read - len(ins.rejections)), border=True)
    c3.metric("Afvises", fmt.number(len(ins.rejections)), border=True)
    if not ins.rejections:
        st.success("Alle rækker kan indlæses.", icon=":material/check_circle:")
        return
    st.markdown("**Afviste rækker efter årsag**")
    table_with_downloads(
        pd.DataFrame(ins.reason_counts, columns=list(labels.REASON_COUNT_COLUMNS)),
        "afviste_raekker_efter_aarsag",
        key="rej_reasons",
        columns=labels.REASON_COUNT_COLUMNS,
    )
    rejected = pd.DataFrame(ins.rejections, columns=list(importer.REJECTION_FIELDS)).fillna("")
    st.markdown("**Afviste rækker** (ret dem i kildesystemet eller i filen)")
    table_with_downloads(
        rejected,
        "afviste_raekker",
        key="rej",
        columns=labels.REJECTION_COLUMNS,
        height=min(400, full_height(len(rejected))),
        placeholder="",
    )


def unknown_names(store: Store, ins: Inspection) -> None:
    """Draw the form that ties each unknown intervention name to a type, remembered next time."""
    if not ins.unknown_types:
        return
    st.subheader("Ukendte indsatstyper")
    st.markdown(
        "Disse navne kendes ikke. Knyt hvert navn til en indsatstype én gang; det huskes "
        "til næste indlæsning."
    )
    types = intervention_types(store)
    codes = [str(t["code"]) for t in types]
    type_names = {str(t["code"]): str(t["name_da"]) for t in types}
    with st.form("aliases"):
        chosen = {}
        for name, count in ins.unknown_types:
            chosen[name] = st.selectbox(
                f"**{name}** ({fmt.number(count)} rækker)",
                codes,
                index=None,
                format_func=lambda c: f"{type_names[c]} ({c})",
                placeholder="Vælg indsatstype (eller lad være)",
                key=f"alias_{name}",
            )
        if st.form_submit_button("Gem tilknytninger og kontrollér igen"):
            try:
                for name, code in chosen.items():
                    if code:
                        importer.add_alias(store, name, code)
            except (ImportRefused, AccessDenied) as exc:
                st.error(str(exc), icon=":material/block:")
            else:
                st.rerun()


@dataclass(frozen=True)
class Upload:
    """The uploaded file as this run reads it: staged path, name, chosen sheet, size limit."""

    path: Path
    file_name: str
    sheet: str | None
    max_bytes: int


def _run_import(store: Store, ins: Inspection, up: Upload, mode: str) -> None:
    """Import the file with a progress bar; keep the result for the next run, or show why not."""
    bar = st.progress(0.0, text="Starter …")

    def progress(fraction: float, text: str) -> None:
        bar.progress(min(fraction, 1.0), text=text)

    try:
        result = importer.import_file(
            store,
            up.path,
            mode=mode,
            sheet=up.sheet,
            mapping=ins.mapping,
            max_bytes=up.max_bytes,
            file_name=up.file_name,
            user=store.access.who,
            progress=progress,
            allow_removal=mode == "replace" and ins.replace_removal.needs_confirmation,
        )
    except (ImportRefused, AccessDenied) as exc:
        bar.empty()
        st.error(str(exc))
    else:
        bar.empty()
        st.session_state["last_result"] = result
        st.rerun()


def import_step(store: Store, ins: Inspection, up: Upload) -> None:
    """Draw step 3: the mode, the confirmation of a replacement's removals, the import button."""
    st.subheader("3. Indlæs")
    if ins.already_imported_as is not None:
        st.info(
            f"Denne fil er allerede indlæst som import nr. {ins.already_imported_as}. "
            "At indlæse den igen ændrer intet.",
            icon=":material/info:",
        )
        return
    mode = st.radio(
        "Hvordan skal filen indlæses?",
        batches.MODES,
        format_func=lambda m: labels.IMPORT_MODES[m],
        captions=[labels.IMPORT_MODE_TEXTS[m] for m in batches.MODES],
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
    elif st.button(f"Indlæs {fmt.number(n_ok)} rækker", type="primary", disabled=not confirmed):
        _run_import(store, ins, up, mode)


def inspect(store: Store, up: Upload) -> Inspection | None:
    """Read and check the upload with the chosen sheet and mapping; None when it is refused."""
    try:
        with st.spinner("Læser og kontrollerer filen …"):
            return importer.inspect_file(
                store,
                up.path,
                sheet=up.sheet,
                mapping=st.session_state.get("mapping"),
                max_bytes=up.max_bytes,
                file_name=up.file_name,
            )
    except ImportRefused as exc:
        st.error(f"**Filen kan ikke indlæses.** {exc}", icon=":material/block:")
        return None


def show_upload(store: Store, file_name: str, path: Path, max_bytes: int) -> None:
    """Inspect the upload, show the report and mapping, and import it on request."""
    up = Upload(path, file_name, st.session_state.get("sheet"), max_bytes)
    ins = inspect(store, up)
    if ins is None:
        return
    detection(ins)
    mapping_editor(ins)
    st.caption("De første rækker, som de står i filen (CPR-numre skjult):")
    st.dataframe(ins.preview, hide_index=True, placeholder="")
    if ins.missing_required:
        return  # nothing is checked until every required field has a column
    validation_report(ins)
    unknown_names(store, ins)
    import_step(store, ins, up)


def last_result() -> None:
    """Say (once) what the import just made did: read, inserted, updated, … rows."""
    last = st.session_state.pop("last_result", None)
    if last is None or last.batch_id is None:
        return
    st.success(
        f"**Import nr. {last.batch_id} er gemt.** Læst {fmt.number(last.rows_read)}, "
        f"indsat {fmt.number(last.inserted)}, opdateret {fmt.number(last.updated)}, "
        f"uændret {fmt.number(last.unchanged)}, afvist {fmt.number(last.rejected)}"
        + (f", fjernet {fmt.number(last.removed)}" if last.removed else "")
        + ".",
        icon=":material/check_circle:",
    )


def _confirm_undo(store: Store, pending: int) -> None:
    """Draw the box that asks to confirm undoing an import, and undo it on yes."""
    with st.container(border=True):
        st.warning(
            f"Fortryd import nr. {pending}? Opgørelserne kommer til at se ud, som om "
            "den aldrig var indlæst. Intet slettes: historikken bevares.",
            icon=":material/undo:",
        )
        y, n, _ = st.columns([2, 1, 3])
        if y.button("Ja, fortryd importen", type="primary", key="undo_yes"):
            try:
                batches.undo_batch(store, pending)
            except (ImportRefused, AccessDenied) as exc:
                st.error(str(exc), icon=":material/block:")
                return
            st.session_state.pop("confirm_undo")
            st.session_state["undone"] = pending
            st.rerun()
        if n.button("Annullér", key="undo_no"):
            st.session_state.pop("confirm_undo")
            st.rerun()


def history(store: Store) -> None:
    """Draw the import history with its downloads, and the way to undo an import."""
    st.subheader("Importhistorik")
    table = batches.import_history(store)
    if table.empty:
        st.caption("Der er ikke indlæst nogen filer endnu.")
        return
    st.dataframe(table, hide_index=True, placeholder="")
    downloads(table, "importhistorik", key="hist")
    live = batches.undoable(table)
    if live:
        c1, c2 = st.columns([2, 3])
        batch = c1.selectbox(
            "Fortryd en import",
            list(live),
            key="undo_batch",
            format_func=lambda b: f"Nr. {b}: {live[b]}",
        )
        if c2.button("Fortryd …", key="undo_button"):
            st.session_state["confirm_undo"] = int(batch)
        pending = st.session_state.get("confirm_undo")
        if pending is not None:
            _confirm_undo(store, pending)
    undone = st.session_state.pop("undone", None)
    if undone is not None:
        st.success(f"Import nr. {undone} er fortrudt.", icon=":material/undo:")
