"""Overblik: where the municipality stands against budget and service level."""

import streamlit as st

import ui
from slcore import charts, figures, fmt
from slcore.fmt import FIGURE_LABELS

view: ui.View = st.session_state["view"]
ui.header(view, "Overblik")
if view.status.registrations == 0:
    ui.empty_state()
    st.stop()

period, filters, store = view.period, view.filters, view.store
total = figures.key_figures(store, period, (), filters).iloc[0]
by_type = figures.key_figures(store, period, ("intervention_type",), filters)
past_end = period.last_past_day
budget_same_days = figures.budget_total(store, period.start, past_end, filters)
share = figures.within_frame_share(total)

# --- KPI tiles ---------------------------------------------------------------------------
c1, c2, c3, c4, c5, c6 = st.columns(6)
c1.metric(
    "Aktive bevillinger",
    fmt.number(total["active_registrations"]),
    border=True,
    help="Bevillinger, der løber mindst én dag i perioden til og med opgørelsesdagen.",
)
c2.metric(
    "Aktive børn og unge",
    fmt.number(total["active_citizens"]),
    border=True,
    help="Forskellige borgere blandt de aktive bevillinger.",
)
realized = total["realized_spend_dkk"]
if budget_same_days:
    diff = realized - budget_same_days
    c3.metric(
        f"Forbrug til {fmt.date(past_end)}",
        fmt.mio_kr(realized),
        delta=f"{fmt.kr(diff)} mod budget",
        delta_color="inverse",
        border=True,
        delta_arrow="up" if diff > 0 else "down",
        help=f"Budget for samme dage: {fmt.kr(budget_same_days)}.",
    )
else:
    c3.metric(
        f"Forbrug til {fmt.date(past_end)}",
        fmt.mio_kr(realized),
        border=True,
        help="Intet budget at sammenligne med for det valgte udsnit.",
    )
projected, budget = total["projected_spend_dkk"], total["budget_dkk"]
if budget and budget == budget:
    dev = total["budget_deviation_dkk"]
    c4.metric(
        f"Forventet forbrug til {fmt.date(period.end)}",
        fmt.mio_kr(projected),
        delta=f"{fmt.kr(dev)} ({fmt.pct(dev / budget, 1, signed=True)})",
        delta_color="inverse",
        delta_arrow="up" if dev > 0 else "down",
        border=True,
        help=f"Forbrug + disponeret. Budget for perioden: {fmt.kr(budget)}.",
    )
else:
    c4.metric(
        f"Forventet forbrug til {fmt.date(period.end)}",
        fmt.mio_kr(projected),
        border=True,
        help="Budgetter findes pr. indsatstype, ikke pr. alder eller team.",
    )
c5.metric(
    "Inden for rammen",
    fmt.pct(share),
    border=True,
    help="Andel af de aktive bevillinger med en ramme, der ligger inden for den.",
)
c6.metric(
    "Ikke-godkendte afvigelser",
    fmt.number(total["unapproved_deviations"]),
    border=True,
    help="Aktive bevillinger uden for rammen uden godkendelse i visitationsudvalget.",
)

# --- Charts -------------------------------------------------------------------------------
monthly = figures.monthly_spend(store, period, filters)
left, right = st.columns(2)
left.plotly_chart(
    charts.cumulative_spend_chart(
        monthly, period.as_of, view.caption, show_budget=filters.budget_applies
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
table.insert(1, "intervention_name", table["intervention_type"].map(view.type_names))
table["within_frame_share"] = [figures.within_frame_share(r) for _, r in table.iterrows()]
shown = table.rename(columns=FIGURE_LABELS)
st.dataframe(ui.danish_table(shown), hide_index=True)
ui.downloads(shown, "noegletal", key="kf")
