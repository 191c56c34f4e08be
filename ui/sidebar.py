"""The shared sidebar: the period and filter widgets, bound to the URL, and the view they select.

The widgets are bound to the URL's query parameters, so a copied link reproduces the view.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import streamlit as st

from slcore import figures, fmt, labels
from slcore.figures import AGE_BANDS, Filters
from slcore.periods import PRESETS, Period, preset_period
from slcore.store import Store, intervention_types

CATEGORY_LABELS = labels.CATEGORIES
DATE_HELP = "Skriv datoen som dd-mm-åååå og tryk Enter eller Tab."


@dataclass(frozen=True)
class View:
    """What every page shows: the store, the period and the filters from the sidebar."""

    store: Store
    period: Period
    filters: Filters
    status: figures.DataStatus
    type_names: dict[str, str]

    @property
    def caption(self) -> str:
        """Return the period and as-of date in Danish, for chart titles."""
        p = self.period
        return f"{fmt.date(p.start)} – {fmt.date(p.end)}, opgjort pr. {fmt.date(p.as_of)}"


def date_field(
    container: object,
    label: str,
    key: str,
    default: dt.date,
    help_text: str = "",
    in_url: bool = True,
) -> dt.date:
    """Draw a date typed as dd-mm-åååå (in the URL unless not ``in_url``); return it.

    A date that is no date gives ``default``.

    A text field, because Streamlit's date field applies a typed date only when the user
    clicks elsewhere, not on Enter or Tab. A field the user has not changed follows its
    default, so the as-of date moves with new data in every session alike.
    """
    default_text = fmt.date(default)
    shown_default = f"_{key}_default"
    previous = st.session_state.get(shown_default)
    untouched = st.session_state.get(key) in (None, previous)
    if previous is not None and previous != default_text and untouched:
        st.session_state[key] = default_text
    st.session_state[shown_default] = default_text
    # A value set through the session state (above) is not also passed as the widget's
    # default: Streamlit warns about a widget given both.
    given = {} if key in st.session_state else {"value": default_text}
    text = container.text_input(  # type: ignore[attr-defined]
        label,
        **given,
        key=key,
        bind="query-params" if in_url else None,
        placeholder="dd-mm-åååå",
        validate=(fmt.DATE_INPUT_PATTERN, "Skriv datoen som dd-mm-åååå, fx 31-12-2025."),
        help=f"{help_text} {DATE_HELP}".strip(),
    )
    day = fmt.parse_date(text)
    if day is None:
        if text:
            container.error(  # type: ignore[attr-defined]
                f"{label}: »{text}« er ikke en dato. Bruger {default_text}."
            )
        return default
    return day


def _period(preset: str, as_of: dt.date) -> Period:
    """Draw a custom period's dates (for the preset "custom"); return the period."""
    sb = st.sidebar
    custom = None
    if preset == "custom":
        c1, c2 = sb.columns(2)
        start = date_field(c1, "Fra", "fra", dt.date(as_of.year, 1, 1))
        end = date_field(c2, "Til", "til", as_of)
        if end < start:
            sb.error("Til-datoen ligger før fra-datoen; perioden er vendt om.")
            start, end = end, start
        custom = (start, end)
    period = preset_period(preset, as_of, custom)
    sb.caption(f"{fmt.date(period.start)} – {fmt.date(period.end)}")
    return period


def sidebar(store: Store) -> View:
    """Draw the shared filters in the sidebar and return the view they select."""
    status = figures.data_status(store)
    types = intervention_types(store)
    names = {str(t["code"]): str(t["name_da"]) for t in types}
    sb = st.sidebar
    sb.header("Filtre")
    preset = sb.selectbox(
        "Periode",
        list(PRESETS),
        format_func=lambda p: PRESETS[p],
        key="periode",
        bind="query-params",
    )
    as_of = date_field(
        sb,
        "Opgjort pr.",
        "opgjort",
        status.as_of,
        "Dagen data beskriver. Standard: den seneste dag, den nyeste import dækker.",
    )
    period = _period(preset, as_of)
    categories = sb.multiselect(
        "Kategori",
        list(CATEGORY_LABELS),
        format_func=lambda c: CATEGORY_LABELS[c],
        key="kategori",
        bind="query-params",
        placeholder="Alle kategorier",
    )
    type_options = [str(t["code"]) for t in types if not categories or t["category"] in categories]
    chosen_types = sb.multiselect(
        "Indsatstype",
        type_options,
        format_func=lambda c: f"{names[c]} ({c})",
        key="indsats",
        bind="query-params",
        placeholder="Alle indsatstyper",
    )
    age_bands = sb.multiselect(
        "Aldersgruppe", list(AGE_BANDS), key="alder", bind="query-params", placeholder="Alle aldre"
    )
    # A politician sees nothing below intervention type (slcore refuses teams to them).
    chosen_teams = (
        []
        if store.access.published
        else sb.multiselect(
            "Team",
            figures.teams(store),
            key="team",
            bind="query-params",
            placeholder="Alle teams" if store.access.scope is None else "Alle dine teams",
        )
    )
    filters = Filters(
        intervention_types=tuple(chosen_types),
        categories=tuple(categories),
        age_bands=tuple(age_bands),
        teams=tuple(chosen_teams),
    )
    return View(store=store, period=period, filters=filters, status=status, type_names=names)
