"""Deferred downloads in turn with other programs: a download's maker holds the store's file.

Between runs the dashboard gives the store's file back (``ui.shell.holding``), so that a
command line job can open it. Streamlit calls a download's function when its button is
clicked, on a thread of its own after the run has ended; ``in_turn`` makes that function
take the file for as long as it runs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from slcore.store import Store

_this_run = threading.local()


def set_store(store: Store) -> None:
    """Remember the store of this script run (``ui.shell.navigation``)."""
    _this_run.store = store


def in_turn(make: Callable[[], bytes], store: Store | None = None) -> Callable[[], bytes]:
    """Return a deferred download's maker that holds the store's file while it runs."""
    held_store: Store = store if store is not None else _this_run.store

    def made() -> bytes:
        with held_store.held():
            return make()

    return made
