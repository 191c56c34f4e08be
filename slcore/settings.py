"""The municipality's settings (reports.md): name, design and the small-number threshold.

Stored as key/value text in the store's ``settings`` table; ``DEFAULTS`` gives each key's
value until someone sets it. A change is for an administrator and goes to the audit log.
"""

from __future__ import annotations

import base64

from slcore import access, audit
from slcore.store import Store

MUNICIPALITY_NAME = "municipality_name"
SMALL_NUMBER_THRESHOLD = "small_number_threshold"
PRIMARY_COLOR = "primary_color"
ACCENT_COLOR = "accent_color"
# A role claim of the identity provider (Entra ID's app roles come as "roles") and how its
# values map to roles: "Serviceniveau.Analytiker=analytiker;Direktionen=direktion".
LOGO = "logo"  # a data URI: data:image/png;base64,... (or image/svg+xml)
MAX_LOGO_BYTES = 2 * 1024 * 1024
ROLE_CLAIM = "role_claim"
ROLE_MAP = "role_map"

DEFAULTS: dict[str, str] = {
    MUNICIPALITY_NAME: "Kommunen",
    SMALL_NUMBER_THRESHOLD: "5",
    PRIMARY_COLOR: "#1f5fa8",
    ACCENT_COLOR: "#e07b00",
    LOGO: "",
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


def logo_uri(data: bytes) -> str:
    """Return a PNG or SVG logo as a data URI; raise ValueError (Danish) for anything else."""
    if len(data) > MAX_LOGO_BYTES:
        raise ValueError("Logoet må højst fylde 2 MB.")
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        mime = "image/png"
    elif b"<svg" in data[:2048].lower():
        text = data.decode("utf-8", errors="replace").lower()
        if "<script" in text or "javascript:" in text:
            raise ValueError("Logoet indeholder script; gem det som en ren SVG eller PNG.")
        mime = "image/svg+xml"
    else:
        raise ValueError("Logoet skal være en PNG- eller SVG-fil.")
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def logo_bytes(store: Store) -> tuple[bytes, str] | None:
    """Return the stored logo and its type (``png`` or ``svg``), or None."""
    uri = get(store, LOGO)
    if not uri:
        return None
    head, _, payload = uri.partition(",")
    return base64.b64decode(payload), "svg" if "svg" in head else "png"


def set_logo(store: Store, data: bytes) -> None:
    """Store the municipality's logo (PNG or SVG); an administrator's."""
    uri = logo_uri(data)
    with store.write(access.EDIT_SETTINGS) as cur:
        cur.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", [LOGO, uri])
        audit.record(cur, store.access.who, "settings", f"logo ({len(data)} bytes)")


def set_value(store: Store, key: str, value: str) -> str:
    """Set a setting (an administrator's); return the value as stored."""
    get(store, key)  # an unknown key is refused before anything else
    if key == LOGO:
        raise ValueError("Logoet sættes fra en fil: settings set logo FIL.PNG.")
    clean = _check(key, value)
    with store.write(access.EDIT_SETTINGS) as cur:
        cur.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", [key, clean])
        audit.record(cur, store.access.who, "settings", f"{key} = {clean}")
    return clean
