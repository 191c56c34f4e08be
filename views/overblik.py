"""Overblik: where the municipality stands against budget and service level."""

import streamlit as st

import ui
from slcore import charts, economy, figures, fmt
from slcore.fmt import FIGURE_LABELS

view = ui.page("Overblik")
if view.status.registrations == 0:
    ui.empty_state()
    st.stop()

period, filters, store = view.period, view.filters, view.store
# A type without a budget has none here (not 0 kr.), nor a deviation of its whole spend.
total = figures.key_figures(store, period, (), filters, missing_budget_empty=True).iloc[0]
by_type = figures.key_figures(
    store, period, ("intervention_type",), filters, missing_budget_empty=True
)
past_end = period.last_past_day
budget_same_days = figures.budget_total(store, period.start, past_end, filters)
share = figures.within_frame_share(total)
# No budget to compare with: a filter on age or team rules it out, or none exists.
split_reason = economy.no_budget_reason(filters)
budget = None if split_reason or fmt.is_missing(total["budget_dkk"]) else total["budget_dkk"]
no_budget = split_reason or "intet budget"

# --- KPI tiles: economy on the first row, activity and service level on the second ---------
realized, projected = total["realized_spend_dkk"], total["projected_spend_dkk"]
e1, e2, e3 = st.columns(3)
if budget_same_days:
    diff = realized - budget_same_days
    e1.metric(
        f"Forbrug til og med {fmt.date(past_end)}",
        fmt.mio_kr(realized),
        delta=f"{fmt.kr(diff)} mod budget for samme dage",
        delta_color="inverse",
        delta_arrow="up" if diff > 0 else "down",
        border=True,
        help=f"Budget for {fmt.date(period.start)} – {fmt.date(past_end)}: "
        f"{fmt.kr(budget_same_days)} (årets budget fordelt jævnt over dagene).",
    )
else:
    e1.metric(f"Forbrug til og med {fmt.date(past_end)}", fmt.mio_kr(realized), border=True)
if budget:
    dev = total["budget_deviation_dkk"]
    e2.metric(
        f"Forventet forbrug for perioden til {fmt.date(period.end)}",
        fmt.mio_kr(projected),
        delta=f"{fmt.kr(dev)} ({fmt.pct(dev / budget, 1, signed=True)}) mod budget",
        delta_color="inverse",
        delta_arrow="up" if dev > 0 else "down",
        border=True,
        help="Forbrug indtil nu + disponeret for resten af perioden (løbende bevillinger "
        "regnes til periodens slutning).",
    )
else:
    e2.metric(
        f"Forventet forbrug for perioden til {fmt.date(period.end)}",
        fmt.mio_kr(projected),
        border=True,
    )
if budget is None:
    e3.metric(
        "Budget for perioden",
        "–",
        delta="kan ikke opdeles" if split_reason else "intet budget",
        delta_color="off",
        delta_arrow="off",
        border=True,
        help="Budgetter findes pr. år og indsatstype; med filter på alder eller team kan "
        "forbruget ikke sammenlignes med et budget."
        if split_reason
        else "Der er intet budget for periodens år og de valgte indsatstyper. Budgetter "
        "lægges ind på siden Serviceniveau.",
    )
else:
    e3.metric(
        "Budget for perioden",
        fmt.mio_kr(budget),
        border=True,
        help="Årsbudgetter fordelt efter periodens dage i hvert år.",
    )
if split_reason:
    st.caption(f"{split_reason.capitalize()}: budgetter findes pr. år og indsatstype.")
if budget is not None:
    unbudgeted = economy.without_budget(economy.deviation_table(by_type))
    if len(unbudgeted):
        type_list = ", ".join(view.type_names.get(c, c) for c in unbudgeted["intervention_type"])
        st.caption(
            f"{fmt.kr(unbudgeted['projected'].sum())} af det forventede forbrug er på "
            f"indsatstyper uden budget for perioden ({type_list}). De har ingen afvigelse hver "
            "for sig, men tæller med i afvigelsen i alt: hele det forventede forbrug mod hele "
            "budgettet."
        )
a1, a2, a3, a4 = st.columns(4)
a1.metric(
    "Aktive bevillinger",
    fmt.number(total["active_registrations"]),
    border=True,
    help="Bevillinger, der løber mindst én dag i perioden til og med opgørelsesdagen.",
)
a2.metric(
    "Aktive børn og unge",
    fmt.number(total["active_citizens"]),
    border=True,
    help="Forskellige borgere blandt de aktive bevillinger.",
)
a3.metric(
    "Inden for rammen",
    fmt.pct(share),
    border=True,
    help="Andel af de aktive bevillinger med en ramme, der ligger inden for rammen.",
)
a4.metric(
    "Ikke-godkendte afvigelser",
    fmt.number(total["unapproved_deviations"]),
    border=True,
    help="Aktive bevillinger uden for rammen, som visitationsudvalget ikke har godkendt.",
)

# --- Charts -------------------------------------------------------------------------------
monthly = figures.monthly_spend(store, period, filters)
left, right = st.columns(2)
left.plotly_chart(
    charts.cumulative_spend_chart(
        monthly,
        period.as_of,
        view.caption,
        show_budget=filters.budget_applies,
        no_budget=no_budget,
    ),
    key="cumulative",
)
right.plotly_chart(
    charts.spend_by_type_chart(
        by_type, view.type_names, view.caption, show_budget=filters.budget_applies
    ),
    key="by_type",
)

# --- Key figures table -------------------------------------------------------------------
st.subheader("Nøgletal pr. indsatstype")
st.caption(view.caption)
table = by_type.copy()
if budget is None:
    # No column of dashes: the caption says why there is no budget to compare with.
    table = table.drop(columns=["budget_dkk", "budget_deviation_dkk"])
    st.caption(
        f"{split_reason.capitalize()}, så tabellen viser ikke budget og afvigelse."
        if split_reason
        else "Der er intet budget for perioden."
    )
table.insert(1, "intervention_name", table["intervention_type"].map(view.type_names))
table["within_frame_share"] = [figures.within_frame_share(r) for _, r in table.iterrows()]
shown = table.rename(columns=FIGURE_LABELS)
st.dataframe(ui.danish_table(shown), hide_index=True, height=38 + 35 * len(shown), placeholder="–")
ui.downloads(shown, "noegletal", period=period, key="kf")
