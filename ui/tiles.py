"""Key figure tiles, and the notes on a budget that cannot be compared."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from slcore import economy, fmt


@dataclass(frozen=True)
class Tile:
    """A key figure tile: label, value and, optionally, a delta and a help text."""

    label: str
    value: str
    help: str | None = None
    delta: str | None = None
    delta_color: str = "normal"
    delta_arrow: str = "auto"


def tiles(row: Sequence[Tile], columns: int | None = None) -> None:
    """Draw a row of bordered key figure tiles, side by side (in ``columns`` columns)."""
    for col, tile in zip(st.columns(columns or len(row)), row, strict=False):
        col.metric(
            tile.label,
            tile.value,
            delta=tile.delta,
            delta_color=tile.delta_color,  # type: ignore[arg-type]
            delta_arrow=tile.delta_arrow,  # type: ignore[arg-type]
            border=True,
            help=tile.help,
        )


def arrow(change: float) -> str:
    """Return the delta arrow of a change: up, down, or none for no change."""
    return "up" if change > 0 else ("down" if change < 0 else "off")


def budget_tile(budget: float | None, split_reason: str | None, help_text: str) -> Tile:
    """Return the tile of the period's budget, or of why there is none to compare with."""
    if budget is not None:
        return Tile("Budget for perioden", fmt.mio_kr(budget), help=help_text)
    return Tile(
        "Budget for perioden",
        "–",
        delta="kan ikke opdeles" if split_reason else "intet budget",
        delta_color="off",
        delta_arrow="off",
        help="Budgetter findes pr. år og indsatstype; med filter på alder eller team kan "
        "forbruget ikke sammenlignes med et budget."
        if split_reason
        else "Der er intet budget for periodens år og de valgte indsatstyper. Budgetter "
        "lægges ind på siden Serviceniveau.",
    )


def budget_notes(
    split_reason: str | None, deviation: pd.DataFrame | None, names: Mapping[str, str]
) -> None:
    """Say why the budget cannot be split, and how much spend is on types without one."""
    if split_reason:
        st.caption(f"{split_reason.capitalize()}: budgetter findes pr. år og indsatstype.")
    if deviation is None:
        return
    unbudgeted = economy.without_budget(deviation)
    if len(unbudgeted):
        type_list = ", ".join(names.get(c, c) for c in unbudgeted["intervention_type"])
        st.caption(
            f"{fmt.kr(economy.unbudgeted_spend(deviation))} af det forventede forbrug er på "
            f"indsatstyper uden budget for perioden ({type_list}). De har ingen afvigelse hver "
            "for sig, men tæller med i afvigelsen i alt: hele det forventede forbrug mod hele "
            "budgettet."
        )
