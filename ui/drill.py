"""Drill-down: a click on a bar narrows the page to its group, down to the allocations."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from slcore import activity, audit, fmt, labels
from slcore.figures import Filters
from ui.sidebar import CATEGORY_LABELS, View
from ui.tables import table_with_downloads, words

# The dimensions a click can filter on, their Danish names and the Filters field they narrow.
DRILL_DIMENSIONS = {
    "category": ("Kategori", "categories"),
    "intervention_type": ("Indsatstype", "intervention_types"),
    "age_band": ("Alder", "age_bands"),
    "team": ("Team", "teams"),
}
ALLOCATION_LIMIT = 2000


def drill_levels(page_key: str) -> list[tuple[str, str]]:
    """Return the page's drill-down so far: (dimension, value) pairs, outermost first."""
    levels: list[tuple[str, str]] = st.session_state.setdefault(f"{page_key}_drill", [])
    return levels


def drilled(filters: Filters, levels: list[tuple[str, str]]) -> Filters:
    """Return the sidebar filters narrowed to the clicked groups.

    A click narrows and never widens: a group outside the sidebar's choice is ignored (an
    empty choice means all, so replacing it would show what the sidebar excludes).
    """
    for dimension, value in levels:
        field = DRILL_DIMENSIONS[dimension][1]
        chosen = getattr(filters, field)
        if not chosen or value in chosen:
            filters = replace(filters, **{field: (value,)})
    return filters


def add_drill_level(page_key: str, dimension: str, value: str) -> None:
    """Narrow the page to a group; a click on a dimension already chosen replaces it and
    everything chosen after it (a new type forgets the team chosen under the old one)."""
    levels = drill_levels(page_key)
    dims = [d for d, _ in levels]
    if dimension in dims:
        del levels[dims.index(dimension) :]
    levels.append((dimension, value))


def _on_chart_click(page_key: str, chart_key: str) -> None:
    points = st.session_state[chart_key]["selection"]["points"]
    for point in points:
        custom = point.get("customdata")
        tag = custom[0] if isinstance(custom, list) and custom else custom
        if isinstance(tag, str) and ":" in tag:
            dimension, value = tag.split(":", 1)
            if dimension in DRILL_DIMENSIONS:
                add_drill_level(page_key, dimension, value)
                break
    # A new key next run draws the chart without the selection, so it is not applied twice.
    st.session_state[f"{page_key}_drill_n"] = st.session_state.get(f"{page_key}_drill_n", 0) + 1


def drill_chart(fig: object, page_key: str, name: str, container: object = st) -> None:
    """Draw a chart whose bars filter the page when clicked (``charts`` tag them)."""
    chart_key = f"{page_key}_{name}_{st.session_state.get(f'{page_key}_drill_n', 0)}"
    container.plotly_chart(  # type: ignore[attr-defined]
        fig,
        key=chart_key,
        on_select=lambda: _on_chart_click(page_key, chart_key),
        selection_mode="points",
        config={"displaylogo": False},
    )


def _drill_back(page_key: str) -> None:
    levels = drill_levels(page_key)
    if levels:
        levels.pop()


def _drill_reset(page_key: str) -> None:
    drill_levels(page_key).clear()


def drill_bar(page_key: str, view: View) -> Filters:
    """Draw the drill-down's path with a way back; return the filters it and the sidebar set."""
    levels = drill_levels(page_key)
    # The clicks were made on what the sidebar showed then; a new sidebar choice starts over.
    base_key = f"{page_key}_drill_base"
    if st.session_state.get(base_key) != view.filters:
        levels.clear()
        st.session_state[base_key] = view.filters
    if not levels:
        st.caption(
            "Klik på en søjle for at filtrere siden til den gruppe; fra en indsatstype kan du "
            "gå videre til dens teams og derfra til bevillingerne."
        )
        return view.filters
    names = {**view.type_names, **CATEGORY_LABELS}
    path = " › ".join(f"{DRILL_DIMENSIONS[d][0]}: **{names.get(v, v)}**" for d, v in levels)
    with st.container(horizontal=True, vertical_alignment="center"):
        st.markdown(f":material/filter_alt: Filtreret ved klik: {path}")
        st.button(
            "Tilbage",
            icon=":material/arrow_back:",
            key=f"{page_key}_back",
            on_click=_drill_back,
            args=(page_key,),
        )
        st.button(
            "Nulstil",
            icon=":material/close:",
            key=f"{page_key}_reset",
            on_click=_drill_reset,
            args=(page_key,),
        )
    return drilled(view.filters, levels)


def allocation_list(page_key: str, view: View, filters: Filters) -> None:
    """Draw the allocations behind the drill-down (pseudonymised ids) once a team is chosen."""
    levels = dict(drill_levels(page_key))
    if "team" not in levels:
        st.info(
            "Klik på et team for at se dets bevillinger (med pseudonymiserede id'er).",
            icon=":material/touch_app:",
        )
        return
    rows = activity.allocations(view.store, view.period, filters, limit=ALLOCATION_LIMIT + 1)
    if rows.empty:
        st.info("Ingen bevillinger i perioden for det valgte.")
        return
    if len(rows) > ALLOCATION_LIMIT:
        st.warning(
            f"Viser de {fmt.number(ALLOCATION_LIMIT)} dyreste bevillinger. "
            "Vælg en indsatstype for at se færre."
        )
        rows = rows.head(ALLOCATION_LIMIT)
    table = rows.copy()
    table.insert(3, "intervention_name", table["intervention_type"].map(view.type_names))
    table = labels.translate(table, status=words(labels.STATUSES))
    st.markdown(f"**Bevillinger ({fmt.number(len(table))})**, dyreste først")
    table_with_downloads(
        table,
        "bevillinger",
        key=f"{page_key}_alloc",
        period=view.period,
        on_download=audit.download_logger(view.store, len(table)),
    )
