"""Aktivitet: how many allocations and children, of which kind, age, step and duration."""

import pandas as pd
import streamlit as st

import ui
from slcore import activity, charts, figures, fmt
from slcore.periods import year_earlier

PAGE = "akt"
MEASURES = {
    "active_registrations": "Aktive bevillinger",
    "new_registrations": "Nye bevillinger",
    "ended_registrations": "Afsluttede bevillinger",
}
DIMENSIONS = {"intervention_type": "Indsatstype", "category": "Kategori"}

view = ui.page("Aktivitet")
if view.status.registrations == 0:
    ui.empty_state()
    st.stop()

filters = ui.drill_bar(PAGE, view)
period, store, names, caption = view.period, view.store, view.type_names, view.caption
group_names = {**names, **ui.CATEGORY_LABELS}

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
tiles = (
    ("active_registrations", "Aktive bevillinger", "Bevillinger, der løber mindst én dag."),
    ("active_citizens", "Aktive børn og unge", "Forskellige borgere med en aktiv bevilling."),
    ("new_registrations", "Nye bevillinger", "Bevillinger, der er startet i perioden."),
    ("ended_registrations", "Afsluttede bevillinger", "Bevillinger, der er slut i perioden."),
)
for col, (figure, label, help_text) in zip(st.columns(len(tiles)), tiles, strict=True):
    change = row[f"{figure}_change"]
    col.metric(
        label,
        fmt.number(row[f"{figure}_now"]),
        delta=f"{'+' if change > 0 else ''}{fmt.number(change)} mod samme dage sidste år",
        delta_color="off",
        delta_arrow="up" if change > 0 else ("down" if change < 0 else "off"),
        border=True,
        help=f"{help_text} Sammenlignet med {since}: {fmt.number(row[f'{figure}_before'])}.",
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
past = period.as_of  # months after the as-of date have no activity yet
series = figures.monthly_series(store, period, filters, by=dimension)
series = series[series["month_start"].dt.date <= past]
ui.drill_chart(
    charts.monthly_stacked_chart(
        series,
        dimension,
        measure,
        group_names,
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
    table = totals[
        [
            "month",
            "active_registrations",
            "active_citizens",
            "new_registrations",
            "ended_registrations",
            "child_days",
        ]
    ].copy()
    partial = charts.partial_months(totals, period.as_of)
    table["month"] = table["month"].map(
        lambda m: charts.month_name(pd.Timestamp(m).date(), partial)
    )
    # The period's own line: new, ended and child-days are the months' sums; active
    # registrations and children are counted once over the period (one runs many months).
    whole = {
        "month": "Hele perioden",
        "active_registrations": kf["active_registrations"],
        "active_citizens": kf["active_citizens"],
        "new_registrations": kf["new_registrations"],
        "ended_registrations": kf["ended_registrations"],
        "child_days": int(table["child_days"].sum()),
    }
    table = pd.concat([table, pd.DataFrame([whole])], ignore_index=True)
    st.caption(
        "Aktive bevillinger og børn tælles én gang for hele perioden, så de er ikke "
        "summen af månederne; nye, afsluttede og barnedage er."
        + (
            f" {', '.join(charts.month_name(m, partial) for m in partial)}: ikke en hel "
            "måned; kun dagene i perioden til og med opgørelsesdagen "
            f"{fmt.date(period.as_of)} er talt."
            if partial
            else ""
        )
    )
    ui.table_with_downloads(
        table, "aktivitet_pr_maaned", period=period, key="akt_months", placeholder="–"
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
            {b: f"{b} år" if b != "ukendt" else "Ukendt" for b in figures.AGE_BANDS},
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
    ui.table_with_downloads(
        by_age[
            [
                "age_band",
                "active_registrations",
                "active_citizens",
                "new_registrations",
                "ended_registrations",
                "realized_spend_dkk",
                "median_duration_days",
            ]
        ],
        "aktivitet_alder",
        period=period,
        key="akt_age",
        placeholder="–",
    )

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
        left, right = st.columns(2)
        left.plotly_chart(
            charts.ladder_mix_chart(
                mix,
                "child_share",
                f"Andel af børnene pr. trin<br><sup>{caption}</sup>",
            ),
            key="akt_ladder_children",
        )
        right.plotly_chart(
            charts.ladder_mix_chart(
                mix,
                "spend_share",
                f"Andel af forbruget pr. trin<br><sup>{caption}</sup>",
            ),
            key="akt_ladder_spend",
        )
        table = mix.copy()
        table["month"] = table["month"].map(lambda m: fmt.month_label(pd.Timestamp(m).date()))
        table["ladder_step"] = table["ladder_step"].map(activity.ladder_label)
        ui.table_with_downloads(
            table, "indsatstrappen", period=period, key="akt_ladder", placeholder="–"
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
        table = lengths.copy()
        table.insert(1, "intervention_name", table["intervention_type"].map(names))
        table["state"] = table["state"].map(activity.DURATION_STATES)
        table = table.rename(
            columns={
                "state": "Status",
                "registrations": "Bevillinger",
                "p10": "10 %-fraktil (dage)",
                "p25": "25 %-fraktil (dage)",
                "median": "Median (dage)",
                "p75": "75 %-fraktil (dage)",
                "p90": "90 %-fraktil (dage)",
            }
        )
        ui.table_with_downloads(
            table, "varighed", period=period, key="akt_durations_table", placeholder="–"
        )

with tabs[3]:
    by_team = figures.key_figures(store, period, ("team",), filters)
    by_team = by_team[by_team["active_registrations"] > 0]
    ui.drill_chart(
        charts.group_bar_chart(
            by_team,
            "team",
            "active_registrations",
            {},
            f"Aktive bevillinger pr. team<br><sup>{caption}</sup>",
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
            "new_registrations",
            "ended_registrations",
            "median_duration_days",
        ]
        ui.table_with_downloads(
            by_team[team_columns],
            "aktivitet_pr_team",
            period=period,
            key="akt_teams",
            placeholder="–",
        )
    ui.allocation_list(PAGE, view, filters)

with tabs[4]:
    yoy = activity.year_comparison(store, period, filters, by="intervention_type")
    assert yoy is not None  # the period has past days, checked above
    table = yoy.table.copy()
    table["intervention_type"] = table["intervention_type"].fillna("I alt")
    table.insert(1, "intervention_name", table["intervention_type"].map(names).fillna(""))
    labels = {
        "active_registrations": "Aktive bevillinger",
        "active_citizens": "Aktive børn",
        "new_registrations": "Nye",
        "ended_registrations": "Afsluttede",
        "realized_spend_dkk": "Forbrug",
        "median_duration_days": "Median varighed",
    }
    suffix = {
        "now": fmt.period_label(comparison.current.start, comparison.current.end),
        "before": fmt.period_label(comparison.previous.start, comparison.previous.end),
        "change": "ændring",
    }
    renamed = {
        f"{c}_{s}": f"{label} {suffix[s]}" + (" (kr.)" if c == "realized_spend_dkk" else "")
        for c, label in labels.items()
        for s in suffix
    }
    st.caption(
        f"{fmt.date(comparison.current.start)} – {fmt.date(comparison.current.end)} mod "
        f"{since} (samme dage året før), begge opgjort pr. {fmt.date(period.as_of)}."
    )
    ui.table_with_downloads(
        table.rename(columns=renamed),
        "i_aar_mod_sidste_aar",
        period=period,
        key="akt_yoy",
        placeholder="–",
    )
