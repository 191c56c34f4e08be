"""A bounded in-process cache of figures, keyed on the store's data version.

A figure function decorated with ``@cached`` computes once per (store, data version,
arguments); a rerun of a page that changes nothing in the data recomputes nothing, and every
session of the process shares the result. The data version (``Store.data_version``) is a
new random token with every committed write (import, undo, frame or budget edit, the demo's
end, in this process or another), so a figure of an older version is never served: its key
is simply never asked for again, and it ages out.

The key holds every argument and what narrows the figures for the person asking (their
team scope and whether the small-number rule applies: ``Access.view_key`` of the store they
query), so two sessions share an entry only when they asked with the same scope. A value that cannot be a key (a DataFrame
argument) is not cached.

The cache holds at most ``SLCORE_CACHE_MB`` megabytes (default 128), least recently used
first out; each caller gets its own copy, so a page that changes a table changes no one
else's.
"""

from __future__ import annotations

import copy
import functools
import os
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

import pandas as pd

from slcore.store import Store

P = ParamSpec("P")
R = TypeVar("R")

_lock = threading.Lock()
_entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()


@dataclass
class Stats:
    """How the cache has done since the last ``clear``."""

    hits: int = 0
    misses: int = 0
    entries: int = 0
    size_bytes: int = 0


_stats = Stats()


def max_bytes() -> int:
    """Return the cache's size limit in bytes (``SLCORE_CACHE_MB``, default 128)."""
    return int(float(os.environ.get("SLCORE_CACHE_MB", "128")) * 1024 * 1024)


def clear() -> None:
    """Forget every entry and the statistics (benchmarks measure the uncached time)."""
    global _stats
    with _lock:
        _entries.clear()
        _stats = Stats()


def stats() -> Stats:
    """Return a snapshot of the statistics."""
    with _lock:
        return Stats(_stats.hits, _stats.misses, len(_entries), _stats.size_bytes)


def _freeze(value: object) -> Hashable:
    """Return a hashable form of an argument (lists become tuples); raise TypeError if none."""
    if isinstance(value, list | tuple):
        return (type(value).__name__, tuple(_freeze(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple(sorted((k, _freeze(v)) for k, v in value.items())))
    if isinstance(value, pd.DataFrame | pd.Series):
        raise TypeError("A table is no cache key.")
    hash(value)  # raises TypeError for what cannot be a key
    return value


def _size(value: object) -> int:
    if isinstance(value, pd.DataFrame):
        return int(value.memory_usage(deep=True).sum()) + 256
    if isinstance(value, pd.Series):
        return int(value.memory_usage(deep=True)) + 256
    try:
        return len(pickle.dumps(value))
    except (pickle.PicklingError, TypeError, AttributeError):
        return 1024


def _copy(value: R) -> R:
    if isinstance(value, pd.DataFrame | pd.Series):
        return value.copy(deep=True)  # type: ignore[return-value]  # same type
    return copy.deepcopy(value)


def _get(key: Hashable) -> tuple[bool, Any]:
    with _lock:
        entry = _entries.get(key)
        if entry is None:
            _stats.misses += 1
            return False, None
        _entries.move_to_end(key)
        _stats.hits += 1
        return True, entry[0]


def _put(key: Hashable, value: object) -> None:
    size = _size(value)
    limit = max_bytes()
    if size > limit:
        return
    with _lock:
        old = _entries.pop(key, None)
        if old is not None:
            _stats.size_bytes -= old[1]
        _entries[key] = (value, size)
        _stats.size_bytes += size
        while _stats.size_bytes > limit and _entries:
            _, (_, dropped) = _entries.popitem(last=False)
            _stats.size_bytes -= dropped


def cached(fn: Callable[Concatenate[Store, P], R]) -> Callable[Concatenate[Store, P], R]:
    """Cache a figure function of (store, arguments) per store and data version."""

    @functools.wraps(fn)
    def wrapper(store: Store, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            frozen = (_freeze(args), _freeze(kwargs))
        except TypeError:
            return fn(store, *args, **kwargs)
        # The version is read before the figure is computed: if a write lands in between, the
        # entry holds newer data than its key says, never older, and the next caller reads
        # the new version and misses.
        key = (
            str(store.path),
            store.data_version(),
            store.access.view_key,
            fn.__module__,
            fn.__qualname__,
            frozen,
        )
        found, value = _get(key)
        if not found:
            value = fn(store, *args, **kwargs)
            _put(key, value)
        return _copy(cast(R, value))  # what fn returned

    return wrapper
