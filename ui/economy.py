"""The Økonomi page's parts: the spend tiles, the months and the tabs' bodies."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from slcore import activity, charts, economy, figures, fmt, labels
from slcore.figures import Filters
from ui.drill import drill_chart
from ui.sidebar import View
from ui.tables import full_height, partial_note, table_with_downloads, with_type_names, words
from ui.tiles import Tile, budget_notes, budget_tile, tiles


def _change_tile(d: economy.Decomposition) -> Tile:
    """Return the tile of the change in spend against the same days last year."""
    change = d.totals["change"]
    share = economy.change_share(d)
    return Tile(
        "Ændring mod sidste år",
        fmt.mio_kr(change),
        delta=None if share is None else fmt.pct(share, 1, signed=True),
        delta_color="inverse",
        delta_arrow="up" if change > 0 else "down",
        help="Forbruget på samme dage sidste år mod i år: fra "
        f"{fmt.date(d.previous.start)} – {fmt.date(d.previous.end)} til "
        f"{fmt.date(d.current.start)} – {fmt.date(d.current.end)}.",
    )


def spend_tiles(
    view: View,
    total: pd.Series,
    deviation: pd.DataFrame,
    decomposition: economy.Decomposition | None,
    budget: float | None,
    split_reason: str | None,
) -> None:
    """Draw the spend, expected spend (against budget), budget and change tiles, and notes."""
    period = view.period
    expected = Tile(
        f"Forventet forbrug til {fmt.date(period.end)}", fmt.mio_kr(total["projected_spend_dkk"])
    )
    if budget:
        dev, share = economy.total_deviation(deviation)
        expected = Tile(
            expected.label,
            expected.value,
            # Short enough for a quarter of the page; the exact kroner are in the help.
            delta=f"{'+' if dev > 0 else ''}{fmt.short_kr(dev)} ({fmt.pct(share, 1, signed=True)})",
            delta_color="inverse",
            delta_arrow="up" if dev > 0 else "down",
            help="Forbrug indtil nu + disponeret for resten af perioden. "
            f"Afvigelse fra budget: {fmt.kr(dev)}.",
        )
    row = [
        Tile(
            f"Forbrug til og med {fmt.date(period.last_past_day)}",
            fmt.mio_kr(total["realized_spend_dkk"]),
        ),
        expected,
        budget_tile(budget, split_reason, "Årsbudgetter fordelt efter periodens dage."),
    ]
    if decomposition is not None:
        row.append(_change_tile(decomposition))
    tiles(row, columns=4)
    budget_notes(split_reason, deviation if budget is not None else None, view.type_names)


def monthly(
    page_key: str,
    view: View,
    filters: Filters,
    total: pd.Series,
    budget: float | None,
    split_reason: str | None,
) -> None:
    """Draw the spend per month by type, the cumulative spend and the months' table."""
    store, period, caption = view.store, view.period, view.caption
    no_budget = split_reason or "intet budget"
    drill_chart(
        charts.monthly_stacked_chart(
            figures.months_so_far(
                figures.monthly_series(store, period, filters, by="intervention_type"),
                period.as_of,
            ),
            "intervention_type",
            "realized",
            words(view.type_names),
            f"Forbrug pr. måned efter indsatstype (mio. kr.)<br><sup>{caption}</sup>",
            money=True,
            as_of=period.as_of,
        ),
        page_key,
        "monthly",
    )
    spend = figures.monthly_spend(store, period, filters)
    st.plotly_chart(
        charts.cumulative_spend_chart(
            spend,
            period.as_of,
            caption,
            show_budget=figures.budget_applies(store, filters),
            no_budget=no_budget,
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
        note = partial_note(
            charts.partial_months(spend, period.as_of),
            "forbruget er kun dagene i perioden til og med opgørelsesdagen "
            f"{fmt.date(period.as_of)}, resten af perioden er disponeret.",
        )
        if note:
            st.caption(note)
        table_with_downloads(
            economy.monthly_spend_table(spend, total, budget, period.as_of),
            "forbrug_pr_maaned",
            period=period,
            key="oek_months",
        )


def deviation_tab(
    page_key: str,
    view: View,
    deviation: pd.DataFrame,
    budget: float | None,
    split_reason: str | None,
) -> None:
    """Draw the expected spend against budget per type, or the spend alone without a budget."""
    period, names = view.period, view.type_names
    table = with_type_names(deviation, names, total=True)
    if budget is None:
        # Spend per type only: no columns of dashes and no "Intet budget" on every row.
        st.info(
            f"{split_reason.capitalize()}: budgetter findes pr. indsatstype. Fjern "
            "filteret på alder eller team for at sammenligne med budgettet."
            if split_reason
            else "Der er intet budget for perioden for de valgte indsatstyper. Budgetter "
            "lægges ind på siden Serviceniveau."
        )
        table_with_downloads(
            table.drop(columns=["budget", "deviation", "deviation_share", "band"]),
            "forbrug_pr_indsatstype",
            period=period,
            key="oek_deviation",
        )
        return
    drill_chart(
        charts.deviation_chart(
            deviation.iloc[:-1],
            names,
            f"Forventet forbrug mod budget pr. indsatstype<br><sup>{view.caption}</sup>",
        ),
        page_key,
        "deviation",
    )
    st.caption(
        "Rød: mere end 5 % over budget. Gul: inden for ±5 %. Grøn: mere end 5 % under. "
        "Forventet forbrug = forbrug indtil nu + disponeret resten af perioden. En "
        "indsatstype uden budget har ingen afvigelse; I alt er hele det forventede "
        "forbrug mod hele budgettet."
    )
    table_with_downloads(
        labels.translate(table, band=words(labels.DEVIATION_BANDS)),
        "afvigelse_pr_indsatstype",
        period=period,
        key="oek_deviation",
        row_colors=[charts.DEVIATION_COLORS[b] for b in table["band"]],
        height=full_height(len(table)),
    )


def decomposition_tab(view: View, decomposition: economy.Decomposition | None) -> None:
    """Draw the change in spend against last year split into volume, mix and price."""
    if decomposition is None:
        st.info("Ingen dage i perioden er gået endnu, så der er intet at sammenligne.")
        return
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
            f"{fmt.date(view.period.as_of)}</sup>",
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
    table_with_downloads(
        with_type_names(d.table, view.type_names),
        "forklaring_af_aendringen",
        period=view.period,
        key="oek_decomposition",
        columns=labels.year_columns(y0, y1),
    )


def steps_tab(view: View, filters: Filters) -> None:
    """Draw the expected spend per step of the ladder, its share per month, and the table."""
    store, period, caption = view.store, view.period, view.caption
    steps = economy.spend_by_step(store, period, filters)
    if steps.empty:
        st.info("Intet forbrug i perioden.")
        return
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
    table_with_downloads(
        labels.translate(steps, ladder_step=labels.ladder_step),
        "forbrug_pr_trin",
        period=period,
        key="oek_steps_table",
    )


def providers_tab(view: View, filters: Filters) -> None:
    """Draw the largest providers by expected spend, and their table."""
    providers = economy.top_providers(view.store, view.period, filters)
    if providers.empty:
        st.info("Intet forbrug i perioden.")
        return
    st.plotly_chart(
        charts.group_bar_chart(
            providers,
            "provider",
            "projected",
            {},
            f"De {len(providers)} største leverandører efter forventet forbrug (mio. kr.)"
            f"<br><sup>{view.caption}</sup>",
            money=True,
            horizontal=True,
        ),
        key="oek_providers",
    )
    table_with_downloads(providers, "leverandoerer", period=view.period, key="oek_providers_table")
