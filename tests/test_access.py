"""Roles, team scopes and rights (access.md), enforced by slcore for the person asking."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pandas as pd
import pytest

from slcore import (
    access,
    activity,
    audit,
    budgets,
    calibration,
    compliance,
    economy,
    figures,
    frames,
    importer,
    people,
    settings,
)
from slcore.access import AccessDenied
from slcore.batches import undo_batch
from slcore.figures import Filters
from slcore.periods import Period
from slcore.store import Store
from tests.conftest import SAMPLES

PERIOD = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31), dt.date(2025, 9, 30))
TEAMS = ("Team Nord", "Ungeteamet")


def person(*roles: str, teams: tuple[str, ...] = (), page: str | None = None) -> access.Access:
    """Return a logged-in person's access, narrowed to a page they may see."""
    who = access.Access(who="p@kommune.dk", name="P", roles=frozenset(roles), teams=teams)
    return who.on(page or who.pages()[0])


# --- The matrix: role x page, role x write --------------------------------------------------

PAGES = {
    "politiker": {"overblik", "aktivitet", "oekonomi", "udvalg"},
    "direktion": {*access.ANALYSIS_PAGES, "udvalg"},
    "leder": {*access.ANALYSIS_PAGES, "udvalg"},
    "teamleder": set(access.ANALYSIS_PAGES),
    "sagsbehandler": {"rammeoverholdelse", "serviceniveau"},
    "analytiker": {*access.ANALYSIS_PAGES, "udvalg", "indlaes"},
    "administrator": set(access.ALL_PAGES),
}
WRITES = {
    "politiker": set(),
    "direktion": set(),
    "leder": set(),
    "teamleder": set(),
    "sagsbehandler": set(),
    "analytiker": {"import", "frames", "budgets", "aliases"},
    "administrator": {"import", "frames", "budgets", "aliases", "people", "settings", "audit"},
}


@pytest.mark.parametrize("role", list(access.ROLES))
def test_each_role_sees_its_pages_and_no_other(role):
    who = access.Access(who="x@k.dk", name="X", roles=frozenset({role}), teams=("Team Nord",))
    assert set(who.pages()) == PAGES[role]
    for page in access.ALL_PAGES:
        if page in PAGES[role]:
            who.on(page)
        else:
            with pytest.raises(AccessDenied, match="ikke adgang"):
                who.on(page)


@pytest.mark.parametrize("role", list(access.ROLES))
@pytest.mark.parametrize(
    "action", ["import", "frames", "budgets", "aliases", "people", "settings", "audit"]
)
def test_each_role_may_write_what_the_spec_says(role, action):
    who = access.Access(who="x@k.dk", name="X", roles=frozenset({role}))
    assert who.may(action) == (action in WRITES[role])
    if action not in WRITES[role]:
        with pytest.raises(AccessDenied, match="Du har ikke ret til"):
            who.require(action)


def test_no_role_sees_nothing():
    nobody = access.Access(who="x@k.dk", name="X", roles=frozenset())
    assert not nobody.has_role
    assert nobody.pages() == ()
    assert nobody.scope == ()  # an access never narrowed covers no team


def test_several_roles_see_the_union_and_an_unscoped_role_wins():
    both = access.Access(
        who="x@k.dk", name="X", roles=frozenset({"teamleder", "direktion"}), teams=("Team Nord",)
    )
    assert both.on("overblik").scope is None
    leader = access.Access(
        who="x@k.dk", name="X", roles=frozenset({"teamleder", "politiker"}), teams=("Team Nord",)
    )
    # The team leader's own teams, exact, beat the politician's rule on the shared pages.
    assert leader.on("overblik").scope == ("Team Nord",)
    assert not leader.on("overblik").published
    politician = person("politiker")
    assert politician.published and politician.scope is None
    clerk = access.Access(
        who="x@k.dk", name="X", roles=frozenset({"sagsbehandler", "politiker"}), teams=("Team Syd",)
    )
    assert clerk.on("rammeoverholdelse").scope == ("Team Syd",)
    assert clerk.on("overblik").published


# --- Team scope on every query the pages use --------------------------------------------


