"""Streamlit helpers shared by the pages: the app's frame, the sidebar, tables, tiles, drill-down.

A page calls ``ui.page(title)`` and draws what slcore computes with these helpers; the page
parts of the larger pages live in their own modules (``ui.upload``, ``ui.servicelevel``,
``ui.economy``, ``ui.activity``). Everything computed comes from slcore; this package only
reads widgets and draws.
"""

from ui import activity, compliance, economy, login, servicelevel, upload  # the page parts
from ui.drill import (
    ALLOCATION_LIMIT,
    DRILL_DIMENSIONS,
    add_drill_level,
    allocation_list,
    drill_bar,
    drill_chart,
    drill_levels,
    drilled,
)
from ui.shell import (
    DANISH_UPLOADER_CSS,
    IMPORT_PAGE,
    PAGES,
    data_page,
    empty_state,
    flash,
    get_store,
    header,
    navigation,
    page,
    pages,
    show_flash,
    start,
    tabs,
)
from ui.sidebar import CATEGORY_LABELS, DATE_HELP, View, date_field, sidebar
from ui.tables import (
    SCREEN_FORMATS,
    danish_table,
    download_pair,
    downloads,
    full_height,
    partial_note,
    table_with_downloads,
    with_type_names,
    words,
)
from ui.teams import TeamsTab, teams_tab
from ui.tiles import Tile, arrow, budget_notes, budget_tile, tiles

__all__ = [
    "ALLOCATION_LIMIT",
    "CATEGORY_LABELS",
    "DANISH_UPLOADER_CSS",
    "DATE_HELP",
    "DRILL_DIMENSIONS",
    "IMPORT_PAGE",
    "PAGES",
    "SCREEN_FORMATS",
    "TeamsTab",
    "Tile",
    "View",
    "activity",
    "add_drill_level",
    "allocation_list",
    "arrow",
    "budget_notes",
    "budget_tile",
    "compliance",
    "danish_table",
    "data_page",
    "date_field",
    "download_pair",
    "downloads",
    "drill_bar",
    "drill_chart",
    "drill_levels",
    "drilled",
    "economy",
    "empty_state",
    "flash",
    "full_height",
    "get_store",
    "header",
    "login",
    "navigation",
    "page",
    "pages",
    "partial_note",
    "servicelevel",
    "show_flash",
    "sidebar",
    "start",
    "table_with_downloads",
    "tabs",
    "teams_tab",
    "tiles",
    "upload",
    "with_type_names",
    "words",
]
