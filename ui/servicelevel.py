"""The Serviceniveau page's parts: the frame form, the tabs' bodies and the file imports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, BinaryIO

import pandas as pd
import streamlit as st

from slcore import (
    access,
    bounds,
    budgets,
    calibration,
    charts,
    compliance,
    fmt,
    frames,
    labels,
    rolesplan,
    servicelevel,
)
from slcore.access import AccessDenied
from slcore.batches import DEMO_ENDS_TEXT, DemoNotEnded
from slcore.servicelevel import first_of_next_month, frame_text
from slcore.store import Store
from slcore.values import FrameError
from ui import login
from ui.shell import flash, show_flash
from ui.sidebar import View, date_field
from ui.tables import danish_table, download_pair, table_with_downloads
from ui.turn import in_turn

# What a save can refuse with: a frame or budget outside the rules, or an unconfirmed demo end.
SAVE_ERRORS = (FrameError, DemoNotEnded, AccessDenied)
# The choices in the tabs that outlive their tab being hidden: each tab's intervention type
# and the budgets' year.
KEPT_WIDGETS = ("edit_type", "cmp_type", "wi_type", "cal_type", "budget_year")


@dataclass(frozen=True)
class Editor:
    """Who edits the frames and budgets on which view, and whether a save may end the demo."""

    view: View
    user: str
    end_demo: bool

    @property
    def may_edit(self) -> bool:
        """Return whether the person may change frames and budgets (slcore refuses otherwise)."""
        return self.view.store.access.may(access.EDIT_FRAMES)

    @property
    def codes(self) -> list[str]:
        """Return the intervention types in code order."""
        return sorted(self.view.type_names)

    def type_choice(self, key: str) -> str:
        """Draw the choice of an intervention type; return its code."""
        names = self.view.type_names
        return str(
            st.selectbox(
                "Indsatstype", self.codes, format_func=lambda c: f"{names[c]} ({c})", key=key
            )
        )

    def saved(self, place: str, message: str) -> None:
        """Rerun so every table, the sidebar and the header show the save; then say what."""
        if self.view.status.is_demo:
            message += " Demodata er afsluttet; indlæs jeres udtræk under Indlæs data."
        flash(place, message)
        st.rerun()

    def save_frame(self, frame: dict[str, Any], place: str, message: str) -> None:
        """Save a new frame version; say why not, or rerun and say what was saved."""
        try:
            frames.save_frame_version(
                self.view.store, frame, user=self.user, end_demo=self.end_demo
            )
        except SAVE_ERRORS as exc:
            st.error(str(exc))
        else:
            self.saved(place, message)


def demo_end(view: View) -> bool:
    """On the demo, say that the first save ends it and ask to confirm once; return the answer."""
    if not view.status.is_demo or not view.store.access.may(access.EDIT_FRAMES):
        return True
    with st.container(border=True):
        st.warning(f"**Demodata.** {DEMO_ENDS_TEXT}", icon=":material/warning:")
        return st.checkbox(
            "Ja, afslut demodata, når jeg gemmer en ramme eller et budget", key="end_demo"
        )


def read_only_note() -> None:
    """Say that the service level is shown read only, and who changes it."""
    st.caption(
        ":material/visibility: Du ser serviceniveauet uden at kunne ændre det; "
        "rammer og budgetter ændres af en analytiker."
    )


def _int(v: Any) -> int | None:
    return None if v is None or pd.isna(v) else int(v)


def _num(v: Any) -> float | None:
    return None if v is None or pd.isna(v) else float(v)  # pd.isna also covers NaN and NA


def frame_form(prefix: str, current: dict[str, Any]) -> dict[str, Any]:
    """Draw inputs for a frame's limits, prefilled; return the chosen values (None = no limit)."""
    c1, c2, c3 = st.columns(3)
    values: dict[str, Any] = {}
    values["age_min"] = c1.number_input(
        "Alder fra",
        bounds.MIN_AGE,
        bounds.MAX_AGE,
        value=_int(current.get("age_min")),
        key=f"{prefix}_age_min",
        placeholder="ingen grænse",
    )
    values["age_max"] = c1.number_input(
        "Alder til",
        bounds.MIN_AGE,
        bounds.MAX_AGE,
        value=_int(current.get("age_max")),
        key=f"{prefix}_age_max",
        placeholder="ingen grænse",
    )
    values["max_extent"] = c2.number_input(
        "Højeste omfang",
        0.0,
        value=_num(current.get("max_extent")),
        step=0.5,
        format="%g",  # 10 or 2.5, not 10.00
        key=f"{prefix}_max_extent",
        placeholder="ingen grænse",
    )
    units: list[Any] = [None, *frames.EXTENT_UNITS]
    values["extent_unit"] = c2.selectbox(
        "Omfangsenhed",
        units,
        index=units.index(current.get("extent_unit") or None),
        format_func=lambda u: "–" if u is None else labels.EXTENT_UNITS[u],
        key=f"{prefix}_unit",
    )
    values["max_duration_months"] = c3.number_input(
        "Længste varighed (måneder)",
        1,
        bounds.MAX_FRAME_DURATION_MONTHS,
        value=_int(current.get("max_duration_months")),
        key=f"{prefix}_dur",
        placeholder="ingen grænse",
    )
    values["max_monthly_cost"] = c3.number_input(
        "Højeste pris pr. måned (kr.)",
        0.0,
        value=_num(current.get("max_monthly_cost")),
        step=500.0,
        format="%.0f",  # whole kroner, not 155000.00
        key=f"{prefix}_cost",
        placeholder="ingen grænse",
    )
    return values


