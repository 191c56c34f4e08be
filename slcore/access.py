"""Who may see and do what (access.md): the roles, the pages and writes they allow, team scopes.

A person's ``Access`` travels with the store they query (``Store.as_person``), so every figure
function applies it without being told: ``figures.filter_sql`` adds the team scope, the cache
keys on it, ``Store.write`` refuses a write the roles do not allow, and functions below
intervention type refuse a politician (``require_detail``). The app narrows a person's access
to the page they open (``Access.on``): what a person with several roles may see on a page is
the union of what the roles granting that page allow.

This module holds the rules only; the people and their roles live in the store
(``slcore.people``).
"""

from __future__ import annotations

import getpass
from collections.abc import Iterable
from dataclasses import dataclass, replace

# --- Roles ---------------------------------------------------------------------------------

ROLES: dict[str, str] = {
    "politiker": "Politiker",
    "direktion": "Direktion",
    "leder": "Faglig leder",
    "teamleder": "Teamleder",
    "sagsbehandler": "Sagsbehandler",
    "analytiker": "Analytiker",
    "administrator": "Administrator",
}
# Roles whose view is limited to the teams assigned to the person.
SCOPED_ROLES = frozenset({"teamleder", "sagsbehandler"})
# Roles that see figures under the small-number rule only, and nothing below type.
PUBLISHED_ROLES = frozenset({"politiker"})

# --- Pages ---------------------------------------------------------------------------------

OVERVIEW = "overblik"
ACTIVITY = "aktivitet"
ECONOMY = "oekonomi"
COMPLIANCE = "rammeoverholdelse"
SERVICE_LEVEL = "serviceniveau"
IMPORT = "indlaes"
PEOPLE = "personer"
AUDIT = "log"
COMMITTEE = "udvalg"  # committee mode: the slides, under the small-number rule
SETTINGS = "indstillinger"

ANALYSIS_PAGES = (OVERVIEW, ACTIVITY, ECONOMY, COMPLIANCE, SERVICE_LEVEL)
ALL_PAGES = (*ANALYSIS_PAGES, COMMITTEE, IMPORT, PEOPLE, SETTINGS, AUDIT)

PAGES_OF_ROLE: dict[str, tuple[str, ...]] = {
    "politiker": (OVERVIEW, ACTIVITY, ECONOMY, COMMITTEE),
    "direktion": (*ANALYSIS_PAGES, COMMITTEE),
    "leder": (*ANALYSIS_PAGES, COMMITTEE),
    "teamleder": ANALYSIS_PAGES,
    "sagsbehandler": (COMPLIANCE, SERVICE_LEVEL),
    "analytiker": (*ANALYSIS_PAGES, COMMITTEE, IMPORT),
    "administrator": ALL_PAGES,
}

# --- Actions -------------------------------------------------------------------------------

IMPORT_DATA = "import"  # import and undo extracts
EDIT_FRAMES = "frames"
EDIT_BUDGETS = "budgets"
MAP_ALIASES = "aliases"
MANAGE_PEOPLE = "people"
EDIT_SETTINGS = "settings"
READ_AUDIT = "audit"
DOWNLOAD = "download"  # downloads of tables and charts
SEE_ALLOCATIONS = "allocations"  # allocation-level lists (pseudonyms only)
BACKUP = "backup"  # take and restore backups of the whole store
PURGE = "purge"  # remove registrations that ended before a date (slcore.retention)

_ANALYST = frozenset({IMPORT_DATA, EDIT_FRAMES, EDIT_BUDGETS, MAP_ALIASES})
_READER = frozenset({DOWNLOAD, SEE_ALLOCATIONS})
ACTIONS_OF_ROLE: dict[str, frozenset[str]] = {
    "politiker": frozenset({DOWNLOAD}),
    "direktion": _READER,
    "leder": _READER,
    "teamleder": _READER,
    "sagsbehandler": frozenset({SEE_ALLOCATIONS}),
    "analytiker": _ANALYST | _READER,
    "administrator": _ANALYST | _READER | {MANAGE_PEOPLE, EDIT_SETTINGS, READ_AUDIT, BACKUP, PURGE},
}

# What a refused action would have done, for the Danish message.
ACTION_TEXTS: dict[str, str] = {
    IMPORT_DATA: "indlæse eller fortryde udtræk",
    EDIT_FRAMES: "ændre serviceniveauets rammer",
    EDIT_BUDGETS: "ændre budgetter",
    MAP_ALIASES: "tilknytte lokale navne til indsatstyper",
    MANAGE_PEOPLE: "ændre personer og roller",
    EDIT_SETTINGS: "ændre indstillinger",
    READ_AUDIT: "se loggen",
    DOWNLOAD: "downloade",
    SEE_ALLOCATIONS: "se lister over enkelte bevillinger",
    BACKUP: "tage eller gendanne sikkerhedskopier",
    PURGE: "slette afsluttede bevillinger",
}

LOCAL_USER = "lokal bruger"


class AccessDenied(Exception):
    """An action or a view the person's roles do not allow; the message is Danish."""


