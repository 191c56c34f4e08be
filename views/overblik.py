"""Overblik: where the municipality stands against budget and service level."""

import streamlit as st

import ui
from slcore import charts, economy, figures, fmt

view = ui.data_page("Overblik")
if view.store.access.published:  # a politician: type level, small numbers hidden
    ui.published.overview(view)
    st.stop()

period, filters, store = view.period, view.filters, view.store
# A type without a budget has none here (not 0 kr.), nor a deviation of its whole spend.
total = figures.key_figures(store, period, (), filters, missing_budget_empty=True).iloc[0]
by_type = figures.key_figures(
    store, period, ("intervention_type",), filters, missing_budget_empty=True
)
deviation = economy.deviation_table(by_type, total=True)
past_end = period.last_past_day
budget_same_days = figures.budget_total(store, period.start, past_end, filters)
# No budget to compare with: a filter on age or team rules it out, or none exists.
split_reason = economy.no_budget_reason(view.store, filters)
budget = economy.comparable_budget(total, filters)

# --- KPI tiles: economy on the first row, activity and service level on the second ---------
realized, projected = total["realized_spend_dkk"], total["projected_spend_dkk"]
spent = ui.Tile(f"Forbrug til og med {fmt.date(past_end)}", fmt.mio_kr(realized))
if budget_same_days:
    diff = realized - budget_same_days
    spent = ui.Tile(
        spent.label,
        spent.value,
        delta=f"{fmt.kr(diff)} mod budget for samme dage",
        delta_color="inverse",
        delta_arrow="up" if diff > 0 else "down",
        help=f"Budget for {fmt.date(period.start)} – {fmt.date(past_end)}: "
        f"{fmt.kr(budget_same_days)} (årets budget fordelt jævnt over dagene).",
    )
expected = ui.Tile(
    f"Forventet forbrug for perioden til {fmt.date(period.end)}", fmt.mio_kr(projected)
)
if budget:
    dev, share = economy.total_deviation(deviation)
    expected = ui.Tile(
        expected.label,
        expected.value,
        delta=f"{fmt.kr(dev)} ({fmt.pct(share, 1, signed=True)}) mod budget",
        delta_color="inverse",
        delta_arrow="up" if dev > 0 else "down",
        help="Forbrug indtil nu + disponeret for resten af perioden (løbende bevillinger "
        "regnes til periodens slutning).",
    )
budget_help = "Årsbudgetter fordelt efter periodens dage i hvert år."
ui.tiles([spent, expected, ui.budget_tile(budget, split_reason, budget_help)])
ui.budget_notes(split_reason, deviation if budget is not None else None, view.type_names)
ui.tiles(
    [
        ui.Tile(
            "Aktive bevillinger",
            fmt.number(total["active_registrations"]),
            help="Bevillinger, der løber mindst én dag i perioden til og med opgørelsesdagen.",
        ),
        ui.Tile(
            "Aktive børn og unge",
            fmt.number(total["active_citizens"]),
            help="Forskellige borgere blandt de aktive bevillinger.",
        ),
        ui.Tile(
            "Inden for rammen",
            fmt.pct(figures.within_frame_share(total)),
            help="Andel af de aktive bevillinger med en ramme, der ligger inden for rammen.",
        ),
        ui.Tile(
            "Ikke-godkendte afvigelser",
            fmt.number(total["unapproved_deviations"]),
            help="Aktive bevillinger uden for rammen, som visitationsudvalget ikke har godkendt.",
        ),
    ]
)

# --- Charts -------------------------------------------------------------------------------
monthly = figures.monthly_spend(store, period, filters)
left, right = st.columns(2)
left.plotly_chart(
    charts.cumulative_spend_chart(
        monthly,
        period.as_of,
        view.caption,
        show_budget=figures.budget_applies(view.store, filters),
        no_budget=split_reason or "intet budget",
    ),
    key="cumulative",
)
right.plotly_chart(
    charts.spend_by_type_chart(
        by_type,
        view.type_names,
        view.caption,
        show_budget=figures.budget_applies(view.store, filters),
    ),
    key="by_type",
)

# --- Key figures table -------------------------------------------------------------------
st.subheader("Nøgletal pr. indsatstype")
st.caption(view.caption)
table = figures.with_within_frame_share(by_type)
if budget is None:
    # No column of dashes: the caption says why there is no budget to compare with.
    table = table.drop(columns=["budget_dkk", "budget_deviation_dkk"])
    st.caption(
        f"{split_reason.capitalize()}, så tabellen viser ikke budget og afvigelse."
        if split_reason
        else "Der er intet budget for perioden."
    )
table.insert(1, "intervention_name", table["intervention_type"].map(view.type_names))
ui.table_with_downloads(
    table, "noegletal", period=period, key="kf", height=ui.full_height(len(table))
)
