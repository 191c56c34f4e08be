"""Who did something: the one name recorded with every import, undo, frame and budget.

For now the app is used by one local person at a time and records ``lokal bruger``; the
command line records the operating system's user. With a login (issue 15) the app will
record the person logged in, here and nowhere else. Demo data are recorded as ``demo``.
"""

from __future__ import annotations

import getpass

APP_USER = "lokal bruger"
DEMO_USER = "demo"
UNKNOWN_USER = "ukendt"


def current_actor(app: bool) -> str:
    """Return who acts now: ``lokal bruger`` in the app, the OS user on the command line."""
    if app:
        return APP_USER
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name and no password entry for the uid
        return UNKNOWN_USER