def _calls(store: Store, filters: Filters) -> dict[str, object]:
    """Every slcore query a page makes, for one store and filters."""
    as_of = PERIOD.as_of
    return {
        "key_figures": figures.key_figures(store, PERIOD, (), filters, missing_budget_empty=True),
        "key_figures_type": figures.key_figures(store, PERIOD, ("intervention_type",), filters),
        "key_figures_age_team": figures.key_figures(store, PERIOD, ("age_band", "team"), filters),
        "monthly_series": figures.monthly_series(store, PERIOD, filters, "intervention_type"),
        "monthly_spend": figures.monthly_spend(store, PERIOD, filters),
        "budget_total": figures.budget_total(store, PERIOD.start, PERIOD.end, filters),
        "ladder_mix": activity.ladder_mix(store, PERIOD, filters),
        "durations": activity.durations(store, PERIOD, filters),
        "months_against_last_year": activity.months_against_last_year(store, PERIOD, filters),
        "year_comparison": activity.year_comparison(store, PERIOD, filters),
        "allocations": activity.allocations(store, PERIOD, filters),
        "budget_deviation": economy.budget_deviation(store, PERIOD, filters, total=True),
        "change_decomposition": economy.change_decomposition(store, PERIOD, filters),
        "spend_by_step": economy.spend_by_step(store, PERIOD, filters),
        "top_providers": economy.top_providers(store, PERIOD, filters),
        "status_by_type": compliance.status_by_type(store, PERIOD, filters),
        "reason_counts": compliance.reason_counts(store, PERIOD, filters),
        "reason_combinations": compliance.reason_combinations(store, PERIOD, filters),
        "status_by_type_age": compliance.status_by_type_age(store, PERIOD, filters),
        "trend": compliance.trend_by_start_month(store, PERIOD, filters),
        "limit_points": compliance.limit_points(store, PERIOD, "SI_KONTAKT", "price", filters),
        "committee_deviations": compliance.committee_deviations(store, PERIOD, filters),
        "committee_expiring": compliance.committee_expiring(store, as_of, 365, filters),
        "whatif": compliance.whatif(
            store, PERIOD, "SI_KONTAKT", compliance.Limits(max_monthly_cost=20000), filters
        ),
        "distributions": calibration.distributions(store, as_of, filters),
        "survival_summary": calibration.survival_summary(store, as_of, filters),
    }


def _same(a: object, b: object) -> None:
    if isinstance(a, pd.DataFrame):
        assert isinstance(b, pd.DataFrame)
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))
    elif isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _same(x, y)
    elif hasattr(a, "__dataclass_fields__"):
        for name in a.__dataclass_fields__:
            _same(getattr(a, name), getattr(b, name))
    else:
        assert a == b


@pytest.mark.parametrize(
    "filters",
    [Filters(), Filters(age_bands=("12-17",)), Filters(teams=("Team Nord", "Team Syd"))],
    ids=["no filter", "age band", "a team outside the scope too"],
)
def test_a_team_leaders_every_query_equals_the_same_query_for_their_teams(sample_store, filters):
    leader = sample_store.as_person(person("teamleder", teams=TEAMS))
    # What the leader asked for, within their teams; the machine's store asks for it plainly.
    chosen = tuple(t for t in filters.teams if t in TEAMS) or (() if filters.teams else TEAMS)
    expected_filters = replace(filters, teams=chosen or ("(intet)",))
    scoped = _calls(leader, filters)
    plain = _calls(sample_store, expected_filters)
    assert scoped.keys() == plain.keys()
    for name in scoped:
        try:
            _same(scoped[name], plain[name])
        except AssertionError as exc:
            raise AssertionError(f"{name}: {exc}") from None
    # The scope is no formality: the leader's totals are a strict part of everyone's.
    everyone = figures.key_figures(sample_store, PERIOD, (), filters).iloc[0]
    mine = scoped["key_figures"].iloc[0]  # type: ignore[union-attr]
    if not filters.teams:
        assert 0 < mine["active_registrations"] < everyone["active_registrations"]


def test_a_team_leaders_figures_by_team_are_their_teams_and_have_no_budget(sample_store):
    leader = sample_store.as_person(person("teamleder", teams=TEAMS))
    by_team = figures.key_figures(leader, PERIOD, ("team",))
    assert set(by_team["team"]) <= set(TEAMS)
    plain = figures.key_figures(sample_store, PERIOD, ("team",))
    plain = plain[plain["team"].isin(TEAMS)].reset_index(drop=True)
    pd.testing.assert_frame_equal(by_team, plain)
    assert figures.teams(leader) == sorted(TEAMS)
    total = figures.key_figures(leader, PERIOD, (), missing_budget_empty=True).iloc[0]
    assert pd.isna(total["budget_dkk"])
    assert "team har intet budget" in str(economy.no_budget_reason(leader, Filters()))
    assert economy.comparable_budget(total, Filters()) is None
    assert leader.registration_count() == int(
        sample_store.scalar(
            "SELECT count(*) FROM registrations WHERE team IN ('Team Nord', 'Ungeteamet')"
        )
    )


def test_a_team_leader_without_teams_sees_nothing(sample_store):
    lonely = sample_store.as_person(
        access.Access(who="x@k.dk", name="X", roles=frozenset({"teamleder"})).on("overblik")
    )
    total = figures.key_figures(lonely, PERIOD).iloc[0]
    assert total["active_registrations"] == 0
    assert figures.teams(lonely) == []
    assert lonely.registration_count() == 0


