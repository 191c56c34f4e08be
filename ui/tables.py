"""Tables on screen in Danish notation, each with its CSV and Excel download."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

import pandas as pd
import streamlit as st

from slcore import access, charts, export, fmt, labels
from slcore.labels import Column, Format
from slcore.periods import Period
from ui import login
from ui.turn import in_turn


def downloads(
    df: pd.DataFrame,
    name: str,
    key: str,
    period: Period | None = None,
    title: str | None = None,
    formats: Mapping[str, Format] | None = None,
    on_download: Callable[[str], object] | None = None,
) -> None:
    """Offer a table as CSV (for Danish Excel) and XLSX, its numbers as the screen shows them.

    ``formats`` gives each Danish column's format (else those ``labels`` registers). A period
    puts its dates and its as-of date in the file name; a title, followed by the period in
    Danish, heads both files (``export.file_stem``, ``export.heading``). Each file is built
    from ``df`` when its button is clicked, not on every run (``download_pair``).
    """
    line = export.heading(title, period)
    download_pair(
        partial(export.to_csv_bytes, df, title=line, as_shown=True, formats=formats),
        partial(export.to_xlsx_bytes, df, sheet=name, title=line, as_shown=True, formats=formats),
        export.file_stem(name, period),
        key,
        on_download,
    )


def download_pair(
    csv_bytes: Callable[[], bytes],
    xlsx_bytes: Callable[[], bytes],
    name: str,
    key: str,
    on_download: Callable[[str], object] | None = None,
) -> None:
    """Draw the two download buttons, CSV and Excel, side by side, if the person may download.

    Each file is made by calling its function when its button is clicked (Streamlit runs it
    on a thread of its own, outside the script run, holding the store: it may read it, but must not
    draw anything); ``on_download(file name)`` is called then too (the audit log of an
    allocation list). A person whose roles allow no downloads (a caseworker) sees none.
    """
    if not login.current_may(access.DOWNLOAD):
        return
    if on_download is not None:
        csv_bytes = _logged(csv_bytes, on_download, f"{name}.csv")
        xlsx_bytes = _logged(xlsx_bytes, on_download, f"{name}.xlsx")
    csv_bytes, xlsx_bytes = in_turn(csv_bytes), in_turn(xlsx_bytes)
    c1, c2, _ = st.columns([1, 1, 4])
    c1.download_button(
        "Hent CSV",
        csv_bytes,
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"{key}_csv",
        icon=":material/download:",
    )
    c2.download_button(
        "Hent Excel",
        xlsx_bytes,
        file_name=f"{name}.xlsx",
        key=f"{key}_xlsx",
        icon=":material/download:",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def _logged(
    make: Callable[[], bytes], on_download: Callable[[str], object], file_name: str
) -> Callable[[], bytes]:
    def made() -> bytes:
        data = make()
        on_download(file_name)
        return data

    return made


def _one_decimal_if_needed(v: object) -> str:
    if fmt.is_missing(v):
        return "–"
    return fmt.number(v, 1 if float(v) % 1 else 0)  # type: ignore[arg-type]


# How the screen shows each format; one decimal for shares, so -5,3 % (under budget) never
# reads as the -5 % of "within".
SCREEN_FORMATS: dict[Format, Callable[[object], str]] = {
    Format.KR: fmt.kr,  # type: ignore[dict-item]
    Format.COUNT: fmt.number,  # type: ignore[dict-item]
    Format.SHARE: lambda v: fmt.pct(v, 1),  # type: ignore[arg-type]
    Format.SIGNED_SHARE: lambda v: fmt.pct(v, 1, signed=True),  # type: ignore[arg-type]
    Format.DECIMAL: _one_decimal_if_needed,
    Format.DATE: lambda v: fmt.date(v) if isinstance(v, dt.date) else str(v),
}


def danish_table(
    df: pd.DataFrame, formats: Mapping[str, Format] | None = None
) -> pd.io.formats.style.Styler:
    """Return a Styler showing each column in Danish notation by its format (``labels``)."""
    kinds = {**labels.formats_of(df), **(formats or {})}
    shown: dict[Any, str | Callable[[object], str] | None] = {
        c: SCREEN_FORMATS[k] for c, k in kinds.items() if k in SCREEN_FORMATS
    }
    return df.style.format(shown, na_rep="–")


def table_with_downloads(
    df: pd.DataFrame,
    name: str,
    key: str,
    period: Period | None = None,
    title: str | None = None,
    columns: Mapping[str, Column] | None = None,
    screen: pd.DataFrame | None = None,
    row_colors: Sequence[str] | None = None,
    on_download: Callable[[str], object] | None = None,
    **dataframe_args: object,
) -> None:
    """Show a table with Danish labels and numbers, and offer it as CSV and Excel (``downloads``).

    ``columns`` names and formats the table's codes (``labels.COLUMNS`` otherwise);
    ``screen`` is another form of the same table for the screen (dates as text, say), the
    downloads keep ``df``'s values; ``row_colors`` colours each row's background.
    """
    shown, formats = labels.shown(df, columns)
    on_screen = shown if screen is None else labels.shown(screen, columns)[0]
    styled = danish_table(on_screen, formats)
    if row_colors is not None:
        colors = list(row_colors)
        styled = styled.apply(lambda r: [f"background-color: {colors[r.name]}"] * len(r), axis=1)
    dataframe_args.setdefault("placeholder", "–")  # the browser would draw an empty cell "None"
    dataframe_args.setdefault("hide_index", True)
    st.dataframe(styled, **dataframe_args)  # type: ignore[call-overload]
    downloads(
        shown, name, key=key, period=period, title=title, formats=formats, on_download=on_download
    )


def full_height(rows: int) -> int:
    """Return the height that shows a table of ``rows`` rows without scrolling."""
    return 38 + 35 * rows


def words(mapping: Mapping[str, str]) -> dict[object, str]:
    """Return a code → word mapping typed for slcore's ``translate`` and charts' ``names``."""
    return dict(mapping.items())


def partial_note(partial: Mapping[dt.date, int], what: str) -> str:
    """Return the note naming the months counted on fewer days ('' when none)."""
    if not partial:
        return ""
    months = ", ".join(charts.month_name(m, dict(partial)) for m in partial)
    return f"{months}: ikke en hel måned; {what}"


def with_type_names(
    table: pd.DataFrame, names: Mapping[str, str], total: bool = False
) -> pd.DataFrame:
    """Return a table by type with each type's name beside its code; ``total``: the empty
    type of the last row is the total ("I alt")."""
    out = table.copy()
    if total:
        out["intervention_type"] = out["intervention_type"].fillna(labels.TOTAL)
    out.insert(1, "intervention_name", out["intervention_type"].map(names))
    if total:
        out["intervention_name"] = out["intervention_name"].fillna("")
    return out
