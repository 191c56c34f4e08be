"""Økonomi: spend against budget, why it moved since last year, and where the money goes."""

import pandas as pd
import streamlit as st

import ui
from slcore import activity, charts, economy, figures, fmt

PAGE = "oek"

view = ui.page("Økonomi")
if view.status.registrations == 0:
    ui.empty_state()
    st.stop()

filters = ui.drill_bar(PAGE, view)
period, store, names, caption = view.period, view.store, view.type_names, view.caption
# A type without a budget has none here (not 0 kr.), nor a deviation of its whole spend.
total = figures.key_figures(store, period, (), filters, missing_budget_empty=True).iloc[0]
deviation = economy.budget_deviation(store, period, filters, total=True)
decomposition = economy.change_decomposition(store, period, filters)
# No budget to compare with: a filter on age or team rules it out, or none exists.
split_reason = economy.no_budget_reason(filters)
budget = None if split_reason or fmt.is_missing(total["budget_dkk"]) else total["budget_dkk"]
no_budget = split_reason or "intet budget"

# --- Key figures ---------------------------------------------------------------------------
past_end = period.last_past_day
k1, k2, k3, k4 = st.columns(4)
k1.metric(
    f"Forbrug til og med {fmt.date(past_end)}",
    fmt.mio_kr(total["realized_spend_dkk"]),
    border=True,
)
if budget:
    dev = total["budget_deviation_dkk"]
    k2.metric(
        f"Forventet forbrug til {fmt.date(period.end)}",
        fmt.mio_kr(total["projected_spend_dkk"]),
        # Short enough for a quarter of the page; the exact kroner are in the help.
        delta=f"{'+' if dev > 0 else ''}{fmt.short_kr(dev)} "
        f"({fmt.pct(dev / budget, 1, signed=True)})",
        delta_color="inverse",
        delta_arrow="up" if dev > 0 else "down",
        border=True,
        help="Forbrug indtil nu + disponeret for resten af perioden. "
        f"Afvigelse fra budget: {fmt.kr(dev)}.",
    )
else:
    k2.metric(
        f"Forventet forbrug til {fmt.date(period.end)}",
        fmt.mio_kr(total["projected_spend_dkk"]),
        border=True,
    )
