"""Streamlit helpers shared by the pages: the store, the sidebar filters, banners, downloads.

The sidebar's widgets are bound to the URL's query parameters, so a copied link reproduces
the view. Everything computed comes from slcore; this module only reads and draws.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import pandas as pd
import streamlit as st

from slcore import economy, export, figures, fmt, labels
from slcore.figures import AGE_BANDS, Filters
from slcore.labels import Column, Format
from slcore.periods import PRESETS, Period, preset_period
from slcore.store import Store, StoreError, intervention_types, open_store, resolve_db_path

_first_start_lock = threading.Lock()
# The view the entrypoint's sidebar chose for this script run (one run per thread at a time).
_this_run = threading.local()

IMPORT_PAGE = "views/indlaes.py"


def pages() -> list[st.Page]:
    """Return the pages in navigation order (``st.Page`` needs the running script's folder)."""
    return [
        st.Page("views/overblik.py", title="Overblik", icon=":material/dashboard:", default=True),
        st.Page("views/aktivitet.py", title="Aktivitet", icon=":material/groups:"),
        st.Page("views/oekonomi.py", title="Økonomi", icon=":material/payments:"),
        st.Page("views/rammeoverholdelse.py", title="Rammeoverholdelse", icon=":material/rule:"),
        st.Page("views/serviceniveau.py", title="Serviceniveau", icon=":material/tune:"),
        st.Page(IMPORT_PAGE, title="Indlæs data", icon=":material/upload_file:"),
    ]


CATEGORY_LABELS = labels.CATEGORIES


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


def get_store() -> Store:
    """Open the store; on first start build the demo municipality, showing progress."""
    path = resolve_db_path()
    if not path.exists():
        with _first_start_lock:
            if not path.exists():
                bar = st.progress(0.0, text="Første start: bygger demokommunen …")

                def progress(fraction: float, text: str) -> None:
                    bar.progress(min(max(fraction, 0.0), 1.0), text=f"Første start: {text}")

                from slcore.demo import build_demo  # only needed on first start

                build_demo(path, progress=progress)
                bar.empty()
    return open_store(path)


DATE_HELP = "Skriv datoen som dd-mm-åååå og tryk Enter eller Tab."


def date_field(
    container: object, label: str, key: str, default: dt.date, help_text: str = ""
) -> dt.date:
    """Draw a date typed as dd-mm-åååå, bound to the URL; return it (``default`` if invalid).

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
    text = container.text_input(  # type: ignore[attr-defined]
        label,
        value=default_text,
        key=key,
        bind="query-params",
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


def sidebar(store: Store) -> View:
    """Draw the shared filters in the sidebar and return the view they select."""
    status = figures.data_status(store)
    types = intervention_types(store)
    names = {t["code"]: t["name_da"] for t in types}
    sb = st.sidebar
    sb.header("Filtre")
    preset = sb.selectbox(
        "Periode", list(PRESETS), format_func=PRESETS.get, key="periode", bind="query-params"
    )
    as_of = date_field(
        sb,
        "Opgjort pr.",
        "opgjort",
        status.as_of,
        "Dagen data beskriver. Standard: den seneste dag, den nyeste import dækker.",
    )
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

    categories = sb.multiselect(
        "Kategori",
        list(CATEGORY_LABELS),
        format_func=CATEGORY_LABELS.get,
        key="kategori",
        bind="query-params",
        placeholder="Alle kategorier",
    )
    type_options = [t["code"] for t in types if not categories or t["category"] in categories]
    chosen_types = sb.multiselect(
        "Indsatstype",
        type_options,
        format_func=lambda c: f"{names[c]} ({c})",
        key="indsats",
        bind="query-params",
        placeholder="Alle indsatstyper",
    )
    age_bands = sb.multiselect(
        "Aldersgruppe",
        list(AGE_BANDS),
        key="alder",
        bind="query-params",
        placeholder="Alle aldre",
    )
    team_list = figures.teams(store)
    chosen_teams = sb.multiselect(
        "Team", team_list, key="team", bind="query-params", placeholder="Alle teams"
    )
    filters = Filters(
        intervention_types=tuple(chosen_types),
        categories=tuple(categories),
        age_bands=tuple(age_bands),
        teams=tuple(chosen_teams),
    )
    return View(store=store, period=period, filters=filters, status=status, type_names=names)


# Streamlit's file uploader has English words no parameter changes ("Upload", "200MB per
# file • CSV"); CSS puts Danish in their place, and each uploader's label and help say what
# to upload and how large it may be.
DANISH_UPLOADER_CSS = """<style>
[data-testid="stFileUploaderDropzoneInstructions"] span { display: none; }
[data-testid="stFileUploaderDropzoneInstructions"] > div::after {
    content: "Træk filen hertil, eller vælg den"; font-size: 0.875rem; }
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p {
    display: none; }
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"]::after {
    content: "Vælg fil"; }
</style>"""


def start() -> None:
    """Open the store and draw the shared sidebar filters; ``app.py`` calls this each run.

    Stops the run with a Danish message when the store cannot be opened.
    """
    _this_run.view = None
    try:
        store = get_store()
    except StoreError as exc:
        st.error(str(exc), icon=":material/error:")
        st.stop()
    st.html(DANISH_UPLOADER_CSS)
    _this_run.view = sidebar(store)


def page(title: str) -> View:
    """Start a page: draw the header under the filters ``start`` drew; return the view."""
    view: View | None = getattr(_this_run, "view", None)
    if view is None:  # the page was run without the entrypoint
        start()
        view = _this_run.view
    assert view is not None
    header(view, title)
    return view


def header(view: View, title: str) -> None:
    """Draw the page title, the demo banner and the data's freshness."""
    st.title(title)
    s = view.status
    if s.is_demo:
        st.warning(
            "**Demodata.** Tallene er en opdigtet kommune, så du kan se, hvordan dashboardet "
            "virker. Indlæs jeres egne udtræk for at erstatte dem.",
            icon="🧪",
        )
    fresh = f"Opgjort pr. **{fmt.date(view.period.as_of)}**"
    if s.last_import_at is not None:
        fresh += (
            f" · Seneste indlæsning {fmt.date(s.last_import_at.date())} "
            f"kl. {s.last_import_at:%H:%M} ({s.last_import_file})"
        )
    fresh += f" · {fmt.number(s.registrations)} bevillinger i alt"
    st.caption(fresh)


