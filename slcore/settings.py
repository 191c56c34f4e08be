"""The municipality's settings (reports.md): name, design and the small-number threshold.

Stored as key/value text in the store's ``settings`` table; ``DEFAULTS`` gives each key's
value until someone sets it. A change is for an administrator and goes to the audit log.
"""

from __future__ import annotations

from slcore import access, audit
from slcore.store import Store

MUNICIPALITY_NAME = "municipality_name"
SMALL_NUMBER_THRESHOLD = "small_number_threshold"
PRIMARY_COLOR = "primary_color"
ACCENT_COLOR = "accent_color"
# A role claim of the identity provider (Entra ID's app roles come as "roles") and how its
# values map to roles: "Serviceniveau.Analytiker=analytiker;Direktionen=direktion".
ROLE_CLAIM = "role_claim"
ROLE_MAP = "role_map"

DEFAULTS: dict[str, str] = {
    MUNICIPALITY_NAME: "Kommunen",
    SMALL_NUMBER_THRESHOLD: "5",
    PRIMARY_COLOR: "#1f5fa8",
    ACCENT_COLOR: "#e07b00",
    ROLE_CLAIM: "roles",
    ROLE_MAP: "",
}


def get(store: Store, key: str) -> str:
    """Return a setting's value, its default when unset."""
    if key not in DEFAULTS:
        raise ValueError(f"Ukendt indstilling: {key}. Indstillinger: {', '.join(DEFAULTS)}.")
    row = store.cursor().execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
    return str(row[0]) if row else DEFAULTS[key]


def all_settings(store: Store) -> dict[str, str]:
    """Return every setting with its value."""
    return {k: get(store, k) for k in DEFAULTS}


def threshold(store: Store) -> int:
    """Return the small-number threshold T of metrics.md."""
    return int(get(store, SMALL_NUMBER_THRESHOLD))


def municipality_name(store: Store) -> str:
    """Return the municipality's name as the pages and the login show it."""
    return get(store, MUNICIPALITY_NAME)


def _check(key: str, value: str) -> str:
    value = value.strip()
    if key == SMALL_NUMBER_THRESHOLD:
        if not value.isdigit() or not 2 <= int(value) <= 100:
            raise ValueError("Grænsen for små tal skal være et helt tal fra 2 til 100.")
        return str(int(value))
    if key in (PRIMARY_COLOR, ACCENT_COLOR):
        hexdigits = value.removeprefix("#")
        if len(hexdigits) != 6 or any(c not in "0123456789abcdefABCDEF" for c in hexdigits):
            raise ValueError(f"{key}: skriv farven som #rrggbb, fx #1f5fa8.")
        return "#" + hexdigits.lower()
    if key == ROLE_MAP:
        return ";".join(f"{v}={r}" for v, r in parse_role_map(value).items())
    if not value:
        raise ValueError(f"{key} må ikke være tom.")
    return value


def parse_role_map(text: str) -> dict[str, str]:
    """Return a role map ("claim value=role;...") as a dict; raise ValueError (Danish)."""
    mapping: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        value, sep, role = part.rpartition("=")
        if not sep or not value.strip():
            raise ValueError(f"»{part}«: skriv værdi=rolle, fx Serviceniveau.Leder=leder.")
        mapping[value.strip()] = access.check_roles([role])[0]
    return mapping


def role_map(store: Store) -> tuple[str, dict[str, str]]:
    """Return the role claim's name and its values' roles (empty: no mapping)."""
    return get(store, ROLE_CLAIM), parse_role_map(get(store, ROLE_MAP))


def set_value(store: Store, key: str, value: str) -> str:
    """Set a setting (an administrator's); return the value as stored."""
    get(store, key)  # an unknown key is refused before anything else
    clean = _check(key, value)
    with store.write(access.EDIT_SETTINGS) as cur:
        cur.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", [key, clean])
        audit.record(cur, store.access.who, "settings", f"{key} = {clean}")
    return clean
