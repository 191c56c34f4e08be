"""Serviceniveau: the frames and budgets, maintained here; what-if; what the data say."""

import datetime as dt
from collections.abc import Callable
from typing import BinaryIO

import pandas as pd
import streamlit as st

import ui
from slcore import calibration, charts, compliance, fmt, frames
from slcore.actors import current_actor
from slcore.batches import DEMO_ENDS_TEXT, DemoNotEnded
from slcore.frames import EXTENT_UNITS, FrameError

# What a save can refuse with: a frame or budget outside the rules, or an unconfirmed demo end.
SAVE_ERRORS = (FrameError, DemoNotEnded)

UNIT_LABELS = {
    "hours_per_week": "timer/uge",
    "days_per_month": "dage/måned",
    "nights_per_month": "døgn/måned",
    "full_time": "fuld tid",
}

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


def _num(v: object) -> float | None:
    return None if v is None or pd.isna(v) else float(v)  # pd.isna also covers NaN and NA


def readable(table: pd.DataFrame) -> pd.DataFrame:
    """Return frames in the words of a service-level document."""

    def ages(r: pd.Series) -> str:
        lo, hi = _num(r["age_min"]), _num(r["age_max"])
        if lo is None and hi is None:
            return ""
        return f"{'' if lo is None else int(lo)}–{'' if hi is None else int(hi)} år"

    return pd.DataFrame(
        {
            "Indsats": table["intervention_type"].map(names),
            "Målgruppe": table.apply(ages, axis=1),
            "Højeste omfang": [
                "" if _num(e) is None else f"{fmt.number(e, 1)} {UNIT_LABELS.get(u, u or '')}"
                for e, u in zip(table["max_extent"], table["extent_unit"], strict=True)
            ],
            "Længste varighed": [
                "" if _num(m) is None else f"{int(m)} mdr." for m in table["max_duration_months"]
            ],
            "Højeste pris pr. måned (kr.)": table["max_monthly_cost"],
            "Gælder fra": [fmt.date(pd.Timestamp(d).date()) for d in table["valid_from"]],
            "Beskrivelse": table["description"].fillna(""),
        }
    )


def frame_text(frame: dict[str, object]) -> str:
    """Return a frame as one line of a service-level document, or 'ingen.'."""
    if not frame:
        return "ingen."
    row = readable(pd.DataFrame([frame])).iloc[0]
    parts = [
        f"{label}: {row[label]}"
        for label in ("Målgruppe", "Højeste omfang", "Længste varighed")
        if row[label]
    ]
    cost = _num(frame.get("max_monthly_cost"))
    if cost is not None:
        parts.append(f"Højeste pris pr. måned: {fmt.kr(cost)}")
    parts.append(f"gælder fra {row['Gælder fra']}")
    return " · ".join(parts)


def version_value(field: str, value: object) -> str:
    """Return a frame field's value in Danish for the version comparison ('–' for none)."""
    if fmt.is_missing(value):
        return "–"
    if isinstance(value, dt.date):
        return fmt.date(value)
    if field == "extent_unit":
        return UNIT_LABELS.get(str(value), str(value))
    if isinstance(value, int | float):
        return (
            fmt.kr(value)
            if field == "max_monthly_cost"
            else fmt.number(value, 0 if float(value).is_integer() else 1)
        )
    return str(value)


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


def current_frame(code: str, day: dt.date) -> dict[str, object]:
    table = frames.frames_on(store, day)
    row = table[table["intervention_type"] == code]
    if row.empty:
        return {}
    return {k: (None if pd.isna(v) else v) for k, v in row.iloc[0].to_dict().items()}


def first_of_next_month(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


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
        shown = readable(table)
        st.dataframe(ui.danish_table(shown), hide_index=True, placeholder="–")
        missing = [names[c] for c in codes if c not in set(table["intervention_type"])]
        if missing:
            st.caption("Uden ramme: " + ", ".join(missing) + ".")
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
        diff = frames.compare_versions(store, code, a, b).rename(
            columns={
                "field": "Felt",
                "version_a": f"Fra {fmt.date(a)}",
                "version_b": f"Fra {fmt.date(b)}",
                "changed": "Ændret",
            }
        )
        fields = dict(zip(frames.FRAME_LABELS.values(), frames.FRAME_LABELS, strict=True))
        for col in (f"Fra {fmt.date(a)}", f"Fra {fmt.date(b)}"):
            diff[col] = [
                version_value(fields.get(f, f), v)
                for f, v in zip(diff["Felt"], diff[col], strict=True)
            ]
        diff["Ændret"] = diff["Ændret"].map({True: "Ja", False: ""})
        st.dataframe(diff, hide_index=True, placeholder="–")

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
    shown = pd.DataFrame(
        {
            "": ["Dagens ramme", "Ny ramme"],
            "Vurderet": result["judged"],
            "Uden for rammen": result["outside"],
            "Alder": result["age"],
            "Omfang": result["extent"],
            "Varighed": result["duration"],
            "Pris": result["price"],
            "Forbrug uden for rammen (kr.)": result["outside_dkk"],
        }
    )
    st.dataframe(ui.danish_table(shown), hide_index=True, placeholder="–")
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
        table = pd.DataFrame(
            {
                "Indsats": summary["intervention_type"].map(names),
                "Bevillinger": summary["n"],
                "Afsluttede": summary["ended"],
                "Løber stadig": summary["ongoing"],
                "Median varighed, Kaplan–Meier (dage)": summary["km_median_days"],
                "Median af afsluttede (dage)": summary["plain_median_days"],
                "Andel efter 6 mdr.": summary["still_running_6m"],
                "Andel efter 12 mdr.": summary["still_running_12m"],
                "Andel efter 24 mdr.": summary["still_running_24m"],
                "Rammens længste varighed (mdr.)": summary["max_duration_months"],
            }
        )
        st.dataframe(ui.danish_table(table), hide_index=True, placeholder="–")
        ui.downloads(table, "varigheder", key="surv")
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
        dist = dist[dist["intervention_type"] == code]
        measure_names = {
            "age": "Alder ved start",
            "extent": "Omfang",
            "monthly_cost": "Pris pr. måned",
            "duration_months": "Varighed",
        }
        st.dataframe(
            ui.danish_table(
                pd.DataFrame(
                    {
                        "Mål": dist["measure"].map(measure_names),
                        "Enhed": dist["unit"],
                        "Antal": dist["n"],
                        "50 %": dist["p50"],
                        "80 %": dist["p80"],
                        "90 %": dist["p90"],
                        "Rammens grænse": dist["limit"],
                        "Andel over grænsen": dist["share_over_limit"],
                    }
                )
            ),
            hide_index=True,
            placeholder="–",
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