def empty_state() -> None:
    """Tell the user what to do when the store holds no registrations: go to Indlæs data."""
    st.info(
        "Der er ingen bevillinger i databasen endnu. Indlæs et udtræk fra sagssystemet "
        "(CSV eller Excel) på siden Indlæs data.",
        icon="📂",
    )
    st.page_link(IMPORT_PAGE, label="Gå til Indlæs data", icon=":material/upload_file:")


def flash(place: str, message: str) -> None:
    """Keep a success message for the next run, shown where ``show_flash(place)`` is called."""
    st.session_state[f"_flash_{place}"] = message


def show_flash(place: str) -> None:
    """Show (once) the success message kept for this place, if any."""
    message = st.session_state.pop(f"_flash_{place}", None)
    if message:
        st.success(message, icon=":material/check_circle:")


def downloads(
    df: pd.DataFrame,
    name: str,
    key: str,
    period: Period | None = None,
    title: str | None = None,
    formats: Mapping[str, Format] | None = None,
) -> None:
    """Offer a table as CSV (for Danish Excel) and XLSX, its numbers as the screen shows them.

    ``formats`` gives each Danish column's format (else those ``labels`` registers). A period
    puts its dates and its as-of date in the file name; a title, followed by the period in
    Danish, heads both files (``export.file_stem``, ``export.heading``).
    """
    line = export.heading(title, period)
    download_pair(
        export.to_csv_bytes(df, title=line, as_shown=True, formats=formats),
        export.to_xlsx_bytes(df, sheet=name, title=line, as_shown=True, formats=formats),
        export.file_stem(name, period),
        key,
    )


def download_pair(csv_bytes: bytes, xlsx_bytes: bytes, name: str, key: str) -> None:
    """Draw the two download buttons, CSV and Excel, side by side."""
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
    shown = {c: SCREEN_FORMATS[k] for c, k in kinds.items() if k in SCREEN_FORMATS}
    return df.style.format(shown, na_rep="–")


# --- Drill-down: a click on a bar filters the page ------------------------------------------

# The dimensions a click can filter on, their Danish names and the Filters field they narrow.
DRILL_DIMENSIONS = {
    "category": ("Kategori", "categories"),
    "intervention_type": ("Indsatstype", "intervention_types"),
    "age_band": ("Alder", "age_bands"),
    "team": ("Team", "teams"),
}


def drill_levels(page_key: str) -> list[tuple[str, str]]:
    """Return the page's drill-down so far: (dimension, value) pairs, outermost first."""
    return st.session_state.setdefault(f"{page_key}_drill", [])


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


ALLOCATION_LIMIT = 2000


def allocation_list(page_key: str, view: View, filters: Filters) -> None:
    """Draw the allocations behind the drill-down (pseudonymised ids) once a team is chosen."""
    from slcore import activity

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
    table = labels.translate(table, status=labels.STATUSES)
    st.markdown(f"**Bevillinger ({fmt.number(len(table))})**, dyreste først")
    table_with_downloads(table, "bevillinger", key=f"{page_key}_alloc", period=view.period)


def table_with_downloads(
    df: pd.DataFrame,
    name: str,
    key: str,
    period: Period | None = None,
    title: str | None = None,
    columns: Mapping[str, Column] | None = None,
    screen: pd.DataFrame | None = None,
    row_colors: Sequence[str] | None = None,
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
    st.dataframe(styled, **dataframe_args)  # type: ignore[arg-type]
    downloads(shown, name, key=key, period=period, title=title, formats=formats)


def full_height(rows: int) -> int:
    """Return the height that shows a table of ``rows`` rows without scrolling."""
    return 38 + 35 * rows


# --- Shared page pieces: tiles, the budget's notes, the teams tab ---------------------------


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


@dataclass(frozen=True)
class TeamsTab:
    """What a page's "Teams og bevillinger" tab shows: one figure per team, and its table."""

    figure: str
    title: str
    columns: tuple[str, ...]
    name: str
    key: str
    money: bool = False


def teams_tab(page_key: str, view: View, filters: Filters, tab: TeamsTab) -> None:
    """Draw the teams' bars (a click lists a team's allocations), their table and the list."""
    from slcore import charts

    by_team = figures.key_figures(view.store, view.period, ("team",), filters)
    by_team = by_team[by_team[tab.figure] != 0]
    drill_chart(
        charts.group_bar_chart(
            by_team,
            "team",
            tab.figure,
            {},
            f"{tab.title}<br><sup>{view.caption}</sup>",
            money=tab.money,
            horizontal=True,
        ),
        page_key,
        "teams",
    )
    with st.expander("Tal pr. team"):
        table_with_downloads(
            by_team[["team", *tab.columns]], tab.name, period=view.period, key=tab.key
        )
    allocation_list(page_key, view, filters)


def partial_note(partial: Mapping[dt.date, int], what: str) -> str:
    """Return the note naming the months counted on fewer days ('' when none)."""
    from slcore import charts

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
