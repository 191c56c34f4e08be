"""People and roles in the store (access.md), and the login's access from them."""

from __future__ import annotations

import pytest

from slcore import access, audit, people
from slcore.store import open_store


@pytest.fixture
def store(sample_copy):
    s = open_store(sample_copy)
    yield s
    s.close()


def test_a_person_is_their_lower_cased_email_with_roles_and_teams(store):
    people.save(store, " Tom@Kommune.DK ", ["teamleder", "politiker"], ["Team Nord"], "Tom")
    who = people.access_of(store, "tom@kommune.dk")
    assert who.who == "tom@kommune.dk" and who.name == "Tom"
    assert who.roles == {"teamleder", "politiker"} and who.teams == ("Team Nord",)
    assert who.role_names == "Politiker, Teamleder"
    # A changed name from the identity provider is shown; the store keeps its own.
    assert people.access_of(store, "TOM@kommune.dk", "Tom T.").name == "Tom T."


def test_an_unknown_person_has_no_role(store):
    who = people.access_of(store, "ny@kommune.dk", "Ny")
    assert not who.has_role and who.pages() == ()


def test_bad_people_are_refused_in_danish(store):
    with pytest.raises(ValueError, match="ikke en e-mailadresse"):
        people.save(store, "tom", ["direktion"])
    with pytest.raises(ValueError, match="Ukendt rolle: chef"):
        people.save(store, "tom@k.dk", ["chef"])
    with pytest.raises(ValueError, match="mindst én rolle"):
        people.save(store, "tom@k.dk", [])
    with pytest.raises(ValueError, match="mindst ét team"):
        people.save(store, "tom@k.dk", ["teamleder"])
    with pytest.raises(ValueError, match="findes ikke"):
        people.remove(store, "ingen@k.dk")
    assert people.people(store).empty


def test_changes_of_people_are_logged_and_a_removed_person_sees_nothing(store):
    people.save(store, "a@k.dk", ["direktion"])
    people.save(store, "a@k.dk", ["leder"], name="Anne")
    people.remove(store, "a@k.dk")
    assert not people.access_of(store, "a@k.dk").has_role
    details = list(audit.entries(store, events=("people",))["detail"])
    assert details == [
        "a@k.dk fjernet",
        "a@k.dk ændret: Faglig leder",
        "a@k.dk tilføjet: Direktion",
    ]


def test_only_an_administrator_manages_people(store):
    analyst = store.as_person(
        access.Access(who="x@k.dk", name="X", roles=frozenset({"analytiker"})).on("indlaes")
    )
    with pytest.raises(access.AccessDenied, match="ændre personer og roller"):
        people.save(analyst, "b@k.dk", ["direktion"])
    with pytest.raises(access.AccessDenied):
        people.people(analyst)


def test_a_role_claim_maps_to_roles_in_the_settings(store):
    from slcore import settings

    assert not people.access_of(store, "x@k.dk", claimed=["Serviceniveau.Analytiker"]).has_role
    settings.set_value(
        store, "role_map", " Serviceniveau.Analytiker = analytiker ;Chefer=direktion"
    )
    assert settings.get(store, "role_map") == "Serviceniveau.Analytiker=analytiker;Chefer=direktion"
    who = people.access_of(store, "x@k.dk", claimed=["Serviceniveau.Analytiker", "Andet"])
    assert who.roles == {"analytiker"}
    people.save(store, "t@k.dk", ["teamleder"], ["Team Nord"])
    both = people.access_of(store, "t@k.dk", claimed=["Chefer"])
    assert both.roles == {"teamleder", "direktion"} and both.teams == ("Team Nord",)
    with pytest.raises(ValueError, match="Ukendt rolle: chef"):
        settings.set_value(store, "role_map", "Chefer=chef")
    with pytest.raises(ValueError, match="værdi=rolle"):
        settings.set_value(store, "role_map", "Chefer")
