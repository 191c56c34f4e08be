"""The analysis pages as a politician sees them: per intervention type, under the small-number rule.

slcore refuses a politician every plain figure; these parts draw what ``slcore.published``
returns: counts from 1 to T − 1 as ``<T``, hidden cells as ``..``, nothing per team,
caseworker, provider or allocation. Charts leave a hidden value out and say so.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from slcore import charts, fmt, labels, publish, published
from slcore.labels import Format
from slcore.publish import Published
from ui.sidebar import View
from ui.tables import SCREEN_FORMATS, downloads, full_height
from ui.tiles import Tile, tiles

ACTIVITY_COLUMNS = (
    "active_registrations",
    "active_citizens",
    "new_registrations",
    "ended_registrations",
    "median_duration_days",
)
ECONOMY_COLUMNS = (
    "active_citizens",
    "realized_spend_dkk",
    "committed_spend_dkk",
    "projected_spend_dkk",
    "budget_dkk",
    "budget_deviation_dkk",
)
OVERVIEW_COLUMNS = (
    "active_registrations",
    "active_citizens",
    "projected_spend_dkk",
    "budget_dkk",
    "unapproved_deviations",
)


def rule_note(view: View) -> None:
    """Say once per page that the small-number rule applies, and what the marks mean."""
    t = published.threshold(view.store)
    st.info(
        f"Tallene vises efter reglen om små tal: et antal fra 1 til {t - 1} vises som "
        f"»{publish.below(t)}«, og beløb og varigheder for grupper med under {t} børn og unge "
        f"vises som »{publish.HIDDEN}«, ligesom et tal, der ellers kunne regnes ud af "
        "summen. Tal pr. team, sagsbehandler, leverandør og enkelte bevillinger vises ikke.",
        icon=":material/shield:",
    )


def cell_text(value: object, kind: Format) -> str:
    """Return a published cell as the screen shows it: a mark as it is, a number in Danish."""
    if isinstance(value, str):
        return value
    if value is None or pd.isna(value):  # type: ignore[call-overload]
        return "–"
    show = SCREEN_FORMATS.get(kind)
    return show(value) if show else str(value)


def _text_table(
    pub: Published, group: str, columns: Sequence[str], names: dict[str, str]
) -> pd.DataFrame:
    """Return the published table in Danish as text, the group first, the total last."""
    out: dict[str, list[str]] = {}
    group_label = labels.COLUMNS[group].label if group in labels.COLUMNS else group
    groups = pub.table[group] if group in pub.table else pd.Series([labels.TOTAL])
    if group == "intervention_type":
        out[group_label] = [names.get(str(g), str(g)) for g in groups]
    elif group == "age_band":
        out[group_label] = [g if g == labels.TOTAL else labels.age_band(str(g)) for g in groups]
    else:
        out[group_label] = [str(g) for g in groups]
    for c in columns:
        col = labels.COLUMNS[c]
        out[col.label] = [cell_text(v, col.format) for v in pub.table[c]]
    return pd.DataFrame(out)


def table(
    view: View, pub: Published, group: str, columns: Sequence[str], name: str, key: str
) -> None:
    """Show a published table and offer it for download exactly as shown."""
    shown = _text_table(pub, group, columns, view.type_names)
    st.dataframe(shown, hide_index=True, height=full_height(len(shown)))
    downloads(shown, name, key=key, period=view.period)


def _total(pub: Published) -> pd.Series:
    return pub.table.iloc[-1]


def _tile(pub: Published, label: str, column: str, help_text: str) -> Tile:
    kind = labels.COLUMNS[column].format
    value = _total(pub)[column]
    if kind is Format.KR and not isinstance(value, str):
        return Tile(label, fmt.mio_kr(value), help=help_text)
    return Tile(label, cell_text(value, kind), help=help_text)


def _bars(view: View, pub: Published, value: str, title: str, money: bool = False) -> None:
    """Bars of one figure per type; a hidden value is left out, and the caption says so."""
    names: dict[object, str] = {}
    names.update(view.type_names)
    numbers = pub.numbers().iloc[:-1]
    shown = numbers[numbers[value].notna()]
    hidden = len(numbers) - len(shown)
    st.plotly_chart(
        charts.group_bar_chart(
            shown,
            "intervention_type",
            value,
            names,
            title,
            money=money,
            horizontal=True,
        ),
        key=f"pub_{value}",
    )
    if hidden:
        st.caption(f"{hidden} indsatstyper er udeladt af figuren efter reglen om små tal.")


def _expected_tile(pub: Published) -> Tile:
    return _tile(
        pub,
        "Forventet forbrug",
        "projected_spend_dkk",
        "Forbrug indtil nu + disponeret for resten af perioden.",
    )


def _budget_tile(budget: float | None) -> Tile:
    return Tile(
        "Budget for perioden",
        fmt.mio_kr(budget) if budget else "–",
        help="Årsbudgetter fordelt efter periodens dage i hvert år.",
    )


def overview(view: View) -> None:
    """Draw Overblik for a politician."""
    rule_note(view)
    pub = published.key_figures(
        view.store, view.period, ("intervention_type",), view.filters, missing_budget_empty=True
    )
    budget = published.budget_total(view.store, view.period, view.filters)
    tiles(
        [
            _expected_tile(pub),
            _budget_tile(budget),
            _tile(
                pub,
                "Aktive bevillinger",
                "active_registrations",
                "Bevillinger, der løber mindst én dag i perioden til og med opgørelsesdagen.",
            ),
            _tile(
                pub,
                "Aktive børn og unge",
                "active_citizens",
                "Forskellige borgere blandt de aktive bevillinger.",
            ),
            _tile(
                pub,
                "Ikke-godkendte afvigelser",
                "unapproved_deviations",
                "Aktive bevillinger uden for rammen, som visitationsudvalget ikke har godkendt.",
            ),
        ]
    )
    _bars(
        view,
        pub,
        "projected_spend_dkk",
        f"Forventet forbrug pr. indsatstype<br><sup>{view.caption}</sup>",
        money=True,
    )
    st.subheader("Nøgletal pr. indsatstype")
    st.caption(view.caption)
    table(view, pub, "intervention_type", OVERVIEW_COLUMNS, "noegletal_offentlig", "pub_kf")


def activity(view: View) -> None:
    """Draw Aktivitet for a politician."""
    rule_note(view)
    by_type = published.key_figures(view.store, view.period, ("intervention_type",), view.filters)
    tiles(
        [
            _tile(by_type, "Aktive bevillinger", "active_registrations", "I perioden."),
            _tile(by_type, "Aktive børn og unge", "active_citizens", "I perioden."),
            _tile(by_type, "Nye bevillinger", "new_registrations", "Startet i perioden."),
            _tile(by_type, "Afsluttede bevillinger", "ended_registrations", "Sluttet i perioden."),
        ]
    )
    _bars(
        view,
        by_type,
        "active_citizens",
        f"Aktive børn og unge pr. indsatstype<br><sup>{view.caption}</sup>",
    )
    st.subheader("Aktivitet pr. indsatstype")
    table(view, by_type, "intervention_type", ACTIVITY_COLUMNS, "aktivitet_offentlig", "pub_akt")
    st.subheader("Aktivitet pr. aldersgruppe")
    by_age = published.key_figures(view.store, view.period, ("age_band",), view.filters)
    table(view, by_age, "age_band", ACTIVITY_COLUMNS, "aktivitet_alder_offentlig", "pub_alder")
    st.subheader("Pr. måned")
    months = published.monthly(view.store, view.period, view.filters)
    shown = pd.DataFrame(
        {
            "Måned": [fmt.month_label(m) for m in months.table["month"]],
            **{
                labels.COLUMNS[c].label: [cell_text(v, Format.COUNT) for v in months.table[c]]
                for c in published.MONTH_COUNTS
            },
        }
    )
    st.dataframe(shown, hide_index=True, height=full_height(len(shown)))
    downloads(shown, "aktivitet_pr_maaned_offentlig", key="pub_months", period=view.period)


def economy(view: View) -> None:
    """Draw Økonomi for a politician."""
    rule_note(view)
    pub = published.key_figures(
        view.store, view.period, ("intervention_type",), view.filters, missing_budget_empty=True
    )
    budget = published.budget_total(view.store, view.period, view.filters)
    tiles(
        [
            _tile(pub, "Forbrug indtil nu", "realized_spend_dkk", "Til og med opgørelsesdagen."),
            _expected_tile(pub),
            _budget_tile(budget),
            _tile(
                pub,
                "Afvigelse mod budget",
                "budget_deviation_dkk",
                "Forventet forbrug minus budget.",
            ),
        ]
    )
    _bars(
        view,
        pub,
        "projected_spend_dkk",
        f"Forventet forbrug pr. indsatstype<br><sup>{view.caption}</sup>",
        money=True,
    )
    st.subheader("Forbrug og budget pr. indsatstype")
    table(view, pub, "intervention_type", ECONOMY_COLUMNS, "oekonomi_offentlig", "pub_oek")