if budget is None:
    k3.metric(
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
    k3.metric(
        "Budget for perioden",
        fmt.mio_kr(budget),
        border=True,
        help="Årsbudgetter fordelt efter periodens dage.",
    )
if decomposition is not None:
    change = decomposition.totals["change"]
    k4.metric(
        "Ændring mod sidste år",
        fmt.mio_kr(change),
        delta=fmt.pct(change / decomposition.totals["spend_before"], 1, signed=True)
        if decomposition.totals["spend_before"]
        else None,
        delta_color="inverse",
        delta_arrow="up" if change > 0 else "down",
        border=True,
        help=f"Forbruget på samme dage sidste år mod i år: fra {fmt.date(decomposition.previous.start)} – "
        f"{fmt.date(decomposition.previous.end)} til {fmt.date(decomposition.current.start)} – "
        f"{fmt.date(decomposition.current.end)}.",
    )
if split_reason:
    st.caption(f"{split_reason.capitalize()}: budgetter findes pr. år og indsatstype.")
unbudgeted = economy.without_budget(deviation) if budget is not None else deviation.iloc[:0]
if len(unbudgeted):
    type_list = ", ".join(names.get(c, c) for c in unbudgeted["intervention_type"])
    st.caption(
        f"{fmt.kr(unbudgeted['projected'].sum())} af det forventede forbrug er på indsatstyper "
        f"uden budget for perioden ({type_list}). De har ingen afvigelse hver for sig, men "
        "tæller med i afvigelsen i alt: hele det forventede forbrug mod hele budgettet."
    )

# --- Spend per month -----------------------------------------------------------------------
by_type = figures.monthly_series(store, period, filters, by="intervention_type")
by_type = by_type[by_type["month_start"].dt.date <= period.as_of]
ui.drill_chart(
    charts.monthly_stacked_chart(
        by_type,
        "intervention_type",
        "realized",
        names,
        f"Forbrug pr. måned efter indsatstype (mio. kr.)<br><sup>{caption}</sup>",
        money=True,
        as_of=period.as_of,
    ),
    PAGE,
    "monthly",
)
monthly = figures.monthly_spend(store, period, filters)
st.plotly_chart(
    charts.cumulative_spend_chart(
        monthly, period.as_of, caption, show_budget=filters.budget_applies, no_budget=no_budget
    ),
    key="oek_cumulative",
)
with st.expander("Tal pr. måned"):
    # Every month stays, so the months add up to the period; a partial one says so.
    partial = charts.partial_months(monthly, period.as_of)
    table = monthly.drop(columns=["month_start", "month_end"]).copy()
    table["month"] = table["month"].map(
        lambda m: charts.month_name(pd.Timestamp(m).date(), partial)
    )
    sums = {
        "month": "Hele perioden",
        "realized": total["realized_spend_dkk"],
        "committed": total["committed_spend_dkk"],
        "budget": budget,
    }
    table = pd.concat([table, pd.DataFrame([sums])], ignore_index=True)
    if budget is None:
        table = table.drop(columns="budget")
        st.caption(
            f"Månederne summer til periodens forbrug og disponeret; {no_budget}"
            f"{'.' if split_reason else ' for perioden.'}"
        )
    else:
        table["budget"] = table["budget"].astype("float64")  # a month without one: "–"
        st.caption("Månederne summer til periodens forbrug, disponeret og budget.")
    if partial:
        st.caption(
            f"{', '.join(charts.month_name(m, partial) for m in partial)}: ikke en hel "
            "måned; forbruget er kun dagene i perioden til og med opgørelsesdagen "
            f"{fmt.date(period.as_of)}, resten af perioden er disponeret."
        )
    ui.table_with_downloads(
        table, "forbrug_pr_maaned", period=period, key="oek_months", placeholder="–"
    )

tabs = st.tabs(
    [
        "Afvigelse pr. indsatstype",
        "Forklaring af ændringen",
        "Indsatstrappen",
        "Leverandører",
        "Teams og bevillinger",
    ]
)

with tabs[0]:
    table = deviation.copy()
    table["intervention_type"] = table["intervention_type"].fillna("I alt")
    table.insert(1, "intervention_name", table["intervention_type"].map(names).fillna(""))
    if budget is None:
        # Spend per type only: no columns of dashes and no "Intet budget" on every row.
        if split_reason:
            st.info(
                f"{split_reason.capitalize()}: budgetter findes pr. indsatstype. Fjern "
                "filteret på alder eller team for at sammenligne med budgettet."
            )
        else:
            st.info(
                "Der er intet budget for perioden for de valgte indsatstyper. Budgetter "
                "lægges ind på siden Serviceniveau."
            )
        table = table.drop(columns=["budget", "deviation", "deviation_share", "band"])
        ui.table_with_downloads(
            table, "forbrug_pr_indsatstype", period=period, key="oek_deviation", placeholder="–"
        )
    else:
        ui.drill_chart(
            charts.deviation_chart(
                deviation.iloc[:-1],
                names,
                f"Forventet forbrug mod budget pr. indsatstype<br><sup>{caption}</sup>",
            ),
            PAGE,
            "deviation",
        )
        st.caption(
            "Rød: mere end 5 % over budget. Gul: inden for ±5 %. Grøn: mere end 5 % under. "
            "Forventet forbrug = forbrug indtil nu + disponeret resten af perioden. En "
            "indsatstype uden budget har ingen afvigelse; I alt er hele det forventede "
            "forbrug mod hele budgettet."
        )
        colours = [charts.DEVIATION_COLORS[b] for b in table["band"]]
        table["band"] = table["band"].map(economy.BANDS)
        shown = table.rename(columns=fmt.FIGURE_LABELS)
        styled = ui.danish_table(shown).apply(
            lambda r: [f"background-color: {colours[r.name]}"] * len(r), axis=1
        )
        st.dataframe(styled, hide_index=True, height=38 + 35 * len(shown), placeholder="–")
        ui.downloads(shown, "afvigelse_pr_indsatstype", period=period, key="oek_deviation")

with tabs[1]:
    if decomposition is None:
        st.info("Ingen dage i perioden er gået endnu, så der er intet at sammenligne.")
    else:
        d = decomposition
        st.plotly_chart(
            charts.decomposition_chart(
                d.totals,
                (
                    fmt.period_label(d.previous.start, d.previous.end),
                    fmt.period_label(d.current.start, d.current.end),
                ),
                f"Ændringen i forbrug mod samme dage sidste år: volumen, mix og pris"
                f"<br><sup>{fmt.date(d.current.start)} – {fmt.date(d.current.end)} mod "
                f"{fmt.date(d.previous.start)} – {fmt.date(d.previous.end)}, opgjort pr. "
                f"{fmt.date(period.as_of)}</sup>",
            ),
            key="oek_waterfall",
        )
        st.caption(
            "**Volumen**: flere eller færre barnedage i alt (en barnedag er en dag med en "
            "bevilling). **Mix**: barnedagene er flyttet mellem dyrere og billigere "
            "indsatstyper. **Pris**: hver barnedag af en type koster mere eller mindre. De tre "
            "dele summer præcist til ændringen. Enhedsprisen pr. barneår (365 barnedage) står "
            "ved siden af rammens pris pr. år (rammens højeste månedspris × 12)."
        )
        table = d.table.copy()
        table.insert(1, "intervention_name", table["intervention_type"].map(names))
        y0 = fmt.period_label(d.previous.start, d.previous.end)
        y1 = fmt.period_label(d.current.start, d.current.end)
        table = table.rename(
            columns={
                "child_days_before": f"Barnedage {y0}",
                "child_days_now": f"Barnedage {y1}",
                "spend_before": f"Forbrug {y0} (kr.)",
                "spend_now": f"Forbrug {y1} (kr.)",
                "unit_cost_before": f"Pris pr. barneår {y0} (kr.)",
                "unit_cost_now": f"Pris pr. barneår {y1} (kr.)",
                "frame_price_year": "Rammens pris pr. år (kr.)",
                "volume": "Volumen (kr.)",
                "mix": "Mix (kr.)",
                "price": "Pris (kr.)",
                "change": "Ændring i alt (kr.)",
            }
        )
        ui.table_with_downloads(
            table,
            "forklaring_af_aendringen",
            period=period,
            key="oek_decomposition",
            placeholder="–",
        )

with tabs[2]:
    steps = economy.spend_by_step(store, period, filters)
    if steps.empty:
        st.info("Intet forbrug i perioden.")
    else:
        step_names = {s: activity.ladder_label(s) for s in steps["ladder_step"]}
        left, right = st.columns(2)
        left.plotly_chart(
            charts.group_bar_chart(
                steps,
                "ladder_step",
                "projected",
                step_names,
                f"Forventet forbrug pr. trin på indsatstrappen (mio. kr.)<br><sup>{caption}</sup>",
                money=True,
                horizontal=True,
                keep_order=True,
            ),
            key="oek_steps",
        )
        right.plotly_chart(
            charts.ladder_mix_chart(
                activity.ladder_mix(store, period, filters),
                "spend_share",
                f"Andel af forbruget pr. trin og måned<br><sup>{caption}</sup>",
            ),
            key="oek_ladder",
        )
        table = steps.copy()
        table["ladder_step"] = table["ladder_step"].map(activity.ladder_label)
        ui.table_with_downloads(
            table, "forbrug_pr_trin", period=period, key="oek_steps_table", placeholder="–"
        )

with tabs[3]:
    providers = economy.top_providers(store, period, filters)
    if providers.empty:
        st.info("Intet forbrug i perioden.")
    else:
        st.plotly_chart(
            charts.group_bar_chart(
                providers,
                "provider",
                "projected",
                {},
                f"De {len(providers)} største leverandører efter forventet forbrug (mio. kr.)"
                f"<br><sup>{caption}</sup>",
                money=True,
                horizontal=True,
            ),
            key="oek_providers",
        )
        ui.table_with_downloads(
            providers, "leverandoerer", period=period, key="oek_providers_table", placeholder="–"
        )

with tabs[4]:
    by_team = figures.key_figures(store, period, ("team",), filters)
    by_team = by_team[by_team["projected_spend_dkk"] != 0]
    ui.drill_chart(
        charts.group_bar_chart(
            by_team,
            "team",
            "projected_spend_dkk",
            {},
            f"Forventet forbrug pr. team (mio. kr.)<br><sup>{caption}</sup>",
            money=True,
            horizontal=True,
        ),
        PAGE,
        "teams",
    )
    with st.expander("Tal pr. team"):
        team_columns = [
            "team",
            "active_registrations",
            "active_citizens",
            "realized_spend_dkk",
            "committed_spend_dkk",
            "projected_spend_dkk",
        ]
        ui.table_with_downloads(
            by_team[team_columns],
            "forbrug_pr_team",
            period=period,
            key="oek_teams",
            placeholder="–",
        )
    ui.allocation_list(PAGE, view, filters)
