"""Check a server's setup before the dashboard starts (the unit's ExecStartPre).

Run from the checkout as the service user: ``.venv/bin/python deploy/preflight.py``. It
refuses (exit 1, one Danish line per problem on stderr, which journald keeps) when:

- ``.streamlit/secrets.toml`` is missing, has no complete ``[auth]`` section, still holds a
  placeholder from the example, or its ``redirect_uri`` is not ``https://…/oauth2callback``.
  Behind nginx the dashboard listens on 127.0.0.1, where it would otherwise run in local
  mode and make everyone who reaches the proxy an administrator;
- the store does not exist (the dashboard would build the demo municipality into it);
- the secrets, the store, its folder or its pseudonym key file (``<store>.key``) belong to
  another user or are open to the group or others (they must be 0600, folders 0700).

Nothing is changed and nothing secret is printed. docs/deployment.md describes the setup.
"""

from __future__ import annotations

import os
import stat
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from slcore.privacy import key_path  # noqa: E402 - after the checkout is on the path
from slcore.store import resolve_db_path  # noqa: E402

SECRETS = ROOT / ".streamlit" / "secrets.toml"
AUTH_KEYS = ("redirect_uri", "cookie_secret", "client_id", "client_secret", "server_metadata_url")
MIN_COOKIE_SECRET = 32


def private(path: Path, what: str) -> list[str]:
    """Return the problems with a path that only the service user may use."""
    info = path.stat()
    problems = []
    if info.st_uid != os.geteuid():
        problems.append(f"{what} {path} tilhører ikke brugeren, som tjenesten kører som.")
    if stat.S_IMODE(info.st_mode) & 0o077:
        mode = "0700" if path.is_dir() else "0600"
        problems.append(
            f"{what} {path} kan læses eller ændres af andre end ejeren "
            f"({stat.S_IMODE(info.st_mode):04o}); sæt den til {mode}."
        )
    return problems


def auth_problems(secrets: Path) -> list[str]:
    """Return the problems with the login configuration in ``secrets.toml``."""
    if not secrets.is_file():
        return [f"{secrets} mangler; kopiér .streamlit/secrets.toml.example og udfyld den."]
    problems = private(secrets, "Filen")
    try:
        auth = tomllib.loads(secrets.read_text(encoding="utf-8")).get("auth")
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        return [*problems, f"{secrets} kan ikke læses som TOML ({exc})."]
    if not isinstance(auth, dict):
        return [
            *problems,
            f"{secrets} har intet afsnit [auth]: uden login ville alle, der når proxyen, "
            "være administrator.",
        ]
    missing = [k for k in AUTH_KEYS if not str(auth.get(k) or "").strip()]
    if missing:
        problems.append(f"[auth] i {secrets} mangler {', '.join(missing)}.")
    placeholders = [k for k, v in auth.items() if isinstance(v, str) and "REPLACE-" in v]
    if placeholders:
        problems.append(
            f"[auth] i {secrets} har stadig eksemplets pladsholder i {', '.join(placeholders)}."
        )
    uri = str(auth.get("redirect_uri") or "")
    if uri and not (uri.startswith("https://") and uri.endswith("/oauth2callback")):
        problems.append(f"redirect_uri skal være https://<værtsnavn>/oauth2callback, ikke {uri}.")
    if "cookie_secret" not in missing and len(str(auth["cookie_secret"])) < MIN_COOKIE_SECRET:
        problems.append(f"cookie_secret er for kort (mindst {MIN_COOKIE_SECRET} tegn).")
    return problems


def store_problems(db: Path) -> list[str]:
    """Return the problems with the store, its folder and its key file."""
    if not db.is_file():
        return [
            f"Databasen {db} findes ikke (dashboardet ville bygge demokommunen i den); opret "
            "den først, fx med python -m slcore users add … (docs/deployment.md)."
        ]
    problems = private(db.parent, "Mappen") + private(db, "Databasen")
    key = key_path(db)
    if not os.environ.get("SLCORE_KEY") and key.exists():
        problems += private(key, "Nøglefilen")
    return problems


def main() -> int:
    """Check the setup; return 0 when the dashboard may start, else 1."""
    db = resolve_db_path().resolve()
    problems = auth_problems(SECRETS) + store_problems(db)
    for problem in problems:
        print(f"Fejl: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"Klar: login er sat op, databasen er {db}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