def import_expander(
    ed: Editor, what: str, help_text: str, load: Callable[[BinaryIO], int], done: str
) -> None:
    """Offer to import a CSV or Excel file with ``load(upload) -> count``; show the outcome."""
    if not ed.may_edit:
        return
    show_flash(f"{what}_import")
    with st.expander(f"Indlæs {what} fra en fil (CSV eller Excel)"):
        st.caption(help_text)
        up = st.file_uploader(
            f"Fil med {what} (CSV eller Excel, højst 200 MB)",
            type=["csv", "xlsx"],
            key=f"{what}_upload",
            help=help_text,
        )
        if up is not None and st.button(f"Indlæs {what}ne", key=f"{what}_import"):
            try:  # read in memory: frames and budgets take the upload itself, no temp file
                n = load(up)
            except SAVE_ERRORS as exc:
                st.error(f"**{up.name}** kan ikke indlæses. {exc}")
            else:
                ed.saved(f"{what}_import", f"{up.name}: " + done.format(n=n))


def frames_tab(ed: Editor) -> None:
    """Draw the frames in force on a chosen day, their downloads and the frames' import."""
    store, names = ed.view.store, ed.view.type_names
    column = st.columns([1, 3])[0]
    day = date_field(column, "Gældende pr.", "frames_day", ed.view.period.as_of, in_url=False)
    table = frames.frames_on(store, day)
    first = frames.first_valid_from(store) if table.empty else None
    if first is not None:
        st.info(
            f"Ingen rammer gælder pr. {fmt.date(day)}; den første gælder fra "
            f"{fmt.date(first)}. Vælg en senere dato.",
            icon=":material/event:",
        )
    elif table.empty:
        st.info(
            "Der er ingen rammer endnu. Opret en under 'Ret en ramme', eller indlæs en "
            "fil med rammer herunder."
        )
    else:
        st.dataframe(
            danish_table(servicelevel.readable(table, names)), hide_index=True, placeholder="–"
        )
        missing = servicelevel.without_frame(table, names)
        if missing:
            st.caption(f"{labels.STATUSES['no_frame']}: " + ", ".join(missing) + ".")
        download_pair(
            lambda: frames.frames_csv(store).encode("utf-8"),
            lambda: frames.frames_xlsx(store),
            "rammer",
            "frames",
        )
    import_expander(
        ed,
        "rammer",
        "Kolonner som i eksporten. Hver række bliver en ny version; intet slettes.",
        lambda upload: frames.import_frames(store, upload, user=ed.user, end_demo=ed.end_demo),
        "{n} rammeversioner er tilføjet.",
    )


