"""Økonomi: spend against budget, why it moved since last year, and where the money goes."""

import streamlit as st

import ui
from slcore import activity, charts, economy, figures, fmt, labels

PAGE = "oek"
TEAMS = ui.TeamsTab(
    "projected_spend_dkk",
    "Forventet forbrug pr. team (mio. kr.)",
    (
        "active_registrations",
        "active_citizens",
        "realized_spend_dkk",
        "committed_spend_dkk",
        "projected_spend_dkk",
    ),
    "forbrug_pr_team",
    "oek_teams",
    money=True,
)

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
budget = economy.comparable_budget(total, filters)
no_budget = split_reason or "intet budget"

# --- Key figures ---------------------------------------------------------------------------
row = [
    ui.Tile(
        f"Forbrug til og med {fmt.date(period.last_past_day)}",
        fmt.mio_kr(total["realized_spend_dkk"]),
    ),
    ui.Tile(
        f"Forventet forbrug til {fmt.date(period.end)}", fmt.mio_kr(total["projected_spend_dkk"])
    ),
    ui.budget_tile(budget, split_reason, "Årsbudgetter fordelt efter periodens dage."),
]
if budget:
    dev, share = deviation.iloc[-1][["deviation", "deviation_share"]]
    row[1] = ui.Tile(
        row[1].label,
        row[1].value,
        # Short enough for a quarter of the page; the exact kroner are in the help.
        delta=f"{'+' if dev > 0 else ''}{fmt.short_kr(dev)} ({fmt.pct(share, 1, signed=True)})",
        delta_color="inverse",
        delta_arrow="up" if dev > 0 else "down",
        help="Forbrug indtil nu + disponeret for resten af perioden. "
        f"Afvigelse fra budget: {fmt.kr(dev)}.",
    )
if decomposition is not None:
    d, change = decomposition, decomposition.totals["change"]
    share = economy.change_share(d)
    row.append(
        ui.Tile(
            "Ændring mod sidste år",
            fmt.mio_kr(change),
            delta=None if share is None else fmt.pct(share, 1, signed=True),
            delta_color="inverse",
            delta_arrow="up" if change > 0 else "down",
            help="Forbruget på samme dage sidste år mod i år: fra "
            f"{fmt.date(d.previous.start)} – {fmt.date(d.previous.end)} til "
            f"{fmt.date(d.current.start)} – {fmt.date(d.current.end)}.",
        )
    )
ui.tiles(row, columns=4)
ui.budget_notes(split_reason, deviation if budget is not None else None, names)

# --- Spend per month -----------------------------------------------------------------------
ui.drill_chart(
    charts.monthly_stacked_chart(
        figures.months_so_far(
            figures.monthly_series(store, period, filters, by="intervention_type"), period.as_of
        ),
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
    if budget is None:
        st.caption(
            f"Månederne summer til periodens forbrug og disponeret; {no_budget}"
            f"{'.' if split_reason else ' for perioden.'}"
        )
    else:
        st.caption("Månederne summer til periodens forbrug, disponeret og budget.")
    note = ui.partial_note(
        charts.partial_months(monthly, period.as_of),
        "forbruget er kun dagene i perioden til og med opgørelsesdagen "
        f"{fmt.date(period.as_of)}, resten af perioden er disponeret.",
    )
    if note:
        st.caption(note)
    ui.table_with_downloads(
        economy.monthly_spend_table(monthly, total, budget, period.as_of),
        "forbrug_pr_maaned",
        period=period,
        key="oek_months",
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
    table = ui.with_type_names(deviation, names, total=True)
    if budget is None:
        # Spend per type only: no columns of dashes and no "Intet budget" on every row.
        st.info(
            f"{split_reason.capitalize()}: budgetter findes pr. indsatstype. Fjern "
            "filteret på alder eller team for at sammenligne med budgettet."
            if split_reason
            else "Der er intet budget for perioden for de valgte indsatstyper. Budgetter "
            "lægges ind på siden Serviceniveau."
        )
        ui.table_with_downloads(
            table.drop(columns=["budget", "deviation", "deviation_share", "band"]),
            "forbrug_pr_indsatstype",
            period=period,
            key="oek_deviation",
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
        ui.table_with_downloads(
            labels.translate(table, band=labels.DEVIATION_BANDS),
            "afvigelse_pr_indsatstype",
            period=period,
            key="oek_deviation",
            row_colors=[charts.DEVIATION_COLORS[b] for b in table["band"]],
            height=ui.full_height(len(table)),
        )

with tabs[1]:
    if decomposition is None:
        st.info("Ingen dage i perioden er gået endnu, så der er intet at sammenligne.")
    else:
        d = decomposition
        y0 = fmt.period_label(d.previous.start, d.previous.end)
        y1 = fmt.period_label(d.current.start, d.current.end)
        st.plotly_chart(
            charts.decomposition_chart(
                d.totals,
                (y0, y1),
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
        ui.table_with_downloads(
            ui.with_type_names(d.table, names),
            "forklaring_af_aendringen",
            period=period,
            key="oek_decomposition",
            columns=labels.year_columns(y0, y1),
        )

with tabs[2]:
    steps = economy.spend_by_step(store, period, filters)
    if steps.empty:
        st.info("Intet forbrug i perioden.")
    else:
        left, right = st.columns(2)
        left.plotly_chart(
            charts.group_bar_chart(
                steps,
                "ladder_step",
                "projected",
                {s: labels.ladder_step(s) for s in steps["ladder_step"]},
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
        ui.table_with_downloads(
            labels.translate(steps, ladder_step=labels.ladder_step),
            "forbrug_pr_trin",
            period=period,
            key="oek_steps_table",
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
            providers, "leverandoerer", period=period, key="oek_providers_table"
        )

with tabs[4]:
    ui.teams_tab(PAGE, view, filters, TEAMS)
