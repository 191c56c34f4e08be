"""Who did something: the one name recorded with every import, undo, frame and budget.

A write records the person of the store it goes through (``Store.access.who``: the e-mail of
the person logged in, ``lokal bruger`` in local mode, the operating system's user on the
command line). Demo data are recorded as ``demo``.
"""

from __future__ import annotations

from slcore import access

APP_USER = access.LOCAL_USER
DEMO_USER = "demo"
UNKNOWN_USER = "ukendt"


def current_actor(app: bool) -> str:
    """Return who acts now: ``lokal bruger`` in the app, the OS user on the command line."""
    return APP_USER if app else access.machine_user()
