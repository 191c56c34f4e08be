"""The Rammeoverholdelse page's parts: the tiles, the tabs and the committee's two lists."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from slcore import audit, charts, compliance, figures, fmt, labels
from slcore.periods import Period
from ui.sidebar import View
from ui.tables import table_with_downloads, with_type_names
from ui.tiles import Tile, tiles

# The choices in the tabs that outlive their tab being hidden: the type and measure of
# "Varighed og pris", the committee's horizon.
KEPT_WIDGETS = ("limit_type", "limit_measure", "horizon")


def dates_as_text(table: pd.DataFrame) -> pd.DataFrame:
    """Return a table for the screen: its date columns as 31-12-2025 text (empty for none).

    The downloads keep real dates, which Excel sorts and filters as dates.
    """
    out = table.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = [fmt.date(pd.Timestamp(v).date()) if pd.notna(v) else "" for v in out[col]]
    return out


def filter_words(view: View) -> list[str]:
    """Return the sidebar's filters in words, for the title of a list for the meeting."""
    f = view.filters
    words = [
        ", ".join(labels.CATEGORIES.get(c, c) for c in f.categories),
        ", ".join(view.type_names.get(c, c) for c in f.intervention_types),
        ", ".join(labels.age_band(band) for band in f.age_bands),
        ", ".join(f.teams),
    ]
    return [w for w in words if w]


def status_tiles(status: pd.DataFrame) -> None:
    """Draw the tiles: within the frame, exceptions, deviations, no frame, spend outside."""
    totals = compliance.status_totals(status)
    tiles(
        [
            Tile(
                "Inden for rammen",
                fmt.pct(figures.within_frame_share(totals)),
                help="Andel af de aktive bevillinger med en ramme, der ligger inden for den.",
            ),
            Tile(
                "Godkendte undtagelser",
                fmt.number(totals["approved_exceptions"]),
                help="Uden for rammen, men godkendt i visitationsudvalget.",
            ),
            Tile(
                "Ikke-godkendte afvigelser",
                fmt.number(totals["unapproved_deviations"]),
                help="Uden for rammen uden godkendelse i visitationsudvalget.",
            ),
        ]
    )
    tiles(
        [
            Tile(
                labels.STATUSES["no_frame"],
                fmt.number(totals["no_frame"]),
                help="Aktive bevillinger af en indsatstype, der ikke har en ramme.",
            ),
            Tile(
                "Forbrug uden for rammen",
                fmt.mio_kr(compliance.outside_total(status)),
                help="Den del af periodens forventede forbrug, der ligger ud over rammen: hele "
                "beløbet ved forkert alder, dagene efter længste varighed og den del af prisen "
                "eller omfanget, der ligger over rammen.",
            ),
        ]
    )


def by_type_tab(view: View, status: pd.DataFrame) -> None:
    """Draw the statuses per intervention type, as a chart and a table."""
    period, names = view.period, view.type_names
    st.plotly_chart(charts.status_by_type_chart(status, names, view.caption), key="status")
    table = with_type_names(status, names)
    table_with_downloads(table, "rammeoverholdelse", key="status", period=period)


def reasons_tab(view: View) -> None:
    """Draw why allocations are outside the frame, and the combinations of reasons."""
    period, filters, store = view.period, view.filters, view.store
    reasons = compliance.reason_counts(store, period, filters)
    if reasons.empty:
        st.info("Ingen aktive bevillinger ligger uden for rammen i perioden.")
    else:
        st.plotly_chart(charts.reasons_chart(reasons, view.caption), key="reasons")
        st.markdown("**Kombinationer af årsager**")
        combos = compliance.reason_combinations(store, period, filters)
        table_with_downloads(combos, "aarsager", key="combos", period=period)


def type_age_tab(view: View) -> None:
    """Draw the type × age-band heatmap of the share outside the frame."""
    period, filters, store, names = view.period, view.filters, view.store, view.type_names
    grid = compliance.status_by_type_age(store, period, filters)
    grid = figures.without_zero(grid, "with_frame")
    if grid.empty:
        st.info("Ingen aktive bevillinger med en ramme i perioden.")
    else:
        st.plotly_chart(charts.type_age_heatmap(grid, names, view.caption), key="heat")


