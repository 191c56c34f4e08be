"""Aktivitet: how many allocations and children, of which kind, age, step and duration."""

import streamlit as st

import ui
from slcore import activity, charts, figures, fmt, labels
from slcore.periods import year_earlier

PAGE = "akt"
MEASURES, DIMENSIONS = labels.ACTIVITY_MEASURES, labels.ACTIVITY_DIMENSIONS
FIGURES = ("active_registrations", "active_citizens", "new_registrations", "ended_registrations")
TEAMS = ui.TeamsTab(
    "active_registrations",
    "Aktive bevillinger pr. team",
    (*FIGURES, "median_duration_days"),
    "aktivitet_pr_team",
    "akt_teams",
)

view = ui.page("Aktivitet")
if view.status.registrations == 0:
    ui.empty_state()
    st.stop()

filters = ui.drill_bar(PAGE, view)
period, store, names, caption = view.period, view.store, view.type_names, view.caption

# --- Key figures against the same days last year -------------------------------------------
comparison = activity.year_comparison(store, period, filters)
if comparison is None:
    st.info(
        f"Perioden begynder efter opgørelsesdagen {fmt.date(period.as_of)}; der er endnu "
        "ingen aktivitet at vise. Vælg en anden periode eller opgørelsesdag i sidepanelet."
    )
    st.stop()
row = comparison.table.iloc[0]
since = f"{fmt.date(comparison.previous.start)} – {fmt.date(comparison.previous.end)}"
helps = {
    "active_registrations": "Bevillinger, der løber mindst én dag.",
    "active_citizens": "Forskellige borgere med en aktiv bevilling.",
    "new_registrations": "Bevillinger, der er startet i perioden.",
    "ended_registrations": "Bevillinger, der er slut i perioden.",
}
ui.tiles(
    [
        ui.Tile(
            labels.COLUMNS[figure].label,
            fmt.number(row[f"{figure}_now"]),
            delta=f"{'+' if row[f'{figure}_change'] > 0 else ''}"
            f"{fmt.number(row[f'{figure}_change'])} mod samme dage sidste år",
            delta_color="off",
            delta_arrow=ui.arrow(row[f"{figure}_change"]),
            help=f"{text} Sammenlignet med {since}: {fmt.number(row[f'{figure}_before'])}.",
        )
        for figure, text in helps.items()
    ]
)

# --- Per month, by type or category --------------------------------------------------------
c1, c2 = st.columns(2)
measure = c1.segmented_control(
    "Vis",
    list(MEASURES),
    format_func=MEASURES.get,
    default="active_registrations",
    required=True,
    key="akt_maal",
)
dimension = c2.segmented_control(
    "Opdelt efter",
    list(DIMENSIONS),
    format_func=DIMENSIONS.get,
    default="intervention_type",
    required=True,
    key="akt_opdeling",
)
series = figures.months_so_far(
    figures.monthly_series(store, period, filters, by=dimension), period.as_of
)
ui.drill_chart(
    charts.monthly_stacked_chart(
        series,
        dimension,
        measure,
        {**names, **labels.CATEGORIES},
        f"{MEASURES[measure]} pr. måned efter {DIMENSIONS[dimension].lower()}"
        f"<br><sup>{caption}</sup>",
        as_of=period.as_of,
    ),
    PAGE,
    f"monthly_{dimension}",
)

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
        f"<br><sup>{caption}</sup>",
        as_of=period.as_of,
    ),
    key="akt_children",
)
with st.expander("Tal pr. måned"):
    kf = figures.key_figures(store, period, (), filters).iloc[0]
    note = ui.partial_note(
        charts.partial_months(totals, period.as_of),
        f"kun dagene i perioden til og med opgørelsesdagen {fmt.date(period.as_of)} er talt.",
    )
    st.caption(
        "Aktive bevillinger og børn tælles én gang for hele perioden, så de er ikke "
        "summen af månederne; nye, afsluttede og barnedage er." + (f" {note}" if note else "")
    )
    ui.table_with_downloads(
        activity.monthly_table(totals, kf, period.as_of),
        "aktivitet_pr_maaned",
        period=period,
        key="akt_months",
    )

tabs = st.tabs(
    ["Alder", "Indsatstrappen", "Varighed", "Teams og bevillinger", "I år mod sidste år"]
)
with tabs[0]:
    by_age = figures.key_figures(store, period, ("age_band",), filters)
    left, right = st.columns([2, 3])
    ui.drill_chart(
        charts.group_bar_chart(
            by_age,
            "age_band",
            "active_citizens",
            {b: labels.age_band(b) for b in figures.AGE_BANDS},
            f"Børn og unge pr. aldersgruppe<br><sup>{caption}</sup>",
            keep_order=True,
        ),
        PAGE,
        "age",
        container=left,
    )
    grid = figures.key_figures(store, period, ("intervention_type", "age_band"), filters)
    grid = grid[grid["active_registrations"] > 0]
    if grid.empty:
        right.info("Ingen aktive bevillinger i perioden.")
    else:
        right.plotly_chart(
            charts.activity_heatmap(
                grid,
                names,
                "active_registrations",
                f"Aktive bevillinger pr. indsatstype og alder<br><sup>{caption}</sup>",
            ),
            key="akt_heatmap",
        )
    columns = ["age_band", *FIGURES, "realized_spend_dkk", "median_duration_days"]
    ui.table_with_downloads(by_age[columns], "aktivitet_alder", period=period, key="akt_age")

with tabs[1]:
    mix = activity.ladder_mix(store, period, filters)
    if mix.empty:
        st.info("Ingen aktive bevillinger i perioden.")
    else:
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
                charts.ladder_mix_chart(mix, share, f"{what} pr. trin<br><sup>{caption}</sup>"),
                key=key,
            )
        ui.table_with_downloads(
            activity.ladder_table(mix), "indsatstrappen", period=period, key="akt_ladder"
        )

with tabs[2]:
    lengths = activity.durations(store, period, filters)
    if lengths.empty:
        st.info("Ingen aktive bevillinger i perioden.")
    else:
        st.plotly_chart(
            charts.duration_chart(
                lengths,
                names,
                f"Varighed pr. indsatstype: afsluttede og løbende<br><sup>{caption}</sup>",
            ),
            key="akt_durations",
        )
        st.caption(
            "Afsluttede: hele varigheden for bevillinger, der sluttede i perioden. Løbende: "
            "varigheden indtil nu for bevillinger, der stadig løber."
        )
        table = ui.with_type_names(lengths, names)
        ui.table_with_downloads(
            labels.translate(table, state=labels.DURATION_STATES),
            "varighed",
            period=period,
            key="akt_durations_table",
        )

with tabs[3]:
    ui.teams_tab(PAGE, view, filters, TEAMS)

with tabs[4]:
    yoy = activity.year_comparison(store, period, filters, by="intervention_type")
    assert yoy is not None  # the period has past days, checked above
    st.caption(
        f"{fmt.date(comparison.current.start)} – {fmt.date(comparison.current.end)} mod "
        f"{since} (samme dage året før), begge opgjort pr. {fmt.date(period.as_of)}."
    )
    ui.table_with_downloads(
        ui.with_type_names(yoy.table, names, total=True),
        "i_aar_mod_sidste_aar",
        period=period,
        key="akt_yoy",
        columns=labels.comparison_columns(
            fmt.period_label(comparison.current.start, comparison.current.end),
            fmt.period_label(comparison.previous.start, comparison.previous.end),
        ),
    )
