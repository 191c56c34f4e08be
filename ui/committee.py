"""Committee mode (udvalgsvisning, reports.md): the slides in the browser, for a meeting room.

One slide per screen, no sidebar or widgets but the slide buttons (also the arrow keys), the
municipality's name, the period and the as-of date on every slide, and a URL per slide
(``?dias=budget``). The filters come from the URL as on every page (period, as-of, category,
type), so a link from any page opens the same figures. Sizes follow the viewport so that the
text is at least 24 px, chart labels 22 px and headline figures about 60 px at 1920 × 1080,
and nothing is cut at 1280 × 720.
"""

from __future__ import annotations

import html
from functools import partial

import pandas as pd
import streamlit as st

from slcore import access, charts, settings, slides
from slcore.slides import Deck, Slide
from slcore.store import Store
from ui import login
from ui.sidebar import View
from ui.turn import in_turn

SLIDE_PARAM = "dias"

CSS = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"] {
    display: none !important; }
[data-testid="stMainBlockContainer"], .block-container {
    padding: 1.2vw 2.4vw 0.6vw 2.4vw !important; max-width: 100% !important; }
.sn-slide { font-size: clamp(18px, 1.4vw, 44px); line-height: 1.35; color: #1a1a1a; }
.sn-head { display: flex; align-items: center; gap: 1.2vw; flex-wrap: wrap;
    border-bottom: 0.35vw solid var(--sn-primary); padding-bottom: 0.5vw; }
.sn-head img { height: clamp(28px, 2.6vw, 80px); }
.sn-muni { font-weight: 700; }
.sn-cap { margin-left: auto; color: #444; }
.sn-title { font-size: clamp(30px, 2.6vw, 80px); font-weight: 700; margin: 0.6vw 0 0.4vw 0;
    color: var(--sn-primary); line-height: 1.15; }
.sn-figs { display: flex; flex-wrap: wrap; gap: 1.2vw 3vw; margin: 0.6vw 0; }
.sn-fig { min-width: 0; overflow-wrap: anywhere; }
.sn-fig-v { font-size: clamp(40px, 3.2vw, 104px); font-weight: 700; line-height: 1.1; }
.sn-fig-l { font-size: clamp(18px, 1.4vw, 44px); color: #333; }
.sn-text p { margin: 0.4vw 0; }
.sn-table { border-collapse: collapse; font-size: clamp(18px, 1.3vw, 40px); }
.sn-table th, .sn-table td { padding: 0.25vw 1vw; border-bottom: 1px solid #ccc; }
.sn-table th { text-align: left; background: #f3f6fa; }
.sn-table td:not(:first-child) { text-align: right; white-space: nowrap; }
.sn-foot { font-size: clamp(16px, 1.1vw, 34px); color: #555; }
</style>"""


def _slide_index(deck: Deck) -> int:
    """Return the open slide's position from the URL (the first slide for an unknown key)."""
    keys = slides.slide_keys(deck)
    wanted = st.query_params.get(SLIDE_PARAM)
    return keys.index(wanted) if wanted in keys else 0


def _go(deck: Deck, index: int) -> None:
    st.query_params[SLIDE_PARAM] = deck.slides[index].key


def _logo_html(uri: str) -> str:
    if not uri.startswith("data:image/"):
        return ""
    return f'<img src="{html.escape(uri)}" alt="logo">'


def _table_html(table: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in table.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
        for row in table.itertuples(index=False)
    )
    return f'<table class="sn-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _slide_html(deck: Deck, slide: Slide, index: int, logo: str, primary: str) -> str:
    figs = "".join(
        f'<div class="sn-fig"><div class="sn-fig-v">{html.escape(v)}</div>'
        f'<div class="sn-fig-l">{html.escape(label)}</div></div>'
        for label, v in slide.headline
    )
    text = "".join(f"<p>{html.escape(t)}</p>" for t in slide.text)
    return (
        f'<div class="sn-slide" style="--sn-primary: {html.escape(primary)}">'
        f'<div class="sn-head">{_logo_html(logo)}<span class="sn-muni">'
        f"{html.escape(deck.municipality)}</span>"
        f'<span class="sn-cap">{html.escape(deck.caption)} · {index + 1}/{len(deck.slides)}'
        f"</span></div>"
        f'<div class="sn-title">{html.escape(slide.title)}</div>'
        + (f'<div class="sn-figs">{figs}</div>' if figs else "")
        + (f'<div class="sn-text">{text}</div>' if text else "")
        + "</div>"
    )


PPTX_MIME = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


def _deck_bytes(store: Store, deck: Deck, kind: str) -> bytes:
    """Return the slides shown as a file (made when its button is clicked)."""
    from slcore import deck as files  # python-pptx and fpdf2: loaded only for a download

    colors = {
        "primary": settings.get(store, settings.PRIMARY_COLOR),
        "accent": settings.get(store, settings.ACCENT_COLOR),
    }
    logo = files.stored_logo(store)
    if kind == "pptx":
        return files.pptx_bytes(deck, logo=logo, **colors)
    return files.pdf_bytes(deck, logo=logo, **colors)


def show(view: View) -> None:
    """Draw the open slide of committee mode with its buttons."""
    store = view.store
    deck = slides.deck(store, view.period, view.filters, "politisk")
    index = _slide_index(deck)
    slide = deck.slides[index]
    primary = settings.get(store, settings.PRIMARY_COLOR)
    st.html(CSS)
    st.html(_slide_html(deck, slide, index, settings.get(store, settings.LOGO), primary))
    if slide.chart is not None:
        height = 560 if not slide.headline else 470
        st.plotly_chart(
            charts.slide_chart(slide.chart, height=height, primary=primary),
            key=f"slide_{slide.key}",
            config={"displayModeBar": False},
        )
        if any(v is None for values in slide.chart.series.values() for v in values):
            st.html('<div class="sn-foot">Værdier udeladt efter reglen om små tal.</div>')
    if slide.table is not None and slide.chart is None:
        st.html(f'<div class="sn-slide">{_table_html(slide.table)}</div>')
    left, middle, right = st.columns([1, 4, 1])
    if left.button(
        "Forrige",
        icon=":material/arrow_back:",
        shortcut="Left",
        key="slide_prev",
        disabled=index == 0,
        width="stretch",
    ):
        _go(deck, index - 1)
        st.rerun()
    with middle:
        m1, m2, m3 = st.columns([3, 1, 1])
        m1.html(
            f'<div class="sn-foot" style="text-align:center">Dias {index + 1} af '
            f"{len(deck.slides)} · piletasterne skifter dias</div>"
        )
        if login.current_may(access.DOWNLOAD):
            stem = f"udvalg_{view.period.start:%Y-%m-%d}_{view.period.end:%Y-%m-%d}"
            for column, kind, mime in (
                (m2, "pptx", PPTX_MIME),
                (m3, "pdf", "application/pdf"),
            ):
                column.download_button(
                    kind.upper(),
                    in_turn(partial(_deck_bytes, store, deck, kind), store),
                    file_name=f"{stem}.{kind}",
                    mime=mime,
                    key=f"deck_{kind}",
                    icon=":material/download:",
                    width="stretch",
                )
    if right.button(
        "Næste",
        icon=":material/arrow_forward:",
        shortcut="Right",
        key="slide_next",
        disabled=index == len(deck.slides) - 1,
        width="stretch",
    ):
        _go(deck, index + 1)
        st.rerun()
