"""The audit log (access.md): who did what and when, append-only.

A write records itself inside its own transaction (``record``), so the log and the data never
disagree: an import that rolls back leaves no entry. A login or a view of allocation-level data
is logged on its own (``log``) without a new data version, so no cached figure is thrown away
for it; the same view by the same person is logged once per ``VIEW_REPEAT``, not on every
rerun of the page. Nothing here updates or deletes an entry, and no entry holds a CPR number:
details are masked before they are stored.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import threading
import time
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

import duckdb
import pandas as pd

from slcore import access, fmt, privacy
from slcore.store import Store

P = ParamSpec("P")
R = TypeVar("R")

EVENTS: dict[str, str] = {
    "login": "Logget ind",
    "import": "Indlæsning",
    "undo": "Indlæsning fortrudt",
    "frames": "Rammer ændret",
    "budgets": "Budgetter ændret",
    "alias": "Lokalt navn tilknyttet",
    "people": "Person eller rolle ændret",
    "settings": "Indstilling ændret",
    "roles_plan": "Rolleplan ændret",
    "view": "Bevillinger vist",
    "download": "Bevillinger downloadet",
    "backup": "Sikkerhedskopi taget",
    "restore": "Sikkerhedskopi gendannet",
    "purge": "Afsluttede bevillinger slettet",
}
COLUMNS = ("logged_at", "who", "event", "event_name", "detail")
# A view logged for a person is not logged again for the same detail within this many seconds.
VIEW_REPEAT = 600.0

_seen: dict[tuple[str, str, str, str], float] = {}
_seen_lock = threading.Lock()


def record(cur: duckdb.DuckDBPyConnection, who: str, event: str, detail: str = "") -> None:
    """Append an entry inside the caller's transaction (a write records itself)."""
    if event not in EVENTS:
        raise ValueError(f"Ukendt hændelse: {event}")
    cur.execute(
        "INSERT INTO audit_log (who, event, detail) VALUES (?, ?, ?)",
        [who, event, privacy.mask_cprs(detail)],
    )


def log(store: Store, event: str, detail: str = "") -> bool:
    """Append an entry for the store's person on its own; return whether it was written.

    A login or a view repeated within ``VIEW_REPEAT`` seconds is not written again.
    """
    who = store.access.who
    if event in ("login", "view"):
        key = (str(store.path), who, event, detail)
        now = time.monotonic()
        with _seen_lock:
            last = _seen.get(key)
            if last is not None and now - last < VIEW_REPEAT:
                return False
            _seen[key] = now
    with store.write(versioned=False) as cur:
        record(cur, who, event, detail)
    return True


def download_logger(store: Store, rows: int) -> Callable[[str], bool]:
    """Return what logs the download of an allocation list of ``rows`` rows, by file name."""

    def logged(file_name: str) -> bool:
        return log(store, "download", f"{file_name}: {rows} bevillinger")

    return logged


def entries(
    store: Store,
    since: dt.date | None = None,
    who: str | None = None,
    events: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Return the log, newest first, for an administrator; filtered by day, person and event."""
    store.access.require(access.READ_AUDIT)
    conds = ["TRUE"]
    params: dict[str, object] = {}
    if since is not None:
        conds.append("logged_at >= $since")
        params["since"] = since
    if who:
        conds.append("who ILIKE $who")
        params["who"] = f"%{who}%"
    if events:
        conds.append("event IN (SELECT unnest($events::VARCHAR[]))")
        params["events"] = list(events)
    df = store.df(
        f"""SELECT logged_at, who, event, detail FROM audit_log
            WHERE {" AND ".join(conds)} ORDER BY entry_id DESC""",
        params,
    )
    df.insert(3, "event_name", df["event"].map(EVENTS))
    return df[list(COLUMNS)]


def forget_views() -> None:
    """Forget which views were logged lately (tests start from a clean slate)."""
    with _seen_lock:
        _seen.clear()


def describe(value: object) -> str:
    """Return an argument of a list as the log shows it: a period's dates, a filter's choices."""
    if isinstance(value, dt.date):
        return fmt.date(value)
    start, end = getattr(value, "start", None), getattr(value, "end", None)
    if isinstance(start, dt.date) and isinstance(end, dt.date):
        return f"{fmt.date(start)} – {fmt.date(end)}"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        chosen = [
            f"{f.name}={','.join(map(str, v))}"
            for f in dataclasses.fields(value)
            if (v := getattr(value, f.name))
        ]
        return " ".join(chosen) or "alle"
    return str(value)


def allocation_level(
    what: str,
) -> Callable[[Callable[Concatenate[Store, P], R]], Callable[Concatenate[Store, P], R]]:
    """Guard a function returning allocation-level rows: check the right, log the view.

    Put it above ``@cache.cached``: the check and the log then run on every call, a cached
    answer too. The view is logged with the list's name and arguments (period, filters).
    """

    def decorate(fn: Callable[Concatenate[Store, P], R]) -> Callable[Concatenate[Store, P], R]:
        @functools.wraps(fn)
        def wrapper(store: Store, /, *args: P.args, **kwargs: P.kwargs) -> R:
            store.access.require_allocations()
            result = fn(store, *args, **kwargs)
            parts = [describe(a) for a in args] + [f"{k}={describe(v)}" for k, v in kwargs.items()]
            log(store, "view", f"{what}: {'; '.join(parts)}")
            return result

        return wrapper

    return decorate
