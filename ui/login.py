"""Who is using the app (access.md): login with OIDC, local mode, and the pages their roles open.

Login is on when Streamlit's secrets hold an ``[auth]`` section; the person is then their
identity provider's ``email`` claim, and their roles and teams come from the store's people
(``slcore.people``). Without ``[auth]`` the app runs in local mode, for the one person on this
machine, and only when the server listens on a loopback address. Every other case shows one
page without data: the login, "no access yet", or how to configure login.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable, Mapping

import streamlit as st

from slcore import access, audit, people, settings
from slcore.access import Access
from slcore.store import Store

LOOPBACK_NAMES = ("localhost",)
# Headers a reverse proxy adds: a request that has one came from another machine, even though
# the server listens on this machine only (docs/deployment.md).
PROXY_HEADERS = (
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-forwarded-host",
    "x-real-ip",
    "forwarded",
)
# The person of this script run (one run per thread at a time), for what draws without a
# store at hand (the download buttons).
_this_run = threading.local()


def set_current(who: Access | None) -> None:
    """Remember the person of this script run."""
    _this_run.access = who


def current_may(action: str) -> bool:
    """Return whether the person of this run may do an action (no person: no)."""
    who: Access | None = getattr(_this_run, "access", None)
    return who is not None and who.may(action)


def auth_configured() -> bool:
    """Return whether the secrets hold an ``[auth]`` section (login is on)."""
    try:
        return "auth" in st.secrets
    except Exception:
        return False


def listens_on_loopback(address: str | None) -> bool:
    """Return whether a server address is this machine only (no address means every one)."""
    if not address:
        return False
    if address.strip("[]").lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to a public interface
        return False


def came_through_proxy(headers: Mapping[str, str]) -> bool:
    """Return whether a request's headers show that a reverse proxy forwarded it."""
    return any(name.lower() in PROXY_HEADERS for name in headers)


def _email() -> str:
    value = st.user.get("email")
    return str(value or "").strip().lower()


def _name() -> str | None:
    value = st.user.get("name")
    return str(value) if value else None


def _claimed(store: Store) -> list[str]:
    """Return the values of the role claim the settings name (a list or one value)."""
    claim, mapping = settings.role_map(store)
    if not mapping:
        return []
    value = st.user.get(claim)
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, list | tuple) else []


def person(store: Store) -> tuple[Access | None, Callable[[], None] | None]:
    """Return who is using the app, or the page to show instead (login, no access, refusal)."""
    if not auth_configured():
        if not listens_on_loopback(st.get_option("server.address")) or came_through_proxy(
            st.context.headers
        ):
            return None, local_mode_refused
        return access.local(), None
    if not st.user.get("is_logged_in", False):
        return None, lambda: login_page(settings.municipality_name(store))
    email = _email()
    if not email:
        return None, no_email_page
    who = people.access_of(store, email, _name(), _claimed(store))
    if not st.session_state.get("_login_logged"):
        audit.log(store.as_person(who), "login", "Logget ind" if who.has_role else "Ingen rolle")
        st.session_state["_login_logged"] = True
    if not who.has_role:
        return None, lambda: no_access_page(who)
    return who, None


def login_page(municipality: str) -> None:
    """Draw the login page: the municipality's name and a button to log in."""
    st.title(f"Serviceniveau · {municipality}")
    st.markdown(
        "Dashboardet for serviceniveauet for udsatte børn og unge. Log ind med din "
        "arbejdskonto for at se tallene, du har adgang til."
    )
    if st.button("Log ind", type="primary", icon=":material/login:", key="login"):
        st.login()


def no_email_page() -> None:
    """Say that the identity provider sent no e-mail, which identifies a person here."""
    st.title("Ingen e-mailadresse")
    st.error(
        "Din login-udbyder sendte ingen e-mailadresse, og den er det, dashboardet kender dig "
        "på. Bed IT om at give appen adgang til claimet »email«.",
        icon=":material/error:",
    )
    logout_button()


def no_access_page(who: Access) -> None:
    """Draw the page of a logged-in person without a role: who they are, whom to ask."""
    st.title("Ingen adgang endnu")
    st.markdown(f"Du er logget ind som **{who.name}** ({who.who}).")
    st.info(
        "Du har endnu ingen rolle i dashboardet, så du kan ikke se nogen tal. Bed en "
        "administrator om at give dig en rolle (fx teamleder for dit team) på siden "
        "Personer og roller.",
        icon=":material/lock:",
    )
    logout_button()


def local_mode_refused() -> None:
    """Refuse local mode on a server that others can reach; say how to configure login."""
    st.title("Login mangler")
    st.error(
        "Dashboardet kører uden login, men serveren kan nås fra andre maskiner (direkte eller "
        "gennem en proxy). Uden login "
        "vises ingen data: ellers kunne alle på netværket se dem.",
        icon=":material/lock:",
    )
    st.markdown(
        "Sådan kommer du videre:\n"
        "- Opsæt login: læg et afsnit `[auth]` i `.streamlit/secrets.toml` (se README, "
        "*Login og roller*), eller\n"
        "- kør kun på denne maskine, uden proxy foran: `--server.address localhost`."
    )


def refused_page(title: str) -> Callable[[], None]:
    """Return a page that refuses a deep link to a page outside the person's roles."""

    def refused() -> None:
        st.title(title)
        st.error(
            "Du har ikke adgang til denne side med dine roller. Spørg en administrator, "
            "hvis du skal have det.",
            icon=":material/block:",
        )

    refused.__name__ = f"refused_{title}"
    return refused


def logout_button(container: object = st) -> None:
    """Draw the logout button (only when login is on)."""
    if auth_configured() and container.button(  # type: ignore[attr-defined]
        "Log ud", icon=":material/logout:", key="logout"
    ):
        st.logout()


def person_box(who: Access) -> None:
    """Show in the sidebar who is logged in, with which roles, and the logout."""
    sb = st.sidebar
    sb.divider()
    if who.local:
        sb.caption(
            ":material/computer: **Lokal tilstand**: uden login, kun på denne maskine; "
            "du er administrator."
        )
        return
    teams = f" · {', '.join(who.teams)}" if who.teams and who.scope is not None else ""
    sb.caption(f":material/person: **{who.name}**  \n{who.role_names}{teams}")
    logout_button(sb)