def edit_tab(ed: Editor) -> None:
    """Draw the form that saves a type's frame as a new version from a date."""
    as_of = ed.view.period.as_of
    st.markdown(
        "En ændring bliver en **ny version** fra den dato, du vælger. Bevillinger, der "
        "startede før, vurderes stadig efter den version, der gjaldt ved deres start."
    )
    code = ed.type_choice("edit_type")
    current = servicelevel.current_frame(ed.view.store, code, as_of)
    st.caption(f"Nuværende ramme pr. {fmt.date(as_of)}: {frame_text(current)}")
    show_flash("edit_frame")
    with st.form("edit_frame"):
        values = frame_form("edit", current)
        description = st.text_area(
            "Beskrivelse (ordlyd fra serviceniveauet)",
            value=str(current.get("description") or ""),
            key="edit_desc",
        )
        valid_from = st.date_input(
            "Gælder fra", value=first_of_next_month(as_of), format="DD-MM-YYYY", key="edit_from"
        )
        if st.form_submit_button("Gem som ny version", type="primary"):
            ed.save_frame(
                {
                    "intervention_type": code,
                    "valid_from": valid_from,
                    **values,
                    "description": description or None,
                },
                "edit_frame",
                f"Ny version af rammen for {ed.view.type_names[code]} gælder fra "
                f"{fmt.date(valid_from)}.",
            )


def versions_tab(ed: Editor) -> None:
    """Draw what changed between two versions of a type's frame."""
    code = ed.type_choice("cmp_type")
    versions = frames.frame_versions(ed.view.store, code)
    dates = [pd.Timestamp(d).date() for d in versions["valid_from"]]
    if len(dates) < 2:
        st.info(
            "Rammen for denne indsatstype har kun "
            + ("én version." if dates else "ingen versioner.")
        )
        return
    c1, c2 = st.columns(2)
    a = c1.selectbox("Version", dates, index=len(dates) - 2, format_func=fmt.date, key="cmp_a")
    b = c2.selectbox(
        "sammenlignet med", dates, index=len(dates) - 1, format_func=fmt.date, key="cmp_b"
    )
    table_with_downloads(
        servicelevel.version_comparison(ed.view.store, code, a, b),
        f"rammeversioner_{code.lower()}",
        key="cmp",
        columns=labels.version_columns(fmt.date(a), fmt.date(b)),
    )


def whatif_tab(ed: Editor) -> None:
    """Draw another frame for one type, what would fall outside it, and a way to save it."""
    view = ed.view
    period = view.period
    st.markdown(
        "Prøv en anden ramme for én indsatstype og se straks, hvor mange af periodens "
        "aktive bevillinger der ville ligge uden for, og hvor meget af forbruget. "
        "**Intet gemmes**, før du beder om det."
    )
    code = ed.type_choice("wi_type")
    current = servicelevel.current_frame(view.store, code, period.as_of)
    values = frame_form(f"wi_{code}", current)
    result = compliance.whatif(view.store, period, code, compliance.Limits(**values), view.filters)
    table_with_downloads(
        compliance.whatif_table(result),
        f"hvad_nu_hvis_{code.lower()}",
        key="whatif",
        period=period,
        columns=labels.WHATIF_COLUMNS,
    )
    st.caption(
        f"Aktive bevillinger af typen i perioden {view.caption}. Dagens ramme er den "
        "version, der gjaldt ved hver bevillings start."
    )
    c1, c2 = st.columns([1, 2])
    wi_from = date_field(
        c1, "Gem som ny version fra", "wi_from", first_of_next_month(period.as_of), in_url=False
    )
    show_flash("wi_save")
    if c2.button("Gem den nye ramme", key="wi_save"):
        ed.save_frame(
            {
                "intervention_type": code,
                "valid_from": wi_from,
                **values,
                "description": current.get("description"),
            },
            "wi_save",
            f"Rammen for {view.type_names[code]} er gemt fra {fmt.date(wi_from)}.",
        )


