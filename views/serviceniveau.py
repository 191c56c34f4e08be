"""Serviceniveau: the frames and budgets, maintained here; what-if; what the data say."""

import datetime as dt
from collections.abc import Callable
from typing import BinaryIO

import pandas as pd
import streamlit as st

import ui
from slcore import calibration, charts, compliance, fmt, frames, labels, servicelevel
from slcore.actors import current_actor
from slcore.batches import DEMO_ENDS_TEXT, DemoNotEnded
from slcore.frames import EXTENT_UNITS, FrameError
from slcore.servicelevel import first_of_next_month, frame_text

# What a save can refuse with: a frame or budget outside the rules, or an unconfirmed demo end.
SAVE_ERRORS = (FrameError, DemoNotEnded)

UNIT_LABELS = labels.EXTENT_UNITS

view = ui.page("Serviceniveau")
store, names, period = view.store, view.type_names, view.period
user = current_actor(app=True)

# On the demo, the first save ends the demo: say so and let the user confirm once.
end_demo = True
if view.status.is_demo:
    with st.container(border=True):
        st.warning(f"**Demodata.** {DEMO_ENDS_TEXT}", icon=":material/warning:")
        end_demo = st.checkbox(
            "Ja, afslut demodata, når jeg gemmer en ramme eller et budget", key="end_demo"
        )


