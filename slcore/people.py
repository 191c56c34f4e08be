"""People and their roles (access.md): who may log in, and what they may see and do.

A person is their lower-cased e-mail (the identity provider's ``email`` claim), a name, one
or more roles (``slcore.access.ROLES``) and, for team leaders and caseworkers, the teams they
see. Changes are for an administrator and are written to the audit log.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from slcore import access, audit, settings
from slcore.store import Store

# One @, something before it, a dot after it: enough to catch a typo, not a full RFC 5322.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
COLUMNS = ("email", "name", "roles", "teams", "updated_at", "updated_by")


@dataclass(frozen=True)
class Person:
    """A person as the store knows them."""

    email: str
    name: str
    roles: tuple[str, ...]
    teams: tuple[str, ...]


def normalise_email(email: str) -> str:
    """Return an e-mail as people are identified: trimmed and lower-cased."""
    return email.strip().lower()


def check_email(email: str) -> str:
    """Return the normalised e-mail; raise ValueError (Danish) when it is none."""
    e = normalise_email(email)
    if not _EMAIL.match(e):
        raise ValueError(f"»{email}« er ikke en e-mailadresse.")
    return e


def find(store: Store, email: str) -> Person | None:
    """Return the person with this e-mail, or None."""
    row = (
        store.cursor()
        .execute(
            "SELECT email, name, roles, teams FROM people WHERE email = ?",
            [normalise_email(email)],
        )
        .fetchone()
    )
    if row is None:
        return None
    return Person(row[0], row[1] or row[0], tuple(row[2]), tuple(row[3]))


def access_of(
    store: Store, email: str, name: str | None = None, claimed: Iterable[str] = ()
) -> access.Access:
    """Return the access of a logged-in person: their roles in people, and those that the
    identity provider's role claim (``claimed``, its values) maps to in the settings.

    Without either, no role at all (deny by default). Teams come from people only.
    """
    who = normalise_email(email)
    person = find(store, who)
    _, mapping = settings.role_map(store)
    from_claim = {mapping[v] for v in claimed if v in mapping}
    if person is None:
        return access.Access(who=who, name=name or who, roles=frozenset(from_claim))
    return access.Access(
        who=who,
        name=name or person.name,
        roles=frozenset(person.roles) | from_claim,
        teams=person.teams,
    )


def people(store: Store) -> pd.DataFrame:
    """Return everyone with their roles and teams, for an administrator."""
    store.access.require(access.MANAGE_PEOPLE)
    columns = ", ".join("coalesce(name, '') AS name" if c == "name" else c for c in COLUMNS)
    return store.df(f"SELECT {columns} FROM people ORDER BY email")


def save(
    store: Store,
    email: str,
    roles: Iterable[str],
    teams: Sequence[str] = (),
    name: str | None = None,
) -> Person:
    """Add a person or change their roles, teams and name; return them as saved."""
    e = check_email(email)
    codes = access.check_roles(roles)
    if not codes:
        raise ValueError("Vælg mindst én rolle (eller fjern personen).")
    team_list = sorted({t.strip() for t in teams if t.strip()})
    if (
        not team_list
        and set(codes) & access.SCOPED_ROLES
        and not set(codes) - (access.SCOPED_ROLES | access.PUBLISHED_ROLES)
    ):
        raise ValueError("En teamleder eller sagsbehandler skal have mindst ét team.")
    label = (name or "").strip() or None
    with store.write(access.MANAGE_PEOPLE, versioned=False) as cur:
        old = find(store, e)
        cur.execute(
            """INSERT OR REPLACE INTO people (email, name, roles, teams, updated_at, updated_by)
               VALUES (?, ?, ?, ?, current_timestamp, ?)""",
            [
                e,
                label if label or old is None else old.name,
                list(codes),
                team_list,
                store.access.who,
            ],
        )
        what = "tilføjet" if old is None else "ændret"
        teams_text = f"; teams: {', '.join(team_list)}" if team_list else ""
        audit.record(
            cur,
            store.access.who,
            "people",
            f"{e} {what}: {', '.join(access.ROLES[c] for c in codes)}{teams_text}",
        )
    saved = find(store, e)
    assert saved is not None
    return saved


def remove(store: Store, email: str) -> None:
    """Remove a person: they keep their login at the provider but see nothing here."""
    e = normalise_email(email)
    with store.write(access.MANAGE_PEOPLE, versioned=False) as cur:
        if find(store, e) is None:
            raise ValueError(f"{e} findes ikke blandt personerne.")
        cur.execute("DELETE FROM people WHERE email = ?", [e])
        audit.record(cur, store.access.who, "people", f"{e} fjernet")