def from_data_tab(view: View) -> None:
    """Draw what the data say about durations (Kaplan–Meier) and the distributions per type."""
    store, names, as_of = view.store, view.type_names, view.period.as_of
    st.markdown(
        "Hvad viser data om alder, omfang, pris og varighed, sammenlignet med rammen? "
        "Varigheden regnes med Kaplan–Meier, så bevillinger, der stadig løber, tæller "
        "med uden at trække medianen ned."
    )
    summary = calibration.survival_summary(store, as_of, view.filters)
    if summary.empty:
        st.info("Ingen bevillinger at regne på.")
        return
    table_with_downloads(
        calibration.summary_table(summary, names),
        "varigheder",
        key="surv",
        columns=labels.SURVIVAL_COLUMNS,
    )
    code = str(
        st.selectbox(
            "Indsatstype",
            list(summary["intervention_type"]),
            format_func=lambda c: names.get(c, c),
            key="cal_type",
        )
    )
    st.plotly_chart(
        charts.survival_chart(
            calibration.of_type(calibration.survival(store, as_of, view.filters), code),
            names.get(code, code),
            f"opgjort pr. {fmt.date(as_of)}",
            calibration.duration_limit(summary, code),
        ),
        key="km",
    )
    table_with_downloads(
        calibration.distribution_table(calibration.distributions(store, as_of, view.filters), code),
        f"fordelinger_{code.lower()}",
        key="dist",
        columns=labels.DISTRIBUTION_COLUMNS,
    )
    st.caption(
        "50 %, 80 % og 90 %: den værdi, som halvdelen, 80 % og 90 % af bevillingerne "
        "ligger på eller under."
    )


def _budget_editor(year: int, table: pd.DataFrame) -> pd.DataFrame:
    """Draw the year's budgets as an editable table; return it as edited."""
    return st.data_editor(
        table,
        hide_index=True,
        disabled=["intervention_type", "name_da"],
        key=f"budget_editor_{year}",
        placeholder="",  # an empty cell is no budget, as the caption says
        column_config={
            "intervention_type": "Indsatstype",
            "name_da": "Indsats",
            "budget_dkk": st.column_config.NumberColumn(
                "Budget (kr.)", min_value=0, step=1000, format="%.0f"
            ),
            "planned_cases": st.column_config.NumberColumn(
                "Planlagte sager", min_value=0, step=1, format="%d"
            ),
        },
    )


def _copy_budgets(ed: Editor, year: int) -> None:
    """Draw the copy of last year's budgets into this year, scaled by a factor."""
    with st.expander(f"Kopiér budgetterne fra {year - 1}"):
        factor = st.number_input(
            "Fremskrivning (fx 1,03 for 3 % pris- og lønudvikling)",
            0.5,
            2.0,
            value=1.0,
            step=0.01,
            key="budget_factor",
        )
        overwrite = st.checkbox(f"Erstat eksisterende budgetter for {year}", key="budget_overwrite")
        if st.button("Kopiér", key="budget_copy"):
            try:
                n = budgets.copy_budgets(
                    ed.view.store, year - 1, year, factor, overwrite, user=ed.user
                )
            except FrameError as exc:
                st.error(str(exc))
            else:
                ed.saved("budgets", f"{n} budgetter er kopieret til {year}.")