def trend_tab(view: View) -> None:
    """Draw the statuses of the allocations started per month."""
    period, filters, store = view.period, view.filters, view.store
    trend = compliance.trend_by_start_month(store, period, filters)
    if trend.empty:
        st.info("Ingen bevillinger er startet i perioden (til og med opgørelsesdagen).")
    else:
        st.plotly_chart(charts.trend_chart(trend, view.caption), key="trend")


def limits_tab(view: View, status: pd.DataFrame) -> None:
    """Draw one type's allocations against its frame's duration or price limit."""
    period, filters, store, names = view.period, view.filters, view.store, view.type_names
    framed = compliance.framed_types(status)
    if not framed:
        st.info("Ingen aktive bevillinger med en ramme i perioden.")
    else:
        l1, l2 = st.columns([2, 1])
        chosen = l1.selectbox(
            "Indsatstype", framed, format_func=lambda c: names.get(c, c), key="limit_type"
        )
        measure = l2.radio(
            "Mål",
            list(labels.LIMIT_MEASURES),
            horizontal=True,
            key="limit_measure",
            format_func=labels.LIMIT_MEASURES.get,
        )
        points = compliance.limit_points(store, period, chosen, measure, filters)
        st.caption(
            "Hvert punkt er en aktiv bevilling; farven er dens samlede status (også "
            "for andre årsager), linjen er grænsen i den ramme, der gælder for den."
        )
        if points.empty:
            st.info("Ingen bevillinger at vise for dette valg.")
        else:
            st.plotly_chart(
                charts.limit_chart(points, measure, names.get(chosen, chosen), view.caption),
                key="limits",
            )


def committee_tab(view: View) -> None:
    """Draw the committee's two lists: unapproved deviations and those soon past their longest duration."""
    period, filters, store, names = view.period, view.filters, view.store, view.type_names
    st.markdown("#### Ikke-godkendte afvigelser")
    st.caption(
        "Aktive bevillinger uden for rammen uden godkendelse, størst beløb uden for "
        f"rammen først. {view.caption}."
    )
    dev = compliance.deviations_list(compliance.committee_deviations(store, period, filters), names)
    if dev.empty:
        st.success("Ingen ikke-godkendte afvigelser i perioden.")
    else:
        table_with_downloads(
            dev,
            "ikke_godkendte_afvigelser",
            key="dev",
            period=period,
            title=" · ".join(["Ikke-godkendte afvigelser", *filter_words(view)]),
            columns=labels.COMMITTEE_COLUMNS,
            screen=dates_as_text(dev),
            on_download=audit.download_logger(store, len(dev)),
        )

    st.markdown("#### Når snart længste varighed")
    days = st.columns([1, 3])[0].number_input(
        "Inden for antal dage", min_value=0, max_value=730, value=60, step=15, key="horizon"
    )
    st.caption(
        f"Bevillinger, der løber pr. {fmt.date(period.as_of)} og passerer rammens "
        f"længste varighed inden {int(days)} dage, så de kan revurderes i tide."
    )
    exp = compliance.expiring_list(
        compliance.committee_expiring(store, period.as_of, int(days), filters), names
    )
    if exp.empty:
        st.success("Ingen bevillinger passerer længste varighed i den valgte periode.")
    else:
        # The list covers the days from the as-of date to the horizon, seen as of that date.
        horizon = Period(period.as_of, period.as_of + dt.timedelta(days=int(days)), period.as_of)
        within = f"inden for {int(days)} {'dag' if int(days) == 1 else 'dage'}"
        table_with_downloads(
            exp,
            "naar_laengste_varighed",
            key="exp",
            period=horizon,
            title=" · ".join([f"Når snart længste varighed ({within})", *filter_words(view)]),
            columns=labels.COMMITTEE_COLUMNS,
            screen=dates_as_text(exp),
            on_download=audit.download_logger(store, len(exp)),
        )
