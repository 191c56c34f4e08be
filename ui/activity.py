"""The Aktivitet page's parts: the tiles against last year, the months and the tabs' bodies."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from slcore import activity, charts, figures, fmt, labels
from slcore.figures import Filters
from slcore.periods import year_earlier
from ui.drill import drill_chart
from ui.sidebar import View
from ui.tables import partial_note, table_with_downloads, with_type_names, words
from ui.tiles import Tile, arrow, tiles

MEASURES, DIMENSIONS = labels.ACTIVITY_MEASURES, labels.ACTIVITY_DIMENSIONS
FIGURES = ("active_registrations", "active_citizens", "new_registrations", "ended_registrations")
HELPS = {
    "active_registrations": "Bevillinger, der løber mindst én dag.",
    "active_citizens": "Forskellige borgere med en aktiv bevilling.",
    "new_registrations": "Bevillinger, der er startet i perioden.",
    "ended_registrations": "Bevillinger, der er slut i perioden.",
}


def since(comparison: activity.YearComparison) -> str:
    """Return the same days last year in Danish, ``01-01-2024 – 30-06-2024``."""
    return f"{fmt.date(comparison.previous.start)} – {fmt.date(comparison.previous.end)}"


def year_comparison_or_stop(view: View, filters: Filters) -> activity.YearComparison:
    """Return the period's days so far against the same days last year; or, when no day of
    the period has passed, say so and stop the page."""
    comparison = activity.year_comparison(view.store, view.period, filters)
    if comparison is None:
        st.info(
            f"Perioden begynder efter opgørelsesdagen {fmt.date(view.period.as_of)}; der er "
            "endnu ingen aktivitet at vise. Vælg en anden periode eller opgørelsesdag i "
            "sidepanelet."
        )
        st.stop()
    return comparison


def year_tiles(comparison: activity.YearComparison) -> None:
    """Draw the four activity tiles, each against the same days last year."""
    row = comparison.table.iloc[0]
    tiles(
        [
            Tile(
                labels.COLUMNS[figure].label,
                fmt.number(row[f"{figure}_now"]),
                delta=f"{'+' if row[f'{figure}_change'] > 0 else ''}"
                f"{fmt.number(row[f'{figure}_change'])} mod samme dage sidste år",
                delta_color="off",
                delta_arrow=arrow(row[f"{figure}_change"]),
                help=f"{text} Sammenlignet med {since(comparison)}: "
                f"{fmt.number(row[f'{figure}_before'])}.",
            )
            for figure, text in HELPS.items()
        ]
    )


def monthly_chart(page_key: str, view: View, filters: Filters) -> None:
    """Draw the chosen measure per month, stacked by type or category (a click drills down)."""
    period = view.period
    c1, c2 = st.columns(2)
    measure = str(
        c1.segmented_control(
            "Vis",
            list(MEASURES),
            format_func=lambda m: MEASURES[m],
            default="active_registrations",
            required=True,
            key="akt_maal",
        )
    )
    dimension = str(
        c2.segmented_control(
            "Opdelt efter",
            list(DIMENSIONS),
            format_func=lambda d: DIMENSIONS[d],
            default="intervention_type",
            required=True,
            key="akt_opdeling",
        )
    )
    series = figures.months_so_far(
        figures.monthly_series(view.store, period, filters, by=dimension), period.as_of
    )
    drill_chart(
        charts.monthly_stacked_chart(
            series,
            dimension,
            measure,
            words({**view.type_names, **labels.CATEGORIES}),
            f"{MEASURES[measure]} pr. måned efter {DIMENSIONS[dimension].lower()}"
            f"<br><sup>{view.caption}</sup>",
            as_of=period.as_of,
        ),
        page_key,
        f"monthly_{dimension}",
    )


def period_so_far(comparison: activity.YearComparison) -> pd.Series:
    """Return the period's key figures that the tiles already hold, by their own names.

    The comparison's current side is the period's past days as of the as-of date, which is
    what the period's key figures count (active, new and ended allocations, children), so
    the months' table needs no query of its own for its last row.
    """
    row = comparison.table.iloc[0]
    return pd.Series({figure: row[f"{figure}_now"] for figure in activity.COMPARED})


def children_by_month(view: View, filters: Filters, comparison: activity.YearComparison) -> None:
    """Draw the children per month against the same month a year before, and the months' table."""
    store, period = view.store, view.period
    totals, before = activity.months_against_last_year(store, period, filters)
    previous = year_earlier(period)
    st.plotly_chart(
        charts.year_over_year_chart(
            totals,
            before,
            "active_citizens",
            (
                f"Året før ({fmt.period_label(previous.start, previous.end)})",
                f"Børn og unge {fmt.period_label(period.start, period.end)}",
            ),
            f"Børn og unge med en aktiv bevilling pr. måned, mod samme måned året før"
            f"<br><sup>{view.caption}</sup>",
            as_of=period.as_of,
        ),
        key="akt_children",
    )
    with st.expander("Tal pr. måned"):
        note = partial_note(
            charts.partial_months(totals, period.as_of),
            f"kun dagene i perioden til og med opgørelsesdagen {fmt.date(period.as_of)} er talt.",
        )
        st.caption(
            "Aktive bevillinger og børn tælles én gang for hele perioden, så de er ikke "
            "summen af månederne; nye, afsluttede og barnedage er." + (f" {note}" if note else "")
        )
        table_with_downloads(
            activity.monthly_table(totals, period_so_far(comparison), period.as_of),
            "aktivitet_pr_maaned",
            period=period,
            key="akt_months",
        )