def budgets_tab(ed: Editor) -> None:
    """Draw a year's budgets to edit and save, the copy from last year, downloads and import."""
    store = ed.view.store
    year = int(
        st.columns([1, 3])[0].number_input(
            "År", 2000, 2100, value=ed.view.period.as_of.year, step=1, key="budget_year"
        )
    )
    if not ed.may_edit:
        table = budgets.budgets_for_year(store, year)
        st.dataframe(danish_table(table), hide_index=True, placeholder="–")
        st.caption(
            f"I alt {fmt.kr(budgets.table_total(table))} for {year}. Du kan se budgetterne; "
            "en analytiker ændrer dem."
        )
        download_pair(
            lambda: budgets.budgets_csv(store).encode("utf-8"),
            lambda: budgets.budgets_xlsx(store),
            "budgetter",
            "budgets",
        )
        return
    edited = _budget_editor(year, budgets.budgets_for_year(store, year))
    show_flash("budgets")
    st.caption(
        f"I alt {fmt.kr(budgets.table_total(edited))} for {year}. "
        "Tomme felter betyder intet budget."
    )
    c1, _ = st.columns([1, 3])
    if c1.button("Gem budgetterne", type="primary", key="budget_save"):
        try:
            n = budgets.save_budgets_for_year(
                store, year, edited, user=ed.user, end_demo=ed.end_demo
            )
        except SAVE_ERRORS as exc:
            st.error(str(exc))
        else:
            ed.saved("budgets", f"{n} budgetter for {year} er gemt.")
    _copy_budgets(ed, year)
    download_pair(
        lambda: budgets.budgets_csv(store).encode("utf-8"),
        lambda: budgets.budgets_xlsx(store),
        "budgetter",
        "budgets",
    )
    import_expander(
        ed,
        "budgetter",
        "Kolonner som i eksporten; et (år, indsatstype), der findes, erstattes.",
        lambda upload: budgets.import_budgets(store, upload, user=ed.user, end_demo=ed.end_demo),
        "{n} budgetter er indlæst.",
    )


def roles_tab(ed: Editor) -> None:
    """Draw the plan for roles and responsibilities (roles × phases), editable for analysts."""
    store = ed.view.store
    st.caption(
        "Hvem gør hvad i serviceniveauets udvikling, implementering og opfølgning. Planen "
        "står i serviceniveaudokumentet."
    )
    table = rolesplan.plan(store)
    config = {code: col.label for code, col in rolesplan.COLUMNS.items()}
    show_flash("roles_plan")
    if not ed.may_edit:
        st.dataframe(table, hide_index=True, column_config=config)
        return
    edited = st.data_editor(
        table, hide_index=True, num_rows="dynamic", column_config=config, key="roles_editor"
    )
    if st.button("Gem planen", type="primary", key="roles_save"):
        try:
            n = rolesplan.save_plan(store, edited)
        except (ValueError, AccessDenied) as exc:
            st.error(str(exc), icon=":material/error:")
        else:
            flash("roles_plan", f"Planen med {n} roller er gemt.")
            st.rerun()


def document_tab(ed: Editor) -> None:
    """Offer the service-level document (PDF, DOCX) for a day, with changes since another."""
    store, as_of = ed.view.store, ed.view.period.as_of
    c1, c2, _ = st.columns([1, 1, 2])
    on = date_field(c1, "Gældende pr.", "doc_on", as_of, in_url=False)
    since = date_field(
        c2,
        "Ændringer siden",
        "doc_since",
        dt.date(on.year - 1, on.month, min(on.day, 28)),
        "Ændringer i rammerne siden denne dato markeres.",
        in_url=False,
    )
    if since >= on:
        st.error("Vælg en dato for ændringer, der ligger før »Gældende pr.«.")
        return
    st.caption(
        "Rammerne i kraft, skrevet som serviceniveauet læses af sagsbehandlere og borgere, med "
        "ændringerne markeret, og planen for roller og ansvar, i kommunens design."
    )
    if not login.current_may(access.DOWNLOAD):
        st.info("Dine roller giver ikke adgang til at hente dokumentet.", icon=":material/lock:")
        return
    stem = f"serviceniveau_{on:%Y-%m-%d}"
    b1, b2, _ = st.columns([1, 1, 4])
    for column, kind, mime in (
        (b1, "pdf", "application/pdf"),
        (b2, "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ):
        column.download_button(
            f"Hent {kind.upper()}",
            in_turn(partial(_document_bytes, store, on, since, kind), store),
            file_name=f"{stem}.{kind}",
            mime=mime,
            key=f"doc_{kind}",
            icon=":material/description:",
        )


def _document_bytes(store: Store, on: dt.date, since: dt.date, kind: str) -> bytes:
    from slcore import document

    return document.service_level_document(
        store, on, since, "docx" if kind == "docx" else "pdf", document.stored_logo(store)
    )