def test_the_cache_never_hands_one_persons_figures_to_another(sample_store):
    everyone = figures.key_figures(sample_store, PERIOD).iloc[0]["active_registrations"]
    leader = sample_store.as_person(person("teamleder", teams=("Team Nord",)))
    mine = figures.key_figures(leader, PERIOD).iloc[0]["active_registrations"]
    again = figures.key_figures(sample_store, PERIOD).iloc[0]["active_registrations"]
    assert mine < everyone == again


# --- Politicians: nothing below intervention type ----------------------------------------


def test_a_politician_gets_no_plain_figure_and_nothing_below_type(sample_store):
    politician = sample_store.as_person(person("politiker"))
    with pytest.raises(AccessDenied, match="små tal"):
        figures.key_figures(politician, PERIOD)
    for call in (
        lambda: figures.teams(politician),
        lambda: activity.allocations(politician, PERIOD),
        lambda: compliance.committee_deviations(politician, PERIOD),
        lambda: economy.top_providers(politician, PERIOD),
    ):
        with pytest.raises(AccessDenied):
            call()


def test_a_caseworker_sees_lists_but_no_page_of_figures_outside_their_roles(sample_store):
    clerk = access.Access(
        who="c@k.dk", name="C", roles=frozenset({"sagsbehandler"}), teams=("Team Syd",)
    )
    on_compliance = sample_store.as_person(clerk.on("rammeoverholdelse"))
    lists = compliance.committee_deviations(on_compliance, PERIOD)
    assert set(lists["team"]) <= {"Team Syd"}
    assert not clerk.may(access.DOWNLOAD)
    with pytest.raises(AccessDenied):
        clerk.on("overblik")


# --- Writes are refused in slcore, and every write records the person ----------------------


def test_writes_are_refused_for_readers_and_leave_the_store_as_it_was(sample_copy):
    from slcore.store import open_store

    store = open_store(sample_copy)
    try:
        version = store.data_version()
        for role in ("direktion", "leder", "teamleder", "sagsbehandler", "politiker"):
            reader = store.as_person(
                access.Access(
                    who="r@k.dk", name="R", roles=frozenset({role}), teams=("Team Nord",)
                ).on(access.Access(who="", name="", roles=frozenset({role})).pages()[0])
            )
            refusals = [
                lambda r=reader: importer.import_file(r, SAMPLES / "registrations_canonical.csv"),
                lambda r=reader: undo_batch(r, 1),
                lambda r=reader: frames.import_frames(r, SAMPLES / "serviceniveau_frames.csv"),
                lambda r=reader: budgets.import_budgets(r, SAMPLES / "budgetter.csv"),
                lambda r=reader: budgets.copy_budgets(r, 2025, 2031),
                lambda r=reader: importer.add_alias(r, "Kontaktperson lokalt", "SI_KONTAKT"),
                lambda r=reader: people.save(r, "ny@k.dk", ["direktion"]),
                lambda r=reader: settings.set_value(r, "municipality_name", "X"),
                lambda r=reader: audit.entries(r),
            ]
            for refused in refusals:
                with pytest.raises(AccessDenied, match="Du har ikke ret til"):
                    refused()
        assert store.data_version() == version
        assert store.scalar("SELECT count(*) FROM people") == 0
        assert store.scalar("SELECT count(*) FROM import_batches WHERE undone_at IS NULL") == 1
    finally:
        store.close()


def test_an_analysts_writes_are_recorded_with_their_email(sample_copy):
    from slcore.store import open_store

    store = open_store(sample_copy)
    try:
        analyst = store.as_person(
            access.Access(who="ana@k.dk", name="Ana", roles=frozenset({"analytiker"})).on("indlaes")
        )
        budgets.copy_budgets(analyst, 2025, 2031, 1.02)
        importer.add_alias(analyst, "Kontaktperson lokalt", "SI_KONTAKT")
        undo_batch(analyst, 1)
        with pytest.raises(AccessDenied):
            people.save(analyst, "ny@k.dk", ["direktion"])
        assert store.scalar("SELECT undone_by FROM import_batches WHERE batch_id = 1") == "ana@k.dk"
        assert store.scalar("SELECT max(updated_by) FROM budgets WHERE year = 2031") == "ana@k.dk"
        log = audit.entries(store)
        mine = log[log["who"] == "ana@k.dk"]
        assert list(mine["event"]) == ["undo", "alias", "budgets"]  # newest first
        assert "Import nr. 1" in mine["detail"].iloc[0]
    finally:
        store.close()