def frame_form(prefix: str, current: dict[str, object]) -> dict[str, object]:
    """Draw inputs for a frame's limits, prefilled; return the chosen values (None = no limit)."""
    c1, c2, c3 = st.columns(3)
    values: dict[str, object] = {}
    values["age_min"] = c1.number_input(
        "Alder fra",
        0,
        30,
        value=_int(current.get("age_min")),
        key=f"{prefix}_age_min",
        placeholder="ingen grænse",
    )
    values["age_max"] = c1.number_input(
        "Alder til",
        0,
        30,
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
    units = [None, *EXTENT_UNITS]
    values["extent_unit"] = c2.selectbox(
        "Omfangsenhed",
        units,
        index=units.index(current.get("extent_unit") or None),
        format_func=lambda u: "–" if u is None else UNIT_LABELS[u],
        key=f"{prefix}_unit",
    )
    values["max_duration_months"] = c3.number_input(
        "Længste varighed (måneder)",
        1,
        600,
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


def _int(v: object) -> int | None:
    return None if v is None or pd.isna(v) else int(v)


def _num(v: object) -> float | None:
    return None if v is None or pd.isna(v) else float(v)  # pd.isna also covers NaN and NA


def current_frame(code: str, day: dt.date) -> dict[str, object]:
    """Return the type's frame in force on a day ({} for none)."""
    return servicelevel.current_frame(store, code, day)


def saved(place: str, message: str) -> None:
    """Rerun so every table, the sidebar and the header show the save; then say what was saved."""
    if view.status.is_demo:
        message += " Demodata er afsluttet; indlæs jeres udtræk under Indlæs data."
    ui.flash(place, message)
    st.rerun()


def import_expander(what: str, help_text: str, load: Callable[[BinaryIO], int], done: str) -> None:
    """Offer to import a CSV or Excel file with ``load(upload) -> count``; show the outcome."""
    ui.show_flash(f"{what}_import")
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
                saved(f"{what}_import", f"{up.name}: " + done.format(n=n))


codes = sorted(names)
tabs = st.tabs(
    ["Rammer", "Ret en ramme", "Ændringer", "Hvad nu hvis", "Rammer ud fra data", "Budgetter"]
)

# --- The frames in force -----------------------------------------------------------------
with tabs[0]:
    day = st.columns([1, 3])[0].date_input(
        "Gældende pr.", value=period.as_of, key="frames_day", format="DD-MM-YYYY"
    )
    table = frames.frames_on(store, day)
    first = frames.first_valid_from(store)
    if table.empty and first is not None:
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
            ui.danish_table(servicelevel.readable(table, names)), hide_index=True, placeholder="–"
        )
        missing = [names[c] for c in codes if c not in set(table["intervention_type"])]
        if missing:
            st.caption(f"{labels.STATUSES['no_frame']}: " + ", ".join(missing) + ".")
        ui.download_pair(
            frames.frames_csv(store).encode("utf-8"),
            frames.frames_xlsx(store),
            "rammer",
            key="frames",
        )
    import_expander(
        "rammer",
        "Kolonner som i eksporten. Hver række bliver en ny version; intet slettes.",
        lambda upload: frames.import_frames(store, upload, user=user, end_demo=end_demo),
        "{n} rammeversioner er tilføjet.",
    )


# --- Edit: a new version from a date -------------------------------------------------------
with tabs[1]:
    st.markdown(
        "En ændring bliver en **ny version** fra den dato, du vælger. Bevillinger, der "
        "startede før, vurderes stadig efter den version, der gjaldt ved deres start."
    )
    code = st.selectbox(
        "Indsatstype", codes, format_func=lambda c: f"{names[c]} ({c})", key="edit_type"
    )
    current = current_frame(code, period.as_of)
    st.caption(f"Nuværende ramme pr. {fmt.date(period.as_of)}: {frame_text(current)}")
    ui.show_flash("edit_frame")
    with st.form("edit_frame"):
        values = frame_form("edit", current)
        description = st.text_area(
            "Beskrivelse (ordlyd fra serviceniveauet)",
            value=current.get("description") or "",
            key="edit_desc",
        )
        valid_from = st.date_input(
            "Gælder fra",
            value=first_of_next_month(period.as_of),
            format="DD-MM-YYYY",
            key="edit_from",
        )
        if st.form_submit_button("Gem som ny version", type="primary"):
            try:
                frames.save_frame_version(
                    store,
                    {
                        "intervention_type": code,
                        "valid_from": valid_from,
                        **values,
                        "description": description or None,
                    },
                    user=user,
                    end_demo=end_demo,
                )
            except SAVE_ERRORS as exc:
                st.error(str(exc))
            else:
                saved(
                    "edit_frame",
                    f"Ny version af rammen for {names[code]} gælder fra {fmt.date(valid_from)}.",
                )

# --- What changed between two versions -------------------------------------------------------
with tabs[2]:
    code = st.selectbox(
        "Indsatstype", codes, format_func=lambda c: f"{names[c]} ({c})", key="cmp_type"
    )
    versions = frames.frame_versions(store, code)
    dates = [pd.Timestamp(d).date() for d in versions["valid_from"]]
    if len(dates) < 2:
        st.info(
            "Rammen for denne indsatstype har kun "
            + ("én version." if dates else "ingen versioner.")
        )
    else:
        c1, c2 = st.columns(2)
        a = c1.selectbox("Version", dates, index=len(dates) - 2, format_func=fmt.date, key="cmp_a")
        b = c2.selectbox(
            "sammenlignet med", dates, index=len(dates) - 1, format_func=fmt.date, key="cmp_b"
        )
        ui.table_with_downloads(
            servicelevel.version_comparison(store, code, a, b),
            f"rammeversioner_{code.lower()}",
            key="cmp",
            columns=labels.version_columns(fmt.date(a), fmt.date(b)),
        )

# --- What-if -------------------------------------------------------------------------------
with tabs[3]:
    st.markdown(
        "Prøv en anden ramme for én indsatstype og se straks, hvor mange af periodens "
        "aktive bevillinger der ville ligge uden for, og hvor meget af forbruget. "
        "**Intet gemmes**, før du beder om det."
    )
    code = st.selectbox(
        "Indsatstype", codes, format_func=lambda c: f"{names[c]} ({c})", key="wi_type"
    )
    values = frame_form(f"wi_{code}", current_frame(code, period.as_of))
    result = compliance.whatif(store, period, code, compliance.Limits(**values), view.filters)
    ui.table_with_downloads(
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
    wi_from = c1.date_input(
        "Gem som ny version fra",
        value=first_of_next_month(period.as_of),
        format="DD-MM-YYYY",
        key="wi_from",
    )
    ui.show_flash("wi_save")
    if c2.button("Gem den nye ramme", key="wi_save"):
        try:
            frames.save_frame_version(
                store,
                {
                    "intervention_type": code,
                    "valid_from": wi_from,
                    **values,
                    "description": current_frame(code, period.as_of).get("description"),
                },
                user=user,
                end_demo=end_demo,
            )
        except SAVE_ERRORS as exc:
            st.error(str(exc))
        else:
            saved("wi_save", f"Rammen for {names[code]} er gemt fra {fmt.date(wi_from)}.")

# --- Frames from data ------------------------------------------------------------------------
with tabs[4]:
    st.markdown(
        "Hvad viser data om alder, omfang, pris og varighed, sammenlignet med rammen? "
        "Varigheden regnes med Kaplan–Meier, så bevillinger, der stadig løber, tæller "
        "med uden at trække medianen ned."
    )
    summary = calibration.survival_summary(store, period.as_of, view.filters)
    if summary.empty:
        st.info("Ingen bevillinger at regne på.")
    else:
        ui.table_with_downloads(
            calibration.summary_table(summary, names),
            "varigheder",
            key="surv",
            columns=labels.SURVIVAL_COLUMNS,
        )
        code = st.selectbox(
            "Indsatstype",
            list(summary["intervention_type"]),
            format_func=lambda c: names.get(c, c),
            key="cal_type",
        )
        curve = calibration.survival(store, period.as_of, view.filters)
        curve = curve[curve["intervention_type"] == code]
        limit = summary.loc[summary["intervention_type"] == code, "max_duration_months"].iloc[0]
        st.plotly_chart(
            charts.survival_chart(
                curve,
                names.get(code, code),
                f"opgjort pr. {fmt.date(period.as_of)}",
                None if pd.isna(limit) else float(limit),
            ),
            key="km",
        )
        dist = calibration.distributions(store, period.as_of, view.filters)
        ui.table_with_downloads(
            calibration.distribution_table(dist, code),
            f"fordelinger_{code.lower()}",
            key="dist",
            columns=labels.DISTRIBUTION_COLUMNS,
        )
        st.caption(
            "50 %, 80 % og 90 %: den værdi, som halvdelen, 80 % og 90 % af bevillingerne "
            "ligger på eller under."
        )

# --- Budgets -------------------------------------------------------------------------------
with tabs[5]:
    year = st.columns([1, 3])[0].number_input(
        "År", 2000, 2100, value=period.as_of.year, step=1, key="budget_year"
    )
    table = frames.budgets_for_year(store, int(year))
    edited = st.data_editor(
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
    ui.show_flash("budgets")
    total = pd.to_numeric(edited["budget_dkk"], errors="coerce").sum()
    st.caption(f"I alt {fmt.kr(total)} for {int(year)}. Tomme felter betyder intet budget.")
    c1, c2 = st.columns([1, 3])
    if c1.button("Gem budgetterne", type="primary", key="budget_save"):
        try:
            n = frames.save_budgets_for_year(store, int(year), edited, user=user, end_demo=end_demo)
        except SAVE_ERRORS as exc:
            st.error(str(exc))
        else:
            saved("budgets", f"{n} budgetter for {int(year)} er gemt.")
    with st.expander(f"Kopiér budgetterne fra {int(year) - 1}"):
        factor = st.number_input(
            "Fremskrivning (fx 1,03 for 3 % pris- og lønudvikling)",
            0.5,
            2.0,
            value=1.0,
            step=0.01,
            key="budget_factor",
        )
        overwrite = st.checkbox(
            f"Erstat eksisterende budgetter for {int(year)}", key="budget_overwrite"
        )
        if st.button("Kopiér", key="budget_copy"):
            try:
                n = frames.copy_budgets(
                    store, int(year) - 1, int(year), factor, overwrite, user=user
                )
            except FrameError as exc:
                st.error(str(exc))
            else:
                saved("budgets", f"{n} budgetter er kopieret til {int(year)}.")
    ui.download_pair(
        frames.budgets_csv(store).encode("utf-8"),
        frames.budgets_xlsx(store),
        "budgetter",
        key="budgets",
    )
    import_expander(
        "budgetter",
        "Kolonner som i eksporten; et (år, indsatstype), der findes, erstattes.",
        lambda upload: frames.import_budgets(store, upload, user=user, end_demo=end_demo),
        "{n} budgetter er indlæst.",
    )