def age_tab(page_key: str, view: View, filters: Filters) -> None:
    """Draw the children per age band, the type × age heat map and the age table."""
    store, period, caption = view.store, view.period, view.caption
    by_age = figures.key_figures(store, period, ("age_band",), filters)
    left, right = st.columns([2, 3])
    drill_chart(
        charts.group_bar_chart(
            by_age,
            "age_band",
            "active_citizens",
            {b: labels.age_band(b) for b in figures.AGE_BANDS},
            f"Børn og unge pr. aldersgruppe<br><sup>{caption}</sup>",
            keep_order=True,
        ),
        page_key,
        "age",
        container=left,
    )
    grid = figures.without_zero(
        figures.key_figures(store, period, ("intervention_type", "age_band"), filters),
        "active_registrations",
    )
    if grid.empty:
        right.info("Ingen aktive bevillinger i perioden.")
    else:
        right.plotly_chart(
            charts.activity_heatmap(
                grid,
                view.type_names,
                "active_registrations",
                f"Aktive bevillinger pr. indsatstype og alder<br><sup>{caption}</sup>",
            ),
            key="akt_heatmap",
        )
    columns = ["age_band", *FIGURES, "realized_spend_dkk", "median_duration_days"]
    table_with_downloads(by_age[columns], "aktivitet_alder", period=period, key="akt_age")


def ladder_tab(view: View, filters: Filters) -> None:
    """Draw the children's and the spend's shares per step of the ladder, and their table."""
    mix = activity.ladder_mix(view.store, view.period, filters)
    if mix.empty:
        st.info("Ingen aktive bevillinger i perioden.")
        return
    st.caption(
        "Socialstyrelsens indsatstrappe: trin 2 er den tidlige forebyggende indsats, trin "
        "6 anbringelse på institution. Et barn med indsatser på flere trin tælles på det "
        "højeste. Målet er, at andelen på de lave trin vokser."
    )
    for place, (share, what, key) in zip(
        st.columns(2),
        (
            ("child_share", "Andel af børnene", "akt_ladder_children"),
            ("spend_share", "Andel af forbruget", "akt_ladder_spend"),
        ),
        strict=True,
    ):
        place.plotly_chart(
            charts.ladder_mix_chart(mix, share, f"{what} pr. trin<br><sup>{view.caption}</sup>"),
            key=key,
        )
    table_with_downloads(
        activity.ladder_table(mix), "indsatstrappen", period=view.period, key="akt_ladder"
    )


def durations_tab(view: View, filters: Filters) -> None:
    """Draw the durations per type, ended and ongoing, and their table."""
    lengths = activity.durations(view.store, view.period, filters)
    if lengths.empty:
        st.info("Ingen aktive bevillinger i perioden.")
        return
    st.plotly_chart(
        charts.duration_chart(
            lengths,
            view.type_names,
            f"Varighed pr. indsatstype: afsluttede og løbende<br><sup>{view.caption}</sup>",
        ),
        key="akt_durations",
    )
    st.caption(
        "Afsluttede: hele varigheden for bevillinger, der sluttede i perioden. Løbende: "
        "varigheden indtil nu for bevillinger, der stadig løber."
    )
    table_with_downloads(
        labels.translate(
            with_type_names(lengths, view.type_names), state=words(labels.DURATION_STATES)
        ),
        "varighed",
        period=view.period,
        key="akt_durations_table",
    )


def year_tab(view: View, filters: Filters, comparison: activity.YearComparison) -> None:
    """Draw the table of this year against the same days last year, per type."""
    period = view.period
    yoy = activity.year_comparison(view.store, period, filters, by="intervention_type")
    assert yoy is not None  # the period has past days, as ``comparison`` shows
    st.caption(
        f"{fmt.date(comparison.current.start)} – {fmt.date(comparison.current.end)} mod "
        f"{since(comparison)} (samme dage året før), begge opgjort pr. {fmt.date(period.as_of)}."
    )
    table_with_downloads(
        with_type_names(yoy.table, view.type_names, total=True),
        "i_aar_mod_sidste_aar",
        period=period,
        key="akt_yoy",
        columns=labels.comparison_columns(
            fmt.period_label(comparison.current.start, comparison.current.end),
            fmt.period_label(comparison.previous.start, comparison.previous.end),
        ),
    )
