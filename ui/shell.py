"""The app's frame: the pages, the store, the start of each run and page, messages kept across reruns."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from slcore import access, fmt, settings
from slcore.access import Access
from slcore.store import Store, StoreError, open_store, resolve_db_path
from ui import login, turn
from ui.sidebar import View, sidebar

_first_start_lock = threading.Lock()
# The view the entrypoint's sidebar chose for this script run (one run per thread at a time).
_this_run = threading.local()

IMPORT_PAGE = "views/indlaes.py"


# The pages in navigation order: (access code, file, title, icon).
PAGES: tuple[tuple[str, str, str, str], ...] = (
    (access.OVERVIEW, "views/overblik.py", "Overblik", ":material/dashboard:"),
    (access.ACTIVITY, "views/aktivitet.py", "Aktivitet", ":material/groups:"),
    (access.ECONOMY, "views/oekonomi.py", "Økonomi", ":material/payments:"),
    (access.COMPLIANCE, "views/rammeoverholdelse.py", "Rammeoverholdelse", ":material/rule:"),
    (access.SERVICE_LEVEL, "views/serviceniveau.py", "Serviceniveau", ":material/tune:"),
    (access.COMMITTEE, "views/udvalg.py", "Udvalgsvisning", ":material/slideshow:"),
    (access.IMPORT, IMPORT_PAGE, "Indlæs data", ":material/upload_file:"),
    (access.PEOPLE, "views/personer.py", "Personer og roller", ":material/badge:"),
    (access.SETTINGS, "views/indstillinger.py", "Indstillinger", ":material/settings:"),
    (access.AUDIT, "views/log.py", "Log", ":material/history:"),
)


def pages(who: Access) -> dict[str, st.Page]:
    """Return the pages by access code: the person's own, and a hidden refusal for the rest.

    A page outside the person's roles is still registered under its own URL, so a deep link
    to it shows a refusal (not Streamlit's "page not found", nor the page). The first page
    the person may see is the default.
    """
    allowed = who.pages()
    built: dict[str, st.Page] = {}
    for code, path, title, icon in PAGES:
        if code in allowed:
            built[code] = st.Page(path, title=title, icon=icon, default=code == allowed[0])
        else:
            built[code] = st.Page(
                login.refused_page(title), title=title, url_path=code, visibility="hidden"
            )
    return built


def gate_pages(gate: Callable[[], None]) -> list[st.Page]:
    """Return the one page shown before access (login, no access), under every page's URL too.

    A shared deep link (``/oekonomi``) then shows the login, not Streamlit's English "page
    not found" dialog over it.
    """
    built = [st.Page(gate, title="Serviceniveau", url_path="adgang", default=True)]
    for code, _, title, _ in PAGES:

        def at_url(gate: Callable[[], None] = gate) -> None:
            gate()

        at_url.__name__ = f"gate_{code}"
        built.append(st.Page(at_url, title=title, url_path=code, visibility="hidden"))
    return built


def open_app_store() -> Store:
    """Open the store for this run (``app.py``), building the demo on first start."""
    try:
        return get_store()
    except StoreError as exc:
        st.error(str(exc), icon=":material/error:")
        st.stop()


@contextmanager
def holding(store: Store) -> Iterator[None]:
    """Hold the store's file for this run; say so while a command line job has it.

    Between runs the dashboard has no connection, so a scheduled import, an undo or a
    backup from the command line can open the file (``slcore.store``). A run that starts
    while such a job writes waits for it, and then shows the new state.
    """
    notice = st.empty()

    def waiting() -> None:
        notice.info(
            "Et andet program arbejder i databasen lige nu (fx en planlagt indlæsning fra "
            "kommandolinjen). Siden vises, så snart det er færdigt …",
            icon=":material/hourglass_top:",
        )

    with ExitStack() as stack:
        try:
            stack.enter_context(store.held(on_wait=waiting))
        except StoreError as exc:  # still busy after SLCORE_LOCK_TIMEOUT
            notice.error(str(exc), icon=":material/error:")
            st.stop()
        notice.empty()
        yield


def navigation(store: Store) -> StreamlitPage:
    """Find who is asking and return the page to run (``app.py``)."""
    _this_run.view = None
    _this_run.access = None
    login.set_current(None)
    turn.set_store(store)
    who, gate = login.person(store)
    if gate is not None or who is None:
        assert gate is not None
        return st.navigation(gate_pages(gate))
    built = pages(who)
    page = st.navigation(list(built.values()))
    code = next(c for c, p in built.items() if p is page)
    _this_run.store = store
    _this_run.access = who.on(code) if who.may_see(code) else None
    login.set_current(_this_run.access)
    return page


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
    return open_store(path, shared=True)


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
    """Draw the shared sidebar filters for the page ``navigation`` chose; ``app.py`` calls this.

    The view's store is the person's (``Store.as_person``) narrowed to the page: every figure
    on it has their team scope and rule. A gate page or a refusal gets no sidebar and no data.
    """
    who: Access | None = getattr(_this_run, "access", None)
    if who is None:
        return
    store = _this_run.store.as_person(who)
    st.html(DANISH_UPLOADER_CSS)
    design(store)
    _this_run.view = sidebar(store)
    login.person_box(who)


def _view() -> View:
    view: View | None = getattr(_this_run, "view", None)
    if view is None:  # the page was run without the entrypoint, or outside the roles
        st.error("Siden kan ikke vises her.", icon=":material/block:")
        st.stop()
    return view


# A tile's value wraps rather than being cut ("284,8 mio.…") when the screen is narrow
# (1280 px with four tiles a row), and shrinks a little with the screen.
TILE_CSS = """
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * {
    white-space: normal !important; overflow: visible !important;
    text-overflow: clip !important; overflow-wrap: anywhere; }
[data-testid="stMetricValue"] { font-size: clamp(1.4rem, 2.1vw, 2.25rem) !important; }
"""


def design(store: Store) -> None:
    """Apply the municipality's design: its logo in the corner, its colour on the titles."""
    logo = settings.logo_bytes(store)
    if logo is not None and logo[1] == "png":
        st.logo(logo[0], size="large")
    primary = settings.get(store, settings.PRIMARY_COLOR)
    st.html(
        f"<style>h1 {{ border-bottom: 4px solid {primary}; padding-bottom: 0.2rem; }}"
        + TILE_CSS
        + "</style>"
    )


def page(title: str) -> View:
    """Start a page: draw the header under the filters ``start`` drew; return the view."""
    view = _view()
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
    fresh = (
        f"{settings.municipality_name(view.store)} · Opgjort pr. **{fmt.date(view.period.as_of)}**"
    )
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


def data_page(title: str, *, with_header: bool = True) -> View:
    """Start a page of figures: as ``page``, but stop with ``empty_state`` when there are none.

    Without ``with_header`` (committee mode, whose slides carry their own) no title is drawn.
    """
    view = page(title) if with_header else _view()
    if view.status.registrations == 0:
        empty_state()
        st.stop()
    return view


def flash(place: str, message: str) -> None:
    """Keep a success message for the next run, shown where ``show_flash(place)`` is called."""
    st.session_state[f"_flash_{place}"] = message


def show_flash(place: str) -> None:
    """Show (once) the success message kept for this place, if any."""
    message = st.session_state.pop(f"_flash_{place}", None)
    if message:
        st.success(message, icon=":material/check_circle:")


def tabs(key: str, parts: Mapping[str, Callable[[], object]], keep: Sequence[str] = ()) -> None:
    """Draw a page's tabs, labelled as ``parts`` names them, and run only the open tab's part.

    A hidden tab is neither drawn nor computed: clicking a tab reruns the page with that
    tab open. The open tab is bound to the URL (``?key=label``, left out for the first tab),
    so a link or a reload opens the same tab; ``key`` is the page's own (``akt_fane``), never
    one of the sidebar's. Streamlit forgets the value of a widget that is not drawn, so the
    widgets named in ``keep`` (a type chosen in a tab, say) are kept while their tab is hidden.
    """
    for widget in keep:
        if widget in st.session_state:
            st.session_state[widget] = st.session_state[widget]
    containers = st.tabs(list(parts), key=key, bind="query-params")
    for container, draw in zip(containers, parts.values(), strict=True):
        if container.open:
            with container:
                draw()