@dataclass(frozen=True)
class Access:
    """A person's roles and teams, narrowed to one page by ``on``.

    ``who`` is what the store records (the lower-cased e-mail, ``lokal bruger`` in local mode,
    the machine's user on the command line). ``scope`` is the teams the figures cover (None:
    all); ``published`` puts the figures under the small-number rule. Both are set by ``on``
    (or ``everything``) from the roles; code outside this module never sets them.
    """

    who: str
    name: str
    roles: frozenset[str]
    teams: tuple[str, ...] = ()
    local: bool = False
    scope: tuple[str, ...] | None = ()
    published: bool = False

    @property
    def has_role(self) -> bool:
        """Return whether the person has any role (deny by default)."""
        return bool(self.roles)

    def pages(self) -> tuple[str, ...]:
        """Return the pages the roles grant, in navigation order."""
        granted = {p for r in self.roles for p in PAGES_OF_ROLE.get(r, ())}
        return tuple(p for p in ALL_PAGES if p in granted)

    def may_see(self, page: str) -> bool:
        """Return whether the roles grant a page."""
        return page in self.pages()

    def on(self, page: str) -> Access:
        """Return this access narrowed to a page; raise ``AccessDenied`` when no role grants it.

        A role without a team scope or the small-number rule wins over one with it: a person
        who is both director and team leader sees every team.
        """
        granting = [r for r in self.roles if page in PAGES_OF_ROLE.get(r, ())]
        if not granting:
            raise AccessDenied(
                "Du har ikke adgang til denne side. Spørg en administrator, hvis du skal have det."
            )
        if page == COMMITTEE:  # what leaves the organisation's own screens: always the rule
            return replace(self, scope=None, published=True)
        if any(r not in SCOPED_ROLES and r not in PUBLISHED_ROLES for r in granting):
            return replace(self, scope=None, published=False)
        if any(r in SCOPED_ROLES for r in granting):
            return replace(self, scope=tuple(sorted(self.teams)), published=False)
        return replace(self, scope=None, published=True)

    def may(self, action: str) -> bool:
        """Return whether the roles allow an action (a politician downloads published figures)."""
        return any(action in ACTIONS_OF_ROLE.get(r, frozenset()) for r in self.roles)

    def require(self, action: str) -> None:
        """Raise ``AccessDenied`` with a Danish message unless the roles allow an action."""
        if not self.may(action):
            what = ACTION_TEXTS.get(action, action)
            raise AccessDenied(
                f"Du har ikke ret til at {what}. Det kræver rollen "
                f"{_role_list(r for r, acts in ACTIONS_OF_ROLE.items() if action in acts)}."
            )

    def require_detail(self) -> None:
        """Refuse figures below intervention type (teams, caseworkers, providers, allocations)
        to a view under the small-number rule."""
        if self.published:
            raise AccessDenied(
                "Som politiker ser du tal pr. indsatstype under reglen om små tal; "
                "tal pr. team, sagsbehandler, leverandør og enkelte bevillinger vises ikke."
            )

    def require_allocations(self) -> None:
        """Refuse allocation-level lists unless the roles allow them on this page."""
        self.require_detail()
        self.require(SEE_ALLOCATIONS)

    @property
    def view_key(self) -> tuple[tuple[str, ...] | None, bool, tuple[str, ...]]:
        """Return what narrows the figures (scope, rule, roles): part of every cache key.

        The roles are in it so that a check a figure function makes (``require_detail``) is
        made again for every other set of roles: a cached answer is only one that passed.
        """
        return (self.scope, self.published, tuple(sorted(self.roles)))

    @property
    def role_names(self) -> str:
        """Return the roles in Danish, in the spec's order."""
        return _role_list(self.roles, joiner=", ")


def _role_list(roles: Iterable[str], joiner: str = " eller ") -> str:
    names = [ROLES[r] for r in ROLES if r in set(roles)]
    return joiner.join(names)


def everything(who: str, name: str, *, local: bool = False) -> Access:
    """Return an administrator's access to every team and figure."""
    return Access(who=who, name=name, roles=frozenset({"administrator"}), local=local, scope=None)


def machine_user() -> str:
    """Return the operating system's user (the command line runs as it)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name and no password entry for the uid
        return "ukendt"


def machine() -> Access:
    """Return the command line's access: the machine's user, who may do everything."""
    user = machine_user()
    return everything(user, user)


def local() -> Access:
    """Return local mode's access: the one person on this machine, administrator."""
    return everything(LOCAL_USER, "Lokal bruger", local=True)


def check_roles(roles: Iterable[str]) -> tuple[str, ...]:
    """Return role codes in the spec's order; raise ValueError (Danish) for an unknown one."""
    given = {r.strip().lower() for r in roles if r.strip()}
    unknown = sorted(given - set(ROLES))
    if unknown:
        raise ValueError(f"Ukendt rolle: {', '.join(unknown)}. Roller: {', '.join(ROLES)}.")
    return tuple(r for r in ROLES if r in given)
